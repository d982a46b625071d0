//! `strata history`.

use crate::support::*;

#[test]
fn history_marks_the_active_version_and_summarizes_schema_changes() {
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
    ok(&store, &["rollback", "d", "1", "--yes"]);
    let versions = json_lines(&ok(&store, &["history", "d", "--json"]));
    assert_eq!(versions.len(), 2);
    let (v1, v2) = (&versions[0], &versions[1]);
    assert_eq!(v1["item"], "version");
    assert_eq!(v1["dataset"], "d");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["active"], true);
    assert_eq!(v1["actor"], "tester");
    assert_eq!(v1["rows"], 2);
    assert_eq!(v1["row_counts"][0]["table"], "t");
    assert_eq!(v1["changes"], Value::Null);
    assert_eq!(v1["change_summary"], "initial version");
    assert_eq!(v2["active"], false);
    assert_eq!(v2["changes"]["verdict"], "additive");
    assert_eq!(v2["change_summary"], "additive (+1 col)");
    let text = ok(&store, &["history", "d"]);
    let active_line = text.lines().find(|l| l.starts_with('*')).unwrap();
    assert!(active_line.contains("v1"), "{text}");
    assert!(text.contains("additive (+1 col)"), "{text}");

    let with_events = json_lines(&ok(&store, &["history", "d", "--events", "--json"]));
    let events: Vec<&Value> = with_events
        .iter()
        .filter(|v| v["item"] == "event")
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["upload_created", "upload_created", "rollback"]);
    assert_eq!(events[2]["details"]["from"], 2);
    assert_eq!(events[2]["details"]["to"], 1);
    let text = ok(&store, &["history", "d", "--events"]);
    assert!(text.contains("events:") && text.contains("rolled back from version 2 to version 1"));
}
