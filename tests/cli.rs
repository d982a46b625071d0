//! The `strata` command line, run as real processes against real stores: outcomes, JSON
//! shapes, exit codes, refusals, verification of damaged stores, following the log, closed
//! pipes and colour.

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

mod common;

use common::{data, SMALL, SMALL_BREAKING, SMALL_PLUS_COLUMN};

/// `strata --store <store>`, with a fixed actor and no inherited store location.
fn strata(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("strata").unwrap();
    cmd.env_remove("STRATA_DIR")
        .env("USER", "tester")
        .arg("--store")
        .arg(store);
    cmd
}

/// A `std::process::Command` for the binary, for processes that outlive one call.
fn strata_process(store: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.env_remove("STRATA_DIR")
        .env("USER", "tester")
        .arg("--store")
        .arg(store);
    cmd
}

/// The output of a finished command.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `strata --store <store> args...` and expects exit code `code`.
fn expect(store: &Path, args: &[&str], code: i32) -> Run {
    let r = run(strata(store).args(args));
    assert_eq!(
        r.code, code,
        "strata {args:?} exited {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
        r.code, r.stdout, r.stderr
    );
    r
}

/// Runs a command that must succeed and returns its standard output.
fn ok(store: &Path, args: &[&str]) -> String {
    expect(store, args, 0).stdout
}

/// Parses JSON Lines.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The single JSON object a command printed.
fn json_one(stdout: &str) -> Value {
    let mut lines = json_lines(stdout);
    assert_eq!(lines.len(), 1, "expected one JSON line, got:\n{stdout}");
    lines.remove(0)
}

/// A new store in a temporary directory (`<tmp>/store`).
fn new_store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    ok(&store, &["init"]);
    (tmp, store)
}

/// Writes `bytes` to `<dir>/<name>` and returns the path as a string.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let sub = dir.join(format!("files-{}", uuid_like()));
    std::fs::create_dir_all(&sub).unwrap();
    let path = sub.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

/// A unique suffix without extra dependencies.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Flips every bit of the byte at `offset` of `path`.
fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

fn segment_path(store: &Path) -> PathBuf {
    store.join("log").join("00000000000000000001.seg")
}

/// Where FORMAT.md puts the blob with this hex content hash.
fn blob_path(store: &Path, content_hash: &Value) -> PathBuf {
    let hash = content_hash.as_str().unwrap();
    store.join("blobs/sha256").join(&hash[..2]).join(&hash[2..])
}

/// Uploads penguins-raw.csv as `penguins` (version 1).
fn upload_penguins(store: &Path) -> Value {
    let raw = path_str(&data("penguins-raw.csv"));
    json_one(&ok(store, &["upload", "penguins", &raw, "--json"]))
}

/// A child process that is killed if the test ends (or fails) before it exits.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Child {
    fn spawn(cmd: &mut std::process::Command) -> Child {
        Child(cmd.spawn().unwrap())
    }

    /// Waits for the exit (failing after 20 s) and returns the exit code and standard error.
    fn finish(&mut self) -> (Option<i32>, String) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the process did not exit within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.0.stderr.take() {
            pipe.read_to_string(&mut stderr).unwrap();
        }
        (status.code(), stderr)
    }
}

