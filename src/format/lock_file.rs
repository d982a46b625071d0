//! The contents of `log/LOCK`: the write generation and the durable mark (see FORMAT.md,
//! "The lock file"). The file is also what writers `flock`; these functions only read and
//! write its bytes.

use super::{crc32, get_u32, get_u64};

/// Byte offset of the write generation (`u64`).
pub const GENERATION_OFFSET: usize = 0;
/// Byte offset of the durable mark: a segment number (`u64`), then a byte offset (`u64`).
pub const DURABLE_MARK_OFFSET: usize = GENERATION_OFFSET + 8;
/// Byte offset of the CRC of the durable mark's 16 bytes (`u32`). The mark is never synced,
/// so a power cut may leave its write torn: half a new mark over half an old one, a position
/// nobody wrote. The CRC makes such a mark read as no mark.
pub const DURABLE_MARK_CRC_OFFSET: usize = DURABLE_MARK_OFFSET + 16;

/// Length of the durable mark with its CRC, as written at [`DURABLE_MARK_OFFSET`].
pub const DURABLE_MARK_LEN: usize = 20;

/// Length of the lock file's contents in format version 2. A shorter file (a version-1 lock
/// file holds only the generation, a new one nothing) reads as generation 0 when it holds
/// fewer than 8 bytes, and as no durable mark when it holds fewer than this.
pub const LOCK_FILE_LEN: usize = DURABLE_MARK_OFFSET + DURABLE_MARK_LEN;

/// A position in the log: `(segment number, byte offset)`, ordered as the log is.
pub type LogPosition = (u64, u64);

/// The write generation stored in the first bytes of the lock file (0 if it holds fewer than
/// eight bytes).
pub fn decode_generation(bytes: &[u8]) -> u64 {
    if bytes.len() >= DURABLE_MARK_OFFSET {
        get_u64(bytes, GENERATION_OFFSET)
    } else {
        0
    }
}

/// The durable mark stored in the lock file: the position up to which a writer saw an
/// `fdatasync` of the log complete. `None` if the file is too short to hold one, if its CRC
/// does not match (a torn or damaged write of the mark: trusting it could make a torn tail
/// read as damage to acknowledged records), or if it holds zero (no mark: no record starts
/// before offset 128 of a segment).
pub fn decode_durable_mark(bytes: &[u8]) -> Option<LogPosition> {
    if bytes.len() < LOCK_FILE_LEN {
        return None;
    }
    let mark_bytes = &bytes[DURABLE_MARK_OFFSET..DURABLE_MARK_CRC_OFFSET];
    if get_u32(bytes, DURABLE_MARK_CRC_OFFSET) != crc32(mark_bytes) {
        return None;
    }
    let mark = (
        get_u64(bytes, DURABLE_MARK_OFFSET),
        get_u64(bytes, DURABLE_MARK_OFFSET + 8),
    );
    (mark != (0, 0)).then_some(mark)
}

/// The bytes of a durable mark with its CRC, to be written at [`DURABLE_MARK_OFFSET`] in one
/// positioned write; `None` encodes as a zero mark (the reset repair writes).
pub fn encode_durable_mark(mark: Option<LogPosition>) -> [u8; DURABLE_MARK_LEN] {
    let (segment, offset) = mark.unwrap_or((0, 0));
    let mut out = [0u8; DURABLE_MARK_LEN];
    out[..8].copy_from_slice(&segment.to_le_bytes());
    out[8..16].copy_from_slice(&offset.to_le_bytes());
    let crc = crc32(&out[..16]);
    out[16..].copy_from_slice(&crc.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_lock_file_reads_as_generation_0_and_no_mark() {
        assert_eq!(decode_generation(&[]), 0);
        assert_eq!(decode_generation(&[1, 2, 3]), 0);
        let v1 = 7u64.to_le_bytes();
        assert_eq!(
            (decode_generation(&v1), decode_durable_mark(&v1)),
            (7, None)
        );
    }

    #[test]
    fn the_durable_mark_round_trips_after_the_generation() {
        let mut bytes = 9u64.to_le_bytes().to_vec();
        bytes.extend(encode_durable_mark(Some((3, 4096))));
        assert_eq!(bytes.len(), LOCK_FILE_LEN);
        assert_eq!(decode_generation(&bytes), 9);
        assert_eq!(decode_durable_mark(&bytes), Some((3, 4096)));
        bytes[DURABLE_MARK_OFFSET..].copy_from_slice(&encode_durable_mark(None));
        assert_eq!(decode_durable_mark(&bytes), None);
    }

    /// A power cut during the (unsynced) write of a new mark can keep its first bytes over
    /// the old mark's last ones: a position nobody wrote, possibly ahead of what was synced.
    #[test]
    fn a_torn_write_of_the_mark_reads_as_no_mark() {
        let mut old = 9u64.to_le_bytes().to_vec();
        old.extend(encode_durable_mark(Some((0, 715))));
        let new = encode_durable_mark(Some((1, 579)));
        for kept in 1..DURABLE_MARK_LEN {
            let mut torn = old.clone();
            torn[DURABLE_MARK_OFFSET..DURABLE_MARK_OFFSET + kept].copy_from_slice(&new[..kept]);
            let read = decode_durable_mark(&torn);
            assert!(
                read.is_none() || read == Some((0, 715)),
                "{kept} bytes of the new mark kept: read {read:?}"
            );
        }
        let mut whole = old.clone();
        whole[DURABLE_MARK_OFFSET..].copy_from_slice(&new);
        assert_eq!(decode_durable_mark(&whole), Some((1, 579)));
    }
}
