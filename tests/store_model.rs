//! A property test: random sequences of uploads, overwrites and rollbacks, with the store
//! reopened at random points, against the in-memory model of `model/` (which the
//! `store_model` fuzz target shares). Every answer is compared.

mod common;
mod model;

use common::{options, overwrite, upload};
use model::{model_rollback, model_upload, policy, Expect, Model, CONTENTS};
use proptest::prelude::*;
use strata::{Error, Store, UploadRequest};

#[derive(Debug, Clone)]
enum Op {
    Upload {
        ds: usize,
        content: usize,
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
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..3usize, 0..5usize, any::<bool>(), 0..3u8, any::<bool>()).prop_map(|(ds, content, overwrite, policy, with_override)| Op::Upload { ds, content, overwrite, policy, with_override }),
        2 => (0..3usize, 1..6u64).prop_map(|(ds, version)| Op::Rollback { ds, version }),
        1 => (0..3usize, 1..6u64).prop_map(|(ds, version)| Op::Read { ds, version }),
        1 => Just(Op::Reopen),
    ]
}

fn store_upload(
    store: &Store,
    ds: usize,
    content: usize,
    over: bool,
    p: u8,
    with_override: bool,
) -> Expect {
    let name = model::name(ds);
    let files = [("t.csv", CONTENTS[content].0)];
    let request = if over {
        UploadRequest {
            override_reason: with_override.then(|| "model says so".into()),
            ..overwrite(&name, &files, policy(p))
        }
    } else {
        UploadRequest {
            drift_policy: policy(p),
            ..upload(&name, &files)
        }
    };
    match store.save_upload(request) {
        Ok(out) => {
            assert_eq!(out.post_commit_warnings, Vec::<String>::new());
            Expect::Status(out.status, out.version)
        }
        Err(Error::DriftRefused {
            post_commit_warnings,
            ..
        }) => {
            assert_eq!(post_commit_warnings, Vec::<String>::new());
            Expect::Refused
        }
        Err(Error::DatasetExists { .. }) => Expect::Exists,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn store_rollback(store: &Store, ds: usize, version: u64) -> Expect {
    match store.rollback_to_version(&model::name(ds), &version.to_string(), "model", "") {
        Ok(out) => {
            assert_eq!(out.post_commit_warnings, Vec::<String>::new());
            Expect::RolledBack {
                from: out.from,
                to: out.to,
                appended: out.seq.is_some(),
            }
        }
        Err(Error::UnknownDataset { .. }) => Expect::UnknownDataset,
        Err(Error::UnknownVersion { .. }) => Expect::UnknownVersion,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn compare_state(store: &Store, model: &Model) {
    for (i, d) in model.iter().enumerate() {
        let name = model::name(i);
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_match_the_model_across_reopens(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), options()).unwrap();
        let mut model: Model = vec![None; 3];
        for op in ops {
            match op {
                Op::Upload { ds, content, overwrite, policy, with_override } => {
                    let expected = model_upload(&mut model, ds, content, overwrite, policy, with_override);
                    prop_assert_eq!(store_upload(&store, ds, content, overwrite, policy, with_override), expected);
                }
                Op::Rollback { ds, version } => {
                    let expected = model_rollback(&mut model, ds, version);
                    prop_assert_eq!(store_rollback(&store, ds, version), expected);
                }
                Op::Read { ds, version } => {
                    let Some(d) = &model[ds] else { continue };
                    let Some(&content) = d.versions.get(version as usize - 1) else { continue };
                    let bytes = common::read_table(&store, &model::name(ds), &version.to_string(), None);
                    prop_assert_eq!(bytes, CONTENTS[content].0);
                }
                Op::Reopen => {
                    let before = store.catalog().clone();
                    drop(store);
                    store = Store::open(dir.path(), options()).unwrap();
                    prop_assert_eq!(&*store.catalog(), &before);
                }
            }
            compare_state(&store, &model);
        }
        store.assert_invariants(true).unwrap();
    }
}
