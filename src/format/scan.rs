//! Walking the records of one segment's bytes, checking the sequence and the seal.

use super::record::{
    decode_record, find_valid_record_after, RecordDecode, RecordHeader, RecordType,
};
use super::{Defect, SealBody, SegmentHeader, SEGMENT_HEADER_LEN};

/// A valid record found by a [`SegmentCursor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScannedRecord<'a> {
    /// Byte offset of the record header within the segment.
    pub offset: u64,
    /// The validated header.
    pub header: RecordHeader,
    /// The validated body.
    pub body: &'a [u8],
}

/// How the valid records of a segment end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentEnd {
    /// Only zero bytes (or nothing) follow the last valid record: the segment is open.
    Open,
    /// The last valid record is a seal and only zero bytes follow it.
    Sealed(SealBody),
    /// The bytes at `offset` are not a valid next record.
    Damaged(Damage),
}

/// Bytes that are not a valid next record, and what follows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the damage.
    pub offset: u64,
    /// What is wrong there.
    pub defect: Defect,
    /// One past the last non-zero byte of the segment: the damaged region is `offset..nonzero_end`.
    pub nonzero_end: u64,
    /// The first valid record after the damage, `(offset, seq)`, if any. If there is one,
    /// the damage cannot be a torn write.
    pub valid_after: Option<(u64, u64)>,
    /// Whether the segment had been sealed before the damage.
    pub after_seal: bool,
}

/// One step of a [`SegmentCursor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    /// The next valid record (including a seal).
    Record(ScannedRecord<'a>),
    /// No further valid record; how the segment ends.
    End(SegmentEnd),
}

/// A position in a segment's bytes and the sequence number the next record must carry.
///
/// The cursor never reads past `bytes`; every record it yields has passed both checksums,
/// carries exactly the expected sequence number, has a type the segment's write version
/// allows and, in a segment that orders append times, a time no earlier than the previous
/// record's (given with [`SegmentCursor::after_time`] for the first record it reads).
#[derive(Debug, Clone)]
pub struct SegmentCursor<'a> {
    bytes: &'a [u8],
    header: SegmentHeader,
    offset: usize,
    next_seq: u64,
    sealed: Option<SealBody>,
    /// The append time of the record before the next one, when known.
    previous_time: Option<i64>,
}

impl<'a> SegmentCursor<'a> {
    /// A cursor at the first record of a segment whose header is `header`.
    pub fn new(bytes: &'a [u8], header: SegmentHeader) -> Self {
        Self::resume(bytes, header, SEGMENT_HEADER_LEN as u64, header.base_seq)
    }

    /// A cursor at `offset`, where the record with `next_seq` must start.
    pub fn resume(bytes: &'a [u8], header: SegmentHeader, offset: u64, next_seq: u64) -> Self {
        SegmentCursor {
            bytes,
            header,
            offset: offset as usize,
            next_seq,
            sealed: None,
            previous_time: None,
        }
    }

    /// The cursor, told the append time of the record before its position (`None` when
    /// unknown, or when there is none). Checked only if the segment orders append times.
    pub fn after_time(mut self, previous_time: Option<i64>) -> Self {
        self.previous_time = previous_time;
        self
    }

    /// The append time of the last valid record returned (or the time given to
    /// [`SegmentCursor::after_time`] before any).
    pub fn previous_time(&self) -> Option<i64> {
        self.previous_time
    }

    /// Byte offset just past the last valid record returned.
    pub fn offset(&self) -> u64 {
        self.offset as u64
    }

