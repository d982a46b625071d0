//! Tamper evidence over the log: rebuilding the Merkle tree and checking every recorded
//! checkpoint against it, checkpoints held outside the store, inclusion and consistency
//! proofs, and their offline verification (docs/AUDIT.md says what each proves).
//!
//! The store side ([`LogTree::rebuild`], [`prove`], [`consistency`], [`check_trusted`])
//! reads the log and never writes to it; [`prove_from_tiles`] and [`consistency_from_tiles`]
//! (what `strata prove` and `strata consistency` use) read the `log/tree/` sidecar of tree
//! hashes and write to it, a derived cache, never evidence. The auditor side ([`verify_proof`],
//! [`verify_consistency`]) needs no store at all: only the files, the pinned origin and the
//! pinned verifier keys.

mod export;
mod from_tiles;
mod keys;
mod trusted;

pub use crate::log::tiles::SidecarReport;
pub use export::{audit_export, verify_export, AuditExport, ExportedEvent, EXPORT_FORMAT};
pub use from_tiles::{consistency_from_tiles, prove_from_tiles};
pub use keys::{generate_key, read_signing_key, refuse_inside_store, write_signing_key};
pub use trusted::{check_trusted, TrustedOutcome, TrustedReport};

use crate::format::leaf::{leaf_input, CheckpointBody, LeafInput};
use crate::format::RecordType;
use crate::log::{Log, Position};
use crate::merkle::{self, Hash, MemoryTree};
use crate::note::{Checkpoint, ConsistencyFile, NoteError, ProofFile, VerifierKey};

/// Why an audit operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file is not what its format says.
    #[error("{file}: {error}")]
    Malformed {
        /// Which file ("proof", "checkpoint", ...).
        file: String,
        /// What is wrong, and on which line.
        error: NoteError,
    },
    /// A checkpoint or proof is of another log than the pinned origin.
    #[error("the checkpoint is of {found}, not of the pinned origin {expected}")]
    WrongOrigin {
        /// The pinned origin.
        expected: String,
        /// The checkpoint's.
        found: String,
    },
    /// No signature from a pinned key verifies (or a pinned key's signature fails).
    #[error("the checkpoint's signature does not verify: {0}")]
    BadSignature(String),
    /// The proof does not prove what it claims.
    #[error("the proof does not verify: {0}")]
    ProofFails(String),
    /// The log disagrees with a checkpoint: it was rewritten, truncated or rolled back.
    #[error("{0}")]
    LogDisagrees(String),
    /// No checkpoint covers the record asked for.
    #[error("no recorded checkpoint covers record {seq} (the last covers {covered} records)")]
    NotCovered {
        /// The record.
        seq: u64,
        /// The size of the newest recorded checkpoint.
        covered: u64,
    },
    /// A request that cannot be met (a record that does not exist, sizes out of order).
    #[error("{0}")]
    Invalid(String),
}

fn malformed(file: &str) -> impl FnOnce(NoteError) -> AuditError + '_ {
    move |error| AuditError::Malformed {
        file: file.to_owned(),
        error,
    }
}

/// A checkpoint record found in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCheckpoint {
    /// The record's sequence number (its tree covers the records before it).
    pub seq: u64,
    /// Where the record is.
    pub position: Position,
    /// The record's body.
    pub body: CheckpointBody,
    /// Its note, parsed.
    pub checkpoint: Checkpoint,
    /// Whether its root equals the root of the tree rebuilt from the records before it.
    pub matches_log: bool,
}

/// The tree rebuilt from every record of the log, and every checkpoint record in it.
#[derive(Debug, Clone)]
pub struct LogTree {
    /// The log's origin (`strata/<store uuid>`).
    pub origin: String,
    /// Every record's leaf hash, with every level above.
    pub tree: MemoryTree,
    /// The checkpoint records, in log order.
    pub checkpoints: Vec<RecordedCheckpoint>,
    /// The repair records, in log order: each one's seq is the first seq its cut removed
    /// (the records from there on were cut, and the repair record took the first number).
    pub repairs: Vec<(u64, crate::format::RepairBody)>,
}