/// Reads lines of a child's output on a thread, so that the test can wait with a timeout.
fn line_reader(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

// ---------------------------------------------------------------------------------------
// Store location, init, usage

#[test]
fn init_creates_a_store_and_a_second_init_is_refused_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let created = json_one(&ok(&store, &["init", "--json"]));
    assert_eq!(created["store"], path_str(&store));
    assert_eq!(created["store_id"].as_str().unwrap().len(), 36);
    assert!(store.join("log").is_dir());
    let again = expect(&store, &["init"], 1);
    assert!(again.stderr.starts_with("error: "), "{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn commands_without_a_store_exit_2_with_a_hint_to_run_init_and_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere");
    let csv = file(tmp.path(), "t.csv", SMALL);
    let commands: Vec<Vec<&str>> = vec![
        vec!["datasets"],
        vec!["history", "d"],
        vec!["show", "d"],
        vec!["diff", "d", "1", "2"],
        vec!["log"],
        vec!["verify"],
        vec!["verify", "--deep"],
        vec!["dump"],
        vec!["stat"],
        vec!["upload", "d", &csv],
        vec!["cat", "d"],
        vec!["rollback", "d", "1", "--yes"],
        vec!["repair", "--yes"],
    ];
    for args in commands {
        let r = expect(&missing, &args, 2);
        assert!(
            r.stderr.starts_with("error: no strata store at"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("strata init"), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
        assert!(!missing.exists(), "{args:?} created the store directory");
    }
}

#[test]
fn the_store_is_found_through_strata_dir_and_then_dot_strata_store() {
    let (tmp, store) = new_store();
    let mut by_env = Command::cargo_bin("strata").unwrap();
    by_env.env("STRATA_DIR", &store).arg("datasets");
    let r = run(&mut by_env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no datasets yet"), "{}", r.stdout);

    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let mut init = Command::cargo_bin("strata").unwrap();
    init.env_remove("STRATA_DIR").current_dir(&cwd).arg("init");
    assert_eq!(run(&mut init).code, 0);
    assert!(cwd.join("strata-store").join("log").is_dir());
}

#[test]
fn usage_errors_exit_2() {
    let (_tmp, store) = new_store();
    expect(&store, &["no-such-command"], 2);
    expect(&store, &["upload", "d"], 2);
    let csv = file(store.parent().unwrap(), "t.csv", SMALL);
    let bad_policy = expect(
        &store,
        &["upload", "d", &csv, "--drift-policy", "strict"],
        2,
    );
    assert!(
        bad_policy.stderr.contains("strict"),
        "{}",
        bad_policy.stderr
    );
    expect(&store, &["log", "--type", "nonsense"], 2);
    expect(&store, &["log", "--since", "yesterday-ish"], 2);
}

#[test]
fn every_command_help_points_to_docs_cli_md() {
    let tmp = tempfile::tempdir().unwrap();
    let commands = [
        "init", "upload", "datasets", "history", "show", "diff", "rollback", "cat", "log",
        "verify", "dump", "stat", "repair", "demo",
    ];
    for command in commands {
        let out = ok(tmp.path(), &[command, "--help"]);
        assert!(out.contains("docs/CLI.md"), "{command} --help:\n{out}");
    }
    assert!(ok(tmp.path(), &["--help"]).contains("Exit codes"));
}

// ---------------------------------------------------------------------------------------
// The demo

#[test]
fn demo_tells_the_whole_story_step_by_step_and_leaves_a_valid_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let r = expect(&dir, &["demo", &path_str(&dir)], 0);
    let out = r.stdout;
    let steps = [
        "[1/8]",
        "new dataset: `penguins` version 1",
        "[2/8]",
        "already active: `penguins` version 1",
        "[3/8]",
        "refused: overwrite of `penguins`",
        "schema drift against version 1: breaking",
        "[4/8]",
        "new version: `penguins` version 2",
        "override reason: ",
        "[5/8]",
        "new version: `penguins` version 3",
        "schema drift: additive (+1 col)",
        "column `body_mass_kg` (Float64) added",
        "[6/8]",
        "roll back `penguins` from version 3 to version 1",
        "warning: column `body_mass_kg` (Float64) of table `penguins-raw` does not exist in version 1",
        "rolled back: `penguins` version 1 is active (was version 3)",
        "[7/8]",
        "re-activated: `penguins` version 3",
        "[8/8]",
        "verify: ok",
        "done. The store is kept at",
    ];
    let mut at = 0;
    for step in steps {
        let found = out[at..]
            .find(step)
            .unwrap_or_else(|| panic!("`{step}` missing (in order) from:\n{out}"));
        at += found + step.len();
    }
    assert!(out.contains(&path_str(&dir)));
    let history = json_lines(&ok(&dir, &["history", "penguins", "--json"]));
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["active"], true);
    ok(&dir, &["verify", "--deep"]);
}

#[test]
fn demo_json_reports_every_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let steps = json_lines(&ok(&dir, &["demo", &path_str(&dir), "--json"]));
    let actions: Vec<(u64, &str)> = steps
        .iter()
        .map(|s| (s["step"].as_u64().unwrap(), s["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            (0, "init"),
            (1, "upload"),
            (2, "upload"),
            (3, "upload"),
            (4, "upload"),
            (5, "upload"),
            (6, "rollback"),
            (7, "upload"),
            (8, "verify")
        ]
    );
    let statuses: Vec<&str> = steps[1..8]
        .iter()
        .map(|s| s["result"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "new_dataset",
            "already_active",
            "refused",
            "new_version",
            "new_version",
            "rolled_back",
            "reactivated"
        ]
    );
    assert_eq!(steps[8]["result"]["ok"], true);
}

#[test]
fn demo_refuses_a_directory_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), b"mine").unwrap();
    let r = expect(tmp.path(), &["demo", &path_str(tmp.path())], 2);
    assert!(r.stderr.contains("is not empty"), "{}", r.stderr);
    assert!(!tmp.path().join("log").exists());
}

