//! The in-memory view of the segment files: what has been validated, where each segment
//! ends, and a sparse index from sequence numbers to offsets. Built on open and caught up
//! ("refreshed") before every append and on demand. Building it never writes to any file.

use super::{OpenVerify, Position, TornTail};
use crate::format::{
    decode_record, parse_segment_file_name, Defect, RecordDecode, RecordType, SealBody,
    SegmentCursor, SegmentEnd, SegmentHeader, Step, FIRST_SEQ, SEGMENT_HEADER_LEN,
};
use crate::io::{Io, IoError, Map, OpenMode};
use crate::log::{Error, Result};
use crate::paths::file_name;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes of log between two entries of the sparse index (as Kafka's `index.interval.bytes`).
pub(crate) const INDEX_INTERVAL_BYTES: u64 = 4096;

/// `(sequence number, byte offset)` of some records of a segment, at least
/// [`INDEX_INTERVAL_BYTES`] apart, in increasing order.
#[derive(Debug, Clone, Default)]
pub(crate) struct SparseIndex {
    entries: Vec<(u64, u64)>,
}

impl SparseIndex {
    fn note(&mut self, seq: u64, offset: u64) {
        let due = self
            .entries
            .last()
            .is_none_or(|&(_, at)| offset >= at + INDEX_INTERVAL_BYTES);
        if due {
            self.entries.push((seq, offset));
        }
    }

    /// The last indexed record at or before `seq`.
    pub(crate) fn floor(&self, seq: u64) -> Option<(u64, u64)> {
        let after = self.entries.partition_point(|&(s, _)| s <= seq);
        after.checked_sub(1).map(|i| self.entries[i])
    }
}

/// What is known about one segment file.
#[derive(Debug)]
pub(crate) struct SegmentState {
    pub(crate) path: PathBuf,
    pub(crate) header: SegmentHeader,
    pub(crate) map: Arc<Map>,
    /// Offset just past the last validated record.
    pub(crate) end_offset: u64,
    /// Sequence number the next record of this segment would carry.
    pub(crate) next_seq: u64,
    pub(crate) seal: Option<SealBody>,
    pub(crate) index: SparseIndex,
    /// Whether every record has been checked (otherwise only the seal was, see [`OpenVerify`]).
    pub(crate) checked: bool,
    /// The append time of the last validated record (the seal's, for a sealed segment opened
    /// without checking its records); `None` while it holds none.
    pub(crate) last_time: Option<i64>,
}

impl SegmentState {
    pub(crate) fn number(&self) -> u64 {
        self.header.segment_number
    }

    pub(crate) fn records(&self) -> u64 {
        self.next_seq - self.header.base_seq
    }
}

/// The append time the first record of `next` must not precede: the last record time of the
/// segment before it, when both order their append times (format version 2 on).
pub(crate) fn carried_time(previous: Option<&SegmentState>, next: &SegmentHeader) -> Option<i64> {
    previous
        .filter(|p| p.header.orders_append_times() && next.orders_append_times())
        .and_then(|p| p.last_time)
}

/// The validated state of the whole log.
#[derive(Debug)]
pub(crate) struct LogView {
    pub(crate) io: Io,
    pub(crate) dir: PathBuf,
    pub(crate) store_id: [u8; 16],
    pub(crate) segments: Vec<SegmentState>,
    pub(crate) torn: Option<TornTail>,
}

impl LogView {
    /// Loads and validates the log in `dir`.
    pub(crate) fn load(io: &Io, dir: &Path, verify: OpenVerify) -> Result<LogView> {
        let mut view = LogView {
            io: io.clone(),
            dir: dir.to_path_buf(),
            store_id: [0; 16],
            segments: Vec::new(),
            torn: None,
        };
        view.refresh(verify)?;
        if view.segments.is_empty() {
            return Err(Error::NotFound {
                path: dir.to_path_buf(),
            });
        }
        Ok(view)
    }

    /// The sequence number the next appended record will carry.
    pub(crate) fn next_seq(&self) -> u64 {
        self.segments.last().map_or(FIRST_SEQ, |s| s.next_seq)
    }

    /// The append time of the last record of the log, if it holds one.
    pub(crate) fn last_record_time(&self) -> Option<i64> {
        self.segments.iter().rev().find_map(|s| s.last_time)
    }

    /// Catches up with segments and records appended since the last refresh (by this or any
    /// other process). Validates everything new; never writes.
    pub(crate) fn refresh(&mut self, verify: OpenVerify) -> Result<()> {
        let files = list_segment_files(&self.io, &self.dir)?;
        self.check_known_files_still_there(&files)?;
        let new_files = &files[self.segments.len()..];
        let count = self.segments.len();
        if let Some((last, before)) = self.segments.split_last_mut() {
            if last.seal.is_none() {
                remap_if_grown(&self.io, last)?;
                let carried = carried_time(before.last(), &last.header);
                let torn = scan_segment_state(last, new_files.is_empty(), carried)?;
                self.torn = self.unless_acknowledged(count - 1, torn)?;
            }
        }
        let headers = new_files
            .iter()
            .zip(self.segments.len() as u64..)
            .map(|((base, path), number)| {
                open_segment_file(&self.io, path, number).map(|(h, map)| (*base, path, h, map))
            })
            .collect::<Result<Vec<_>>>()?;
        for (i, (name_base, path, header, map)) in headers.iter().enumerate() {
            self.check_successor(path, *name_base, header)?;
            let next_header = headers.get(i + 1).map(|h| h.2);
            let is_last = next_header.is_none();
            let seg = new_segment_state(path, *header, Arc::clone(map), verify, next_header)?;
            let carried = carried_time(self.segments.last(), header);
            self.segments.push(seg);
            if !seg_is_verified(self.segments.last()) {
                let last = self.segments.last_mut().expect("just pushed");
                let torn = scan_segment_state(last, is_last, carried)?;
                self.torn = self.unless_acknowledged(self.segments.len() - 1, torn)?;
            }
        }
        Ok(())
    }

    /// A torn tail of segment `index`, unless it starts before the durable mark in
    /// `log/LOCK`: bytes a sync covered held acknowledged records, so damage there is
    /// corruption, never a torn write. The mark is read only when a torn tail is found.
    pub(crate) fn unless_acknowledged(
        &self,
        index: usize,
        torn: Option<TornTail>,
    ) -> Result<Option<TornTail>> {
        let Some(torn) = torn else {
            return Ok(None);
        };
        let lock_path = self.dir.join(crate::paths::LOCK_FILE);
        match crate::io::lock::read_durable_mark(&self.io, &lock_path)? {
            Some((segment, durable_end))
                if segment == torn.segment_number && torn.offset < durable_end =>
            {
                let seg = &self.segments[index];
                let defect = Defect::DamagedAcknowledgedRecord {
                    durable_end,
                    damage: Box::new(torn.defect),
                };
                Err(corrupt(
                    &seg.path,
                    seg.header.segment_number,
                    torn.offset,
                    seg.next_seq,
                    defect,
                ))
            }
            _ => Ok(Some(torn)),
        }
    }

    /// Takes in the records this handle's writer just appended to the last segment (their
    /// `(seq, offset)`, ending at `written_end` with `next_seq` next), in a file it knows to
    /// be `file_len` bytes long. The writer encoded them itself, so they are not read back
    /// (debug builds check them against the bytes), and the file is not even stat'ed. Never
    /// given a seal: a roll updates the view with [`LogView::refresh`]. Every record of one
    /// write carries `time`.
    pub(crate) fn extend_last(
        &mut self,
        records: &[(u64, u64)],
        written_end: u64,
        next_seq: u64,
        file_len: u64,
        time: i64,
    ) -> Result<()> {
        let last = self
            .segments
            .last_mut()
            .expect("a log has at least one segment");
        // The map must cover the whole file: the writer's next position starts from the map's
        // length as the file's, and would otherwise write the preallocated zeros again.
        if (last.map.len() as u64) < file_len {
            let file = self.io.open(&last.path, OpenMode::Read)?;
            last.map = Arc::new(file.map_len(file_len)?);
        }
        #[cfg(debug_assertions)]
        check_appended(last, records, written_end, next_seq);
        for &(seq, offset) in records {
            last.index.note(seq, offset);
        }
        last.end_offset = written_end;
        last.next_seq = next_seq;
        if !records.is_empty() {
            last.last_time = Some(time);
        }
        // Anything torn was cut (and zeroed) before the writer appended.
        self.torn = None;
        Ok(())
    }

    fn check_known_files_still_there(&self, files: &[(u64, PathBuf)]) -> Result<()> {
        for (i, seg) in self.segments.iter().enumerate() {
            if files.get(i).map(|(_, p)| p) != Some(&seg.path) {
                return Err(corrupt(
                    &seg.path,
                    seg.number(),
                    0,
                    seg.header.base_seq,
                    Defect::MissingSegment {
                        detail: "the segment file disappeared".into(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Checks that a new segment continues the log: same store, next number, next sequence
    /// number, and a sealed predecessor whose seal is where the header says.
    /// (Over 70 lines: one check per rule of FORMAT.md's chain, each with the message that
    /// names what the header says and what was expected; split, the rules would lose their
    /// order, which decides which defect a damaged chain reports first.)
    pub(crate) fn check_successor(
        &mut self,
        path: &Path,
        name_base: u64,
        header: &SegmentHeader,
    ) -> Result<()> {
        let expected_seq = self.next_seq();
        let number = header.segment_number;
        let fail = |defect| Err(corrupt(path, number, 0, expected_seq, defect));
        if header.base_seq != name_base {
            let detail = format!(
                "file name says base {name_base}, header says {}",
                header.base_seq
            );
            return fail(Defect::Misplaced { detail });
        }
        let Some(prev) = self.segments.last() else {
            if header.segment_number != 0 || header.base_seq != FIRST_SEQ {
                let detail = format!(
                    "the log's first segment (number 0, base {FIRST_SEQ}) is missing; the first \
                     file found is segment {} with base {}",
                    header.segment_number, header.base_seq
                );
                return fail(Defect::MissingSegment { detail });
            }
            self.store_id = header.store_id;
            return Ok(());
        };
        if header.store_id != self.store_id {
            let (expected, found) = (uuid_text(&self.store_id), uuid_text(&header.store_id));
            return fail(Defect::ForeignSegment { expected, found });
        }
        let Some(seal) = prev.seal else {
            return Err(corrupt(
                &prev.path,
                prev.number(),
                prev.end_offset,
                prev.next_seq,
                Defect::UnsealedSegment,
            ));
        };
        if header.base_seq > prev.next_seq
            || header.segment_number > prev.number().saturating_add(1)
        {
            let detail = format!(
                "segment {} (base {}) follows segment {} which ends at sequence {}",
                header.segment_number,
                header.base_seq,
                prev.number(),
                prev.next_seq - 1
            );
            return fail(Defect::MissingSegment { detail });
        }
        if header.base_seq < prev.next_seq {
            return fail(Defect::SequenceRepeat {
                expected: prev.next_seq,
                found: header.base_seq,
            });
        }
        if header.segment_number != prev.number().saturating_add(1)
            || header.prev_seal_offset != seal.seal_offset
        {
            let detail = format!(
                "header says segment {} after a seal at offset {}, expected segment {} after \
                 the seal at offset {}",
                header.segment_number,
                header.prev_seal_offset,
                prev.number().saturating_add(1),
                seal.seal_offset
            );
            return fail(Defect::Misplaced { detail });
        }
        Ok(())
    }
}

fn seg_is_verified(seg: Option<&SegmentState>) -> bool {
    seg.is_some_and(|s| s.seal.is_some())
}

/// The segment files in `dir`, ordered by base sequence number. Other files are ignored.
pub(crate) fn list_segment_files(io: &Io, dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut files: Vec<(u64, PathBuf)> = io
        .list_dir(dir)?
        .into_iter()
        .filter_map(|entry| {
            let base = entry.name.to_str().and_then(parse_segment_file_name)?;
            Some((base, dir.join(&entry.name)))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Maps a segment file and decodes its header. `number` is the segment's place among the
/// log's segment files, which names it in the error if the header cannot be decoded.
pub(crate) fn open_segment_file(
    io: &Io,
    path: &Path,
    number: u64,
) -> Result<(SegmentHeader, Arc<Map>)> {
    let map = Arc::new(io.open(path, OpenMode::Read)?.map()?);
    match SegmentHeader::decode(&map) {
        Ok((header, _)) => Ok((header, map)),
        Err(defect) => {
            let seq = parse_segment_file_name(&file_name(path)).unwrap_or(0);
            Err(corrupt(path, number, 0, seq, defect))
        }
    }
}

/// Maps the segment again if its file grew (or changed length) since it was mapped.
fn remap_if_grown(io: &Io, seg: &mut SegmentState) -> Result<()> {
    let Some(meta) = io.metadata(&seg.path)? else {
        let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
        return Err(IoError::new("stat", &seg.path, gone).into());
    };
    if meta.len != seg.map.len() as u64 {
        let file = io.open(&seg.path, OpenMode::Read)?;
        seg.map = Arc::new(file.map_len(meta.len)?);
    }
    Ok(())
}

pub(crate) fn new_segment_state(
    path: &Path,
    header: SegmentHeader,
    map: Arc<Map>,
    verify: OpenVerify,
    next_header: Option<SegmentHeader>,
) -> Result<SegmentState> {
    let mut seg = SegmentState {
        path: path.to_path_buf(),
        header,
        map,
        end_offset: SEGMENT_HEADER_LEN as u64,
        next_seq: header.base_seq,
        seal: None,
        index: SparseIndex::default(),
        checked: true,
        last_time: None,
    };
    if let (OpenVerify::Tail, Some(next)) = (verify, next_header) {
        if let Some((seal, seal_len, seal_time)) = seal_at(&seg, next) {
            seg.end_offset = seal.seal_offset + seal_len;
            seg.next_seq = next.base_seq;
            seg.seal = Some(seal);
            seg.checked = false;
            seg.last_time = Some(seal_time);
        }
    }
    Ok(seg)
}

/// The seal record a successor's header points at, with its length and append time, if it
/// is valid and consistent. `None` makes the caller fall back to a full scan, which reports
/// exactly what is wrong.
fn seal_at(seg: &SegmentState, next: SegmentHeader) -> Option<(SealBody, u64, i64)> {
    let at = usize::try_from(next.prev_seal_offset).ok()?;
    let RecordDecode::Record { header, body, len } = decode_record(seg.map.get(at..)?) else {
        return None;
    };
    let seal = SealBody::decode(body).ok()?;
    let consistent = header.record_type == RecordType::SEAL
        && header.seq.checked_add(1) == Some(next.base_seq)
        && Some(seal) == SealBody::for_segment(&seg.header, header.seq, next.prev_seal_offset);
    consistent.then_some((seal, len as u64, header.timestamp_micros))
}

/// Scans a segment from where its state ends, extending the state with every valid record.
/// `carried` is the time its first record must not precede (see [`carried_time`]), used
/// while the state holds no record. Returns the torn tail if the segment is the last one and
/// its bytes end in a provable torn write; any other damage is corruption. (Whether a torn
/// tail lies before the durable mark is for the caller: [`LogView::refresh`] checks it.)
pub(crate) fn scan_segment_state(
    seg: &mut SegmentState,
    is_last: bool,
    carried: Option<i64>,
) -> Result<Option<TornTail>> {
    let map = Arc::clone(&seg.map);
    let bytes = &map[..];
    let mut cursor = SegmentCursor::resume(bytes, seg.header, seg.end_offset, seg.next_seq)
        .after_time(seg.last_time.or(carried));
    loop {
        match cursor.step() {
            Step::Record(record) => {
                seg.index.note(record.header.seq, record.offset);
                if record.header.record_type == RecordType::SEAL {
                    seg.seal = SealBody::decode(record.body).ok();
                }
                seg.end_offset = cursor.offset();
                seg.next_seq = cursor.next_seq();
                seg.last_time = Some(record.header.timestamp_micros);
            }
            Step::End(SegmentEnd::Open) => return Ok(None),
            Step::End(SegmentEnd::Sealed(_)) => return Ok(None),
            Step::End(SegmentEnd::Damaged(damage)) => {
                let provably_torn = is_last
                    && !damage.after_seal
                    && damage.valid_after.is_none()
                    && damage.defect.can_be_torn_write();
                if provably_torn {
                    return Ok(Some(TornTail {
                        segment: seg.path.clone(),
                        segment_number: seg.number(),
                        offset: damage.offset,
                        len: damage.nonzero_end - damage.offset,
                        defect: damage.defect,
                        unchecked: None,
                    }));
                }
                let defect = match damage.valid_after {
                    Some((offset, seq)) if !damage.after_seal => Defect::ValidRecordAfterDamage {
                        offset,
                        seq,
                        damage: Box::new(damage.defect),
                    },
                    _ => damage.defect,
                };
                let number = seg.number();
                return Err(corrupt(
                    &seg.path,
                    number,
                    damage.offset,
                    cursor.next_seq(),
                    defect,
                ));
            }
        }
    }
}

/// Debug builds: the records a writer says it appended are exactly the valid, unsealed records
/// between the segment's known end and `written_end`.
#[cfg(debug_assertions)]
fn check_appended(seg: &SegmentState, records: &[(u64, u64)], written_end: u64, next_seq: u64) {
    let bytes = &seg.map[..written_end as usize];
    let mut cursor = SegmentCursor::resume(bytes, seg.header, seg.end_offset, seg.next_seq)
        .after_time(seg.last_time);
    let mut found = Vec::new();
    loop {
        match cursor.step() {
            Step::Record(record) => {
                assert_ne!(record.header.record_type, RecordType::SEAL);
                found.push((record.header.seq, record.offset));
            }
            Step::End(SegmentEnd::Open) => break,
            Step::End(end) => panic!("appended records do not scan cleanly: {end:?}"),
        }
    }
    assert_eq!(found, records);
    assert_eq!(
        (cursor.offset(), cursor.next_seq()),
        (written_end, next_seq)
    );
}

/// Builds a corruption error at `offset` of `segment` (number `number`), where `seq` was
/// expected.
pub(crate) fn corrupt(segment: &Path, number: u64, offset: u64, seq: u64, defect: Defect) -> Error {
    Error::Corrupt {
        position: Position::new(segment, number, offset, seq),
        defect,
    }
}

pub(crate) fn uuid_text(id: &[u8; 16]) -> String {
    uuid::Uuid::from_bytes(*id).to_string()
}
