//! The in-memory model of a store's datasets: what uploads, overwrites and rollbacks must
//! answer and leave, stated without the store. The oracle of the property test
//! (`tests/store_model.rs`) and of the `store_model` fuzz target (which includes this file by
//! path), so that both check the store against the same statement.
//!
//! Datasets are numbered (`d0`, `d1`, ...); a table is one of [`CONTENTS`]; a version is the
//! index of its content.

use strata::schema::SchemaDriftPolicy;
use strata::store::UploadStatus;

/// A table's bytes and its columns as `(column, type)`, with I = Int64, S = Utf8, F = Float64.
pub type Content = (&'static [u8], &'static [(&'static str, char)]);

/// The tables the model knows: two with the same columns, one with a column more, one with a
/// column fewer, one with both columns' types changed.
pub const CONTENTS: [Content; 5] = [
    (b"a,b\n1,x\n", &[("a", 'I'), ("b", 'S')]),
    (b"a,b\n2,y\n3,z\n", &[("a", 'I'), ("b", 'S')]),
    (b"a,b,c\n1,x,2.5\n", &[("a", 'I'), ("b", 'S'), ("c", 'F')]),
    (b"a\n1\n", &[("a", 'I')]),
    (b"a,b\nx,1\n", &[("a", 'S'), ("b", 'I')]),
];

/// The model of one dataset: its versions' contents and the active version number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelDataset {
    pub versions: Vec<usize>,
    pub active: u64,
}

/// The model of a store: dataset `d{i}` is entry `i` (`None` until its first upload).
pub type Model = Vec<Option<ModelDataset>>;

/// What the model expects an operation to return.
#[derive(Debug, PartialEq, Eq)]
pub enum Expect {
    Status(UploadStatus, u64),
    Refused,
    Exists,
    UnknownDataset,
    UnknownVersion,
    RolledBack { from: u64, to: u64, appended: bool },
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

/// Whether replacing content `old` by `new` is breaking drift: a column of `old` is gone or
/// has another type.
pub fn breaking(old: usize, new: usize) -> bool {
    let new_cols = CONTENTS[new].1;
    CONTENTS[old]
        .1
        .iter()
        .any(|(name, ty)| !new_cols.iter().any(|(n, t)| n == name && t == ty))
}

/// An upload of `content` to dataset `ds`: a new dataset, a refusal (it exists and this is no
/// overwrite; breaking drift under policy 0 without an override), the re-activation of a
/// version with the same content, or a new version.
pub fn model_upload(
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
