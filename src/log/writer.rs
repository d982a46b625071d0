//! The append path: group commit, catching up under the writer lock, segment rolls, torn-tail
//! cuts, preallocation and syncing.

use super::fsutil::{self, lock, write_at, LockKind};
use super::view::{file_name, LogView};
use super::{now_micros, Durability, Log, TornTail, TORN_DIR};
use crate::error::{Error, IoContext, Result};
use crate::format::{
    encode_record, encoded_len, segment_file_name, RecordType, SealBody, SegmentHeader,
    TornCutBody, FORMAT_VERSION, SEAL_BODY_LEN, SEGMENT_HEADER_LEN,
};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::ops::RangeInclusive;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

/// Bytes a seal record occupies; every segment keeps room for one.
const SEAL_RECORD_LEN: u64 = (crate::format::RECORD_HEADER_LEN + SEAL_BODY_LEN) as u64;

/// Appends waiting to be committed, and the outcome of those that were.
#[derive(Debug, Default)]
pub(crate) struct CommitQueue {
    pending: Vec<Pending>,
    next_ticket: u64,
    leader_active: bool,
    outcomes: HashMap<u64, Result<u64>>,
    poisoned: Option<Error>,
}

#[derive(Debug)]
struct Pending {
    ticket: u64,
    records: Vec<(RecordType, Vec<u8>)>,
}

impl Pending {
    fn encoded_len(&self) -> u64 {
        self.records
            .iter()
            .map(|(_, body)| encoded_len(body.len()) as u64)
            .sum()
    }
}

/// The writer's open handle on the active segment (only the commit leader touches it).
#[derive(Debug, Default)]
pub(crate) struct WriterState {
    file: Option<(PathBuf, File)>,
}

impl WriterState {
    fn file(&mut self, path: &Path) -> Result<&File> {
        if self.file.as_ref().is_none_or(|(p, _)| p != path) {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .ctx("open", path)?;
            self.file = Some((path.to_path_buf(), file));
        }
        Ok(&self.file.as_ref().expect("just opened").1)
    }
}

/// A failed commit: `fatal` failures (a write or sync error) poison the handle.
struct Failure {
    error: Error,
    fatal: bool,
}

fn soft(error: Error) -> Failure {
    Failure {
        error,
        fatal: false,
    }
}

fn fatal(error: Error) -> Failure {
    Failure { error, fatal: true }
}

