//! The segment header: the first [`SEGMENT_HEADER_LEN`] bytes of every segment file.

use super::{crc32, get_i64, get_u16, get_u32, get_u64, Defect};
use super::{FORMAT_VERSION, OLDEST_READABLE_FORMAT_VERSION, SEGMENT_MAGIC};

// Field offsets, each derived from the previous one so the layout has a single source.
/// Byte offset of the magic field.
pub const MAGIC_OFFSET: usize = 0;
/// Byte offset of the read version field (the field version 1 called "format version").
pub const VERSION_OFFSET: usize = MAGIC_OFFSET + 8;
/// Byte offset of the header len field.
pub const HEADER_LEN_OFFSET: usize = VERSION_OFFSET + 2;
/// Byte offset of the flags field.
pub const FLAGS_OFFSET: usize = HEADER_LEN_OFFSET + 2;
/// Byte offset of the store id field.
pub const STORE_ID_OFFSET: usize = FLAGS_OFFSET + 4;
/// Byte offset of the segment number field.
pub const SEGMENT_NUMBER_OFFSET: usize = STORE_ID_OFFSET + 16;
/// Byte offset of the base seq field.
pub const BASE_SEQ_OFFSET: usize = SEGMENT_NUMBER_OFFSET + 8;
/// Byte offset of the prev seal offset field.
pub const PREV_SEAL_OFFSET_OFFSET: usize = BASE_SEQ_OFFSET + 8;
/// Byte offset of the created at field.
pub const CREATED_AT_OFFSET: usize = PREV_SEAL_OFFSET_OFFSET + 8;
/// Byte offset of the write version field (reserved, so zero, in version-1 headers).
pub const WRITE_VERSION_OFFSET: usize = CREATED_AT_OFFSET + 8;
/// Byte offset of the reserved field.
pub const RESERVED_OFFSET: usize = WRITE_VERSION_OFFSET + 2;
/// Byte offset of the header crc field.
pub const HEADER_CRC_OFFSET: usize = SEGMENT_HEADER_LEN - 4;

/// Length of the segment header in bytes; records start right after it.
pub const SEGMENT_HEADER_LEN: usize = 128;

const _: () = assert!(RESERVED_OFFSET <= HEADER_CRC_OFFSET);

/// The decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The lowest format version a reader must implement to read the segment (offset 8, the
    /// field version 1 called "format version").
    pub read_version: u16,
    /// The lowest format version a writer must implement to append to the log while this is
    /// its last segment (offset 64). Version-1 headers hold zero there (reserved bytes), which
    /// reads as 1.
    pub write_version: u16,
    /// The UUID of the store the segment belongs to.
    pub store_id: [u8; 16],
    /// Ordinal of the segment in the log: 0 for the first, then consecutive.
    pub segment_number: u64,
    /// Sequence number of the segment's first record (also its file name).
    pub base_seq: u64,
    /// Byte offset of the seal record in the previous segment; 0 for segment 0.
    pub prev_seal_offset: u64,
    /// Creation time, microseconds since the Unix epoch (UTC).
    pub created_at_micros: i64,
}

impl SegmentHeader {
    /// A header of this build's format version (read and write version [`FORMAT_VERSION`]).
    pub fn current(
        store_id: [u8; 16],
        segment_number: u64,
        base_seq: u64,
        prev_seal_offset: u64,
        created_at_micros: i64,
    ) -> SegmentHeader {
        SegmentHeader {
            read_version: FORMAT_VERSION,
            write_version: FORMAT_VERSION,
            store_id,
            segment_number,
            base_seq,
            prev_seal_offset,
            created_at_micros,
        }
    }

    /// Whether the append times of the segment's records never go back (format version 2
    /// on): each record's time is at least the previous record's, and, when the previous
    /// segment orders its times too, the first record's is at least that segment's last.
    pub fn orders_append_times(&self) -> bool {
        orders_append_times(self.read_version)
    }

    /// Whether the segment was written under rules this build knows (its write version is
    /// not newer than [`FORMAT_VERSION`]): then a system record type this build does not
    /// define is corruption. Under a newer write version it is skipped, and this build must
    /// not append to the log ([`crate::Error::ReadOnly`]).
    pub fn written_under_known_rules(&self) -> bool {
        known_write_version(self.write_version)
    }

    /// Whether this build may append to a log whose last segment has this header.
    pub fn appendable(&self) -> bool {
        self.written_under_known_rules()
    }

