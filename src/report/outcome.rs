//! What the writing commands did: init, upload, rollback, cat to a file, snapshot, repair.

use super::check::TornTail;
use super::event::ContentHolder;
use super::path_text;
use super::schema::{optional_drift, tables, Drift, Table};
use crate::log::RepairReport;
use crate::store::{
    self, RefusalKind, RollbackOutcome, SnapshotInfo, TableRecord, UploadOutcome, UploadRefusal,
    UploadStatus,
};
use serde::{Serialize, Serializer};
use std::path::Path;

/// A new store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Init {
    /// Where it is.
    pub store: String,
    /// Its id.
    pub store_id: uuid::Uuid,
}

impl Init {
    /// The store created at `store` with id `store_id`.
    pub fn new(store: &Path, store_id: uuid::Uuid) -> Init {
        Init {
            store: path_text(store),
            store_id,
        }
    }
}

fn status_name<S: Serializer>(status: &UploadStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.name())
}

fn refusal_name<S: Serializer>(kind: &RefusalKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.name())
}

/// A successful upload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upload {
    /// `new_dataset`, `new_version`, `reactivated` or `already_active`.
    #[serde(serialize_with = "status_name")]
    pub status: UploadStatus,
    /// The dataset's name.
    pub dataset: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The version now active.
    pub version: u64,
    /// Its hash, in hex.
    pub hash: String,
    /// The event recorded; `null` for `already_active`.
    pub seq: Option<u64>,
    /// Its tables.
    pub tables: Vec<Table>,
    /// The drift against the version active before (new versions only).
    pub drift: Option<Drift>,
    /// Warnings and notices.
    pub warnings: Vec<String>,
    /// Other datasets holding the same content.
    pub duplicates: Vec<ContentHolder>,
    /// The override reason recorded, if breaking drift was accepted with one.
    pub override_reason: Option<String>,
    /// What failed after the write's event was committed (the invariant check, the automatic
    /// snapshot): the write stands.
    pub post_commit_warnings: Vec<String>,
}

impl From<&UploadOutcome> for Upload {
    fn from(o: &UploadOutcome) -> Upload {
        Upload {
            status: o.status,
            dataset: o.dataset.clone(),
            dataset_id: o.dataset_id,
            version: o.version,
            hash: o.hash.hex(),
            seq: o.seq,
            tables: tables(&o.tables),
            drift: optional_drift(o.drift.as_ref()),
            warnings: o.warnings.clone(),
            duplicates: o.duplicates.iter().map(ContentHolder::from).collect(),
            override_reason: o.override_reason.clone(),
            post_commit_warnings: o.post_commit_warnings.clone(),
        }
    }
}

/// A refused upload (`"status": "refused"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename = "refused")]
pub struct UploadRefused {
    /// `drift_refused`, `dataset_exists` or `duplicate_content`.
    #[serde(serialize_with = "refusal_name")]
    pub refusal: RefusalKind,
    /// The dataset the upload named.
    pub dataset: String,
    /// The refusal in a sentence.
    pub reason: String,
    /// The `overwrite_blocked` event (drift refusals are recorded).
    pub seq: Option<u64>,
    /// The version that stays active (drift refusals).
    pub active_version: Option<u64>,
    /// The drift refused.
    pub drift: Option<Drift>,
    /// What failed after the write's event was committed (the invariant check, the automatic
    /// snapshot): the write stands.
    pub post_commit_warnings: Vec<String>,
}

impl From<&UploadRefusal> for UploadRefused {
    fn from(r: &UploadRefusal) -> UploadRefused {
        UploadRefused {
            refusal: r.kind,
            dataset: r.dataset.clone(),
            reason: r.reason.clone(),
            seq: r.seq,
            active_version: r.active_version,
            drift: optional_drift(r.drift.as_ref()),
            post_commit_warnings: r.post_commit_warnings.clone(),
        }
    }
}

