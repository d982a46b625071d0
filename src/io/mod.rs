//! The IO seam: every file operation of the log, the blob store and the snapshots goes
//! through here.
//!
//! Three layers, as redb's `StorageBackend`:
//! - [`Backend`] and [`BackendFile`]: a small, object-safe description of the file system,
//!   each method with its contract. [`OsBackend`] is the real one, and the only code in the
//!   library that calls `std::fs` (`clippy.toml` refuses it elsewhere).
//! - [`Io`] and [`IoFile`]: the thin wrappers the rest of the crate uses. They add the
//!   operation and the path to every error ([`IoError`]).
//! - The helpers built on them, one of each: [`Io::create_durably`] and [`TempFile`] (a
//!   temporary file, fsync, rename, directory fsync), [`Io::sync_dir`],
//!   [`Io::ensure_dir_durably`], [`IoFile::write_zeros`], [`Io::cut_out`], and the writer
//!   lock.
//!
//! The backend is chosen with [`crate::log::LogOptions::io`]; a store uses the same one for
//! its log, its blobs and its snapshots. Every change to the disk passes through the backend,
//! so a wrapper around [`OsBackend`] can count, record or fail any of them: [`fault`] is
//! such a wrapper, for tests (recording, failure injection and crash states).

mod backend;
mod durable;
mod error;
pub mod fault;
pub(crate) mod lock;
mod os;

pub use backend::{
    Backend, BackendFile, DirEntry, EntryKind, FileId, LockKind, Map, Metadata, OpenMode,
};
pub use durable::TempFile;
pub use error::{IoError, IoResult};
pub use os::OsBackend;

pub(crate) use error::os_error_kind;
use error::IoContext;
use std::fmt;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

/// The backend the crate does its IO through: a cheap, shared handle on a [`Backend`]. The
/// default is the real file system ([`OsBackend`]). Every method names the operation and the
/// path in its error.
#[derive(Clone)]
pub struct Io {
    backend: Arc<dyn Backend>,
}

impl Default for Io {
    fn default() -> Io {
        Io::os()
    }
}

impl fmt::Debug for Io {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Io").field(&self.backend).finish()
    }
}

impl Io {
    /// The real file system.
    pub fn os() -> Io {
        Io::new(OsBackend)
    }

    /// IO through `backend`.
    pub fn new(backend: impl Backend + 'static) -> Io {
        Io {
            backend: Arc::new(backend),
        }
    }

    /// IO through a shared `backend` (for a test that keeps a handle on it).
    pub fn from_arc(backend: Arc<dyn Backend>) -> Io {
        Io { backend }
    }

    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Opens a file (see [`Backend::open`]).
    pub fn open(&self, path: &Path, mode: OpenMode) -> IoResult<IoFile> {
        let op = if mode.creates() && mode != OpenMode::OpenOrCreate {
            "create"
        } else {
            "open"
        };
        let file = self.backend.open(path, mode).ctx(op, path)?;
        Ok(IoFile {
            file: Arc::from(file),
            path: Arc::from(path),
        })
    }

    /// Creates one directory (see [`Backend::create_dir`]); [`Io::ensure_dir_durably`] is
    /// what callers want.
    pub fn create_dir(&self, path: &Path) -> IoResult<()> {
        self.backend.create_dir(path).ctx("create directory", path)
    }

    /// Renames `from` to `to` (see [`Backend::rename`]); the error names `to`.
    pub fn rename(&self, from: &Path, to: &Path) -> IoResult<()> {
        self.backend.rename(from, to).ctx("rename into", to)
    }

    /// Removes a file (see [`Backend::remove_file`]).
    pub fn remove_file(&self, path: &Path) -> IoResult<()> {
        self.backend.remove_file(path).ctx("remove", path)
    }

    /// The entries of a directory (see [`Backend::read_dir`]).
    pub fn list_dir(&self, path: &Path) -> IoResult<Vec<DirEntry>> {
        self.backend.read_dir(path).ctx("list", path)
    }

    /// fsyncs a directory so that creations, renames and removals inside it survive power
    /// loss (see [`Backend::sync_dir`]).
    pub fn sync_dir(&self, path: &Path) -> IoResult<()> {
        self.backend.sync_dir(path).ctx("fsync directory", path)
    }

    /// What is at `path` (see [`Backend::metadata`]).
    pub fn metadata(&self, path: &Path) -> IoResult<Option<Metadata>> {
        self.backend.metadata(path).ctx("stat", path)
    }

