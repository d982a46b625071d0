//! The segment header: the first [`SEGMENT_HEADER_LEN`] bytes of every segment file.

use super::{crc32, get_i64, get_u16, get_u32, get_u64, Defect};
use super::{FORMAT_VERSION, OLDEST_READABLE_FORMAT_VERSION, SEGMENT_MAGIC};

// Field offsets, each derived from the previous one so the layout has a single source.
/// Byte offset of the magic field.
pub const MAGIC_OFFSET: usize = 0;
/// Byte offset of the version field.
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
/// Byte offset of the reserved field.
pub const RESERVED_OFFSET: usize = CREATED_AT_OFFSET + 8;
/// Byte offset of the header crc field.
pub const HEADER_CRC_OFFSET: usize = SEGMENT_HEADER_LEN - 4;

/// Length of the segment header in bytes; records start right after it.
pub const SEGMENT_HEADER_LEN: usize = 128;

const _: () = assert!(RESERVED_OFFSET <= HEADER_CRC_OFFSET);

/// The decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Format version the segment was written with.
    pub format_version: u16,
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
    /// Encodes the header into exactly [`SEGMENT_HEADER_LEN`] bytes.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut out = [0u8; SEGMENT_HEADER_LEN];
        out[MAGIC_OFFSET..VERSION_OFFSET].copy_from_slice(&SEGMENT_MAGIC);
        out[VERSION_OFFSET..HEADER_LEN_OFFSET].copy_from_slice(&self.format_version.to_le_bytes());
        out[HEADER_LEN_OFFSET..FLAGS_OFFSET]
            .copy_from_slice(&(SEGMENT_HEADER_LEN as u16).to_le_bytes());
        out[STORE_ID_OFFSET..SEGMENT_NUMBER_OFFSET].copy_from_slice(&self.store_id);
        out[SEGMENT_NUMBER_OFFSET..BASE_SEQ_OFFSET]
            .copy_from_slice(&self.segment_number.to_le_bytes());
        out[BASE_SEQ_OFFSET..PREV_SEAL_OFFSET_OFFSET].copy_from_slice(&self.base_seq.to_le_bytes());
        out[PREV_SEAL_OFFSET_OFFSET..CREATED_AT_OFFSET]
            .copy_from_slice(&self.prev_seal_offset.to_le_bytes());
        out[CREATED_AT_OFFSET..RESERVED_OFFSET]
            .copy_from_slice(&self.created_at_micros.to_le_bytes());
        let crc = crc32(&out[..HEADER_CRC_OFFSET]);
        out[HEADER_CRC_OFFSET..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes and validates a segment header from the start of `bytes`.
    ///
    /// Valid if and only if: at least [`SEGMENT_HEADER_LEN`] bytes are present; the magic
    /// matches; the version is between the oldest readable and the current version; the
    /// header length field equals [`SEGMENT_HEADER_LEN`]; flags and reserved bytes are zero;
    /// the base sequence number is not zero; and the checksum matches bytes `0..124`.
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
        let format_version = get_u16(bytes, VERSION_OFFSET);
        if format_version > FORMAT_VERSION {
            return Err(Defect::UnsupportedVersion {
                found: format_version,
            });
        }
        if format_version < OLDEST_READABLE_FORMAT_VERSION {
            return Err(bad("format version", u64::from(format_version)));
        }
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
            format_version,
            store_id,
            segment_number: get_u64(bytes, SEGMENT_NUMBER_OFFSET),
            base_seq,
            prev_seal_offset: get_u64(bytes, PREV_SEAL_OFFSET_OFFSET),
            created_at_micros: get_i64(bytes, CREATED_AT_OFFSET),
        })
    }
}

fn bad(field: &'static str, value: u64) -> Defect {
    Defect::BadField { field, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SegmentHeader {
        SegmentHeader {
            format_version: FORMAT_VERSION,
            store_id: [7; 16],
            segment_number: 3,
            base_seq: 1000,
            prev_seal_offset: 4096,
            created_at_micros: 1_700_000_000_000_000,
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
    fn newer_version_is_reported_as_unsupported() {
        let mut header = sample();
        header.format_version = FORMAT_VERSION + 1;
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
