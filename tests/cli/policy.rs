//! `strata policy`: the drift policy the store holds, shown and set (a recorded event with a
//! reason), and what it does to uploads that name a weaker one.

use crate::common::{SMALL, SMALL_BREAKING, SMALL_MORE_ROWS};
use crate::support::*;

fn event_count(store: &std::path::Path) -> usize {
    json_lines(&ok(store, &["log", "--json"])).len()
}

#[test]
fn policy_show_says_the_default_binds_nobody_until_a_policy_is_set_with_a_reason() {
    let (_tmp, store) = new_store();
    let shown = json_one(&ok(&store, &["policy", "show", "--json"]));
    assert_eq!(shown["source"], "default");
    assert_eq!(shown["rule"]["policy"], "reject");
    assert_eq!(shown["set_by"], serde_json::Value::Null);
    let text = ok(&store, &["policy", "show"]);
    assert!(text.contains("the default: no policy was set"), "{text}");

    // No reason: clap refuses (exit 2); a blank one: the library does; nothing recorded.
    expect(&store, &["policy", "set", "reject"], 2);
    let blank = expect(&store, &["policy", "set", "reject", "--reason", " "], 2);
    assert!(blank.stderr.contains("needs a reason"), "{}", blank.stderr);
    assert_eq!(event_count(&store), 0);

    let set = json_one(&ok(
        &store,
        &[
            "policy",
            "set",
            "reject",
            "--reason",
            "GCP audit",
            "--actor",
            "dm",
            "--json",
        ],
    ));
    assert_eq!(
        (set["changed"].as_bool(), set["seq"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(set["previous"], serde_json::Value::Null);
    let shown = json_one(&ok(&store, &["policy", "show", "--json"]));
    assert_eq!(shown["source"], "store");
    assert_eq!(
        (
            shown["set_by"]["actor"].as_str(),
            shown["set_by"]["reason"].as_str()
        ),
        (Some("dm"), Some("GCP audit"))
    );
    let again = ok(&store, &["policy", "set", "reject", "--reason", "again"]);
    assert!(
        again.contains("already reject: nothing recorded"),
        "{again}"
    );
    let log = ok(&store, &["log"]);
    assert!(
        log.contains("the store's drift policy set to `reject`"),
        "{log}"
    );
}

#[test]
fn an_upload_asking_for_a_weaker_policy_than_the_one_set_needs_a_reason_which_is_recorded() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    ok(
        &store,
        &["policy", "set", "reject", "--reason", "GCP audit"],
    );
    let before = event_count(&store);
    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    let refused = expect(
        &store,
        &[
            "upload",
            "d",
            &breaking,
            "--overwrite",
            "--drift-policy",
            "allow",
        ],
        1,
    );
    assert!(
        refused.stderr.contains("weaker than the `reject` in force")
            && refused.stderr.contains("--reason"),
        "{}",
        refused.stderr
    );
    assert_eq!(event_count(&store), before, "nothing recorded");
    // `--reason` alone explains nothing: an error before anything is read.
    let alone = expect(
        &store,
        &["upload", "d", &breaking, "--overwrite", "--reason", "x"],
        2,
    );
    assert!(
        alone.stderr.contains("--reason explains"),
        "{}",
        alone.stderr
    );
    let done = json_one(&ok(
        &store,
        &[
            "upload",
            "d",
            &breaking,
            "--overwrite",
            "--drift-policy",
            "allow",
            "--reason",
            "sponsor retired the score scale",
            "--json",
        ],
    ));
    assert_eq!(done["status"], "new_version");
    let events = json_lines(&ok(&store, &["log", "--json", "--type", "upload_created"]));
    let details = &events.last().unwrap()["details"];
    assert_eq!(details["policy"], "allow");
    assert_eq!(
        details["override_reason"],
        "sponsor retired the score scale"
    );
}

#[test]
fn a_dataset_policy_decides_its_uploads_that_name_none() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    ok(&store, &["policy", "set", "reject", "--reason", "lab rule"]);
    ok(
        &store,
        &[
            "policy",
            "set",
            "warn",
            "--dataset",
            "d",
            "--reason",
            "exploratory",
        ],
    );
    let shown = json_one(&ok(&store, &["policy", "show", "--dataset", "d", "--json"]));
    assert_eq!(
        (shown["source"].as_str(), shown["rule"]["policy"].as_str()),
        (Some("dataset"), Some("warn"))
    );
    // Breaking drift without --drift-policy: the dataset's `warn` accepts it, with warnings.
    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    let out = ok(&store, &["upload", "d", &breaking, "--overwrite"]);
    assert!(out.contains("new version"), "{out}");
    let policy_events = json_lines(&ok(&store, &["log", "--json", "--type", "policy_set"]));
    assert_eq!(policy_events.len(), 2);
    assert_eq!(policy_events[0]["dataset"], serde_json::Value::Null);
    assert_eq!(policy_events[1]["dataset"], "d");
    assert_eq!(policy_events[1]["note"], "exploratory");
    let more = file(tmp.path(), "t.csv", SMALL_MORE_ROWS);
    // The store's rule does not bind `d`: `allow` is weaker than `warn`, so it needs a reason.
    expect(
        &store,
        &[
            "upload",
            "d",
            &more,
            "--overwrite",
            "--drift-policy",
            "allow",
        ],
        1,
    );
}
