//! A property test: random sequences of uploads (of one or two tables, the same content under
//! several names), overwrites, rollbacks, reads by version and by time, with the store
//! reopened at random points and automatic snapshots taken every few records, against a
//! simple in-memory model. Every answer is compared.

mod common;

use common::{options, overwrite, proptest_cases, upload};
use proptest::prelude::*;
use strata::schema::SchemaDriftPolicy;
use strata::store::{snapshot, SnapshotPolicy, UploadStatus};
use strata::{Error, Store, StoreOptions, UploadRequest, VersionRef};

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

/// The second table an upload may hold: removing it is breaking drift, adding it additive.
const SECOND_TABLE: (&str, &[u8]) = ("sites.csv", b"site,beds\nx,3\n");

/// What a version holds: the content of `t.csv` (an index into [`CONTENTS`]), and whether
/// it has the second table.
type Tables = (usize, bool);

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

/// The model of one dataset: its versions' tables and the active version number.
#[derive(Debug, Clone, Default)]
struct ModelDataset {
    versions: Vec<Tables>,
    active: u64,
}

/// What the model expects an operation to return.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    /// The status, the version now active, and the other datasets' versions holding the
    /// same content (`(dataset, version)`, sorted).
    Status(UploadStatus, u64, Vec<(String, u64)>),
    Refused,
    Exists,
    UnknownDataset,
    UnknownVersion,
    RolledBack {
        from: u64,
        to: u64,
        appended: bool,
    },
}

/// A column removed or changed type, or the second table removed.
fn breaking(old: Tables, new: Tables) -> bool {
    let new_cols = CONTENTS[new.0].1;
    let column_broken = CONTENTS[old.0]
        .1
        .iter()
        .any(|(name, ty)| !new_cols.iter().any(|(n, t)| n == name && t == ty));
    column_broken || (old.1 && !new.1)
}

/// The versions of datasets other than `ds` that hold `tables`, sorted.
fn holders(model: &[Option<ModelDataset>], ds: usize, tables: Tables) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    for (i, d) in model.iter().enumerate() {
        let Some(d) = d.as_ref().filter(|_| i != ds) else {
            continue;
        };
        for (v, held) in d.versions.iter().enumerate() {
            if *held == tables {
                found.push((format!("d{i}"), v as u64 + 1));
            }
        }
    }
    found.sort();
    found
}

fn model_upload(
    model: &mut [Option<ModelDataset>],
    ds: usize,
    tables: Tables,
    overwrite: bool,
    policy: u8,
    with_override: bool,
) -> Expect {
    let others = holders(model, ds, tables);
    let Some(d) = &mut model[ds] else {
        model[ds] = Some(ModelDataset {
            versions: vec![tables],
            active: 1,
        });
        return Expect::Status(UploadStatus::NewDataset, 1, others);
    };
    if !overwrite {
        return Expect::Exists;
    }
    if let Some(i) = d.versions.iter().position(|&held| held == tables) {
        let number = i as u64 + 1;
        if number == d.active {
            return Expect::Status(UploadStatus::AlreadyActive, number, others);
        }
        d.active = number;
        return Expect::Status(UploadStatus::Reactivated, number, others);
    }
    let active_tables = d.versions[d.active as usize - 1];
    if breaking(active_tables, tables) && policy == 0 && !with_override {
        return Expect::Refused;
    }
    d.versions.push(tables);
    d.active = d.versions.len() as u64;
    Expect::Status(UploadStatus::NewVersion, d.active, others)
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
    (content, second): Tables,
    over: bool,
    p: u8,
    with_override: bool,
) -> Expect {
    let name = format!("d{ds}");
    let mut files = vec![("t.csv", CONTENTS[content].0)];
    if second {
        files.push(SECOND_TABLE);
    }
    let request = if over {
        UploadRequest {
            override_reason: with_override.then(|| "model says so".into()),
            // The model's overwrite creates a dataset it does not know yet.
            create: true,
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
            let mut others: Vec<(String, u64)> = out
                .duplicates
                .iter()
                .map(|h| (h.dataset_name.clone(), h.version))
                .collect();
            others.sort();
            Expect::Status(out.status, out.version, others)
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
        let mut model: Vec<Option<ModelDataset>> = vec![None; 3];
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
