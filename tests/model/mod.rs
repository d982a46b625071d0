//! The in-memory model of a store's datasets: what uploads, overwrites and rollbacks must
//! answer and leave, stated without the store, and the store's answers put in the same terms.
//! The oracle of the property test (`tests/store_model.rs`) and of the `store_model` fuzz
//! target (which includes this file by path), so that both check the store against the same
//! statement.
//!
//! Datasets are numbered (`d0`, `d1`, ...); a version holds `t.csv`, one of [`CONTENTS`], and
//! maybe [`SECOND_TABLE`].

use strata::schema::SchemaDriftPolicy;
use strata::store::RollbackOutcome;
use strata::store::UploadStatus;
use strata::{Error, UploadFile, UploadOutcome, UploadRequest};

/// A table's bytes and its columns as `(column, type)`, with I = Int64, S = Utf8, F = Float64.
pub type Content = (&'static [u8], &'static [(&'static str, char)]);

/// The contents `t.csv` may have: two with the same columns, one with a column more, one with
/// a column fewer, one with both columns' types changed.
pub const CONTENTS: [Content; 5] = [
    (b"a,b\n1,x\n", &[("a", 'I'), ("b", 'S')]),
    (b"a,b\n2,y\n3,z\n", &[("a", 'I'), ("b", 'S')]),
    (b"a,b,c\n1,x,2.5\n", &[("a", 'I'), ("b", 'S'), ("c", 'F')]),
    (b"a\n1\n", &[("a", 'I')]),
    (b"a,b\nx,1\n", &[("a", 'S'), ("b", 'I')]),
];

/// The second table a version may hold: removing it is breaking drift, adding it additive.
pub const SECOND_TABLE: (&str, &[u8]) = ("sites.csv", b"site,beds\nx,3\n");

/// What a version holds: the content of `t.csv` (an index into [`CONTENTS`]), and whether it
/// has [`SECOND_TABLE`].
pub type Tables = (usize, bool);

/// The model of one dataset: its versions' tables and the active version number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelDataset {
    pub versions: Vec<Tables>,
    pub active: u64,
}

/// The model of a store: dataset `d{i}` is entry `i` (`None` until its first upload).
pub type Model = Vec<Option<ModelDataset>>;

/// What the model expects an operation to return.
#[derive(Debug, PartialEq, Eq)]
pub enum Expect {
    /// The status, the version now active, and the other datasets' versions holding the
    /// same tables (`(dataset, version)`, sorted).
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

/// The dataset name of entry `ds`.
pub fn name(ds: usize) -> String {
    format!("d{ds}")
}

/// The drift policy numbered `p` (0 rejects breaking drift).
pub fn policy(p: u8) -> SchemaDriftPolicy {
    [
        SchemaDriftPolicy::Reject,
        SchemaDriftPolicy::Warn,
        SchemaDriftPolicy::Allow,
    ][p as usize]
}

/// The files of a version holding `tables`.
pub fn files((content, second): Tables) -> Vec<(&'static str, &'static [u8])> {
    let mut files = vec![("t.csv", CONTENTS[content].0)];
    if second {
        files.push(SECOND_TABLE);
    }
    files
}

/// Whether replacing `old` by `new` is breaking drift: a column of `t.csv` is gone or has
/// another type, or the second table is gone.
pub fn breaking(old: Tables, new: Tables) -> bool {
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
                found.push((name(i), v as u64 + 1));
            }
        }
    }
    found.sort();
    found
}

/// An upload of `tables` to dataset `ds`: a new dataset, a refusal (it exists and this is no
/// overwrite; breaking drift under policy 0 without an override), the re-activation of a
/// version with the same tables, or a new version.
pub fn model_upload(
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

/// A rollback of dataset `ds` to `version`: recorded only if it changes the active version.
pub fn model_rollback(model: &mut [Option<ModelDataset>], ds: usize, version: u64) -> Expect {
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

/// The request the model's upload stands for, by `actor`.
pub fn upload_request(
    ds: usize,
    tables: Tables,
    overwrite: bool,
    p: u8,
    with_override: bool,
    actor: &str,
) -> UploadRequest {
    let files = files(tables)
        .into_iter()
        .map(|(n, b)| UploadFile::from_bytes(n, b.to_vec()))
        .collect();
    UploadRequest {
        overwrite,
        // The model's overwrite creates a dataset it does not know yet.
        create: true,
        drift_policy: Some(policy(p)),
        override_reason: (overwrite && with_override).then(|| "the model says so".into()),
        // The reason of a re-activation, which is a rollback and needs one.
        note: "the model uploads".into(),
        ..UploadRequest::new(name(ds), files, actor)
    }
}

/// The store's answer to an upload, in the model's terms; panics on an error the model never
/// expects.
pub fn upload_answer(result: Result<UploadOutcome, Error>) -> Expect {
    match result {
        Ok(out) => {
            let mut others: Vec<(String, u64)> = out
                .duplicates
                .iter()
                .map(|h| (h.dataset_name.clone(), h.version))
                .collect();
            others.sort();
            Expect::Status(out.status, out.version, others)
        }
        Err(Error::DriftRefused { .. }) => Expect::Refused,
        Err(Error::DatasetExists { .. }) => Expect::Exists,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// The store's answer to a rollback, in the model's terms; panics on an error the model never
/// expects.
pub fn rollback_answer(result: Result<RollbackOutcome, Error>) -> Expect {
    match result {
        Ok(out) => Expect::RolledBack {
            from: out.from,
            to: out.to,
            appended: out.seq.is_some(),
        },
        Err(Error::UnknownDataset { .. }) => Expect::UnknownDataset,
        Err(Error::UnknownVersion { .. }) => Expect::UnknownVersion,
        Err(e) => panic!("unexpected error: {e}"),
    }
}
