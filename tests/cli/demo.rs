//! `strata demo`.

use crate::support::*;

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

#[test]
fn demo_builds_in_the_store_given_and_its_closing_hints_run_as_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my demo");
    let out = ok(&dir, &["demo"]);
    assert!(dir.join("log").is_dir(), "--store was not honoured:\n{out}");
    let closing = &out[out.find("done. ").expect("closing text")..];
    assert!(
        closing.contains("The store is kept at '"),
        "the path with a space is quoted: {closing}"
    );
    assert!(!closing.contains("temporary"), "{closing}");
    let hints: Vec<&str> = closing
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect();
    assert_eq!(hints.len(), 3, "{closing}");
    for hint in hints {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(hint)
            .env_remove("STRATA_DIR")
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "`{hint}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stdout.is_empty(), "`{hint}` printed nothing");
    }
}

#[test]
fn demo_without_a_store_says_its_temporary_store_is_kept_and_how_to_remove_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("strata").unwrap();
    cmd.env_remove("STRATA_DIR")
        .env("TMPDIR", tmp.path())
        .current_dir(tmp.path())
        .arg("demo");
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let kept = r.stdout.lines().find(|l| l.starts_with("done. ")).unwrap();
    assert!(kept.contains("(a temporary directory: `rm -r "), "{kept}");
    let made: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].join("log").is_dir());
    assert!(kept.contains(&path_str(&made[0])), "{kept}");
    assert!(!tmp.path().join("strata-store").exists());
}