impl LogTree {
    /// Reads every record of `log` (call [`Log::refresh`] first to see other processes'
    /// appends), hashes it into the tree, and checks each checkpoint record's root against
    /// the tree at its size.
    pub fn rebuild(log: &Log) -> crate::Result<LogTree> {
        let origin = crate::note::origin_for_store(&log.store_id());
        // The levels are completed as leaves arrive, so a checkpoint's root is folded from
        // at most 64 perfect subtrees already hashed: every node is hashed once.
        let mut tree = MemoryTree::default();
        let mut checkpoints = Vec::new();
        let mut repairs = Vec::new();
        let mut iter = log.iter_from(crate::format::FIRST_SEQ);
        while let Some(record) = iter.next_ref() {
            let record = record?;
            if record.record_type == RecordType::CHECKPOINT {
                checkpoints.push(recorded(&record, &origin, &tree)?);
            } else if record.record_type == RecordType::REPAIR {
                // The scan checked the body; a repair record the tree cannot decode is
                // still a leaf, only not an explanation.
                if let Ok(body) = crate::format::RepairBody::decode(record.body) {
                    repairs.push((record.seq, body));
                }
            }
            tree.push(crate::format::leaf::record_leaf(
                record.seq,
                record.timestamp_micros,
                record.record_type,
                record.body,
            ));
        }
        Ok(LogTree {
            origin,
            tree,
            checkpoints,
            repairs,
        })
    }

    /// The number of records (leaves).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The root of the tree of the first `size` records.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        self.tree.root_at(size).ok()
    }

    /// The first recorded checkpoint whose root is not the log's.
    pub fn first_mismatch(&self) -> Option<&RecordedCheckpoint> {
        self.checkpoints.iter().find(|c| !c.matches_log)
    }

    /// The newest recorded checkpoint whose tree holds record `seq`.
    pub fn newest_covering(&self, seq: u64) -> Option<&RecordedCheckpoint> {
        self.checkpoints.iter().rev().find(|c| c.body.size >= seq)
    }

    /// Checks a checkpoint held outside the store against the log: same origin, no larger
    /// than the log, the same root at its size.
    pub fn check_held(&self, held: &Checkpoint) -> Result<(), AuditError> {
        if held.origin != self.origin {
            return Err(AuditError::WrongOrigin {
                expected: self.origin.clone(),
                found: held.origin.clone(),
            });
        }
        let agrees = held.size <= self.size() && self.root_at(held.size) == Some(held.root);
        if !agrees {
            if let Some(why) = self.cut_by_repair(held) {
                return Err(AuditError::LogDisagrees(why));
            }
        }
        if held.size > self.size() {
            return Err(AuditError::LogDisagrees(format!(
                "the log holds {} records, fewer than the {} of the checkpoint held: it was \
                 truncated or rolled back",
                self.size(),
                held.size
            )));
        }
        if self.root_at(held.size) != Some(held.root) {
            return Err(AuditError::LogDisagrees(format!(
                "the log's first {} records do not have the root of the checkpoint held: \
                 history was rewritten",
                held.size
            )));
        }
        Ok(())
    }

    /// Why a checkpoint held disagrees with the log, when a repair recorded in the log cut
    /// records it covers: the first repair record whose seq (the first seq it cut) is within
    /// the held checkpoint's size, with the checkpoints that repair says it cut.
    fn cut_by_repair(&self, held: &Checkpoint) -> Option<String> {
        let (seq, body) = self.repairs.iter().find(|(seq, _)| *seq <= held.size)?;
        let listed = body
            .checkpoints_cut
            .iter()
            .map(|c| {
                let same = if c.size == held.size && c.root == held.root {
                    " (the one held)"
                } else {
                    ""
                };
                format!(
                    "seq {} of {} records, root {}, {}{same}",
                    c.seq,
                    c.size,
                    &crate::note::b64(&c.root)[..12],
                    if c.signed { "signed" } else { "unsigned" }
                )
            })
            .collect::<Vec<_>>();
        let cut = if listed.is_empty() {
            "it recorded no checkpoint as cut".to_owned()
        } else {
            format!("it recorded cutting the checkpoints {}", listed.join("; "))
        };
        Some(format!(
            "the log was repaired at seq {seq} (repair record {seq}): the repair cut the records \
             from seq {seq} on, which the checkpoint held ({} records) covers, so the log can \
             no longer match it; {cut}; the cut records are in log/{}",
            held.size, body.salvage_dir
        ))
    }
}

