//! A property test: random sequences of uploads, overwrites and rollbacks, with the store
//! reopened at random points, against a simple in-memory model. Every answer is compared.

mod common;

use common::{options, overwrite, upload};
use proptest::prelude::*;
use strata::schema::SchemaDriftPolicy;
use strata::store::UploadStatus;
use strata::{Error, Store, UploadRequest};

/// Table contents and their schemas as `(column, type)` with I = Int64, S = Utf8, F = Float64.
/// A table's bytes and its columns.
type Content = (&'static [u8], &'static [(&'static str, char)]);

const CONTENTS: [Content; 5] = [
    (b"a,b\n1,x\n", &[("a", 'I'), ("b", 'S')]),
    (b"a,b\n2,y\n3,z\n", &[("a", 'I'), ("b", 'S')]),
    (b"a,b,c\n1,x,2.5\n", &[("a", 'I'), ("b", 'S'), ("c", 'F')]),
    (b"a\n1\n", &[("a", 'I')]),
    (b"a,b\nx,1\n", &[("a", 'S'), ("b", 'I')]),
];

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

/// The model of one dataset: its versions' contents and the active version number.
#[derive(Debug, Clone, Default)]
struct ModelDataset {
    versions: Vec<usize>,
    active: u64,
}

/// What the model expects an operation to return.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Status(UploadStatus, u64),
    Refused,
    Exists,
    UnknownDataset,
    UnknownVersion,
    RolledBack { from: u64, to: u64, appended: bool },
}

fn breaking(old: usize, new: usize) -> bool {
    let new_cols = CONTENTS[new].1;
    CONTENTS[old]
        .1
        .iter()
        .any(|(name, ty)| !new_cols.iter().any(|(n, t)| n == name && t == ty))
}

fn model_upload(
    model: &mut [Option<ModelDataset>],
    ds: usize,
    content: usize,
    overwrite: bool,
    policy: u8,
    with_override: bool,
) -> Expect {
    let Some(d) = &mut model[ds] else {
        model[ds] = Some(ModelDataset {
            versions: vec![content],
            active: 1,
        });
        return Expect::Status(UploadStatus::NewDataset, 1);
    };
    if !overwrite {
        return Expect::Exists;
    }
    if let Some(i) = d.versions.iter().position(|&c| c == content) {
        let number = i as u64 + 1;
        if number == d.active {
            return Expect::Status(UploadStatus::AlreadyActive, number);
        }
        d.active = number;
        return Expect::Status(UploadStatus::Reactivated, number);
    }
    let active_content = d.versions[d.active as usize - 1];
    if breaking(active_content, content) && policy == 0 && !with_override {
        return Expect::Refused;
    }
    d.versions.push(content);
    d.active = d.versions.len() as u64;
    Expect::Status(UploadStatus::NewVersion, d.active)
}

fn model_rollback(model: &mut [Option<ModelDataset>], ds: usize, version: u64) -> Expect {
    let Some(d) = &mut model[ds] else {
        return Expect::UnknownDataset;
    };
    if version as usize > d.versions.len() {
        return Expect::UnknownVersion;
    }
    let from = d.active;
    d.active = version;
    Expect::RolledBack {
        from,
        to: version,
        appended: from != version,
    }
}

fn policy(p: u8) -> SchemaDriftPolicy {
    [
        SchemaDriftPolicy::Reject,
        SchemaDriftPolicy::Warn,
        SchemaDriftPolicy::Allow,
    ][p as usize]
}

fn store_upload(
    store: &Store,
    ds: usize,
    content: usize,
    over: bool,
    p: u8,
    with_override: bool,
) -> Expect {
    let name = format!("d{ds}");
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
    match store.rollback_to_version(&format!("d{ds}"), &version.to_string(), "model", "") {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_match_the_model_across_reopens(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), options()).unwrap();
        let mut model: Vec<Option<ModelDataset>> = vec![None; 3];
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
                    let bytes = common::read_table(&store, &format!("d{ds}"), &version.to_string(), None);
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
