//! A property test: random sequences of uploads (of one or two tables, the same content under
//! several names), overwrites, rollbacks, reads by version and by time, with the store
//! reopened at random points and automatic snapshots taken every few records, against a
//! simple in-memory model. Every answer is compared.

mod common;
mod model;

use common::{options, proptest_cases};
use model::{
    model_rollback, model_upload, name, rollback_answer, upload_answer, upload_request, Expect,
    Model, ModelDataset, Tables, CONTENTS, SECOND_TABLE,
};
use proptest::prelude::*;
use strata::store::{snapshot, SnapshotPolicy};
use strata::{Error, Store, StoreOptions, VersionRef};

#[derive(Debug, Clone)]
enum Op {
    Upload {
        ds: usize,
        tables: Tables,
        overwrite: bool,
        policy: u8,
        with_override: bool,
    },
    Rollback {
        ds: usize,
        version: u64,
    },
    Read {
        ds: usize,
        version: u64,
    },
    /// Resolves the version active just after an earlier step (`step` picks which).
    ReadAt {
        ds: usize,
        step: prop::sample::Index,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..3usize, (0..5usize, prop::bool::weighted(0.3)), any::<bool>(), 0..3u8, any::<bool>()).prop_map(|(ds, tables, overwrite, policy, with_override)| Op::Upload { ds, tables, overwrite, policy, with_override }),
        2 => (0..3usize, 1..6u64).prop_map(|(ds, version)| Op::Rollback { ds, version }),
        1 => (0..3usize, 1..6u64).prop_map(|(ds, version)| Op::Read { ds, version }),
        1 => (0..3usize, any::<prop::sample::Index>()).prop_map(|(ds, step)| Op::ReadAt { ds, step }),
        1 => Just(Op::Reopen),
    ]
}

/// An upload through the store, answered as the model answers; no upload here may warn
/// after its commit.
fn store_upload(
    store: &Store,
    ds: usize,
    tables: Tables,
    over: bool,
    p: u8,
    with_override: bool,
) -> Expect {
    let result = store.save_upload(upload_request(ds, tables, over, p, with_override, "tester"));
    match &result {
        Ok(out) => assert_eq!(out.post_commit_warnings, Vec::<String>::new()),
        Err(Error::DriftRefused {
            post_commit_warnings,
            ..
        }) => {
            assert_eq!(post_commit_warnings, &Vec::<String>::new())
        }
        Err(_) => {}
    }
    upload_answer(result)
}

/// A rollback through the store, answered as the model answers.
fn store_rollback(store: &Store, ds: usize, version: u64) -> Expect {
    let result =
        store.rollback_to_version(&name(ds), &version.to_string(), "model", "a test rollback");
    if let Ok(out) = &result {
        assert_eq!(out.post_commit_warnings, Vec::<String>::new());
    }
    rollback_answer(result)
}

fn compare_state(store: &Store, model: &[Option<ModelDataset>]) {
    for (i, d) in model.iter().enumerate() {
        let name = format!("d{i}");
        match d {
            None => assert!(matches!(
                store.get_active_version(&name),
                Err(Error::UnknownDataset { .. })
            )),
            Some(d) => {
                assert_eq!(
                    store.get_active_version(&name).unwrap().version,
                    d.active,
                    "{name}"
                );
                assert_eq!(
                    store.history(&name).unwrap().versions.len(),
                    d.versions.len(),
                    "{name}"
                );
            }
        }
    }
}

/// Store options for the model: automatic snapshots every few records, so that reopening
/// loads one and replays only the tail.
fn model_options() -> StoreOptions {
    StoreOptions {
        snapshots: SnapshotPolicy {
            every_records: 5,
            ..SnapshotPolicy::default()
        },
        ..options()
    }
}

/// An instant after every event so far and before any later one, with each dataset's active
/// version then (`None` if it did not exist yet).
struct Mark {
    at: chrono::DateTime<chrono::Utc>,
    active: Vec<Option<u64>>,
}

