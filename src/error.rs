//! The crate's error type, and [`ErrorKind`], the classification front ends map to exit
//! codes and statuses.
//!
//! Each layer has its own error: the IO seam's [`IoError`], the log's [`log::Error`], and
//! this one, the store's, which wraps both and adds its own. Every message says what went
//! wrong and where (file, segment, byte offset, sequence number, dataset, version); what to
//! do next is for the front end to say, in its own terms, from [`Error::kind`] and the
//! variant.

use crate::io::{os_error_kind, IoError};
use crate::log::{self, Position};
use crate::schema::IngestError;
use std::path::PathBuf;
use std::sync::Arc;

/// A `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The operations that need a reason ([`Error::ReasonRequired`]), so that a front end can
/// say where to give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonFor {
    /// A rollback: the reason is its note.
    Rollback,
    /// An upload whose content is an earlier version, making it active again: a rollback,
    /// whose reason is the upload's note.
    Reactivation,
    /// Setting a drift policy: the reason is the `policy_set` event's note.
    PolicySet,
}

/// What kind of failure an error is: what a front end needs to choose an exit code, a
/// status and what to suggest, without matching every variant. Every error has exactly one
/// kind ([`Error::kind`], [`log::Error::kind`], [`IoError::kind`]).
///
/// The exit code is the one the `strata` command line ends with; the HTTP status is the one
/// a server should answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A rule of the store refused the operation, and nothing is wrong with the store: the
    /// drift policy ([`Error::DriftRefused`], the one refusal that is recorded), an upload
    /// to an existing dataset that did not ask to overwrite it ([`Error::DatasetExists`]),
    /// content the duplicate policy refuses ([`Error::DuplicateContent`]), a store created
    /// where one exists ([`log::Error::AlreadyExists`]). Exit code 1; HTTP 409 Conflict.
    Refused,
    /// What was asked for does not exist: no store at the path ([`log::Error::NotFound`]),
    /// no such dataset ([`Error::UnknownDataset`]) or version ([`Error::UnknownVersion`]),
    /// a sequence number the log does not hold ([`log::Error::SeqOutOfRange`]). Exit code
    /// 2; HTTP 404 Not Found.
    NotFound,
    /// The request or its input is malformed: [`Error::InvalidRequest`],
    /// [`log::Error::InvalidOption`], [`Error::AmbiguousVersion`], and a CSV file that
    /// cannot be ingested ([`Error::Ingest`], unless storing its bytes failed: that has the
    /// kind of its OS error). Exit code 2; HTTP 400 Bad Request (422 Unprocessable Content
    /// for a file that cannot be ingested).
    Invalid,
    /// A record is larger than the format allows ([`log::Error::RecordTooLarge`]). Exit
    /// code 2; HTTP 413 Content Too Large.
    TooLarge,
    /// Another process holds the writer lock for longer than the lock timeout
    /// ([`log::Error::LockTimeout`]); the same request may succeed later. Exit code 2;
    /// HTTP 503 Service Unavailable, with `Retry-After`.
    Busy,
    /// The stored data is damaged or inconsistent, and nothing was changed: a corrupt log
    /// ([`log::Error::Corrupt`]), an undecodable event ([`Error::BadEvent`]), a blob whose
    /// bytes do not match its hash ([`Error::BlobMismatch`]) or that is missing
    /// ([`Error::MissingBlob`], refusing a rollback to its version), a broken invariant
    /// ([`Error::Invariant`]). Exit code 2; HTTP 500 Internal Server Error.
    Corrupt,
    /// The file system is full, or the quota is used up (`ENOSPC`, `EDQUOT`), in an IO
    /// error ([`Error::Io`], [`log::Error::Io`]) or in what stopped a log handle
    /// ([`log::Error::Poisoned`]). Exit code 2; HTTP 507 Insufficient Storage.
    StorageFull,
    /// The store cannot be written here: the file system is mounted read-only (`EROFS`), in
    /// an IO error or in what stopped a log handle; or the log was written under a newer
    /// write version than this build implements ([`log::Error::ReadOnly`]), so this build
    /// reads it but must not append. Exit code 2; HTTP 503 Service Unavailable.
    ReadOnly,
    /// Any other failed operating-system call ([`Error::Io`], [`log::Error::Io`],
    /// [`log::Error::Poisoned`]). Exit code 2; HTTP 500 Internal Server Error.
    Io,
}

