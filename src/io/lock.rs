//! The writer lock on `log/LOCK`, and what is stored in it: the write generation and the
//! durable mark (FORMAT.md, "The lock file"; the byte layout is [`crate::format::lock_file`]).
//!
//! The lock is the log's: its errors (a timeout, or the IO of the lock file) are
//! [`crate::log::Error`]s.

use super::{FileId, Io, IoFile, LockKind, OpenMode};
use crate::format::lock_file::{
    decode_durable_mark, decode_generation, encode_durable_mark, LogPosition, DURABLE_MARK_OFFSET,
    GENERATION_OFFSET, LOCK_FILE_LEN,
};
use crate::log::{Error, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// A held lock on the log's lock file; released on drop.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: IoFile,
    /// The identity of the locked file, taken when the lock was.
    id: FileId,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Unlocking cannot meaningfully fail; closing the file releases the lock regardless.
        let _ = self.file.unlock();
    }
}

/// Takes a lock on `path`, retrying with a growing back-off until `timeout` has passed.
///
/// Each call opens the file anew: `flock` locks belong to an open file description, so a
/// fresh description per acquisition keeps a shared and an exclusive lock taken by two
/// threads of one process from silently converting each other. An exclusive lock opens the
/// file for writing (creating it if needed); a shared one, taken only to read, opens it
/// read-only and never creates it, so that a store can be read where it cannot be written.
pub(crate) fn lock(io: &Io, path: &Path, kind: LockKind, timeout: Duration) -> Result<LockGuard> {
    let mut cached = None;
    lock_verified(io, path, &mut cached, kind, timeout).map(|(guard, _)| guard)
}

/// Opens the lock file as a lock of `kind` needs it: for reading and writing (creating it if
/// needed) for an exclusive lock, read-only (never creating it) for a shared one.
pub(crate) fn open_lock_file(io: &Io, path: &Path, kind: LockKind) -> Result<IoFile> {
    let mode = match kind {
        LockKind::Exclusive => OpenMode::OpenOrCreate,
        LockKind::Shared => OpenMode::Read,
    };
    Ok(io.open(path, mode)?)
}

