//! `audit-export`: one self-contained file with every event of a dataset, each with its
//! inclusion proof against one checkpoint, and the verifier key; and its offline check.

use super::{prove, verify_proof, AuditError, LogTree, VerifiedRecord};
use crate::log::Log;
use crate::note::{Checkpoint, ProofFile, VerifierKey};
use serde::{Deserialize, Serialize};

/// The `format` field of an audit export.
pub const EXPORT_FORMAT: &str = "strata-audit-export/v1";

/// An audit export (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditExport {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// The dataset's name and id.
    pub dataset: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The verifier key the checkpoint is signed with, if one was given (an auditor pins
    /// the key they got from the store's owner, not this copy).
    pub vkey: Option<String>,
    /// The checkpoint every proof is against (the note, verbatim).
    pub checkpoint: String,
    /// Every event of the dataset, in log order.
    pub events: Vec<ExportedEvent>,
}

/// One event of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedEvent {
    /// The record's sequence number.
    pub seq: u64,
    /// Its `c2sp.org/tlog-proof@v1` file, with the record in the extra line.
    pub proof: String,
}

/// The export of the events at `seqs` (a dataset's, in log order).
pub fn audit_export(
    log: &Log,
    dataset: (&str, uuid::Uuid),
    seqs: &[u64],
    against: Option<&Checkpoint>,
    vkey: Option<&VerifierKey>,
) -> crate::Result<AuditExport> {
    let tree = LogTree::rebuild(log)?;
    let last = seqs.last().copied().unwrap_or(1);
    // One checkpoint for every proof: the one given, or the newest covering the last event.
    let checkpoint = match against {
        Some(c) => c.clone(),
        None => tree
            .newest_covering(last)
            .ok_or(AuditError::NotCovered {
                seq: last,
                covered: tree.checkpoints.last().map_or(0, |c| c.body.size),
            })?
            .checkpoint
            .clone(),
    };
    let events = seqs
        .iter()
        .map(|&seq| {
            prove(log, &tree, seq, Some(&checkpoint)).map(|p: ProofFile| ExportedEvent {
                seq,
                proof: p.encode(),
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Ok(AuditExport {
        format: EXPORT_FORMAT.into(),
        origin: tree.origin.clone(),
        dataset: dataset.0.to_owned(),
        dataset_id: dataset.1,
        vkey: vkey.map(|k| k.to_string()),
        checkpoint: checkpoint.encode(),
        events,
    })
}

/// Verifies an export offline: every proof verifies against the pinned origin and keys,
/// all against the export's one checkpoint, in increasing seq order, each a dataset event
/// of the export's dataset. Returns the verified records.
pub fn verify_export(
    bytes: &[u8],
    trusted: &[VerifierKey],
    origin: &str,
    allow_unsigned: bool,
) -> Result<Vec<VerifiedRecord>, AuditError> {
    let export: AuditExport = serde_json::from_slice(bytes).map_err(|e| AuditError::Malformed {
        file: "audit export".into(),
        error: crate::note::NoteError {
            line: e.line(),
            what: e.to_string(),
        },
    })?;
    if export.format != EXPORT_FORMAT {
        return Err(AuditError::Invalid(format!("not a {EXPORT_FORMAT} file")));
    }
    let mut verified = Vec::with_capacity(export.events.len());
    for event in &export.events {
        let record = verify_proof(event.proof.as_bytes(), trusted, origin, allow_unsigned)?;
        if record.seq != event.seq || record.checkpoint.encode() != export.checkpoint {
            return Err(AuditError::ProofFails(format!(
                "the proof listed as seq {} is of seq {} or against another checkpoint",
                event.seq, record.seq
            )));
        }
        if verified
            .last()
            .is_some_and(|v: &VerifiedRecord| v.seq >= record.seq)
        {
            return Err(AuditError::ProofFails(format!(
                "seq {} is out of order",
                record.seq
            )));
        }
        let event_dataset = crate::store::Event::decode(&record.commitment, || {
            crate::log::Position::new("audit export", 0, 0, record.seq)
        })
        .map(|e| e.dataset_id)
        .map_err(|e| AuditError::ProofFails(e.to_string()))?;
        if event_dataset != export.dataset_id {
            return Err(AuditError::ProofFails(format!(
                "seq {} is an event of another dataset",
                record.seq
            )));
        }
        verified.push(record);
    }
    Ok(verified)
}
