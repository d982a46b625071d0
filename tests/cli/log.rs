//! `strata log`: filters, `--follow`, closed pipes.

use crate::support::*;

#[test]
fn log_lists_events_oldest_first_with_dataset_type_and_time_filters() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "a", &file(tmp.path(), "t.csv", SMALL)]);
    ok(
        &store,
        &["upload", "b", &file(tmp.path(), "u.csv", SMALL_PLUS_COLUMN)],
    );
    ok(
        &store,
        &[
            "upload",
            "a",
            &file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN),
            "--overwrite",
        ],
    );
    let all = json_lines(&ok(&store, &["log", "--json"]));
    let seqs: Vec<u64> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let e = &all[0];
    assert_eq!(e["type"], "upload_created");
    assert_eq!(e["dataset"], "a");
    assert_eq!(e["dataset_id"].as_str().unwrap().len(), 36);
    assert_eq!(e["event_id"].as_str().unwrap().len(), 36);
    assert_eq!(e["actor"], "tester");
    assert_eq!(e["note"], "");
    assert!(e["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(e["details"]["version"], 1);
    assert_eq!(e["details"]["previous_active"], Value::Null);
    assert_eq!(e["details"]["tables"][0]["name"], "t");
    assert_eq!(all[2]["details"]["drift"]["verdict"], "additive");

    let only_a = json_lines(&ok(&store, &["log", "--dataset", "a", "--json"]));
    assert_eq!(only_a.len(), 2);
    let none = ok(&store, &["log", "--type", "rollback", "--json"]);
    assert!(none.is_empty());
    let since_future = ok(&store, &["log", "--since", "2999-01-01", "--json"]);
    assert!(since_future.is_empty());
    let since_past = json_lines(&ok(
        &store,
        &["log", "--since", "2000-01-01 00:00:00", "--json"],
    ));
    assert_eq!(since_past.len(), 3);
    let text = ok(&store, &["log"]);
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().next().unwrap().starts_with("#1 "), "{text}");
    expect(&store, &["log", "--dataset", "nope"], 2);
}

