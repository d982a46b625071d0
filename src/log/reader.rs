//! Reading: iteration from any sequence number over memory-mapped segments, and reading one
//! record by sequence number through the sparse index.

use super::view::{carried_time, corrupt, scan_segment_state, LogView};
use super::{Log, Position};
use crate::format::{
    Defect, RecordType, SegmentCursor, SegmentEnd, SegmentHeader, Step, FIRST_SEQ,
    SEGMENT_HEADER_LEN,
};
use crate::io::Map;
use crate::log::{Error, Result};
use std::path::Path;
use std::sync::Arc;

/// A record borrowed from a mapped segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Record type.
    pub record_type: RecordType,
    /// Append time, microseconds since the Unix epoch (UTC).
    pub timestamp_micros: i64,
    /// The body.
    pub body: &'a [u8],
    /// Number of the segment holding it.
    pub segment_number: u64,
    /// Byte offset of its header in that segment.
    pub offset: u64,
    /// The read version of that segment (see [`crate::format::SegmentHeader`]).
    pub segment_read_version: u16,
    /// The write version of that segment: the layers above skip record types they do not
    /// define only in segments written under a newer write version than this build's.
    pub segment_write_version: u16,
    /// The segment file.
    segment: &'a Arc<Path>,
}

impl RecordRef<'_> {
    /// The segment file holding the record.
    pub fn segment(&self) -> &Path {
        self.segment
    }

    /// Where the record is.
    pub fn position(&self) -> Position {
        Position::new(
            self.segment.as_ref(),
            self.segment_number,
            self.offset,
            self.seq,
        )
    }
}

/// An owned record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Sequence number.
    pub seq: u64,
    /// Record type.
    pub record_type: RecordType,
    /// Append time, microseconds since the Unix epoch (UTC).
    pub timestamp_micros: i64,
    /// The body.
    pub body: Vec<u8>,
    /// Number of the segment holding it.
    pub segment_number: u64,
    /// Byte offset of its header in that segment.
    pub offset: u64,
    /// The read version of that segment.
    pub segment_read_version: u16,
    /// The write version of that segment.
    pub segment_write_version: u16,
    /// The segment file.
    segment: Arc<Path>,
}

impl Record {
    /// The segment file holding the record.
    pub fn segment(&self) -> &Path {
        &self.segment
    }

    /// Where the record is.
    pub fn position(&self) -> Position {
        Position::new(
            self.segment.as_ref(),
            self.segment_number,
            self.offset,
            self.seq,
        )
    }
}

impl From<RecordRef<'_>> for Record {
    fn from(r: RecordRef<'_>) -> Record {
        Record {
            seq: r.seq,
            record_type: r.record_type,
            timestamp_micros: r.timestamp_micros,
            body: r.body.to_vec(),
            segment_number: r.segment_number,
            offset: r.offset,
            segment_read_version: r.segment_read_version,
            segment_write_version: r.segment_write_version,
            segment: Arc::clone(r.segment),
        }
    }
}

#[derive(Debug, Clone)]
struct SegmentHandle {
    path: Arc<Path>,
    header: SegmentHeader,
    map: Arc<Map>,
    end_offset: u64,
}

/// Iterates over the records of the log as it was when the iterator was made, from a given
/// sequence number, checking every checksum. Yields system records (seal, torn-cut, repair)
/// too: filter on [`RecordType::is_system`]. Holds no heap beyond one record at a time.
#[derive(Debug)]
pub struct LogIter {
    segments: Vec<SegmentHandle>,
    current: usize,
    offset: u64,
    next_seq: u64,
    from_seq: u64,
    failed: bool,
    /// The append time of the last record read, for the check that times never go back
    /// (unknown where the iteration starts, inside a segment).
    previous_time: Option<i64>,
}

impl LogIter {
    fn new(view: &LogView, from_seq: u64) -> LogIter {
        let from_seq = from_seq.max(FIRST_SEQ);
        let first = view
            .segments
            .partition_point(|s| s.header.base_seq <= from_seq)
            .saturating_sub(1);
        let (next_seq, offset) = view
            .segments
            .get(first)
            .map(|s| {
                s.index
                    .floor(from_seq)
                    .unwrap_or((s.header.base_seq, SEGMENT_HEADER_LEN as u64))
            })
            .unwrap_or((FIRST_SEQ, SEGMENT_HEADER_LEN as u64));
        // Only the segments from the one holding `from_seq` on: the iterator never goes back,
        // and a point read should not cost a handle per segment of the log.
        let segments: Vec<SegmentHandle> = view.segments[first.min(view.segments.len())..]
            .iter()
            .map(|s| SegmentHandle {
                path: Arc::from(s.path.as_path()),
                header: s.header,
                map: Arc::clone(&s.map),
                end_offset: s.end_offset,
            })
            .collect();
        let current = 0;
        LogIter {
            segments,
            current,
            offset,
            next_seq,
            from_seq,
            failed: false,
            previous_time: None,
        }
    }

