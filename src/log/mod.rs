//! The segment log: a checksummed, crash-safe, multi-process, append-only sequence of records.
//!
//! The log lives in the folder `log/` of a store's directory, as segment files named after the
//! sequence number of their first record (see `FORMAT.md`). This module is the IO layer over
//! the pure [`crate::format`] functions:
//!
//! - [`Log::append`] returns only when the record is as durable as [`Durability`] promises.
//!   Concurrent appenders of one handle share `fdatasync`s (group commit).
//! - Writers in any number of processes serialise on an exclusive lock of `log/LOCK`; before
//!   appending, a writer catches up on records other processes appended.
//! - Readers take no lock and see only complete, checksum-valid records;
//!   [`Log::wait_past`] waits for new ones, from this handle or any other.
//! - Opening is strict and read-only: a provably torn tail is reported ([`Log::torn_tail`])
//!   and cut off (with a copy kept and a record logged) before the next append; any other
//!   damage is [`Error::Corrupt`], with its [`Position`] (segment, offset, sequence number).
//!   After each completed sync, the writer raises the durable mark in `log/LOCK`: damage
//!   before it is in acknowledged records, so it is corruption, never a torn tail.
//! - Append times never go back: a commit's time is the later of [`LogOptions::clock`] and
//!   the last record's, and every scan checks the order in format-2 segments.
//! - A log whose last segment has a newer write version than this build's reads, but refuses
//!   every append ([`Error::ReadOnly`]); the first append to an older log seals its last
//!   segment and starts one of this build's version.
//! - [`repair`] is the explicit salvage of a corrupt log.

mod append_checks;
mod clock;
mod error;
mod mark;
mod reader;
mod repair;
pub(crate) mod tiles;
mod tree;
mod verify;
mod versions;
mod view;
mod wait;
mod writer;

pub use clock::Clock;
pub use error::{Error, Position, Result};
pub use reader::{LogIter, Record, RecordRef};
pub use repair::{repair, repair_plan, repair_with, RepairOptions, RepairReport};
pub use verify::{verify, verify_with, Problem, VerifyReport};
pub use wait::WaitOutcome;

use crate::format::{RecordType, SegmentHeader, FIRST_SEQ, MAX_BODY_LEN, SEGMENT_HEADER_LEN};
use crate::io::lock::lock;
use crate::io::{Io, LockKind};
use crate::paths::StorePaths;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;
use view::LogView;
pub use writer::WriterGuard;
use writer::{AppendQueue, SyncState, WriterState};

pub use crate::paths::{LOCK_FILE, LOG_DIR, TORN_DIR};

/// How durable a record is when [`Log::append`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// The record has been written and `fdatasync`ed (on Linux; `fsync` elsewhere) before
    /// `append` returns. Survives a process crash, and a power loss or kernel crash on media
    /// that honour flushes. Concurrent appenders share one sync (group commit).
    #[default]
    Sync,
    /// The record has been handed to the kernel with `write` before `append` returns, and is
    /// not synced. Survives a crash of this process (the kernel still writes it back); a power
    /// loss or kernel crash may lose the records appended in the last few seconds (the
    /// kernel's writeback interval), always from the tail: the log reopens with a prefix of
    /// the appended records and a torn tail at most. Segment creation, sealing and torn-tail
    /// cuts are synced in both modes, so the log's structure survives power loss.
    Buffered,
}

/// How much of the log [`Log::open`] checks before returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenVerify {
    /// Every record of every segment: a flipped byte anywhere fails the open. Costs a read of
    /// the whole log.
    #[default]
    Full,
    /// Segment headers, the chain between segments, each sealed segment's seal record, and
    /// every record of the last segment. Records inside sealed segments are checked when
    /// they are read and by [`Log::verify`]. Opening costs the tail, not the history.
    Tail,
}

