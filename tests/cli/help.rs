//! `--help` examples, `strata completions` and `strata man`: all generated from the clap
//! definitions.

use crate::support::*;

/// Every subcommand, as `strata --help` lists them.
fn commands() -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let help = ok(tmp.path(), &["--help"]);
    let listed: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect();
    assert!(listed.len() >= 18, "{help}");
    listed
}

#[test]
fn every_command_help_has_examples_of_that_command() {
    let tmp = tempfile::tempdir().unwrap();
    for command in commands() {
        let help = ok(tmp.path(), &[&command, "--help"]);
        let examples: Vec<&str> = help
            .lines()
            .skip_while(|l| *l != "Examples:")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(
            !examples.is_empty(),
            "{command} --help has no examples:\n{help}"
        );
        for example in examples {
            let words: Vec<&str> = example
                .split_whitespace()
                .skip_while(|w| w.contains('='))
                .collect();
            assert_eq!(words[0], "strata", "{command}: {example}");
            assert!(words.contains(&command.as_str()), "{command}: {example}");
        }
    }
}

#[test]
fn completions_are_generated_for_each_shell_and_know_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(tmp.path(), &["completions", shell]);
        for word in ["upload", "check-query", "lock-timeout", "dataset"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let bash = ok(tmp.path(), &["completions", "bash"]);
    let path = tmp.path().join("strata.bash");
    std::fs::write(&path, bash).unwrap();
    if let Ok(status) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
    {
        assert!(
            status.success(),
            "the bash completion script does not parse"
        );
    }
    expect(tmp.path(), &["completions", "tcsh-ish"], 2);
}

#[test]
fn the_man_page_is_roff_for_strata_and_for_each_command() {
    let tmp = tempfile::tempdir().unwrap();
    let page = ok(tmp.path(), &["man"]);
    assert!(page.contains(".TH strata 1"), "{page}");
    for command in commands() {
        // roff writes a hyphen as `\-`.
        let roff = command.replace('-', "\\-");
        assert!(page.contains(&roff), "the man page lacks {command}");
        let sub = ok(tmp.path(), &["man", &command]);
        assert!(sub.contains(&format!(".TH strata-{command} 1")), "{sub}");
    }
    let upload = ok(tmp.path(), &["man", "upload"]);
    assert!(upload.contains("override\\-drift"), "{upload}");
    let r = expect(tmp.path(), &["man", "nope"], 2);
    assert!(r.stderr.contains("no command `nope`"), "{}", r.stderr);
}
