//! FORMAT.md's validity rules for segments and records, restated from the text alone.
//!
//! Nothing here calls `strata::format`: every field is read with `from_le_bytes` at the offset
//! FORMAT.md's tables give, every CRC is computed with `crc32fast`, and each predicate follows
//! one "valid if and only if" sentence of FORMAT.md. The fuzz targets compare the library with
//! these functions, so a decoder that rejects a valid input (or accepts an invalid one) fails.

/// "Segment header", 128 bytes.
pub const SEGMENT_HEADER_LEN: usize = 128;
/// "Record": the header is 32 bytes.
pub const RECORD_HEADER_LEN: usize = 32;
/// "Body length. At most 16 MiB (16777216)."
pub const MAX_BODY_LEN: u64 = 16_777_216;
/// "magic: 89 53 4C 47 0D 0A 1A 0A".
pub const MAGIC: [u8; 8] = [0x89, 0x53, 0x4C, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
/// "Format version described here: 2": the newest read version a reader accepts (the oldest
/// is 1), and the newest write version whose record types it knows.
pub const READER_VERSION: u16 = 2;
/// Record type of a seal.
pub const SEAL: u16 = 0x0001;
/// The record types the log defines: "`0x0001` seal, `0x0002` torn-cut, `0x0003` repair".
pub const LOG_TYPES: [u16; 3] = [0x0001, 0x0002, 0x0003];
/// "Types below `0x0100` belong to the log itself".
pub const FIRST_APPLICATION_TYPE: u16 = 0x0100;
/// The application record types FORMAT.md's table defines: "`0x0100` dataset event",
/// "`0x0101` table bytes", "`0x0102` query run".
pub const DATASET_EVENT: u16 = 0x0100;
pub const TABLE_BYTES: u16 = 0x0101;
pub const QUERY_RUN: u16 = 0x0102;
/// "`0x0103`–`0xFFFF` application: opaque to the log; reserved for the layers above".
pub const FIRST_UNDEFINED_APPLICATION_TYPE: u16 = 0x0103;

/// "The commitment is the record's body, except for records of type `0x0101`
/// (`table_bytes`) ..., whose commitment is the first 41 bytes of the body (...; the whole
/// body if it is shorter)": how many bytes of a body its Merkle leaf commits to.
pub fn leaf_commitment_len(record_type: u16, body_len: usize) -> usize {
    if record_type == TABLE_BYTES {
        body_len.min(41)
    } else {
        body_len
    }
}

/// "Its body, 32 bytes".
pub const SEAL_BODY_LEN: usize = 32;
/// "The first record of a log has sequence number 1".
pub const FIRST_SEQ: u64 = 1;

pub fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

pub fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
}

pub fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

pub fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// The fields of a valid segment header that the log's rules refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub read_version: u16,
    /// As it reads: "a zero here in a segment of read version 1 reads as write version 1".
    pub write_version: u16,
    pub store_id: [u8; 16],
    pub segment_number: u64,
    pub base_seq: u64,
    pub prev_seal_offset: u64,
    pub created_at_micros: i64,
}

/// "A segment header is valid if and only if: the file holds at least 128 bytes; the magic
/// matches; the CRC matches; the read version is between 1 and the reader's version; the write
/// version is `0` when the read version is `1`, and at least the read version otherwise (it
/// may be newer than the reader's version ...); the header length is 128; flags and reserved
/// bytes (66..124; 64..124 in a read version 1 header) are zero; and the base sequence number
/// is not zero."
pub fn segment_header(file: &[u8]) -> Option<Header> {
    let h = file.get(..SEGMENT_HEADER_LEN)?;
    let (read_version, stored_write) = (u16_at(h, 8), u16_at(h, 64));
    let write_ok = if read_version == 1 {
        stored_write == 0
    } else {
        stored_write >= read_version
    };
    let valid = h[0..8] == MAGIC
        && u32_at(h, 124) == crc(&h[..124])
        && (1..=READER_VERSION).contains(&read_version)
        && write_ok
        && u16_at(h, 10) == 128
        && u32_at(h, 12) == 0
        && h[66..124].iter().all(|&b| b == 0)
        && u64_at(h, 40) != 0;
    valid.then(|| Header {
        read_version,
        write_version: if read_version == 1 { 1 } else { stored_write },
        store_id: h[16..32].try_into().unwrap(),
        segment_number: u64_at(h, 32),
        base_seq: u64_at(h, 40),
        prev_seal_offset: u64_at(h, 48),
        created_at_micros: u64_at(h, 56) as i64,
    })
}