/// Options for opening or creating a log.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// A segment is sealed and a new one started once appending would take it past this many
    /// bytes. A single record larger than this gets a segment of its own. Default 64 MiB.
    pub segment_size: u64,
    /// What `append` promises. Default [`Durability::Sync`].
    pub durability: Durability,
    /// How long a writer waits for the writer lock before [`Error::LockTimeout`]. Default 10 s.
    pub lock_timeout: Duration,
    /// How much [`Log::open`] checks. Default [`OpenVerify::Full`].
    pub verify: OpenVerify,
    /// Zeroed bytes written ahead of the writer, so that appends overwrite allocated blocks
    /// instead of growing the file. Default 1 MiB.
    pub preallocate: u64,
    /// The file system every file operation goes through. Default the real one
    /// ([`crate::io::OsBackend`]); a store uses it for its blobs and snapshots too.
    pub io: Io,
    /// Where a writer reads the time of each commit. Default the system clock. A commit's
    /// records carry the later of its reading and the last record's time, so that append
    /// times never go back even when the clock does.
    pub clock: Clock,
    /// A writer records a checkpoint (the Merkle tree's size, root and frontier) before an
    /// append once this many records follow the last checkpoint record; `0` only at the
    /// start of each segment (which always starts with one). Default 1,000.
    pub checkpoint_interval: u64,
    /// A writer also records a checkpoint before an append once the bodies of the records
    /// after the last checkpoint record hold at least this many bytes; `0` for no such bound.
    /// The first write of a process hashes the records after the last checkpoint (to find
    /// the tree's frontier), so this bounds what it hashes: about this much plus one append,
    /// where the record count alone allows `checkpoint_interval` tables of up to the inline
    /// limit. Default 1 MiB.
    pub checkpoint_bytes: u64,
    /// Whether a writer, after committing a checkpoint record, adds the full tiles of the
    /// tree that checkpoint completes to the `log/tree/` sidecar (FORMAT.md, *The tree
    /// sidecar*), so that the first proof reads tiles instead of rehashing the log. Default
    /// on; off, the first proof computes the tiles it needs.
    pub tile_upkeep: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            segment_size: 64 * 1024 * 1024,
            durability: Durability::Sync,
            lock_timeout: Duration::from_secs(10),
            verify: OpenVerify::Full,
            preallocate: 1024 * 1024,
            io: Io::default(),
            clock: Clock::default(),
            checkpoint_interval: 1000,
            checkpoint_bytes: 1024 * 1024,
            tile_upkeep: true,
        }
    }
}

impl LogOptions {
    fn validate(&self) -> Result<()> {
        if self.segment_size < (SEGMENT_HEADER_LEN as u64) * 2 {
            return Err(Error::InvalidOption(format!(
                "segment_size {} is too small (at least {} bytes)",
                self.segment_size,
                SEGMENT_HEADER_LEN * 2
            )));
        }
        Ok(())
    }
}

/// A torn write found at the end of the last segment: bytes after the last valid record,
/// with no valid record after them. Cut off (zeroed, with a copy kept in `log/torn/`) and
/// recorded as a [`RecordType::TORN_CUT`] record before the next append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub segment: PathBuf,
    /// Its number.
    pub segment_number: u64,
    /// Byte offset where the torn bytes start.
    pub offset: u64,
    /// Number of bytes up to the last non-zero byte of the segment.
    pub len: u64,
    /// Why the bytes at `offset` are not a record.
    pub defect: crate::format::Defect,
    /// Why the tail could not be looked at again under a shared lock on `log/LOCK`, if it
    /// could not (the lock file cannot be opened: a read-only copy, another user's store).
    /// The bytes may then be an append in flight in another process.
    pub unchecked: Option<String>,
}

impl TornTail {
    /// The torn tail, noting why it could not be re-checked under a lock.
    fn unchecked_because(mut self, error: &Error) -> TornTail {
        self.unchecked = Some(format!(
            "the tail could not be re-checked under a shared lock ({error}); it may be an \
             append in flight in another process"
        ));
        self
    }
}

/// Summary of one segment, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The segment file.
    pub path: PathBuf,
    /// The segment number.
    pub number: u64,
    /// Sequence number of its first record.
    pub base_seq: u64,
    /// Records in it (including a seal).
    pub records: u64,
    /// Offset just past its last record.
    pub end_offset: u64,
    /// Size of the file, including preallocated zeros.
    pub file_len: u64,
    /// Whether it has been sealed.
    pub sealed: bool,
    /// Its read version (see [`crate::format::SegmentHeader`]).
    pub read_version: u16,
    /// Its write version.
    pub write_version: u16,
}

