//! The JSON shapes of the tamper-evidence commands (`keygen`, `checkpoint`, `prove`,
//! `verify-proof`, `consistency`, `verify-consistency`, `audit-export`, `verify --trusted`).

use super::Time;
use crate::audit::VerifiedRecord;
use crate::note::{b64, Checkpoint};
use serde::Serialize;

/// `strata keygen`: where the signing key went and the vkey to pin.
#[derive(Debug, Clone, Serialize)]
pub struct KeygenLine {
    /// The signing key file written (0600).
    pub key_file: String,
    /// The verifier key, to give to auditors.
    pub vkey: String,
    /// The key name (the store's origin by default).
    pub name: String,
}

/// A checkpoint (`strata checkpoint`, and inside other shapes).
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointLine {
    /// The checkpoint record's seq, when it was recorded in the log.
    pub seq: Option<u64>,
    /// The log's origin.
    pub origin: String,
    /// The tree size (records covered).
    pub size: u64,
    /// The root, base64.
    pub root: String,
    /// The names of the keys that signed it.
    pub signed_by: Vec<String>,
    /// The note, verbatim (what to keep outside the store).
    pub note: String,
}

impl CheckpointLine {
    /// The shape of a checkpoint, recorded at `seq` if given.
    pub fn new(seq: Option<u64>, checkpoint: &Checkpoint) -> CheckpointLine {
        CheckpointLine {
            seq,
            origin: checkpoint.origin.clone(),
            size: checkpoint.size,
            root: b64(&checkpoint.root),
            signed_by: checkpoint
                .note
                .signatures
                .iter()
                .map(|s| format!("{}+{:08x}", s.name, s.id))
                .collect(),
            note: checkpoint.encode(),
        }
    }
}

/// `strata verify-proof` (one line per record proven).
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedProofLine {
    /// Always `true` (a failure is an error line).
    pub verified: bool,
    /// The record's seq.
    pub seq: u64,
    /// Its append time.
    pub time: Time,
    /// Its record type's name.
    pub record_type: String,
    /// The dataset event, when the record is one (decoded from the proven bytes).
    pub event: Option<super::Event>,
    /// The checkpoint it is proven against.
    pub checkpoint: CheckpointLine,
    /// The pinned key whose signature verified, if any.
    pub signed_by: Option<String>,
}

impl VerifiedProofLine {
    /// The shape of a verified record.
    pub fn new(record: &VerifiedRecord) -> VerifiedProofLine {
        let event = (record.record_type == crate::store::DATASET_EVENT)
            .then(|| {
                crate::store::Event::decode(&record.commitment, || {
                    crate::log::Position::new("proof", 0, 0, record.seq)
                })
                .ok()
            })
            .flatten()
            .map(|e| {
                // Only an upload names its dataset; the others carry its id.
                let name = match &e.kind {
                    crate::store::EventKind::UploadCreated { dataset_name, .. } => {
                        Some(dataset_name.clone())
                    }
                    _ => None,
                };
                super::Event::new(record.seq, &e, name.as_deref())
            });
        VerifiedProofLine {
            verified: true,
            seq: record.seq,
            time: Time(record.time),
            record_type: record_type_name(record.record_type),
            event,
            checkpoint: CheckpointLine::new(None, &record.checkpoint),
            signed_by: record.signed_by.clone(),
        }
    }
}

/// A record type's name as `strata dump` and `verify-proof` show it.
pub fn record_type_name(record_type: crate::format::RecordType) -> String {
    if record_type == crate::store::DATASET_EVENT {
        "dataset-event".into()
    } else {
        record_type.name()
    }
}

/// `strata verify-consistency`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedConsistencyLine {
    /// Always `true`.
    pub verified: bool,
    /// The old checkpoint.
    pub old: CheckpointLine,
    /// The new checkpoint.
    pub new: CheckpointLine,
}