// ---------------------------------------------------------------------------------------
// Upload

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

    let back = ok(
        &store,
        &[
            "upload",
            "d",
            &file(tmp.path(), "t.csv", SMALL),
            "--overwrite",
        ],
    );
    assert!(back.starts_with("re-activated: `d` version 1"), "{back}");
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

    let text = ok(&store, &["rollback", "b", "1", "--yes"]);
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

// ---------------------------------------------------------------------------------------
// Reading: datasets, history, show, diff

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

#[test]
fn show_lists_tables_columns_types_flags_and_fingerprints() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let show = json_one(&ok(&store, &["show", "penguins@1", "--json"]));
    assert_eq!(show["dataset"], "penguins");
    assert_eq!(show["version"], 1);
    assert_eq!(show["active"], true);
    assert_eq!(show["created_seq"], 1);
    assert_eq!(show["metadata"], Value::Null);
    assert_eq!(show["override_reason"], Value::Null);
    let table = &show["tables"][0];
    assert_eq!(table["name"], "penguins-raw");
    let columns = table["columns"].as_array().unwrap();
    let delta = columns
        .iter()
        .find(|c| c["name"] == "Delta 15 N (o/oo)")
        .unwrap();
    assert_eq!(delta["type"], "Float64");
    assert_eq!(delta["nullable"], true);
    let text = ok(&store, &["show", "penguins"]);
    assert!(text.contains("penguins version 1 (active)"), "{text}");
    assert!(text.contains("fingerprint:"), "{text}");
    assert!(text.contains("from penguins-raw.csv"), "{text}");
    assert!(
        text.contains("Delta 15 N (o/oo)") && text.contains("nullable"),
        "{text}"
    );
}

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

#[test]
fn an_unknown_dataset_exits_2_with_a_hint() {
    let (_tmp, store) = new_store();
    for args in [
        vec!["history", "nope"],
        vec!["show", "nope"],
        vec!["cat", "nope"],
    ] {
        let r = expect(&store, &args, 2);
        assert!(r.stderr.contains("no dataset named `nope`"), "{}", r.stderr);
        assert!(r.stderr.contains("strata datasets"), "{}", r.stderr);
    }
}

// ---------------------------------------------------------------------------------------
// Rollback

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
    let r = run(strata(&store).args(["rollback", "d", "1"]).write_stdin(""));
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

    let text = ok(&store, &["rollback", "d", "2", "--yes"]);
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
    let r = run(strata(&store).args(["rollback", "d", "1"]).write_stdin(""));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("already active"), "{}", r.stdout);
    let out = json_one(&ok(&store, &["rollback", "d", "active", "--json"]));
    assert_eq!(out["status"], "already_active");
    assert_eq!(out["seq"], Value::Null);
    assert_eq!(json_lines(&ok(&store, &["log", "--json"])).len(), 1);
}

// ---------------------------------------------------------------------------------------
// Cat