/// Why the bytes at a position are not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRecord {
    /// No header bytes, or only zero ones: "an all-zero header never validates: it marks
    /// unused (preallocated) space".
    Zero,
    /// Fewer than 32 header bytes, not all zero.
    ShortHeader,
    /// The header CRC does not match bytes 4..32.
    HeaderCrc,
    /// The header CRC holds but the sequence number or the type is zero, or the flags are not.
    BadField,
    /// The header CRC holds but the body length is over 16 MiB.
    TooLong,
    /// The header is sound but the body runs past the end of the segment.
    PastEnd,
    /// The header is sound but the body CRC does not match.
    BodyCrc,
}

impl NotRecord {
    /// FORMAT.md, Recovery: bytes "an interrupted write could have left" are "a header shorter
    /// than 32 bytes, a header or body CRC mismatch, a body running past the end of the file"
    /// (or a zeroed header followed by non-zero bytes, see [`Why`]); "a record whose CRCs hold
    /// but whose fields are wrong (... non-zero flags, over-long body ...)" is corruption.
    pub fn torn_write_could_leave(self) -> bool {
        matches!(
            self,
            NotRecord::ShortHeader | NotRecord::HeaderCrc | NotRecord::PastEnd | NotRecord::BodyCrc
        )
    }
}

/// A valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rec<'a> {
    pub seq: u64,
    pub record_type: u16,
    pub timestamp_micros: i64,
    pub body: &'a [u8],
}

impl Rec<'_> {
    /// Header plus body.
    pub fn encoded_len(&self) -> usize {
        RECORD_HEADER_LEN + self.body.len()
    }
}

/// "A record is valid if and only if: 32 header bytes are present; the header CRC matches; the
/// sequence number and the record type are not zero; the flags are zero; the body length is at
/// most 16 MiB and no more than the bytes left in the segment; and the body CRC matches."
/// `rest` is the segment from the record's offset to the end of the file.
pub fn record(rest: &[u8]) -> Result<Rec<'_>, NotRecord> {
    let head = &rest[..rest.len().min(RECORD_HEADER_LEN)];
    if head.iter().all(|&b| b == 0) {
        return Err(NotRecord::Zero);
    }
    if head.len() < RECORD_HEADER_LEN {
        return Err(NotRecord::ShortHeader);
    }
    if u32_at(head, 0) != crc(&head[4..32]) {
        return Err(NotRecord::HeaderCrc);
    }
    let body_len = u64::from(u32_at(head, 4));
    let (seq, record_type, flags) = (u64_at(head, 8), u16_at(head, 24), u16_at(head, 26));
    if seq == 0 || record_type == 0 || flags != 0 {
        return Err(NotRecord::BadField);
    }
    if body_len > MAX_BODY_LEN {
        return Err(NotRecord::TooLong);
    }
    let left = (rest.len() - RECORD_HEADER_LEN) as u64;
    if body_len > left {
        return Err(NotRecord::PastEnd);
    }
    let body = &rest[RECORD_HEADER_LEN..RECORD_HEADER_LEN + body_len as usize];
    if crc(body) != u32_at(head, 28) {
        return Err(NotRecord::BodyCrc);
    }
    Ok(Rec {
        seq,
        record_type,
        timestamp_micros: u64_at(head, 16) as i64,
        body,
    })
}

/// The first offset at or after `from` where a valid record (with any sequence number)
/// starts, and its sequence number: by brute force, trying every offset.
pub fn first_valid_record_from(segment: &[u8], from: usize) -> Option<(u64, u64)> {
    (from..segment.len()).find_map(|at| {
        let rest = &segment[at..];
        // The same conjunction as `record`, its cheap terms first (this runs at every offset).
        let cheap = rest.len() >= RECORD_HEADER_LEN
            && u64_at(rest, 8) != 0
            && u16_at(rest, 24) != 0
            && u16_at(rest, 26) == 0
            && u64::from(u32_at(rest, 4))
                <= MAX_BODY_LEN.min((rest.len() - RECORD_HEADER_LEN) as u64);
        if !cheap {
            return None;
        }
        record(rest).ok().map(|r| (at as u64, r.seq))
    })
}