    /// The sequence number the next record must carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The next valid record, or how the segment ends. After an `End` the cursor stays there.
    pub fn step(&mut self) -> Step<'a> {
        let rest = self.bytes.get(self.offset..).unwrap_or(&[]);
        if let Some(seal) = self.sealed {
            return Step::End(self.after_seal(seal, rest));
        }
        match decode_record(rest) {
            RecordDecode::Record { header, body, len } => self.accept(header, body, len),
            RecordDecode::Zero => Step::End(self.after_zero_header(rest)),
            RecordDecode::Invalid(defect) => Step::End(self.damage(defect)),
        }
    }

    fn accept(&mut self, header: RecordHeader, body: &'a [u8], len: usize) -> Step<'a> {
        if header.seq != self.next_seq {
            let (expected, found) = (self.next_seq, header.seq);
            let defect = if found > expected {
                Defect::SequenceGap { expected, found }
            } else {
                Defect::SequenceRepeat { expected, found }
            };
            return Step::End(self.damage(defect));
        }
        if let Some(defect) = self.breaks_segment_rules(&header) {
            return Step::End(self.damage(defect));
        }
        if header.record_type == RecordType::CHECKPOINT {
            if let Err(defect) = self.check_checkpoint(&header, body) {
                return Step::End(self.damage(defect));
            }
        }
        let seal = if header.record_type == RecordType::SEAL {
            match self.check_seal(body) {
                Ok(seal) => Some(seal),
                Err(defect) => return Step::End(self.damage(defect)),
            }
        } else {
            None
        };
        // No record could follow one numbered `u64::MAX`, so it is refused (FORMAT.md,
        // Record). A seal so numbered is refused too, and the segment is marked sealed only
        // once the seal is accepted: the damage is the seal itself, not something after it.
        let Some(next_seq) = self.next_seq.checked_add(1) else {
            let defect = Defect::BadField {
                field: "sequence number",
                value: header.seq,
            };
            return Step::End(self.damage(defect));
        };
        let record = ScannedRecord {
            offset: self.offset as u64,
            header,
            body,
        };
        self.sealed = seal;
        self.offset += len;
        self.next_seq = next_seq;
        self.previous_time = Some(header.timestamp_micros);
        Step::Record(record)
    }

    /// What the segment's versions forbid in a well-framed record: a system type this build
    /// does not define, under a write version it knows; an append time before the previous
    /// record's, in a segment that orders append times.
    fn breaks_segment_rules(&self, header: &RecordHeader) -> Option<Defect> {
        let record_type = header.record_type;
        // Version 1 defined no checkpoint records: in a version-1 segment one is unknown.
        let known = record_type.is_known_system()
            && (record_type != RecordType::CHECKPOINT || self.header.read_version >= 2);
        if record_type.is_system() && !known && self.header.written_under_known_rules() {
            return Some(Defect::UnknownRecordType {
                record_type: record_type.0,
                write_version: self.header.write_version,
            });
        }
        match self.previous_time {
            Some(previous)
                if self.header.orders_append_times() && header.timestamp_micros < previous =>
            {
                Some(Defect::TimeWentBackwards {
                    previous,
                    found: header.timestamp_micros,
                })
            }
            _ => None,
        }
    }

    /// A checkpoint record must be well formed and agree with where it is (its size is its
    /// seq minus one, its note names this store); whether its root is the log's is checked
    /// by verification, which rebuilds the tree.
    fn check_checkpoint(&self, header: &RecordHeader, body: &[u8]) -> Result<(), Defect> {
        let checkpoint = super::leaf::CheckpointBody::decode(body)?;
        let origin = crate::note::origin_for_store(&uuid::Uuid::from_bytes(self.header.store_id));
        checkpoint.check(header.seq, &origin).map(|_| ())
    }

    fn check_seal(&self, body: &[u8]) -> Result<SealBody, Defect> {
        let seal = SealBody::decode(body)?;
        let expected = SealBody::for_segment(&self.header, self.next_seq, self.offset as u64);
        if Some(seal) == expected {
            Ok(seal)
        } else {
            Err(Defect::BadSeal {
                detail: format!("found {seal:?}, expected {expected:?}"),
            })
        }
    }

    fn after_seal(&self, seal: SealBody, rest: &[u8]) -> SegmentEnd {
        match first_nonzero(rest) {
            None => SegmentEnd::Sealed(seal),
            Some(_) => {
                let after = find_valid_record_after(self.bytes, self.offset);
                let defect = match after {
                    Some((_, seq)) => Defect::RecordAfterSeal { seq },
                    None => Defect::BytesAfterSeal {
                        len: nonzero_len(rest),
                    },
                };
                SegmentEnd::Damaged(self.damage_with(defect, after))
            }
        }
    }

    fn after_zero_header(&self, rest: &[u8]) -> SegmentEnd {
        match first_nonzero(rest) {
            None => SegmentEnd::Open,
            Some(at) => {
                let defect = Defect::ZeroedHeader {
                    nonzero_at: (self.offset + at) as u64,
                };
                self.damage(defect)
            }
        }
    }

    fn damage(&self, defect: Defect) -> SegmentEnd {
        let after = find_valid_record_after(self.bytes, self.offset + 1);
        SegmentEnd::Damaged(self.damage_with(defect, after))
    }

    fn damage_with(&self, defect: Defect, valid_after: Option<(usize, u64)>) -> Damage {
        let nonzero_end = self
            .bytes
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        Damage {
            offset: self.offset as u64,
            defect,
            nonzero_end: (nonzero_end.max(self.offset)) as u64,
            valid_after: valid_after.map(|(at, seq)| (at as u64, seq)),
            after_seal: self.sealed.is_some(),
        }
    }
}