fn recorded(
    record: &crate::log::RecordRef<'_>,
    origin: &str,
    tree: &MemoryTree,
) -> crate::Result<RecordedCheckpoint> {
    let position = record.position();
    let corrupt = |defect| crate::log::Error::Corrupt {
        position: position.clone(),
        defect,
    };
    let body = CheckpointBody::decode(record.body).map_err(corrupt)?;
    let checkpoint = body.check(record.seq, origin).map_err(corrupt)?;
    Ok(RecordedCheckpoint {
        seq: record.seq,
        position: record.position(),
        matches_log: body.size == tree.size() && tree.root_at(body.size).ok() == Some(body.root),
        body,
        checkpoint,
    })
}

/// An inclusion proof file for record `seq`, against `against` (a checkpoint held outside
/// the store, which must agree with the log) or else the newest recorded checkpoint that
/// covers the record. Its extra data is the record's leaf input, so the verifier recomputes
/// the leaf from it. The proof is verified before it is returned.
pub fn prove(
    log: &Log,
    tree: &LogTree,
    seq: u64,
    against: Option<&Checkpoint>,
) -> Result<ProofFile, crate::Error> {
    let record = log.read(seq)?;
    let checkpoint = match against {
        Some(held) => {
            tree.check_held(held)?;
            held.clone()
        }
        None => {
            let newest = tree.newest_covering(seq).ok_or(AuditError::NotCovered {
                seq,
                covered: tree.checkpoints.last().map_or(0, |c| c.body.size),
            })?;
            if !newest.matches_log {
                return Err(AuditError::LogDisagrees(format!(
                    "the checkpoint recorded at seq {} does not match the log",
                    newest.seq
                ))
                .into());
            }
            newest.checkpoint.clone()
        }
    };
    if seq > checkpoint.size {
        return Err(AuditError::NotCovered {
            seq,
            covered: checkpoint.size,
        }
        .into());
    }
    let index = seq - 1;
    let proof = tree
        .tree
        .inclusion_proof(index, checkpoint.size)
        .map_err(|e| AuditError::Invalid(e.to_string()))?;
    let input = leaf_input(
        record.seq,
        record.timestamp_micros,
        record.record_type,
        &record.body,
    );
    merkle::verify_inclusion(
        &merkle::leaf_hash(&input),
        index,
        checkpoint.size,
        &proof,
        &checkpoint.root,
    )
    .map_err(|e| AuditError::ProofFails(e.to_string()))?;
    Ok(ProofFile {
        extra: Some(input),
        index,
        proof,
        checkpoint,
    })
}

/// What a verified proof proves: this record is in the log the checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRecord {
    /// The record's sequence number.
    pub seq: u64,
    /// Its append time.
    pub time: i64,
    /// Its record type.
    pub record_type: RecordType,
    /// The committed bytes (a dataset event's whole body).
    pub commitment: Vec<u8>,
    /// The checkpoint it is proven against.
    pub checkpoint: Checkpoint,
    /// The key whose signature verified (none when unsigned checkpoints were accepted).
    pub signed_by: Option<String>,
}

/// Checks a checkpoint's origin and signatures: the origin must be `origin`; with pinned
/// keys, one must have signed it (signed-note's rules); with none, an unsigned checkpoint
/// is accepted only if `allow_unsigned` (its worth is then where it was kept).
pub fn check_checkpoint(
    checkpoint: &Checkpoint,
    trusted: &[VerifierKey],
    origin: &str,
    allow_unsigned: bool,
) -> Result<Option<String>, AuditError> {
    if checkpoint.origin != origin {
        return Err(AuditError::WrongOrigin {
            expected: origin.to_owned(),
            found: checkpoint.origin.clone(),
        });
    }
    if trusted.is_empty() && allow_unsigned {
        return Ok(None);
    }
    checkpoint
        .note
        .verify(trusted)
        .map(|key| Some(key.to_string()))
        .map_err(|e| AuditError::BadSignature(e.what))
}

