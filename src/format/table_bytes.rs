//! The `table_bytes` record (type `0x0101`): a small table's bytes inside the log, named by
//! their SHA-256 (FORMAT.md, "Table bytes records").
//!
//! Body: version `u8` (1) ‖ content hash `[32]` ‖ byte length `u64` ‖ the bytes. The first
//! [`TABLE_BYTES_HEAD_LEN`] bytes (the *head*) say what the record holds; replay reads only
//! them, and a reader of the table checks the bytes against the hash.

use super::{RecordType, MAX_BODY_LEN};
use crate::digest::Hasher;

/// The record type of a `table_bytes` record.
pub const TABLE_BYTES: RecordType = RecordType(0x0101);

/// The version byte of a `table_bytes` body this build writes and reads.
pub const TABLE_BYTES_VERSION: u8 = 1;

/// Bytes before the table's bytes: version (1), content hash (32), byte length (8).
pub const TABLE_BYTES_HEAD_LEN: usize = 41;

/// The largest table a `table_bytes` record can hold: the largest record body less the head.
pub const MAX_INLINE_TABLE_LEN: u64 = MAX_BODY_LEN as u64 - TABLE_BYTES_HEAD_LEN as u64;

/// What a `table_bytes` record holds: the SHA-256 of the table's bytes and their length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableBytesHead {
    /// SHA-256 of the bytes.
    pub hash: [u8; 32],
    /// Number of bytes.
    pub len: u64,
}

/// Why a `table_bytes` body is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableBytesDefect {
    /// Shorter than the head.
    #[error("the body holds {0} bytes, fewer than the 41 of a table_bytes head")]
    Short(usize),
    /// A version this build does not know.
    #[error("table_bytes version {0} is not one this build reads (it reads version 1)")]
    Version(u8),
    /// The length field disagrees with the bytes present.
    #[error("the head says {said} bytes of table but the body holds {found}")]
    Length {
        /// The length field.
        said: u64,
        /// Bytes after the head.
        found: u64,
    },
    /// The bytes do not hash to the head's hash.
    #[error("the table's bytes do not hash to the SHA-256 the record names")]
    HashMismatch,
}

/// Encodes a `table_bytes` body for `bytes`, whose SHA-256 is `hash`.
pub fn encode_table_bytes(hash: &[u8; 32], bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(TABLE_BYTES_HEAD_LEN + bytes.len());
    body.push(TABLE_BYTES_VERSION);
    body.extend_from_slice(hash);
    body.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    body.extend_from_slice(bytes);
    body
}

/// Decodes the head of a `table_bytes` body, checking its version and that the length field
/// matches the bytes present (not the hash: that needs every byte, see
/// [`decode_table_bytes`]).
pub fn decode_table_bytes_head(body: &[u8]) -> Result<TableBytesHead, TableBytesDefect> {
    if body.len() < TABLE_BYTES_HEAD_LEN {
        return Err(TableBytesDefect::Short(body.len()));
    }
    if body[0] != TABLE_BYTES_VERSION {
        return Err(TableBytesDefect::Version(body[0]));
    }
    let hash: [u8; 32] = body[1..33].try_into().expect("32 bytes");
    let len = u64::from_le_bytes(body[33..41].try_into().expect("8 bytes"));
    let found = (body.len() - TABLE_BYTES_HEAD_LEN) as u64;
    if len != found {
        return Err(TableBytesDefect::Length { said: len, found });
    }
    Ok(TableBytesHead { hash, len })
}

/// Decodes a whole `table_bytes` body: its head, and its bytes once they hash to the head's
/// SHA-256.
pub fn decode_table_bytes(body: &[u8]) -> Result<(TableBytesHead, &[u8]), TableBytesDefect> {
    let head = decode_table_bytes_head(body)?;
    let bytes = &body[TABLE_BYTES_HEAD_LEN..];
    let mut hasher = Hasher::new();
    hasher.update(bytes);
    if hasher.finish().0 != head.hash {
        return Err(TableBytesDefect::HashMismatch);
    }
    Ok((head, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> [u8; 32] {
        let mut hasher = Hasher::new();
        hasher.update(bytes);
        hasher.finish().0
    }

    #[test]
    fn a_body_round_trips_and_its_head_is_the_first_41_bytes() {
        let bytes = b"a,b\n1,2\n";
        let body = encode_table_bytes(&sha(bytes), bytes);
        assert_eq!(body.len(), TABLE_BYTES_HEAD_LEN + bytes.len());
        let (head, back) = decode_table_bytes(&body).unwrap();
        assert_eq!((head.hash, head.len, back), (sha(bytes), 8, &bytes[..]));
        assert_eq!(
            decode_table_bytes_head(&body[..]).unwrap(),
            head,
            "the head decodes alone"
        );
    }

    #[test]
    fn a_wrong_version_length_or_hash_is_refused() {
        let bytes = b"x\n1\n";
        let body = encode_table_bytes(&sha(bytes), bytes);
        let mut versioned = body.clone();
        versioned[0] = 2;
        assert_eq!(
            decode_table_bytes_head(&versioned),
            Err(TableBytesDefect::Version(2))
        );
        assert_eq!(
            decode_table_bytes_head(&body[..body.len() - 1]),
            Err(TableBytesDefect::Length { said: 4, found: 3 })
        );
        assert_eq!(
            decode_table_bytes_head(&body[..40]),
            Err(TableBytesDefect::Short(40))
        );
        let mut flipped = body.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(decode_table_bytes_head(&flipped).is_ok(), "the head holds");
        assert_eq!(
            decode_table_bytes(&flipped),
            Err(TableBytesDefect::HashMismatch)
        );
    }
}
