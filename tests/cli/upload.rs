//! `strata upload`: outcomes, refusals, drift overrides, malformed files, metadata and actor.

use crate::support::*;

#[test]
fn upload_json_reports_status_version_hash_and_tables_field_by_field() {
    let (_tmp, store) = new_store();
    let out = upload_penguins(&store);
    assert_eq!(out["status"], "new_dataset");
    assert_eq!(out["dataset"], "penguins");
    assert_eq!(out["dataset_id"].as_str().unwrap().len(), 36);
    assert_eq!(out["version"], 1);
    assert_eq!(out["hash"].as_str().unwrap().len(), 64);
    assert_eq!(out["seq"], 1);
    assert_eq!(out["drift"], Value::Null);
    assert_eq!(out["warnings"], serde_json::json!([]));
    assert_eq!(out["duplicates"], serde_json::json!([]));
    assert_eq!(out["override_reason"], Value::Null);
    let tables = out["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    let t = &tables[0];
    assert_eq!(t["table_id"], "table_0");
    assert_eq!(t["name"], "penguins-raw");
    assert_eq!(t["source_file"], "penguins-raw.csv");
    assert_eq!(t["row_count"], 344);
    assert_eq!(t["column_count"], 17);
    assert_eq!(
        t["byte_len"],
        std::fs::metadata(data("penguins-raw.csv")).unwrap().len()
    );
    assert_eq!(t["delimiter"], "comma");
    assert_eq!(t["content_hash"].as_str().unwrap().len(), 64);
    assert_eq!(t["fingerprint"].as_str().unwrap().len(), 64);
    let columns = t["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 17);
    assert_eq!(columns[1]["name"], "Sample Number");
    assert_eq!(columns[1]["type"], "Int64");
    assert!(columns[1]["nullable"].is_boolean() && columns[1]["identifier"].is_boolean());

    let again = json_one(&ok(
        &store,
        &[
            "upload",
            "penguins",
            &path_str(&data("penguins-raw.csv")),
            "--overwrite",
            "--json",
        ],
    ));
    assert_eq!(again["status"], "already_active");
    assert_eq!(again["seq"], Value::Null);
}

#[test]
fn upload_text_shows_the_outcome_version_short_hash_and_counts() {
    let (tmp, store) = new_store();
    let first = ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    assert!(first.starts_with("new dataset: `d` version 1 ("), "{first}");
    assert!(
        first.contains("table t (table_0): 2 rows, 3 columns, from t.csv"),
        "{first}"
    );
    let hash = json_lines(&ok(&store, &["history", "d", "--json"]))[0]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(first.contains(&hash[..12]), "short hash in {first}");

    let plus = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    let second = ok(&store, &["upload", "d", &plus, "--overwrite"]);
    assert!(second.starts_with("new version: `d` version 2"), "{second}");
    assert!(
        second.contains("schema drift: additive (+1 col)"),
        "{second}"
    );
    assert!(second.contains("column `site` (Utf8) added"), "{second}");

    // Version 1's content again is a rollback to it: refused without a reason (exit 2,
    // nothing recorded), done with one.
    let v1 = file(tmp.path(), "t.csv", SMALL);
    let no_reason = run(strata(&store).args(["upload", "d", &v1, "--overwrite"]));
    assert_eq!(no_reason.code, 2, "{}", no_reason.stderr);
    assert!(
        no_reason.stderr.contains("needs a reason") && no_reason.stderr.contains("--note"),
        "{}",
        no_reason.stderr
    );
    let back = ok(
        &store,
        &[
            "upload",
            "d",
            &v1,
            "--overwrite",
            "--note",
            "back to the first export",
        ],
    );
    assert!(back.starts_with("re-activated: `d` version 1"), "{back}");
    let events = json_lines(&ok(&store, &["log", "--json"]));
    let event = events.last().unwrap();
    assert_eq!(
        (event["type"].as_str(), event["note"].as_str()),
        (Some("rollback"), Some("back to the first export"))
    );
}

#[test]
fn an_existing_name_without_overwrite_is_refused_with_exit_1_and_a_hint() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let plus = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    let r = expect(&store, &["upload", "d", &plus], 1);
    assert!(
        r.stderr.starts_with("error: dataset `d` already exists"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--overwrite"), "{}", r.stderr);
    let refused = json_one(&expect(&store, &["upload", "d", &plus, "--json"], 1).stdout);
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["refusal"], "dataset_exists");
    assert_eq!(refused["dataset"], "d");
}

#[test]
fn a_breaking_overwrite_is_refused_with_exit_1_showing_the_drift_and_recorded() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    let r = expect(&store, &["upload", "d", &breaking, "--overwrite"], 1);
    assert!(
        r.stdout.contains("refused: overwrite of `d`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("column `score` changed type from Float64 to Utf8"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("--override-drift"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1);

    let refused = json_one(
        &expect(
            &store,
            &["upload", "d", &breaking, "--overwrite", "--json"],
            1,
        )
        .stdout,
    );
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["refusal"], "drift_refused");
    assert_eq!(refused["seq"], 3);
    assert_eq!(refused["active_version"], 1);
    assert_eq!(refused["drift"]["verdict"], "breaking");
    let change = &refused["drift"]["changed_tables"][0]["type_changes"][0];
    assert_eq!(change["name"], "score");
    assert_eq!(change["old_type"], "Float64");
    assert_eq!(change["new_type"], "Utf8");

    let blocked = json_lines(&ok(
        &store,
        &["log", "--type", "overwrite_blocked", "--json"],
    ));
    assert_eq!(blocked.len(), 2, "both refusals are in the log");
    assert_eq!(blocked[0]["details"]["policy"], "reject");
}

#[test]
fn override_drift_needs_a_reason_and_records_it() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    let r = expect(
        &store,
        &["upload", "d", &breaking, "--overwrite", "--override-drift"],
        2,
    );
    assert!(r.stderr.contains("--reason"), "{}", r.stderr);
    let out = json_one(&ok(
        &store,
        &[
            "upload",
            "d",
            &breaking,
            "--overwrite",
            "--override-drift",
            "--reason",
            "scores became grades",
            "--json",
        ],
    ));
    assert_eq!(out["status"], "new_version");
    assert_eq!(out["override_reason"], "scores became grades");
    assert_eq!(out["drift"]["verdict"], "breaking");
    assert!(!out["warnings"].as_array().unwrap().is_empty());
    let warned = json_one(&ok(
        &store,
        &[
            "upload",
            "d",
            &file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN),
            "--overwrite",
            "--drift-policy",
            "warn",
            "--json",
        ],
    ));
    assert_eq!(warned["status"], "new_version");
    assert_eq!(warned["override_reason"], Value::Null);
}

