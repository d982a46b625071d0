//! The write contract: a write whose event is committed is never reported as failed. What
//! fails after the commit (the automatic snapshot, the invariant check) comes back as a
//! warning with the outcome, and a refused overwrite still comes back as the refusal.

mod common;

use common::*;
use std::path::Path;
use strata::schema::SchemaDriftPolicy;
use strata::store::{EventKind, SnapshotPolicy};
use strata::{Error, Store, StoreOptions};

/// Options under which every write is followed by an automatic snapshot.
fn snapshot_after_every_write() -> StoreOptions {
    StoreOptions {
        snapshots: SnapshotPolicy {
            every_records: 1,
            ..SnapshotPolicy::default()
        },
        ..options()
    }
}

/// Opens the store in `dir` with a file where the snapshot folder belongs, so that every
/// automatic snapshot fails (by the file in the way, not by permissions, which do not stop
/// root).
fn open_with_snapshots_blocked(dir: &Path) -> Store {
    let snapshots = dir.join("snapshots");
    if snapshots.is_dir() {
        std::fs::remove_dir_all(&snapshots).unwrap();
    }
    std::fs::write(&snapshots, b"not a folder").unwrap();
    Store::open(dir, snapshot_after_every_write()).unwrap()
}

/// Reopens the store after taking the blocking file away, as a later process would.
fn reopen(dir: &Path) -> Store {
    std::fs::remove_file(dir.join("snapshots")).unwrap();
    Store::open(dir, options()).unwrap()
}

fn assert_one_snapshot_warning(warnings: &[String]) {
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("committed") && warnings[0].contains("snapshot"),
        "{warnings:?}"
    );
}

#[test]
fn an_upload_whose_automatic_snapshot_fails_is_reported_done_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    Store::create(dir.path(), options()).unwrap();
    let store = open_with_snapshots_blocked(dir.path());
    let out = store
        .save_upload(upload("d", &[("t.csv", SMALL)]))
        .expect("the upload is committed, so it is not reported as failed");
    assert_one_snapshot_warning(&out.post_commit_warnings);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.version, 1);
    assert_eq!(out.seq, Some(store.log().last_seq()));
    assert_eq!(store.get_active_version("d").unwrap().hash, out.hash);
    drop(store);
    let reopened = reopen(dir.path());
    assert_eq!(reopened.get_active_version("d").unwrap().hash, out.hash);
}

#[test]
fn a_rollback_whose_automatic_snapshot_fails_is_reported_done_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), snapshot_after_every_write()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let v2 = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_PLUS_COLUMN)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    assert!(v2.post_commit_warnings.is_empty(), "snapshots work so far");
    drop(store);
    let store = open_with_snapshots_blocked(dir.path());
    let out = store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .expect("the rollback is committed, so it is not reported as failed");
    assert_one_snapshot_warning(&out.post_commit_warnings);
    assert_eq!((out.from, out.to), (2, 1));
    assert_eq!(out.seq, Some(store.log().last_seq()));
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
    drop(store);
    let reopened = reopen(dir.path());
    assert_eq!(reopened.get_active_version("d").unwrap().version, 1);
}

#[test]
fn a_refused_overwrite_whose_automatic_snapshot_fails_still_comes_back_as_the_refusal() {
    let dir = tempfile::tempdir().unwrap();
    Store::create(dir.path(), options())
        .unwrap()
        .save_upload(upload("d", &[("t.csv", SMALL)]))
        .unwrap();
    let store = open_with_snapshots_blocked(dir.path());
    let err = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_BREAKING)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap_err();
    let Error::DriftRefused {
        dataset,
        seq,
        post_commit_warnings,
        ..
    } = &err
    else {
        panic!("expected the drift refusal, got {err}")
    };
    assert_eq!(dataset, "d");
    assert_one_snapshot_warning(post_commit_warnings);
    assert_eq!(*seq, store.log().last_seq());
    assert!(matches!(
        store.read_event(*seq).unwrap().kind,
        EventKind::OverwriteBlocked { active: 1, .. }
    ));
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
    drop(store);
    let reopened = reopen(dir.path());
    assert_eq!(reopened.log().last_seq(), *seq, "the refusal is in the log");
}

#[test]
fn an_upload_whose_invariant_check_fails_after_the_commit_is_reported_done_with_a_warning() {
    // Blob files, so that the bytes of `a` can go missing.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), common::blob_file_options()).unwrap();
    store.save_upload(upload("a", &[("t.csv", SMALL)])).unwrap();
    // The blob of `a` version 1 goes missing: the next write's invariant check fails.
    for blob in blob_files(dir.path()) {
        std::fs::remove_file(blob).unwrap();
    }
    let out = store
        .save_upload(upload("b", &[("t.csv", SMALL_PLUS_COLUMN)]))
        .expect("the upload is committed, so it is not reported as failed");
    assert_eq!(out.post_commit_warnings.len(), 1, "{out:?}");
    let warning = &out.post_commit_warnings[0];
    assert!(
        warning.contains("invariant") && warning.contains("`a` version 1 is missing"),
        "{warning}"
    );
    assert_eq!(store.get_active_version("b").unwrap().hash, out.hash);
    drop(store);
    let reopened = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(reopened.get_active_version("b").unwrap().hash, out.hash);
}

#[test]
fn writes_without_trouble_after_the_commit_have_no_post_commit_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), snapshot_after_every_write()).unwrap();
    let v1 = store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    assert_eq!(v1.post_commit_warnings, Vec::<String>::new());
    assert!(
        dir.path().join("snapshots").is_dir(),
        "the automatic snapshot was taken"
    );
    let refused = store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_BREAKING)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap_err();
    assert!(
        matches!(&refused, Error::DriftRefused { post_commit_warnings, .. } if post_commit_warnings.is_empty()),
        "{refused:?}"
    );
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_PLUS_COLUMN)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let back = store
        .rollback_to_version("d", "1", "ana", "a test rollback")
        .unwrap();
    assert_eq!(back.post_commit_warnings, Vec::<String>::new());
}