/// A handle on a segment log. `Log` is `Send + Sync`: share it (for example in an `Arc`)
/// between threads, whose appends are then committed together.
#[derive(Debug)]
pub struct Log {
    paths: StorePaths,
    dir: PathBuf,
    lock_path: PathBuf,
    options: LogOptions,
    view: RwLock<LogView>,
    writer: Mutex<WriterState>,
    queue: Mutex<AppendQueue>,
    /// Notified when a group of queued appends is committed.
    group_done: Condvar,
    /// Notified when a gathering leader has the appends it waits for.
    gathered: Condvar,
    sync: Mutex<SyncState>,
    synced: Condvar,
    /// The durable mark this handle has to publish in `log/LOCK`.
    mark: Mutex<mark::MarkState>,
    /// The last sequence number [`Log::wait_past`] waiters have been told of.
    appended: Mutex<wait::Published>,
    /// Notified when the view takes in records after `appended`.
    appended_changed: Condvar,
    /// The torn tails this handle cut, not yet taken by [`Log::take_torn_cuts`].
    torn_cuts: Mutex<Vec<TornCut>>,
    /// The thread that adds the writer's full tiles to the `log/tree/` sidecar (dropped, so
    /// joined, with the handle).
    upkeep: Mutex<tiles::UpkeepThread>,
}

/// A torn tail this handle cut before an append (see FORMAT.md, *Recovery*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornCut {
    /// The sequence number of the torn-cut record that logs the cut.
    pub seq: u64,
    /// The segment file.
    pub segment: PathBuf,
    /// Byte offset where the torn bytes started.
    pub offset: u64,
    /// Bytes cut.
    pub len: u64,
    /// Where the copy of the torn bytes is kept.
    pub copy: PathBuf,
}

impl std::fmt::Display for TornCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a torn tail (an interrupted write) was cut before this write: {} bytes at offset {} of {}, copied to {}, recorded as record {}",
            self.len,
            self.offset,
            self.segment.display(),
            self.copy.display(),
            self.seq
        )
    }
}

