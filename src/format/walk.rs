//! Walking every record of a segment's bytes, damaged or not, for inspection.
//!
//! Unlike [`super::SegmentCursor`], which stops at the first bad byte (reading must be strict),
//! a [`SegmentWalk`] reports a damaged record with what is wrong and goes on at the next valid
//! record, so that an inspection tool shows everything a damaged segment still holds.

use super::record::{decode_record, find_valid_record_after, RawRecordHeader, RecordDecode};
use super::scan::first_nonzero;
use super::{Defect, RecordType, SEGMENT_HEADER_LEN};
use std::fmt;

/// What is wrong with a record at its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordDefect {
    /// The bytes are not a valid record.
    Invalid(Defect),
    /// A valid record whose sequence number is not the one its position needs.
    Sequence {
        /// The sequence number the position needs (the previous record's plus one).
        expected: u64,
        /// The record's sequence number.
        found: u64,
    },
    /// A valid record after the seal of its segment.
    AfterSeal,
}

impl fmt::Display for RecordDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordDefect::Invalid(defect) => defect.fmt(f),
            RecordDefect::Sequence { expected, found } => {
                write!(f, "sequence: expected {expected}, found {found}")
            }
            RecordDefect::AfterSeal => f.write_str("record follows the seal of this segment"),
        }
    }
}

/// A record found by a [`SegmentWalk`]: valid (`body` is set) or damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkedRecord<'a> {
    /// Byte offset of the record within the segment.
    pub offset: u64,
    /// The header fields as the bytes say; `None` when fewer than 32 bytes remain, or when
    /// the header is all zero (with non-zero bytes after it).
    pub header: Option<RawRecordHeader>,
    /// The checksum of the declared body, when it fits in the segment.
    pub body_crc_computed: Option<u32>,
    /// The body, when the record's frame is valid (both checksums hold).
    pub body: Option<&'a [u8]>,
    /// What is wrong; empty for a valid record in its place.
    pub defects: Vec<RecordDefect>,
}

impl WalkedRecord<'_> {
    /// Whether the record is valid and where it belongs.
    pub fn is_ok(&self) -> bool {
        self.defects.is_empty() && self.body.is_some()
    }
}

