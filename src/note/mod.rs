//! The text formats of tamper evidence, bit-exact with C2SP: signed notes and their
//! verifier keys (`c2sp.org/signed-note`), checkpoints (`c2sp.org/tlog-checkpoint`),
//! inclusion proofs (`c2sp.org/tlog-proof@v1`) and consistency proofs (the body of
//! `c2sp.org/tlog-witness`'s `add-checkpoint`). Pure functions over text: no IO.
//!
//! Every parser is strict: valid UTF-8, no control character but the newline, decimal
//! numbers without leading zeros, canonical base64 (so a parsed value re-encodes to exactly
//! the bytes it came from), and a limit on sizes.

mod checkpoint;
mod key;
mod proof;
mod signed;

pub use checkpoint::{origin_for_store, Checkpoint};
pub use key::{key_id, SigningKey, VerifierKey, ED25519};
pub use proof::{ConsistencyFile, ProofFile, PROOF_HEADER};
pub use signed::{Signature, SignedNote, MAX_NOTE_BYTES, MAX_SIGNATURES};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// A text that is not what the format says, with the line (1-based) where it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} (line {line})")]
pub struct NoteError {
    /// The line of the text where the problem is (1-based; 0 for the text as a whole).
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

pub(crate) fn error(line: usize, what: impl Into<String>) -> NoteError {
    NoteError {
        line,
        what: what.into(),
    }
}

/// A signed note's key id from its four bytes. C2SP stores key ids big-endian (the one
/// big-endian field strata reads or writes; everything of its own is little-endian).
#[allow(clippy::big_endian_bytes)]
pub(crate) fn key_id_from_bytes(bytes: [u8; 4]) -> u32 {
    u32::from_be_bytes(bytes)
}

/// A key id's four bytes, big-endian as C2SP writes them (see [`key_id_from_bytes`]).
#[allow(clippy::big_endian_bytes)]
pub(crate) fn key_id_to_bytes(id: u32) -> [u8; 4] {
    id.to_be_bytes()
}

/// Standard base64 with padding (RFC 4648 §4), as every C2SP format writes it.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes canonical standard base64: padding present, no trailing bits, nothing that
/// encodes back to other text.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(text).ok()?;
    (STANDARD.encode(&bytes) == text).then_some(bytes)
}

/// A 32-byte hash in base64 (exactly 44 characters).
pub(crate) fn decode_hash(text: &str, line: usize) -> Result<[u8; 32], NoteError> {
    b64_decode(text)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            error(
                line,
                format!("{text:?} is not the base64 of a 32-byte hash"),
            )
        })
}

/// A decimal `u64` with no sign and no leading zero (unless it is `0`).
pub(crate) fn decode_decimal(text: &str, line: usize) -> Result<u64, NoteError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            error(
                line,
                format!("{text:?} is not a decimal number without leading zeros"),
            )
        })
}

/// Checks what every note-like text must be: UTF-8 with no control character but `\n`.
pub(crate) fn check_text(bytes: &[u8]) -> Result<&str, NoteError> {
    if bytes.len() > MAX_NOTE_BYTES * 4 {
        return Err(error(
            0,
            format!("the text is longer than {} bytes", MAX_NOTE_BYTES * 4),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        error(line, "the text is not UTF-8")
    })?;
    for (i, line) in text.split('\n').enumerate() {
        if line.chars().any(|c| c.is_control()) {
            return Err(error(i + 1, "a control character other than a newline"));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