    /// Whether `path` is a directory (`false` if it cannot be examined, as
    /// [`Path::is_dir`]).
    pub fn is_dir(&self, path: &Path) -> bool {
        self.kind(path) == Some(EntryKind::Dir)
    }

    /// Whether `path` is a file (`false` if it cannot be examined, as [`Path::is_file`]).
    pub fn is_file(&self, path: &Path) -> bool {
        self.kind(path) == Some(EntryKind::File)
    }

    /// Whether anything is at `path` (`false` if it cannot be examined).
    pub fn exists(&self, path: &Path) -> bool {
        self.kind(path).is_some()
    }

    fn kind(&self, path: &Path) -> Option<EntryKind> {
        self.backend.metadata(path).ok().flatten().map(|m| m.kind)
    }

    /// The whole content of a file.
    pub fn read(&self, path: &Path) -> IoResult<Vec<u8>> {
        let file = self.open(path, OpenMode::Read)?;
        let len = usize::try_from(file.size()?).unwrap_or(usize::MAX);
        let mut bytes = vec![0; len];
        let n = file.read_at(&mut bytes, 0)?;
        bytes.truncate(n);
        Ok(bytes)
    }
}

/// An open file: a shared handle (cloning it does not reopen) that knows its path and names
/// it, with the operation, in every error.
#[derive(Clone)]
pub struct IoFile {
    file: Arc<dyn BackendFile>,
    path: Arc<Path>,
}

impl fmt::Debug for IoFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl IoFile {
    /// The path it was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads at `offset` until `buf` is full or the file ends; returns the bytes read.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> IoResult<usize> {
        read_fully_at(&*self.file, buf, offset).ctx("read", &self.path)
    }

    /// Reads exactly `buf.len()` bytes at `offset`; a file that ends first is an error.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> IoResult<()> {
        let n = self.read_at(buf, offset)?;
        if n < buf.len() {
            let short = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file ends {} bytes early", buf.len() - n),
            );
            return Err(short).ctx("read", &self.path);
        }
        Ok(())
    }

    /// Writes all of `bytes` at `offset` (see [`BackendFile::write_all_at`]).
    pub fn write_all_at(&self, bytes: &[u8], offset: u64) -> IoResult<()> {
        self.file
            .write_all_at(bytes, offset)
            .ctx("write", &self.path)
    }

    /// `fdatasync` (see [`BackendFile::sync_data`]).
    pub fn sync_data(&self) -> IoResult<()> {
        self.file.sync_data().ctx("fdatasync", &self.path)
    }

    /// `fsync` (see [`BackendFile::sync_all`]).
    pub fn sync_all(&self) -> IoResult<()> {
        self.file.sync_all().ctx("fsync", &self.path)
    }

    /// The file's length in bytes.
    pub fn size(&self) -> IoResult<u64> {
        self.file.size().ctx("stat", &self.path)
    }

    /// Which file this is (see [`BackendFile::id`]).
    pub fn id(&self) -> IoResult<FileId> {
        self.file.id().ctx("stat", &self.path)
    }

    /// A read-only view of the whole file (see [`BackendFile::map`]).
    pub fn map(&self) -> IoResult<Map> {
        let len = self.size()?;
        self.map_len(len)
    }

    /// A read-only view of the first `len` bytes, `len` being at most the file's length
    /// (known to the caller, so no `stat`).
    pub fn map_len(&self, len: u64) -> IoResult<Map> {
        self.file.map(len).ctx("map", &self.path)
    }

    /// Tries to take a lock (see [`BackendFile::try_lock`]).
    pub fn try_lock(&self, kind: LockKind) -> IoResult<bool> {
        self.file.try_lock(kind).ctx("lock", &self.path)
    }

    /// Releases a lock (see [`BackendFile::unlock`]).
    pub fn unlock(&self) -> IoResult<()> {
        self.file.unlock().ctx("unlock", &self.path)
    }

    /// A reader of the file from its start.
    pub fn reader(self) -> FileReader {
        FileReader {
            file: self,
            offset: 0,
        }
    }
}

/// Reads a file front to back with positioned reads ([`IoFile::reader`]).
#[derive(Debug)]
pub struct FileReader {
    file: IoFile,
    offset: u64,
}

impl FileReader {
    /// The file being read.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Read for FileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

fn read_fully_at(file: &dyn BackendFile, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
