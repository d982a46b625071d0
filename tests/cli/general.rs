//! What every command shares: where the store is, usage errors and help, unknown datasets, colour.

use crate::support::*;

/// The commands that create a store rather than need one (`demo` builds its own).
const COMMANDS_THAT_CREATE_A_STORE: [&str; 2] = ["init", "demo"];

/// Commands that read no store: `strata user` manages the users file of `strata serve`.
const COMMANDS_WITHOUT_A_STORE: [&str; 1] = ["user"];

#[test]
fn commands_without_a_store_exit_2_with_a_hint_to_run_init_and_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere");
    let csv = file(tmp.path(), "t.csv", SMALL);
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
        vec!["rollback", "d", "1", "--yes"],
        vec!["repair", "--yes"],
        vec!["check-query", "d", "--sql", "SELECT 1"],
        vec!["snapshot"],
        vec!["serve", "--bind", "127.0.0.1:0"],
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
