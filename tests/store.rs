//! The versioned dataset store: uploads, overwrites, drift policy, rollback, history, time
//! travel and invariants, on real sample data.

mod common;

use common::*;
use strata::schema::SchemaDriftPolicy;
use strata::store::{EventKind, UploadStatus};
use strata::{Error, Store, UploadFile, UploadRequest};

#[test]
fn first_upload_creates_a_dataset_at_version_1_with_table_0() {
    let (_dir, store) = new_store();
    let out = store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    assert_eq!((out.status, out.version), (UploadStatus::NewDataset, 1));
    assert_eq!(out.tables.len(), 1);
    let table = &out.tables[0];
    assert_eq!(
        (table.table_id.as_str(), table.name.as_str()),
        ("table_0", "penguins-raw")
    );
    assert_eq!((table.row_count, table.column_count), (344, 17));
    let active = store.get_active_version("penguins").unwrap();
    assert_eq!((active.version, active.hash), (1, out.hash));
    assert_eq!(
        store
            .get_active_version(&out.dataset_id.to_string())
            .unwrap(),
        active
    );
}

#[test]
fn an_existing_name_without_overwrite_is_refused_saying_why() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let last = store.log().last_seq();
    let err = store
        .save_upload(upload("d", &[("t.csv", SMALL_MORE_ROWS)]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::DatasetExists { dataset } if dataset == "d"),
        "{err}"
    );
    // What to type next (`--overwrite`) is the command line's to say (tests/cli/upload.rs).
    let message = err.to_string();
    assert!(
        message.contains("`d` already exists and the upload does not overwrite it"),
        "{message}"
    );
    assert_eq!(store.log().last_seq(), last, "nothing was appended");
}

#[test]
fn an_overwrite_keeps_every_earlier_version_and_its_bytes() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let out = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!((out.status, out.version), (UploadStatus::NewVersion, 2));
    assert_eq!(read_table(&store, "d", "1", None), SMALL);
    assert_eq!(read_table(&store, "d", "2", Some("t")), SMALL_MORE_ROWS);
    assert_eq!(
        read_table(&store, "d", "active", Some("table_0")),
        SMALL_MORE_ROWS
    );
    assert_eq!(store.history("d").unwrap().versions.len(), 2);
}

#[test]
fn identical_content_reactivates_the_existing_version_as_a_rollback_without_a_new_version_or_bytes()
{
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let blobs = blob_files(dir.path());
    let out = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!((out.status, out.version), (UploadStatus::Reactivated, 1));
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
    assert_eq!(store.history("d").unwrap().versions.len(), 2);
    assert_eq!(blob_files(dir.path()), blobs, "no new bytes stored");
    // Recorded as the rollback it is (FORMAT.md, "Drift rules"), the note its reason.
    let last = store.read_event(out.seq.unwrap()).unwrap();
    assert_eq!(
        last.kind,
        EventKind::Rollback {
            from: 2,
            to: 1,
            warnings: Vec::new()
        }
    );
    assert_eq!(last.note, "a test upload");
}

#[test]
fn re_uploading_the_active_content_records_nothing() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let last = store.log().last_seq();
    let out = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!((out.status, out.seq), (UploadStatus::AlreadyActive, None));
    assert_eq!(store.log().last_seq(), last);
}

#[test]
fn the_same_content_under_another_name_warns_with_the_other_name() {
    let (_dir, store) = new_store();
    store
        .save_upload(upload_data("weather", &["seattle-weather.csv"]))
        .unwrap();
    let out = store
        .save_upload(upload_data("weather-copy", &["seattle-weather.csv"]))
        .unwrap();
    assert_eq!(out.status, UploadStatus::NewDataset);
    assert_eq!(out.duplicates.len(), 1);
    assert_eq!(
        (
            out.duplicates[0].dataset_name.as_str(),
            out.duplicates[0].version
        ),
        ("weather", 1)
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("`weather` version 1")),
        "{:?}",
        out.warnings
    );
    let holders = store.find_datasets_by_content_hash(&out.hash);
    assert_eq!(holders.len(), 2);
}

