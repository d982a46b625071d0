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
    ok(
        &store,
        &["rollback", "d", "1", "--reason", "a test rollback", "--yes"],
    );
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

#[test]
fn history_timeline_shows_when_each_version_was_active_and_who_moved_it() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let plus = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    ok(&store, &["upload", "d", &plus, "--overwrite"]);
    let mut rollback = strata(&store);
    rollback
        .env("USER", "bo")
        .args(["rollback", "d", "1", "--reason", "bad export", "--yes"]);
    assert_eq!(run(&mut rollback).code, 0);

    let lines = json_lines(&ok(&store, &["history", "d", "--timeline", "--json"]));
    let spans: Vec<(u64, u64, Value)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["item"], "interval");
            assert_eq!(l["dataset"], "d");
            (
                l["version"].as_u64().unwrap(),
                l["from"]["seq"].as_u64().unwrap(),
                l["to"]["seq"].clone(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            (1, 1, Value::from(2)),
            (2, 2, Value::from(3)),
            (1, 3, Value::Null)
        ]
    );
    assert_eq!(lines[1]["to"]["type"], "rollback");
    assert_eq!(lines[1]["to"]["actor"], "bo");
    assert_eq!(lines[2]["active"], true);
    assert_eq!(lines[0]["from"]["actor"], "tester");
    assert!(lines[0]["from"]["time"].as_str().unwrap().ends_with('Z'));

    let text = ok(&store, &["history", "d", "--timeline"]);
    assert!(
        text.starts_with("d: when each version was active (3 intervals)"),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("v1") && last.contains("(active)"),
        "{text}"
    );
    assert!(last.contains("#3 rollback by bo"), "{text}");
    assert!(text.contains("#2 upload_created by tester"), "{text}");
    expect(&store, &["history", "d", "--timeline", "--events"], 2);
}