#[test]
fn cat_returns_bytes_identical_to_the_uploaded_file_for_any_version() {
    let (tmp, store) = new_store();
    let v1 = upload_penguins(&store);
    let clean = file(
        tmp.path(),
        "penguins-raw.csv",
        &std::fs::read(data("penguins.csv")).unwrap(),
    );
    ok(
        &store,
        &[
            "upload",
            "penguins",
            &clean,
            "--overwrite",
            "--drift-policy",
            "allow",
        ],
    );
    let raw = std::fs::read(data("penguins-raw.csv")).unwrap();
    let cleaned = std::fs::read(data("penguins.csv")).unwrap();
    let bytes = |args: &[&str]| {
        let output = strata(&store).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        output.stdout
    };
    assert_eq!(bytes(&["cat", "penguins"]), cleaned);
    assert_eq!(bytes(&["cat", "penguins@1"]), raw);
    assert_eq!(bytes(&["cat", "penguins@v2", "penguins-raw"]), cleaned);
    assert_eq!(bytes(&["cat", "penguins@1", "table_0"]), raw);
    let prefix = &v1["hash"].as_str().unwrap()[..8];
    assert_eq!(bytes(&["cat", &format!("penguins@{prefix}")]), raw);
    let created = json_lines(&ok(&store, &["history", "penguins", "--json"]))[0]["created"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(bytes(&["cat", &format!("penguins@{created}")]), raw);
    let before = expect(&store, &["cat", "penguins@2001-01-01T00:00:00Z"], 2);
    assert!(before.stderr.contains("no version"), "{}", before.stderr);

    let target = tmp.path().join("out.csv");
    let written = json_one(&ok(
        &store,
        &[
            "cat",
            "penguins@1",
            "--output",
            &path_str(&target),
            "--json",
        ],
    ));
    assert_eq!(std::fs::read(&target).unwrap(), raw);
    assert_eq!(written["version"], 1);
    assert_eq!(written["byte_len"], raw.len());
    let missing_table = expect(&store, &["cat", "penguins", "nope"], 2);
    assert!(
        missing_table.stderr.contains("no table `nope`"),
        "{}",
        missing_table.stderr
    );
}

#[test]
fn cat_of_a_damaged_blob_exits_2_and_leaves_no_output_file() {
    let (tmp, store) = new_store();
    let v1 = upload_penguins(&store);
    let blob = blob_path(&store, &v1["tables"][0]["content_hash"]);
    flip_byte(&blob, 100);
    let target = tmp.path().join("out.csv");
    let r = expect(
        &store,
        &["cat", "penguins", "--output", &path_str(&target)],
        2,
    );
    assert!(r.stderr.contains("is damaged"), "{}", r.stderr);
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("strata-tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let to_stdout = expect(&store, &["cat", "penguins"], 2);
    assert!(
        to_stdout.stderr.contains("is damaged"),
        "{}",
        to_stdout.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Log

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

/// Spawns `strata --store <store> args...` with its output piped, reads one line, closes the
/// pipe, runs `then` (which may make the process write again) and returns that first line,
/// the exit code and standard error.
fn read_one_line_then_close(
    store: &Path,
    args: &[&str],
    then: impl FnOnce(),
) -> (String, Option<i32>, String) {
    let mut child = Child::spawn(
        strata_process(store)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut reader = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    drop(reader);
    then();
    let (code, stderr) = child.finish();
    (line, code, stderr)
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

#[test]
fn cat_into_a_reader_that_closes_early_exits_0() {
    let (_tmp, store) = new_store();
    // 210 kB: more than a pipe buffer, so the writer meets the closed pipe.
    let airports = path_str(&data("airports.csv"));
    ok(&store, &["upload", "airports", &airports]);
    let (line, code, stderr) = read_one_line_then_close(&store, &["cat", "airports"], || {});
    assert!(line.starts_with("iata,"), "{line}");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// Colour

#[test]
fn output_has_no_escape_bytes_when_piped_or_with_no_color() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    let runs: Vec<Vec<&str>> = vec![
        vec!["datasets"],
        vec!["history", "d", "--events"],
        vec!["show", "d"],
        vec!["log"],
        vec!["verify"],
        vec!["dump"],
        vec!["stat"],
        vec!["upload", "d", &breaking, "--overwrite"],
        vec!["history", "nope"],
    ];
    for args in runs {
        for no_color in [true, false] {
            let mut cmd = strata(&store);
            if no_color {
                cmd.env("NO_COLOR", "1");
            }
            let output = cmd.args(&args).output().unwrap();
            assert!(!output.stdout.contains(&0x1b), "ESC in stdout of {args:?}");
            assert!(!output.stderr.contains(&0x1b), "ESC in stderr of {args:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Verify, dump, stat, repair

#[test]
fn verify_of_a_healthy_store_exits_0_with_an_ok_summary() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let text = ok(&store, &["verify", "--deep"]);
    assert!(text.contains("invariants: ok"), "{text}");
    assert!(text.contains("blobs: 1 checked, 0 damaged"), "{text}");
    assert!(text.trim_end().ends_with("verify: ok"), "{text}");
    let summary = json_one(&ok(&store, &["verify", "--deep", "--json"]));
    assert_eq!(summary["item"], "summary");
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["problems"], 0);
    assert_eq!(summary["segments"], 1);
    assert_eq!(summary["records"], 1);
    assert_eq!(summary["last_seq"], 1);
    assert_eq!(summary["torn_tail"], Value::Null);
    assert_eq!(summary["invariants_checked"], true);
    assert_eq!(summary["deep"], true);
    assert_eq!(summary["blobs_checked"], 1);
}

#[test]
fn verify_reports_a_flipped_segment_byte_with_its_position_and_exits_1() {
    let (tmp, store) = new_store();
    for name in ["a", "b", "c"] {
        ok(&store, &["upload", name, &file(tmp.path(), "t.csv", SMALL)]);
    }
    let records = json_lines(&ok(&store, &["dump", "--json"]));
    let second = records
        .iter()
        .find(|r| r["item"] == "record" && r["seq"] == 2)
        .unwrap();
    let offset = second["offset"].as_u64().unwrap();
    flip_byte(&segment_path(&store), offset + 40);

    let r = expect(&store, &["verify"], 1);
    let problem = r
        .stdout
        .lines()
        .find(|l| l.starts_with("problem:"))
        .unwrap_or_else(|| panic!("no problem line in:\n{}", r.stdout));
    assert!(
        problem.contains("segment 00000000000000000001.seg"),
        "{problem}"
    );
    assert!(problem.contains(&format!("offset {offset}")), "{problem}");
    assert!(problem.contains("seq 2"), "{problem}");
    assert!(problem.contains("checksum"), "{problem}");
    assert!(r.stdout.contains("verify: 1 problem found"), "{}", r.stdout);

    let lines = json_lines(&expect(&store, &["verify", "--json"], 1).stdout);
    let p = &lines[0];
    assert_eq!(p["item"], "problem");
    assert_eq!(p["kind"], "log");
    assert_eq!(p["segment"], "00000000000000000001.seg");
    assert_eq!(p["offset"], offset);
    assert_eq!(p["seq"], 2);
    let summary = lines.last().unwrap();
    assert_eq!(summary["ok"], false);
    assert_eq!(summary["invariants_checked"], false);

    // Other commands refuse a corrupt log with exit 2 and point at verify and repair.
    let refused = expect(&store, &["datasets"], 2);
    assert!(
        refused.stderr.contains("strata verify"),
        "{}",
        refused.stderr
    );
}

#[test]
fn verify_deep_reports_a_flipped_blob_byte_and_exits_1() {
    let (_tmp, store) = new_store();
    let v1 = upload_penguins(&store);
    let blob = blob_path(&store, &v1["tables"][0]["content_hash"]);
    flip_byte(&blob, 1000);
    ok(&store, &["verify"]);
    let r = expect(&store, &["verify", "--deep"], 1);
    let problem = r
        .stdout
        .lines()
        .find(|l| l.starts_with("problem:"))
        .unwrap();
    assert!(problem.contains(&path_str(&blob)), "{problem}");
    assert!(problem.contains("`penguins` version 1"), "{problem}");
    assert!(problem.contains("table `penguins-raw`"), "{problem}");
    assert!(
        r.stdout.contains("blobs: 1 checked, 1 damaged"),
        "{}",
        r.stdout
    );
    let lines = json_lines(&expect(&store, &["verify", "--deep", "--json"], 1).stdout);
    let p = &lines[0];
    assert_eq!(p["kind"], "blob");
    assert_eq!(p["path"], path_str(&blob));
    assert_eq!(p["hash"], v1["tables"][0]["content_hash"]);
    assert_eq!(p["dataset"], "penguins");
    assert_eq!(p["version"], 1);
    assert_eq!(p["table"], "penguins-raw");
}

#[test]
fn dump_shows_segment_headers_records_checksums_and_decoded_events() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    ok(&store, &["rollback", "d", "1", "--yes"]);
    let items = json_lines(&ok(&store, &["dump", "--json"]));
    let segment = &items[0];
    assert_eq!(segment["item"], "segment");
    assert_eq!(segment["segment"], "00000000000000000001.seg");
    assert_eq!(segment["header"]["segment_number"], 0);
    assert_eq!(segment["header"]["base_seq"], 1);
    assert_eq!(segment["header"]["format_version"], 1);
    assert_eq!(segment["defect"], Value::Null);
    let record = &items[1];
    assert_eq!(record["item"], "record");
    assert_eq!(record["offset"], 128);
    assert_eq!(record["seq"], 1);
    assert_eq!(record["type"], "dataset-event");
    assert_eq!(record["type_code"], 256);
    assert_eq!(record["ok"], true);
    assert_eq!(
        record["header_crc"]["stored"],
        record["header_crc"]["computed"]
    );
    assert_eq!(record["body_crc"]["stored"], record["body_crc"]["computed"]);
    assert_eq!(
        record["len"].as_u64().unwrap(),
        32 + record["body_len"].as_u64().unwrap()
    );
    assert_eq!(record["body"]["type"], "upload_created");
    assert_eq!(record["body"]["dataset"], "d");
    let end = items.last().unwrap();
    assert_eq!(end["item"], "end");
    assert_eq!(end["sealed"], false);
    assert_eq!(items.len(), 3, "one segment, one record, one end");

    let from_two = json_lines(&ok(&store, &["dump", "0", "--from", "2", "--json"]));
    assert!(from_two
        .iter()
        .all(|i| i["item"] != "record" || i["seq"] == 2));
    let by_name = ok(&store, &["dump", "00000000000000000001.seg"]);
    assert!(by_name.contains("header: format 1"), "{by_name}");
    assert!(by_name.contains("upload_created `d`"), "{by_name}");
    let unknown = expect(&store, &["dump", "7"], 2);
    assert!(
        unknown.stderr.contains("no segment `7`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn dump_shows_a_damaged_record_and_continues_at_the_next_valid_one() {
    let (tmp, store) = new_store();
    for name in ["a", "b", "c"] {
        ok(&store, &["upload", name, &file(tmp.path(), "t.csv", SMALL)]);
    }
    let before = json_lines(&ok(&store, &["dump", "--json"]));
    let offset = before[2]["offset"].as_u64().unwrap();
    flip_byte(&segment_path(&store), offset + 40);
    let items = json_lines(&ok(&store, &["dump", "--json"]));
    let damaged = items
        .iter()
        .find(|i| i["item"] == "record" && i["ok"] == false)
        .unwrap();
    assert_eq!(damaged["offset"], offset);
    assert_eq!(damaged["seq"], 2);
    assert_ne!(
        damaged["body_crc"]["stored"],
        damaged["body_crc"]["computed"]
    );
    assert!(damaged["defects"][0]
        .as_str()
        .unwrap()
        .contains("body checksum"));
    let skip = items.iter().find(|i| i["item"] == "skip").unwrap();
    assert_eq!(skip["next_seq"], 3);
    assert!(items
        .iter()
        .any(|i| i["item"] == "record" && i["seq"] == 3 && i["ok"] == true));
    let text = ok(&store, &["dump"]);
    assert!(text.contains("DAMAGED: body checksum mismatch"), "{text}");
}

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

#[test]
fn repair_needs_yes_without_a_terminal_and_then_cuts_the_log_at_the_damage() {
    let (tmp, store) = new_store();
    for name in ["a", "b", "c"] {
        ok(&store, &["upload", name, &file(tmp.path(), "t.csv", SMALL)]);
    }
    let nothing = json_one(&ok(&store, &["repair", "--json"]));
    assert_eq!(nothing["status"], "nothing_to_repair");
    let records = json_lines(&ok(&store, &["dump", "--json"]));
    let offset = records[2]["offset"].as_u64().unwrap();
    flip_byte(&segment_path(&store), offset + 40);
    let refused = run(strata(&store).arg("repair").write_stdin(""));
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    expect(&store, &["verify"], 1);

    let repaired = json_one(&ok(&store, &["repair", "--yes", "--json"]));
    assert_eq!(repaired["status"], "repaired");
    assert_eq!(repaired["offset"], offset);
    assert_eq!(repaired["seq"], 2);
    assert_eq!(repaired["repair_seq"], 2);
    assert!(Path::new(repaired["salvage_dir"].as_str().unwrap()).is_dir());
    ok(&store, &["verify"]);
    let names: Vec<String> = json_lines(&ok(&store, &["datasets", "--json"]))
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a"], "only what came before the damage is left");
    let dump = ok(&store, &["dump"]);
    assert!(dump.contains("repair: segment 0 cut at offset"), "{dump}");
}

// ----- check-query, rollback --queries, snapshot ---------------------------------------------

/// penguins-raw as version 1, the cleaned table (as the same table) as version 2.
fn penguins_raw_then_clean(store: &Path, tmp: &Path) {
    upload_penguins(store);
    let cleaned = file(
        tmp,
        "penguins-raw.csv",
        &std::fs::read(data("penguins.csv")).unwrap(),
    );
    let args = [
        "upload",
        "penguins",
        &cleaned,
        "--overwrite",
        "--override-drift",
        "--reason",
        "cleaned",
    ];
    ok(store, &args);
}

const CLEAN_SQL: &str = "SELECT species, AVG(body_mass_g) FROM \"penguins-raw\" GROUP BY species";
const RAW_SQL: &str =
    "SELECT Species,\n AVG(\"Body Mass (g)\") FROM \"penguins-raw\" GROUP BY Species";

#[test]
fn check_query_reports_findings_with_position_and_strict_mode_exits_1() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let clean = expect(
        &store,
        &["check-query", "penguins", "--sql", CLEAN_SQL, "--strict"],
        0,
    );
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);
    let warn = expect(&store, &["check-query", "penguins", "--sql", RAW_SQL], 0);
    assert!(warn.stdout.contains("line 2, column"), "{}", warn.stdout);
    let strict = expect(
        &store,
        &["check-query", "penguins", "--sql", RAW_SQL, "--strict"],
        1,
    );
    assert!(strict.stderr.contains("strict"), "{}", strict.stderr);
    let json = expect(
        &store,
        &["check-query", "penguins", "--sql", RAW_SQL, "--json"],
        0,
    );
    let findings = json_lines(&json.stdout);
    let body_mass = findings
        .iter()
        .find(|f| f["reference"].as_str().unwrap().contains("Body Mass"))
        .unwrap();
    assert_eq!(body_mass["kind"], "unknown_column");
    assert_eq!(body_mass["location"]["line"], 2);
    assert_eq!(body_mass["suggestion"]["last_seen_in_version"], 1);
    assert_eq!(body_mass["version"], 2);
    // Against version 1 the raw query is fine.
    let v1 = expect(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            RAW_SQL,
            "--version",
            "1",
            "--strict",
        ],
        0,
    );
    assert!(
        v1.stdout.contains("version 1: no findings"),
        "{}",
        v1.stdout
    );
}

/// `--at DATE` reads a bare date as `NAME@DATE` does: the version active at the end of that
/// day. At the start of today no version existed yet.
#[test]
fn check_query_at_a_bare_date_means_the_end_of_that_day_like_name_at_date() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let at = ok(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            CLEAN_SQL,
            "--at",
            &today,
        ],
    );
    assert!(at.contains("version 2: no findings"), "{at}");
    let show = json_one(&ok(
        &store,
        &["show", &format!("penguins@{today}"), "--json"],
    ));
    assert_eq!(show["version"], 2);
    let bad = expect(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            CLEAN_SQL,
            "--at",
            "May 1st",
        ],
        2,
    );
    assert!(bad.stderr.contains("is not a time"), "{}", bad.stderr);
}

#[test]
fn check_query_all_versions_gives_the_compatibility_matrix() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let out = ok(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            CLEAN_SQL,
            "--all-versions",
            "--json",
        ],
    );
    let rows: Vec<(u64, bool)> = json_lines(&out)
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["runnable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(1, false), (2, true)]);
}

#[test]
fn check_query_with_sql_that_does_not_parse_or_a_bad_plan_exits_2_saying_where() {
    let (tmp, store) = new_store();
    upload_penguins(&store);
    let bad = expect(
        &store,
        &["check-query", "penguins", "--sql", "SELECT FROM WHERE"],
        2,
    );
    assert!(bad.stderr.contains("Line: 1"), "{}", bad.stderr);
    let plan = file(
        tmp.path(),
        "plan.json",
        br#"{"table": "penguins-raw", "metrics": [{"column": 5, "aggregate": "sum"}]}"#,
    );
    let bad_plan = expect(&store, &["check-query", "penguins", "--plan", &plan], 2);
    assert!(
        bad_plan.stderr.contains("metrics[0].column"),
        "{}",
        bad_plan.stderr
    );
    let good_plan = file(tmp.path(), "plan.json", br#"{"table": "penguins-raw", "metrics": [{"column": "Body Mass (g)", "aggregate": "avg"}], "group_by": ["Species"], "filters": []}"#);
    let good = expect(
        &store,
        &["check-query", "penguins", "--plan", &good_plan, "--strict"],
        0,
    );
    assert!(good.stdout.contains("no findings"), "{}", good.stdout);
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
        &["rollback", "penguins", "2", "--yes", "--queries", &bad],
        2,
    );
    assert!(refused.stderr.contains("entry 0"), "{}", refused.stderr);
}

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