#[test]
fn the_refuse_duplicate_policy_refuses_content_stored_under_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let options = strata::StoreOptions {
        duplicate_policy: strata::store::DuplicatePolicy::Refuse,
        ..options()
    };
    let store = Store::create(dir.path(), options).unwrap();
    store.save_upload(upload("a", &[("t.csv", SMALL)])).unwrap();
    let err = store
        .save_upload(upload("b", &[("t.csv", SMALL)]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateContent { others, .. } if others.contains("`a` version 1")),
        "{err}"
    );
    assert!(store.catalog().find("b").is_none());
}

#[test]
fn breaking_drift_is_refused_and_the_refusal_is_in_the_log() {
    let (_dir, store) = new_store();
    store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    let err = store
        .save_upload(UploadRequest {
            overwrite: true,
            ..upload_with_name("penguins", "penguins.csv", "penguins-raw.csv")
        })
        .unwrap_err();
    let Error::DriftRefused { seq, reason, .. } = &err else {
        panic!("expected a refusal, got {err}")
    };
    assert!(reason.contains("override"), "{reason}");
    assert_eq!(store.get_active_version("penguins").unwrap().version, 1);
    let event = store.read_event(*seq).unwrap();
    let EventKind::OverwriteBlocked { drift, active, .. } = event.kind else {
        panic!("{event:?}")
    };
    assert_eq!(active, 1);
    assert!(drift.is_breaking());
    let removed: Vec<&str> = drift.changed_tables[0]
        .removed_columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        removed.contains(&"Culmen Length (mm)") && removed.contains(&"Species"),
        "{removed:?}"
    );
    let history = store.history("penguins").unwrap();
    assert_eq!(history.versions.len(), 1);
    assert_eq!(
        history.events.len(),
        2,
        "the refusal is part of the dataset's events"
    );
}

/// penguins.csv uploaded under the table name of penguins-raw.csv, so that the two are the
/// same table (the file name gives the table's display name).
fn upload_with_name(dataset: &str, file: &str, as_name: &str) -> UploadRequest {
    UploadRequest::new(
        dataset,
        vec![UploadFile::from_bytes(as_name, data_bytes(file))],
        "tester",
    )
}

#[test]
fn an_override_with_a_reason_proceeds_and_records_it() {
    let (_dir, store) = new_store();
    store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    let request = UploadRequest {
        overwrite: true,
        override_reason: Some("cleaned release 0.1.6".into()),
        ..upload_with_name("penguins", "penguins.csv", "penguins-raw.csv")
    };
    let out = store.save_upload(request).unwrap();
    assert_eq!((out.status, out.version), (UploadStatus::NewVersion, 2));
    assert_eq!(
        out.override_reason.as_deref(),
        Some("cleaned release 0.1.6")
    );
    assert!(out.drift.as_ref().unwrap().is_breaking());
    let EventKind::UploadCreated {
        override_reason, ..
    } = store.read_event(out.seq.unwrap()).unwrap().kind
    else {
        panic!()
    };
    assert_eq!(override_reason.as_deref(), Some("cleaned release 0.1.6"));
    assert_eq!(
        store
            .version("penguins", &"2".parse().unwrap())
            .unwrap()
            .override_reason
            .as_deref(),
        Some("cleaned release 0.1.6")
    );
}

#[test]
fn an_empty_override_reason_does_not_override() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let request = UploadRequest {
        override_reason: Some("  ".into()),
        ..overwrite("d", &[("t.csv", b"id\n1\n")], SchemaDriftPolicy::Reject)
    };
    assert!(matches!(
        store.save_upload(request),
        Err(Error::DriftRefused { .. })
    ));
}

#[test]
fn warn_and_allow_policies_accept_breaking_drift() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let warned = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", b"id,name\n1,a\n")],
            SchemaDriftPolicy::Warn,
        ))
        .unwrap();
    assert_eq!(warned.version, 2);
    assert!(
        warned.warnings.iter().any(|w| w.contains("score")),
        "{:?}",
        warned.warnings
    );
    let allowed = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", b"id\n1\n")],
            SchemaDriftPolicy::Allow,
        ))
        .unwrap();
    assert_eq!(allowed.version, 3);
    assert!(allowed.warnings.is_empty(), "{:?}", allowed.warnings);
}

