//! The append path.
//!
//! A commit has two phases. Under the in-process writer mutex and the exclusive file lock, the
//! writer catches up on what other processes appended, cuts a torn tail if there is one, and
//! writes its records with `pwrite` (rolling segments as needed). Then, with both locks
//! released, it waits until an `fdatasync` that started after its write has finished.
//! Syncing outside the lock is sound because `fdatasync` flushes every dirty page of the file,
//! so a later writer's sync also persists every earlier byte of the segment, and a segment is
//! synced when it is sealed, before the next one exists.
//!
//! Group commit comes in two forms. [`Log::append_batch`] queues the append; one thread (the
//! leader) waits briefly for the threads its last group released to queue again, then writes
//! the whole queue with one `pwrite` and runs one `fdatasync` for it, as LevelDB's writer
//! queue does. A [`WriterGuard`] (used when records depend on what the log holds) writes
//! under the locks itself and then joins or starts a sync in `sync_through`.

use super::view::LogView;
use super::{append_checks, clock, versions, Durability, Log, TornTail};
use crate::error::{Error, Result};
use crate::format::{
    encode_record, encoded_len, RecordType, SealBody, SegmentHeader, TornCutBody, SEAL_BODY_LEN,
    SEGMENT_HEADER_LEN,
};
use crate::io::lock::{self, LockGuard};
use crate::io::{Io, IoFile, LockKind, OpenMode};
use crate::paths::{tmp_path, StorePaths};
use std::collections::{HashMap, VecDeque};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

/// Bytes a seal record occupies; every segment keeps room for one.
const SEAL_RECORD_LEN: u64 = (crate::format::RECORD_HEADER_LEN + SEAL_BODY_LEN) as u64;

/// The longest a group leader waits for appends about to be queued.
const GATHER_MAX: Duration = Duration::from_micros(500);

/// A group of queued appends stops growing past this many bytes (beyond the leader's own).
const GROUP_BYTES: u64 = 1 << 20;

/// A position in the log: `(segment number, byte offset)`, ordered.
pub(crate) type Mark = (u64, u64);

/// The writer's open handle on the active segment (guarded by the writer mutex).
#[derive(Debug, Default)]
pub(crate) struct WriterState {
    file: Option<IoFile>,
    /// The lock file, opened once; the writer locks it for each commit.
    lock_file: Option<IoFile>,
    /// The write generation this handle's view reflects (see `LockGuard::generation`).
    seen_generation: Option<u64>,
}

impl WriterState {
    fn file(&mut self, io: &Io, path: &Path) -> Result<IoFile> {
        if self.file.as_ref().is_none_or(|f| f.path() != path) {
            self.file = Some(io.open(path, OpenMode::ReadWrite)?);
        }
        Ok(self.file.clone().expect("just opened"))
    }
}

/// What writing a queued append gave: its range, and the end of the write that held it.
type Written = Result<(RangeInclusive<u64>, Option<Mark>)>;

/// One thread's append, waiting in the queue until a leader writes it.
#[derive(Debug)]
struct QueuedAppend {
    ticket: u64,
    records: Vec<(RecordType, Vec<u8>)>,
}

impl QueuedAppend {
    fn bytes(&self) -> u64 {
        self.records
            .iter()
            .map(|(_, body)| encoded_len(body.len()) as u64)
            .sum()
    }
}

/// Appends of one handle's threads, committed in groups (group commit, as LevelDB does it).
///
/// Invariant: when a leader finishes, it wakes every waiting append (`Log::group_done`), so
/// the first of them to run leads the next group; an append that finds no leader leads.
#[derive(Debug, Default)]
pub(crate) struct AppendQueue {
    next_ticket: u64,
    waiting: VecDeque<QueuedAppend>,
    /// A leader is gathering, writing or syncing a group.
    leader: bool,
    /// While the leader gathers: how many waiting appends it wants.
    gathering: Option<usize>,
    /// Appends in the last group, and how long its fdatasync took.
    last_group: usize,
    last_sync_duration: Duration,
    /// Outcomes of appends written by another thread, until their owners collect them.
    outcomes: HashMap<u64, Result<RangeInclusive<u64>>>,
}