/// "A seal is valid if and only if it is a valid record, its body is exactly 32 bytes, and the
/// four fields equal the segment number, the segment's base sequence number, the number of
/// records before it, and its own offset." `seal` is a valid record of type [`SEAL`].
pub fn seal_is_valid(header: &Header, seal: &Rec<'_>, offset: u64) -> bool {
    let body = seal.body;
    body.len() == SEAL_BODY_LEN
        && seal.seq >= header.base_seq
        && u64_at(body, 0) == header.segment_number
        && u64_at(body, 8) == header.base_seq
        && u64_at(body, 16) == seal.seq - header.base_seq
        && u64_at(body, 24) == offset
}

/// Why a segment's records stop before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The bytes are not a valid record.
    NotRecord(NotRecord),
    /// An all-zero record header with non-zero bytes after it.
    ZeroedHeader,
    /// A valid record that is not the next in order (gap or repeat).
    OutOfOrder,
    /// A valid, in-order record numbered `u64::MAX`, refused because no record could follow
    /// it (FORMAT.md, Record: Sequence number); a seal so numbered does not seal its segment.
    LastPossibleSeq,
    /// A valid, in-order record of a type below `0x0100` that the log does not define, in a
    /// segment whose write version is at most the reader's.
    UnknownType,
    /// A valid, in-order record whose append time is before the previous record's, in a
    /// segment of read version 2 or later.
    TimeBack,
    /// A valid record of type checkpoint, in a segment of read version 2 or later, that is
    /// not a valid checkpoint record.
    BadCheckpoint,
    /// A valid record of type seal that is not a valid seal.
    BadSeal,
    /// Non-zero bytes after a valid seal.
    AfterSeal,
}

impl Why {
    /// Whether an interrupted write could have left these bytes (FORMAT.md, Recovery).
    pub fn torn_write_could_leave(self) -> bool {
        match self {
            Why::NotRecord(not) => not.torn_write_could_leave(),
            Why::ZeroedHeader => true,
            Why::OutOfOrder
            | Why::UnknownType
            | Why::TimeBack
            | Why::LastPossibleSeq
            | Why::BadCheckpoint
            | Why::BadSeal
            | Why::AfterSeal => false,
        }
    }
}

/// Where and why the records of a segment stop before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damage {
    pub offset: u64,
    pub why: Why,
    /// The sequence number a record at `offset` would have to carry.
    pub next_seq: u64,
    pub after_seal: bool,
    /// The first valid record after the damage, by brute force: from `offset + 1`, or from
    /// `offset` itself after a seal (where the damage is whatever follows the seal).
    pub valid_after: Option<(u64, u64)>,
    /// One past the last non-zero byte of the segment.
    pub nonzero_end: u64,
}

impl Damage {
    /// FORMAT.md, Recovery: a torn tail is bytes "that are not a valid record, where an
    /// interrupted write could have left them ..., in an unsealed last segment, with no valid
    /// record anywhere after them". Anything else is corruption.
    pub fn is_torn_tail(&self, in_last_segment: bool) -> bool {
        in_last_segment
            && !self.after_seal
            && self.why.torn_write_could_leave()
            && self.valid_after.is_none()
    }
}

/// How the records of a segment end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Nothing, or only zero bytes, after the last valid record, which is not a seal.
    Open,
    /// A valid seal, then only zero bytes.
    Sealed {
        seal_offset: u64,
    },
    Damaged(Damage),
}

/// A segment read record by record as FORMAT.md describes it.
#[derive(Debug, Clone)]
pub struct Scan<'a> {
    /// Every valid, in-order record: its offset and the record.
    pub records: Vec<(u64, Rec<'a>)>,
    /// Just past the last of them.
    pub end_offset: u64,
    /// The sequence number the next record would carry.
    pub next_seq: u64,
    pub end: End,
}

/// The checkpoint record's type.
pub const CHECKPOINT: u16 = 0x0004;