#[test]
fn additive_drift_proceeds_under_reject_and_reports_the_added_columns() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let out = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_PLUS_COLUMN)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!((out.status, out.version), (UploadStatus::NewVersion, 2));
    assert!(out.drift.as_ref().unwrap().is_additive_only());
    assert!(
        out.warnings.iter().any(|w| w.contains("site")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn rollback_switches_the_active_version_warns_about_removed_columns_and_is_recorded() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_PLUS_COLUMN)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let out = store
        .rollback_to_version("d", "1", "ana", "site column was wrong")
        .unwrap();
    assert_eq!((out.from, out.to), (2, 1));
    assert_eq!(out.warnings.len(), 1);
    assert!(
        out.warnings[0].contains("`site`") && out.warnings[0].contains("version 1"),
        "{:?}",
        out.warnings
    );
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
    let event = store.read_event(out.seq.unwrap()).unwrap();
    assert_eq!(
        event.kind,
        EventKind::Rollback {
            from: 2,
            to: 1,
            warnings: out.warnings.clone()
        }
    );
    assert_eq!(
        (event.actor.as_str(), event.note.as_str()),
        ("ana", "site column was wrong")
    );
    // Nothing was deleted: version 2 is still there and can be made active again.
    assert_eq!(read_table(&store, "d", "2", None), SMALL_PLUS_COLUMN);
    let back = store
        .rollback_to_version("d", "2", "ana", "a test rollback")
        .unwrap();
    assert!(back.warnings.is_empty());
}

/// The rollback event of `out` and the compatibility warnings it recorded.
fn recorded_warnings(store: &Store, out: &strata::store::RollbackOutcome) -> Vec<String> {
    match store.read_event(out.seq.unwrap()).unwrap().kind {
        EventKind::Rollback { warnings, .. } => warnings,
        other => panic!("expected a rollback event, got {other:?}"),
    }
}

#[test]
fn rollback_across_a_type_change_warns_with_the_type_in_each_version() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_BREAKING)],
            SchemaDriftPolicy::Allow,
        ))
        .unwrap();
    let planned = store.plan_rollback("d", "1").unwrap();
    let out = store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .unwrap();
    let expected = ["column `score` of table `t` is Float64 in version 1, not Utf8"];
    assert_eq!(out.warnings, expected);
    assert_eq!(planned.warnings, expected);
    assert_eq!(recorded_warnings(&store, &out), expected);
}

#[test]
fn rollback_across_a_removed_table_warns_that_queries_reading_it_fail() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL), ("sites.csv", b"site,beds\nx,3\n")],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let out = store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .unwrap();
    let expected = ["table `sites` does not exist in version 1: queries that read it will fail"];
    assert_eq!(out.warnings, expected);
    assert_eq!(recorded_warnings(&store, &out), expected);
}

#[test]
fn rollback_warnings_list_removed_tables_then_removed_columns_then_type_changes() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let v2 = [
        (
            "t.csv",
            b"id,name,score,site\n1,ana,high,x\n2,bo,low,y\n" as &[u8],
        ),
        ("sites.csv", b"site\nx\n"),
        ("labs.csv", b"lab\n1\n"),
    ];
    store
        .save_upload(overwrite("d", &v2, SchemaDriftPolicy::Allow))
        .unwrap();
    let out = store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .unwrap();
    assert_eq!(
        out.warnings,
        [
            "table `labs` does not exist in version 1: queries that read it will fail",
            "table `sites` does not exist in version 1: queries that read it will fail",
            "column `site` (Utf8) of table `t` does not exist in version 1: queries that use it will fail",
            "column `score` of table `t` is Float64 in version 1, not Utf8",
        ]
    );
    assert_eq!(recorded_warnings(&store, &out), out.warnings);
}

#[test]
fn rolling_back_to_the_active_version_appends_nothing_and_says_so() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let last = store.log().last_seq();
    let out = store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .unwrap();
    assert_eq!((out.from, out.to, out.seq), (1, 1, None));
    assert_eq!(store.log().last_seq(), last);
}

#[test]
fn unknown_datasets_and_versions_are_errors_that_name_them() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    assert!(
        matches!(store.get_active_version("nope"), Err(Error::UnknownDataset { dataset }) if dataset == "nope")
    );
    let err = store
        .rollback_to_version("d", "7", "ana", "a test rollback")
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownVersion { dataset, version, .. } if dataset == "d" && version == "7"),
        "{err}"
    );
    let err = store
        .rollback_to_version("d", "ffff", "ana", "a test rollback")
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownVersion { version, .. } if version == "ffff"),
        "{err}"
    );
}

