//! The append path.
//!
//! A commit has two phases. Under the in-process writer mutex and the exclusive file lock, the
//! writer catches up on what other processes appended, cuts a torn tail if there is one, and
//! writes its records with `pwrite` (rolling segments as needed). Then, with both locks
//! released, it waits until an `fdatasync` that started after its write has finished: the
//! first waiter to find no sync in flight runs one, and everyone whose records it covers
//! returns together (group commit). Syncing outside the lock is sound because `fdatasync`
//! flushes every dirty page of the file, so a later writer's sync also persists every earlier
//! byte of the segment, and a segment is synced when it is sealed, before the next one exists.

use super::fsutil::{self, write_at, LockGuard, LockKind};
use super::view::{file_name, LogView};
use super::{now_micros, Durability, Log, TornTail, TORN_DIR};
use crate::error::{Error, IoContext, Result};
use crate::format::{
    encode_record, encoded_len, segment_file_name, RecordType, SealBody, SegmentHeader,
    TornCutBody, FORMAT_VERSION, SEAL_BODY_LEN, SEGMENT_HEADER_LEN,
};
use std::fs::{File, OpenOptions};
use std::ops::RangeInclusive;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

/// Bytes a seal record occupies; every segment keeps room for one.
const SEAL_RECORD_LEN: u64 = (crate::format::RECORD_HEADER_LEN + SEAL_BODY_LEN) as u64;

/// The longest a sync waits for writers of the same handle that are about to write.
const GATHER_MAX: Duration = Duration::from_micros(500);

/// A position in the log: `(segment number, byte offset)`, ordered.
pub(crate) type Mark = (u64, u64);

/// The writer's open handle on the active segment (guarded by the writer mutex).
#[derive(Debug, Default)]
pub(crate) struct WriterState {
    file: Option<(PathBuf, Arc<File>)>,
    /// The lock file, opened once (each lock is taken on a duplicate of this descriptor).
    lock_file: Option<File>,
    /// The write generation this handle's view reflects (see `LockGuard::generation`).
    seen_generation: Option<u64>,
}

impl WriterState {
    /// A new descriptor on the lock file's open file description.
    fn lock_file(&mut self, path: &Path) -> Result<File> {
        if self.lock_file.is_none() {
            self.lock_file = Some(fsutil::open_lock_file(path)?);
        }
        let file = self.lock_file.as_ref().expect("just opened");
        file.try_clone().ctx("duplicate lock file descriptor", path)
    }

    fn file(&mut self, path: &Path) -> Result<Arc<File>> {
        if self.file.as_ref().is_none_or(|(p, _)| p != path) {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .ctx("open", path)?;
            self.file = Some((path.to_path_buf(), Arc::new(file)));
        }
        Ok(Arc::clone(&self.file.as_ref().expect("just opened").1))
    }
}

/// A queued batch of records: its ticket and the records.
type QueuedBatch = (u64, Vec<(RecordType, Vec<u8>)>);

/// What writing a queued batch gave: its range, and the end of the write that held it.
type Written = Result<(RangeInclusive<u64>, Option<Mark>)>;

/// Appends queued by threads of one handle, written together by one of them.
#[derive(Debug, Default)]
pub(crate) struct AppendQueue {
    next_ticket: u64,
    pending: Vec<QueuedBatch>,
    leader: bool,
    outcomes: std::collections::HashMap<u64, Written>,
}

/// What has been written and what is known durable (guarded by the sync mutex).
#[derive(Debug, Default)]
pub(crate) struct SyncState {
    /// End of the last write by this handle, and the file it went to.
    written: Option<(Mark, PathBuf, Arc<File>)>,
    /// Everything up to here is durable.
    durable: Mark,
    /// A sync is in flight.
    syncing: bool,
    /// Set after a failed write or sync; every later append fails with it.
    pub(crate) poisoned: Option<Error>,
    /// Writers done when the last sync started, and how many that sync covered.
    done_at_last_sync: u64,
    last_batch: u64,
    /// How long the last fdatasync took.
    last_sync_duration: Duration,
}

/// Where the next record goes.
#[derive(Debug)]
struct Position {
    dir: PathBuf,
    path: PathBuf,
    header: SegmentHeader,
    offset: u64,
    next_seq: u64,
    file_len: u64,
    sealed: Option<SealBody>,
    rolled: bool,
}

impl Position {
    fn from_view(view: &LogView) -> Position {
        let last = view
            .segments
            .last()
            .expect("a log has at least one segment");
        Position {
            dir: view.dir.clone(),
            path: last.path.clone(),
            header: last.header,
            offset: last.end_offset,
            next_seq: last.next_seq,
            file_len: last.map.len() as u64,
            sealed: last.seal,
            rolled: false,
        }
    }