/// Takes a lock on the lock file at `path` through `cached` (opened if `None`; a writer keeps
/// one open lock file and takes its exclusive lock on it again for each commit, under its
/// writer mutex), retrying with a growing back-off until `timeout` has passed, and checks that
/// the file it locked is still the one at `path`. If it is not (the lock file was deleted, and
/// perhaps created again, while this file was open), the lock excludes no one: the file is
/// closed, `path` opened again, and the lock taken anew. The same while it waits: a holder of
/// a deleted lock file must not keep it waiting for a lock nobody else takes.
///
/// Also returns whether the lock file was opened by this call: then what the caller knows of
/// its contents (the write generation it saw) is about another file.
pub(crate) fn lock_verified(
    io: &Io,
    path: &Path,
    cached: &mut Option<IoFile>,
    kind: LockKind,
    timeout: Duration,
) -> Result<(LockGuard, bool)> {
    let started = Instant::now();
    let mut pause = Duration::from_micros(50);
    let mut opened = false;
    loop {
        let file = match cached {
            Some(file) => file.clone(),
            None => {
                opened = true;
                cached.insert(open_lock_file(io, path, kind)?).clone()
            }
        };
        let id = file.id()?;
        let at_path =
            |io: &Io| -> Result<bool> { Ok(io.metadata(path)?.is_some_and(|m| m.id == id)) };
        if file.try_lock(kind)? {
            let guard = LockGuard { file, id };
            if at_path(io)? {
                return Ok((guard, opened));
            }
            drop(guard);
            *cached = None;
            continue;
        }
        if !at_path(io)? {
            *cached = None;
            continue;
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(Error::LockTimeout {
                lock_file: path.to_path_buf(),
                timeout,
            });
        }
        std::thread::sleep(pause.min(timeout - waited));
        // A short cap: a writer holds the lock for an append and little more, and a waiter
        // asleep past the release leaves the lock free while every other waiter sleeps too.
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

/// Tries once, without waiting, to take the exclusive lock on `file`; `None` if another open
/// file (in this process or another) holds a lock on it, or if it is no longer at its path.
pub(crate) fn try_lock_exclusive(io: &Io, file: &IoFile) -> Result<Option<LockGuard>> {
    if !file.try_lock(LockKind::Exclusive)? {
        return Ok(None);
    }
    let guard = LockGuard {
        file: file.clone(),
        id: file.id()?,
    };
    Ok(guard.is_at(io, file.path())?.then_some(guard))
}

impl LockGuard {
    /// Whether the locked file is still the file at `path` (same identity). A lock on a lock
    /// file that was deleted excludes nobody who opens the path now.
    pub(crate) fn is_at(&self, io: &Io, path: &Path) -> Result<bool> {
        Ok(io.metadata(path)?.is_some_and(|m| m.id == self.id))
    }

    /// The path of the locked file.
    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }

    /// The write generation stored in the lock file: a counter every writer increments, under
    /// the exclusive lock, before it writes to the log (an empty file reads as 0). A writer
    /// that finds the generation it last saw knows nobody else wrote, and need not re-read
    /// the log before appending.
    pub(crate) fn generation(&self) -> Result<u64> {
        peek_generation(&self.file)
    }

    /// Stores the write generation (see [`LockGuard::generation`]).
    pub(crate) fn set_generation(&self, generation: u64) -> Result<()> {
        Ok(self
            .file
            .write_all_at(&generation.to_le_bytes(), GENERATION_OFFSET as u64)?)
    }

    /// The durable mark stored in the lock file (see [`read_durable_mark`]).
    pub(crate) fn durable_mark(&self) -> Result<Option<LogPosition>> {
        read_mark_of(&self.file)
    }

    /// Raises the durable mark to `mark` if it is below it: the mark is only ever raised
    /// (except by [`LockGuard::reset_durable_mark`]). Holding the lock makes the read and the
    /// write one step for every other writer. Not synced: a power loss may lose the update,
    /// and the classification then falls back to the bytes alone.
    pub(crate) fn raise_durable_mark(&self, mark: LogPosition) -> Result<()> {
        if self.durable_mark()?.is_none_or(|stored| stored < mark) {
            self.write_mark(Some(mark))?;
        }
        Ok(())
    }

    /// Clears the durable mark: repair, which may cut bytes it covered, does this before it
    /// cuts anything. Unlike a raise, the reset is synced: if a power cut kept the old mark
    /// while the cut and the appends after it survived, an interrupted append at an offset
    /// below the old mark would read as corruption of acknowledged records, not a torn tail.
    pub(crate) fn reset_durable_mark(&self) -> Result<()> {
        self.write_mark(None)?;
        Ok(self.file.sync_data()?)
    }

    fn write_mark(&self, mark: Option<LogPosition>) -> Result<()> {
        if self.file.size()? < DURABLE_MARK_OFFSET as u64 {
            // The generation must read back as 8 bytes once the mark is after it.
            self.set_generation(self.generation()?)?;
        }
        Ok(self
            .file
            .write_all_at(&encode_durable_mark(mark), DURABLE_MARK_OFFSET as u64)?)
    }
}

/// The durable mark in the lock file at `path`: the log position up to which a writer saw an
/// `fdatasync` complete. `None` if the file does not exist, cannot be read (the bytes alone
/// then classify the tail, as in format version 1), or holds no mark. Reading it never
/// writes, and takes no lock.
pub(crate) fn read_durable_mark(io: &Io, path: &Path) -> Result<Option<LogPosition>> {
    match io.open(path, OpenMode::Read) {
        Ok(file) => read_mark_of(&file),
        Err(e)
            if matches!(
                e.source.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn read_mark_of(file: &IoFile) -> Result<Option<LogPosition>> {
    let mut bytes = [0u8; LOCK_FILE_LEN];
    let n = file.read_at(&mut bytes, 0)?;
    Ok(decode_durable_mark(&bytes[..n]))
}

/// The write generation stored in an open lock file (see [`LockGuard::generation`]), read
/// without taking the lock. A value read while a writer stores the next one may be torn;
/// a watcher that polls it then looks at the log once for nothing, or sees the change at
/// its next poll.
pub(crate) fn peek_generation(file: &IoFile) -> Result<u64> {
    let mut bytes = [0u8; 8];
    let n = file.read_at(&mut bytes, GENERATION_OFFSET as u64)?;
    Ok(decode_generation(&bytes[..n]))
}
