//! Hashes: the SHA-256 [`Digest`], its hex form, and the domain tags that keep the store's
//! kinds of hash apart.
//!
//! Every hash strata stores is a SHA-256 (FORMAT.md, *Hashes*):
//! - a table's content hash, which is also its blob's name, is the plain SHA-256 of its
//!   bytes (so that `sha256sum` of an exported table matches it);
//! - every other hash starts with a domain tag ([`VERSION_TAG`], [`SCHEMA_TAG`]): the tag
//!   keeps a hash of one kind from ever equalling a hash of another, and its `-v1` lets a
//!   later encoding change version. A new kind of hash gets a new tag here.
//!
//! This module sits below the log, the blob store and the schema code, which all hash.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// Domain tag of a version's hash (over its tables' display names and content hashes).
pub const VERSION_TAG: &[u8] = b"strata-version-v1\0";

/// Domain tag of a schema fingerprint (over its columns' names and types).
pub const SCHEMA_TAG: &[u8] = b"strata-schema-v1\0";

/// A SHA-256 digest: of a table's bytes, of a version's tables, or of a schema.
///
/// On disk: its 32 bytes, with no length (a fixed array in `bincode`; FORMAT.md, "Dataset
/// events" and "Snapshots"), so changing its representation is a format break.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The plain SHA-256 of `bytes` (a table's content hash).
    pub fn of(bytes: &[u8]) -> Digest {
        let mut hasher = Hasher::new();
        hasher.update(bytes);
        hasher.finish()
    }

    /// Lowercase hex, 64 digits.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 12 hex digits, for people.
    pub fn short(&self) -> String {
        self.hex()[..12].to_owned()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.short())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl From<[u8; 32]> for Digest {
    fn from(bytes: [u8; 32]) -> Digest {
        Digest(bytes)
    }
}

/// A streaming SHA-256.
#[derive(Debug, Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    /// A hasher of plain SHA-256 (for table bytes).
    pub fn new() -> Hasher {
        Hasher(Sha256::new())
    }

    /// A hasher that starts with a domain tag ([`VERSION_TAG`], [`SCHEMA_TAG`]).
    pub fn with_tag(tag: &[u8]) -> Hasher {
        let mut hasher = Hasher::new();
        hasher.update(tag);
        hasher
    }

    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added.
    pub fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

/// Lowercase hexadecimal of `bytes` (for hashes and fingerprints in names, messages and JSON).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The 32 bytes that 64 hexadecimal digits (either case) spell; `None` for any other text.
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn parse_hex32_reads_back_what_hex_writes_and_nothing_else() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(parse_hex32(&hex(&bytes)), Some(bytes));
        assert_eq!(parse_hex32(&hex(&bytes).to_uppercase()), Some(bytes));
        assert_eq!(parse_hex32(&hex(&bytes[..31])), None);
        assert_eq!(parse_hex32(&format!("{}0", hex(&bytes))), None);
        assert_eq!(parse_hex32(&"g".repeat(64)), None);
        assert_eq!(parse_hex32(&format!("é{}", &hex(&bytes)[2..])), None);
    }

    #[test]
    fn digest_of_is_plain_sha256() {
        // FIPS 180-2 test vector: SHA-256("abc").
        assert_eq!(
            Digest::of(b"abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_tagged_hash_is_the_hash_of_the_tag_then_the_bytes() {
        let mut tagged = Hasher::with_tag(SCHEMA_TAG);
        tagged.update(b"x");
        assert_eq!(tagged.finish(), Digest::of(b"strata-schema-v1\0x"));
        assert_ne!(
            Hasher::with_tag(SCHEMA_TAG).finish(),
            Hasher::with_tag(VERSION_TAG).finish()
        );
    }

    #[test]
    fn a_digest_is_encoded_as_its_32_bytes() {
        let digest = Digest([7; 32]);
        let bytes = bincode::serialize(&digest).unwrap();
        assert_eq!(bytes, [7; 32]);
        assert_eq!(bincode::deserialize::<Digest>(&bytes).unwrap(), digest);
    }
}