impl ErrorKind {
    /// The name of the kind in `snake_case` (`refused`, `not_found`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Refused => "refused",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Busy => "busy",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::StorageFull => "storage_full",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::Io => "io",
        }
    }
}

/// Everything that can go wrong in strata.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The log failed: IO on its files, corruption, a lock timeout, a stopped handle, ...
    #[error(transparent)]
    Log(#[from] log::Error),

    /// An operating-system call on a file of the store outside the log (a blob, a snapshot)
    /// failed.
    #[error(transparent)]
    Io(#[from] IoError),

    /// A request is malformed (for example an upload without files).
    #[error("{0}")]
    InvalidRequest(String),

    /// A tamper-evidence operation failed: a malformed file, a proof or signature that does
    /// not verify, or a log that disagrees with a checkpoint.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),

    /// No dataset has this name or id.
    #[error("no dataset named `{dataset}`")]
    UnknownDataset {
        /// The name or id asked for.
        dataset: String,
    },

    /// An overwrite names no existing dataset, and the request does not allow creating one
    /// (a typo must not become a new dataset).
    #[error("no dataset named `{dataset}` to overwrite{}", closest_hint(closest))]
    OverwriteOfUnknownDataset {
        /// The name asked for.
        dataset: String,
        /// The existing names closest to it (likely typos), closest first; at most three.
        closest: Vec<String>,
    },

    /// The dataset has no such version.
    #[error("dataset `{dataset}` has no version `{version}` (it has {known})")]
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
    #[error("dataset `{dataset}` already exists and the upload does not overwrite it")]
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

    /// An operation the audit trail must explain was given no reason: a rollback (or an
    /// upload that makes an earlier version active again, which is one), or a `policy_set`.
    /// Nothing was recorded.
    #[error("{action} needs a reason (it is recorded in the event), and none was given")]
    ReasonRequired {
        /// What needs it.
        operation: ReasonFor,
        /// What needs it, for people: ``a rollback of `trial` from version 3 to version 1``.
        action: String,
    },

    /// An upload asked for a drift rule weaker than the one a `policy_set` event put in
    /// force, without a reason. Nothing was recorded.
    #[error("the upload to `{dataset}` asks for the drift policy `{requested}`, which is weaker than the `{in_force}` in force ({source_of_rule}); a weaker policy on one upload needs a reason, recorded as an override")]
    PolicyWeakened {
        /// The dataset's name.
        dataset: String,
        /// The rule the upload asked for.
        requested: crate::schema::DriftRule,
        /// The rule in force.
        in_force: crate::schema::DriftRule,
        /// Where the rule in force is set, for people (`the store's policy, set at event 12`).
        source_of_rule: String,
    },

    /// The upload's content is already stored under another dataset and the duplicate policy
    /// refuses it.
    #[error("the content uploaded as `{dataset}` is already stored as {others}, and the duplicate policy refuses to store it under a second name")]
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
        source: Arc<IngestError>,
    },

    /// A blob's bytes do not hash to its name.
    #[error("blob {} is damaged: its bytes hash to {actual}, not {expected}", path.display())]
    BlobMismatch {
        /// The blob file.
        path: PathBuf,
        /// The hash it is stored under.
        expected: String,
        /// The hash of its bytes.
        actual: String,
    },

    /// A log record that should hold a dataset event cannot be decoded.
    #[error("the dataset event at {position} cannot be decoded: {detail}")]
    BadEvent {
        /// Where the record is (its sequence number is `position.seq`).
        position: Position,
        /// What is wrong.
        detail: String,
    },

    /// A log record that should hold a query run (type `0x0102`) cannot be decoded.
    #[error("the query run at {position} cannot be decoded: {detail}")]
    BadQueryRun {
        /// Where the record is (its sequence number is `position.seq`).
        position: Position,
        /// What is wrong.
        detail: String,
    },

    /// A `table_bytes` record (a table's bytes inside the log) is invalid: its head does not
    /// decode, or its bytes do not hash to the SHA-256 it names.
    #[error("the table_bytes record at {position} is invalid: {detail}")]
    BadTableBytes {
        /// Where the record is (its sequence number is `position.seq`).
        position: Position,
        /// What is wrong.
        detail: String,
    },

    /// The catalog broke one of its invariants.
    #[error("invariant violated{}: {detail}", at_event(*seq))]
    Invariant {
        /// The sequence number of the event that broke it, where one did.
        seq: Option<u64>,
        /// What is wrong.
        detail: String,
    },

    /// A version cannot be made active because the bytes of one of its tables are missing
    /// from the blob store (nothing was changed).
    #[error("version {version} of `{dataset}` cannot be made active: the bytes of its table `{table}` (blob {}) are missing; upload the original file again to restore them", path.display())]
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

/// A file that cannot be ingested is invalid input, unless storing its bytes failed: that is
/// the store's IO, of the kind its OS error gives.
fn ingest_kind(error: &IngestError) -> ErrorKind {
    match error {
        IngestError::Sink { source, .. } => match source.get_ref().and_then(|e| e.downcast_ref()) {
            Some(IoError { source, .. }) => os_error_kind(source),
            None => os_error_kind(source),
        },
        _ => ErrorKind::Invalid,
    }
}

fn closest_hint(closest: &[String]) -> String {
    if closest.is_empty() {
        return String::new();
    }
    let names: Vec<String> = closest
        .iter()
        .map(|n| format!("`{}`", crate::human::escape_controls(n)))
        .collect();
    format!(" (the closest existing names: {})", names.join(", "))
}

fn at_event(seq: Option<u64>) -> String {
    seq.map(|s| format!(" by event {s}")).unwrap_or_default()
}

impl Error {
    /// Wraps an IO error with the operation and path it concerns.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io(IoError::new(op, path, source))
    }

    /// A broken invariant, found at no particular event.
    pub(crate) fn invariant(detail: impl Into<String>) -> Error {
        Error::Invariant {
            seq: None,
            detail: detail.into(),
        }
    }

    /// A broken invariant found when applying or reading the event `seq`.
    pub(crate) fn invariant_at(seq: u64, detail: impl Into<String>) -> Error {
        Error::Invariant {
            seq: Some(seq),
            detail: detail.into(),
        }
    }

    /// What kind of failure this is: the kind of the log's or the IO seam's error for
    /// [`Error::Log`] and [`Error::Io`]; otherwise as [`ErrorKind`] lists.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Log(e) => e.kind(),
            Error::Io(e) => e.kind(),
            Error::Ingest { source } => ingest_kind(source),
            Error::InvalidRequest(_)
            | Error::AmbiguousVersion { .. }
            | Error::ReasonRequired { .. } => ErrorKind::Invalid,
            Error::Audit(e) => match e {
                crate::audit::AuditError::Malformed { .. }
                | crate::audit::AuditError::Invalid(_) => ErrorKind::Invalid,
                crate::audit::AuditError::NotCovered { .. } => ErrorKind::NotFound,
                _ => ErrorKind::Refused,
            },
            Error::UnknownDataset { .. }
            | Error::OverwriteOfUnknownDataset { .. }
            | Error::UnknownVersion { .. } => ErrorKind::NotFound,
            Error::DatasetExists { .. }
            | Error::PolicyWeakened { .. }
            | Error::DriftRefused { .. }
            | Error::DuplicateContent { .. } => ErrorKind::Refused,
            Error::BlobMismatch { .. }
            | Error::MissingBlob { .. }
            | Error::BadEvent { .. }
            | Error::BadQueryRun { .. }
            | Error::BadTableBytes { .. }
            | Error::Invariant { .. } => ErrorKind::Corrupt,
        }
    }

    /// The place in the log the error concerns, if it concerns one (corruption, an
    /// undecodable event).
    pub fn position(&self) -> Option<&Position> {
        match self {
            Error::Log(e) => e.position(),
            Error::BadEvent { position, .. }
            | Error::BadQueryRun { position, .. }
            | Error::BadTableBytes { position, .. } => Some(position),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Defect;
    use std::time::Duration;

    fn io(errno: i32) -> IoError {
        let os = std::io::Error::from_raw_os_error(errno);
        IoError::new("write", "/store/log/00000000000000000001.seg", os)
    }

    fn position() -> Position {
        Position::new("/store/log/00000000000000000001.seg", 0, 653, 2)
    }

    /// One error of every variant of the log's and the store's error types, with the kind
    /// `ErrorKind`'s documentation gives it.
    /// (A table, one entry per variant: long because the error types are.)
    fn every_error() -> Vec<(Error, ErrorKind)> {
        let poisoned = |errno| log::Error::poisoned(io(errno));
        let log_errors = [
            (log::Error::Io(io(libc::EIO)), ErrorKind::Io),
            (log::Error::Io(io(libc::ENOSPC)), ErrorKind::StorageFull),
            (log::Error::Io(io(libc::EDQUOT)), ErrorKind::StorageFull),
            (log::Error::Io(io(libc::EROFS)), ErrorKind::ReadOnly),
            (
                log::Error::Corrupt {
                    position: position(),
                    defect: Defect::UnsealedSegment,
                },
                ErrorKind::Corrupt,
            ),
            (
                log::Error::LockTimeout {
                    lock_file: "/store/log/LOCK".into(),
                    timeout: Duration::from_secs(10),
                },
                ErrorKind::Busy,
            ),
            (poisoned(libc::EIO), ErrorKind::Io),
            (poisoned(libc::ENOSPC), ErrorKind::StorageFull),
            (poisoned(libc::EROFS), ErrorKind::ReadOnly),
            (
                log::Error::RecordTooLarge { len: 5, max: 4 },
                ErrorKind::TooLarge,
            ),
            (
                log::Error::SeqOutOfRange {
                    seq: 9,
                    first: 1,
                    last: 3,
                },
                ErrorKind::NotFound,
            ),
            (
                log::Error::NotFound {
                    path: "/store".into(),
                },
                ErrorKind::NotFound,
            ),
            (
                log::Error::AlreadyExists {
                    path: "/store".into(),
                },
                ErrorKind::Refused,
            ),
            (
                log::Error::InvalidOption("segment_size 1 is too small".into()),
                ErrorKind::Invalid,
            ),
        ];
        let dataset = || "trial-42".to_owned();
        let store_errors = [
            (Error::Io(io(libc::EIO)), ErrorKind::Io),
            (Error::Io(io(libc::ENOSPC)), ErrorKind::StorageFull),
            (Error::InvalidRequest("no files".into()), ErrorKind::Invalid),
            (
                Error::ReasonRequired {
                    operation: ReasonFor::Rollback,
                    action: "a rollback".into(),
                },
                ErrorKind::Invalid,
            ),
            (
                Error::PolicyWeakened {
                    dataset: dataset(),
                    requested: crate::schema::DriftRule::DEFAULT
                        .with(Some(crate::schema::SchemaDriftPolicy::Allow), None),
                    in_force: crate::schema::DriftRule::DEFAULT,
                    source_of_rule: "the default".into(),
                },
                ErrorKind::Refused,
            ),
            (
                Error::UnknownDataset { dataset: dataset() },
                ErrorKind::NotFound,
            ),
            (
                Error::UnknownVersion {
                    dataset: dataset(),
                    version: "7".into(),
                    known: "versions 1 and 2".into(),
                },
                ErrorKind::NotFound,
            ),
            (
                Error::AmbiguousVersion {
                    dataset: dataset(),
                    prefix: "ab".into(),
                    matches: "1, 2".into(),
                },
                ErrorKind::Invalid,
            ),
            (
                Error::DatasetExists { dataset: dataset() },
                ErrorKind::Refused,
            ),
            (
                Error::DriftRefused {
                    dataset: dataset(),
                    reason: "column `site` removed".into(),
                    seq: 4,
                    post_commit_warnings: Vec::new(),
                },
                ErrorKind::Refused,
            ),
            (
                Error::DuplicateContent {
                    dataset: dataset(),
                    others: "`a` version 1".into(),
                },
                ErrorKind::Refused,
            ),
            (
                Error::Ingest {
                    source: Arc::new(IngestError::Empty {
                        file: "visits.csv".into(),
                    }),
                },
                ErrorKind::Invalid,
            ),
            (
                Error::Ingest {
                    source: Arc::new(IngestError::Sink {
                        file: "visits.csv".into(),
                        source: std::io::Error::other(io(libc::ENOSPC)),
                    }),
                },
                ErrorKind::StorageFull,
            ),
            (
                Error::BlobMismatch {
                    path: "/store/blobs/sha256/ab/cd".into(),
                    expected: "abcd".into(),
                    actual: "ef01".into(),
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::MissingBlob {
                    dataset: "trial".into(),
                    version: 1,
                    table: "visits.csv".into(),
                    path: "/store/blobs/sha256/ab/cd".into(),
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::BadEvent {
                    position: position(),
                    detail: "empty body".into(),
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::BadQueryRun {
                    position: position(),
                    detail: "empty body".into(),
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::BadTableBytes {
                    position: position(),
                    detail: "the table's bytes do not hash to the SHA-256 the record names".into(),
                },
                ErrorKind::Corrupt,
            ),
            (Error::invariant("two active versions"), ErrorKind::Corrupt),
            (
                Error::invariant_at(5, "upload_created: version 3 of 1"),
                ErrorKind::Corrupt,
            ),
        ];
        log_errors
            .into_iter()
            .map(|(e, kind)| (Error::Log(e), kind))
            .chain(store_errors)
            .collect()
    }

    #[test]
    fn every_error_has_the_kind_its_documentation_gives() {
        for (error, kind) in every_error() {
            assert_eq!(error.kind(), kind, "{error:?}");
            if let Error::Log(inner) = &error {
                assert_eq!(inner.kind(), kind, "{inner:?}");
            }
        }
    }

    #[test]
    fn every_kind_has_its_own_snake_case_name() {
        let kinds = [
            ErrorKind::Refused,
            ErrorKind::NotFound,
            ErrorKind::Invalid,
            ErrorKind::TooLarge,
            ErrorKind::Busy,
            ErrorKind::Corrupt,
            ErrorKind::StorageFull,
            ErrorKind::ReadOnly,
            ErrorKind::Io,
        ];
        let names: std::collections::HashSet<_> = kinds.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), kinds.len());
        assert_eq!(ErrorKind::StorageFull.name(), "storage_full");
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn no_library_message_suggests_a_command_or_a_flag() {
        for (error, _) in every_error() {
            let message = error.to_string();
            assert!(!message.contains("`strata "), "{message}");
            assert!(!message.contains("--"), "{message}");
        }
    }

    #[test]
    fn a_position_reads_as_segment_number_offset_and_seq() {
        assert_eq!(
            position().to_string(),
            "segment 00000000000000000001.seg (number 0), offset 653, seq 2"
        );
    }

    #[test]
    fn corruption_and_undecodable_events_name_their_position() {
        for (error, kind) in every_error() {
            let positioned = matches!(
                error,
                Error::Log(log::Error::Corrupt { .. })
                    | Error::BadEvent { .. }
                    | Error::BadQueryRun { .. }
                    | Error::BadTableBytes { .. }
            );
            assert_eq!(error.position().is_some(), positioned, "{error:?}");
            if let Some(at) = error.position() {
                assert_eq!(kind, ErrorKind::Corrupt);
                assert!(error.to_string().contains(&at.to_string()), "{error}");
            }
        }
    }

    #[test]
    fn a_stopped_handle_says_which_operation_failed_and_why() {
        let message = log::Error::poisoned(io(libc::ENOSPC)).to_string();
        assert!(message.starts_with("not committed"), "{message}");
        assert!(message.contains("failed write of /store/log/"), "{message}");
        assert!(message.contains("No space left on device"), "{message}");
        assert!(!message.contains("fsync"), "{message}");
    }

    #[test]
    fn an_invariant_names_the_event_that_broke_it() {
        let message = Error::invariant_at(5, "upload_created: version 3 of 1").to_string();
        assert!(message.contains("by event 5"), "{message}");
    }
}