#[test]
fn a_short_unique_hash_prefix_names_a_version() {
    let (_dir, store) = new_store();
    let v1 = store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let prefix = &v1.hash.hex()[..8];
    assert_eq!(
        store
            .resolve_version("d", &prefix.parse().unwrap())
            .unwrap(),
        1
    );
    assert_eq!(read_table(&store, "d", prefix, None), SMALL);
}

#[test]
fn the_catalog_after_reopening_equals_the_catalog_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    store
        .save_upload(upload_data("airports", &["airports.csv"]))
        .unwrap();
    store
        .save_upload(overwrite(
            "penguins",
            &[("penguins-raw.csv", b"a\n1\n")],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap_err();
    store
        .rollback_to_version("penguins", "1", "t", "a test rollback")
        .unwrap();
    let before = store.catalog().clone();
    drop(store);
    let reopened = Store::open(dir.path(), options()).unwrap();
    assert_eq!(*reopened.catalog(), before);
    reopened.assert_invariants(true).unwrap();
}

#[test]
fn history_lists_versions_with_changes_and_the_dataset_events() {
    let (_dir, store) = new_store();
    store
        .save_upload(UploadRequest {
            note: "first".into(),
            ..upload("d", &[("t.csv", SMALL)])
        })
        .unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_PLUS_COLUMN)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .unwrap();
    let history = store.history("d").unwrap();
    let v = &history.versions;
    assert_eq!(v.len(), 2);
    assert_eq!(
        (
            v[0].number,
            v[0].active,
            v[0].note.as_str(),
            v[0].actor.as_str()
        ),
        (1, true, "first", "tester")
    );
    assert_eq!(v[0].row_counts, vec![("t".to_owned(), 2)]);
    assert!(v[0].changes.is_none());
    assert!(!v[1].active);
    assert_eq!(
        v[1].changes.as_ref().unwrap().changed_tables[0].added_columns[0].name,
        "site"
    );
    let kinds: Vec<&str> = history.events.iter().map(|(_, e)| e.kind.name()).collect();
    assert_eq!(kinds, ["upload_created", "upload_created", "rollback"]);
}

#[test]
fn time_travel_reads_the_version_active_at_an_instant() {
    let (_dir, store) = new_store();
    let first = store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let t1 = store.read_event(first.seq.unwrap()).unwrap().time();
    let at = |t: chrono::DateTime<chrono::Utc>| strata::VersionRef::At(t);
    assert_eq!(store.resolve_version("d", &at(t1)).unwrap(), 1);
    assert_eq!(
        store.resolve_version("d", &at(chrono::Utc::now())).unwrap(),
        2
    );
    let before = t1 - chrono::Duration::seconds(1);
    assert!(matches!(
        store.resolve_version("d", &at(before)),
        Err(Error::UnknownVersion { .. })
    ));
    let (_, mut reader) = store.open_table("d", &at(t1), None).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
    assert_eq!(bytes, SMALL);
}

#[test]
fn a_malformed_csv_is_refused_with_file_line_and_field_and_nothing_is_written() {
    let (dir, store) = new_store();
    let blobs = blob_files(dir.path());
    let last = store.log().last_seq();
    let err = store
        .save_upload(upload("d", &[("bad.csv", b"a,b\n1,2\n3\n")]))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Ingest { .. }), "{text}");
    assert!(
        text.contains("bad.csv") && text.contains("line 3"),
        "{text}"
    );
    let err = store
        .save_upload(upload("d", &[("latin1.csv", b"a,b\n1,caf\xe9\n")]))
        .unwrap_err();
    assert!(
        err.to_string().contains("latin1.csv") && err.to_string().contains("field 2"),
        "{err}"
    );
    assert_eq!(
        blob_files(dir.path()),
        blobs,
        "no blob, not even a temporary one, is left"
    );
    assert_eq!(store.log().last_seq(), last);
}

