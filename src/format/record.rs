//! The record frame: a fixed [`RECORD_HEADER_LEN`]-byte header followed by the body.

use super::{crc32, get_i64, get_u16, get_u32, get_u64, Defect, MAX_BODY_LEN};

// Field offsets, each derived from the previous one.
/// Byte offset of the header crc field.
pub const HEADER_CRC_OFFSET: usize = 0;
/// Byte offset of the body len field.
pub const BODY_LEN_OFFSET: usize = HEADER_CRC_OFFSET + 4;
/// Byte offset of the seq field.
pub const SEQ_OFFSET: usize = BODY_LEN_OFFSET + 4;
/// Byte offset of the timestamp field.
pub const TIMESTAMP_OFFSET: usize = SEQ_OFFSET + 8;
/// Byte offset of the type field.
pub const TYPE_OFFSET: usize = TIMESTAMP_OFFSET + 8;
/// Byte offset of the flags field.
pub const FLAGS_OFFSET: usize = TYPE_OFFSET + 2;
/// Byte offset of the body crc field.
pub const BODY_CRC_OFFSET: usize = FLAGS_OFFSET + 2;

/// Length of a record header in bytes.
pub const RECORD_HEADER_LEN: usize = BODY_CRC_OFFSET + 4;

const _: () = assert!(RECORD_HEADER_LEN == 32);

/// The type of a record. Types below [`RecordType::FIRST_APPLICATION`] belong to the log
/// itself; the others are opaque to the log and interpreted by the layers above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(pub u16);

impl RecordType {
    /// Closes a segment; always its last record.
    pub const SEAL: RecordType = RecordType(1);
    /// Records that a torn tail was cut off before an append.
    pub const TORN_CUT: RecordType = RecordType(2);
    /// Records that an explicit repair salvaged a corrupt log.
    pub const REPAIR: RecordType = RecordType(3);
    /// Records the Merkle tree of every record before it (size, root, frontier) and its
    /// C2SP checkpoint note; every version-2 segment starts with one.
    pub const CHECKPOINT: RecordType = RecordType(4);
    /// The first type available to layers above the log.
    pub const FIRST_APPLICATION: u16 = 0x0100;

    /// Whether the type is in the log's own range (below [`Self::FIRST_APPLICATION`]).
    pub fn is_system(self) -> bool {
        self.0 < Self::FIRST_APPLICATION
    }

    /// Whether this build defines this system type (seal, torn-cut, repair, checkpoint). Another system
    /// type is corruption in a segment written under rules this build knows, and is skipped
    /// in one written under a newer write version.
    pub fn is_known_system(self) -> bool {
        matches!(
            self,
            RecordType::SEAL | RecordType::TORN_CUT | RecordType::REPAIR | RecordType::CHECKPOINT
        )
    }

    /// A short name for inspection output.
    pub fn name(self) -> String {
        match self {
            RecordType::SEAL => "seal".into(),
            RecordType::TORN_CUT => "torn-cut".into(),
            RecordType::REPAIR => "repair".into(),
            RecordType::CHECKPOINT => "checkpoint".into(),
            RecordType(t) => format!("type-{t:#06x}"),
        }
    }
}

/// A decoded, validated record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Stored checksum over header bytes 4..32.
    pub header_crc: u32,
    /// Length of the body in bytes.
    pub body_len: u32,
    /// The record's sequence number (never 0).
    pub seq: u64,
    /// When the record was appended, microseconds since the Unix epoch (UTC).
    pub timestamp_micros: i64,
    /// The record type (never 0).
    pub record_type: RecordType,
    /// Stored checksum of the body.
    pub body_crc: u32,
}

/// The outcome of decoding the bytes at one position of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordDecode<'a> {
    /// A valid record occupying `len` bytes.
    Record {
        /// The header.
        header: RecordHeader,
        /// The body, borrowed from the input.
        body: &'a [u8],
        /// Header plus body length.
        len: usize,
    },
    /// No record starts here: the input is empty, or the header bytes are all zero
    /// (preallocated space). In the active segment this is the end of the log.
    Zero,
    /// Something is here but it is not a valid record.
    Invalid(Defect),
}

/// The number of bytes a record with a body of `body_len` bytes occupies.
pub fn encoded_len(body_len: usize) -> usize {
    RECORD_HEADER_LEN + body_len
}

