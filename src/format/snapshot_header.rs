//! The snapshot file header and checksum (see FORMAT.md, "Snapshots").

use super::{get_i64, get_u16, get_u32, get_u64, Defect};

/// The eight bytes every snapshot file starts with.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"\x89SNP\r\n\x1a\n";
/// The snapshot format version this build writes: 2, whose body is anchored to a checkpoint
/// record (FORMAT.md, "Snapshots"). Version 1 still decodes (the store then ignores it).
pub const SNAPSHOT_FORMAT_VERSION: u16 = 2;
/// The oldest snapshot format version this build decodes.
pub const SNAPSHOT_FORMAT_VERSION_1: u16 = 1;
/// Length of the snapshot header; the body follows it.
pub const SNAPSHOT_HEADER_LEN: usize = 64;

/// Byte offset of the magic field.
pub const SNAP_MAGIC_OFFSET: usize = 0;
/// Byte offset of the format version field.
pub const SNAP_VERSION_OFFSET: usize = SNAP_MAGIC_OFFSET + 8;
/// Byte offset of the header length field.
pub const SNAP_HEADER_LEN_OFFSET: usize = SNAP_VERSION_OFFSET + 2;
/// Byte offset of the flags field.
pub const SNAP_FLAGS_OFFSET: usize = SNAP_HEADER_LEN_OFFSET + 2;
/// Byte offset of the store id field.
pub const SNAP_STORE_ID_OFFSET: usize = SNAP_FLAGS_OFFSET + 4;
/// Byte offset of the sequence number field.
pub const SNAP_SEQ_OFFSET: usize = SNAP_STORE_ID_OFFSET + 16;
/// Byte offset of the body length field.
pub const SNAP_BODY_LEN_OFFSET: usize = SNAP_SEQ_OFFSET + 8;
/// Byte offset of the creation time field.
pub const SNAP_CREATED_AT_OFFSET: usize = SNAP_BODY_LEN_OFFSET + 8;
/// Byte offset of the reserved field.
pub const SNAP_RESERVED_OFFSET: usize = SNAP_CREATED_AT_OFFSET + 8;
/// Byte offset of the checksum field.
pub const SNAP_CRC_OFFSET: usize = SNAP_RESERVED_OFFSET + 4;

const _: () = assert!(SNAP_CRC_OFFSET + 4 == SNAPSHOT_HEADER_LEN);

/// A snapshot header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The snapshot format version: [`SNAPSHOT_FORMAT_VERSION`] when written by this build,
    /// `1` for a file of format 1.
    pub version: u16,
    /// The store the snapshot belongs to.
    pub store_id: [u8; 16],
    /// The sequence number of the last log record the snapshot includes.
    pub seq: u64,
    /// Length of the body in bytes.
    pub body_len: u64,
    /// When the snapshot was taken, microseconds since the Unix epoch (UTC).
    pub created_at_micros: i64,
}

/// Why a snapshot file was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotDefect {
    /// The bytes are damaged or not a snapshot.
    Damaged(Defect),
    /// Written by a newer format version.
    Future(u16),
}

