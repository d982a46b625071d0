//! `strata diff`.

use crate::support::*;

#[test]
fn diff_classifies_added_removed_and_type_changes_between_any_two_versions() {
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
    ok(
        &store,
        &[
            "upload",
            "d",
            &file(tmp.path(), "t.csv", SMALL_BREAKING),
            "--overwrite",
            "--drift-policy",
            "allow",
        ],
    );
    let diff = json_one(&ok(&store, &["diff", "d", "2", "3", "--json"]));
    assert_eq!(diff["dataset"], "d");
    assert_eq!(diff["from"]["version"], 2);
    assert_eq!(diff["to"]["version"], 3);
    let drift = &diff["drift"];
    assert_eq!(drift["verdict"], "breaking");
    let table = &drift["changed_tables"][0];
    assert_eq!(table["table"], "t");
    assert_eq!(table["removed_columns"][0]["name"], "site");
    assert_eq!(table["removed_columns"][0]["type"], "Utf8");
    assert_eq!(table["type_changes"][0]["name"], "score");
    assert_eq!(table["added_columns"], serde_json::json!([]));
    assert_eq!(drift["added_tables"], serde_json::json!([]));
    let back = json_one(&ok(&store, &["diff", "d", "v1", "v2", "--json"]));
    assert_eq!(back["drift"]["verdict"], "additive");
    let same = json_one(&ok(&store, &["diff", "d", "1", "1", "--json"]));
    assert_eq!(same["drift"]["verdict"], "none");
    let text = ok(&store, &["diff", "d", "1", "3"]);
    assert!(
        text.starts_with("d version 1 -> version 3: breaking"),
        "{text}"
    );
    assert!(
        text.contains("column `score` changed type from Float64 to Utf8"),
        "{text}"
    );
    let unknown = expect(&store, &["diff", "d", "1", "9"], 2);
    assert!(
        unknown.stderr.contains("strata history d"),
        "{}",
        unknown.stderr
    );
}
