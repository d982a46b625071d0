//! The blob store's loose ends: a version whose bytes are missing is never made active (and
//! uploading the original file again restores them); failed uploads leave no orphan blob;
//! temporary files of interrupted uploads are removed by the next upload; `stats` and the
//! check report orphans, and garbage collection removes them, never a blob an event refers to.

mod common;

use common::{overwrite, upload, SMALL, SMALL_MORE_ROWS};
use strata::schema::SchemaDriftPolicy;
use strata::store::UploadStatus;
use strata::{Error, Store};

/// A new store that keeps every table in a blob file: these tests are about blob files
/// (tables inside the log are in `store_inline.rs`).
fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), common::blob_file_options()).unwrap();
    (dir, store)
}

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
    store
        .rollback_to_version("d", "2", "tester", "a test rollback")
        .unwrap();
    store
        .rollback_to_version("d", "1", "tester", "a test rollback")
        .unwrap();
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
    assert_eq!(error.kind(), strata::ErrorKind::TooLarge, "{error}");
    assert_eq!(
        common::blob_files(dir.path()),
        Vec::<std::path::PathBuf>::new()
    );
}

fn write_file(path: &std::path::Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn the_next_upload_removes_temporary_files_of_interrupted_writes_and_says_so() {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let killed_blob = dir.path().join("blobs/tmp/0000-killed.tmp");
    let killed_snapshot = dir.path().join("snapshots/00000000000000000001.snap.x.tmp");
    write_file(&killed_blob, &[7; 1000]);
    write_file(&killed_snapshot, &[7; 24]);
    let stats = store.stats().unwrap();
    assert_eq!((stats.temp_files, stats.temp_file_bytes), (2, 1024));
    assert!(killed_blob.exists(), "reading changes nothing");
    let outcome = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert!(!killed_blob.exists() && !killed_snapshot.exists());
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("removed 2 temporary files (1024 bytes)")),
        "{:?}",
        outcome.warnings
    );
    assert_eq!(store.stats().unwrap().temp_files, 0);
}

#[test]
fn temporary_files_of_a_write_in_progress_are_left_alone() {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let in_progress = dir.path().join("blobs/tmp/0000-in-progress.tmp");
    write_file(&in_progress, b"being written");
    // Another writer staging: it holds the staging lock shared.
    let lock = std::fs::File::open(dir.path().join("log/STAGING")).unwrap();
    fs2::FileExt::lock_shared(&lock).unwrap();
    let outcome = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert!(in_progress.exists());
    assert!(!outcome.warnings.iter().any(|w| w.contains("temporary")));
    let report = store.collect_garbage(false).unwrap();
    assert!(
        report.writes_in_progress && report.temp_files.is_empty(),
        "{report:?}"
    );
    assert!(in_progress.exists());
    fs2::FileExt::unlock(&lock).unwrap();
    let report = store.collect_garbage(false).unwrap();
    assert_eq!(report.temp_files.len(), 1, "{report:?}");
    assert!(!in_progress.exists());
}

#[test]
fn garbage_collection_removes_orphans_but_never_a_blob_another_process_just_referred_to() {
    let (dir, gc_handle) = new_store();
    gc_handle
        .save_upload(upload("d", &[("t.csv", SMALL)]))
        .unwrap();
    let orphan = dir.path().join("blobs/sha256/ee/an-orphan");
    write_file(&orphan, b"orphan");
    // Another handle (as another process would) uploads after the collector opened the store.
    let other = Store::open(dir.path(), common::blob_file_options()).unwrap();
    other
        .save_upload(upload("e", &[("t.csv", SMALL_MORE_ROWS)]))
        .unwrap();
    let fresh_blob = blob_of(&other, "e", "1");
    let dry = gc_handle.collect_garbage(true).unwrap();
    assert_eq!(dry.orphan_blobs.len(), 1, "{dry:?}");
    assert!(orphan.exists(), "a dry run removes nothing");
    let report = gc_handle.collect_garbage(false).unwrap();
    assert_eq!(
        report
            .orphan_blobs
            .iter()
            .map(|l| &l.path)
            .collect::<Vec<_>>(),
        [&orphan]
    );
    assert!(!orphan.exists() && fresh_blob.exists());
    other.assert_invariants(true).unwrap();
    let check = strata::check::run(
        dir.path(),
        strata::check::CheckOptions { deep: true },
        |_| {},
    )
    .unwrap();
    assert!(check.is_healthy(), "{check:?}");
    assert_eq!(
        check.leftovers.unwrap(),
        strata::store::Leftovers::default()
    );
}

