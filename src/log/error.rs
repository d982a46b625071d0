//! The log's error type, and [`Position`], the one way a place in the log is named.

use crate::error::ErrorKind;
use crate::format::Defect;
use crate::io::{os_error_kind, IoError};
use crate::paths::{file_name, parent};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A `Result` with the log's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A place in the log: a segment, a byte offset in it, and the sequence number there. Every
/// corruption error, every problem [`super::verify`] reports and every undecodable event
/// names one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// The segment file.
    pub segment: PathBuf,
    /// The segment's number (0 for the first segment): the one its header gives, or, where
    /// the header cannot be read, the one its place among the log's segment files gives it.
    pub segment_number: u64,
    /// The byte offset in the segment file (0 is the segment header).
    pub offset: u64,
    /// The sequence number expected at `offset`: the record's there, if a valid record is
    /// there, otherwise the one the next record must carry.
    pub seq: u64,
}

impl Position {
    /// The position `offset` of `segment` (number `segment_number`), expecting `seq` there.
    pub fn new(segment: impl Into<PathBuf>, segment_number: u64, offset: u64, seq: u64) -> Self {
        Position {
            segment: segment.into(),
            segment_number,
            offset,
            seq,
        }
    }

    /// The folder holding the segment (the log folder).
    pub fn log_dir(&self) -> &Path {
        parent(&self.segment)
    }
}

impl fmt::Display for Position {
    /// `segment 00000000000000000001.seg (number 0), offset 653, seq 2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment {} (number {}), offset {}, seq {}",
            file_name(&self.segment),
            self.segment_number,
            self.offset,
            self.seq
        )
    }
}

/// Everything that can go wrong in the log. Each variant says what is wrong and where; what
/// to do about it is for the front end to say (see [`Error::kind`]).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system call failed (the operation, the file and the OS error).
    #[error(transparent)]
    Io(#[from] IoError),

    /// The log is damaged in a way that is not a torn write. Nothing was changed.
    #[error(
        "the log in {} is corrupt at {position}: {defect}; nothing was changed",
        position.log_dir().display()
    )]
    Corrupt {
        /// Where the damage is.
        position: Position,
        /// What is wrong.
        defect: Defect,
    },

    /// Another writer held the writer lock for longer than the lock timeout.
    #[error(
        "timed out after {} waiting for the writer lock {}: another process is writing to \
         this store",
        crate::human::format_duration(*timeout),
        lock_file.display()
    )]
    LockTimeout {
        /// The lock file.
        lock_file: PathBuf,
        /// The lock timeout, which passed while this writer waited (the message names it
        /// rather than the time measured, which a busy machine stretches by a few ms).
        timeout: Duration,
    },

    /// The log's last segment was written under a newer write version than this build
    /// implements: every read works, but this build must not append (it does not know the
    /// rules that version's writers keep).
    #[error(
        "the log was written by a newer strata (write version {write_version}, in {}); this \
         build reads it but must not append to it",
        segment.display()
    )]
    ReadOnly {
        /// The last segment file.
        segment: PathBuf,
        /// Its write version.
        write_version: u16,
    },

    /// The lock file a writer held was deleted (and perhaps created again) while it held it,
    /// so its lock no longer excluded other writers. Nothing was written.
    #[error(
        "the lock file {} was deleted or replaced while this writer held it, so another \
         writer may be appending; nothing was written",
        lock_file.display()
    )]
    LockReplaced {
        /// The lock file.
        lock_file: PathBuf,
    },

    /// A write or sync of this handle failed, so it can no longer promise durability. The
    /// append it was for, and every later append, fails with this error; none of them is
    /// committed. Bytes the handle wrote but did not sync may or may not be in the log when
    /// it is opened again (an incomplete record there is a torn tail, cut before the next
    /// append).
    #[error(
        "not committed: this log handle stopped after a failed {op} of {}: {cause}; what it \
         wrote but did not sync may or may not be in the log when it is opened again, and it \
         accepts no more appends",
        file.display()
    )]
    Poisoned {
        /// The file whose write or sync failed (the log folder if a thread panicked while
        /// committing).
        file: PathBuf,
        /// The operation that failed ("write", "fdatasync", "create", ...).
        op: &'static str,
        /// The OS error, or what else stopped the handle.
        cause: Arc<io::Error>,
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
    #[error(
        "sequence number {seq} is not in the log (it holds sequence numbers {})",
        crate::human::range(*first, *last)
    )]
    SeqOutOfRange {
        /// The sequence number asked for.
        seq: u64,
        /// The first sequence number in the log.
        first: u64,
        /// The last sequence number in the log (0 if empty).
        last: u64,
    },

    /// There is no log (store) at the given place.
    #[error("no strata store at {}", path.display())]
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

    /// An option or argument value is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

impl Error {
    /// The error a failed write or sync leaves this handle with (see [`Error::Poisoned`]).
    pub(crate) fn poisoned(cause: IoError) -> Error {
        Error::Poisoned {
            file: cause.path,
            op: cause.op,
            cause: cause.source,
        }
    }

    /// What kind of failure this is (see [`ErrorKind`] for what each kind means to a front
    /// end): `Io` by its OS error; `Corrupt`; `Busy` for a lock timeout or a lock file
    /// replaced under the writer; `ReadOnly` for a log of a newer write version; `Poisoned`
    /// by the OS error that stopped the handle; `TooLarge`; `NotFound` for a sequence number
    /// or a log that is not there; `Refused` for a log that already exists; `Invalid`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io(e) => e.kind(),
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::LockTimeout { .. } | Error::LockReplaced { .. } => ErrorKind::Busy,
            Error::ReadOnly { .. } => ErrorKind::ReadOnly,
            Error::Poisoned { cause, .. } => os_error_kind(cause),
            Error::RecordTooLarge { .. } => ErrorKind::TooLarge,
            Error::SeqOutOfRange { .. } | Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::Refused,
            Error::InvalidOption(_) => ErrorKind::Invalid,
        }
    }

    /// The place in the log the error concerns, if it concerns one (corruption).
    pub fn position(&self) -> Option<&Position> {
        match self {
            Error::Corrupt { position, .. } => Some(position),
            _ => None,
        }
    }
}
