//! What every command shares: where the store is, usage errors and help, unknown datasets, colour.

use crate::support::*;

/// The commands that create a store rather than need one (`demo` builds its own).
const COMMANDS_THAT_CREATE_A_STORE: [&str; 2] = ["init", "demo"];

/// Commands that read no store: the users file of `strata serve`, and what is generated from
/// the command-line definitions.
const COMMANDS_WITHOUT_A_STORE: [&str; 5] = [
    "user",
    "completions",
    "man",
    "verify-proof",
    "verify-consistency",
];

#[test]
fn commands_without_a_store_exit_2_with_a_hint_to_run_init_and_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere");
    let csv = file(tmp.path(), "t.csv", SMALL);
    let key = tmp.path().join("signing.key").display().to_string();
    let runs: Vec<Vec<&str>> = vec![
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
        vec!["rollback", "d", "1", "--reason", "a test rollback", "--yes"],
        vec!["repair", "--yes"],
        vec!["check-query", "d", "--sql", "SELECT 1"],
        vec!["snapshot"],
        vec!["policy", "show"],
        vec!["gc", "--dry-run"],
        vec!["find", &csv],
        vec!["serve", "--bind", "127.0.0.1:0"],
        vec!["keygen", &key],
        vec!["checkpoint"],
        vec!["prove", "--seq", "1"],
        vec!["consistency", &csv],
        vec!["audit-export", "d"],
        vec!["query", "d", "SELECT 1"],
        vec!["materialize", "d"],
        vec!["export", "d", "--out", "exported"],
    ];
    for command in clap_commands() {
        assert!(
            COMMANDS_THAT_CREATE_A_STORE.contains(&command.as_str())
                || COMMANDS_WITHOUT_A_STORE.contains(&command.as_str())
                || runs.iter().any(|args| args[0] == command),
            "`strata {command}` is not run without a store here"
        );
    }
    for args in runs {
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
    assert!(
        !Path::new(&key).exists(),
        "keygen without a store wrote no key"
    );
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
    for command in clap_commands() {
        let out = ok(tmp.path(), &[&command, "--help"]);
        assert!(out.contains("docs/CLI.md"), "{command} --help:\n{out}");
    }
    assert!(ok(tmp.path(), &["--help"]).contains("Exit codes"));
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

/// A command's output on a terminal: its exit code and whether standard output and standard
/// error hold colour.
fn colours_on_a_terminal(store: &Path, args: &[&str], no_color: Option<&str>) -> (i32, bool, bool) {
    let mut cmd = strata_process(store);
    cmd.env_remove("NO_COLOR").args(args);
    if let Some(value) = no_color {
        cmd.env("NO_COLOR", value);
    }
    let r = run_on_terminal(cmd);
    (
        r.code,
        has_sgr_sequence(&r.stdout),
        has_sgr_sequence(&r.stderr),
    )
}

/// Piped output has no colour whatever `NO_COLOR` says (the test above), so colour is checked
/// where it is drawn: on a pseudo-terminal, where `NO_COLOR` set to anything but the empty
/// string turns it off (no-color.org: an empty value is as if unset).
#[test]
fn output_on_a_terminal_is_coloured_unless_no_color_is_set_and_not_empty() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let breaking = file(tmp.path(), "t.csv", SMALL_BREAKING);
    // (arguments, exit code, coloured standard output, coloured standard error) on a terminal.
    let runs: Vec<(Vec<&str>, i32, bool, bool)> = vec![
        (vec!["datasets"], 0, true, false),
        (vec!["history", "d", "--events"], 0, true, false),
        (vec!["show", "d"], 0, true, false),
        (vec!["log"], 0, true, false),
        (vec!["verify"], 0, true, false),
        (vec!["dump"], 0, true, false),
        (vec!["stat"], 0, true, false),
        (vec!["upload", "d", &breaking, "--overwrite"], 1, true, true),
        (vec!["history", "nope"], 2, false, true),
    ];
    for (args, code, stdout, stderr) in runs {
        for unset in [None, Some("")] {
            let coloured = colours_on_a_terminal(&store, &args, unset);
            assert_eq!(
                coloured,
                (code, stdout, stderr),
                "{args:?} with NO_COLOR={unset:?}"
            );
        }
        for set in ["1", "0", "no"] {
            let coloured = colours_on_a_terminal(&store, &args, Some(set));
            assert_eq!(
                coloured,
                (code, false, false),
                "{args:?} with NO_COLOR={set:?}"
            );
        }
    }
}

