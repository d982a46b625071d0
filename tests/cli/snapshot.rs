//! `strata snapshot`, and `verify` comparing snapshots with the log.

use crate::support::*;

#[test]
fn snapshot_writes_one_and_verify_compares_it_with_the_log_and_reports_a_damaged_one() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let snap = json_one(&ok(&store, &["snapshot", "--json"]));
    assert_eq!(snap["seq"], 1);
    let path = PathBuf::from(snap["path"].as_str().unwrap());
    assert!(path.is_file());
    let summary = json_lines(&ok(&store, &["verify", "--json"]))
        .pop()
        .unwrap();
    assert_eq!(summary["snapshot_checked"], 1);
    flip_byte(&path, 70);
    let damaged = expect(&store, &["verify"], 1);
    assert!(
        damaged.stdout.contains("ignored snapshot"),
        "{}",
        damaged.stdout
    );
}
