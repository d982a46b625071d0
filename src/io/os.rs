//! The real file system: the one place in the library that calls `std::fs` (clippy's
//! `disallowed_methods` and `disallowed_types`, configured in `clippy.toml`, refuse it
//! anywhere else).

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the real backend is the IO seam's one user of std::fs"
)]

use super::backend::{
    Backend, BackendFile, DirEntry, EntryKind, FileId, LockKind, Map, Metadata, OpenMode,
};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// The operating system's file system ([`std::fs`], `mmap`, `flock`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsBackend;

/// A file opened by [`OsBackend`].
#[derive(Debug)]
struct OsFile(File);

impl Backend for OsBackend {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let mut options = OpenOptions::new();
        options.read(true);
        match mode {
            OpenMode::Read => {}
            OpenMode::ReadWrite => {
                options.write(true);
            }
            OpenMode::CreateNew => {
                options.write(true).create_new(true);
            }
            OpenMode::CreateTruncate => {
                options.write(true).create(true).truncate(true);
            }
            OpenMode::OpenOrCreate => {
                options.write(true).create(true).truncate(false);
            }
            OpenMode::CreateNewPrivate => {
                use std::os::unix::fs::OpenOptionsExt;
                options.write(true).create_new(true).mode(0o600);
            }
        }
        Ok(Box::new(OsFile(options.open(path)?)))
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            entries.push(DirEntry {
                name: entry.file_name(),
                kind: kind_of(file_type),
            });
        }
        Ok(entries)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>> {
        match std::fs::metadata(path) {
            Ok(meta) => Ok(Some(Metadata {
                kind: kind_of(meta.file_type()),
                len: meta.len(),
                id: id_of(&meta),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn id_of(meta: &std::fs::Metadata) -> FileId {
    FileId {
        device: meta.dev(),
        inode: meta.ino(),
    }
}

fn kind_of(file_type: std::fs::FileType) -> EntryKind {
    if file_type.is_file() {
        EntryKind::File
    } else if file_type.is_dir() {
        EntryKind::Dir
    } else {
        EntryKind::Other
    }
}

impl BackendFile for OsFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        loop {
            match self.0.read_at(buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.write_all_at(buf, offset)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn sync_all(&self) -> io::Result<()> {
        self.0.sync_all()
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }

    fn id(&self) -> io::Result<FileId> {
        Ok(id_of(&self.0.metadata()?))
    }

    fn map(&self, len: u64) -> io::Result<Map> {
        let len = usize::try_from(len).map_err(io::Error::other)?;
        // SAFETY: the map is read-only and shared, and `len` is at most the file's length
        // (the caller's contract). strata never shortens a file it maps: segments are only
        // appended to, zeroed in place (a torn-tail cut, a repair) or moved away whole. Every
        // byte read through a map is checksum-validated before use, so bytes another process
        // changes under the map are detected, not trusted.
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(&self.0) }?;
        Ok(Map::from_mmap(map))
    }

    fn try_lock(&self, kind: LockKind) -> io::Result<bool> {
        let attempt = match kind {
            LockKind::Exclusive => fs2::FileExt::try_lock_exclusive(&self.0),
            LockKind::Shared => fs2::FileExt::try_lock_shared(&self.0),
        };
        match attempt {
            Ok(()) => Ok(true),
            Err(e) if is_contended(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn unlock(&self) -> io::Result<()> {
        fs2::FileExt::unlock(&self.0)
    }
}

fn is_contended(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
        || e.raw_os_error() == fs2::lock_contended_error().raw_os_error()
}
