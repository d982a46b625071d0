//! The crate's error type. Every variant says what went wrong, where (file, segment, byte
//! offset, sequence number) and, where there is something to do, what to do next.

use crate::format::Defect;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in strata.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system call failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done ("open", "fdatasync", ...).
        op: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: Arc<io::Error>,
    },

    /// The log is damaged in a way that is not a torn write.
    #[error(
        "corrupt log: {}, offset {offset}, at sequence number {seq}: {defect}. \
         Nothing was changed; `strata verify` lists every problem and `strata repair` \
         salvages the log (keeping a copy of what it cuts)",
        segment.display()
    )]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset within the segment.
        offset: u64,
        /// The sequence number expected at that position.
        seq: u64,
        /// What is wrong.
        defect: Defect,
    },

    /// Another writer held the lock for longer than the timeout.
    #[error(
        "timed out after {waited:?} waiting for the writer lock {}: another process is \
         writing to this store; retry, or raise the lock timeout",
        lock_file.display()
    )]
    LockTimeout {
        /// The lock file.
        lock_file: PathBuf,
        /// How long this writer waited.
        waited: Duration,
    },

    /// A previous fsync failed, so this handle can no longer promise durability.
    #[error(
        "this log handle stopped after a failed fsync of {} ({cause}); the kernel may have \
         dropped unsynced writes: reopen the store to recover from what is on disk",
        path.display()
    )]
    Poisoned {
        /// The file whose sync failed.
        path: PathBuf,
        /// The original error.
        cause: String,
    },

    /// A record body exceeds the format's maximum.
    #[error("record body of {len} bytes exceeds the maximum of {max} bytes")]
    RecordTooLarge {
        /// The body length.
        len: usize,
        /// The maximum.
        max: u32,
    },

    /// A sequence number that the log does not hold.
    #[error("sequence number {seq} is not in the log (it holds {first}..={last})")]
    SeqOutOfRange {
        /// The sequence number asked for.
        seq: u64,
        /// The first sequence number in the log.
        first: u64,
        /// The last sequence number in the log (0 if empty).
        last: u64,
    },

    /// There is no log (store) at the given place.
    #[error("no strata store at {}: create one first (`strata init`)", path.display())]
    NotFound {
        /// The folder that was expected to hold the log.
        path: PathBuf,
    },

    /// `create` was asked for where a log already exists.
    #[error("a strata store already exists at {}", path.display())]
    AlreadyExists {
        /// The existing folder.
        path: PathBuf,
    },

    /// An option value is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

impl Error {
    /// Wraps an IO error with the operation and path it concerns.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            source: Arc::new(source),
        }
    }
}

/// Adds the operation and path to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn ctx(self, op: &'static str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| Error::io(op, path, e))
    }
}
