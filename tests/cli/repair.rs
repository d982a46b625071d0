//! `strata repair`.

use crate::support::*;

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

/// A store of three uploads, an unsigned checkpoint after them (kept as `held.checkpoint`,
/// as an auditor would), and the first upload's event damaged. Returns the held file.
fn damaged_before_a_checkpoint(tmp: &Path, store: &Path) -> String {
    for name in ["a", "b", "c"] {
        ok(store, &["upload", name, &file(tmp, "t.csv", SMALL)]);
    }
    let note = ok(store, &["checkpoint"]);
    let held = path_str(&tmp.join("held.checkpoint"));
    std::fs::write(&held, note).unwrap();
    let records = json_lines(&ok(store, &["dump", "--json"]));
    let offset = records[2]["offset"].as_u64().unwrap();
    flip_byte(&segment_path(store), offset + 40);
    held
}

fn store_bytes(store: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![store.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn repair_refuses_to_cut_checkpointed_records_naming_the_checkpoints_and_changes_nothing() {
    let (tmp, store) = new_store();
    damaged_before_a_checkpoint(tmp.path(), &store);
    let before = store_bytes(&store);
    let refused = expect(&store, &["repair", "--yes"], 1);
    assert!(
        refused.stdout.contains("refused: the cut at seq 2"),
        "{}",
        refused.stdout
    );
    assert!(
        refused
            .stdout
            .contains("checkpoint record seq 4: covers records 1 to 3"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("unsigned"), "{}", refused.stdout);
    assert!(
        refused.stdout.contains("--cut-checkpointed"),
        "{}",
        refused.stdout
    );
    // Refused before the confirmation: no terminal and no --yes is no different.
    let without_yes = run(strata(&store).arg("repair").write_stdin(""));
    assert_eq!(without_yes.code, 1, "{}", without_yes.stderr);
    let json = json_one(&expect(&store, &["repair", "--yes", "--json"], 1).stdout);
    assert_eq!(json["status"], "refused");
    assert_eq!(json["seq"], 2);
    assert_eq!(json["checkpoints"][0]["seq"], 4);
    assert_eq!(json["checkpoints"][0]["size"], 3);
    assert_eq!(json["checkpoints"][0]["signed"], false);
    assert_eq!(
        store_bytes(&store),
        before,
        "a refused repair changes no byte"
    );
}

#[test]
fn repair_with_cut_checkpointed_records_the_checkpoints_and_verify_trusted_names_the_repair() {
    let (tmp, store) = new_store();
    let held = damaged_before_a_checkpoint(tmp.path(), &store);
    let repaired = json_one(&ok(
        &store,
        &["repair", "--yes", "--cut-checkpointed", "--json"],
    ));
    assert_eq!(repaired["status"], "repaired");
    assert_eq!(repaired["repair_seq"], 2);
    assert_eq!(repaired["checkpoints_cut"][0]["seq"], 4);
    assert_eq!(repaired["checkpoints_cut"][0]["size"], 3);
    ok(&store, &["verify"]);
    let trusted = expect(&store, &["verify", "--trusted", &held], 3);
    assert!(
        trusted
            .stdout
            .contains("the log was repaired at seq 2 (repair record 2)"),
        "{}",
        trusted.stdout
    );
    assert!(
        trusted.stdout.contains("seq 4 of 3 records"),
        "{}",
        trusted.stdout
    );
}
