//! Sync tracking: what this handle wrote, what is durable, and poisoning after a failure.

use super::Mark;
use crate::io::IoFile;
use crate::log::Log;
use crate::log::{Error, Result};
use std::io;
use std::sync::Arc;

/// What has been written and what is known durable (guarded by the sync mutex).
#[derive(Debug, Default)]
pub(crate) struct SyncState {
    /// End of the last write by this handle, and the file it went to.
    written: Option<(Mark, IoFile)>,
    /// Everything up to here is durable.
    durable: Mark,
    /// A sync is in flight.
    syncing: bool,
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
    /// `fdatasync` for every waiter if none is in flight (group commit).
    pub(super) fn sync_through(&self, mark: Mark) -> Result<()> {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            // What is durable stays durable after a later failure.
            if sync.durable >= mark {
                return Ok(());
            }
            if let Some(error) = &sync.poisoned {
                return Err(error.clone());
            }
            if sync.syncing {
                sync = self.synced.wait(sync).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let (target, file) = sync.written.clone().expect("a write precedes its sync");
            sync.syncing = true;
            drop(sync);
            let outcome = file.sync_data();
            sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.syncing = false;
            match outcome {
                Ok(()) => sync.durable = sync.durable.max(target),
                Err(e) => {
                    sync.poisoned.get_or_insert(Error::poisoned(e));
                }
            }
            self.synced.notify_all();
        }
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
