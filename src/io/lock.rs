//! The writer lock on `log/LOCK`, and the write generation stored in it.
//!
//! The lock is the log's: its errors (a timeout, or the IO of the lock file) are
//! [`crate::log::Error`]s.

use super::{Io, IoFile, LockKind, OpenMode};
use crate::log::{Error, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// A held lock on the log's lock file; released on drop.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: IoFile,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Unlocking cannot meaningfully fail; closing the file releases the lock regardless.
        let _ = self.file.unlock();
    }
}

/// Takes a lock on `path`, retrying with a growing back-off until `timeout` has passed.
///
/// Each call opens the file anew: `flock` locks belong to an open file description, so a
/// fresh description per acquisition keeps a shared and an exclusive lock taken by two
/// threads of one process from silently converting each other.
pub(crate) fn lock(io: &Io, path: &Path, kind: LockKind, timeout: Duration) -> Result<LockGuard> {
    lock_file(open_lock_file(io, path)?, kind, timeout)
}

/// Opens (creating if needed) the lock file for reading and writing.
pub(crate) fn open_lock_file(io: &Io, path: &Path) -> Result<IoFile> {
    Ok(io.open(path, OpenMode::OpenOrCreate)?)
}

/// Takes a lock on an open lock file (see [`lock`]). A writer keeps one open lock file and
/// takes its exclusive lock on it again for each commit, under its writer mutex.
pub(crate) fn lock_file(file: IoFile, kind: LockKind, timeout: Duration) -> Result<LockGuard> {
    let started = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        if file.try_lock(kind)? {
            return Ok(LockGuard { file });
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(Error::LockTimeout {
                lock_file: file.path().to_path_buf(),
                waited,
            });
        }
        std::thread::sleep(pause.min(timeout - waited));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

impl LockGuard {
    /// The write generation stored in the lock file: a counter every writer increments, under
    /// the exclusive lock, before it writes to the log (an empty file reads as 0). A writer
    /// that finds the generation it last saw knows nobody else wrote, and need not re-read
    /// the log before appending.
    pub(crate) fn generation(&self) -> Result<u64> {
        peek_generation(&self.file)
    }

    /// Stores the write generation (see [`LockGuard::generation`]).
    pub(crate) fn set_generation(&self, generation: u64) -> Result<()> {
        Ok(self.file.write_all_at(&generation.to_le_bytes(), 0)?)
    }
}

/// The write generation stored in an open lock file (see [`LockGuard::generation`]), read
/// without taking the lock. A value read while a writer stores the next one may be torn;
/// a watcher that polls it then looks at the log once for nothing, or sees the change at
/// its next poll.
pub(crate) fn peek_generation(file: &IoFile) -> Result<u64> {
    let mut bytes = [0u8; 8];
    let n = file.read_at(&mut bytes, 0)?;
    Ok(if n == 8 { u64::from_le_bytes(bytes) } else { 0 })
}