/// One step of a [`SegmentWalk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkStep<'a> {
    /// A record, valid or damaged. A damaged one is followed by a [`WalkStep::Skip`].
    Record(WalkedRecord<'a>),
    /// The bytes skipped after damage at `offset`: up to the next valid record, or (when
    /// there is none, and the walk ends) up to the last non-zero byte.
    Skip {
        /// Where the damage starts.
        offset: u64,
        /// Bytes skipped.
        len: u64,
        /// The next valid record, `(offset, seq)`, if any.
        next: Option<(u64, u64)>,
    },
    /// No further record: only zero bytes follow (or nothing). The walk ends.
    End {
        /// Offset just past the last record.
        offset: u64,
        /// Zero bytes from there to the end of the segment.
        zero_bytes: u64,
        /// Whether a seal record was found.
        sealed: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Records,
    /// Damage was reported at this offset; the next step is the skip past it.
    Resync(usize),
    Done,
}

/// A damage-tolerant walk over the records of one segment. It holds only a position; each
/// [`SegmentWalk::step`] is given the segment's bytes (from the start of the file).
#[derive(Debug, Clone)]
pub struct SegmentWalk {
    offset: usize,
    expected: u64,
    sealed: bool,
    state: State,
}

impl SegmentWalk {
    /// A walk from the first record of a segment whose first record should have `base_seq`.
    pub fn new(base_seq: u64) -> SegmentWalk {
        SegmentWalk {
            offset: SEGMENT_HEADER_LEN,
            expected: base_seq,
            sealed: false,
            state: State::Records,
        }
    }

    /// The next step over `bytes`, or `None` once the walk has ended.
    pub fn step<'a>(&mut self, bytes: &'a [u8]) -> Option<WalkStep<'a>> {
        match self.state {
            State::Done => None,
            State::Resync(at) => Some(self.resync(bytes, at)),
            State::Records if self.offset >= bytes.len() => Some(self.end(self.offset, 0)),
            State::Records => Some(self.record(bytes)),
        }
    }

    /// Every step over `bytes`.
    pub fn iter(bytes: &[u8], base_seq: u64) -> impl Iterator<Item = WalkStep<'_>> {
        let mut walk = SegmentWalk::new(base_seq);
        std::iter::from_fn(move || walk.step(bytes))
    }

    fn record<'a>(&mut self, bytes: &'a [u8]) -> WalkStep<'a> {
        let rest = &bytes[self.offset..];
        match decode_record(rest) {
            RecordDecode::Record { header, body, len } => {
                let mut defects = Vec::new();
                if header.seq != self.expected {
                    defects.push(RecordDefect::Sequence {
                        expected: self.expected,
                        found: header.seq,
                    });
                }
                if self.sealed {
                    defects.push(RecordDefect::AfterSeal);
                }
                let record = WalkedRecord {
                    offset: self.offset as u64,
                    header: RawRecordHeader::read(rest),
                    // decode_record checked it: the computed checksum is the stored one.
                    body_crc_computed: Some(header.body_crc),
                    body: Some(body),
                    defects,
                };
                self.sealed |= header.record_type == RecordType::SEAL;
                self.expected = header.seq.wrapping_add(1);
                self.offset += len;
                WalkStep::Record(record)
            }
            RecordDecode::Zero => match first_nonzero(rest) {
                None => self.end(self.offset, rest.len()),
                Some(at) => {
                    let nonzero_at = (self.offset + at) as u64;
                    self.damaged(None, None, Defect::ZeroedHeader { nonzero_at })
                }
            },
            RecordDecode::Invalid(defect) => {
                let header = RawRecordHeader::read(rest);
                let body_crc = header.and_then(|h| h.declared_body(rest)).map(super::crc32);
                self.damaged(header, body_crc, defect)
            }
        }
    }

    fn damaged<'a>(
        &mut self,
        header: Option<RawRecordHeader>,
        body_crc_computed: Option<u32>,
        defect: Defect,
    ) -> WalkStep<'a> {
        self.state = State::Resync(self.offset);
        WalkStep::Record(WalkedRecord {
            offset: self.offset as u64,
            header,
            body_crc_computed,
            body: None,
            defects: vec![RecordDefect::Invalid(defect)],
        })
    }

    /// Skips from damage at `at` to the next valid record, which must have the sequence
    /// number it carries (the walk cannot know better).
    fn resync<'a>(&mut self, bytes: &'a [u8], at: usize) -> WalkStep<'a> {
        let next = find_valid_record_after(bytes, at + 1);
        let end = match next {
            Some((next_at, _)) => next_at,
            None => bytes
                .iter()
                .rposition(|&b| b != 0)
                .map_or(at, |i| i + 1)
                .max(at),
        };
        match next {
            Some((next_at, seq)) => {
                (self.offset, self.expected) = (next_at, seq);
                self.state = State::Records;
            }
            None => self.state = State::Done,
        }
        WalkStep::Skip {
            offset: at as u64,
            len: (end - at) as u64,
            next: next.map(|(offset, seq)| (offset as u64, seq)),
        }
    }

    fn end<'a>(&mut self, offset: usize, zero_bytes: usize) -> WalkStep<'a> {
        self.state = State::Done;
        WalkStep::End {
            offset: offset as u64,
            zero_bytes: zero_bytes as u64,
            sealed: self.sealed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_record, SealBody, SegmentHeader};

    fn segment(records: &[(RecordType, u64, &[u8])]) -> Vec<u8> {
        let header = SegmentHeader::current([1; 16], 0, 1, 0, 0);
        let mut bytes = header.encode().to_vec();
        for (t, seq, body) in records {
            encode_record(&mut bytes, *t, *seq, 7, body);
        }
        bytes.extend_from_slice(&[0u8; 100]);
        bytes
    }

    const APP: RecordType = RecordType(0x100);

    #[test]
    fn a_healthy_segment_walks_to_its_end_with_the_zero_bytes_counted() {
        let bytes = segment(&[(APP, 1, b"a"), (APP, 2, b"bc")]);
        let steps: Vec<_> = SegmentWalk::iter(&bytes, 1).collect();
        assert_eq!(steps.len(), 3);
        let WalkStep::Record(first) = &steps[0] else {
            panic!("{steps:?}")
        };
        assert!(first.is_ok());
        assert_eq!((first.offset, first.body), (128, Some(&b"a"[..])));
        assert_eq!(first.header.unwrap().seq, 1);
        assert_eq!(
            steps[2],
            WalkStep::End {
                offset: 128 + 33 + 34,
                zero_bytes: 100,
                sealed: false
            }
        );
    }

    #[test]
    fn a_damaged_record_is_reported_and_the_walk_goes_on_at_the_next_valid_one() {
        let mut bytes = segment(&[(APP, 1, b"a"), (APP, 2, b"bc"), (APP, 3, b"d")]);
        bytes[128 + 33 + 32] ^= 0xff; // the body of record 2
        let steps: Vec<_> = SegmentWalk::iter(&bytes, 1).collect();
        let WalkStep::Record(damaged) = &steps[1] else {
            panic!("{steps:?}")
        };
        assert!(!damaged.is_ok());
        assert_eq!(damaged.header.unwrap().seq, 2);
        assert!(matches!(
            damaged.defects[..],
            [RecordDefect::Invalid(Defect::BodyChecksum { .. })]
        ));
        assert_ne!(
            damaged.body_crc_computed,
            Some(damaged.header.unwrap().body_crc)
        );
        assert_eq!(
            steps[2],
            WalkStep::Skip {
                offset: 161,
                len: 34,
                next: Some((195, 3))
            }
        );
        let WalkStep::Record(third) = &steps[3] else {
            panic!("{steps:?}")
        };
        assert!(third.is_ok());
        assert!(matches!(steps[4], WalkStep::End { .. }));
    }

    #[test]
    fn damage_with_no_valid_record_after_it_ends_the_walk_after_the_skip() {
        let mut bytes = segment(&[(APP, 1, b"a")]);
        let end = 128 + 33;
        bytes[end..end + 5].fill(9);
        let steps: Vec<_> = SegmentWalk::iter(&bytes, 1).collect();
        assert_eq!(steps.len(), 3, "{steps:?}");
        assert_eq!(
            steps[2],
            WalkStep::Skip {
                offset: end as u64,
                len: 5,
                next: None
            }
        );
    }

    #[test]
    fn a_zeroed_header_before_non_zero_bytes_is_damage_without_header_fields() {
        let mut bytes = segment(&[(APP, 1, b"a")]);
        let at = 128 + 33 + 40;
        bytes[at] = 1;
        let steps: Vec<_> = SegmentWalk::iter(&bytes, 1).collect();
        let WalkStep::Record(damaged) = &steps[1] else {
            panic!("{steps:?}")
        };
        assert_eq!(damaged.header, None);
        assert_eq!(
            damaged.defects,
            [RecordDefect::Invalid(Defect::ZeroedHeader {
                nonzero_at: at as u64
            })]
        );
    }

    #[test]
    fn a_sequence_gap_and_a_record_after_the_seal_are_defects_of_valid_records() {
        let header = SegmentHeader::decode(&segment(&[])).unwrap().0;
        let seal = SealBody::for_segment(&header, 2, 128 + 33)
            .unwrap()
            .encode();
        let bytes = segment(&[(APP, 1, b"a"), (RecordType::SEAL, 2, &seal), (APP, 5, b"x")]);
        let steps: Vec<_> = SegmentWalk::iter(&bytes, 1).collect();
        let WalkStep::Record(after) = &steps[2] else {
            panic!("{steps:?}")
        };
        assert_eq!(
            after.defects,
            [
                RecordDefect::Sequence {
                    expected: 3,
                    found: 5
                },
                RecordDefect::AfterSeal
            ]
        );
        assert_eq!(
            after.defects[0].to_string(),
            "sequence: expected 3, found 5"
        );
        assert!(matches!(steps[3], WalkStep::End { sealed: true, .. }));
    }
}