#[test]
fn a_malformed_csv_exits_2_naming_the_file_and_line_and_records_nothing() {
    let (tmp, store) = new_store();
    let bad = file(tmp.path(), "bad.csv", b"a,b\n1,2\n3\n");
    let r = expect(&store, &["upload", "d", &bad], 2);
    assert!(
        r.stderr.starts_with("error: bad.csv: line 3"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);
    let missing = expect(&store, &["upload", "d", "/no/such/file.csv"], 2);
    assert!(
        missing.stderr.contains("/no/such/file.csv"),
        "{}",
        missing.stderr
    );
    assert!(ok(&store, &["log", "--json"]).is_empty());
}

#[test]
fn an_unterminated_quote_is_refused_naming_the_file_line_and_byte_and_records_nothing() {
    let (tmp, store) = new_store();
    let bad = file(tmp.path(), "open.csv", b"id,v\n1,\"unterminated\n2,3\n");
    let r = expect(&store, &["upload", "d", &bad], 2);
    assert!(
        r.stderr
            .starts_with("error: open.csv: the quote opened on line 2 (byte 7) is never closed"),
        "{}",
        r.stderr
    );
    let header = file(tmp.path(), "header.csv", b"a,\"b\n");
    let r = expect(&store, &["upload", "d", &header], 2);
    assert!(r.stderr.contains("line 1 (byte 2)"), "{}", r.stderr);
    assert!(ok(&store, &["log", "--json"]).is_empty());
    assert!(ok(&store, &["datasets", "--json"]).is_empty());
}

#[test]
fn binary_and_utf16_files_are_refused_as_not_csv_text_with_the_offset() {
    let (tmp, store) = new_store();
    let zeros = file(tmp.path(), "zeros.csv", &[0u8; 100]);
    let r = expect(&store, &["upload", "d", &zeros], 2);
    assert!(
        r.stderr
            .starts_with("error: zeros.csv: line 1, byte 0 is a NUL byte"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("binary or UTF-16"), "{}", r.stderr);
    let utf16 = file(
        tmp.path(),
        "utf16.csv",
        b"a\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00",
    );
    let r = expect(&store, &["upload", "d", &utf16], 2);
    assert!(
        r.stderr.contains("line 1, byte 1 is a NUL byte"),
        "{}",
        r.stderr
    );
    assert!(ok(&store, &["datasets", "--json"]).is_empty());
}

#[test]
fn a_number_beyond_the_range_of_float64_is_inferred_as_text() {
    let (tmp, store) = new_store();
    let big = file(tmp.path(), "big.csv", b"x,y\n1e400,1.5\n2,2\n");
    let out = json_one(&ok(&store, &["upload", "d", &big, "--json"]));
    let columns = out["tables"][0]["columns"].as_array().unwrap();
    assert_eq!(columns[0]["type"], "Utf8");
    assert_eq!(columns[1]["type"], "Float64");
}

#[test]
fn upload_metadata_note_and_actor_are_recorded_and_shown() {
    let (tmp, store) = new_store();
    let meta = file(
        tmp.path(),
        "meta.json",
        br#"{"source": "palmerpenguins", "year": 2020}"#,
    );
    let csv = file(tmp.path(), "t.csv", SMALL);
    ok(
        &store,
        &[
            "upload",
            "d",
            &csv,
            "--metadata",
            &meta,
            "--note",
            "first",
            "--actor",
            "ana",
        ],
    );
    let show = json_one(&ok(&store, &["show", "d", "--json"]));
    assert_eq!(show["metadata"]["source"], "palmerpenguins");
    assert_eq!(show["metadata"]["year"], 2020);
    assert_eq!(show["actor"], "ana");
    assert_eq!(show["note"], "first");
    let not_object = file(tmp.path(), "m.json", b"[1, 2]");
    let r = expect(&store, &["upload", "e", &csv, "--metadata", &not_object], 2);
    assert!(r.stderr.contains("JSON object"), "{}", r.stderr);
}

#[test]
fn the_actor_defaults_to_the_os_user() {
    let (tmp, store) = new_store();
    let csv = file(tmp.path(), "t.csv", SMALL);
    let r = run(strata(&store)
        .env("USER", "from-user")
        .args(["upload", "d", &csv]));
    assert_eq!(r.code, 0);
    let r2 = run(strata(&store)
        .env_remove("USER")
        .env("LOGNAME", "from-logname")
        .args(["upload", "e", &file(tmp.path(), "u.csv", SMALL_PLUS_COLUMN)]));
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    let events = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(events[0]["actor"], "from-user");
    assert_eq!(events[1]["actor"], "from-logname");
}

/// Deleting a blob makes the invariant check after every write fail; the CLI runs that check
/// only in debug builds (the default of `StoreOptions::check_invariants`).
#[cfg(debug_assertions)]
#[test]
fn writes_whose_check_fails_after_the_commit_are_reported_done_with_the_warning() {
    let (tmp, store) = new_store();
    let first = json_one(&ok(
        &store,
        &["upload", "a", &file(tmp.path(), "t.csv", SMALL), "--json"],
    ));
    std::fs::remove_file(blob_path(&store, &first["tables"][0]["content_hash"])).unwrap();
    let warning = "warning: the write is committed, but the invariant check after it failed";

    let plus = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    let text = ok(&store, &["upload", "b", &plus]);
    assert!(text.starts_with("new dataset: `b` version 1"), "{text}");
    assert!(text.contains(warning), "{text}");
    assert!(
        text.contains("the upload is recorded; `strata verify` checks the store"),
        "{text}"
    );

    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    let refused = expect(&store, &["upload", "b", &breaking, "--overwrite"], 1);
    assert!(
        refused.stdout.starts_with("refused: overwrite of `b`"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains(warning), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("refused by the drift policy"),
        "{}",
        refused.stderr
    );

    let json = json_one(&ok(
        &store,
        &[
            "upload",
            "b",
            &breaking,
            "--overwrite",
            "--drift-policy",
            "warn",
            "--json",
        ],
    ));
    assert_eq!(
        (json["status"].as_str(), json["version"].as_u64()),
        (Some("new_version"), Some(2))
    );
    let warnings = json["post_commit_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{json}");
    assert!(
        warnings[0].as_str().unwrap().contains("is missing"),
        "{json}"
    );

    let text = ok(
        &store,
        &["rollback", "b", "1", "--reason", "a test rollback", "--yes"],
    );
    assert!(
        text.contains("rolled back: `b` version 1 is active"),
        "{text}"
    );
    assert!(text.contains(warning), "{text}");
    assert!(text.contains("the rollback is recorded"), "{text}");
    let history = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(history.len(), 5, "every write is in the log: {history:?}");
}

#[test]
fn an_upload_past_a_file_size_limit_fails_with_an_error_line_and_loses_nothing() {
    use std::os::unix::process::CommandExt;
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "small", &file(tmp.path(), "t.csv", SMALL)],
    );
    // 3 MB of rows: past a 2 MiB limit on any file the process writes.
    let mut big = b"id,name,score\n".to_vec();
    for i in 0..150_000 {
        big.extend_from_slice(format!("{i},row{i},1.5\n").as_bytes());
    }
    let big = file(tmp.path(), "big.csv", &big);
    let mut cmd = strata_process(&store);
    cmd.args(["upload", "big", &big]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 20,
                rlim_max: 2 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "killed by a signal instead of failing ({:?}): {stderr}",
        output.status
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("cannot write ") && stderr.contains("File too large"),
        "{stderr}"
    );
    let verify = ok(&store, &["verify", "--deep"]);
    assert!(verify.contains("ok"), "{verify}");
    let datasets = ok(&store, &["datasets"]);
    assert!(
        datasets.contains("small") && !datasets.contains("big"),
        "{datasets}"
    );
}

#[test]
fn an_overwrite_of_a_mistyped_name_exits_2_with_the_closest_names_unless_create_is_given() {
    let (tmp, store) = new_store();
    let t = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "trial-42", &t]);
    let r = expect(&store, &["upload", "trail-42", &t, "--overwrite"], 2);
    assert!(
        r.stderr.contains(
            "no dataset named `trail-42` to overwrite (the closest existing names: `trial-42`)"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--create"), "{}", r.stderr);
    assert_eq!(json_lines(&ok(&store, &["datasets", "--json"])).len(), 1);
    let created = json_one(&ok(
        &store,
        &[
            "upload",
            "trail-42",
            &t,
            "--overwrite",
            "--create",
            "--json",
        ],
    ));
    assert_eq!(created["status"], "new_dataset");
}

#[test]
fn tables_are_named_by_table_equals_file_or_table_and_a_single_table_is_matched() {
    let (tmp, store) = new_store();
    let april = file(tmp.path(), "export-2024-04.csv", SMALL);
    let may = file(tmp.path(), "export-2024-05.csv", SMALL_MORE_ROWS);
    let first = json_one(&ok(
        &store,
        &["upload", "trial", &format!("visits={april}"), "--json"],
    ));
    assert_eq!(first["tables"][0]["name"], "visits");
    assert_eq!(first["tables"][0]["source_file"], "export-2024-04.csv");
    let second = json_one(&ok(
        &store,
        &[
            "upload",
            "trial",
            &may,
            "--table",
            "visits",
            "--overwrite",
            "--json",
        ],
    ));
    assert_eq!(second["status"], "new_version");
    assert_eq!(second["tables"][0]["name"], "visits");
    assert_eq!(second["drift"]["verdict"], "none", "{second}");
    // Without a name, a single file is matched to the single table, and the output says so.
    let june = file(tmp.path(), "export-2024-06.csv", SMALL_PLUS_COLUMN);
    let text = ok(&store, &["upload", "trial", &june, "--overwrite"]);
    assert!(text.starts_with("new version: `trial` version 3"), "{text}");
    assert!(
        text.contains("table `export-2024-06` from export-2024-06.csv is uploaded as `visits`"),
        "{text}"
    );
    let r = expect(
        &store,
        &[
            "upload",
            "trial",
            &june,
            &april,
            "--table",
            "x",
            "--overwrite",
        ],
        2,
    );
    assert!(r.stderr.contains("TABLE=FILE"), "{}", r.stderr);
}

#[test]
fn spreadsheet_dates_are_read_in_the_one_form_the_column_decides_and_the_form_is_recorded() {
    let (tmp, store) = new_store();
    let visits = file(
        tmp.path(),
        "visits.csv",
        b"patient,visit,seen\nP1,5/2/2008,01/02/2003\nP2,12/16/2005,5/6/2007\n",
    );
    let out = json_one(&ok(&store, &["upload", "d", &visits, "--json"]));
    let columns = out["tables"][0]["columns"].as_array().unwrap();
    assert_eq!(columns[1]["type"], "Date");
    assert_eq!(
        columns[2]["type"], "Utf8",
        "day and month first both fit: text"
    );
    let warnings = out["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().starts_with(
            "table `visits`: column `visit` holds dates written M/D/YYYY (month first)"
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[1].as_str().unwrap().contains("column `seen`"),
        "{warnings:?}"
    );
    // The form is recorded with the version's event.
    let event = json_one(&ok(&store, &["log", "--json"]));
    assert_eq!(event["details"]["warnings"], out["warnings"]);
}

#[test]
fn without_user_or_logname_the_actor_is_the_process_account_never_unknown() {
    let (tmp, store) = new_store();
    let csv = file(tmp.path(), "t.csv", SMALL);
    let r = run(strata(&store)
        .env_remove("USER")
        .env_remove("LOGNAME")
        .args(["upload", "d", &csv]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events = json_lines(&ok(&store, &["log", "--json"]));
    let actor = events[0]["actor"].as_str().unwrap();
    // What the system's user database says this process is (as `id` reads it).
    let id = |flag: &str| {
        let out = std::process::Command::new("id").arg(flag).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let expected = match id("-un") {
        name if !name.is_empty() => name,
        _ => format!("uid {}", id("-u")),
    };
    assert_eq!(actor, expected);
}

#[test]
fn metadata_on_a_re_activation_exits_2_and_records_nothing() {
    let (tmp, store) = new_store();
    let v1 = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "d", &v1]);
    let v2 = file(tmp.path(), "t.csv", SMALL_MORE_ROWS);
    ok(&store, &["upload", "d", &v2, "--overwrite"]);
    let meta = file(tmp.path(), "meta.json", br#"{"export": "june"}"#);
    let r = expect(
        &store,
        &["upload", "d", &v1, "--overwrite", "--metadata", &meta],
        2,
    );
    assert!(
        r.stderr.contains("the metadata would not be recorded"),
        "{}",
        r.stderr
    );
    assert_eq!(json_lines(&ok(&store, &["log", "--json"])).len(), 2);
}

/// What the system's user database says this process is, as `id` reads it: (uid, name).
fn os_account_by_id() -> (u64, Option<String>) {
    let id = |flag: &str| {
        let out = std::process::Command::new("id").arg(flag).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let name = Some(id("-un")).filter(|n| !n.is_empty() && n.parse::<u64>().is_err());
    (id("-u").parse().unwrap(), name)
}

#[test]
fn every_event_records_the_os_account_beside_the_actor_given() {
    let (tmp, store) = new_store();
    let csv = file(tmp.path(), "t.csv", SMALL);
    let r = run(strata(&store)
        .env("USER", "not-the-account")
        .args(["upload", "d", &csv, "--actor", "ana"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v2 = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    ok(
        &store,
        &["upload", "d", &v2, "--overwrite", "--actor", "bo"],
    );
    ok(
        &store,
        &[
            "rollback", "d", "1", "--yes", "--actor", "cy", "--reason", "r",
        ],
    );
    let (uid, name) = os_account_by_id();
    let events = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(events.len(), 3);
    for (event, actor) in events.iter().zip(["ana", "bo", "cy"]) {
        assert_eq!(event["actor"], actor);
        // The account comes from the process, never from `USER`.
        assert_eq!(event["os_account"]["uid"], uid, "{event}");
        assert_eq!(
            event["os_account"]["name"],
            serde_json::json!(name),
            "{event}"
        );
        assert_eq!(event["salvaged_from"], Value::Null);
    }
    let history = json_lines(&ok(&store, &["history", "d", "--events", "--json"]));
    let in_history: Vec<&Value> = history.iter().filter(|l| l["item"] == "event").collect();
    assert_eq!(in_history.len(), 3);
    assert!(in_history.iter().all(|e| e["os_account"]["uid"] == uid));

    // The account in its own column, after the actor's (the columns are aligned).
    let shown = name.clone().map_or(format!("uid {uid}"), |n| n);
    let words = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = words(ok(&store, &["log", "--time", "absolute"]));
    assert!(
        text.contains(&format!(" ana (os {shown}) version 1 ")),
        "{text}"
    );
    let text = words(ok(&store, &["history", "d", "--events"]));
    assert!(
        text.contains(&format!(" cy (os {shown}) rolled back ")),
        "{text}"
    );
}

#[test]
fn an_actor_that_is_the_os_account_name_is_shown_once() {
    let (tmp, store) = new_store();
    let (uid, name) = os_account_by_id();
    let Some(name) = name else {
        // The user database does not name this account: the other test covers `uid N`.
        return;
    };
    let csv = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "d", &csv, "--actor", &name]);
    let text = ok(&store, &["log", "--time", "absolute"]);
    assert!(!text.contains("(os "), "{text}");
    let events = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(events[0]["os_account"]["uid"], uid);
}

const SCORES_INT: &[u8] = b"patient,score\n1,2\n2,3\n";
const SCORES_FLOAT: &[u8] = b"patient,score\n1,2.5\n2,3\n";

#[test]
fn a_widened_column_is_accepted_under_reject_and_named_as_a_widening() {
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "d", &file(tmp.path(), "t.csv", SCORES_INT)],
    );
    let wider = file(tmp.path(), "t.csv", SCORES_FLOAT);
    let text = ok(&store, &["upload", "d", &wider, "--overwrite"]);
    assert!(
        text.contains("table `t`: column `score` widened from Int64 to Float64"),
        "{text}"
    );
    let events = json_lines(&ok(&store, &["log", "--json"]));
    let details = &events[1]["details"];
    assert_eq!(events[1]["type"], "upload_created");
    assert_eq!(details["drift"]["verdict"], "widening", "{details}");
    assert_eq!(
        details["drift"]["changed_tables"][0]["type_changes"][0]["widening"],
        true
    );
    assert_eq!(details["widening"], "compatible");
    assert_eq!(details["override_reason"], Value::Null);
    let history = ok(&store, &["history", "d"]);
    assert!(history.contains("widening (1 widening)"), "{history}");
}

#[test]
fn a_policy_counting_widening_as_breaking_refuses_it_and_records_the_rule() {
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "d", &file(tmp.path(), "t.csv", SCORES_INT)],
    );
    let wider = file(tmp.path(), "t.csv", SCORES_FLOAT);
    let r = expect(
        &store,
        &[
            "upload",
            "d",
            &wider,
            "--overwrite",
            "--widening",
            "breaking",
        ],
        1,
    );
    assert!(
        r.stdout
            .contains("column `score` widened from Int64 to Float64"),
        "{}",
        r.stdout
    );
    let events = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(events[1]["type"], "overwrite_blocked");
    assert_eq!(events[1]["details"]["widening"], "breaking");
    let reason = events[1]["details"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("widened from Int64 to Float64 (the policy counts widening as breaking)"),
        "{reason}"
    );
    let text = ok(&store, &["log", "--time", "absolute"]);
    assert!(text.contains("(widening counted as breaking)"), "{text}");
    // With an override and its reason, it is accepted and the rule is recorded.
    let args = [
        "upload",
        "d",
        &wider,
        "--overwrite",
        "--widening",
        "breaking",
        "--override-drift",
        "--reason",
        "scores are now fractional",
    ];
    ok(&store, &args);
    let events = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(events[2]["details"]["widening"], "breaking");
    assert_eq!(
        events[2]["details"]["override_reason"],
        "scores are now fractional"
    );
}

#[test]
fn a_narrowing_stays_breaking_and_a_rollback_to_a_wider_type_names_the_widening() {
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "d", &file(tmp.path(), "t.csv", SCORES_FLOAT)],
    );
    let narrower = file(tmp.path(), "t.csv", SCORES_INT);
    let r = expect(&store, &["upload", "d", &narrower, "--overwrite"], 1);
    assert!(
        r.stdout
            .contains("column `score` changed type from Float64 to Int64"),
        "{}",
        r.stdout
    );
    let args = [
        "upload",
        "d",
        &narrower,
        "--overwrite",
        "--override-drift",
        "--reason",
        "r",
    ];
    ok(&store, &args);
    // Version 2 (Int64) is active; rolling back to version 1 (Float64) widens the column.
    let out = json_one(&ok(
        &store,
        &["rollback", "d", "1", "--yes", "--reason", "r", "--json"],
    ));
    let warnings: Vec<&str> = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        ["column `score` of table `t` is Float64 in version 1, not Int64 (a widening: its values still read, as the wider type)"]
    );
}
