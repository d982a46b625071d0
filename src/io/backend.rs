//! The backend traits: what strata asks of a file system, each with its contract.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::ops::Deref;
use std::path::Path;

/// How [`Backend::open`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpenMode {
    /// Read only. The file must exist.
    Read,
    /// Read and write. The file must exist.
    ReadWrite,
    /// Read and write a new, empty file. Fails with [`io::ErrorKind::AlreadyExists`] if
    /// there is a file at the path.
    CreateNew,
    /// Read and write an empty file: created if missing, emptied (truncated) otherwise.
    CreateTruncate,
    /// Read and write: created (empty) if missing, its bytes kept otherwise.
    OpenOrCreate,
    /// As [`OpenMode::CreateNew`], readable and writable by its owner only (mode `0600`):
    /// for secrets, such as a signing key.
    CreateNewPrivate,
}

impl OpenMode {
    /// Whether opening may create a file (a directory entry appears).
    pub fn creates(self) -> bool {
        matches!(
            self,
            OpenMode::CreateNew
                | OpenMode::CreateTruncate
                | OpenMode::OpenOrCreate
                | OpenMode::CreateNewPrivate
        )
    }
}

/// Which kind of advisory lock [`BackendFile::try_lock`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// Excludes every other lock: held by a writer while it catches up, appends and syncs.
    Exclusive,
    /// Excludes exclusive locks only: held briefly by a reader that saw damage at the tail,
    /// to get a stable view.
    Shared,
}

/// What kind of thing a directory entry or a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Anything else (a symbolic link in a listing, a device, a socket...).
    Other,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (not its path).
    pub name: OsString,
    /// What it is; a symbolic link is [`EntryKind::Other`] (not followed).
    pub kind: EntryKind,
}

/// What identifies a file within its backend: the device and inode number on Unix. Two paths,
/// or an open file and a path, with the same identity are the same file; a file deleted and
/// created again under its name has a new identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The device (file system) holding the file.
    pub device: u64,
    /// The file's number on that device.
    pub inode: u64,
}

/// What [`Backend::metadata`] reports about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// What it is (symbolic links followed).
    pub kind: EntryKind,
    /// Its length in bytes (for a file).
    pub len: u64,
    /// Which file it is (see [`BackendFile::id`]).
    pub id: FileId,
}

/// A file system, as strata uses it. The real one is [`super::OsBackend`]; a test can wrap it
/// to count, record or fail operations (see `tests/io_seam.rs`).
///
/// Every operation that changes what is on disk (creating a file, writing, syncing, creating
/// a directory, renaming, removing) goes through this trait or [`BackendFile`], so that a
/// wrapper sees all of them, in order. None is durable until the matching sync: a file's
/// bytes until [`BackendFile::sync_data`] or [`BackendFile::sync_all`], a directory's
/// entries (a creation, rename or removal inside it) until [`Backend::sync_dir`] of it.
///
/// Errors are plain [`io::Error`]s; the crate adds the operation and the path
/// ([`super::IoError`]), so a backend need not.
pub trait Backend: fmt::Debug + Send + Sync {
    /// Opens the file at `path` as `mode` says. A mode that creates the file adds an entry to
    /// its directory (durable once the directory is synced).
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>>;

    /// Creates the directory `path`. Its parent must exist; fails with
    /// [`io::ErrorKind::AlreadyExists`] if something is at `path`. Durable once the parent
    /// is synced.
    fn create_dir(&self, path: &Path) -> io::Result<()>;

    /// Renames `from` to `to` atomically, replacing a file at `to`. Durable once the
    /// directories of both are synced.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes the file at `path` (not a directory). Durable once its directory is synced.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// The entries of the directory `path`, in no particular order, without `.` and `..`.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;

    /// Makes every creation, rename and removal of an entry of the directory `path` durable
    /// (an `fsync` of the directory). Does not sync the files' contents.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;

    /// What is at `path`, following symbolic links; `Ok(None)` if nothing is.
    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>>;
}

/// An open file of a [`Backend`]. Shared between threads: every method takes `&self`, and
/// positioned reads and writes do not move any cursor.
pub trait BackendFile: fmt::Debug + Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read, `0` at or past
    /// the end of the file. May read fewer than asked even before the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Writes all of `buf` at `offset`, growing the file if it ends before `offset +
    /// buf.len()` (a gap reads as zeros). Not durable until a sync; after a failure, any part
    /// of `buf` may have been written.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;

    /// `fdatasync` (`fsync` where there is none): the bytes written so far, and the metadata
    /// needed to read them back (the length), are durable when it returns. A failure means
    /// some written bytes may be lost, even if a later sync succeeds.
    fn sync_data(&self) -> io::Result<()>;

    /// `fsync`: as [`BackendFile::sync_data`], and every other metadata of the file too.
    fn sync_all(&self) -> io::Result<()>;

    /// The file's length in bytes.
    fn size(&self) -> io::Result<u64>;

    /// Which file this is: equal to [`Metadata::id`] of its path for as long as the path
    /// names this file (the writer checks this after taking its lock, so that a lock file
    /// deleted and created again is noticed).
    fn id(&self) -> io::Result<FileId>;

    /// A read-only view of the first `len` bytes (at most the file's length), memory-mapped
    /// where the backend can. The view may reflect later writes to those bytes; strata
    /// never shortens a file while a view of it is alive, and checks every byte it reads
    /// through a view against a checksum.
    fn map(&self, len: u64) -> io::Result<Map>;

    /// Tries to take an advisory lock of `kind` on the file (`flock`: the lock belongs to this
    /// open file, and conflicts with locks taken through other opens, in this process or any
    /// other). Returns `Ok(false)` at once if a conflicting lock is held.
    fn try_lock(&self, kind: LockKind) -> io::Result<bool>;

    /// Releases a lock taken with [`BackendFile::try_lock`]. Closing the file releases it too.
    fn unlock(&self) -> io::Result<()>;
}

/// The bytes [`BackendFile::map`] returns: a memory map, or bytes in memory.
pub struct Map(MapInner);

enum MapInner {
    Mapped(memmap2::Mmap),
    Bytes(Box<[u8]>),
}

impl Map {
    /// A view over bytes in memory (for a backend that does not map files).
    pub fn from_bytes(bytes: Vec<u8>) -> Map {
        Map(MapInner::Bytes(bytes.into_boxed_slice()))
    }

    pub(super) fn from_mmap(map: memmap2::Mmap) -> Map {
        Map(MapInner::Mapped(map))
    }

    /// Whether it maps the file, and so shows every later write to the bytes it covers, by
    /// any process (a shared mapping of the page cache), rather than holding a copy of them.
    pub fn is_live(&self) -> bool {
        matches!(self.0, MapInner::Mapped(_))
    }
}

impl Deref for Map {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            MapInner::Mapped(map) => map,
            MapInner::Bytes(bytes) => bytes,
        }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0 {
            MapInner::Mapped(_) => "mapped",
            MapInner::Bytes(_) => "in memory",
        };
        write!(f, "Map({} bytes, {kind})", self.len())
    }
}