    /// The next record, borrowed from the mapped segment (no copy).
    pub fn next_ref(&mut self) -> Option<Result<RecordRef<'_>>> {
        loop {
            if self.failed {
                return None;
            }
            let seg = self.segments.get(self.current)?;
            let bytes = &seg.map[..seg.end_offset as usize];
            let mut cursor = SegmentCursor::resume(bytes, seg.header, self.offset, self.next_seq)
                .after_time(self.previous_time);
            match cursor.step() {
                Step::Record(r) => {
                    self.offset = cursor.offset();
                    self.next_seq = cursor.next_seq();
                    self.previous_time = cursor.previous_time();
                    if r.header.seq < self.from_seq {
                        continue;
                    }
                    return Some(Ok(RecordRef {
                        seq: r.header.seq,
                        record_type: r.header.record_type,
                        timestamp_micros: r.header.timestamp_micros,
                        body: r.body,
                        segment_number: seg.header.segment_number,
                        offset: r.offset,
                        segment_read_version: seg.header.read_version,
                        segment_write_version: seg.header.write_version,
                        segment: &seg.path,
                    }));
                }
                Step::End(SegmentEnd::Open | SegmentEnd::Sealed(_)) => {
                    let orders = seg.header.orders_append_times();
                    self.current += 1;
                    self.offset = SEGMENT_HEADER_LEN as u64;
                    let next_orders = self
                        .segments
                        .get(self.current)
                        .is_some_and(|s| s.header.orders_append_times());
                    if !(orders && next_orders) {
                        self.previous_time = None;
                    }
                }
                Step::End(SegmentEnd::Damaged(damage)) => {
                    self.failed = true;
                    return Some(Err(corrupt(
                        &seg.path,
                        seg.header.segment_number,
                        damage.offset,
                        cursor.next_seq(),
                        damage.defect,
                    )));
                }
            }
        }
    }
}

impl Iterator for LogIter {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        self.next_ref().map(|r| r.map(Record::from))
    }
}

impl Log {
    /// Iterates over every record from `from_seq` (inclusive) to the end of the log as known
    /// now. Call [`Log::refresh`] first to include records other processes appended.
    pub fn iter_from(&self, from_seq: u64) -> LogIter {
        LogIter::new(&self.read_view(), from_seq)
    }

    /// Reads the record with sequence number `seq`, seeking through the sparse index: at most
    /// one segment is scanned (when it was not indexed yet), never the whole log.
    pub fn read(&self, seq: u64) -> Result<Record> {
        let next_seq = self.next_seq();
        if seq < FIRST_SEQ || seq >= next_seq {
            return Err(Error::SeqOutOfRange {
                seq,
                first: FIRST_SEQ,
                last: next_seq - 1,
            });
        }
        self.ensure_indexed(seq)?;
        let mut iter = self.iter_from(seq);
        match iter.next() {
            Some(Ok(record)) if record.seq == seq => Ok(record),
            Some(Err(e)) => Err(e),
            _ => Err(Error::SeqOutOfRange {
                seq,
                first: FIRST_SEQ,
                last: next_seq - 1,
            }),
        }
    }

    /// Scans (and so indexes and checks) the segment holding `seq` if it was opened without
    /// checking its records (see [`super::OpenVerify::Tail`]).
    pub(crate) fn ensure_indexed(&self, seq: u64) -> Result<()> {
        let needs_scan = {
            let view = self.read_view();
            let i = view
                .segments
                .partition_point(|s| s.header.base_seq <= seq)
                .saturating_sub(1);
            view.segments.get(i).is_some_and(|s| !s.checked)
        };
        if !needs_scan {
            return Ok(());
        }
        let mut view = self.write_view();
        let i = view
            .segments
            .partition_point(|s| s.header.base_seq <= seq)
            .saturating_sub(1);
        let (before, from) = view.segments.split_at_mut(i);
        let seg = &mut from[0];
        if seg.checked {
            return Ok(());
        }
        let carried = carried_time(before.last(), &seg.header);
        let (saved_end, saved_next, saved_seal) = (seg.end_offset, seg.next_seq, seg.seal);
        let saved_time = seg.last_time;
        seg.end_offset = SEGMENT_HEADER_LEN as u64;
        seg.next_seq = seg.header.base_seq;
        seg.seal = None;
        seg.last_time = None;
        let scanned = scan_segment_state(seg, false, carried);
        let consistent =
            seg.end_offset == saved_end && seg.next_seq == saved_next && seg.seal == saved_seal;
        match scanned {
            Ok(_) if consistent => {
                seg.checked = true;
                Ok(())
            }
            Ok(_) => {
                let detail = format!("a full scan ends at offset {}, seq {}, but the seal says offset {saved_end}, seq {saved_next}", seg.end_offset, seg.next_seq);
                let (path, number) = (seg.path.clone(), seg.number());
                seg.end_offset = saved_end;
                seg.next_seq = saved_next;
                seg.seal = saved_seal;
                seg.last_time = saved_time;
                Err(corrupt(
                    &path,
                    number,
                    saved_end,
                    saved_next,
                    Defect::BadSeal { detail },
                ))
            }
            Err(e) => {
                seg.end_offset = saved_end;
                seg.next_seq = saved_next;
                seg.seal = saved_seal;
                seg.last_time = saved_time;
                Err(e)
            }
        }
    }
}
