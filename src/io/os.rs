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
use std::path::Path;

/// The operating system's file system ([`std::fs`], `mmap`, `flock`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsBackend;

/// A file opened by [`OsBackend`], and its identity once asked (an open file's device and
/// inode never change, and the writer asks at every commit).
#[derive(Debug)]
struct OsFile(File, std::sync::OnceLock<FileId>);

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
        Ok(Box::new(OsFile(
            options.open(path)?,
            std::sync::OnceLock::new(),
        )))
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
        match stat::path(path) {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
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
        Ok(stat::file(&self.0)?.len)
    }

    fn id(&self) -> io::Result<FileId> {
        if let Some(id) = self.1.get() {
            return Ok(*id);
        }
        let id = stat::file(&self.0)?.id;
        Ok(*self.1.get_or_init(|| id))
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

/// `stat` that asks for a file's type, length and identity, and never for its times.
///
/// Asking for no time matters. On file systems with multigrain timestamps (ext4, XFS and
/// btrfs since Linux 6.13), a query of a file's ctime or mtime makes the next change of the
/// file take a fine-grained time, so every write after a query dirties the inode. The writer
/// checks the identity of `log/LOCK` at every commit and writes the lock file (the write
/// generation, the durable mark): with the times asked for, each commit re-dirtied its inode,
/// and on ext4 without a journal the segment's `fdatasync` then also wrote the inode-table
/// block the two inodes share, one more disk write per durable append (measured with
/// `perf stat -e block:block_rq_issue`: three requests per append instead of two).
mod stat {
    use super::super::backend::{EntryKind, FileId, Metadata};
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::io::AsRawFd as _;
    use std::path::Path;

    /// What `statx` is asked for: no `STATX_ATIME`, `STATX_MTIME`, `STATX_CTIME` or
    /// `STATX_BTIME` (see the module's comment).
    const MASK: u32 = libc::STATX_TYPE | libc::STATX_SIZE | libc::STATX_INO;

    /// The file at `path`, symbolic links followed.
    pub(super) fn path(path: &Path) -> io::Result<Metadata> {
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))?;
        statx(libc::AT_FDCWD, &c_path, 0)
    }

    /// The open file `file`.
    pub(super) fn file(file: &File) -> io::Result<Metadata> {
        statx(file.as_raw_fd(), c"", libc::AT_EMPTY_PATH)
    }

    fn statx(dir: libc::c_int, path: &std::ffi::CStr, flags: libc::c_int) -> io::Result<Metadata> {
        // SAFETY: `struct statx` is plain C data, for which all zero bytes are a valid value.
        let mut buf: libc::statx = unsafe { std::mem::zeroed() };
        let flags = flags | libc::AT_STATX_SYNC_AS_STAT;
        // SAFETY: `path` is NUL-terminated and `buf` is a `struct statx` that outlives the
        // call, into which `statx` writes at most one such struct.
        if unsafe { libc::statx(dir, path.as_ptr(), flags, MASK, &mut buf) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let kind = match u32::from(buf.stx_mode) & libc::S_IFMT {
            libc::S_IFREG => EntryKind::File,
            libc::S_IFDIR => EntryKind::Dir,
            _ => EntryKind::Other,
        };
        Ok(Metadata {
            kind,
            len: buf.stx_size,
            id: FileId {
                device: libc::makedev(buf.stx_dev_major, buf.stx_dev_minor),
                inode: buf.stx_ino,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt as _;

    #[test]
    fn the_time_free_stat_reports_what_std_reports_by_path_and_by_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LOCK");
        std::fs::write(&path, b"twelve bytes").unwrap();
        let std_meta = std::fs::metadata(&path).unwrap();
        let by_path = OsBackend.metadata(&path).unwrap().unwrap();
        assert_eq!(by_path.kind, EntryKind::File);
        assert_eq!(by_path.len, 12);
        assert_eq!(by_path.id.inode, std_meta.ino());
        assert_eq!(by_path.id.device, std_meta.dev());
        let file = OsBackend.open(&path, OpenMode::Read).unwrap();
        assert_eq!(file.id().unwrap(), by_path.id);
        assert_eq!(file.size().unwrap(), 12);
        assert_eq!(
            OsBackend.metadata(dir.path()).unwrap().unwrap().kind,
            EntryKind::Dir
        );
        assert_eq!(
            OsBackend.metadata(&dir.path().join("absent")).unwrap(),
            None
        );
    }

    #[test]
    fn a_replaced_file_has_another_identity_than_the_open_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LOCK");
        std::fs::write(&path, b"").unwrap();
        let open = OsBackend.open(&path, OpenMode::Read).unwrap();
        let first = open.id().unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"").unwrap();
        assert_ne!(OsBackend.metadata(&path).unwrap().unwrap().id, first);
        assert_eq!(open.id().unwrap(), first, "an open file keeps its identity");
    }
}