#[test]
fn log_follow_sees_an_event_appended_by_another_process() {
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "first", &file(tmp.path(), "t.csv", SMALL)],
    );
    let mut follower = Child::spawn(
        strata_process(&store)
            .args(["log", "--follow", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let lines = line_reader(follower.0.stdout.take().unwrap());
    let timeout = Duration::from_secs(20);
    let existing: Value = serde_json::from_str(&lines.recv_timeout(timeout).unwrap()).unwrap();
    assert_eq!(existing["dataset"], "first");
    ok(
        &store,
        &[
            "upload",
            "second",
            &file(tmp.path(), "u.csv", SMALL_PLUS_COLUMN),
        ],
    );
    let appended = loop {
        let line = lines
            .recv_timeout(timeout)
            .expect("the follower printed the new event");
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["dataset"] == "second" {
            break event;
        }
    };
    drop(follower);
    assert_eq!(appended["type"], "upload_created");
    assert_eq!(appended["seq"], 2);
}

#[test]
fn log_into_a_reader_that_closes_early_exits_0() {
    let (tmp, store) = new_store();
    for i in 0..3 {
        let csv = file(tmp.path(), "t.csv", SMALL);
        ok(&store, &["upload", &format!("d{i}"), &csv]);
    }
    let (line, code, stderr) = read_one_line_then_close(&store, &["log"], || {});
    assert!(line.starts_with("#1"), "{line}");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn log_follow_ends_quietly_with_0_when_its_reader_goes_away() {
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "first", &file(tmp.path(), "t.csv", SMALL)],
    );
    let second = file(tmp.path(), "u.csv", SMALL_PLUS_COLUMN);
    // The second event makes the follower write into the closed pipe.
    let (line, code, stderr) = read_one_line_then_close(&store, &["log", "--follow"], || {
        ok(&store, &["upload", "second", &second]);
    });
    assert!(line.starts_with("#1"), "{line}");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// Uploads `a`, `bb` (a longer name), then an overwrite of `a`: three events.
fn three_events(tmp: &Path, store: &Path) {
    ok(store, &["upload", "a", &file(tmp, "t.csv", SMALL)]);
    ok(
        store,
        &["upload", "bb", &file(tmp, "u.csv", SMALL_PLUS_COLUMN)],
    );
    let overwrite = file(tmp, "t.csv", SMALL_PLUS_COLUMN);
    ok(store, &["upload", "a", &overwrite, "--overwrite"]);
}

#[test]
fn log_lines_have_aligned_columns() {
    let (tmp, store) = new_store();
    three_events(tmp.path(), &store);
    let text = ok(&store, &["log"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // The actor column starts at the same place on every line, whatever the dataset's name.
    let actor_at: Vec<usize> = lines
        .iter()
        .map(|l| l.find("  tester  ").unwrap())
        .collect();
    assert!(actor_at.iter().all(|&at| at == actor_at[0]), "{text}");
    assert!(
        lines[0].contains("  a   "),
        "the name `a` is padded to `bb`: {text}"
    );
}

#[test]
fn log_last_n_prints_only_the_newest_matching_events() {
    let (tmp, store) = new_store();
    three_events(tmp.path(), &store);
    let seqs = |args: &[&str]| -> Vec<u64> {
        json_lines(&ok(&store, args))
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seqs(&["log", "-n", "2", "--json"]), [2, 3]);
    assert_eq!(
        seqs(&["log", "--last", "1", "--dataset", "a", "--json"]),
        [3]
    );
    assert_eq!(seqs(&["log", "-n", "10", "--json"]), [1, 2, 3]);
    assert!(seqs(&["log", "-n", "0", "--json"]).is_empty());
    assert_eq!(ok(&store, &["log", "-n", "1"]).lines().count(), 1);
}

#[test]
fn log_since_takes_relative_times_and_shows_relative_times_when_asked() {
    let (tmp, store) = new_store();
    three_events(tmp.path(), &store);
    let recent = json_lines(&ok(&store, &["log", "--since", "2 hours ago", "--json"]));
    assert_eq!(recent.len(), 3);
    let today = ok(&store, &["log", "--since", "today", "--json"]);
    assert_eq!(json_lines(&today).len(), 3);
    let relative = ok(&store, &["log", "--time", "relative"]);
    assert!(
        relative
            .lines()
            .all(|l| l.contains("just now") || l.contains("ago")),
        "{relative}"
    );
    let absolute = ok(&store, &["log"]);
    assert!(
        absolute
            .lines()
            .all(|l| l.contains('T') && l.contains("Z  ")),
        "{absolute}"
    );
    let r = expect(&store, &["log", "--since", "2 fortnights ago"], 2);
    assert!(
        r.stderr.contains("2 hours ago"),
        "the message shows the form: {}",
        r.stderr
    );
}

#[test]
fn log_follow_waits_for_a_dataset_that_does_not_exist_yet() {
    let (tmp, store) = new_store();
    ok(
        &store,
        &["upload", "other", &file(tmp.path(), "t.csv", SMALL)],
    );
    let mut follower = Child::spawn(
        strata_process(&store)
            .args(["log", "--follow", "--dataset", "later", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let lines = line_reader(follower.0.stdout.take().unwrap());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        follower.0.try_wait().unwrap().is_none(),
        "the follower exited instead of waiting for `later`"
    );
    ok(
        &store,
        &[
            "upload",
            "other",
            &file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN),
            "--overwrite",
        ],
    );
    ok(
        &store,
        &["upload", "later", &file(tmp.path(), "t.csv", SMALL)],
    );
    let line = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("the follower printed the new dataset's event");
    let event: Value = serde_json::from_str(&line).unwrap();
    drop(follower);
    assert_eq!(event["dataset"], "later");
    assert_eq!(event["seq"], 3);
    expect(&store, &["log", "--dataset", "later2"], 2);
}

#[test]
fn a_note_or_column_name_with_newlines_and_escapes_cannot_forge_log_lines() {
    let (tmp, store) = new_store();
    let forged = "ok\n#9     2024-05-01T12:00:00Z  rollback  d  root  rolled back\x1b[2K";
    let columns = file(tmp.path(), "t.csv", b"\"a\nb\x1b[1A\",c\n1,2\n");
    ok(&store, &["upload", "d", &columns, "--note", forged]);
    let text = ok(&store, &["log"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one event, nothing forged:\n{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(
        lines[0].contains("ok\\n#9     2024-05-01T12:00:00Z  rollback"),
        "{text}"
    );
    let show = ok(&store, &["show", "d"]);
    assert!(!show.contains('\x1b'), "{show:?}");
    assert!(show.contains("a\\nb\\u{1b}[1A"), "{show}");
    // JSON keeps the exact strings (JSON escapes them itself).
    let json = json_one(&ok(&store, &["log", "--json"]));
    assert_eq!(json["note"], forged);
}

#[test]
fn an_actor_or_dataset_name_with_a_control_character_is_refused_with_exit_2() {
    let (tmp, store) = new_store();
    let t = file(tmp.path(), "t.csv", SMALL);
    let r = expect(&store, &["upload", "d", &t, "--actor", "root\nx"], 2);
    assert!(r.stderr.contains("root\\nx"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = expect(&store, &["upload", "a\x1b[31mb", &t], 2);
    assert!(r.stderr.contains("control character"), "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    expect(&store, &["upload", " d", &t], 2);
    assert!(ok(&store, &["log", "--json"]).is_empty());
}

/// Writes `len` non-zero bytes right after the last record of the only segment: a torn tail.
fn tear_the_tail(store: &std::path::Path, len: usize) -> usize {
    let end = json_lines(&ok(store, &["dump", "--json"]))
        .iter()
        .find(|item| item["item"] == "end")
        .and_then(|item| item["offset"].as_u64())
        .unwrap() as usize;
    let path = segment_path(store);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[end..end + len].fill(7);
    std::fs::write(&path, bytes).unwrap();
    end
}

#[test]
fn a_torn_tail_cut_is_announced_by_the_command_that_cuts_it_and_listed_by_log() {
    let (tmp, store) = new_store();
    let t = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "a", &t]);
    let offset = tear_the_tail(&store, 10);
    let r = expect(&store, &["upload", "b", &t], 0);
    assert!(
        r.stderr.contains(&format!(
            "notice: a torn tail (an interrupted write) was cut before this write: 10 bytes at offset {offset}"
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("recorded as record 2"), "{}", r.stderr);
    // A later write has nothing to cut, and says nothing.
    let again = expect(&store, &["upload", "c", &t], 0);
    assert!(!again.stderr.contains("torn"), "{}", again.stderr);

    let text = ok(&store, &["log"]);
    let seqs: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(seqs, ["#1", "#2", "#3", "#4"], "no gap:\n{text}");
    let cut = text.lines().nth(1).unwrap();
    assert!(cut.contains("torn_cut"), "{cut}");
    assert!(
        cut.contains(&format!(
            "(log) torn tail cut: segment 0, offset {offset}, 10 bytes dropped"
        )),
        "{cut}"
    );
    let json = json_lines(&ok(&store, &["log", "--json"]));
    assert_eq!(json[1]["type"], "torn_cut");
    assert_eq!(json[1]["system"], true);
    assert_eq!(json[1]["details"]["bytes_dropped"], 10);

    let hidden = ok(&store, &["log", "--no-system"]);
    assert_eq!(hidden.lines().count(), 3, "{hidden}");
    assert!(!hidden.contains("torn_cut"), "{hidden}");
    let by_dataset = ok(&store, &["log", "--dataset", "b"]);
    assert_eq!(by_dataset.lines().count(), 1, "{by_dataset}");
}

#[test]
fn a_torn_tail_cut_is_announced_as_json_on_stderr_under_json() {
    let (tmp, store) = new_store();
    let t = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "a", &t]);
    tear_the_tail(&store, 5);
    let r = expect(&store, &["upload", "b", &t, "--json"], 0);
    let notice: Value = serde_json::from_str(r.stderr.lines().next().unwrap()).unwrap();
    assert_eq!(notice["notice"]["kind"], "torn_tail_cut");
    assert_eq!(notice["notice"]["seq"], 2);
}