/// Marks the present: waits until the clock (which stamps events, in microseconds) has moved
/// past now, so that the next event is stamped after the mark.
fn mark(model: &[Option<ModelDataset>]) -> Mark {
    let at = chrono::Utc::now();
    while chrono::Utc::now().timestamp_micros() <= at.timestamp_micros() {
        std::hint::spin_loop();
    }
    Mark {
        at,
        active: model.iter().map(|d| d.as_ref().map(|d| d.active)).collect(),
    }
}

/// The version of `d{ds}` active at `mark`, as the store resolves it, checked against the
/// model: unknown dataset if it does not exist now, unknown version if it did not then.
fn check_read_at(store: &Store, model: &[Option<ModelDataset>], ds: usize, mark: &Mark) {
    let resolved = store.resolve_version(&format!("d{ds}"), &VersionRef::At(mark.at));
    match (&model[ds], mark.active[ds]) {
        (None, _) => assert!(
            matches!(resolved, Err(Error::UnknownDataset { .. })),
            "{resolved:?}"
        ),
        (Some(_), None) => assert!(
            matches!(resolved, Err(Error::UnknownVersion { .. })),
            "d{ds} did not exist at {}: {resolved:?}",
            mark.at
        ),
        (Some(_), Some(version)) => {
            assert_eq!(resolved.unwrap(), version, "d{ds} at {}", mark.at)
        }
    }
}

/// After reopening: the newest snapshot (if one was taken) was loaded, with no warning.
fn check_snapshot_loaded(store: &Store) {
    let newest = snapshot::list(store.dir()).unwrap().first().map(|s| s.seq);
    assert_eq!(store.loaded_snapshot().map(|s| s.seq), newest);
    assert_eq!(store.snapshot_warnings(), &[] as &[String]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: proptest_cases(32), ..ProptestConfig::default() })]

    #[test]
    fn random_histories_match_the_model_across_reopens(ops in prop::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), model_options()).unwrap();
        let mut model: Model = vec![None; 3];
        let mut marks = vec![mark(&model)];
        for op in ops {
            match op {
                Op::Upload { ds, tables, overwrite, policy, with_override } => {
                    let expected = model_upload(&mut model, ds, tables, overwrite, policy, with_override);
                    prop_assert_eq!(store_upload(&store, ds, tables, overwrite, policy, with_override), expected);
                }
                Op::Rollback { ds, version } => {
                    let expected = model_rollback(&mut model, ds, version);
                    prop_assert_eq!(store_rollback(&store, ds, version), expected);
                }
                Op::Read { ds, version } => {
                    let Some(d) = &model[ds] else { continue };
                    let Some(&(content, second)) = d.versions.get(version as usize - 1) else { continue };
                    let (name, version) = (format!("d{ds}"), version.to_string());
                    let bytes = common::read_table(&store, &name, &version, Some("t"));
                    prop_assert_eq!(bytes, CONTENTS[content].0);
                    if second {
                        let bytes = common::read_table(&store, &name, &version, Some("sites"));
                        prop_assert_eq!(bytes, SECOND_TABLE.1);
                    }
                }
                Op::ReadAt { ds, step } => check_read_at(&store, &model, ds, &marks[step.index(marks.len())]),
                Op::Reopen => {
                    let before = store.catalog().clone();
                    drop(store);
                    store = Store::open(dir.path(), model_options()).unwrap();
                    prop_assert_eq!(&*store.catalog(), &before);
                    check_snapshot_loaded(&store);
                }
            }
            compare_state(&store, &model);
            marks.push(mark(&model));
        }
        store.assert_invariants(true).unwrap();
        if store.log().last_seq() >= 5 {
            prop_assert!(!snapshot::list(dir.path()).unwrap().is_empty(), "no automatic snapshot");
        }
    }
}