/// Appends the encoded record to `out`. The caller has checked `body.len() <= MAX_BODY_LEN`.
pub fn encode_record(
    out: &mut Vec<u8>,
    record_type: RecordType,
    seq: u64,
    timestamp_micros: i64,
    body: &[u8],
) {
    debug_assert!(body.len() <= MAX_BODY_LEN as usize && seq != 0 && record_type.0 != 0);
    let mut header = [0u8; RECORD_HEADER_LEN];
    header[BODY_LEN_OFFSET..SEQ_OFFSET].copy_from_slice(&(body.len() as u32).to_le_bytes());
    header[SEQ_OFFSET..TIMESTAMP_OFFSET].copy_from_slice(&seq.to_le_bytes());
    header[TIMESTAMP_OFFSET..TYPE_OFFSET].copy_from_slice(&timestamp_micros.to_le_bytes());
    header[TYPE_OFFSET..FLAGS_OFFSET].copy_from_slice(&record_type.0.to_le_bytes());
    header[BODY_CRC_OFFSET..].copy_from_slice(&crc32(body).to_le_bytes());
    let header_crc = crc32(&header[BODY_LEN_OFFSET..]);
    header[HEADER_CRC_OFFSET..BODY_LEN_OFFSET].copy_from_slice(&header_crc.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
}

/// Decodes the record at the start of `bytes` (the rest of the segment from some offset).
///
/// A record is valid if and only if: the header checksum matches header bytes 4..32; the
/// type, and the sequence number, are not zero; the flags are zero; the body length is at most
/// [`MAX_BODY_LEN`] and fits in `bytes`; and the body checksum matches the body. The body is
/// not touched before the header has been validated.
pub fn decode_record(bytes: &[u8]) -> RecordDecode<'_> {
    let header_bytes = &bytes[..bytes.len().min(RECORD_HEADER_LEN)];
    if header_bytes.iter().all(|&b| b == 0) {
        return RecordDecode::Zero;
    }
    if header_bytes.len() < RECORD_HEADER_LEN {
        return RecordDecode::Invalid(Defect::TruncatedHeader {
            available: header_bytes.len(),
            needed: RECORD_HEADER_LEN,
        });
    }
    match decode_header(header_bytes).and_then(|h| check_body(h, &bytes[RECORD_HEADER_LEN..])) {
        Ok((header, body)) => RecordDecode::Record {
            header,
            body,
            len: encoded_len(body.len()),
        },
        Err(defect) => RecordDecode::Invalid(defect),
    }
}

/// The fields of a record header as its bytes say, whether or not they are valid, with the
/// header checksum computed over them: what an inspection tool shows of a damaged record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRecordHeader {
    /// Stored checksum over header bytes 4..32.
    pub header_crc: u32,
    /// The checksum of header bytes 4..32 as they are.
    pub header_crc_computed: u32,
    /// Declared body length in bytes.
    pub body_len: u32,
    /// Sequence number.
    pub seq: u64,
    /// Append time, microseconds since the Unix epoch (UTC).
    pub timestamp_micros: i64,
    /// Record type.
    pub record_type: RecordType,
    /// Flags (zero in a valid record).
    pub flags: u16,
    /// Stored checksum of the body.
    pub body_crc: u32,
}

impl RawRecordHeader {
    /// Reads the header fields at the start of `bytes`; `None` if fewer than
    /// [`RECORD_HEADER_LEN`] bytes are there. Nothing is validated.
    pub fn read(bytes: &[u8]) -> Option<RawRecordHeader> {
        let header = bytes.get(..RECORD_HEADER_LEN)?;
        Some(RawRecordHeader {
            header_crc: get_u32(header, HEADER_CRC_OFFSET),
            header_crc_computed: crc32(&header[BODY_LEN_OFFSET..]),
            body_len: get_u32(header, BODY_LEN_OFFSET),
            seq: get_u64(header, SEQ_OFFSET),
            timestamp_micros: get_i64(header, TIMESTAMP_OFFSET),
            record_type: RecordType(get_u16(header, TYPE_OFFSET)),
            flags: get_u16(header, FLAGS_OFFSET),
            body_crc: get_u32(header, BODY_CRC_OFFSET),
        })
    }