/// What an upload would do (`upload --dry-run`, the server's upload preview): the shape of
/// [`Upload`] or of [`UploadRefused`], as the upload would print it, with `seq` `null`
/// (nothing was recorded) and, for a new dataset, the nil UUID as `dataset_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum UploadPlan {
    /// The upload would succeed.
    Proceed(Upload),
    /// The upload would be refused.
    Refused(UploadRefused),
}

impl From<&store::UploadPlan> for UploadPlan {
    fn from(plan: &store::UploadPlan) -> UploadPlan {
        match plan {
            store::UploadPlan::Proceed(outcome) => UploadPlan::Proceed(Upload::from(outcome)),
            store::UploadPlan::Refused(refusal) => {
                UploadPlan::Refused(UploadRefused::from(refusal))
            }
        }
    }
}

/// Whether a rollback appended an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackStatus {
    /// The active version moved.
    RolledBack,
    /// The version asked for was already active: nothing was recorded.
    AlreadyActive,
}

/// A rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollback {
    /// What happened.
    pub status: RollbackStatus,
    /// The dataset's name.
    pub dataset: String,
    /// The version active before.
    pub from: u64,
    /// The version active now.
    pub to: u64,
    /// The compatibility warnings.
    pub warnings: Vec<String>,
    /// The `rollback` event; `null` when nothing was recorded.
    pub seq: Option<u64>,
    /// What failed after the write's event was committed (the invariant check, the automatic
    /// snapshot): the write stands.
    pub post_commit_warnings: Vec<String>,
}

impl From<&RollbackOutcome> for Rollback {
    fn from(o: &RollbackOutcome) -> Rollback {
        Rollback {
            status: if o.seq.is_some() {
                RollbackStatus::RolledBack
            } else {
                RollbackStatus::AlreadyActive
            },
            dataset: o.dataset.clone(),
            from: o.from,
            to: o.to,
            warnings: o.warnings.clone(),
            seq: o.seq,
            post_commit_warnings: o.post_commit_warnings.clone(),
        }
    }
}

/// What a rollback would do now, without doing it (`Store::plan_rollback`): what
/// `strata rollback` shows before it asks, and the server's rollback confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackPlan {
    /// The dataset's name.
    pub dataset: String,
    /// The version active now.
    pub from: u64,
    /// The version that would be made active.
    pub to: u64,
    /// Whether the rollback would record anything (`false` when `to` is already active).
    pub changes: bool,
    /// The compatibility warnings: what queries written against `from` would lose.
    pub warnings: Vec<String>,
}

impl From<&RollbackOutcome> for RollbackPlan {
    fn from(plan: &RollbackOutcome) -> RollbackPlan {
        RollbackPlan {
            dataset: plan.dataset.clone(),
            from: plan.from,
            to: plan.to,
            changes: plan.from != plan.to,
            warnings: plan.warnings.clone(),
        }
    }
}

/// A table's bytes written to a file, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cat {
    /// The dataset's name.
    pub dataset: String,
    /// The version.
    pub version: u64,
    /// The table's display name.
    pub table: String,
    /// Its id.
    pub table_id: String,
    /// The hash its bytes were verified against, in hex.
    pub content_hash: String,
    /// Bytes written.
    pub byte_len: u64,
    /// The file written.
    pub output: String,
}

impl Cat {
    /// Table `table` of version `version` of `dataset`, written to `output`.
    pub fn new(dataset: &str, version: u64, table: &TableRecord, output: &Path) -> Cat {
        Cat {
            dataset: dataset.to_owned(),
            version,
            table: table.name.clone(),
            table_id: table.table_id.clone(),
            content_hash: table.content_hash.hex(),
            byte_len: table.byte_len,
            output: path_text(output),
        }
    }
}

/// A snapshot written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The file.
    pub path: String,
    /// The sequence number it is as of.
    pub seq: u64,
    /// Its size.
    pub bytes: u64,
    /// The sequence numbers of the snapshots kept, newest first.
    pub kept: Vec<u64>,
}

