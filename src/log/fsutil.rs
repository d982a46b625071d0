//! Small filesystem helpers: directory fsync, positioned writes, the writer lock.

use crate::error::{Error, IoContext, Result};
use fs2::FileExt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// fsyncs a directory so that creations, renames and removals inside it survive power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .ctx("open directory", dir)?
        .sync_all()
        .ctx("fsync directory", dir)
}

/// Writes all of `bytes` at `offset`.
pub(crate) fn write_at(file: &File, path: &Path, bytes: &[u8], offset: u64) -> Result<()> {
    file.write_all_at(bytes, offset).ctx("write", path)
}

/// Writes zero bytes over `from..to` of the file.
pub(crate) fn write_zeros(file: &File, path: &Path, from: u64, to: u64) -> Result<()> {
    const CHUNK: usize = 64 * 1024;
    static ZEROS: [u8; CHUNK] = [0; CHUNK];
    let mut at = from;
    while at < to {
        let n = ((to - at) as usize).min(CHUNK);
        write_at(file, path, &ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Moves the bytes `from..to` of `file` out of it: a durable copy goes to `copy`, then the
/// range is zeroed in place. The zeros are not synced: the caller syncs the file before
/// anything relies on them.
pub(crate) fn cut_out(file: &File, path: &Path, from: u64, to: u64, copy: &Path) -> Result<()> {
    let mut bytes = vec![0u8; (to - from) as usize];
    file.read_exact_at(&mut bytes, from).ctx("read", path)?;
    create_durably(copy, &bytes)?;
    write_zeros(file, path, from, to)
}

/// Creates `path` with `contents` durably: written to `path.tmp`, fsynced, renamed into place,
/// and the directory fsynced. A crash at any point leaves either no file or the whole file
/// (plus perhaps a stale `.tmp`, which is never read).
pub(crate) fn create_durably(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .ctx("create", &tmp)?;
    write_at(&file, &tmp, contents, 0)?;
    file.sync_all().ctx("fsync", &tmp)?;
    drop(file);
    std::fs::rename(&tmp, path).ctx("rename into place", path)?;
    sync_dir(parent(path))
}

/// The temporary name used while a file is written.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

pub(crate) fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or_else(|| Path::new("."))
}

/// Which kind of lock to take on the lock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockKind {
    /// Held by a writer while it catches up, appends and syncs.
    Exclusive,
    /// Held briefly by a reader that saw damage at the tail, to get a stable view.
    Shared,
}

/// A held lock on the log's lock file; released on drop.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: Arc<File>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Unlocking cannot meaningfully fail; closing the file releases the lock regardless.
        let _ = FileExt::unlock(&*self.file);
    }
}

/// Takes a lock on `path`, retrying with a growing back-off until `timeout` has passed.
///
/// Each call opens the file anew: `flock` locks belong to an open file description, so a
/// fresh description per acquisition keeps a shared and an exclusive lock taken by two
/// threads of one process from silently converting each other.
pub(crate) fn lock(path: &Path, kind: LockKind, timeout: Duration) -> Result<LockGuard> {
    lock_file(Arc::new(open_lock_file(path)?), path, kind, timeout)
}

/// Opens (creating if needed) the lock file for reading and writing.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .ctx("open lock file", path)
}

/// Takes a lock on an open lock file (see [`lock`]). A writer keeps one open lock file and
/// takes its exclusive lock on it again for each commit, under its writer mutex.
pub(crate) fn lock_file(
    file: Arc<File>,
    path: &Path,
    kind: LockKind,
    timeout: Duration,
) -> Result<LockGuard> {
    let started = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        let attempt = match kind {
            LockKind::Exclusive => file.try_lock_exclusive(),
            LockKind::Shared => FileExt::try_lock_shared(&*file),
        };
        match attempt {
            Ok(()) => return Ok(LockGuard { file }),
            Err(e) if is_contended(&e) => {}
            Err(e) => return Err(Error::io("lock", path, e)),
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(Error::LockTimeout {
                lock_file: path.to_path_buf(),
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
    pub(crate) fn generation(&self, path: &Path) -> Result<u64> {
        let mut bytes = [0u8; 8];
        let n = read_fully_at(&self.file, &mut bytes, 0).ctx("read lock file", path)?;
        Ok(if n == 8 { u64::from_le_bytes(bytes) } else { 0 })
    }

    /// Stores the write generation (see [`LockGuard::generation`]).
    pub(crate) fn set_generation(&self, path: &Path, generation: u64) -> Result<()> {
        write_at(&self.file, path, &generation.to_le_bytes(), 0)
    }
}

fn read_fully_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

fn is_contended(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
        || e.raw_os_error() == fs2::lock_contended_error().raw_os_error()
}