/// The origin line of this store's checkpoints: "`strata/<store UUID, lowercase,
/// hyphenated>`".
pub fn origin(store_id: &[u8; 16]) -> String {
    let hex: String = store_id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "strata/{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether a checkpoint record is valid: "its body has exactly this layout ...; *n* is the
/// record's sequence number minus one; and the note parses as a checkpoint whose origin is
/// this store's". The body's own rules (the frontier hashing to the root, the note's syntax)
/// are the library's decoder's: restating SHA-256 trees and C2SP notes here would be a
/// second implementation, not a reading of FORMAT.md; this checks where the record is.
fn checkpoint_is_valid(header: &Header, r: &Rec<'_>) -> bool {
    strata::format::leaf::CheckpointBody::decode(r.body)
        .and_then(|body| body.check(r.seq, &origin(&header.store_id)))
        .is_ok()
}

/// Whether a segment "orders" its append times: "in a segment of read version 2 or later, each
/// record's append time is at least the previous record's".
pub fn orders_times(header: &Header) -> bool {
    header.read_version >= 2
}

/// Whether a record breaks a version rule of "in order": "in a segment of read version 2 or
/// later, each record's append time is at least the previous record's (for the first record:
/// the last record's of the previous segment, when that segment's read version is 2 or later
/// too); and, in a segment whose write version is at most the reader's version, every record
/// type below `0x0100` is one the table above defines". FORMAT.md does not order the checks of
/// a record breaking several; the library checks the type, then the time, then a seal's body,
/// then the last possible sequence number, and so does [`scan`].
fn breaks_version_rules(header: &Header, r: &Rec<'_>, previous_time: Option<i64>) -> Option<Why> {
    // "`0x0004` checkpoint (version 2; a version-1 segment holds none)".
    let checkpoint = r.record_type == CHECKPOINT && header.read_version >= 2;
    let unknown = r.record_type < FIRST_APPLICATION_TYPE
        && !LOG_TYPES.contains(&r.record_type)
        && !checkpoint;
    if unknown && header.write_version <= READER_VERSION {
        return Some(Why::UnknownType);
    }
    let back = previous_time.is_some_and(|t| r.timestamp_micros < t);
    (orders_times(header) && back).then_some(Why::TimeBack)
}

/// Reads `segment` (a whole file, whose header is `header`) from its first record: records
/// must be valid and "in order" ("the first has the segment's base sequence number and each
/// next one the previous one's plus one", and the version rules of [`breaks_version_rules`],
/// the first record's time checked against `previous_time`); "after a valid seal, only zero
/// bytes may follow".
pub fn scan<'a>(segment: &'a [u8], header: &Header, previous_time: Option<i64>) -> Scan<'a> {
    let mut previous_time = previous_time;
    let mut scan = Scan {
        records: Vec::new(),
        end_offset: SEGMENT_HEADER_LEN as u64,
        next_seq: header.base_seq,
        end: End::Open,
    };
    let mut sealed_at = None;
    loop {
        let at = scan.end_offset as usize;
        let rest = segment.get(at..).unwrap_or(&[]);
        let why = if let Some(seal_offset) = sealed_at {
            if rest.iter().all(|&b| b == 0) {
                scan.end = End::Sealed { seal_offset };
                return scan;
            }
            Some(Why::AfterSeal)
        } else {
            match record(rest) {
                Err(NotRecord::Zero) if rest.iter().all(|&b| b == 0) => return scan,
                Err(NotRecord::Zero) => Some(Why::ZeroedHeader),
                Err(not) => Some(Why::NotRecord(not)),
                Ok(r) if r.seq != scan.next_seq => Some(Why::OutOfOrder),
                Ok(r) if breaks_version_rules(header, &r, previous_time).is_some() => {
                    breaks_version_rules(header, &r, previous_time)
                }
                Ok(r) if r.record_type == CHECKPOINT && !checkpoint_is_valid(header, &r) => {
                    Some(Why::BadCheckpoint)
                }
                Ok(r) if r.record_type == SEAL && !seal_is_valid(header, &r, at as u64) => {
                    Some(Why::BadSeal)
                }
                Ok(_) if scan.next_seq == u64::MAX => Some(Why::LastPossibleSeq),
                Ok(r) => {
                    if r.record_type == SEAL {
                        sealed_at = Some(at as u64);
                    }
                    previous_time = Some(r.timestamp_micros);
                    scan.records.push((at as u64, r));
                    scan.end_offset += r.encoded_len() as u64;
                    scan.next_seq += 1;
                    None
                }
            }
        };
        if let Some(why) = why {
            let after_seal = sealed_at.is_some();
            let search_from = if after_seal { at } else { at + 1 };
            scan.end = End::Damaged(Damage {
                offset: at as u64,
                why,
                next_seq: scan.next_seq,
                after_seal,
                valid_after: first_valid_record_from(segment, search_from),
                nonzero_end: nonzero_end(segment).max(at) as u64,
            });
            return scan;
        }
    }
}

/// One past the last non-zero byte (0 if all are zero).
pub fn nonzero_end(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
}

/// "A file in log/ whose name is not exactly 20 decimal digits followed by .seg is not a
/// segment"; a segment's name is its base sequence number.
pub fn segment_name_base(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The name of the segment whose base sequence number is `base`.
pub fn segment_name(base: u64) -> String {
    format!("{base:020}.seg")
}