impl Log {
    /// The torn tails this handle cut since the last call (each cut is also a torn-cut
    /// record in the log), so that the command that performed a cut can say so.
    pub fn take_torn_cuts(&self) -> Vec<TornCut> {
        std::mem::take(&mut *self.torn_cuts.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Remembers a cut for [`Log::take_torn_cuts`].
    pub(crate) fn note_torn_cut(&self, cut: TornCut) {
        self.torn_cuts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(cut);
    }

    /// Creates a new, empty log in `store_dir/log` (creating `store_dir` if needed) with a
    /// fresh store UUID, and opens it. Fails with [`Error::AlreadyExists`] if a log is there.
    pub fn create(store_dir: impl AsRef<Path>, options: LogOptions) -> Result<Log> {
        options.validate()?;
        let store_dir = store_dir.as_ref();
        let paths = StorePaths::new(store_dir);
        let io = &options.io;
        if io.exists(&paths.segment(FIRST_SEQ)) {
            return Err(Error::AlreadyExists {
                path: store_dir.to_path_buf(),
            });
        }
        let dir = paths.log_dir();
        io.ensure_dir_durably(&dir)?;
        let _guard = lock(
            io,
            &paths.lock_file(),
            LockKind::Exclusive,
            options.lock_timeout,
        )?;
        // The lock file may have just been created.
        io.sync_dir(&dir)?;
        let store_id = *uuid::Uuid::new_v4().as_bytes();
        let created = options.clock.now_micros();
        let header = SegmentHeader::current(store_id, 0, FIRST_SEQ, 0, created);
        writer::create_segment_file(io, &paths, &header, options.preallocate)?;
        drop(_guard);
        Log::open(store_dir, options)
    }

    /// Opens the log in `store_dir/log`, validating it as [`LogOptions::verify`] says. Never
    /// writes: a torn tail is reported by [`Log::torn_tail`] and cut before the next append.
    pub fn open(store_dir: impl AsRef<Path>, options: LogOptions) -> Result<Log> {
        options.validate()?;
        let paths = StorePaths::new(store_dir.as_ref());
        let dir = paths.log_dir();
        if !options.io.is_dir(&dir) {
            return Err(Error::NotFound {
                path: store_dir.as_ref().to_path_buf(),
            });
        }
        let lock_path = paths.lock_file();
        let view = load_view(&dir, &lock_path, &options)?;
        Ok(Log {
            paths,
            dir,
            lock_path,
            options,
            view: RwLock::new(view),
            writer: Mutex::new(WriterState::default()),
            queue: Mutex::new(AppendQueue::default()),
            group_done: Condvar::new(),
            gathered: Condvar::new(),
            sync: Mutex::new(SyncState::default()),
            synced: Condvar::new(),
            mark: Mutex::new(mark::MarkState::default()),
            appended: Mutex::new(wait::Published::default()),
            appended_changed: Condvar::new(),
            torn_cuts: Mutex::new(Vec::new()),
            upkeep: Mutex::new(tiles::UpkeepThread::default()),
        })
    }

    /// The folder holding the segment files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The paths of the store directory holding the log.
    pub fn paths(&self) -> &StorePaths {
        &self.paths
    }

    /// The file system this log does its IO through ([`LogOptions::io`]).
    pub fn io(&self) -> &Io {
        &self.options.io
    }

    /// The options this handle was opened with.
    pub fn options(&self) -> &LogOptions {
        &self.options
    }

    /// The store's UUID, from the first segment's header.
    pub fn store_id(&self) -> uuid::Uuid {
        uuid::Uuid::from_bytes(self.read_view().store_id)
    }

    /// The sequence number the next record will carry.
    pub fn next_seq(&self) -> u64 {
        self.read_view().next_seq()
    }

    /// The sequence number of the last record, or 0 if the log is empty.
    pub fn last_seq(&self) -> u64 {
        self.next_seq() - 1
    }

    /// The torn tail found by the last open or refresh, if any.
    pub fn torn_tail(&self) -> Option<TornTail> {
        self.read_view().torn.clone()
    }

    /// Bytes of records (and segment headers) in the log, excluding preallocated zeros.
    pub fn len_bytes(&self) -> u64 {
        self.read_view().segments.iter().map(|s| s.end_offset).sum()
    }

    /// A summary of every segment.
    pub fn segments(&self) -> Vec<SegmentInfo> {
        self.read_view()
            .segments
            .iter()
            .map(|s| SegmentInfo {
                path: s.path.clone(),
                number: s.number(),
                base_seq: s.header.base_seq,
                records: s.records(),
                end_offset: s.end_offset,
                file_len: s.map.len() as u64,
                sealed: s.seal.is_some(),
                read_version: s.header.read_version,
                write_version: s.header.write_version,
            })
            .collect()
    }

    /// Catches up with records appended by other processes since the last refresh.
    pub fn refresh(&self) -> Result<()> {
        let refreshed = self.refresh_view();
        self.notify_appended();
        refreshed
    }

    fn refresh_view(&self) -> Result<()> {
        let verify = self.options.verify;
        let outcome = self.write_view().refresh(verify);
        if outcome.is_ok() && self.read_view().torn.is_none() {
            return Ok(());
        }
        // Damage at the tail may be an append in flight in another process: look again
        // while no writer can be writing.
        let timeout = self.options.lock_timeout;
        match lock(self.io(), &self.lock_path, LockKind::Shared, timeout) {
            Ok(_shared) => self.write_view().refresh(verify),
            Err(e @ Error::Io(_)) => {
                outcome?;
                let mut view = self.write_view();
                view.torn = view.torn.take().map(|t| t.unchecked_because(&e));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn read_view(&self) -> RwLockReadGuard<'_, LogView> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write_view(&self) -> std::sync::RwLockWriteGuard<'_, LogView> {
        self.view.write().unwrap_or_else(|e| e.into_inner())
    }

    fn check_appendable(record_type: RecordType, body: &[u8]) -> Result<()> {
        if record_type.is_system() {
            return Err(Error::InvalidOption(format!(
                "record type {:#06x} is reserved for the log; use {:#06x} or above",
                record_type.0,
                RecordType::FIRST_APPLICATION
            )));
        }
        if body.len() > MAX_BODY_LEN as usize {
            return Err(Error::RecordTooLarge {
                len: body.len(),
                max: MAX_BODY_LEN,
            });
        }
        Ok(())
    }
}

/// Loads the view; if the tail looks damaged, looks again under a shared lock, since the
/// damage may be an append in flight in another process.
///
/// The shared lock opens the lock file read-only: reading needs no write access. If it cannot
/// be opened at all, what was found without the lock stands, and a torn tail says it could
/// not be re-checked.
fn load_view(dir: &Path, lock_path: &Path, options: &LogOptions) -> Result<LogView> {
    let io = &options.io;
    let first = match LogView::load(io, dir, options.verify) {
        Ok(view) if view.torn.is_none() => return Ok(view),
        Err(Error::NotFound { path }) => return Err(Error::NotFound { path }),
        first => first,
    };
    match lock(io, lock_path, LockKind::Shared, options.lock_timeout) {
        Ok(_shared) => LogView::load(io, dir, options.verify),
        Err(e @ Error::Io(_)) => first.map(|mut view| {
            view.torn = view.torn.take().map(|t| t.unchecked_because(&e));
            view
        }),
        Err(e) => Err(e),
    }
}

/// The current time, microseconds since the Unix epoch (UTC).
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