impl SnapshotHeader {
    /// Encodes the whole file: header then `body`, with the checksum over both.
    pub fn encode_file(&self, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; SNAPSHOT_HEADER_LEN];
        out[SNAP_MAGIC_OFFSET..SNAP_VERSION_OFFSET].copy_from_slice(&SNAPSHOT_MAGIC);
        out[SNAP_VERSION_OFFSET..SNAP_HEADER_LEN_OFFSET]
            .copy_from_slice(&self.version.to_le_bytes());
        out[SNAP_HEADER_LEN_OFFSET..SNAP_FLAGS_OFFSET]
            .copy_from_slice(&(SNAPSHOT_HEADER_LEN as u16).to_le_bytes());
        out[SNAP_STORE_ID_OFFSET..SNAP_SEQ_OFFSET].copy_from_slice(&self.store_id);
        out[SNAP_SEQ_OFFSET..SNAP_BODY_LEN_OFFSET].copy_from_slice(&self.seq.to_le_bytes());
        out[SNAP_BODY_LEN_OFFSET..SNAP_CREATED_AT_OFFSET]
            .copy_from_slice(&(body.len() as u64).to_le_bytes());
        out[SNAP_CREATED_AT_OFFSET..SNAP_RESERVED_OFFSET]
            .copy_from_slice(&self.created_at_micros.to_le_bytes());
        out.extend_from_slice(body);
        let crc = file_crc(&out);
        out[SNAP_CRC_OFFSET..SNAPSHOT_HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a whole snapshot file; returns the header and the body.
    ///
    /// Valid if and only if: the file holds at least the header; the magic matches; the
    /// version is 1 or 2; the header length is 64; flags and reserved bytes are zero; the file is
    /// exactly header plus body length bytes long; and the CRC matches.
    pub fn decode_file(bytes: &[u8]) -> Result<(SnapshotHeader, &[u8]), SnapshotDefect> {
        let damaged = |d| Err(SnapshotDefect::Damaged(d));
        if bytes.len() < SNAPSHOT_HEADER_LEN {
            return damaged(Defect::TruncatedHeader {
                available: bytes.len(),
                needed: SNAPSHOT_HEADER_LEN,
            });
        }
        if bytes[..8] != SNAPSHOT_MAGIC {
            return damaged(Defect::BadMagic);
        }
        let version = get_u16(bytes, SNAP_VERSION_OFFSET);
        if version > SNAPSHOT_FORMAT_VERSION {
            return Err(SnapshotDefect::Future(version));
        }
        let body_len = get_u64(bytes, SNAP_BODY_LEN_OFFSET);
        if (bytes.len() - SNAPSHOT_HEADER_LEN) as u64 != body_len {
            return damaged(Defect::BodyPastEnd {
                len: body_len.min(u64::from(u32::MAX)) as u32,
                available: bytes.len() - SNAPSHOT_HEADER_LEN,
            });
        }
        let stored = get_u32(bytes, SNAP_CRC_OFFSET);
        let computed = file_crc(bytes);
        if stored != computed {
            return damaged(Defect::BodyChecksum { stored, computed });
        }
        let fields_ok = version >= SNAPSHOT_FORMAT_VERSION_1
            && usize::from(get_u16(bytes, SNAP_HEADER_LEN_OFFSET)) == SNAPSHOT_HEADER_LEN
            && get_u32(bytes, SNAP_FLAGS_OFFSET) == 0
            && get_u32(bytes, SNAP_RESERVED_OFFSET) == 0;
        if !fields_ok {
            return damaged(Defect::BadField {
                field: "snapshot header",
                value: u64::from(version),
            });
        }
        let mut store_id = [0u8; 16];
        store_id.copy_from_slice(&bytes[SNAP_STORE_ID_OFFSET..SNAP_SEQ_OFFSET]);
        let header = SnapshotHeader {
            version,
            store_id,
            seq: get_u64(bytes, SNAP_SEQ_OFFSET),
            body_len,
            created_at_micros: get_i64(bytes, SNAP_CREATED_AT_OFFSET),
        };
        Ok((header, &bytes[SNAPSHOT_HEADER_LEN..]))
    }
}

/// CRC-32/IEEE over the whole file with the checksum field itself left out.
fn file_crc(file: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&file[..SNAP_CRC_OFFSET]);
    hasher.update(&file[SNAPSHOT_HEADER_LEN..]);
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_files_round_trip_and_every_flipped_byte_is_caught() {
        let header = SnapshotHeader {
            version: SNAPSHOT_FORMAT_VERSION,
            store_id: [3; 16],
            seq: 77,
            body_len: 5,
            created_at_micros: 9,
        };
        let file = header.encode_file(b"hello");
        assert_eq!(
            SnapshotHeader::decode_file(&file),
            Ok((header, &b"hello"[..]))
        );
        for i in 0..file.len() {
            let mut damaged = file.clone();
            damaged[i] ^= 0x10;
            assert!(SnapshotHeader::decode_file(&damaged).is_err(), "byte {i}");
        }
        for len in 0..file.len() {
            assert!(
                SnapshotHeader::decode_file(&file[..len]).is_err(),
                "truncated to {len}"
            );
        }
    }
}
