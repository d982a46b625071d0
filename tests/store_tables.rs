//! Tables named by the caller, and a single table matched to the single table it overwrites.

mod common;

use common::*;
use strata::schema::SchemaDriftPolicy;
use strata::store::{EventKind, UploadStatus};
use strata::{Error, UploadFile, UploadRequest};

fn named(dataset: &str, table: &str, file: &str, bytes: &[u8], overwrite: bool) -> UploadRequest {
    UploadRequest {
        overwrite,
        ..UploadRequest::new(
            dataset,
            vec![UploadFile::from_bytes(file, bytes.to_vec()).as_table(table)],
            "tester",
        )
    }
}

#[test]
fn a_table_named_by_the_caller_keeps_its_name_and_records_the_source_file() {
    let (_dir, store) = new_store();
    let first = store
        .save_upload(named("trial", "visits", "export-2024-04.csv", SMALL, false))
        .unwrap();
    assert_eq!(first.tables[0].name, "visits");
    assert_eq!(first.tables[0].source_file, "export-2024-04.csv");
    let second = store
        .save_upload(named(
            "trial",
            "visits",
            "export-2024-05.csv",
            SMALL_MORE_ROWS,
            true,
        ))
        .unwrap();
    assert_eq!(second.status, UploadStatus::NewVersion);
    assert_eq!(second.tables[0].name, "visits");
    assert_eq!(second.tables[0].table_id, "table_0");
    assert_eq!(second.tables[0].source_file, "export-2024-05.csv");
    let drift = second.drift.unwrap();
    assert!(
        drift.added_tables.is_empty() && drift.removed_tables.is_empty(),
        "{drift:?}"
    );
    assert!(!drift.is_breaking());
}

#[test]
fn a_single_table_under_another_file_name_is_matched_to_the_only_table_and_said_so() {
    let (_dir, store) = new_store();
    store
        .save_upload(upload("penguins", &[("penguins-raw.csv", SMALL)]))
        .unwrap();
    let out = store
        .save_upload(overwrite(
            "penguins",
            &[("penguins.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!(out.status, UploadStatus::NewVersion);
    assert_eq!(out.tables[0].name, "penguins-raw");
    assert_eq!(out.tables[0].source_file, "penguins.csv");
    assert!(
        out.warnings[0]
            .contains("table `penguins` from penguins.csv is uploaded as `penguins-raw`"),
        "{:?}",
        out.warnings
    );
    // The notice is recorded with the version, and the drift has no table change.
    assert!(!out.drift.as_ref().unwrap().is_breaking());
    match store.read_event(out.seq.unwrap()).unwrap().kind {
        EventKind::UploadCreated {
            warnings, tables, ..
        } => {
            assert_eq!(warnings[0], out.warnings[0]);
            assert_eq!(tables[0].source_file, "penguins.csv");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_named_table_is_not_matched_and_two_tables_are_not_matched() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("a.csv", SMALL)])).unwrap();
    let refused = store.save_upload(UploadRequest {
        overwrite: true,
        ..named("d", "b", "a.csv", SMALL_MORE_ROWS, true)
    });
    assert!(
        matches!(refused, Err(Error::DriftRefused { .. })),
        "{refused:?}"
    );
    let two = store.save_upload(overwrite(
        "d",
        &[("x.csv", SMALL_MORE_ROWS), ("y.csv", SMALL)],
        SchemaDriftPolicy::Warn,
    ));
    let two = two.unwrap();
    let names: Vec<&str> = two.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
}

#[test]
fn a_table_name_breaking_the_naming_rules_is_refused() {
    let (_dir, store) = new_store();
    let error = store
        .save_upload(named("d", "vis\nits", "a.csv", SMALL, false))
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(store.log().last_seq(), 0);
}

#[test]
fn metadata_on_an_upload_that_stores_no_new_version_is_refused_not_dropped() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let before = store.log().last_seq();
    for content in [SMALL, SMALL_MORE_ROWS] {
        let request = UploadRequest {
            metadata: Some(serde_json::json!({"export": "june"})),
            ..overwrite("d", &[("t.csv", content)], SchemaDriftPolicy::Reject)
        };
        let error = store.save_upload(request).unwrap_err();
        assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("the metadata would not be recorded"),
            "{error}"
        );
    }
    assert_eq!(store.log().last_seq(), before, "nothing is recorded");
    assert_eq!(store.get_active_version("d").unwrap().version, 2);
    // Without metadata, the same re-activation goes ahead.
    let again = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!(
        (again.status, again.version),
        (UploadStatus::Reactivated, 1)
    );
}