impl AppendQueue {
    /// Takes the appends the next group commits: everything up to and including the
    /// leader's own (first come, first served), then more while under [`GROUP_BYTES`].
    fn take_group(&mut self, leader_ticket: u64) -> Vec<QueuedAppend> {
        let mut group = Vec::with_capacity(self.waiting.len());
        let mut bytes = 0;
        let mut has_leader = false;
        while let Some(next) = self.waiting.front() {
            if has_leader && bytes + next.bytes() > GROUP_BYTES {
                break;
            }
            let next = self.waiting.pop_front().expect("front exists");
            has_leader |= next.ticket == leader_ticket;
            bytes += next.bytes();
            group.push(next);
        }
        group
    }

    /// Whether a leader is gathering and now has the appends it waits for.
    fn gathered(&self) -> bool {
        self.gathering
            .is_some_and(|wanted| self.waiting.len() >= wanted)
    }
}

/// Hands the next leader the queue if a leader unwinds from a panic while committing, and
/// gives the appends of its group an error instead of leaving their threads waiting.
struct LeaderDuty<'a> {
    log: &'a Log,
    /// The group's appends not yet given an outcome.
    tickets: Vec<u64>,
}

impl Drop for LeaderDuty<'_> {
    fn drop(&mut self) {
        if self.tickets.is_empty() {
            return;
        }
        let error = self.log.poison(Error::Poisoned {
            path: self.log.dir.clone(),
            cause: "a thread panicked while committing appends".into(),
        });
        let mut queue = self.log.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.leader = false;
        for ticket in self.tickets.drain(..) {
            queue.outcomes.insert(ticket, Err(error.clone()));
        }
        drop(queue);
        self.log.group_done.notify_all();
    }
}

/// What has been written and what is known durable (guarded by the sync mutex).
#[derive(Debug, Default)]
pub(crate) struct SyncState {
    /// End of the last write by this handle, and the file it went to.
    written: Option<(Mark, IoFile)>,
    /// Everything up to here is durable.
    durable: Mark,
    /// A sync is in flight.
    syncing: bool,
    /// Set after a failed write or sync; every later append fails with it.
    pub(crate) poisoned: Option<Error>,
}

/// Where the next record goes.
#[derive(Debug)]
struct Position {
    paths: StorePaths,
    path: PathBuf,
    header: SegmentHeader,
    offset: u64,
    next_seq: u64,
    file_len: u64,
    sealed: Option<SealBody>,
    rolled: bool,
    /// `(seq, offset)` of the records written to this segment since the view was updated.
    unviewed: Vec<(u64, u64)>,
}

impl Position {
    fn from_view(paths: &StorePaths, view: &LogView) -> Position {
        let last = view
            .segments
            .last()
            .expect("a log has at least one segment");
        Position {
            paths: paths.clone(),
            path: last.path.clone(),
            header: last.header,
            offset: last.end_offset,
            next_seq: last.next_seq,
            file_len: last.map.len() as u64,
            sealed: last.seal,
            rolled: false,
            unviewed: Vec::new(),
        }
    }

    /// Encodes the next record into `buf`, which is to be written at `self.offset`, and
    /// notes where it goes.
    fn encode_next(&mut self, buf: &mut Vec<u8>, record_type: RecordType, time: i64, body: &[u8]) {
        self.unviewed
            .push((self.next_seq, self.offset + buf.len() as u64));
        encode_record(buf, record_type, self.next_seq, time, body);
        self.next_seq += 1;
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
    /// The append time of every record this guard writes (see [`WriterGuard::commit_micros`]).
    time: i64,
    /// The write generation found when the lock was taken.
    generation: u64,
    /// Whether this guard has stored `generation + 1` (done before its first write).
    bumped: bool,
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
    /// Appends from several threads of one handle are committed in groups: the appends queue,
    /// and one thread (the leader) writes every queued append under one hold of the locks and
    /// runs one `fdatasync` for all of them (group commit).
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
        self.append_queued(owned)
    }

