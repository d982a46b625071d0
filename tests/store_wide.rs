//! Wide tables: an overwrite of a table with thousands of columns, all renamed, decides in
//! linear-ish time (drift classification used to grow with the square of the width, holding
//! the writer lock), and `history` and `diff` read the drift stored in the upload's event.

mod common;

use common::{new_store, overwrite, upload};
use std::time::Instant;
use strata::schema::SchemaDriftPolicy;

/// A CSV table of `columns` columns named `<prefix><i>`, with two rows.
fn wide_table(prefix: &str, columns: usize) -> Vec<u8> {
    let header: Vec<String> = (0..columns).map(|i| format!("{prefix}{i:05}")).collect();
    let row: Vec<String> = (0..columns).map(|i| i.to_string()).collect();
    format!(
        "{}\n{}\n{}\n",
        header.join(","),
        row.join(","),
        row.join(",")
    )
    .into_bytes()
}

#[test]
fn overwriting_a_table_of_6000_renamed_columns_takes_seconds_not_minutes() {
    let (_dir, store) = new_store();
    let v1 = wide_table("measure_", 6000);
    let v2 = wide_table("Measure ", 6000);
    store
        .save_upload(upload("wide", &[("t.csv", &v1)]))
        .unwrap();
    let started = Instant::now();
    let outcome = store
        .save_upload(overwrite(
            "wide",
            &[("t.csv", &v2)],
            SchemaDriftPolicy::Allow,
        ))
        .unwrap();
    let took = started.elapsed();
    let drift = outcome.drift.unwrap();
    let table = &drift.changed_tables[0];
    assert_eq!(
        (table.removed_columns.len(), table.added_columns.len()),
        (6000, 6000)
    );
    assert_eq!(
        table.rename_candidates.len(),
        6000,
        "each is its normalized twin"
    );
    // Quadratic classification took 30 s for this in a release build; a debug build of the
    // linear one takes well under a second here.
    assert!(took.as_secs() < 20, "the overwrite took {took:?}");

    let history = store.history("wide").unwrap();
    assert_eq!(history.versions[1].changes.as_ref(), Some(&drift));
    let (old, new) = (
        store.version("wide", &"1".parse().unwrap()).unwrap(),
        store.version("wide", &"2".parse().unwrap()).unwrap(),
    );
    assert_eq!(new.previous_active, Some(1));
    assert_eq!(new.drift_from(&old), drift);
}

#[test]
fn the_stored_drift_is_used_only_against_the_version_active_before() {
    let (_dir, store) = new_store();
    let (a, b, c) = (
        b"x,y\n1,2\n".as_slice(),
        b"x,y,z\n1,2,3\n".as_slice(),
        b"x\n1\n".as_slice(),
    );
    store.save_upload(upload("d", &[("t.csv", a)])).unwrap();
    store
        .save_upload(overwrite("d", &[("t.csv", b)], SchemaDriftPolicy::Allow))
        .unwrap();
    store
        .rollback_to_version("d", "1", "tester", "a test rollback")
        .unwrap();
    store
        .save_upload(overwrite("d", &[("t.csv", c)], SchemaDriftPolicy::Allow))
        .unwrap();
    let version = |n: &str| store.version("d", &n.parse().unwrap()).unwrap();
    let (v1, v2, v3) = (version("1"), version("2"), version("3"));
    assert_eq!(
        v3.previous_active,
        Some(1),
        "version 1 was active when 3 was uploaded"
    );
    // Against version 1 the stored drift; against version 2 (not active before 3) a fresh one.
    assert_eq!(v3.drift_from(&v1), v3.drift.clone().unwrap());
    let from_v2 = v3.drift_from(&v2);
    assert_ne!(from_v2, v3.drift.clone().unwrap());
    assert_eq!(
        from_v2.changed_tables[0].removed_columns.len(),
        2,
        "y and z"
    );
    let history = store.history("d").unwrap();
    assert_eq!(history.versions[2].changes.as_ref(), Some(&from_v2));
    // What is stored is what is shown: not recomputed.
    let mut marked = v3.clone();
    let marker = strata::schema::SchemaDrift {
        added_tables: vec!["stored".into()],
        ..Default::default()
    };
    marked.drift = Some(marker.clone());
    assert_eq!(marked.drift_from(&v1), marker);
    assert_eq!(marked.drift_from(&v2), from_v2);
}