    fn records_in_segment(&self) -> u64 {
        self.next_seq - self.header.base_seq
    }

    fn mark(&self) -> Mark {
        (self.header.segment_number, self.offset)
    }
}

/// Exclusive write access to the log: the in-process writer mutex and the cross-process file
/// lock, with the view caught up on everything other processes appended. Records appended
/// through the guard are written but not synced; [`WriterGuard::commit`] releases the locks
/// and then makes them as durable as the log's [`Durability`] promises. Dropping the guard
/// without committing releases the locks; what was written stays, unacknowledged.
pub struct WriterGuard<'a> {
    log: &'a Log,
    state: MutexGuard<'a, WriterState>,
    flock: LockGuard,
    pos: Position,
    written: Option<Mark>,
    /// The write generation found when the lock was taken.
    generation: u64,
    /// Whether this guard has stored `generation + 1` (done before its first write).
    bumped: bool,
    /// Counts this writer as pending until the locks are released.
    _pending: Option<PendingWriter<'a>>,
}

/// Marks a thread as holding or waiting for the writer lock of a handle (see
/// `Log::gather_writers`), until dropped.
struct PendingWriter<'a>(&'a Log);

impl<'a> PendingWriter<'a> {
    fn new(log: &'a Log) -> Self {
        log.pending_writers.fetch_add(1, Ordering::AcqRel);
        PendingWriter(log)
    }
}

impl Drop for PendingWriter<'_> {
    fn drop(&mut self) {
        self.0.pending_writers.fetch_sub(1, Ordering::AcqRel);
        self.0.writers_done.fetch_add(1, Ordering::AcqRel);
        self.0.synced.notify_all();
    }
}