    /// Header plus declared body length.
    pub fn record_len(&self) -> u64 {
        RECORD_HEADER_LEN as u64 + u64::from(self.body_len)
    }

    /// The declared body within `bytes` (which start with this header), if it fits.
    pub fn declared_body<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        bytes
            .get(RECORD_HEADER_LEN..)?
            .get(..usize::try_from(self.body_len).ok()?)
    }
}

/// A record header that [`walk_headers`] found wrong: at `offset`, where a record numbered
/// `seq` was due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderDefect {
    /// Byte offset of the record in the bytes walked.
    pub offset: usize,
    /// The sequence number the record there must carry.
    pub seq: u64,
    /// What is wrong.
    pub defect: Defect,
}

/// Walks the headers of the run of records that fills `bytes[offset..]`, the first numbered
/// `seq`, calling `visit` with each one's offset and header; the bodies are not read.
///
/// For bytes a scan has accepted already (the records of a segment up to the end it
/// validated), when only the types and positions are wanted: each header's checksum is
/// checked, and its seq and length must continue the run, so bytes changed since the scan
/// are found, but a body changed since is not (its checksum is not computed). Not a
/// validation: [`decode_record`] is.
pub fn walk_headers(
    bytes: &[u8],
    mut offset: usize,
    mut seq: u64,
    mut visit: impl FnMut(usize, &RawRecordHeader),
) -> Result<(), HeaderDefect> {
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let fail = |defect| HeaderDefect {
            offset,
            seq,
            defect,
        };
        let header = RawRecordHeader::read(rest).ok_or_else(|| {
            fail(Defect::TruncatedHeader {
                available: rest.len(),
                needed: RECORD_HEADER_LEN,
            })
        })?;
        if header.header_crc != header.header_crc_computed {
            return Err(fail(Defect::HeaderChecksum {
                stored: header.header_crc,
                computed: header.header_crc_computed,
            }));
        }
        if header.seq != seq {
            return Err(fail(Defect::SequenceGap {
                expected: seq,
                found: header.seq,
            }));
        }
        let len = usize::try_from(header.record_len()).unwrap_or(usize::MAX);
        if len > rest.len() {
            return Err(fail(Defect::BodyPastEnd {
                len: header.body_len,
                available: rest.len() - RECORD_HEADER_LEN,
            }));
        }
        visit(offset, &header);
        offset += len;
        seq += 1;
    }
    Ok(())
}

fn decode_header(bytes: &[u8]) -> Result<RecordHeader, Defect> {
    let raw = RawRecordHeader::read(bytes).ok_or(Defect::TruncatedHeader {
        available: bytes.len(),
        needed: RECORD_HEADER_LEN,
    })?;
    if raw.header_crc != raw.header_crc_computed {
        return Err(Defect::HeaderChecksum {
            stored: raw.header_crc,
            computed: raw.header_crc_computed,
        });
    }
    if raw.seq == 0 {
        return Err(Defect::BadField {
            field: "sequence number",
            value: 0,
        });
    }
    if raw.record_type.0 == 0 {
        return Err(Defect::BadField {
            field: "record type",
            value: 0,
        });
    }
    if raw.flags != 0 {
        return Err(Defect::BadField {
            field: "record flags",
            value: u64::from(raw.flags),
        });
    }
    Ok(RecordHeader {
        header_crc: raw.header_crc,
        body_len: raw.body_len,
        seq: raw.seq,
        timestamp_micros: raw.timestamp_micros,
        record_type: raw.record_type,
        body_crc: raw.body_crc,
    })
}

fn check_body(header: RecordHeader, rest: &[u8]) -> Result<(RecordHeader, &[u8]), Defect> {
    if header.body_len > MAX_BODY_LEN {
        return Err(Defect::BodyTooLong {
            len: header.body_len,
            max: MAX_BODY_LEN,
        });
    }
    let len = header.body_len as usize;
    if len > rest.len() {
        return Err(Defect::BodyPastEnd {
            len: header.body_len,
            available: rest.len(),
        });
    }
    let body = &rest[..len];
    let computed = crc32(body);
    if computed != header.body_crc {
        return Err(Defect::BodyChecksum {
            stored: header.body_crc,
            computed,
        });
    }
    Ok((header, body))
}