impl Snapshot {
    /// Snapshot `info`, with the snapshots `kept` after pruning.
    pub fn new(info: &SnapshotInfo, kept: &[SnapshotInfo]) -> Snapshot {
        Snapshot {
            path: path_text(&info.path),
            seq: info.seq,
            bytes: info.bytes,
            kept: kept.iter().map(|s| s.seq).collect(),
        }
    }
}

/// A checkpoint record a repair cut (or would cut), as JSON shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CutCheckpoint {
    /// The checkpoint record's sequence number.
    pub seq: u64,
    /// Its tree size: it covered records `1..=size`.
    pub size: u64,
    /// Its root, base64 (as in checkpoint notes).
    pub root: String,
    /// Whether its note was signed.
    pub signed: bool,
}

impl From<&crate::format::CutCheckpoint> for CutCheckpoint {
    fn from(c: &crate::format::CutCheckpoint) -> CutCheckpoint {
        CutCheckpoint {
            seq: c.seq,
            size: c.size,
            root: crate::note::b64(&c.root),
            signed: c.signed,
        }
    }
}

/// What a repair did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Repair {
    /// The cut would remove records that checkpoints cover, and the flag that allows it
    /// was not given: nothing was changed.
    Refused {
        /// The segment that would be cut.
        segment: String,
        /// Where.
        offset: u64,
        /// The sequence number expected there (records from it on would leave the log).
        seq: u64,
        /// What is wrong.
        defect: String,
        /// The checkpoint records whose covered records the cut would remove.
        checkpoints: Vec<CutCheckpoint>,
    },
    /// The log has no corruption; nothing was changed.
    NothingToRepair {
        /// A torn tail, if there is one (it is not corruption).
        torn_tail: Option<TornTail>,
    },
    /// The log was cut at its first problem.
    Repaired {
        /// The segment cut.
        segment: String,
        /// Where.
        offset: u64,
        /// The sequence number expected there.
        seq: u64,
        /// What was wrong.
        defect: String,
        /// The folder holding a copy of everything cut.
        salvage_dir: String,
        /// Bytes cut from the segment.
        bytes_cut: u64,
        /// Later segments moved out of the log.
        segments_removed: Vec<String>,
        /// The repair record's sequence number.
        repair_seq: u64,
        /// The checkpoint records cut whose covered records the cut removed (left out when
        /// there are none).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        checkpoints_cut: Vec<CutCheckpoint>,
        /// Failures after the repair record was committed, which do not undo it.
        post_commit_warnings: Vec<String>,
    },
}

impl From<&RepairReport> for Repair {
    fn from(report: &RepairReport) -> Repair {
        match report {
            RepairReport::NothingToRepair { torn_tail } => Repair::NothingToRepair {
                torn_tail: torn_tail.as_ref().map(TornTail::from),
            },
            RepairReport::Refused {
                problem,
                checkpoints,
            } => Repair::Refused {
                segment: path_text(&problem.position.segment),
                offset: problem.position.offset,
                seq: problem.position.seq,
                defect: problem.defect.to_string(),
                checkpoints: checkpoints.iter().map(CutCheckpoint::from).collect(),
            },
            RepairReport::Repaired {
                problem,
                salvage_dir,
                bytes_cut,
                segments_removed,
                repair_seq,
                checkpoints_cut,
                post_commit_warnings,
            } => Repair::Repaired {
                segment: path_text(&problem.position.segment),
                offset: problem.position.offset,
                seq: problem.position.seq,
                defect: problem.defect.to_string(),
                salvage_dir: path_text(salvage_dir),
                bytes_cut: *bytes_cut,
                segments_removed: segments_removed.iter().map(|p| path_text(p)).collect(),
                repair_seq: *repair_seq,
                checkpoints_cut: checkpoints_cut.iter().map(CutCheckpoint::from).collect(),
                post_commit_warnings: post_commit_warnings.clone(),
            },
        }
    }
}
