//! Inclusion and consistency proofs from the `log/tree/` sidecar, checked against the log's
//! own root before they are returned (FORMAT.md, *The tree sidecar*).
//!
//! The log's root is the frontier continued from the last checkpoint record (what a writer
//! continues the tree from), so a proof costs the tail since that record, the proven record
//! and a few tiles, not the whole log. A proof from the tiles is used only if both checks
//! pass: the inclusion proof (its leaf hashed from the record itself) against the
//! checkpoint's root, and the checkpoint's root against the log's root (a consistency proof
//! from the tiles, or equal roots). Otherwise the tree is rebuilt from every record, as
//! [`super::LogTree::rebuild`] does, the proof comes from it with every check that implies
//! (a log that disagrees with its checkpoints is refused there), and the sidecar's tiles are
//! rewritten from it.

use super::{AuditError, LogTree};
use crate::format::leaf::leaf_input;
use crate::log::tiles::{Recorder, SidecarReport, TileReader};
use crate::log::Log;
use crate::merkle::{self, Frontier, Hash};
use crate::note::{Checkpoint, ConsistencyFile, ProofFile};

/// The log's end as the sidecar proofs need it: its frontier and last checkpoint record.
struct LogEnd {
    origin: String,
    frontier: Frontier,
    /// The last checkpoint record's seq and checkpoint (its note, checked against its body).
    last: Option<(u64, Checkpoint)>,
}

fn log_end(log: &Log) -> crate::Result<LogEnd> {
    let origin = crate::note::origin_for_store(&log.store_id());
    let end = log.tree_at_end()?;
    let last = match end.last_checkpoint {
        Some((seq, body)) => {
            let note = body.check(seq, &origin).map_err(|defect| {
                AuditError::LogDisagrees(format!("the checkpoint record at seq {seq}: {defect}"))
            })?;
            Some((seq, note))
        }
        None => None,
    };
    Ok(LogEnd {
        origin,
        frontier: end.frontier,
        last,
    })
}

/// A checkpoint held outside the store, checked against what the log's end says of it
/// without the tree: the same origin, and no larger than the log.
fn check_held_size(end: &LogEnd, held: &Checkpoint) -> Result<(), AuditError> {
    if held.origin != end.origin {
        return Err(AuditError::WrongOrigin {
            expected: end.origin.clone(),
            found: held.origin.clone(),
        });
    }
    if held.size > end.frontier.size() {
        return Err(AuditError::LogDisagrees(format!(
            "the log holds {} records, fewer than the {} of the checkpoint held: it was \
             truncated or rolled back",
            end.frontier.size(),
            held.size
        )));
    }
    Ok(())
}

/// Whether the tiles say that `checkpoint` is a prefix of the log's tree: a consistency
/// proof from it to the log's root, built from the tiles, verifies.
fn anchored(
    reader: &mut TileReader<'_>,
    checkpoint: &Checkpoint,
    end: &Frontier,
) -> crate::Result<bool> {
    let root = end.root();
    if checkpoint.size == end.size() {
        return Ok(checkpoint.root == root);
    }
    if checkpoint.size == 0 {
        return Ok(checkpoint.root == merkle::empty_root());
    }
    let proof = consistency_from(reader, checkpoint.size, end.size())?;
    Ok(
        merkle::verify_consistency(checkpoint.size, end.size(), &proof, &checkpoint.root, &root)
            .is_ok(),
    )
}

fn inclusion_from(reader: &mut TileReader<'_>, index: u64, size: u64) -> crate::Result<Vec<Hash>> {
    let wanted = Recorder::default();
    merkle::inclusion_proof(&wanted, index, size)
        .map_err(|e| AuditError::Invalid(e.to_string()))?;
    let nodes = reader.fetch(wanted)?;
    Ok(merkle::inclusion_proof(&nodes, index, size).expect("the same request succeeded"))
}

fn consistency_from(reader: &mut TileReader<'_>, old: u64, new: u64) -> crate::Result<Vec<Hash>> {
    let wanted = Recorder::default();
    merkle::consistency_proof(&wanted, old, new).map_err(|e| AuditError::Invalid(e.to_string()))?;
    let nodes = reader.fetch(wanted)?;
    Ok(merkle::consistency_proof(&nodes, old, new).expect("the same request succeeded"))
}

