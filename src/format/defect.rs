//! What can be wrong with the bytes at a position of a segment.

use std::fmt;

/// A reason the bytes at some position are not a valid segment header or record.
///
/// A `Defect` says *what* is wrong; the IO layer adds *where* (segment file, byte offset,
/// expected sequence number) and decides whether it is a torn write or corruption.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // Variant fields are named for what they hold; `Display` explains each.
pub enum Defect {
    /// Fewer bytes remain than a header needs.
    TruncatedHeader { available: usize, needed: usize },
    /// The header checksum does not match the header bytes.
    HeaderChecksum { stored: u32, computed: u32 },
    /// The body checksum does not match the body bytes.
    BodyChecksum { stored: u32, computed: u32 },
    /// The declared body length exceeds [`crate::format::MAX_BODY_LEN`].
    BodyTooLong { len: u32, max: u32 },
    /// The declared body runs past the end of the segment.
    BodyPastEnd { len: u32, available: usize },
    /// A field that must be zero is not, or a field that must not be zero is.
    BadField { field: &'static str, value: u64 },
    /// The segment header does not start with the segment magic.
    BadMagic,
    /// The segment was written by a newer format version than this build reads.
    UnsupportedVersion { found: u16 },
    /// A record's sequence number is not the one that must follow the previous record.
    SequenceGap { expected: u64, found: u64 },
    /// A record repeats (or goes back to) an earlier sequence number.
    SequenceRepeat { expected: u64, found: u64 },
    /// A valid record follows the seal record of a sealed segment.
    RecordAfterSeal { seq: u64 },
    /// Non-zero bytes follow the seal record of a sealed segment.
    BytesAfterSeal { len: u64 },
    /// A seal record's contents disagree with the segment it closes.
    BadSeal { detail: String },
    /// A checkpoint record's body is malformed, its frontier does not hash to its root, its
    /// size is not its seq minus one, or its note disagrees with it (FORMAT.md, *Checkpoint
    /// record*). Its CRCs hold, so it was written that way: corruption or tampering.
    BadCheckpoint { detail: String },
    /// A valid record exists after an invalid one: the damage is not a torn tail.
    ValidRecordAfterDamage {
        offset: u64,
        seq: u64,
        damage: Box<Defect>,
    },
    /// A segment header disagrees with its neighbours or its file name.
    Misplaced { detail: String },
    /// A segment belongs to another store.
    ForeignSegment { expected: String, found: String },
    /// A segment the sequence requires is not there.
    MissingSegment { detail: String },
    /// A segment before the last one has no seal record.
    UnsealedSegment,
    /// A record header is all zero but non-zero bytes follow it.
    ZeroedHeader { nonzero_at: u64 },
    /// A system record type this build does not define, in a segment whose write version
    /// says it should know every type (a newer write version's unknown types are skipped).
    UnknownRecordType {
        record_type: u16,
        write_version: u16,
    },
    /// A record's append time is before the previous record's, in a segment whose format
    /// version orders append times.
    TimeWentBackwards { previous: i64, found: i64 },
    /// Damage that would read as a torn tail, but starts before the durable mark in
    /// `log/LOCK`: a sync covered these bytes and their records were acknowledged, so it is
    /// corruption, never cut as a torn write.
    DamagedAcknowledgedRecord {
        durable_end: u64,
        damage: Box<Defect>,
    },
    /// Non-zero bytes where a writer was about to append: the log grew without this writer
    /// knowing, and it refuses to write over what is there.
    OccupiedAppendOffset { nonzero_at: u64 },
}

impl Defect {
    /// Whether an interrupted write could have left these bytes. Only such damage, at the end
    /// of the last segment with no valid record after it, is a torn tail; a record whose
    /// checksums hold but whose contents are wrong was written that way, so it is corruption.
    pub fn can_be_torn_write(&self) -> bool {
        matches!(
            self,
            Defect::TruncatedHeader { .. }
                | Defect::HeaderChecksum { .. }
                | Defect::BodyChecksum { .. }
                | Defect::BodyPastEnd { .. }
                | Defect::ZeroedHeader { .. }
        )
    }
}

impl fmt::Display for Defect {
    // One arm per variant, each a sentence: splitting the match would only scatter them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Defect::TruncatedHeader { available, needed } => {
                write!(f, "header truncated: {available} of {needed} bytes present")
            }
            Defect::HeaderChecksum { stored, computed } => write!(
                f,
                "header checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Defect::BodyChecksum { stored, computed } => write!(
                f,
                "body checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Defect::BodyTooLong { len, max } => {
                write!(f, "body length {len} exceeds the maximum {max}")
            }
            Defect::BodyPastEnd { len, available } => write!(
                f,
                "body of {len} bytes runs past the end of the segment ({available} bytes left)"
            ),
            Defect::BadField { field, value } => write!(f, "invalid {field} {value}"),
            Defect::BadMagic => f.write_str("not a strata segment (bad magic)"),
            Defect::UnsupportedVersion { found } => write!(
                f,
                "segment format version {found} is newer than this build reads; upgrade strata"
            ),
            Defect::SequenceGap { expected, found } => {
                write!(f, "sequence gap: expected {expected}, found {found}")
            }
            Defect::SequenceRepeat { expected, found } => {
                write!(f, "sequence repeat: expected {expected}, found {found}")
            }
            Defect::RecordAfterSeal { seq } => {
                write!(f, "record {seq} follows the seal of a sealed segment")
            }
            Defect::BytesAfterSeal { len } => {
                write!(f, "{len} non-zero bytes follow the seal of a sealed segment")
            }
            Defect::BadSeal { detail } => write!(f, "seal record disagrees: {detail}"),
            Defect::BadCheckpoint { detail } => write!(f, "checkpoint record is invalid: {detail}"),
            Defect::ValidRecordAfterDamage { offset, seq, damage } => write!(
                f,
                "{damage}, and a valid record (seq {seq} at offset {offset}) follows it, so this is not a torn write"
            ),
            Defect::Misplaced { detail } => write!(f, "misplaced segment: {detail}"),
            Defect::ForeignSegment { expected, found } => write!(
                f,
                "segment belongs to store {found}, not to this store ({expected})"
            ),
            Defect::MissingSegment { detail } => write!(f, "missing segment: {detail}"),
            Defect::UnsealedSegment => {
                f.write_str("segment is not sealed but a later segment exists")
            }
            Defect::ZeroedHeader { nonzero_at } => write!(
                f,
                "zeroed record header followed by non-zero bytes (at offset {nonzero_at})"
            ),
            Defect::UnknownRecordType {
                record_type,
                write_version,
            } => write!(
                f,
                "record type {record_type:#06x} is not defined by format version \
                 {write_version}, under which this segment was written"
            ),
            Defect::TimeWentBackwards { previous, found } => write!(
                f,
                "append time {found} is before the previous record's {previous} \
                 (microseconds since the Unix epoch); append times never go back"
            ),
            Defect::DamagedAcknowledgedRecord {
                durable_end,
                damage,
            } => write!(
                f,
                "{damage}, before the durable mark (offset {durable_end}): an fdatasync \
                 covered these bytes and their records were acknowledged, so this is not a \
                 torn write"
            ),
            Defect::OccupiedAppendOffset { nonzero_at } => write!(
                f,
                "non-zero bytes at offset {nonzero_at}, where this writer was to append: \
                 another writer appended without this one seeing it; nothing was written"
            ),
        }
    }
}
