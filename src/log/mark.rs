//! Publishing the durable mark: after an `fdatasync` of the log completes, the writer raises
//! the mark in `log/LOCK` to the end of what that sync covered, so that any process can tell
//! damage in acknowledged records (corruption) from a torn write (FORMAT.md, "The lock
//! file").
//!
//! The mark is only ever raised. Raising it is a read and a write of `log/LOCK`, made one
//! step for every writer by the exclusive lock: after a commit's sync (which runs outside the
//! lock, for group commit) the writer tries the lock once without waiting. If another writer
//! holds it, the mark stays pending and is raised under the lock at this handle's next
//! commit; meanwhile the writer holding the lock appends after these bytes and raises the
//! mark past them once its own sync completes. Until then, or if the process dies first, the
//! bytes alone classify a damaged tail, as in format version 1: never worse than without a
//! mark.

use super::Error;
use crate::format::lock_file::LogPosition;
use crate::io::lock::{self, LockGuard};
use crate::io::{Io, IoFile, LockKind};
use std::path::Path;

/// The durable mark this handle has yet to publish (guarded by its own mutex, so that
/// publishing never holds the append queue or the sync state).
#[derive(Debug, Default)]
pub(crate) struct MarkState {
    /// The lock file, opened on first use: an open file of its own, so that trying the lock
    /// here conflicts with this handle's writer holding it through another.
    file: Option<IoFile>,
    /// The end of what a sync covered, not written yet (the lock was busy).
    pending: Option<LogPosition>,
    /// The first failure to open the lock file or write the mark since
    /// [`super::Log::take_mark_failure`] last took it.
    failure: Option<Error>,
}

impl MarkState {
    /// After an `fdatasync` that covered the log up to `durable`: raises the mark now if the
    /// lock is free, or leaves it pending. A failure does not fail the commit: the sync
    /// succeeded, so the records are durable and their commit stands; only the evidence is
    /// missing, and the failure is kept for [`super::Log::take_mark_failure`].
    pub(crate) fn after_sync(&mut self, io: &Io, lock_path: &Path, durable: LogPosition) {
        self.pending = self.pending.max(Some(durable));
        if self.file.is_none() {
            match lock::open_lock_file(io, lock_path, LockKind::Exclusive) {
                Ok(file) => self.file = Some(file),
                Err(e) => self.note_failure(e),
            }
        }
        let Some(file) = self.file.clone() else {
            return;
        };
        match lock::try_lock_exclusive(io, &file) {
            Ok(Some(guard)) => self.publish(&guard),
            // Busy: the holder, or this handle's next commit, raises it. (If the lock file
            // was replaced, it is reopened next time.)
            Ok(None) => self.file = None,
            Err(e) => {
                self.file = None;
                self.note_failure(e);
            }
        }
    }

    fn note_failure(&mut self, error: Error) {
        self.failure.get_or_insert(error);
    }

    /// Under the exclusive lock (a commit's, or one just tried): raises the mark to what is
    /// pending.
    pub(crate) fn publish(&mut self, guard: &LockGuard) {
        let Some(mark) = self.pending else {
            return;
        };
        match guard.raise_durable_mark(mark) {
            Ok(()) => self.pending = None,
            Err(e) => self.note_failure(e),
        }
    }

    /// Drops what is pending: another writer (or a repair) wrote since, after these bytes,
    /// and raises the mark itself once its sync completes; a repair reset it.
    pub(crate) fn forget_pending(&mut self) {
        self.pending = None;
    }
}

impl super::Log {
    fn mark_state(&self) -> std::sync::MutexGuard<'_, MarkState> {
        self.mark.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After an `fdatasync` outside the writer lock (a commit's) covered the log up to
    /// `durable`: publishes the mark, or leaves it pending (see [`MarkState::after_sync`]).
    pub(super) fn mark_after_sync(&self, durable: LogPosition) {
        self.mark_state()
            .after_sync(self.io(), &self.lock_path, durable);
    }

    /// After an `fdatasync` under the writer lock (a seal's, a torn-tail cut's) covered the
    /// log up to `durable`: raises the mark at once. A failure does not fail the write (see
    /// [`MarkState::after_sync`]).
    pub(super) fn mark_after_locked_sync(&self, lock: &LockGuard, durable: LogPosition) {
        if let Err(e) = lock.raise_durable_mark(durable) {
            self.mark_state().note_failure(e);
        }
    }

    /// Takes the first failure to raise the durable mark in `log/LOCK` since the last call:
    /// the commits it followed stand (their sync succeeded), but `log/LOCK` may not say they
    /// were acknowledged, so damage to them may read as a torn tail, as in format version 1.
    /// A store reports it as a warning of the write after which it finds it.
    pub fn take_mark_failure(&self) -> Option<Error> {
        self.mark_state().failure.take()
    }

    /// [`Self::take_mark_failure`] as the warning a committed write reports with it.
    pub fn take_mark_failure_warning(&self) -> Option<String> {
        self.take_mark_failure().map(|e| {
            format!(
                "the write is committed, but recording that it was acknowledged (the durable \
                 mark in log/LOCK) failed: {e}"
            )
        })
    }

    /// Under the writer lock just taken: raises the mark to what an earlier sync of this
    /// handle left pending, unless another writer wrote since (`current` is false), whose own
    /// sync covers those bytes.
    pub(super) fn publish_pending_mark(&self, lock: &LockGuard, current: bool) {
        let mut state = self.mark_state();
        if current {
            state.publish(lock);
        } else {
            state.forget_pending();
        }
    }
}