#[test]
fn a_multi_table_upload_keeps_table_ids_by_display_name_across_versions() {
    let (_dir, store) = new_store();
    let v1 = store
        .save_upload(upload(
            "study",
            &[("visits.csv", SMALL), ("sites.csv", b"site\nx\n")],
        ))
        .unwrap();
    let ids: Vec<(&str, &str)> = v1
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.table_id.as_str()))
        .collect();
    assert_eq!(ids, [("sites", "table_0"), ("visits", "table_1")]);
    let request = overwrite(
        "study",
        &[
            ("visits.csv", SMALL_MORE_ROWS),
            ("labs.csv", b"lab\n1\n"),
            ("sites.csv", b"site\nx\n"),
        ],
        SchemaDriftPolicy::Reject,
    );
    let v2 = store.save_upload(request).unwrap();
    let ids: Vec<(&str, &str)> = v2
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.table_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("labs", "table_2"),
            ("sites", "table_0"),
            ("visits", "table_1")
        ]
    );
    assert_eq!(
        v2.drift.as_ref().unwrap().added_tables,
        vec!["labs".to_owned()]
    );
}

#[test]
fn table_ids_follow_versions_another_handle_wrote_and_survive_reopening() {
    let (dir, first) = new_store();
    first
        .save_upload(upload(
            "study",
            &[("visits.csv", SMALL), ("sites.csv", b"site\nx\n")],
        ))
        .unwrap();
    // A second handle (as another process would) adds `labs` and `meds`, which take
    // `table_2` and `table_3`, and drops `sites`; the first handle has already named this
    // dataset's tables once, and must not hand `table_2` out again.
    let second = Store::open(dir.path(), options()).unwrap();
    let request = overwrite(
        "study",
        &[
            ("visits.csv", SMALL_MORE_ROWS),
            ("labs.csv", b"lab\n1\n"),
            ("meds.csv", b"med\n1\n"),
        ],
        SchemaDriftPolicy::Allow,
    );
    second.save_upload(request).unwrap();
    let ids = |out: &strata::store::UploadOutcome| -> Vec<(String, String)> {
        out.tables
            .iter()
            .map(|t| (t.name.clone(), t.table_id.clone()))
            .collect()
    };
    let request = overwrite(
        "study",
        &[
            ("meds.csv", b"med\n2\n"),
            ("sites.csv", b"site\ny\n"),
            ("notes.csv", b"note\nz\n"),
        ],
        SchemaDriftPolicy::Allow,
    );
    let v3 = first.save_upload(request).unwrap();
    let expected = [
        ("meds", "table_3"),
        ("notes", "table_4"),
        ("sites", "table_0"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, id)| (n.to_string(), id.to_string()))
        .collect();
    assert_eq!(
        ids(&v3),
        expected,
        "the first handle read the second's version"
    );
    drop((first, second));
    let reopened = Store::open(dir.path(), options()).unwrap();
    let request = overwrite(
        "study",
        &[("visits.csv", SMALL), ("extra.csv", b"e\n1\n")],
        SchemaDriftPolicy::Allow,
    );
    let v4 = reopened.save_upload(request).unwrap();
    let expected: Vec<(String, String)> = [("extra", "table_5"), ("visits", "table_1")]
        .iter()
        .map(|(n, id)| (n.to_string(), id.to_string()))
        .collect();
    assert_eq!(ids(&v4), expected, "a fresh handle reads every version");
}

#[test]
fn version_metadata_is_kept_with_its_version() {
    let (_dir, store) = new_store();
    let meta = serde_json::json!({"aliases": {"score": "outcome"}});
    store
        .save_upload(UploadRequest {
            metadata: Some(meta.clone()),
            ..upload("d", &[("t.csv", SMALL)])
        })
        .unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!(
        store
            .version("d", &"active".parse().unwrap())
            .unwrap()
            .metadata,
        None
    );
    store
        .rollback_to_version("d", "1", "t", "a test rollback")
        .unwrap();
    let current = store
        .version("d", &"active".parse().unwrap())
        .unwrap()
        .metadata
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&current).unwrap(),
        meta
    );
    let not_object = UploadRequest {
        metadata: Some(serde_json::json!([1])),
        ..upload("e", &[("t.csv", SMALL)])
    };
    assert!(matches!(
        store.save_upload(not_object),
        Err(Error::InvalidRequest(_))
    ));
}

#[test]
fn a_damaged_blob_is_caught_when_read_and_by_a_deep_invariant_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), common::blob_file_options()).unwrap();
    let out = store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let path = store.blobs().path(&out.tables[0].content_hash.0);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let (_, mut reader) = store
        .open_table("d", &strata::VersionRef::Active, None)
        .unwrap();
    let err = std::io::Read::read_to_end(&mut reader, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(matches!(
        store.assert_invariants(true),
        Err(Error::BlobMismatch { .. })
    ));
    store.assert_invariants(false).unwrap();
    drop(dir);
}

