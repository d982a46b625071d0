//! `Store::plan_upload`: the dry run of an upload decides what the upload would, and writes
//! nothing.

mod common;

use common::*;
use strata::schema::SchemaDriftPolicy;
use strata::store::{RefusalKind, UploadPlan, UploadStatus};
use strata::{Store, UploadRequest};

/// Every file under the store directory with its length: what a dry run must not change.
fn files_of(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), meta.len()));
            }
        }
    }
    out.sort();
    out
}

/// Plans `request` (rebuilt by `make` for the real upload), checks that planning wrote
/// nothing, then uploads and checks that the plan said what the upload did.
fn plan_then_upload(
    dir: &std::path::Path,
    store: &Store,
    make: impl Fn() -> UploadRequest,
) -> UploadPlan {
    let before = files_of(dir);
    let last = store.log().last_seq();
    let plan = store.plan_upload(make()).unwrap();
    assert_eq!(files_of(dir), before, "a dry run wrote to the store");
    assert_eq!(store.log().last_seq(), last);
    match (&plan, store.save_upload(make())) {
        (UploadPlan::Proceed(planned), Ok(done)) => {
            assert_eq!(planned.status, done.status);
            assert_eq!(planned.version, done.version);
            assert_eq!(planned.hash, done.hash);
            assert_eq!(planned.tables, done.tables);
            assert_eq!(planned.drift, done.drift);
            assert_eq!(planned.warnings, done.warnings);
            assert_eq!(planned.override_reason, done.override_reason);
            assert_eq!(planned.seq, None);
        }
        (UploadPlan::Refused(planned), Err(error)) => {
            let refusal = store.upload_refusal(&error).expect("a refusal");
            assert_eq!(planned.kind, refusal.kind);
            assert_eq!(planned.drift, refusal.drift);
            assert_eq!(planned.active_version, refusal.active_version);
            assert_eq!(planned.seq, None);
        }
        (plan, done) => panic!("the plan {plan:?} is not what the upload did: {done:?}"),
    }
    plan
}

#[test]
fn a_dry_run_foresees_every_outcome_of_the_upload_and_writes_nothing() {
    let (dir, store) = new_store();
    let path = dir.path();
    let v1 = || upload("d", &[("t.csv", SMALL)]);
    let plan = plan_then_upload(path, &store, v1);
    let UploadPlan::Proceed(new) = &plan else {
        panic!("{plan:?}")
    };
    assert_eq!(
        (new.status, new.dataset_id),
        (UploadStatus::NewDataset, uuid::Uuid::nil())
    );

    let exists = plan_then_upload(path, &store, v1);
    assert!(matches!(exists, UploadPlan::Refused(r) if r.kind == RefusalKind::DatasetExists));

    let additive = || {
        overwrite(
            "d",
            &[("t.csv", SMALL_PLUS_COLUMN)],
            SchemaDriftPolicy::Reject,
        )
    };
    let plan = plan_then_upload(path, &store, additive);
    assert!(matches!(plan, UploadPlan::Proceed(o) if o.status == UploadStatus::NewVersion));

    let breaking = || overwrite("d", &[("t.csv", SMALL_BREAKING)], SchemaDriftPolicy::Reject);
    let plan = plan_then_upload(path, &store, breaking);
    let UploadPlan::Refused(refused) = &plan else {
        panic!("{plan:?}")
    };
    assert_eq!(refused.kind, RefusalKind::DriftRefused);
    assert!(refused.drift.as_ref().unwrap().is_breaking());
    assert_eq!(refused.active_version, Some(2));

    let overridden = || UploadRequest {
        override_reason: Some("scores are grades now".into()),
        ..breaking()
    };
    let plan = plan_then_upload(path, &store, overridden);
    let UploadPlan::Proceed(accepted) = &plan else {
        panic!("{plan:?}")
    };
    assert_eq!(
        accepted.override_reason.as_deref(),
        Some("scores are grades now")
    );

    let again = || overwrite("d", &[("t.csv", SMALL_BREAKING)], SchemaDriftPolicy::Reject);
    let plan = plan_then_upload(path, &store, again);
    assert!(matches!(plan, UploadPlan::Proceed(o) if o.status == UploadStatus::AlreadyActive));

    let back = || overwrite("d", &[("t.csv", SMALL)], SchemaDriftPolicy::Reject);
    let plan = plan_then_upload(path, &store, back);
    assert!(matches!(plan, UploadPlan::Proceed(o) if o.status == UploadStatus::Reactivated));
}

#[test]
fn a_dry_run_of_a_malformed_file_fails_as_the_upload_does_and_writes_nothing() {
    let (dir, store) = new_store();
    let before = files_of(dir.path());
    let bad = upload("d", &[("t.csv", b"a,b\n1,2\n3\n")]);
    let error = store.plan_upload(bad).unwrap_err();
    assert!(error.to_string().contains("t.csv"), "{error}");
    assert_eq!(files_of(dir.path()), before);
}

#[test]
fn a_dry_run_sees_what_another_handle_wrote() {
    let (dir, store) = new_store();
    let other = Store::open(dir.path(), options()).unwrap();
    other.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let plan = store.plan_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    assert!(matches!(plan, UploadPlan::Refused(r) if r.kind == RefusalKind::DatasetExists));
}