/// The index of the first non-zero byte. Checks 64-byte blocks with an OR-reduction (which
/// compiles to vector instructions) before looking inside one: the preallocated tail of the
/// active segment, often a megabyte of zeros, is checked on every refresh.
pub(crate) fn first_nonzero(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64;
    bytes.chunks(BLOCK).enumerate().find_map(|(i, block)| {
        if block.iter().fold(0u8, |acc, &b| acc | b) == 0 {
            None
        } else {
            block.iter().position(|&b| b != 0).map(|at| i * BLOCK + at)
        }
    })
}

fn nonzero_len(rest: &[u8]) -> u64 {
    rest.iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i as u64 + 1)
}

/// Summary of a whole segment scanned from its header: used by fuzzing and inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSummary {
    /// The segment header.
    pub header: SegmentHeader,
    /// Valid records, including a seal.
    pub records: u64,
    /// Offset just past the last valid record.
    pub end_offset: u64,
    /// How the segment ends.
    pub end: SegmentEnd,
}

/// Decodes a whole segment from bytes, calling `on_record` for each valid record.
/// Fails only if the segment header itself is invalid.
pub fn scan_segment<'a>(
    bytes: &'a [u8],
    mut on_record: impl FnMut(&ScannedRecord<'a>),
) -> Result<SegmentSummary, Defect> {
    let (header, _) = SegmentHeader::decode(bytes)?;
    let mut cursor = SegmentCursor::new(bytes, header);
    let mut records = 0;
    loop {
        match cursor.step() {
            Step::Record(record) => {
                records += 1;
                on_record(&record);
            }
            Step::End(end) => {
                return Ok(SegmentSummary {
                    header,
                    records,
                    end_offset: cursor.offset(),
                    end,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_record, FORMAT_VERSION};

    fn segment_of(header: SegmentHeader, records: &[(RecordType, i64)]) -> Vec<u8> {
        let mut bytes = header.encode().to_vec();
        for (i, (record_type, time)) in records.iter().enumerate() {
            encode_record(
                &mut bytes,
                *record_type,
                header.base_seq + i as u64,
                *time,
                b"b",
            );
        }
        bytes.extend_from_slice(&[0; 64]);
        bytes
    }

    fn version(read_version: u16, write_version: u16) -> SegmentHeader {
        SegmentHeader {
            read_version,
            write_version,
            ..SegmentHeader::current([3; 16], 0, 1, 0, 0)
        }
    }

    fn end_of(bytes: &[u8]) -> SegmentEnd {
        scan_segment(bytes, |_| {}).unwrap().end
    }

    const APP: RecordType = RecordType(0x100);

    #[test]
    fn a_time_that_goes_back_is_damage_in_a_version_2_segment_only() {
        let records = [(APP, 10), (APP, 10), (APP, 9)];
        let v2 = segment_of(version(2, 2), &records);
        let SegmentEnd::Damaged(damage) = end_of(&v2) else {
            panic!("a step back was accepted")
        };
        assert_eq!(
            damage.defect,
            Defect::TimeWentBackwards {
                previous: 10,
                found: 9
            }
        );
        assert_eq!(damage.offset, 128 + 2 * 33);
        assert_eq!(
            end_of(&segment_of(version(1, 1), &records)),
            SegmentEnd::Open
        );
    }

    #[test]
    fn the_first_record_is_checked_against_the_time_given_to_the_cursor() {
        let bytes = segment_of(version(2, 2), &[(APP, 5)]);
        let header = version(2, 2);
        let mut cursor = SegmentCursor::new(&bytes, header).after_time(Some(6));
        assert!(matches!(
            cursor.step(),
            Step::End(SegmentEnd::Damaged(Damage {
                defect: Defect::TimeWentBackwards {
                    previous: 6,
                    found: 5
                },
                ..
            }))
        ));
        let mut cursor = SegmentCursor::new(&bytes, header).after_time(Some(5));
        assert!(matches!(cursor.step(), Step::Record(_)));
        assert_eq!(cursor.previous_time(), Some(5));
    }

    #[test]
    fn an_unknown_system_type_is_damage_unless_a_newer_write_version_wrote_it() {
        // 0x0005 is defined by no version; 0x0004 (checkpoint) only from version 2 on.
        let v1_records = [(APP, 1), (RecordType(0x0004), 1), (APP, 1)];
        let SegmentEnd::Damaged(damage) = end_of(&segment_of(version(1, 1), &v1_records)) else {
            panic!("version 1 accepted a checkpoint record")
        };
        assert_eq!(
            damage.defect,
            Defect::UnknownRecordType {
                record_type: 4,
                write_version: 1
            }
        );
        let records = [(APP, 1), (RecordType(0x0005), 1), (APP, 1)];
        for (read, write) in [(1, 1), (2, 2)] {
            let SegmentEnd::Damaged(damage) = end_of(&segment_of(version(read, write), &records))
            else {
                panic!("version {read}/{write} accepted an unknown system type")
            };
            assert_eq!(
                damage.defect,
                Defect::UnknownRecordType {
                    record_type: 5,
                    write_version: write
                }
            );
        }
        let newer = segment_of(version(2, FORMAT_VERSION + 1), &records);
        let summary = scan_segment(&newer, |_| {}).unwrap();
        assert_eq!((summary.records, summary.end), (3, SegmentEnd::Open));
    }

    #[test]
    fn a_record_with_the_largest_sequence_number_is_damage_not_an_overflow() {
        let header = SegmentHeader {
            base_seq: u64::MAX,
            ..SegmentHeader::current([0; 16], 0, 1, 0, 0)
        };
        let mut bytes = header.encode().to_vec();
        encode_record(&mut bytes, RecordType(0x100), u64::MAX, 0, b"");
        let summary = scan_segment(&bytes, |_| {}).unwrap();
        assert!(matches!(
            summary.end,
            SegmentEnd::Damaged(Damage {
                defect: Defect::BadField { .. },
                ..
            })
        ));
    }

    /// A seal numbered `u64::MAX` is itself the damage: the segment was not sealed before it,
    /// and stepping again reports the same end, not the seal as a record after itself.
    #[test]
    fn a_seal_with_the_largest_sequence_number_is_damage_not_a_seal() {
        let header = SegmentHeader {
            read_version: FORMAT_VERSION,
            write_version: FORMAT_VERSION,
            store_id: [0; 16],
            segment_number: 0,
            base_seq: u64::MAX,
            prev_seal_offset: 0,
            created_at_micros: 0,
        };
        let mut bytes = header.encode().to_vec();
        let seal = SealBody::for_segment(&header, u64::MAX, SEGMENT_HEADER_LEN as u64).unwrap();
        encode_record(&mut bytes, RecordType::SEAL, u64::MAX, 0, &seal.encode());
        bytes.extend_from_slice(&[0; 64]);
        let mut cursor = SegmentCursor::new(&bytes, header);
        let first = cursor.step();
        let Step::End(SegmentEnd::Damaged(damage)) = &first else {
            panic!("expected damage, got {first:?}");
        };
        assert_eq!(damage.offset, SEGMENT_HEADER_LEN as u64);
        assert!(!damage.after_seal, "{damage:?}");
        assert!(
            matches!(
                damage.defect,
                Defect::BadField {
                    field: "sequence number",
                    value: u64::MAX
                }
            ),
            "{damage:?}"
        );
        assert_eq!(cursor.step(), first, "the cursor stays at the end");
        assert_eq!(cursor.offset(), SEGMENT_HEADER_LEN as u64);
    }

    #[test]
    fn first_nonzero_finds_the_first_non_zero_byte_in_any_block() {
        let mut bytes = vec![0u8; 1000];
        assert_eq!(first_nonzero(&bytes), None);
        for at in [0, 63, 64, 65, 999] {
            bytes.fill(0);
            bytes[at] = 7;
            assert_eq!(first_nonzero(&bytes), Some(at));
        }
    }
}
