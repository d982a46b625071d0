//! `verify --trusted`: the tree rebuilt and checked against every recorded checkpoint, the
//! pinned keys and a checkpoint held outside the store, with a verdict that tells media
//! damage (the checksums fail) from tampering (the checksums hold, the hashes do not) from
//! a store that cannot be verified (no anchor to check it against).

use super::{check_checkpoint, AuditError, LogTree};
use crate::log::Log;
use crate::merkle::Hash;
use crate::note::{Checkpoint, VerifierKey};
use serde::Serialize;

/// The verdict of [`check_trusted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustedOutcome {
    /// Every recorded checkpoint matches the log, and the log agrees with an anchor (the
    /// checkpoint held, or a checkpoint signed by a pinned key).
    Healthy,
    /// The log's checksums or structure fail (media damage, or an edit that did not fix the
    /// CRCs): reported by the log check, before any tree is built.
    Corrupt,
    /// The checksums hold but the hashes do not: a recorded checkpoint's root is not the
    /// log's, a checkpoint signed by a pinned key fails, or the log disagrees with the
    /// checkpoint held (rewritten, truncated, rolled back).
    Tampered,
    /// Nothing to check the log against: no checkpoint held and none signed by a pinned
    /// key (or the one held is not of this store, or not signed by a pinned key).
    Unverifiable,
}

/// What [`check_trusted`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedReport {
    /// The log's origin.
    pub origin: String,
    /// Records in the log (the tree size).
    pub size: u64,
    /// The tree's root, base64.
    pub root: String,
    /// Checkpoint records checked against the tree.
    pub checkpoints_checked: usize,
    /// Of those, the ones signed by a pinned key (their signature verified).
    pub signed_checkpoints: usize,
    /// The size of the newest anchor: the checkpoint held (if it agrees) or the newest
    /// checkpoint signed by a pinned key.
    pub anchored_size: u64,
    /// Records after the newest anchor: appended (or forged) since, proven by nothing yet.
    pub unanchored_tail: u64,
    /// Every problem found, in words naming the checkpoint record (seq) or the range.
    pub problems: Vec<String>,
    /// The verdict.
    pub outcome: TrustedOutcome,
}

/// Checks the log against its recorded checkpoints, the pinned keys and `held` (a
/// checkpoint kept outside the store). The log itself must open (a log that does not is
/// [`TrustedOutcome::Corrupt`], which the caller reports from the log check).
pub fn check_trusted(
    log: &Log,
    held: Option<&Checkpoint>,
    trusted: &[VerifierKey],
) -> crate::Result<TrustedReport> {
    let tree = LogTree::rebuild(log)?;
    let root: Hash = tree.root_at(tree.size()).expect("the whole tree");
    let mut report = TrustedReport {
        origin: tree.origin.clone(),
        size: tree.size(),
        root: crate::note::b64(&root),
        checkpoints_checked: tree.checkpoints.len(),
        signed_checkpoints: 0,
        anchored_size: 0,
        unanchored_tail: 0,
        problems: Vec::new(),
        outcome: TrustedOutcome::Healthy,
    };
    let mut tampered = false;
    let mut last_good = 0;
    for recorded in &tree.checkpoints {
        if !recorded.matches_log {
            tampered = true;
            report.problems.push(format!(
                "the checkpoint recorded at seq {} (tree of {} records) does not match the log: \
                 records {} to {} were changed, removed, added or reordered",
                recorded.seq,
                recorded.body.size,
                last_good + 1,
                recorded.body.size
            ));
            continue;
        }
        last_good = recorded.body.size;
        if trusted.is_empty() || recorded.checkpoint.note.signatures.is_empty() {
            continue;
        }
        match check_checkpoint(&recorded.checkpoint, trusted, &tree.origin, false) {
            Ok(_) => {
                report.signed_checkpoints += 1;
                report.anchored_size = report.anchored_size.max(recorded.body.size);
            }
            Err(AuditError::BadSignature(why)) if why.contains("does not verify") => {
                tampered = true;
                report.problems.push(format!(
                    "the checkpoint recorded at seq {} carries a pinned key's name and id but \
                     its signature does not verify",
                    recorded.seq
                ));
            }
            Err(_) => {}
        }
    }
    let mut unverifiable = false;
    if let Some(held) = held {
        match held_status(&tree, held, trusted) {
            Ok(()) => report.anchored_size = report.anchored_size.max(held.size),
            Err(HeldProblem::Tampered(why)) => {
                tampered = true;
                report.problems.push(why);
            }
            Err(HeldProblem::Unverifiable(why)) => {
                unverifiable = true;
                report.problems.push(why);
            }
        }
    }
    report.unanchored_tail = report.size - report.anchored_size.min(report.size);
    let anchored = report.signed_checkpoints > 0 || (held.is_some() && !unverifiable);
    report.outcome = if tampered {
        TrustedOutcome::Tampered
    } else if unverifiable || !anchored {
        if !anchored && !unverifiable {
            report.problems.push(
                "no checkpoint held and none signed by a pinned key: nothing to check the log \
                 against"
                    .into(),
            );
        }
        TrustedOutcome::Unverifiable
    } else {
        TrustedOutcome::Healthy
    };
    Ok(report)
}

enum HeldProblem {
    Tampered(String),
    Unverifiable(String),
}

fn held_status(
    tree: &LogTree,
    held: &Checkpoint,
    trusted: &[VerifierKey],
) -> Result<(), HeldProblem> {
    if held.origin != tree.origin {
        return Err(HeldProblem::Unverifiable(format!(
            "the checkpoint held is of {}, not of this store ({})",
            held.origin, tree.origin
        )));
    }
    if !trusted.is_empty() {
        if let Err(e) = check_checkpoint(held, trusted, &tree.origin, false) {
            return Err(HeldProblem::Unverifiable(format!(
                "the checkpoint held: {e}"
            )));
        }
    }
    tree.check_held(held)
        .map_err(|e| HeldProblem::Tampered(e.to_string()))
}