#[test]
fn an_empty_strata_dir_counts_as_unset_and_never_breaks_store() {
    let (tmp, store) = new_store();
    let mut with_store = strata(&store);
    with_store.env("STRATA_DIR", "").arg("datasets");
    let r = run(&mut with_store);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no datasets yet"), "{}", r.stdout);

    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let mut init = Command::cargo_bin("strata").unwrap();
    init.env("STRATA_DIR", "").current_dir(&cwd).arg("init");
    assert_eq!(run(&mut init).code, 0);
    assert!(cwd.join("strata-store").join("log").is_dir());
}

#[test]
fn store_given_twice_takes_the_last_one() {
    let (tmp, store) = new_store();
    let elsewhere = tmp.path().join("nowhere");
    let mut cmd = Command::cargo_bin("strata").unwrap();
    cmd.env_remove("STRATA_DIR")
        .arg("--store")
        .arg(&elsewhere)
        .arg("datasets")
        .arg("--store")
        .arg(&store);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no datasets yet"), "{}", r.stdout);
    let mut reversed = Command::cargo_bin("strata").unwrap();
    reversed
        .env_remove("STRATA_DIR")
        .args([
            "--store",
            &path_str(&store),
            "--store",
            &path_str(&elsewhere),
        ])
        .arg("datasets");
    let r = run(&mut reversed);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&path_str(&elsewhere)), "{}", r.stderr);
}

/// Holds the store's writer lock (as a writing process does) until dropped.
fn hold_writer_lock(store: &Path) -> std::fs::File {
    let lock = std::fs::File::open(store.join("log").join("LOCK")).unwrap();
    fs2::FileExt::lock_exclusive(&lock).unwrap();
    lock
}

#[test]
fn a_lock_timeout_is_set_by_option_or_environment_and_named_in_the_message() {
    let (tmp, store) = new_store();
    let csv = file(tmp.path(), "t.csv", SMALL);
    let _held = hold_writer_lock(&store);
    let started = std::time::Instant::now();
    let r = expect(&store, &["upload", "d", &csv, "--lock-timeout", "300ms"], 2);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        r.stderr
            .contains("timed out after 300 ms waiting for the writer lock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--lock-timeout"), "{}", r.stderr);
    assert!(r.stderr.contains("STRATA_LOCK_TIMEOUT"), "{}", r.stderr);

    let mut by_env = strata(&store);
    by_env
        .env("STRATA_LOCK_TIMEOUT", "1s")
        .args(["upload", "d", &csv, "--json"]);
    let r = run(&mut by_env);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let error: Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(error["error"]["kind"], "busy");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("timed out after 1 s waiting"),
        "{error}"
    );
}

#[test]
fn a_lock_timeout_that_is_not_a_duration_is_a_usage_error() {
    let (_tmp, store) = new_store();
    let r = expect(&store, &["datasets", "--lock-timeout", "soon"], 2);
    assert!(
        r.stderr.contains("`soon` is not a duration"),
        "{}",
        r.stderr
    );
    let mut by_env = strata(&store);
    by_env.env("STRATA_LOCK_TIMEOUT", "10x").arg("datasets");
    let r = run(&mut by_env);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("STRATA_LOCK_TIMEOUT: `10x` is not a duration"),
        "{}",
        r.stderr
    );
}

#[test]
fn under_json_an_error_is_one_json_object_on_stderr_and_exit_codes_stay() {
    let (tmp, store) = new_store();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["history", "nope", "--json"], 2, "not_found"),
        (vec!["--json", "show", "nope"], 2, "not_found"),
        (vec!["log", "--since", "whenever", "--json"], 2, "invalid"),
        (vec!["no-such-command", "--json"], 2, "invalid"),
    ];
    for (args, code, kind) in cases {
        let r = expect(&store, &args, code);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        let error: Value = serde_json::from_str(&r.stderr).unwrap();
        assert_eq!(error["error"]["kind"], kind, "{args:?}: {error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
    let csv = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "d", &csv]);
    let r = expect(&store, &["upload", "d", &csv, "--json"], 1);
    let refused = json_one(&r.stdout);
    assert_eq!(refused["status"], "refused");
    let missing = tmp.path().join("missing");
    let r = expect(&missing, &["datasets", "--json"], 2);
    let error: Value = serde_json::from_str(&r.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "not_found");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("strata init"));
}

#[test]
fn messages_name_versions_and_instants_as_people_say_them() {
    let (tmp, store) = new_store();
    let csv = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "d", &csv]);
    ok(
        &store,
        &[
            "upload",
            "d",
            &file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN),
            "--overwrite",
        ],
    );
    let r = expect(&store, &["show", "d@7"], 2);
    assert!(
        r.stderr.contains("(it has versions 1 and 2)"),
        "{}",
        r.stderr
    );
    let r = expect(&store, &["show", "d@2020-01-01"], 2);
    assert!(
        r.stderr.contains("no version `as of 2020-01-01`"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("..="), "{}", r.stderr);
    assert!(!r.stderr.contains("+00:00"), "{}", r.stderr);
}
