//! The IO seam's error: a failed operating-system call, with the operation and the file.

use crate::error::ErrorKind;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A `Result` with an [`IoError`].
pub type IoResult<T> = std::result::Result<T, IoError>;

/// An operating-system call that failed: what was being done, to which file or folder, and
/// the OS error. Every method of [`super::Io`] and [`super::IoFile`] fails with one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot {op} {}: {source}", path.display())]
pub struct IoError {
    /// What was being done, as a verb the path follows ("open", "write", "fdatasync", ...).
    pub op: &'static str,
    /// The file or folder concerned.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: Arc<io::Error>,
}

impl IoError {
    /// An error of `op` on `path`.
    pub fn new(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> IoError {
        IoError {
            op,
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// The same failure, described as another operation (a more precise verb for a step
    /// made of plain writes, such as preallocation).
    pub fn with_op(self, op: &'static str) -> IoError {
        IoError { op, ..self }
    }

    /// [`ErrorKind::StorageFull`] when the device or quota is full,
    /// [`ErrorKind::ReadOnly`] on a read-only file system, [`ErrorKind::Io`] otherwise.
    pub fn kind(&self) -> ErrorKind {
        os_error_kind(&self.source)
    }
}

/// The kind of an OS error (see [`IoError::kind`]).
pub(crate) fn os_error_kind(error: &io::Error) -> ErrorKind {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => ErrorKind::StorageFull,
        io::ErrorKind::ReadOnlyFilesystem => ErrorKind::ReadOnly,
        _ => ErrorKind::Io,
    }
}

/// Adds the operation and path to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn ctx(self, op: &'static str, path: &Path) -> IoResult<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: &Path) -> IoResult<T> {
        self.map_err(|e| IoError::new(op, path, e))
    }
}
