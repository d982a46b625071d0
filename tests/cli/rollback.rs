//! `strata rollback`: confirmation, warnings, saved queries.

use crate::support::*;

#[test]
fn rollback_without_a_terminal_and_without_yes_is_refused_and_records_nothing() {
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
    let r = run(strata(&store)
        .args(["rollback", "d", "1", "--reason", "a test rollback"])
        .write_stdin(""));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(r.stdout.contains("warning: column `site`"), "{}", r.stdout);
    let active = &json_lines(&ok(&store, &["datasets", "--json"]))[0];
    assert_eq!(active["active_version"], 2);
    assert_eq!(json_lines(&ok(&store, &["log", "--json"])).len(), 2);
}

#[test]
fn rollback_with_yes_shows_the_warnings_and_records_a_rollback_event() {
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
    let out = json_one(&ok(
        &store,
        &[
            "rollback",
            "d",
            "v1",
            "--yes",
            "--reason",
            "bad site data",
            "--json",
        ],
    ));
    assert_eq!(out["status"], "rolled_back");
    assert_eq!(out["dataset"], "d");
    assert_eq!(
        (out["from"].as_u64(), out["to"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(out["seq"], 3);
    let warning = out["warnings"][0].as_str().unwrap();
    assert!(warning.contains("column `site`"), "{warning}");
    let event = &json_lines(&ok(&store, &["log", "--type", "rollback", "--json"]))[0];
    assert_eq!(event["note"], "bad site data");
    assert_eq!(event["actor"], "tester");

    let text = ok(
        &store,
        &["rollback", "d", "2", "--reason", "a test rollback", "--yes"],
    );
    assert!(
        text.contains("roll back `d` from version 1 to version 2"),
        "{text}"
    );
    assert!(
        text.contains("rolled back: `d` version 2 is active (was version 1)"),
        "{text}"
    );
}

#[test]
fn rollback_to_the_active_version_says_so_and_records_nothing() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let r = run(strata(&store)
        .args(["rollback", "d", "1", "--reason", "a test rollback"])
        .write_stdin(""));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("already active"), "{}", r.stdout);
    let out = json_one(&ok(
        &store,
        &[
            "rollback",
            "d",
            "active",
            "--reason",
            "a test rollback",
            "--json",
        ],
    ));
    assert_eq!(out["status"], "already_active");
    assert_eq!(out["seq"], Value::Null);
    assert_eq!(json_lines(&ok(&store, &["log", "--json"])).len(), 1);
}

#[test]
fn rollback_with_saved_queries_warns_about_the_ones_it_would_break() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let saved = serde_json::json!([
        {"name": "mass by species", "sql": CLEAN_SQL},
        {"name": "raw mass", "sql": RAW_SQL},
    ]);
    let queries = file(tmp.path(), "queries.json", saved.to_string().as_bytes());
    let out = ok(
        &store,
        &[
            "rollback",
            "penguins",
            "1",
            "--reason",
            "a test rollback",
            "--yes",
            "--queries",
            &queries,
            "--json",
        ],
    );
    let outcome = json_one(&out);
    let warnings: Vec<&str> = outcome["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let broken: Vec<&&str> = warnings
        .iter()
        .filter(|w| w.starts_with("saved query"))
        .collect();
    assert_eq!(broken.len(), 1, "{warnings:?}");
    assert!(broken[0].contains("`mass by species`"), "{}", broken[0]);
    let bad = file(tmp.path(), "queries.json", br#"[{"name": "x"}]"#);
    let refused = expect(
        &store,
        &[
            "rollback",
            "penguins",
            "2",
            "--reason",
            "a test rollback",
            "--yes",
            "--queries",
            &bad,
        ],
        2,
    );
    assert!(refused.stderr.contains("entry 0"), "{}", refused.stderr);
}
