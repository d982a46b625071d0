//! The segment writer: exclusive write access, where the next record goes, writes, rolls,
//! new segments and torn-tail cuts.

use super::sync::PendingWriter;
use super::Mark;
use crate::format::leaf::CheckpointBody;
use crate::format::{
    encode_record, encoded_len, RecordType, SealBody, SegmentHeader, TornCutBody, SEAL_BODY_LEN,
    SEGMENT_HEADER_LEN,
};
use crate::io::lock::{self, LockGuard};
use crate::io::{Io, IoFile, LockKind, OpenMode};
use crate::log::tree::TreeState;
use crate::log::view::LogView;
use crate::log::{append_checks, clock, versions, Durability, Log, LogOptions, TornTail};
use crate::log::{Error, Result};
use crate::note::{Checkpoint, SigningKey};
use crate::paths::{tmp_path, StorePaths};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

/// Bytes a seal record occupies; every segment keeps room for one.
const SEAL_RECORD_LEN: u64 = (crate::format::RECORD_HEADER_LEN + SEAL_BODY_LEN) as u64;

/// The writer's open handle on the active segment (guarded by the writer mutex).
#[derive(Debug, Default)]
pub(crate) struct WriterState {
    file: Option<IoFile>,
    /// The lock file, opened once; the writer locks it for each commit.
    lock_file: Option<IoFile>,
    /// The write generation this handle's view reflects (see `LockGuard::generation`).
    seen_generation: Option<u64>,
    /// The tree at the end of the log, kept between commits while nobody else writes (a
    /// guard takes it and puts it back when it releases the locks).
    tree: Option<TreeState>,
}

impl WriterState {
    fn file(&mut self, io: &Io, path: &Path) -> Result<IoFile> {
        if self.file.as_ref().is_none_or(|f| f.path() != path) {
            self.file = Some(io.open(path, OpenMode::ReadWrite)?);
        }
        Ok(self.file.clone().expect("just opened"))
    }
}

/// Where the next record goes.
#[derive(Debug)]
struct WriteCursor {
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
    /// The tree of every record before `next_seq`, extended as records are encoded.
    tree: TreeState,
}

impl WriteCursor {
    fn from_view(paths: &StorePaths, view: &LogView, tree: TreeState) -> WriteCursor {
        let last = view
            .segments
            .last()
            .expect("a log has at least one segment");
        WriteCursor {
            paths: paths.clone(),
            path: last.path.clone(),
            header: last.header,
            offset: last.end_offset,
            next_seq: last.next_seq,
            file_len: last.map.len() as u64,
            sealed: last.seal,
            rolled: false,
            unviewed: Vec::new(),
            tree,
        }
    }

    /// Encodes the next record into `buf`, which is to be written at `self.offset`, and
    /// notes where it goes.
    fn encode_next(&mut self, buf: &mut Vec<u8>, record_type: RecordType, time: i64, body: &[u8]) {
        self.unviewed
            .push((self.next_seq, self.offset + buf.len() as u64));
        self.tree.push(self.next_seq, time, record_type, body);
        encode_record(buf, record_type, self.next_seq, time, body);
        self.next_seq += 1;
    }

    /// The body of a checkpoint record of the tree so far (the record goes next).
    fn checkpoint_body(
        &self,
        key: Option<&SigningKey>,
        catalog_digest: Option<[u8; 32]>,
    ) -> CheckpointBody {
        let frontier = &self.tree.frontier;
        let origin = crate::note::origin_for_store(&uuid::Uuid::from_bytes(self.header.store_id));
        let mut checkpoint = Checkpoint::new(&origin, frontier.size(), frontier.root());
        if let Some(key) = key {
            checkpoint.note.sign(key);
        }
        CheckpointBody {
            size: frontier.size(),
            root: frontier.root(),
            frontier: frontier.hashes().to_vec(),
            catalog_digest,
            note: checkpoint.encode(),
        }
    }

