//! The store's tamper-evidence operations: recording a checkpoint, and the audit
//! operations of [`crate::audit`] over the store's log.

use super::{Result, Store};
use crate::audit::{self, AuditExport, LogTree, SidecarReport, TrustedReport};
use crate::note::{Checkpoint, ProofFile, SigningKey, VerifierKey};

/// A checkpoint recorded by [`Store::checkpoint`].
#[derive(Debug, Clone)]
pub struct CheckpointOutcome {
    /// The checkpoint record's sequence number.
    pub seq: u64,
    /// The checkpoint (its tree covers every record before `seq`).
    pub checkpoint: Checkpoint,
    /// Failures after the record was committed, which do not undo it.
    pub post_commit_warnings: Vec<String>,
}

impl Store {
    /// Records a checkpoint of the whole log now (signed with `key` if given) as a
    /// checkpoint record, durably, and returns its seq and checkpoint (whose tree covers
    /// every record before it).
    ///
    /// Returns `Err` only if nothing was committed; what fails after the commit (raising the
    /// durable mark in `log/LOCK`) is in [`CheckpointOutcome::post_commit_warnings`].
    pub fn checkpoint(&self, key: Option<&SigningKey>) -> Result<CheckpointOutcome> {
        let mut writer = self.lock_writer()?;
        let (seq, checkpoint) = writer.append_checkpoint(key, None)?;
        writer.commit()?;
        Ok(CheckpointOutcome {
            seq,
            checkpoint,
            post_commit_warnings: self.log.take_mark_failure_warning().into_iter().collect(),
        })
    }

    /// The tree rebuilt from every record of the log, with every checkpoint record checked.
    pub fn audit_tree(&self) -> Result<LogTree> {
        self.log.refresh()?;
        LogTree::rebuild(&self.log)
    }

    /// An inclusion proof of record `seq` (see [`audit::prove`]), from the `log/tree/`
    /// sidecar (see [`audit::prove_from_tiles`]).
    pub fn prove(&self, seq: u64, against: Option<&Checkpoint>) -> Result<ProofFile> {
        Ok(self.prove_reported(seq, against)?.0)
    }

    /// As [`Store::prove`], with what was done with the sidecar.
    pub fn prove_reported(
        &self,
        seq: u64,
        against: Option<&Checkpoint>,
    ) -> Result<(ProofFile, SidecarReport)> {
        self.log.refresh()?;
        audit::prove_from_tiles(&self.log, seq, against)
    }

    /// A consistency proof from `old` to `new` or the newest recorded checkpoint, from the
    /// `log/tree/` sidecar (see [`audit::consistency_from_tiles`]).
    pub fn consistency(
        &self,
        old: &Checkpoint,
        new: Option<&Checkpoint>,
    ) -> Result<crate::note::ConsistencyFile> {
        Ok(self.consistency_reported(old, new)?.0)
    }

    /// As [`Store::consistency`], with what was done with the sidecar.
    pub fn consistency_reported(
        &self,
        old: &Checkpoint,
        new: Option<&Checkpoint>,
    ) -> Result<(crate::note::ConsistencyFile, SidecarReport)> {
        self.log.refresh()?;
        audit::consistency_from_tiles(&self.log, old, new)
    }

    /// The tree checked against its checkpoints, the pinned keys and a checkpoint held.
    pub fn check_trusted(
        &self,
        held: Option<&Checkpoint>,
        trusted: &[VerifierKey],
    ) -> Result<TrustedReport> {
        self.log.refresh()?;
        audit::check_trusted(&self.log, held, trusted)
    }

    /// Every event of `dataset` with its inclusion proof against one checkpoint.
    pub fn audit_export(
        &self,
        dataset: &str,
        against: Option<&Checkpoint>,
        vkey: Option<&VerifierKey>,
    ) -> Result<AuditExport> {
        let (id, seqs) = {
            let catalog = self.catalog();
            let ds = catalog.get(dataset)?;
            (ds.id, ds.event_seqs.clone())
        };
        self.log.refresh()?;
        audit::audit_export(&self.log, (dataset, id), &seqs, against, vkey)
    }
}
