//! `strata datasets`.

use crate::support::*;

#[test]
fn datasets_json_lists_each_dataset_with_its_active_version() {
    let (tmp, store) = new_store();
    assert!(ok(&store, &["datasets", "--json"]).is_empty());
    ok(
        &store,
        &["upload", "zeta", &file(tmp.path(), "t.csv", SMALL)],
    );
    upload_penguins(&store);
    ok(
        &store,
        &[
            "upload",
            "zeta",
            &file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN),
            "--overwrite",
        ],
    );
    let list = json_lines(&ok(&store, &["datasets", "--json"]));
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "penguins");
    let zeta = &list[1];
    assert_eq!(zeta["name"], "zeta");
    assert_eq!(zeta["id"].as_str().unwrap().len(), 36);
    assert_eq!(zeta["active_version"], 2);
    assert_eq!(zeta["active_hash"].as_str().unwrap().len(), 64);
    assert_eq!(zeta["versions"], 2);
    assert_eq!(zeta["events"], 2);
    assert!(zeta["last_change"].as_str().unwrap().ends_with('Z'));
    let text = ok(&store, &["datasets"]);
    assert!(
        text.contains("NAME") && text.contains("LAST CHANGE"),
        "{text}"
    );
    assert!(
        text.contains("zeta") && text.contains("v2") && text.contains("just now"),
        "{text}"
    );
}
