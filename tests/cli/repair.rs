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