/// Searches `bytes[from..]` for the first position at which a complete, valid record starts.
/// Returns its offset (relative to `bytes`) and sequence number.
///
/// Used after damage in the active segment: if any valid record follows the damage, the
/// damage cannot be a torn write. Cheap field checks run before any checksum is computed.
pub fn find_valid_record_after(bytes: &[u8], from: usize) -> Option<(usize, u64)> {
    let last_start = bytes.len().checked_sub(RECORD_HEADER_LEN)?;
    (from..=last_start).find_map(|at| {
        if !plausible_header(&bytes[at..at + RECORD_HEADER_LEN]) {
            return None;
        }
        match decode_record(&bytes[at..]) {
            RecordDecode::Record { header, .. } => Some((at, header.seq)),
            _ => None,
        }
    })
}

/// A valid record found in bytes that hold damage: where it starts and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundRecord<'a> {
    /// Its offset in the bytes searched.
    pub offset: usize,
    /// Its header.
    pub header: RecordHeader,
    /// Its body.
    pub body: &'a [u8],
}

/// Every valid record in `bytes[from..]`, in order: records are read one after the other, and
/// after anything that is not a valid record (damage, zeroes) the search resumes at the next
/// position where a valid record starts ([`find_valid_record_after`]). What repair cut holds
/// the damaged record and, after it, records that are still whole; this finds those.
pub fn valid_records(bytes: &[u8], from: usize) -> Vec<FoundRecord<'_>> {
    let mut found = Vec::new();
    let mut at = from;
    while at < bytes.len() {
        match decode_record(&bytes[at..]) {
            RecordDecode::Record { header, body, len } => {
                found.push(FoundRecord {
                    offset: at,
                    header,
                    body,
                });
                at += len;
            }
            RecordDecode::Zero | RecordDecode::Invalid(_) => {
                match find_valid_record_after(bytes, at + 1) {
                    Some((next, _)) => at = next,
                    None => break,
                }
            }
        }
    }
    found
}