/// Verifies a proof file offline: strict parse, origin and signature, the leaf recomputed
/// from the extra data (whose seq must be the index plus one), and RFC 9162 inclusion with
/// an exact proof length.
pub fn verify_proof(
    bytes: &[u8],
    trusted: &[VerifierKey],
    origin: &str,
    allow_unsigned: bool,
) -> Result<VerifiedRecord, AuditError> {
    let file = ProofFile::parse(bytes).map_err(malformed("proof"))?;
    let signed_by = check_checkpoint(&file.checkpoint, trusted, origin, allow_unsigned)?;
    let extra = file.extra.as_deref().ok_or_else(|| {
        AuditError::ProofFails("the proof carries no record (no extra line)".into())
    })?;
    let input = LeafInput::parse(extra).ok_or_else(|| {
        AuditError::ProofFails("the extra data is not a strata leaf input".into())
    })?;
    if input.seq.checked_sub(1) != Some(file.index) {
        return Err(AuditError::ProofFails(format!(
            "the record is seq {}, but the proof is for index {} (the record of seq index + 1)",
            input.seq, file.index
        )));
    }
    merkle::verify_inclusion(
        &merkle::leaf_hash(extra),
        file.index,
        file.checkpoint.size,
        &file.proof,
        &file.checkpoint.root,
    )
    .map_err(|e| AuditError::ProofFails(e.to_string()))?;
    Ok(VerifiedRecord {
        seq: input.seq,
        time: input.time,
        record_type: input.record_type,
        commitment: input.commitment.to_vec(),
        checkpoint: file.checkpoint,
        signed_by,
    })
}

/// A consistency proof file from `old` (a checkpoint held outside the store, which must
/// agree with the log) to `new` (or the newest recorded checkpoint).
pub fn consistency(
    tree: &LogTree,
    old: &Checkpoint,
    new: Option<&Checkpoint>,
) -> Result<ConsistencyFile, AuditError> {
    tree.check_held(old)?;
    let new = match new {
        Some(new) => {
            tree.check_held(new)?;
            new.clone()
        }
        None => {
            let newest = tree
                .checkpoints
                .last()
                .ok_or_else(|| AuditError::Invalid("the log has no checkpoint record".into()))?;
            newest.checkpoint.clone()
        }
    };
    if new.size < old.size {
        return Err(AuditError::Invalid(format!(
            "the new checkpoint ({} records) is older than the old one ({})",
            new.size, old.size
        )));
    }
    let proof = if old.size == 0 {
        Vec::new()
    } else {
        tree.tree
            .consistency_proof(old.size, new.size)
            .map_err(|e| AuditError::Invalid(e.to_string()))?
    };
    Ok(ConsistencyFile {
        old: old.size,
        proof,
        checkpoint: new,
    })
}

/// The two checkpoints a verified consistency proof links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedConsistency {
    /// The older checkpoint (the one held).
    pub old: Checkpoint,
    /// The newer one (from the proof file).
    pub new: Checkpoint,
}

/// Verifies a consistency proof file offline against the old checkpoint held: both of the
/// pinned origin and signed by a pinned key, the file's old size the held one's, and RFC
/// 9162 consistency with an exact proof length. A failure is evidence: the error carries
/// both checkpoints' text.
pub fn verify_consistency(
    old_bytes: &[u8],
    file_bytes: &[u8],
    trusted: &[VerifierKey],
    origin: &str,
    allow_unsigned: bool,
) -> Result<VerifiedConsistency, AuditError> {
    let old = Checkpoint::parse(old_bytes).map_err(malformed("old checkpoint"))?;
    let file = ConsistencyFile::parse(file_bytes).map_err(malformed("consistency proof"))?;
    check_checkpoint(&old, trusted, origin, allow_unsigned)?;
    check_checkpoint(&file.checkpoint, trusted, origin, allow_unsigned)?;
    if file.old != old.size {
        return Err(AuditError::ProofFails(format!(
            "the proof is from size {}, the checkpoint held has size {}",
            file.old, old.size
        )));
    }
    merkle::verify_consistency(
        old.size,
        file.checkpoint.size,
        &file.proof,
        &old.root,
        &file.checkpoint.root,
    )
    .map_err(|e| {
        AuditError::ProofFails(format!(
            "{e}: the log was rewritten between these two checkpoints (evidence: \
                 old:\n{}new:\n{})",
            old.encode(),
            file.checkpoint.encode()
        ))
    })?;
    Ok(VerifiedConsistency {
        old,
        new: file.checkpoint,
    })
}