    /// Encodes the header into exactly [`SEGMENT_HEADER_LEN`] bytes. A version-1 header
    /// (read version 1) stores zero as its write version: those bytes are reserved in
    /// version 1.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        debug_assert!(self.read_version >= 2 || self.write_version <= 1);
        let mut out = [0u8; SEGMENT_HEADER_LEN];
        out[MAGIC_OFFSET..VERSION_OFFSET].copy_from_slice(&SEGMENT_MAGIC);
        out[VERSION_OFFSET..HEADER_LEN_OFFSET].copy_from_slice(&self.read_version.to_le_bytes());
        out[HEADER_LEN_OFFSET..FLAGS_OFFSET]
            .copy_from_slice(&(SEGMENT_HEADER_LEN as u16).to_le_bytes());
        out[STORE_ID_OFFSET..SEGMENT_NUMBER_OFFSET].copy_from_slice(&self.store_id);
        out[SEGMENT_NUMBER_OFFSET..BASE_SEQ_OFFSET]
            .copy_from_slice(&self.segment_number.to_le_bytes());
        out[BASE_SEQ_OFFSET..PREV_SEAL_OFFSET_OFFSET].copy_from_slice(&self.base_seq.to_le_bytes());
        out[PREV_SEAL_OFFSET_OFFSET..CREATED_AT_OFFSET]
            .copy_from_slice(&self.prev_seal_offset.to_le_bytes());
        out[CREATED_AT_OFFSET..WRITE_VERSION_OFFSET]
            .copy_from_slice(&self.created_at_micros.to_le_bytes());
        let stored_write_version = if self.read_version >= 2 {
            self.write_version
        } else {
            0
        };
        out[WRITE_VERSION_OFFSET..RESERVED_OFFSET]
            .copy_from_slice(&stored_write_version.to_le_bytes());
        let crc = crc32(&out[..HEADER_CRC_OFFSET]);
        out[HEADER_CRC_OFFSET..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and validates a segment header from the start of `bytes`.
    ///
    /// Valid if and only if: at least [`SEGMENT_HEADER_LEN`] bytes are present; the magic
    /// matches; the checksum matches bytes `0..124`; the read version is between the oldest
    /// readable and this build's version; the write version is zero in a version-1 header
    /// (it reads as 1) and at least the read version otherwise; the header length field
    /// equals [`SEGMENT_HEADER_LEN`]; flags and reserved bytes are zero; and the base sequence
    /// number is not zero. A write version newer than this build's is valid: the log then
    /// reads, but this build must not append to it.
    pub fn decode(bytes: &[u8]) -> Result<(SegmentHeader, usize), Defect> {
        if bytes.len() < SEGMENT_HEADER_LEN {
            return Err(Defect::TruncatedHeader {
                available: bytes.len(),
                needed: SEGMENT_HEADER_LEN,
            });
        }
        let bytes = &bytes[..SEGMENT_HEADER_LEN];
        if bytes[MAGIC_OFFSET..VERSION_OFFSET] != SEGMENT_MAGIC {
            return Err(Defect::BadMagic);
        }
        let stored = get_u32(bytes, HEADER_CRC_OFFSET);
        let computed = crc32(&bytes[..HEADER_CRC_OFFSET]);
        if stored != computed {
            return Err(Defect::HeaderChecksum { stored, computed });
        }
        let header = Self::decode_fields(bytes)?;
        Ok((header, SEGMENT_HEADER_LEN))
    }

    fn decode_fields(bytes: &[u8]) -> Result<SegmentHeader, Defect> {
        let read_version = get_u16(bytes, VERSION_OFFSET);
        if read_version > FORMAT_VERSION {
            return Err(Defect::UnsupportedVersion {
                found: read_version,
            });
        }
        if read_version < OLDEST_READABLE_FORMAT_VERSION {
            return Err(bad("format version", u64::from(read_version)));
        }
        let write_version = decode_write_version(bytes, read_version)?;
        let header_len = get_u16(bytes, HEADER_LEN_OFFSET);
        if usize::from(header_len) != SEGMENT_HEADER_LEN {
            return Err(bad("header length", u64::from(header_len)));
        }
        let flags = get_u32(bytes, FLAGS_OFFSET);
        if flags != 0 {
            return Err(bad("segment flags", u64::from(flags)));
        }
        if bytes[RESERVED_OFFSET..HEADER_CRC_OFFSET]
            .iter()
            .any(|&b| b != 0)
        {
            return Err(bad("reserved header bytes", 1));
        }
        let base_seq = get_u64(bytes, BASE_SEQ_OFFSET);
        if base_seq == 0 {
            return Err(bad("base sequence number", 0));
        }
        let mut store_id = [0u8; 16];
        store_id.copy_from_slice(&bytes[STORE_ID_OFFSET..SEGMENT_NUMBER_OFFSET]);
        Ok(SegmentHeader {
            read_version,
            write_version,
            store_id,
            segment_number: get_u64(bytes, SEGMENT_NUMBER_OFFSET),
            base_seq,
            prev_seal_offset: get_u64(bytes, PREV_SEAL_OFFSET_OFFSET),
            created_at_micros: get_i64(bytes, CREATED_AT_OFFSET),
        })
    }
}

/// Whether a segment of this read version orders its append times (format version 2 on).
pub fn orders_append_times(read_version: u16) -> bool {
    read_version >= 2
}

/// Whether this build knows the rules of this write version (every record type it allows).
pub fn known_write_version(write_version: u16) -> bool {
    write_version <= FORMAT_VERSION
}

/// The write version: bytes 64..66 are reserved (zero) in a version-1 header, which reads as
/// write version 1; from version 2 on the field must be at least the read version (a writer
/// needs at least what a reader needs).
fn decode_write_version(bytes: &[u8], read_version: u16) -> Result<u16, Defect> {
    let stored = get_u16(bytes, WRITE_VERSION_OFFSET);
    match read_version {
        1 if stored == 0 => Ok(1),
        1 => Err(bad("reserved header bytes", u64::from(stored))),
        _ if stored < read_version => Err(bad("write version", u64::from(stored))),
        _ => Ok(stored),
    }
}

fn bad(field: &'static str, value: u64) -> Defect {
    Defect::BadField { field, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SegmentHeader {
        SegmentHeader::current([7; 16], 3, 1000, 4096, 1_700_000_000_000_000)
    }

    fn version_1() -> SegmentHeader {
        SegmentHeader {
            read_version: 1,
            write_version: 1,
            ..sample()
        }
    }

    #[test]
    fn header_round_trips() {
        let bytes = sample().encode();
        assert_eq!(
            SegmentHeader::decode(&bytes),
            Ok((sample(), SEGMENT_HEADER_LEN))
        );
    }

    #[test]
    fn every_flipped_header_bit_is_rejected() {
        let bytes = sample().encode();
        for i in 0..SEGMENT_HEADER_LEN * 8 {
            let mut damaged = bytes;
            damaged[i / 8] ^= 1 << (i % 8);
            assert!(
                SegmentHeader::decode(&damaged).is_err(),
                "bit {i} flip accepted"
            );
        }
    }

    #[test]
    fn a_version_1_header_stores_zero_as_its_write_version_and_reads_it_as_1() {
        let bytes = version_1().encode();
        assert_eq!(get_u16(&bytes, WRITE_VERSION_OFFSET), 0);
        let (decoded, _) = SegmentHeader::decode(&bytes).unwrap();
        assert_eq!((decoded.read_version, decoded.write_version), (1, 1));
        assert!(!decoded.orders_append_times());
        assert!(decoded.written_under_known_rules());
    }

    #[test]
    fn a_version_1_header_with_a_non_zero_write_version_is_rejected() {
        let mut bytes = version_1().encode();
        bytes[WRITE_VERSION_OFFSET] = 2;
        let crc = crc32(&bytes[..HEADER_CRC_OFFSET]);
        bytes[HEADER_CRC_OFFSET..].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            SegmentHeader::decode(&bytes),
            Err(Defect::BadField { .. })
        ));
    }

    #[test]
    fn a_newer_write_version_decodes_but_is_not_appendable() {
        let header = SegmentHeader {
            write_version: FORMAT_VERSION + 1,
            ..sample()
        };
        let (decoded, _) = SegmentHeader::decode(&header.encode()).unwrap();
        assert_eq!(decoded, header);
        assert!(!decoded.appendable());
        let older = SegmentHeader {
            write_version: 1,
            ..sample()
        };
        assert!(matches!(
            SegmentHeader::decode(&older.encode()),
            Err(Defect::BadField {
                field: "write version",
                ..
            })
        ));
    }

    #[test]
    fn newer_version_is_reported_as_unsupported() {
        let mut header = sample();
        header.read_version = FORMAT_VERSION + 1;
        header.write_version = FORMAT_VERSION + 1;
        let bytes = header.encode();
        assert_eq!(
            SegmentHeader::decode(&bytes),
            Err(Defect::UnsupportedVersion {
                found: FORMAT_VERSION + 1
            })
        );
    }

    #[test]
    fn all_zero_header_is_rejected() {
        assert_eq!(
            SegmentHeader::decode(&[0u8; SEGMENT_HEADER_LEN]),
            Err(Defect::BadMagic)
        );
    }
}