    /// Whether the automatic policy wants a checkpoint record before the next append: at
    /// the start of every segment but the first (so that a tail-only open continues the
    /// tree from it), once `checkpoint_interval` records follow the last one, and once their
    /// bodies hold `checkpoint_bytes` bytes (either `0`: no such bound).
    fn checkpoint_due(&self, options: &LogOptions) -> bool {
        let segment_start = self.records_in_segment() == 0 && self.header.segment_number > 0;
        let (interval, bytes) = (options.checkpoint_interval, options.checkpoint_bytes);
        segment_start
            || (interval > 0 && self.tree.since_checkpoint >= interval)
            || (bytes > 0 && self.tree.bytes_since_checkpoint >= bytes)
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
    /// Counted among the writes about to happen until the locks are released.
    pending: PendingWriter<'a>,
    pos: WriteCursor,
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
    /// Takes exclusive write access (see [`WriterGuard`]), waiting at most the lock timeout
    /// for other processes, and catches up on their records. A torn tail is cut here.
    pub fn lock_writer(&self) -> Result<WriterGuard<'_>> {
        self.check_not_poisoned()?;
        let pending = self.pending_writer();
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
        let (current, torn, last_time) = {
            let mut view = self.write_view();
            // Nobody wrote since this handle's last write or refresh: its view is current.
            let current = state.seen_generation == Some(generation) && view.torn.is_none();
            if !current {
                view.refresh(self.options.verify)?;
            }
            versions::check_appendable(&view)?;
            (current, view.torn.clone(), view.last_record_time())
        };
        // The tree this handle kept is current if its view is and it ends where the log
        // does; else it is carried on over the records others appended since; failing that,
        // found again from the last checkpoint.
        let next_seq = self.next_seq();
        let tree = match state.tree.take() {
            Some(tree) if current && tree.frontier.size() + 1 == next_seq => tree,
            Some(tree) => match self.tree_extended(tree)? {
                Some(tree) => tree,
                None => self.tree_at_end()?,
            },
            None => self.tree_at_end()?,
        };
        let pos = WriteCursor::from_view(&self.paths, &self.read_view(), tree);
        state.seen_generation = Some(generation);
        let mut guard = WriterGuard {
            log: self,
            state,
            flock,
            pending,
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

    /// Appends a checkpoint record of every record before it, its note signed with `key` if
    /// given, carrying `catalog_digest` if given (a snapshot's, FORMAT.md *Snapshots*).
    /// Returns the record's seq and the checkpoint. Not durable until [`Self::commit`].
    pub fn append_checkpoint(
        &mut self,
        key: Option<&SigningKey>,
        catalog_digest: Option<[u8; 32]>,
    ) -> Result<(u64, Checkpoint)> {
        self.append_checkpoint_with(key, catalog_digest, |_| catalog_digest)
    }

    /// [`Self::append_checkpoint`] with the catalog digest computed by `digest_for` from the
    /// seq the record gets (known only once a roll, or an automatic checkpoint due before it,
    /// has been written): a snapshot's catalog image names that seq as its last. `longest`
    /// is the digest field as long as `digest_for` may make it (`Some` if it may return one),
    /// so that the room kept in the segment is enough.
    pub fn append_checkpoint_with(
        &mut self,
        key: Option<&SigningKey>,
        longest: Option<[u8; 32]>,
        digest_for: impl FnOnce(u64) -> Option<[u8; 32]>,
    ) -> Result<(u64, Checkpoint)> {
        self.log.check_not_poisoned()?;
        append_checks::ensure_lock_held(&self.flock, self.log.io())?;
        let outcome = self
            .write_checkpoint(key, longest, digest_for)
            .and_then(|written| self.update_view().map(|()| written));
        outcome.map_err(|error| self.resync_after_failure(error))
    }

    /// Writes the checkpoint record asked for, after a roll if it would not fit, and after
    /// the checkpoint the automatic policy wants there, if any (so the one asked for is the
    /// last record, and its tree includes the automatic one).
    fn write_checkpoint(
        &mut self,
        key: Option<&SigningKey>,
        longest: Option<[u8; 32]>,
        digest_for: impl FnOnce(u64) -> Option<[u8; 32]>,
    ) -> Result<(u64, Checkpoint)> {
        self.prepare_segment()?;
        let one = encoded_len(self.pos.checkpoint_body(key, longest).encode().len()) as u64;
        // Room for an automatic checkpoint, this one and the seal (a frontier only grows
        // by at most one hash per record, so twice this one's length is enough).
        if self.pos.records_in_segment() > 0
            && self.pos.offset + 2 * one + 64 + SEAL_RECORD_LEN > self.log.options.segment_size
        {
            self.roll()?;
        }
        let mut buf = Vec::new();
        if let Some(body) = self.due_checkpoint() {
            self.pos
                .encode_next(&mut buf, RecordType::CHECKPOINT, self.time, &body);
        }
        let seq = self.pos.next_seq;
        let body = self.pos.checkpoint_body(key, digest_for(seq));
        let checkpoint = Checkpoint::parse(body.note.as_bytes()).expect("a note this build wrote");
        self.pos
            .encode_next(&mut buf, RecordType::CHECKPOINT, self.time, &body.encode());
        self.write(&buf, false)?;
        Ok((seq, checkpoint))
    }

    fn write_records(&mut self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        let (mut written, outcome) = self.write_appends(&[records.to_vec()], false);
        match written.pop() {
            Some(range) => Ok(range),
            None => Err(outcome.expect_err("an append not written has a failure")),
        }
    }

    /// Writes several appends, each with consecutive sequence numbers and never split by a
    /// segment roll. Returns the ranges of the appends written, in order, and what stopped
    /// the others if something did: the appends written before a failure stay written (and
    /// those before a roll are synced), so they are not failures.
    ///
    /// A failure that may leave bytes of unknown state in the log (a failed `pwrite`,
    /// `fdatasync` or segment creation) poisons the handle; one that wrote nothing to the
    /// segment (preallocation, the lock file) does not, and the next append tries again.
    ///
    /// `lock_just_checked`: the caller took the guard just before, with nothing between
    /// ([`Log::lock_writer`] checks that the lock file it locked is at its path), so checking
    /// it again here would narrow no window; otherwise it is checked here.
    pub(super) fn write_appends(
        &mut self,
        appends: &[Vec<(RecordType, &[u8])>],
        lock_just_checked: bool,
    ) -> (Vec<RangeInclusive<u64>>, Result<()>) {
        if let Err(error) = self.log.check_not_poisoned() {
            return (Vec::new(), Err(error));
        }
        // Nothing is written yet, so a lost lock does not stop the handle.
        if !lock_just_checked {
            if let Err(error) = append_checks::ensure_lock_held(&self.flock, self.log.io()) {
                return (Vec::new(), Err(error));
            }
        }
        let mut written = Vec::with_capacity(appends.len());
        let outcome = self
            .write_unsynced(appends, &mut written)
            .and_then(|()| self.update_view());
        match outcome {
            Ok(()) => (written, Ok(())),
            Err(error) => (written, Err(self.resync_after_failure(error))),
        }
    }

    /// After a failed write, reads the log again so that the view and the cursor match what
    /// is on disk (the cursor counted records that were never written), and makes the next
    /// writer of this handle read it again too. If the log cannot be read, nothing this
    /// handle would write could be placed safely: it is poisoned.
    fn resync_after_failure(&mut self, error: Error) -> Error {
        self.state.seen_generation = None;
        let refreshed = self.log.write_view().refresh(self.log.options.verify);
        match refreshed.and_then(|()| self.log.tree_at_end()) {
            Ok(tree) => {
                self.pos = WriteCursor::from_view(&self.pos.paths, &self.log.read_view(), tree);
                error
            }
            Err(_) => self.log.poison(error),
        }
    }

    /// Releases the locks, then waits until the appended records are as durable as the
    /// log's durability mode promises. If a checkpoint record was among them, the sidecar
    /// tiles it completes are written then (best effort: never a failure of the commit).
    pub fn commit(mut self) -> Result<()> {
        let log = self.log;
        let upkeep = self.take_tile_upkeep();
        if let (Some(mark), Durability::Sync) = (self.release(), log.options.durability) {
            log.sync_through(mark)?;
        }
        if let Some(job) = upkeep {
            log.upkeep_tiles(job);
        }
        Ok(())
    }

    /// The sidecar tiles that the checkpoint records this guard wrote complete, to be
    /// written once the records are committed (see [`Log::upkeep_tiles`]).
    pub(super) fn take_tile_upkeep(&mut self) -> Option<crate::log::tiles::TileUpkeep> {
        self.pos.tree.take_upkeep()
    }

    /// Releases the locks without syncing; returns the end of what was written, if anything.
    pub(super) fn release(self) -> Option<Mark> {
        let WriterGuard {
            mut state,
            flock,
            pending,
            written,
            pos,
            ..
        } = self;
        state.tree = Some(pos.tree);
        drop(flock);
        drop(state);
        // After the locks: a writer gathering before its sync sees the write done.
        drop(pending);
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
    /// Pushes the range of each append onto `written` once its bytes are written.
    fn write_unsynced(
        &mut self,
        appends: &[Vec<(RecordType, &[u8])>],
        written: &mut Vec<RangeInclusive<u64>>,
    ) -> Result<()> {
        self.prepare_segment()?;
        let timestamp = self.time;
        let mut buf = Vec::new();
        let mut buffered = Vec::with_capacity(appends.len());
        for records in appends {
            let mut checkpoint = self.due_checkpoint();
            let needed: u64 = records
                .iter()
                .map(|(_, b)| encoded_len(b.len()) as u64)
                .sum::<u64>()
                + checkpoint
                    .as_ref()
                    .map_or(0, |c| encoded_len(c.len()) as u64)
                + SEAL_RECORD_LEN;
            // `next_seq` already counts the buffered records, so this is "the segment holds
            // or will hold a record".
            let buffered_end = self.pos.offset + buf.len() as u64;
            if self.pos.records_in_segment() > 0
                && buffered_end + needed > self.log.options.segment_size
            {
                self.write_buffer(&mut buf)?;
                written.append(&mut buffered);
                self.roll()?;
                checkpoint = self.due_checkpoint();
            }
            if let Some(body) = checkpoint {
                self.pos
                    .encode_next(&mut buf, RecordType::CHECKPOINT, timestamp, &body);
            }
            let first = self.pos.next_seq;
            for (record_type, body) in records {
                self.pos
                    .encode_next(&mut buf, *record_type, timestamp, body);
            }
            buffered.push(first..=self.pos.next_seq - 1);
        }
        self.write_buffer(&mut buf)?;
        written.append(&mut buffered);
        Ok(())
    }

    /// Before the first write of a guard: starts the next segment if the last one is sealed,
    /// or seals a segment of an older version and starts one of this build's (a writer never
    /// appends into a segment of an older version: the upgrade happens at a segment
    /// boundary, which the seal records).
    fn prepare_segment(&mut self) -> Result<()> {
        self.bump_generation()?;
        if let Some(seal) = self.pos.sealed {
            self.start_next_segment(seal)?;
        } else if versions::older_than_this_build(&self.pos.header) {
            self.roll()?;
        }
        Ok(())
    }

    /// The encoded body of the checkpoint record the automatic policy wants next, if any.
    fn due_checkpoint(&self) -> Option<Vec<u8>> {
        self.pos
            .checkpoint_due(&self.log.options)
            .then(|| self.pos.checkpoint_body(None, None).encode())
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
    /// A failed `pwrite` or sync poisons the handle: the bytes may be partly in the file.
    fn write(&mut self, buf: &[u8], sync_now: bool) -> Result<()> {
        let file = self.state.file(self.log.io(), &self.pos.path)?;
        let end = self.pos.offset + buf.len() as u64;
        let number = self.pos.header.segment_number;
        let map = self.segment_map();
        append_checks::ensure_unwritten(
            &file,
            map.as_deref(),
            number,
            self.pos.offset,
            self.pos.next_seq,
        )?;
        self.preallocate(&file, end)?;
        let log = self.log;
        file.write_all_at(buf, self.pos.offset)
            .map_err(|e| log.poison(e.into()))?;
        if sync_now {
            file.sync_data().map_err(|e| log.poison(e.into()))?;
            log.mark_after_locked_sync(&self.flock, (number, end));
        }
        self.pos.offset = end;
        self.written = Some(self.pos.mark());
        self.log.note_written(self.pos.mark(), file, sync_now);
        Ok(())
    }

    /// The view's map of the segment this guard writes to, if the view's last segment is it.
    fn segment_map(&self) -> Option<std::sync::Arc<crate::io::Map>> {
        let view = self.log.read_view();
        let last = view.segments.last()?;
        (last.path == self.pos.path).then(|| std::sync::Arc::clone(&last.map))
    }

    /// Writes zeros ahead of a write that will end at `end`, when little preallocated space
    /// is left. Done before the write, so that a full device fails here, with nothing of the
    /// records in the file, rather than after their bytes are in it: zeros past the last
    /// record are free space to the format, so a failure here changes nothing.
    fn preallocate(&mut self, file: &IoFile, end: u64) -> Result<()> {
        let options = &self.log.options;
        if end + options.preallocate / 2 > self.pos.file_len {
            let target = (end + options.preallocate).min(options.segment_size.max(end));
            file.write_zeros(end.max(self.pos.file_len), target)
                .map_err(|e| e.with_op("write preallocated zeros to"))?;
            self.pos.file_len = self.pos.file_len.max(target).max(end);
        }
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
        let log = self.log;
        let (path, file_len) = create_segment_file(log.io(), &self.pos.paths, &header, prealloc)
            .map_err(|e| log.poison(e))?;
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
        let seq = self.pos.next_seq;
        // Tiles of the records cut (written by an upkeep whose records were not yet synced,
        // under `Durability::Buffered`) would only fail a proof's check: remove them now. A
        // tile left behind is found by that check and rewritten.
        let _ = crate::log::tree::invalidate_tiles_past(io, &self.pos.paths.tree_dir(), seq - 1);
        let mut buf = Vec::new();
        self.pos
            .encode_next(&mut buf, RecordType::TORN_CUT, self.time, &body.encode());
        self.write(&buf, true)?;
        self.log.note_torn_cut(crate::log::TornCut {
            seq,
            segment: self.pos.path.clone(),
            offset: torn.offset,
            len: torn.len,
            copy,
        });
        Ok(())
    }

    /// Brings the shared view up to what this writer has written: after a roll by reading
    /// the log again, otherwise from what the writer knows of the records it appended.
    /// Wakes the threads waiting for new records ([`Log::wait_past`]).
    fn update_view(&mut self) -> Result<()> {
        let mut view = self.log.write_view();
        let unviewed = std::mem::take(&mut self.pos.unviewed);
        let updated = if std::mem::take(&mut self.pos.rolled) {
            view.refresh(self.log.options.verify)
        } else {
            view.extend_last(
                &unviewed,
                self.pos.offset,
                self.pos.next_seq,
                self.pos.file_len,
                self.time,
            )
        };
        drop(view);
        self.log.notify_appended();
        updated
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
    append_checks::ensure_no_segment_at(io, &path, header.segment_number, header.base_seq)?;
    let len = preallocate.max(SEGMENT_HEADER_LEN as u64);
    let mut contents = vec![0u8; len as usize];
    contents[..SEGMENT_HEADER_LEN].copy_from_slice(&header.encode());
    io.create_durably(&path, &tmp_path(&path), &contents)?;
    Ok((path, len))
}
