//! Sync tracking: what this handle wrote, what is durable, and poisoning after a failure.

use super::Mark;
use crate::io::IoFile;
use crate::log::Log;
use crate::log::{Error, Result};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a writer about to start a sync waits for the writers holding or waiting for
/// the writer lock to write first (as the append queue's leader waits, `queue::GATHER_MAX`).
const GATHER_MAX: Duration = Duration::from_micros(500);

/// What has been written and what is known durable (guarded by the sync mutex).
#[derive(Debug, Default)]
pub(crate) struct SyncState {
    /// End of the last write by this handle, and the file it went to.
    written: Option<(Mark, IoFile)>,
    /// Everything up to here is durable.
    durable: Mark,
    /// A sync is in flight.
    syncing: bool,
    /// Writer guards taken or being waited for on this handle: writes about to happen.
    pending_writers: usize,
    /// How long the last sync took.
    last_sync: Duration,
    /// Threads asleep on `synced` (counted under this mutex before they sleep, so that a
    /// wake-up call is made only if one waits: none is missed).
    sleepers: usize,
    /// Set after a failed write or sync; every later append fails with it.
    pub(crate) poisoned: Option<Error>,
}

impl Log {
    pub(super) fn check_not_poisoned(&self) -> Result<()> {
        let sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        match &sync.poisoned {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Marks the handle unusable after a failed write or sync and returns the error to report.
    pub(super) fn poison(&self, error: Error) -> Error {
        let poisoned = match error {
            Error::Poisoned { .. } => error,
            Error::Io(cause) => Error::poisoned(cause),
            // Not expected: the write path fails with IO errors only.
            other => Error::Poisoned {
                file: self.dir.clone(),
                op: "write",
                cause: Arc::new(io::Error::other(other.to_string())),
            },
        };
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        sync.poisoned.get_or_insert(poisoned).clone()
    }

    /// Returns once everything this handle wrote up to `mark` is durable, running one
    /// `fdatasync` for every waiter if none is in flight (group commit). A writer about to
    /// start a sync while other threads hold or wait for the writer lock first waits for
    /// their writes (at most the last sync's duration, and [`GATHER_MAX`]), so that one sync
    /// covers them too: under concurrent load they are a lock hold away from a write, and one
    /// sync for all costs less than one more sync. A lone writer never waits.
    pub(super) fn sync_through(&self, mark: Mark) -> Result<()> {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + sync.last_sync.min(GATHER_MAX);
        loop {
            // What is durable stays durable after a later failure.
            if sync.durable >= mark {
                return Ok(());
            }
            if let Some(error) = &sync.poisoned {
                return Err(error.clone());
            }
            if sync.syncing {
                sync.sleepers += 1;
                sync = self.synced.wait(sync).unwrap_or_else(|e| e.into_inner());
                sync.sleepers -= 1;
                continue;
            }
            let now = Instant::now();
            if sync.pending_writers > 0 && now < deadline {
                sync.sleepers += 1;
                sync = self
                    .synced
                    .wait_timeout(sync, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                sync.sleepers -= 1;
                continue;
            }
            let (target, file) = sync.written.clone().expect("a write precedes its sync");
            sync.syncing = true;
            drop(sync);
            let started = Instant::now();
            let outcome = file.sync_data();
            let took = started.elapsed();
            if outcome.is_ok() {
                self.mark_after_sync(target);
            }
            sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.syncing = false;
            sync.last_sync = took;
            match outcome {
                Ok(()) => sync.durable = sync.durable.max(target),
                Err(e) => {
                    sync.poisoned.get_or_insert(Error::poisoned(e));
                }
            }
            if sync.sleepers > 0 {
                self.synced.notify_all();
            }
        }
    }

    /// Counts a writer guard being taken until the returned token is dropped (see
    /// [`Log::sync_through`]).
    pub(super) fn pending_writer(&self) -> PendingWriter<'_> {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        sync.pending_writers += 1;
        PendingWriter { log: self }
    }

    pub(super) fn note_written(&self, mark: Mark, file: IoFile, durable: bool) {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if sync.written.as_ref().is_none_or(|(m, _)| *m < mark) {
            sync.written = Some((mark, file));
        }
        if durable {
            sync.durable = sync.durable.max(mark);
        }
    }
}

/// A writer guard being taken or held: a write that may be about to happen. Dropping it
/// (when the guard releases its locks, or fails to take them) wakes a writer gathering
/// before its sync.
#[derive(Debug)]
pub(crate) struct PendingWriter<'a> {
    log: &'a Log,
}

impl Drop for PendingWriter<'_> {
    fn drop(&mut self) {
        let mut sync = self.log.sync.lock().unwrap_or_else(|e| e.into_inner());
        sync.pending_writers -= 1;
        let wake = sync.sleepers > 0;
        drop(sync);
        if wake {
            self.log.synced.notify_all();
        }
    }
}
