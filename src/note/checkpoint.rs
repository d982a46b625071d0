//! Checkpoints (`c2sp.org/tlog-checkpoint`): the note text `<origin>\n<size>\n<base64
//! root>\n`, signed or not. strata writes no extension lines and reads none.

use super::{b64, check_text, decode_decimal, decode_hash, error, NoteError, SignedNote};
use crate::merkle::Hash;

/// The origin of a store's checkpoints: `strata/<store uuid>` (unique per store, so a
/// checkpoint or proof of another store is refused by a verifier that pins the origin).
pub fn origin_for_store(uuid: &uuid::Uuid) -> String {
    format!("strata/{}", uuid.hyphenated())
}

/// A checkpoint: the tree's origin, size and root, and the note it came in (or will go out
/// in), whose signatures it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root of those leaves.
    pub root: Hash,
    /// The note: its text is exactly [`Checkpoint::text`], and its signatures.
    pub note: SignedNote,
}

impl Checkpoint {
    /// An unsigned checkpoint.
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            note: SignedNote::unsigned(Checkpoint::text_of(origin, size, &root)),
        }
    }

    /// The checkpoint's note text.
    pub fn text_of(origin: &str, size: u64, root: &Hash) -> String {
        format!("{origin}\n{size}\n{}\n", b64(root))
    }

    /// The note text.
    pub fn text(&self) -> &str {
        &self.note.text
    }

    /// The checkpoint's bytes: the note, signed or not.
    pub fn encode(&self) -> String {
        self.note.encode()
    }

    /// Parses a checkpoint: a signed note, or (when it has no blank line) the unsigned text.
    pub fn parse(bytes: &[u8]) -> Result<Checkpoint, NoteError> {
        let text = check_text(bytes)?;
        let note = if text.contains("\n\n") {
            SignedNote::parse(bytes)?
        } else {
            SignedNote::unsigned_checked(text)?
        };
        let lines: Vec<&str> = note
            .text
            .strip_suffix('\n')
            .unwrap_or("")
            .split('\n')
            .collect();
        let [origin, size, root] = lines[..] else {
            return Err(error(
                lines.len().min(4),
                "a checkpoint's text is three lines (origin, size, root); strata reads no extension lines",
            ));
        };
        if origin.is_empty() {
            return Err(error(1, "the origin is empty"));
        }
        let size = decode_decimal(size, 2)?;
        let root = decode_hash(root, 3)?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            note,
        })
    }
}

impl SignedNote {
    fn unsigned_checked(text: &str) -> Result<SignedNote, NoteError> {
        if !text.ends_with('\n') {
            return Err(error(text.lines().count(), "a note ends with a newline"));
        }
        Ok(SignedNote::unsigned(text.to_owned()))
    }
}