fn plausible_header(header: &[u8]) -> bool {
    get_u64(header, SEQ_OFFSET) != 0
        && get_u16(header, TYPE_OFFSET) != 0
        && get_u16(header, FLAGS_OFFSET) == 0
        && get_u32(header, BODY_LEN_OFFSET) <= MAX_BODY_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three_records() -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut offsets = Vec::new();
        for (seq, record_type, body) in [
            (7, 0x0100, &b"seven"[..]),
            (8, 4, b"eight"),
            (9, 0x0100, b""),
        ] {
            offsets.push(bytes.len());
            encode_record(&mut bytes, RecordType(record_type), seq, 10, body);
        }
        (bytes, offsets)
    }

    fn walked(bytes: &[u8], seq: u64) -> Result<Vec<(usize, u64, u16)>, HeaderDefect> {
        let mut seen = Vec::new();
        walk_headers(bytes, 0, seq, |offset, h| {
            seen.push((offset, h.seq, h.record_type.0))
        })?;
        Ok(seen)
    }

    #[test]
    fn a_header_walk_visits_every_record_at_its_offset_with_its_type() {
        let (bytes, offsets) = three_records();
        let seen = walked(&bytes, 7).unwrap();
        assert_eq!(
            seen,
            [
                (offsets[0], 7, 0x0100),
                (offsets[1], 8, 4),
                (offsets[2], 9, 0x0100)
            ]
        );
        // A body changed after the scan is not looked at: only the headers are read.
        let mut changed = bytes.clone();
        changed[offsets[1] + RECORD_HEADER_LEN] ^= 1;
        assert_eq!(walked(&changed, 7).unwrap(), seen);
    }

    #[test]
    fn a_header_walk_stops_at_a_changed_header_a_wrong_seq_or_a_cut_record_and_says_where() {
        let (bytes, offsets) = three_records();
        let mut flipped = bytes.clone();
        flipped[offsets[1] + TYPE_OFFSET] ^= 1;
        let defect = walked(&flipped, 7).unwrap_err();
        assert_eq!((defect.offset, defect.seq), (offsets[1], 8));
        assert!(
            matches!(defect.defect, Defect::HeaderChecksum { .. }),
            "{defect:?}"
        );
        let gap = walked(&bytes, 6).unwrap_err();
        assert_eq!((gap.offset, gap.seq), (0, 6));
        assert_eq!(
            gap.defect,
            Defect::SequenceGap {
                expected: 6,
                found: 7
            }
        );
        let cut = walked(&bytes[..offsets[2] - 1], 7).unwrap_err();
        assert_eq!((cut.offset, cut.seq), (offsets[1], 8));
        assert!(
            matches!(cut.defect, Defect::BodyPastEnd { len: 5, .. }),
            "{cut:?}"
        );
        let short = walked(&bytes[..offsets[2] + 3], 7).unwrap_err();
        assert_eq!((short.offset, short.seq), (offsets[2], 9));
        assert!(matches!(
            short.defect,
            Defect::TruncatedHeader { available: 3, .. }
        ));
    }

    #[test]
    fn valid_records_are_found_after_damage_and_zeroes() {
        let mut bytes = Vec::new();
        encode_record(&mut bytes, RecordType(0x0100), 2, 10, b"two");
        let damaged_end = bytes.len();
        encode_record(&mut bytes, RecordType(0x0100), 3, 11, b"three");
        bytes.extend_from_slice(&[0; 40]);
        encode_record(&mut bytes, RecordType(0x0101), 4, 12, b"four");
        bytes[5] ^= 0x40; // record 2's length: its header checksum fails
        let found = valid_records(&bytes, 0);
        let seqs: Vec<(u64, &[u8])> = found.iter().map(|r| (r.header.seq, r.body)).collect();
        assert_eq!(seqs, [(3, &b"three"[..]), (4, &b"four"[..])]);
        assert_eq!(found[0].offset, damaged_end);
        assert!(valid_records(&bytes[..damaged_end], 0).is_empty());
    }

    fn encoded(body: &[u8], seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_record(&mut out, RecordType(0x100), seq, 42, body);
        out
    }

    #[test]
    fn record_round_trips() {
        let bytes = encoded(b"hello", 9);
        match decode_record(&bytes) {
            RecordDecode::Record { header, body, len } => {
                assert_eq!(
                    (header.seq, header.timestamp_micros, body, len),
                    (9, 42, &b"hello"[..], 37)
                );
                assert_eq!(header.record_type, RecordType(0x100));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn all_zero_header_never_validates() {
        assert_eq!(decode_record(&[0u8; 64]), RecordDecode::Zero);
        assert_eq!(decode_record(&[]), RecordDecode::Zero);
    }

    #[test]
    fn every_flipped_bit_of_a_record_is_detected() {
        let bytes = encoded(b"some body bytes", 3);
        for i in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[i / 8] ^= 1 << (i % 8);
            assert!(
                matches!(decode_record(&damaged), RecordDecode::Invalid(_)),
                "bit {i} flip accepted"
            );
        }
    }

    #[test]
    fn length_beyond_the_input_is_rejected_before_the_body_is_read() {
        let bytes = encoded(b"0123456789", 3);
        let cut = &bytes[..bytes.len() - 1];
        assert!(matches!(
            decode_record(cut),
            RecordDecode::Invalid(Defect::BodyPastEnd {
                len: 10,
                available: 9
            })
        ));
    }

    #[test]
    fn a_raw_header_reads_the_fields_of_a_damaged_record_as_they_are() {
        let mut bytes = encoded(b"body", 5);
        bytes[SEQ_OFFSET] ^= 0x01;
        assert!(matches!(
            decode_record(&bytes),
            RecordDecode::Invalid(Defect::HeaderChecksum { .. })
        ));
        let raw = RawRecordHeader::read(&bytes).unwrap();
        assert_eq!((raw.seq, raw.body_len, raw.flags), (4, 4, 0));
        assert_eq!(raw.record_type, RecordType(0x100));
        assert_ne!(raw.header_crc, raw.header_crc_computed);
        assert_eq!(raw.record_len(), 36);
        assert_eq!(raw.declared_body(&bytes), Some(&b"body"[..]));
        assert_eq!(raw.declared_body(&bytes[..35]), None);
        assert_eq!(RawRecordHeader::read(&bytes[..31]), None);
    }

    #[test]
    fn a_valid_record_is_found_after_garbage() {
        let mut bytes = vec![0xAB; 13];
        bytes.extend(encoded(b"x", 77));
        assert_eq!(find_valid_record_after(&bytes, 0), Some((13, 77)));
        assert_eq!(find_valid_record_after(&bytes, 14), None);
    }
}