/// Where the next record goes.
struct Position {
    dir: PathBuf,
    path: PathBuf,
    header: SegmentHeader,
    offset: u64,
    next_seq: u64,
    file_len: u64,
    sealed: Option<SealBody>,
    torn: Option<TornTail>,
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
            torn: view.torn.clone(),
            rolled: false,
        }
    }

    fn records_in_segment(&self) -> u64 {
        self.next_seq - self.header.base_seq
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
    pub fn append_batch(&self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        if records.is_empty() {
            return Err(Error::InvalidOption(
                "append_batch needs at least one record".into(),
            ));
        }
        for (record_type, body) in records {
            Log::check_appendable(*record_type, body)?;
        }
        self.append_unchecked(records)
    }

    /// Appends a record of a type the log itself defines (used by repair).
    pub(crate) fn append_system(&self, record_type: RecordType, body: &[u8]) -> Result<u64> {
        self.append_unchecked(&[(record_type, body)])
            .map(|range| *range.start())
    }

    fn append_unchecked(&self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        let owned = records.iter().map(|(t, b)| (*t, b.to_vec())).collect();
        let first = self.enqueue_and_wait(owned)?;
        Ok(first..=first + records.len() as u64 - 1)
    }

    /// Queues the records; the first waiter to find no commit in progress becomes the leader
    /// and commits everything queued so far with one write and one sync.
    fn enqueue_and_wait(&self, records: Vec<(RecordType, Vec<u8>)>) -> Result<u64> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(error) = &queue.poisoned {
            return Err(error.clone());
        }
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push(Pending { ticket, records });
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome;
            }
            if queue.leader_active {
                queue = self
                    .committed
                    .wait(queue)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            queue.leader_active = true;
            let batch = std::mem::take(&mut queue.pending);
            drop(queue);
            let outcome = self.commit(&batch);
            queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.leader_active = false;
            record_outcomes(&mut queue, &batch, outcome, &self.dir);
            self.committed.notify_all();
        }
    }

    /// Takes the writer lock, catches up, cuts a torn tail if there is one, writes the batch
    /// (rolling segments as needed), syncs as the durability mode says, and updates the view.
    fn commit(&self, batch: &[Pending]) -> Result<Vec<u64>, Failure> {
        let _guard = lock(
            &self.lock_path,
            LockKind::Exclusive,
            self.options.lock_timeout,
        )
        .map_err(soft)?;
        let mut pos = {
            let mut view = self.write_view();
            view.refresh(self.options.verify).map_err(soft)?;
            Position::from_view(&view)
        };
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(torn) = pos.torn.take() {
            self.cut_torn_tail(&mut writer, &mut pos, &torn)
                .map_err(fatal)?;
        }
        if let Some(seal) = pos.sealed {
            self.start_next_segment(&mut pos, seal).map_err(fatal)?;
        }
        let firsts = self
            .write_batch(&mut writer, &mut pos, batch)
            .map_err(fatal)?;
        drop(writer);
        self.write_view()
            .refresh(self.options.verify)
            .map_err(fatal)?;
        Ok(firsts)
    }

    fn write_batch(
        &self,
        writer: &mut WriterState,
        pos: &mut Position,
        batch: &[Pending],
    ) -> Result<Vec<u64>> {
        let timestamp = now_micros();
        let mut buf = Vec::new();
        let mut firsts = Vec::with_capacity(batch.len());
        for pending in batch {
            let needed = buf.len() as u64 + pending.encoded_len() + SEAL_RECORD_LEN;
            if pos.records_in_segment() > 0 && pos.offset + needed > self.options.segment_size {
                self.roll(writer, pos, &mut buf, timestamp)?;
            }
            firsts.push(pos.next_seq);
            for (record_type, body) in &pending.records {
                encode_record(&mut buf, *record_type, pos.next_seq, timestamp, body);
                pos.next_seq += 1;
            }
        }
        let sync = self.options.durability == Durability::Sync;
        self.flush(writer, pos, &mut buf, sync)?;
        Ok(firsts)
    }

    /// Writes `buf` at the position, preallocating zeroed space ahead of it, and syncs if asked.
    fn flush(
        &self,
        writer: &mut WriterState,
        pos: &mut Position,
        buf: &mut Vec<u8>,
        sync: bool,
    ) -> Result<()> {
        let file = writer.file(&pos.path)?;
        let end = pos.offset + buf.len() as u64;
        write_at(file, &pos.path, buf, pos.offset)?;
        let low_water = end + self.options.preallocate / 2;
        if low_water > pos.file_len {
            let target = (end + self.options.preallocate).min(self.options.segment_size.max(end));
            write_zeros(file, &pos.path, end.max(pos.file_len), target)?;
            pos.file_len = pos.file_len.max(target).max(end);
        }
        if sync {
            file.sync_data().map_err(|e| Error::Poisoned {
                path: pos.path.clone(),
                cause: e.to_string(),
            })?;
        }
        pos.offset = end;
        buf.clear();
        Ok(())
    }

    /// Seals the active segment after what `buf` holds, syncs it, and starts the next one.
    fn roll(
        &self,
        writer: &mut WriterState,
        pos: &mut Position,
        buf: &mut Vec<u8>,
        timestamp: i64,
    ) -> Result<()> {
        let seal = SealBody {
            segment_number: pos.header.segment_number,
            first_seq: pos.header.base_seq,
            record_count: pos.records_in_segment(),
            seal_offset: pos.offset + buf.len() as u64,
        };
        encode_record(
            buf,
            RecordType::SEAL,
            pos.next_seq,
            timestamp,
            &seal.encode(),
        );
        pos.next_seq += 1;
        // The seal must be durable before the next segment exists: otherwise a power loss
        // could leave an unsealed segment followed by another, which reads as corruption.
        self.flush(writer, pos, buf, true)?;
        self.start_next_segment(pos, seal)
    }

    fn start_next_segment(&self, pos: &mut Position, seal: SealBody) -> Result<()> {
        let header = SegmentHeader {
            format_version: FORMAT_VERSION,
            store_id: pos.header.store_id,
            segment_number: pos.header.segment_number + 1,
            base_seq: pos.next_seq,
            prev_seal_offset: seal.seal_offset,
            created_at_micros: now_micros(),
        };
        let prealloc = self.options.preallocate.min(self.options.segment_size);
        let (path, file_len) = create_segment_file(&pos.dir, &header, prealloc)?;
        pos.path = path;
        pos.header = header;
        pos.offset = SEGMENT_HEADER_LEN as u64;
        pos.file_len = file_len;
        pos.sealed = None;
        pos.rolled = true;
        Ok(())
    }

    /// Keeps a copy of the torn bytes in `log/torn/`, zeroes them, and logs the cut as a
    /// synced [`RecordType::TORN_CUT`] record at the torn offset.
    fn cut_torn_tail(
        &self,
        writer: &mut WriterState,
        pos: &mut Position,
        torn: &TornTail,
    ) -> Result<()> {
        debug_assert_eq!(pos.offset, torn.offset);
        let file = writer.file(&pos.path)?;
        let mut torn_bytes = vec![0u8; torn.len as usize];
        file.read_exact_at(&mut torn_bytes, torn.offset)
            .ctx("read torn tail of", &pos.path)?;
        let copy_dir = pos.dir.join(TORN_DIR);
        std::fs::create_dir_all(&copy_dir).ctx("create directory", &copy_dir)?;
        fsutil::sync_dir(&pos.dir)?;
        let copy = copy_dir.join(format!("{}.{}.torn", file_name(&pos.path), torn.offset));
        fsutil::create_durably(&copy, &torn_bytes)?;
        write_zeros(file, &pos.path, torn.offset, torn.offset + torn.len)?;
        let body = TornCutBody {
            segment_number: pos.header.segment_number,
            offset: torn.offset,
            bytes_dropped: torn.len,
        };
        let mut buf = Vec::new();
        encode_record(
            &mut buf,
            RecordType::TORN_CUT,
            pos.next_seq,
            now_micros(),
            &body.encode(),
        );
        pos.next_seq += 1;
        self.flush(writer, pos, &mut buf, true)
    }
}

fn record_outcomes(
    queue: &mut super::writer::CommitQueue,
    batch: &[Pending],
    outcome: Result<Vec<u64>, Failure>,
    dir: &Path,
) {
    match outcome {
        Ok(firsts) => {
            for (pending, first) in batch.iter().zip(firsts) {
                queue.outcomes.insert(pending.ticket, Ok(first));
            }
        }
        Err(Failure { error, fatal }) => {
            if fatal {
                queue.poisoned = Some(match &error {
                    Error::Poisoned { .. } => error.clone(),
                    other => Error::Poisoned {
                        path: dir.to_path_buf(),
                        cause: other.to_string(),
                    },
                });
            }
            for pending in batch {
                queue.outcomes.insert(pending.ticket, Err(error.clone()));
            }
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
