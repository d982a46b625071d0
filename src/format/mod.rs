//! The on-disk format of the segment log, as pure functions over byte slices.
//!
//! Nothing in this module performs IO: encoders write into a caller's buffer, decoders take a
//! slice and return the decoded value together with the number of bytes it occupied (in the
//! manner of `csv-core`). The IO layer ([`crate::log`]) maps files and calls these functions.
//!
//! The normative description of every byte is `FORMAT.md` at the root of the repository; the
//! constants below are checked against it by `tests/format_spec.rs`.

mod defect;

/// Byte offsets of every field of the segment header and the record header, for inspection
/// tools and for the test that checks them against FORMAT.md.
pub mod layout {
    /// Segment header field offsets.
    pub mod segment_header {
        pub use crate::format::segment_header::{
            BASE_SEQ_OFFSET, CREATED_AT_OFFSET, FLAGS_OFFSET, HEADER_CRC_OFFSET, HEADER_LEN_OFFSET,
            MAGIC_OFFSET, PREV_SEAL_OFFSET_OFFSET, RESERVED_OFFSET, SEGMENT_NUMBER_OFFSET,
            STORE_ID_OFFSET, VERSION_OFFSET, WRITE_VERSION_OFFSET,
        };
    }
    /// Snapshot header field offsets.
    pub mod snapshot_header {
        pub use crate::format::snapshot_header::{
            SNAP_BODY_LEN_OFFSET, SNAP_CRC_OFFSET, SNAP_CREATED_AT_OFFSET, SNAP_FLAGS_OFFSET,
            SNAP_HEADER_LEN_OFFSET, SNAP_MAGIC_OFFSET, SNAP_RESERVED_OFFSET, SNAP_SEQ_OFFSET,
            SNAP_STORE_ID_OFFSET, SNAP_VERSION_OFFSET,
        };
    }
    /// Record header field offsets.
    pub mod record {
        pub use crate::format::record::{
            BODY_CRC_OFFSET, BODY_LEN_OFFSET, FLAGS_OFFSET, HEADER_CRC_OFFSET, SEQ_OFFSET,
            TIMESTAMP_OFFSET, TYPE_OFFSET,
        };
    }
}
pub mod leaf;
pub mod lock_file;
mod record;
mod scan;
mod segment_header;
mod snapshot_header;
mod system;
mod table_bytes;
pub mod tile;
mod walk;

pub use defect::Defect;
pub use record::{
    decode_record, encode_record, encoded_len, find_valid_record_after, valid_records,
    walk_headers, FoundRecord, HeaderDefect, RawRecordHeader, RecordDecode, RecordHeader,
    RecordType, RECORD_HEADER_LEN,
};
pub use scan::{
    scan_segment, Damage, ScannedRecord, SegmentCursor, SegmentEnd, SegmentSummary, Step,
};
pub use segment_header::{
    known_write_version, orders_append_times, SegmentHeader, SEGMENT_HEADER_LEN,
};
pub use snapshot_header::{
    SnapshotDefect, SnapshotHeader, SNAPSHOT_FORMAT_VERSION, SNAPSHOT_FORMAT_VERSION_1,
    SNAPSHOT_HEADER_LEN, SNAPSHOT_MAGIC,
};
pub use system::{
    CutCheckpoint, RepairBody, SealBody, TornCutBody, CUT_CHECKPOINT_LEN, REPAIR_BODY_FIXED_LEN,
    SEAL_BODY_LEN, TORN_CUT_BODY_LEN,
};
pub use table_bytes::{
    decode_table_bytes, decode_table_bytes_head, encode_table_bytes, TableBytesDefect,
    TableBytesHead, MAX_INLINE_TABLE_LEN, TABLE_BYTES, TABLE_BYTES_HEAD_LEN, TABLE_BYTES_VERSION,
};
pub use walk::{RecordDefect, SegmentWalk, WalkStep, WalkedRecord};

/// The eight bytes every segment file starts with. Like PNG's signature, the high-bit first
/// byte and the CR LF, SUB, LF sequence catch files mangled by 7-bit or text-mode transfers.
pub const SEGMENT_MAGIC: [u8; 8] = *b"\x89SLG\r\n\x1a\n";

/// The format version this build implements: it reads segments whose read version is at
/// most this, appends to logs whose last segment's write version is at most this, and writes
/// new segments with this read and write version.
pub const FORMAT_VERSION: u16 = 2;

/// The oldest segment format version this build reads.
pub const OLDEST_READABLE_FORMAT_VERSION: u16 = 1;

/// The largest record body, in bytes. Checked before anything is allocated or read.
pub const MAX_BODY_LEN: u32 = 16 * 1024 * 1024;

/// The sequence number of the first record of a log. Zero never names a record.
pub const FIRST_SEQ: u64 = 1;

/// Suffix of segment files.
pub const SEGMENT_SUFFIX: &str = ".seg";

/// Digits in a segment file name (the zero-padded base sequence number, as Kafka names them).
pub const SEGMENT_NAME_DIGITS: usize = 20;

/// CRC-32/IEEE (polynomial 0x04C11DB7, reflected, init and xorout 0xFFFFFFFF; check value
/// 0xCBF43926 for "123456789"), as computed by `crc32fast`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// The file name of the segment whose first record has `base_seq`.
pub fn segment_file_name(base_seq: u64) -> String {
    format!(
        "{base_seq:0width$}{SEGMENT_SUFFIX}",
        width = SEGMENT_NAME_DIGITS
    )
}

/// The base sequence number encoded in a segment file name, if the name is one.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != SEGMENT_NAME_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads a little-endian `u16` at `at`. Callers check bounds first (it panics past the end).
pub fn get_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Reads a little-endian `u32` at `at`. Callers check bounds first.
pub fn get_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Reads a little-endian `u64` at `at`. Callers check bounds first.
pub fn get_u64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Reads a little-endian `i64` at `at`. Callers check bounds first.
pub fn get_i64(bytes: &[u8], at: usize) -> i64 {
    get_u64(bytes, at) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_ieee_with_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn segment_names_round_trip_and_reject_other_files() {
        assert_eq!(segment_file_name(42), "00000000000000000042.seg");
        assert_eq!(
            parse_segment_file_name("00000000000000000042.seg"),
            Some(42)
        );
        assert_eq!(parse_segment_file_name("42.seg"), None);
        assert_eq!(
            parse_segment_file_name("00000000000000000042.seg.tmp"),
            None
        );
        assert_eq!(parse_segment_file_name("0000000000000000004x.seg"), None);
    }
}