#[test]
fn a_failed_upload_leaves_an_orphan_that_stats_and_the_check_report() {
    use strata::io::fault::{Fault, FaultBackend, OpKind};
    let (dir, store) = new_store();
    drop(store);
    let backend = FaultBackend::new(dir.path());
    let options = strata::StoreOptions {
        log: strata::log::LogOptions {
            io: backend.io(),
            ..common::blob_file_options().log
        },
        ..common::blob_file_options()
    };
    let store = Store::open(dir.path(), options).unwrap();
    // The upload's blob is published, then writing its event fails.
    backend.fail(Fault::nth_of(OpKind::Write, 1, libc::EIO));
    store
        .save_upload(upload("d", &[("t.csv", SMALL)]))
        .unwrap_err();
    drop(store);
    let store = Store::open(dir.path(), common::blob_file_options()).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(
        (stats.orphan_blobs, stats.orphan_blob_bytes),
        (1, SMALL.len() as u64)
    );
    let check = strata::check::run(
        dir.path(),
        strata::check::CheckOptions { deep: true },
        |_| {},
    )
    .unwrap();
    assert!(check.is_healthy(), "an orphan is not a problem: {check:?}");
    assert_eq!(check.leftovers.unwrap().orphan_blobs.len(), 1);
    assert_eq!(store.collect_garbage(false).unwrap().orphan_blobs.len(), 1);
    assert_eq!(store.stats().unwrap().orphan_blobs, 0);
}

#[test]
fn garbage_collection_leaves_orphans_alone_while_an_upload_holds_the_staging_lock() {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    // An upload in flight publishes its blob before it takes the writer lock: until its
    // event is committed the blob is referred to by nothing.
    let bytes = b"id,name\n9,in-flight\n";
    let orphan = store.blobs().path(&strata::digest::Digest::of(bytes).0);
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, bytes).unwrap();
    let staging = std::fs::File::open(dir.path().join("log/STAGING")).unwrap();
    fs2::FileExt::lock_shared(&staging).unwrap();
    let report = store.collect_garbage(false).unwrap();
    assert!(
        report.orphan_blobs.is_empty() && report.writes_in_progress,
        "{report:?}"
    );
    assert!(orphan.exists(), "the in-flight upload's blob is kept");
    fs2::FileExt::unlock(&staging).unwrap();
    let report = store.collect_garbage(false).unwrap();
    assert_eq!(report.orphan_blobs.len(), 1, "{report:?}");
    assert!(!orphan.exists());
    store.assert_invariants(true).unwrap();
}

#[test]
fn an_upload_publishes_its_blob_files_before_it_waits_for_the_writer_lock() {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let log = strata::log::Log::open(dir.path(), common::blob_file_options().log).unwrap();
    let held = log.lock_writer().unwrap();
    let before = common::blob_files(dir.path()).len();
    std::thread::scope(|scope| {
        let upload = scope.spawn(|| {
            store.save_upload(overwrite(
                "d",
                &[("t.csv", SMALL_MORE_ROWS)],
                SchemaDriftPolicy::Allow,
            ))
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while common::blob_files(dir.path()).len() == before {
            assert!(
                std::time::Instant::now() < deadline,
                "no blob published while the lock is held"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!upload.is_finished(), "the upload waits for the lock");
        drop(held);
        assert_eq!(upload.join().unwrap().unwrap().version, 2);
    });
    store.assert_invariants(true).unwrap();
}
