//! Waiting for new records: [`Log::wait_past`].
//!
//! Two things wake a waiter. This handle's own appends notify a condition variable as soon
//! as the view holds them. Appends of other processes (or other handles) are seen through the
//! write generation in `log/LOCK`, which every writer increments before it writes: the
//! waiter reads those 8 bytes with a growing back-off, and only when they change does it
//! take the shared lock (so that no writer is halfway through its records) and read the new
//! tail of the log. The log itself is never re-read on a timer.

use super::{Error, Log, Result};
use crate::io::lock::{lock, peek_generation};
use crate::io::{IoFile, LockKind, OpenMode};
use std::time::{Duration, Instant};

/// The first pause between two looks at the write generation; it doubles up to
/// [`POLL_MAX`] while nothing changes, and starts again after a change.
const POLL_MIN: Duration = Duration::from_millis(1);

/// The longest pause between two looks at the write generation: how late, at most, a
/// waiter sees an append of another process.
const POLL_MAX: Duration = Duration::from_millis(50);

/// How [`Log::wait_past`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The log holds a record after the one waited past.
    Appended {
        /// The sequence number of the last record now.
        last_seq: u64,
    },
    /// The timeout passed first.
    TimedOut {
        /// The sequence number of the last record (the one waited past, or an earlier one).
        last_seq: u64,
    },
}

impl WaitOutcome {
    /// Whether a record after the one waited past arrived.
    pub fn appended(self) -> bool {
        matches!(self, WaitOutcome::Appended { .. })
    }

    /// The sequence number of the last record when the wait ended.
    pub fn last_seq(self) -> u64 {
        match self {
            WaitOutcome::Appended { last_seq } | WaitOutcome::TimedOut { last_seq } => last_seq,
        }
    }
}

/// What [`Log::wait_past`] waiters have been told of, and how many wait.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// The last sequence number they have been told of.
    pub(crate) last: u64,
    /// Threads asleep on `appended_changed`.
    pub(crate) waiters: usize,
}

impl Log {
    /// Returns once the log holds a record with a sequence number greater than `seq`,
    /// appended by this handle or by any other (in this or another process), or once
    /// `timeout` has passed; the outcome says which. Records of other writers are read into
    /// this handle's view, as [`Log::refresh`] does. A record counts once it is written, as
    /// readers see it, which may be just before it is durable.
    pub fn wait_past(&self, seq: u64, timeout: Duration) -> Result<WaitOutcome> {
        let deadline = Instant::now() + timeout;
        let watched = self.open_lock_file_to_read()?;
        let mut generation = self.catch_up_with_writers(deadline)?;
        let mut pause = POLL_MIN;
        loop {
            let last_seq = self.last_seq();
            if last_seq > seq {
                return Ok(WaitOutcome::Appended { last_seq });
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(WaitOutcome::TimedOut { last_seq });
            }
            if self.wait_for_own_append(seq, pause.min(deadline - now)) {
                continue;
            }
            if Some(peek_generation(&watched)?) == generation {
                pause = (pause * 2).min(POLL_MAX);
            } else {
                generation = self.catch_up_with_writers(deadline)?;
                pause = POLL_MIN;
            }
        }
    }

    /// Reads what other writers appended, under the shared lock so that none is halfway
    /// through its records, and returns the write generation that state reflects. `None`
    /// if the lock could not be had before `deadline` (or within the lock timeout): the next
    /// look tries again.
    fn catch_up_with_writers(&self, deadline: Instant) -> Result<Option<u64>> {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(self.options.lock_timeout);
        // A fresh open file description per lock (read-only), as `io::lock::lock` explains.
        let shared = match lock(self.io(), &self.lock_path, LockKind::Shared, wait) {
            Ok(shared) => shared,
            Err(Error::LockTimeout { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let generation = shared.generation()?;
        self.write_view().refresh(self.options.verify)?;
        drop(shared);
        self.notify_appended();
        Ok(Some(generation))
    }

    /// The lock file, opened for reading only: waiting never writes, and works on a store
    /// that cannot be written.
    fn open_lock_file_to_read(&self) -> Result<IoFile> {
        Ok(self.io().open(&self.lock_path, OpenMode::Read)?)
    }

    /// Waits at most `pause` for this handle's view to hold a record after `seq`; returns
    /// whether it does.
    fn wait_for_own_append(&self, seq: u64, pause: Duration) -> bool {
        let mut published = self.appended.lock().unwrap_or_else(|e| e.into_inner());
        published.waiters += 1;
        let (mut published, _) = self
            .appended_changed
            .wait_timeout_while(published, pause, |p| p.last <= seq)
            .unwrap_or_else(|e| e.into_inner());
        published.waiters -= 1;
        published.last > seq
    }

    /// Wakes the threads waiting in [`Log::wait_past`] if the view holds records they have
    /// not been told of. Called after the view takes in new records.
    pub(crate) fn notify_appended(&self) {
        let last_seq = self.last_seq();
        let mut published = self.appended.lock().unwrap_or_else(|e| e.into_inner());
        if last_seq > published.last {
            published.last = last_seq;
            // A waiter counts itself under this mutex before it sleeps: none is missed, and
            // an append with nobody waiting makes no wake-up call.
            if published.waiters > 0 {
                self.appended_changed.notify_all();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::RecordType;
    use crate::log::LogOptions;
    use std::sync::Arc;

    #[test]
    fn an_append_of_the_handle_wakes_its_waiters_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(Log::create(dir.path(), LogOptions::default()).unwrap());
        let waiter = {
            let log = Arc::clone(&log);
            // Only the condition variable can end this wait early: it looks at nothing else.
            std::thread::spawn(move || log.wait_for_own_append(0, Duration::from_secs(60)))
        };
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        log.append(RecordType(0x100), b"wake up").unwrap();
        assert!(waiter.join().unwrap(), "woken by the append");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
