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

    /// A request is malformed (for example an upload without files).
    #[error("{0}")]
    InvalidRequest(String),

    /// No dataset has this name or id.
    #[error("no dataset named `{dataset}`; `strata datasets` lists them")]
    UnknownDataset {
        /// The name or id asked for.
        dataset: String,
    },

    /// The dataset has no such version.
    #[error("dataset `{dataset}` has no version `{version}` (it has versions {known}); `strata history {dataset}` lists them")]
    UnknownVersion {
        /// The dataset's name.
        dataset: String,
        /// The version asked for.
        version: String,
        /// The versions it has, for the message.
        known: String,
    },

    /// A hash prefix matches several versions.
    #[error("version prefix `{prefix}` of dataset `{dataset}` matches several versions ({matches}); give more hex digits")]
    AmbiguousVersion {
        /// The dataset's name.
        dataset: String,
        /// The prefix asked for.
        prefix: String,
        /// The matching versions.
        matches: String,
    },

    /// An upload names an existing dataset without asking to overwrite it.
    #[error("dataset `{dataset}` already exists; upload again with overwrite (`--overwrite`) to add a new version (earlier versions are kept)")]
    DatasetExists {
        /// The dataset's name.
        dataset: String,
    },

    /// The drift policy refused an overwrite; the refusal is recorded in the log (committed:
    /// this is the one error of a write whose event is durable).
    #[error("overwrite of `{dataset}` refused (recorded as event {seq}): {reason}")]
    DriftRefused {
        /// The dataset's name.
        dataset: String,
        /// What was refused and how to proceed.
        reason: String,
        /// Sequence number of the `overwrite_blocked` event.
        seq: u64,
        /// What failed after the `overwrite_blocked` event was committed (the invariant
        /// check, the automatic snapshot); the refusal stands.
        post_commit_warnings: Vec<String>,
    },

    /// The upload's content is already stored under another dataset and the duplicate policy
    /// refuses it.
    #[error("the content uploaded as `{dataset}` is already stored as {others}; upload with the duplicate policy `warn` to store it under a second name")]
    DuplicateContent {
        /// The dataset being uploaded.
        dataset: String,
        /// The datasets and versions holding the same content.
        others: String,
    },

    /// A CSV file could not be ingested.
    #[error("{source}")]
    Ingest {
        /// What went wrong, with the file, line and field.
        #[source]
        source: Arc<crate::schema::IngestError>,
    },

    /// A blob's bytes do not hash to its name.
    #[error("blob {} is damaged: its bytes hash to {actual}, not {expected}; restore it from a backup (`strata verify --deep` lists every damaged blob)", path.display())]
    BlobMismatch {
        /// The blob file.
        path: PathBuf,
        /// The hash it is stored under.
        expected: String,
        /// The hash of its bytes.
        actual: String,
    },

    /// A log record that should hold a dataset event cannot be decoded.
    #[error("event {seq} (segment {segment}, offset {offset}) cannot be decoded: {detail}")]
    BadEvent {
        /// Sequence number of the record.
        seq: u64,
        /// Segment number.
        segment: u64,
        /// Byte offset in the segment.
        offset: u64,
        /// What is wrong.
        detail: String,
    },

    /// The catalog broke one of its invariants.
    #[error("invariant violated: {0}")]
    Invariant(String),

    /// A version cannot be made active because the bytes of one of its tables are missing
    /// from the blob store.
    #[error("version {version} of `{dataset}` cannot be made active: the bytes of its table `{table}` (blob {}) are missing; upload the original file again to restore them (`strata verify --deep` lists every missing blob)", path.display())]
    MissingBlob {
        /// The dataset's name.
        dataset: String,
        /// The version.
        version: u64,
        /// The table's display name.
        table: String,
        /// The blob file that is missing.
        path: PathBuf,
    },
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