    /// Queues an append and waits until a leader has committed it; leads a group itself when
    /// no leader is active.
    fn append_queued(&self, records: Vec<(RecordType, Vec<u8>)>) -> Result<RangeInclusive<u64>> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push_back(QueuedAppend { ticket, records });
        if queue.gathered() {
            self.gathered.notify_one();
        }
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome;
            }
            if !queue.leader {
                return self.lead_group(queue, ticket);
            }
            queue = self
                .group_done
                .wait(queue)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Commits a group that holds the append `ticket`: gathers, writes and syncs it, hands
    /// every other member its outcome, and wakes every waiting append (its members, and the
    /// appends queued meanwhile, one of which leads next).
    fn lead_group(
        &self,
        mut queue: MutexGuard<'_, AppendQueue>,
        ticket: u64,
    ) -> Result<RangeInclusive<u64>> {
        queue.leader = true;
        let mut queue = self.gather_appends(queue);
        let group = queue.take_group(ticket);
        queue.last_group = group.len();
        drop(queue);
        let mut duty = LeaderDuty {
            log: self,
            tickets: group.iter().map(|append| append.ticket).collect(),
        };
        let (outcomes, sync_duration) = self.commit_group(&group);
        duty.tickets.clear();
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.leader = false;
        if let Some(duration) = sync_duration {
            queue.last_sync_duration = duration;
        }
        let mut mine = None;
        for (append, outcome) in group.into_iter().zip(outcomes) {
            if append.ticket == ticket {
                mine = Some(outcome);
            } else {
                queue.outcomes.insert(append.ticket, outcome);
            }
        }
        // One wake-up call for all (measured: a third less time until the woken threads have
        // queued again than one call per thread), after unlocking so they do not block on
        // the queue mutex.
        drop(queue);
        self.group_done.notify_all();
        mine.expect("a group holds its leader's append")
    }

    /// Before taking a group, waits (at most the last sync's duration, and [`GATHER_MAX`])
    /// until as many appends wait as the last group held: under concurrent load the threads
    /// that group released are about to append again, and one sync for all of them costs
    /// less than one more sync. A lone writer never waits: its last group held one append.
    fn gather_appends<'a>(
        &'a self,
        mut queue: MutexGuard<'a, AppendQueue>,
    ) -> MutexGuard<'a, AppendQueue> {
        let wanted = queue.last_group;
        if queue.waiting.len() >= wanted {
            return queue;
        }
        let deadline = Instant::now() + queue.last_sync_duration.min(GATHER_MAX);
        queue.gathering = Some(wanted);
        while queue.waiting.len() < wanted {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            queue = self
                .gathered
                .wait_timeout(queue, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        queue.gathering = None;
        queue
    }

    /// Writes a group under one hold of the locks and, in `Sync` mode, runs one sync for all
    /// of it. Returns one outcome per append, and how long the sync took if one ran.
    fn commit_group(
        &self,
        group: &[QueuedAppend],
    ) -> (Vec<Result<RangeInclusive<u64>>>, Option<Duration>) {
        let written = self.write_queued(group);
        let end = written
            .iter()
            .filter_map(|w| w.as_ref().ok().and_then(|(_, mark)| *mark))
            .max();
        let mut sync_duration = None;
        let mut sync_error = None;
        if let (Some(end), Durability::Sync) = (end, self.options.durability) {
            let started = Instant::now();
            if let Err(error) = self.sync_through(end) {
                sync_error = Some(error);
            }
            sync_duration = Some(started.elapsed());
        }
        let outcomes = written
            .into_iter()
            .map(|w| match (w, &sync_error) {
                (Err(error), _) => Err(error),
                (Ok(_), Some(error)) => Err(error.clone()),
                (Ok((range, _)), None) => Ok(range),
            })
            .collect();
        (outcomes, sync_duration)
    }

    /// Writes queued appends with one `pwrite` (more only across a segment roll) under one
    /// hold of the locks; one outcome per append. After a failed write the handle is
    /// poisoned and no append of the group is acknowledged.
    fn write_queued(&self, group: &[QueuedAppend]) -> Vec<Written> {
        let mut guard = match self.lock_writer() {
            Ok(guard) => guard,
            Err(e) => return group.iter().map(|_| Err(e.clone())).collect(),
        };
        let refs: Vec<Vec<(RecordType, &[u8])>> = group
            .iter()
            .map(|append| {
                append
                    .records
                    .iter()
                    .map(|(t, b)| (*t, b.as_slice()))
                    .collect()
            })
            .collect();
        let written = guard.write_appends(&refs);
        let mark = guard.release();
        match written {
            Ok(ranges) => ranges.into_iter().map(|r| Ok((r, mark))).collect(),
            Err(error) => group.iter().map(|_| Err(error.clone())).collect(),
        }
    }

    /// Takes exclusive write access (see [`WriterGuard`]), waiting at most the lock timeout
    /// for other processes, and catches up on their records. A torn tail is cut here.
    pub fn lock_writer(&self) -> Result<WriterGuard<'_>> {
        self.check_not_poisoned()?;
        let mut state = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let timeout = self.options.lock_timeout;
        let (io, path) = (self.io(), &self.lock_path);
        let (flock, opened) =
            lock::lock_verified(io, path, &mut state.lock_file, LockKind::Exclusive, timeout)?;
        if opened {
            // A new lock file (perhaps one created after the old was deleted) counts its
            // generations afresh: the one this handle saw says nothing about it.
            state.seen_generation = None;
        }
        let generation = flock.generation()?;
        self.publish_pending_mark(&flock, state.seen_generation == Some(generation));
        let (pos, torn, last_time) = {
            let mut view = self.write_view();
            // Nobody wrote since this handle's last write or refresh: its view is current.
            let current = state.seen_generation == Some(generation) && view.torn.is_none();
            if !current {
                view.refresh(self.options.verify)?;
            }
            versions::check_appendable(&view)?;
            let pos = Position::from_view(&self.paths, &view);
            (pos, view.torn.clone(), view.last_record_time())
        };
        state.seen_generation = Some(generation);
        let mut guard = WriterGuard {
            log: self,
            state,
            flock,
            pos,
            written: None,
            time: clock::commit_time(&self.options.clock, last_time),
            generation,
            bumped: false,
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
            let (target, file) = sync.written.clone().expect("a write precedes its sync");
            sync.syncing = true;
            drop(sync);
            let outcome = file.sync_data();
            if outcome.is_ok() {
                self.mark_after_sync(target);
            }
            sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.syncing = false;
            match outcome {
                Ok(()) => sync.durable = sync.durable.max(target),
                Err(e) => {
                    let path = file.path().to_path_buf();
                    let cause = e.to_string();
                    sync.poisoned.get_or_insert(Error::Poisoned { path, cause });
                }
            }
            self.synced.notify_all();
        }
    }

    fn note_written(&self, mark: Mark, file: IoFile, durable: bool) {
        let mut sync = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if sync.written.as_ref().is_none_or(|(m, _)| *m < mark) {
            sync.written = Some((mark, file));
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

    /// The append time every record written through this guard carries (microseconds since
    /// the Unix epoch): the clock's reading when the guard was taken, or the last record's
    /// time if the clock reads earlier, so that append times never go back. Fixed for the
    /// guard's life, so that an event can carry its record's time before it is encoded.
    pub fn commit_micros(&self) -> i64 {
        self.time
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
        let mut ranges = self.write_appends(&[records.to_vec()])?;
        Ok(ranges.pop().expect("one range per append"))
    }

    /// Writes several appends, each with consecutive sequence numbers and never split by a
    /// segment roll; returns one range per append. A failure poisons the handle.
    fn write_appends(
        &mut self,
        appends: &[Vec<(RecordType, &[u8])>],
    ) -> Result<Vec<RangeInclusive<u64>>> {
        let log = self.log;
        // Nothing is written yet, so a lost lock does not stop the handle.
        append_checks::ensure_lock_held(&self.flock, log.io())?;
        let outcome = self.write_unsynced(appends);
        let ranges = outcome.map_err(|e| log.poison(e))?;
        self.update_view()?;
        Ok(ranges)
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
            ..
        } = self;
        drop(flock);
        drop(state);
        written
    }

    /// Stores the next write generation before the first write of this guard, so that
    /// every other writer re-reads the log before appending.
    fn bump_generation(&mut self) -> Result<()> {
        if !self.bumped {
            let next = self.generation + 1;
            self.flock.set_generation(next)?;
            self.state.seen_generation = Some(next);
            self.bumped = true;
        }
        Ok(())
    }

    /// Encodes the appends into one buffer and writes it with one `pwrite`, first writing
    /// what is buffered and rolling when the next append would not fit in the segment.
    fn write_unsynced(
        &mut self,
        appends: &[Vec<(RecordType, &[u8])>],
    ) -> Result<Vec<RangeInclusive<u64>>> {
        self.bump_generation()?;
        if let Some(seal) = self.pos.sealed {
            self.start_next_segment(seal)?;
        } else if versions::older_than_this_build(&self.pos.header) {
            // A writer never appends into a segment of an older version: the upgrade
            // happens at a segment boundary, which the seal records.
            self.roll()?;
        }
        let timestamp = self.time;
        let mut buf = Vec::new();
        let mut ranges = Vec::with_capacity(appends.len());
        for records in appends {
            let needed: u64 = records
                .iter()
                .map(|(_, b)| encoded_len(b.len()) as u64)
                .sum::<u64>()
                + SEAL_RECORD_LEN;
            // `next_seq` already counts the buffered records, so this is "the segment holds
            // or will hold a record".
            let buffered_end = self.pos.offset + buf.len() as u64;
            if self.pos.records_in_segment() > 0
                && buffered_end + needed > self.log.options.segment_size
            {
                self.write_buffer(&mut buf)?;
                self.roll()?;
            }
            let first = self.pos.next_seq;
            for (record_type, body) in records {
                self.pos
                    .encode_next(&mut buf, *record_type, timestamp, body);
            }
            ranges.push(first..=self.pos.next_seq - 1);
        }
        self.write_buffer(&mut buf)?;
        Ok(ranges)
    }

    /// Writes and empties `buf` (nothing if it is empty).
    fn write_buffer(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        if !buf.is_empty() {
            self.write(buf, false)?;
            buf.clear();
        }
        Ok(())
    }

    /// Writes `buf` at the position, preallocating zeroed space ahead of it; syncs at once if
    /// `sync_now` (seals and torn-tail cuts), otherwise leaves syncing to [`Self::commit`].
    fn write(&mut self, buf: &[u8], sync_now: bool) -> Result<()> {
        let file = self.state.file(self.log.io(), &self.pos.path)?;
        let end = self.pos.offset + buf.len() as u64;
        append_checks::ensure_unwritten(&file, self.pos.offset, self.pos.next_seq)?;
        file.write_all_at(buf, self.pos.offset)?;
        let options = &self.log.options;
        if end + options.preallocate / 2 > self.pos.file_len {
            let target = (end + options.preallocate).min(options.segment_size.max(end));
            file.write_zeros(end.max(self.pos.file_len), target)?;
            self.pos.file_len = self.pos.file_len.max(target).max(end);
        }
        if sync_now {
            file.sync_data()?;
            let durable = (self.pos.header.segment_number, end);
            self.log.mark_after_locked_sync(&self.flock, durable);
        }
        self.pos.offset = end;
        self.written = Some(self.pos.mark());
        self.log.note_written(self.pos.mark(), file, sync_now);
        Ok(())
    }

    /// Seals the active segment, syncs it, and starts the next one.
    fn roll(&mut self) -> Result<()> {
        let seal = SealBody::for_segment(&self.pos.header, self.pos.next_seq, self.pos.offset)
            .expect("the next record is never before the segment's first");
        let mut buf = Vec::new();
        self.pos
            .encode_next(&mut buf, RecordType::SEAL, self.time, &seal.encode());
        // The seal (and everything before it) must be durable before the next segment
        // exists: otherwise a power loss could leave an unsealed segment followed by another,
        // which reads as corruption. Syncing the file makes every earlier write durable too.
        self.write(&buf, true)?;
        self.start_next_segment(seal)
    }

    fn start_next_segment(&mut self, seal: SealBody) -> Result<()> {
        let header = SegmentHeader::current(
            self.pos.header.store_id,
            self.pos.header.segment_number + 1,
            self.pos.next_seq,
            seal.seal_offset,
            self.time,
        );
        let prealloc = self
            .log
            .options
            .preallocate
            .min(self.log.options.segment_size);
        let (path, file_len) =
            create_segment_file(self.log.io(), &self.pos.paths, &header, prealloc)?;
        self.pos.path = path;
        self.pos.header = header;
        self.pos.offset = SEGMENT_HEADER_LEN as u64;
        self.pos.file_len = file_len;
        self.pos.sealed = None;
        self.pos.rolled = true;
        self.pos.unviewed.clear();
        Ok(())
    }

    /// Keeps a copy of the torn bytes in `log/torn/`, zeroes them, and logs the cut as a
    /// synced [`RecordType::TORN_CUT`] record at the torn offset.
    fn cut_torn_tail(&mut self, torn: &TornTail) -> Result<()> {
        self.bump_generation()?;
        debug_assert_eq!(self.pos.offset, torn.offset);
        let io = self.log.io();
        let file = self.state.file(io, &self.pos.path)?;
        io.ensure_dir_durably(&self.pos.paths.torn_dir())?;
        let copy = self.pos.paths.torn_copy(&self.pos.path, torn.offset);
        io.cut_out(&file, torn.offset, torn.offset + torn.len, &copy)?;
        let body = TornCutBody {
            segment_number: self.pos.header.segment_number,
            offset: torn.offset,
            bytes_dropped: torn.len,
        };
        let mut buf = Vec::new();
        self.pos
            .encode_next(&mut buf, RecordType::TORN_CUT, self.time, &body.encode());
        self.write(&buf, true)
    }

    /// Brings the shared view up to what this writer has written: after a roll by reading
    /// the log again, otherwise from what the writer knows of the records it appended.
    fn update_view(&mut self) -> Result<()> {
        let mut view = self.log.write_view();
        let unviewed = std::mem::take(&mut self.pos.unviewed);
        if std::mem::take(&mut self.pos.rolled) {
            view.refresh(self.log.options.verify)
        } else {
            view.extend_last(
                &unviewed,
                self.pos.offset,
                self.pos.next_seq,
                self.pos.file_len,
                self.time,
            )
        }
    }
}

/// Creates a segment file durably: header and `preallocate` zeroed bytes are written to
/// `<name>.seg.tmp`, synced, renamed into place, and the directory synced.
/// Returns the path and the file length.
pub(crate) fn create_segment_file(
    io: &Io,
    paths: &StorePaths,
    header: &SegmentHeader,
    preallocate: u64,
) -> Result<(PathBuf, u64)> {
    let path = paths.segment(header.base_seq);
    append_checks::ensure_no_segment_at(io, &path, header.base_seq)?;
    let len = preallocate.max(SEGMENT_HEADER_LEN as u64);
    let mut contents = vec![0u8; len as usize];
    contents[..SEGMENT_HEADER_LEN].copy_from_slice(&header.encode());
    io.create_durably(&path, &tmp_path(&path), &contents)?;
    Ok((path, len))
}