/// The tree rebuilt from every record (after the sidecar's proof failed its check, for
/// `why`), with the sidecar's tiles rewritten from it.
fn rebuild(log: &Log, reader: &mut TileReader<'_>, why: &str) -> crate::Result<LogTree> {
    let tree = LogTree::rebuild(log)?;
    reader.report.rebuilt = Some(why.to_owned());
    if tree.size() == reader.size() {
        reader.rewrite_from(&tree.tree);
    }
    Ok(tree)
}

/// An inclusion proof of record `seq`, as [`super::prove`] makes it, from the sidecar (see
/// the module's description), and what was done with the sidecar.
pub fn prove_from_tiles(
    log: &Log,
    seq: u64,
    against: Option<&Checkpoint>,
) -> crate::Result<(ProofFile, SidecarReport)> {
    let record = log.read(seq)?;
    let end = log_end(log)?;
    let checkpoint = match against {
        Some(held) => {
            check_held_size(&end, held)?;
            held.clone()
        }
        None => match &end.last {
            Some((_, newest)) if newest.size >= seq => newest.clone(),
            last => {
                return Err(AuditError::NotCovered {
                    seq,
                    covered: last.as_ref().map_or(0, |(_, c)| c.size),
                }
                .into())
            }
        },
    };
    if seq > checkpoint.size {
        return Err(AuditError::NotCovered {
            seq,
            covered: checkpoint.size,
        }
        .into());
    }
    let index = seq - 1;
    let input = leaf_input(
        record.seq,
        record.timestamp_micros,
        record.record_type,
        &record.body,
    );
    let leaf = merkle::leaf_hash(&input);
    let mut reader = TileReader::new(log, end.frontier.size());
    let proof = inclusion_from(&mut reader, index, checkpoint.size)?;
    let included =
        merkle::verify_inclusion(&leaf, index, checkpoint.size, &proof, &checkpoint.root).is_ok();
    if included && anchored(&mut reader, &checkpoint, &end.frontier)? {
        let file = ProofFile {
            extra: Some(input),
            index,
            proof,
            checkpoint,
        };
        return Ok((file, reader.report));
    }
    let tree = rebuild(
        log,
        &mut reader,
        "a proof from the tiles did not check against the log's root",
    )?;
    let file = super::prove(log, &tree, seq, against)?;
    Ok((file, reader.report))
}

/// A consistency proof from `old` to `new` (or the newest recorded checkpoint), as
/// [`super::consistency`] makes it, from the sidecar: the proof from `old` to `new` and the
/// one from `new` to the log's root are both checked.
pub fn consistency_from_tiles(
    log: &Log,
    old: &Checkpoint,
    new: Option<&Checkpoint>,
) -> crate::Result<(ConsistencyFile, SidecarReport)> {
    let end = log_end(log)?;
    check_held_size(&end, old)?;
    let newer = match new {
        Some(new) => {
            check_held_size(&end, new)?;
            new.clone()
        }
        None => end
            .last
            .as_ref()
            .map(|(_, c)| c.clone())
            .ok_or_else(|| AuditError::Invalid("the log has no checkpoint record".into()))?,
    };
    if newer.size < old.size {
        return Err(AuditError::Invalid(format!(
            "the new checkpoint ({} records) is older than the old one ({})",
            newer.size, old.size
        ))
        .into());
    }
    let mut reader = TileReader::new(log, end.frontier.size());
    let proof = match (old.size, newer.size) {
        (0, _) => Vec::new(),
        (m, n) => consistency_from(&mut reader, m, n)?,
    };
    let linked = if old.size == 0 {
        old.root == merkle::empty_root()
    } else {
        merkle::verify_consistency(old.size, newer.size, &proof, &old.root, &newer.root).is_ok()
    };
    if linked && anchored(&mut reader, &newer, &end.frontier)? {
        let file = ConsistencyFile {
            old: old.size,
            proof,
            checkpoint: newer,
        };
        return Ok((file, reader.report));
    }
    let tree = rebuild(
        log,
        &mut reader,
        "a consistency proof from the tiles did not check against the log's root",
    )?;
    let file = super::consistency(&tree, old, new)?;
    Ok((file, reader.report))
}
