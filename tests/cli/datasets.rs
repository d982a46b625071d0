//! `strata datasets`.

use crate::support::*;

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
fn find_names_every_dataset_version_and_table_holding_a_files_bytes() {
    let (tmp, store) = new_store();
    let small = file(tmp.path(), "t.csv", SMALL);
    ok(&store, &["upload", "a", &small]);
    let plus = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    ok(&store, &["upload", "a", &plus, "--overwrite"]);
    let renamed = file(tmp.path(), "visits.csv", SMALL);
    ok(&store, &["upload", "b", &renamed, &plus]);

    let found = json_lines(&ok(&store, &["find", &small, "--json"]));
    let holders: Vec<(&str, u64, &str, bool)> = found
        .iter()
        .map(|l| {
            (
                l["dataset"].as_str().unwrap(),
                l["version"].as_u64().unwrap(),
                l["table"].as_str().unwrap(),
                l["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(holders, [("a", 1, "t", false), ("b", 1, "visits", true)]);
    assert_eq!(found[1]["source_file"], "visits.csv");
    let sha = found[0]["content_hash"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(blob_path(&store, &found[0]["content_hash"]).is_file());

    let text = ok(&store, &["find", &small]);
    assert!(text.contains("is 2 tables:"), "{text}");
    let b_line = text.lines().find(|l| l.starts_with("b ")).unwrap();
    assert!(
        b_line.contains("visits.csv") && b_line.ends_with("active"),
        "{text}"
    );

    let elsewhere = file(tmp.path(), "t.csv", SMALL_MORE_ROWS);
    assert!(ok(&store, &["find", &elsewhere, "--json"]).is_empty());
    assert!(ok(&store, &["find", &elsewhere]).contains("is in no version of any dataset"));
    let r = expect(
        &store,
        &["find", &path_str(&tmp.path().join("missing.csv"))],
        2,
    );
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
}
