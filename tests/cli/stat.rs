//! `strata stat`.

use crate::support::*;

#[test]
fn stat_counts_segments_events_datasets_versions_and_bytes() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    ok(
        &store,
        &[
            "upload",
            "d",
            &file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN),
            "--overwrite",
        ],
    );
    let stat = json_one(&ok(&store, &["stat", "--json"]));
    assert_eq!(stat["segments"], 1);
    assert_eq!(stat["sealed_segments"], 0);
    assert_eq!(stat["records"], 2);
    assert_eq!(stat["last_seq"], 2);
    assert_eq!(stat["events"], 2);
    assert_eq!(stat["datasets"], 1);
    assert_eq!(stat["versions"], 2);
    assert_eq!(stat["distinct_tables"], 2);
    assert_eq!(stat["blob_files"], 2);
    assert_eq!(
        stat["blob_bytes"].as_u64().unwrap(),
        (SMALL.len() + SMALL_PLUS_COLUMN.len()) as u64
    );
    assert!(stat["log_record_bytes"].as_u64().unwrap() > 128);
    assert!(stat["log_file_bytes"].as_u64().unwrap() >= stat["log_record_bytes"].as_u64().unwrap());
    assert_eq!(stat["torn_tail"], Value::Null);
    let text = ok(&store, &["stat"]);
    assert!(text.contains("torn tail: none"), "{text}");
}