impl std::fmt::Debug for WriterGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterGuard")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl Log {
    /// Appends one record and returns its sequence number once it is as durable as
    /// [`super::LogOptions::durability`] promises. `record_type` must be at least
    /// [`RecordType::FIRST_APPLICATION`].
    pub fn append(&self, record_type: RecordType, body: &[u8]) -> Result<u64> {
        self.append_batch(&[(record_type, body)])
            .map(|range| *range.start())
    }

    /// Appends records with consecutive sequence numbers (never split by a segment roll) and
    /// returns their range once they are durable.
    ///
    /// Appends from several threads of one handle are written together: the first thread to
    /// find no write in progress takes the locks once and writes every queued batch, then
    /// each thread waits for a sync that covers its records (group commit).
    pub fn append_batch(&self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        if records.is_empty() {
            return Err(Error::InvalidOption(
                "append_batch needs at least one record".into(),
            ));
        }
        for (record_type, body) in records {
            Log::check_appendable(*record_type, body)?;
        }
        self.check_not_poisoned()?;
        let owned = records.iter().map(|(t, b)| (*t, b.to_vec())).collect();
        let pending = PendingWriter::new(self);
        let (range, mark) = self.queue_and_write(owned)?;
        drop(pending);
        if let (Some(mark), Durability::Sync) = (mark, self.options.durability) {
            self.sync_through(mark)?;
        }
        Ok(range)
    }

    /// Queues a batch; the first waiter to find no leader writes everything queued so far
    /// under one hold of the locks. Returns the batch's range and the end of that write.
    fn queue_and_write(&self, records: Vec<(RecordType, Vec<u8>)>) -> Written {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push((ticket, records));
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome;
            }
            if queue.leader {
                queue = self
                    .queue_done
                    .wait(queue)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            queue.leader = true;
            let batch = std::mem::take(&mut queue.pending);
            drop(queue);
            let outcomes = self.write_queued(&batch);
            queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.leader = false;
            for ((ticket, _), outcome) in batch.iter().zip(outcomes) {
                queue.outcomes.insert(*ticket, outcome);
            }
            self.queue_done.notify_all();
        }
    }

    /// Writes queued batches under one hold of the locks; one outcome per batch.
    fn write_queued(&self, batch: &[QueuedBatch]) -> Vec<Written> {
        let mut guard = match self.lock_writer_as(None) {
            Ok(guard) => guard,
            Err(e) => return batch.iter().map(|_| Err(e.clone())).collect(),
        };
        // After a failed write the handle is poisoned: the batches after it are not written
        // and get the same error.
        let mut failure: Option<Error> = None;
        let ranges: Vec<Result<RangeInclusive<u64>>> = batch
            .iter()
            .map(|(_, records)| {
                if let Some(error) = &failure {
                    return Err(error.clone());
                }
                let refs: Vec<(RecordType, &[u8])> =
                    records.iter().map(|(t, b)| (*t, b.as_slice())).collect();
                let written = guard.write_records(&refs);
                if let Err(error) = &written {
                    failure = Some(error.clone());
                }
                written
            })
            .collect();
        let mark = guard.release();
        ranges
            .into_iter()
            .map(|r| r.map(|range| (range, mark)))
            .collect()
    }

    /// Takes exclusive write access (see [`WriterGuard`]), waiting at most the lock timeout
    /// for other processes, and catches up on their records. A torn tail is cut here.
    pub fn lock_writer(&self) -> Result<WriterGuard<'_>> {
        self.lock_writer_as(Some(PendingWriter::new(self)))
    }

    /// [`Log::lock_writer`], counting the caller as a pending writer only if `pending` is
    /// given (queued appends count each append instead; see `append_batch`).
    fn lock_writer_as<'a>(&'a self, pending: Option<PendingWriter<'a>>) -> Result<WriterGuard<'a>> {
        self.check_not_poisoned()?;
        let mut state = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let lock_file = state.lock_file(&self.lock_path)?;
        let timeout = self.options.lock_timeout;
        let flock = fsutil::lock_file(lock_file, &self.lock_path, LockKind::Exclusive, timeout)?;
        let generation = flock.generation(&self.lock_path)?;
        let (pos, torn) = {
            let mut view = self.write_view();
            // Nobody wrote since this handle's last write or refresh: its view is current.
            let current = state.seen_generation == Some(generation) && view.torn.is_none();
            if !current {
                view.refresh(self.options.verify)?;
            }
            (Position::from_view(&view), view.torn.clone())
        };
        state.seen_generation = Some(generation);
        let mut guard = WriterGuard {
            log: self,
            state,
            flock,
            pos,
            written: None,
            generation,
            bumped: false,
            _pending: pending,
        };
        if let Some(torn) = torn {
            guard.cut_torn_tail(&torn).map_err(|e| self.poison(e))?;
            guard.update_view()?;
        }
        Ok(guard)
    }

    fn check_not_poisoned(&self) -> Result<()> {
        let sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        match &sync.poisoned {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Marks the handle unusable after a failed write or sync and returns the error to report.
    fn poison(&self, error: Error) -> Error {
        let poisoned = match error {
            Error::Poisoned { .. } => error,
            other => Error::Poisoned {
                path: self.dir.clone(),
                cause: other.to_string(),
            },
        };
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        sync.poisoned.get_or_insert(poisoned).clone()
    }

    /// Returns once everything this handle wrote up to `mark` is durable, running one
    /// `fdatasync` for every waiter if none is in flight (group commit).
    fn sync_through(&self, mark: Mark) -> Result<()> {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(error) = &sync.poisoned {
                return Err(error.clone());
            }
            if sync.durable >= mark {
                return Ok(());
            }
            if sync.syncing {
                sync = self.synced.wait(sync).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            sync = self.gather_writers(sync);
            if sync.syncing || sync.durable >= mark {
                continue;
            }
            let (target, path, file) = sync.written.clone().expect("a write precedes its sync");
            sync.syncing = true;
            drop(sync);
            let started = Instant::now();
            let outcome = file.sync_data();
            sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.syncing = false;
            sync.last_sync_duration = started.elapsed();
            match outcome {
                Ok(()) => sync.durable = sync.durable.max(target),
                Err(e) => {
                    let cause = e.to_string();
                    sync.poisoned.get_or_insert(Error::Poisoned { path, cause });
                }
            }
            self.synced.notify_all();
        }
    }

    /// Before starting a sync, waits (at most [`GATHER_MAX`]) while other threads of this
    /// handle are between taking the writer lock and writing, so that one sync covers their
    /// records too. A lone writer never waits: nobody else is pending.
    fn gather_writers<'a>(
        &'a self,
        mut sync: MutexGuard<'a, SyncState>,
    ) -> MutexGuard<'a, SyncState> {
        // Wait for the writers pending now (not for those that arrive meanwhile: a steady
        // stream of writers must not hold the sync back), and, when the last sync covered
        // several writers, for as many as it covered: under concurrent load the writers it
        // released are about to write again.
        let done = self.writers_done.load(Ordering::Acquire);
        let pending = done + self.pending_writers.load(Ordering::Acquire) as u64;
        // One more than last time, so that the batch grows to the number of writers; the
        // wait is bounded by half the last sync's duration, so a hope that fails costs little.
        let like_last_time = sync.done_at_last_sync + sync.last_batch + 1;
        let target = if sync.last_batch > 1 {
            pending.max(like_last_time)
        } else {
            pending
        };
        let deadline = Instant::now() + GATHER_MAX.min(sync.last_sync_duration);
        while self.writers_done.load(Ordering::Acquire) < target {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let wait = (deadline - now).min(Duration::from_micros(50));
            sync = self
                .synced
                .wait_timeout(sync, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let done = self.writers_done.load(Ordering::Acquire);
        sync.last_batch = done - sync.done_at_last_sync;
        sync.done_at_last_sync = done;
        sync
    }

    fn note_written(&self, mark: Mark, path: &Path, file: Arc<File>, durable: bool) {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if sync.written.as_ref().is_none_or(|(m, _, _)| *m < mark) {
            sync.written = Some((mark, path.to_path_buf(), file));
        }
        if durable {
            sync.durable = sync.durable.max(mark);
        }
    }
}

impl WriterGuard<'_> {
    /// The sequence number the next appended record will carry.
    pub fn next_seq(&self) -> u64 {
        self.pos.next_seq
    }

    /// Writes records with consecutive sequence numbers (rolling to a new segment first if
    /// they would not fit) and returns their range. Not durable until [`Self::commit`].
    pub fn append_batch(&mut self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        if records.is_empty() {
            return Err(Error::InvalidOption(
                "append_batch needs at least one record".into(),
            ));
        }
        for (record_type, body) in records {
            Log::check_appendable(*record_type, body)?;
        }
        self.write_records(records)
    }

    /// Appends a record of a type the log itself defines (used by repair).
    pub(crate) fn append_system(&mut self, record_type: RecordType, body: &[u8]) -> Result<u64> {
        self.write_records(&[(record_type, body)])
            .map(|r| *r.start())
    }

    fn write_records(&mut self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        let log = self.log;
        let outcome = self.write_unsynced(records);
        let range = outcome.map_err(|e| log.poison(e))?;
        self.update_view()?;
        Ok(range)
    }

    /// Releases the locks, then waits until the appended records are as durable as the
    /// log's durability mode promises.
    pub fn commit(self) -> Result<()> {
        let log = self.log;
        match (self.release(), log.options.durability) {
            (Some(mark), Durability::Sync) => log.sync_through(mark),
            _ => Ok(()),
        }
    }

    /// Releases the locks without syncing; returns the end of what was written, if anything.
    fn release(self) -> Option<Mark> {
        let WriterGuard {
            state,
            flock,
            written,
            _pending,
            ..
        } = self;
        drop(flock);
        drop(state);
        drop(_pending);
        written
    }

    /// Stores the next write generation before the first write of this guard, so that
    /// every other writer re-reads the log before appending.
    fn bump_generation(&mut self) -> Result<()> {
        if !self.bumped {
            let next = self.generation + 1;
            self.flock.set_generation(&self.log.lock_path, next)?;
            self.state.seen_generation = Some(next);
            self.bumped = true;
        }
        Ok(())
    }

    fn write_unsynced(&mut self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        self.bump_generation()?;
        if let Some(seal) = self.pos.sealed {
            self.start_next_segment(seal)?;
        }
        let needed: u64 = records
            .iter()
            .map(|(_, b)| encoded_len(b.len()) as u64)
            .sum::<u64>()
            + SEAL_RECORD_LEN;
        if self.pos.records_in_segment() > 0
            && self.pos.offset + needed > self.log.options.segment_size
        {
            self.roll()?;
        }
        let timestamp = now_micros();
        let first = self.pos.next_seq;
        let mut buf = Vec::with_capacity(needed as usize);
        for (record_type, body) in records {
            encode_record(&mut buf, *record_type, self.pos.next_seq, timestamp, body);
            self.pos.next_seq += 1;
        }
        self.write(&buf, false)?;
        Ok(first..=self.pos.next_seq - 1)
    }

    /// Writes `buf` at the position, preallocating zeroed space ahead of it; syncs at once if
    /// `sync_now` (seals and torn-tail cuts), otherwise leaves syncing to [`Self::commit`].
    fn write(&mut self, buf: &[u8], sync_now: bool) -> Result<()> {
        let file = self.state.file(&self.pos.path)?;
        let path = &self.pos.path;
        let end = self.pos.offset + buf.len() as u64;
        write_at(&file, path, buf, self.pos.offset)?;
        let options = &self.log.options;
        if end + options.preallocate / 2 > self.pos.file_len {
            let target = (end + options.preallocate).min(options.segment_size.max(end));
            write_zeros(&file, path, end.max(self.pos.file_len), target)?;
            self.pos.file_len = self.pos.file_len.max(target).max(end);
        }
        if sync_now {
            file.sync_data().ctx("fdatasync", path)?;
        }
        self.pos.offset = end;
        self.written = Some(self.pos.mark());
        self.log.note_written(self.pos.mark(), path, file, sync_now);
        Ok(())
    }

    /// Seals the active segment, syncs it, and starts the next one.
    fn roll(&mut self) -> Result<()> {
        let seal = SealBody {
            segment_number: self.pos.header.segment_number,
            first_seq: self.pos.header.base_seq,
            record_count: self.pos.records_in_segment(),
            seal_offset: self.pos.offset,
        };
        let mut buf = Vec::new();
        encode_record(
            &mut buf,
            RecordType::SEAL,
            self.pos.next_seq,
            now_micros(),
            &seal.encode(),
        );
        self.pos.next_seq += 1;
        // The seal (and everything before it) must be durable before the next segment
        // exists: otherwise a power loss could leave an unsealed segment followed by another,
        // which reads as corruption. Syncing the file makes every earlier write durable too.
        self.write(&buf, true)?;
        self.start_next_segment(seal)
    }

    fn start_next_segment(&mut self, seal: SealBody) -> Result<()> {
        let header = SegmentHeader {
            format_version: FORMAT_VERSION,
            store_id: self.pos.header.store_id,
            segment_number: self.pos.header.segment_number + 1,
            base_seq: self.pos.next_seq,
            prev_seal_offset: seal.seal_offset,
            created_at_micros: now_micros(),
        };
        let prealloc = self
            .log
            .options
            .preallocate
            .min(self.log.options.segment_size);
        let (path, file_len) = create_segment_file(&self.pos.dir, &header, prealloc)?;
        self.pos.path = path;
        self.pos.header = header;
        self.pos.offset = SEGMENT_HEADER_LEN as u64;
        self.pos.file_len = file_len;
        self.pos.sealed = None;
        self.pos.rolled = true;
        Ok(())
    }

    /// Keeps a copy of the torn bytes in `log/torn/`, zeroes them, and logs the cut as a
    /// synced [`RecordType::TORN_CUT`] record at the torn offset.
    fn cut_torn_tail(&mut self, torn: &TornTail) -> Result<()> {
        self.bump_generation()?;
        debug_assert_eq!(self.pos.offset, torn.offset);
        let file = self.state.file(&self.pos.path)?;
        let mut torn_bytes = vec![0u8; torn.len as usize];
        file.read_exact_at(&mut torn_bytes, torn.offset)
            .ctx("read torn tail of", &self.pos.path)?;
        let copy_dir = self.pos.dir.join(TORN_DIR);
        std::fs::create_dir_all(&copy_dir).ctx("create directory", &copy_dir)?;
        fsutil::sync_dir(&self.pos.dir)?;
        let copy = copy_dir.join(format!(
            "{}.{}.torn",
            file_name(&self.pos.path),
            torn.offset
        ));
        fsutil::create_durably(&copy, &torn_bytes)?;
        write_zeros(&file, &self.pos.path, torn.offset, torn.offset + torn.len)?;
        let body = TornCutBody {
            segment_number: self.pos.header.segment_number,
            offset: torn.offset,
            bytes_dropped: torn.len,
        };
        let mut buf = Vec::new();
        encode_record(
            &mut buf,
            RecordType::TORN_CUT,
            self.pos.next_seq,
            now_micros(),
            &body.encode(),
        );
        self.pos.next_seq += 1;
        self.write(&buf, true)
    }

    /// Brings the shared view up to what this writer has written.
    fn update_view(&mut self) -> Result<()> {
        let mut view = self.log.write_view();
        if std::mem::take(&mut self.pos.rolled) {
            view.refresh(self.log.options.verify)
        } else {
            view.extend_last(self.pos.offset, self.pos.file_len)
        }
    }
}

/// Writes zero bytes over `from..to` of the file.
fn write_zeros(file: &File, path: &Path, from: u64, to: u64) -> Result<()> {
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

/// Creates a segment file durably: header and `preallocate` zeroed bytes are written to a
/// temporary file, synced, renamed into place, and the directory synced.
/// Returns the path and the file length.
pub(crate) fn create_segment_file(
    dir: &Path,
    header: &SegmentHeader,
    preallocate: u64,
) -> Result<(PathBuf, u64)> {
    let path = dir.join(segment_file_name(header.base_seq));
    let len = preallocate.max(SEGMENT_HEADER_LEN as u64);
    let mut contents = vec![0u8; len as usize];
    contents[..SEGMENT_HEADER_LEN].copy_from_slice(&header.encode());
    fsutil::create_durably(&path, &contents)?;
    Ok((path, len))
}
