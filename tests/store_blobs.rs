//! The blob store's loose ends: a version whose bytes are missing is never made active (and
//! uploading the original file again restores them); failed uploads leave no orphan blob;
//! temporary files of interrupted uploads are removed by the next upload; `stats` and the
//! check report orphans, and garbage collection removes them, never a blob an event refers to.

mod common;

use common::{new_store, overwrite, upload, SMALL, SMALL_MORE_ROWS};
use strata::schema::SchemaDriftPolicy;
use strata::store::UploadStatus;
use strata::{Error, Store};

fn blob_of(store: &Store, dataset: &str, version: &str) -> std::path::PathBuf {
    let info = store.version(dataset, &version.parse().unwrap()).unwrap();
    store.blobs().path(&info.tables[0].content_hash.0)
}

/// A dataset with two versions, the first of whose blob is deleted.
fn store_missing_v1_blob() -> (tempfile::TempDir, Store, std::path::PathBuf) {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let blob = blob_of(&store, "d", "1");
    std::fs::remove_file(&blob).unwrap();
    (dir, store, blob)
}

#[test]
fn a_rollback_to_a_version_whose_blob_is_missing_is_refused_naming_the_table_and_blob() {
    let (_dir, store, blob) = store_missing_v1_blob();
    let events = store.catalog().events;
    let error = store
        .rollback_to_version("d", "1", "tester", "bad export")
        .unwrap_err();
    match &error {
        Error::MissingBlob {
            dataset,
            version,
            table,
            path,
        } => {
            assert_eq!((dataset.as_str(), *version, table.as_str()), ("d", 1, "t"));
            assert_eq!(path, &blob);
        }
        other => panic!("expected MissingBlob, got {other}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("upload the original file again"),
        "{message}"
    );
    assert_eq!(store.get_active_version("d").unwrap().version, 2);
    assert_eq!(store.catalog().events, events, "nothing was recorded");
}

#[test]
fn uploading_the_original_file_again_restores_a_missing_blob_and_says_so() {
    let (_dir, store, blob) = store_missing_v1_blob();
    let outcome = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!(
        (outcome.status, outcome.version),
        (UploadStatus::Reactivated, 1)
    );
    assert!(blob.is_file(), "the bytes are stored again");
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("were missing") && w.contains("`t`")),
        "{:?}",
        outcome.warnings
    );
    store.assert_invariants(true).unwrap();
    assert_eq!(common::read_table(&store, "d", "1", None), SMALL);
    // Now the rollback to version 2 and back works.
    store.rollback_to_version("d", "2", "tester", "").unwrap();
    store.rollback_to_version("d", "1", "tester", "").unwrap();
}

#[test]
fn uploading_the_active_versions_content_again_restores_its_missing_blob() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let blob = blob_of(&store, "d", "1");
    std::fs::remove_file(&blob).unwrap();
    assert!(store.assert_invariants(false).is_err());
    let outcome = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert_eq!(outcome.status, UploadStatus::AlreadyActive);
    assert_eq!(outcome.seq, None, "nothing recorded");
    assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
    assert!(blob.is_file());
    store.assert_invariants(true).unwrap();
}

#[test]
fn an_upload_whose_event_is_too_large_fails_before_storing_any_blob() {
    let (dir, store) = new_store();
    let mut request = upload("d", &[("t.csv", SMALL)]);
    let huge = "x".repeat(17 << 20);
    request.metadata = Some(serde_json::json!({ "notes": huge }));
    let error = store.save_upload(request).unwrap_err();
    assert!(matches!(error, Error::RecordTooLarge { .. }), "{error}");
    assert_eq!(
        common::blob_files(dir.path()),
        Vec::<std::path::PathBuf>::new()
    );
}