#[test]
fn writers_with_separate_handles_never_lose_an_update() {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    drop(store);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = Store::open(&path, options()).unwrap();
                let body = format!("id,name,score\n{i},w{i},1.5\n");
                store
                    .save_upload(overwrite(
                        "d",
                        &[("t.csv", body.as_bytes())],
                        SchemaDriftPolicy::Reject,
                    ))
                    .unwrap()
                    .version
            })
        })
        .collect();
    let mut versions: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(versions, [2, 3, 4, 5], "every writer got its own version");
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.history("d").unwrap().versions.len(), 5);
    store.assert_invariants(true).unwrap();
}

/// Every file under `dir` with its bytes.
fn all_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn opening_and_reading_a_store_changes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    Store::create(dir.path(), options()).unwrap();
    let empty = all_files(dir.path());
    Store::open(dir.path(), options()).unwrap();
    assert_eq!(
        all_files(dir.path()),
        empty,
        "opening an empty store wrote something"
    );
    let store = Store::open(dir.path(), options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    drop(store);
    let before = all_files(dir.path());
    let store = Store::open(dir.path(), options()).unwrap();
    store.history("d").unwrap();
    read_table(&store, "d", "1", None);
    store.assert_invariants(true).unwrap();
    drop(store);
    assert_eq!(all_files(dir.path()), before);
}

#[test]
fn a_store_waiting_for_new_events_is_woken_with_its_catalog_caught_up() {
    let (dir, writer) = new_store();
    writer
        .save_upload(upload("a", &[("t.csv", SMALL)]))
        .unwrap();
    let reader = Store::open(dir.path(), options()).unwrap();
    let last = reader.log().last_seq();
    let waiter = std::thread::spawn(move || {
        let outcome = reader.wait_past(last, std::time::Duration::from_secs(30));
        (outcome, reader)
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    writer
        .save_upload(upload("b", &[("u.csv", SMALL_PLUS_COLUMN)]))
        .unwrap();
    let (outcome, reader) = waiter.join().unwrap();
    assert!(outcome.unwrap().appended());
    assert_eq!(reader.get_active_version("b").unwrap().version, 1);
}

#[test]
fn the_timeline_gives_each_active_interval_with_the_events_that_began_and_ended_it() {
    // Blob files: one record per event, so that the sequence numbers below are the events'.
    let _dir = tempfile::tempdir().unwrap();
    let store = Store::create(_dir.path(), blob_file_options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let plus = [("t.csv", SMALL_PLUS_COLUMN)];
    store
        .save_upload(overwrite("d", &plus, SchemaDriftPolicy::Reject))
        .unwrap();
    // A refused overwrite changes nothing in the timeline.
    let breaking = [("t.csv", SMALL_BREAKING)];
    assert!(store
        .save_upload(overwrite("d", &breaking, SchemaDriftPolicy::Reject))
        .is_err());
    store
        .rollback_to_version("d", "1", "bo", "bad export")
        .unwrap();
    let again = store
        .save_upload(overwrite("d", &plus, SchemaDriftPolicy::Reject))
        .unwrap();
    assert_eq!(again.status, UploadStatus::Reactivated);

    let timeline = store.history("d").unwrap().timeline();
    // (version, from seq, from event, (to seq, to event))
    type Span<'a> = (u64, u64, &'a str, Option<(u64, &'a str)>);
    let spans: Vec<Span> = timeline
        .iter()
        .map(|i| {
            let to = i.to.as_ref().map(|m| (m.seq, m.event));
            (i.version, i.from.seq, i.from.event, to)
        })
        .collect();
    assert_eq!(
        spans,
        [
            (1, 1, "upload_created", Some((2, "upload_created"))),
            (2, 2, "upload_created", Some((4, "rollback"))),
            // The re-activation by upload is recorded as a rollback.
            (1, 4, "rollback", Some((5, "rollback"))),
            (2, 5, "rollback", None),
        ]
    );
    assert_eq!(timeline[1].to.as_ref().unwrap().actor, "bo");
    assert!(timeline
        .windows(2)
        .all(|w| w[0].to.as_ref() == Some(&w[1].from)));
}
