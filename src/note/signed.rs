//! Signed notes (`c2sp.org/signed-note`): a text ending in a newline, a blank line, then
//! one or more lines `— <key name> <base64(key id ‖ signature)>`.

use super::key::valid_key_name;
use super::{b64, b64_decode, check_text, error, NoteError, SigningKey, VerifierKey};

/// The most bytes of a note strata reads (a checkpoint with a few signatures is ~200).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// The most signature lines strata reads (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The key name.
    pub name: String,
    /// The key id (the first four bytes of the line's base64, big-endian).
    pub id: u32,
    /// The signature bytes after the key id.
    pub bytes: Vec<u8>,
}

/// A note: its text (ending in a newline) and its signatures (none for an unsigned note,
/// which is the text alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The text, ending in `\n`, without the blank line that separates the signatures.
    pub text: String,
    /// The signatures, in order.
    pub signatures: Vec<Signature>,
}

/// The em dash and space that start a signature line.
const SIG_PREFIX: &str = "\u{2014} ";

impl SignedNote {
    /// An unsigned note of this text (which must end in a newline).
    pub fn unsigned(text: String) -> SignedNote {
        debug_assert!(text.ends_with('\n'));
        SignedNote {
            text,
            signatures: Vec::new(),
        }
    }

    /// Adds a signature by `key` over the text.
    pub fn sign(&mut self, key: &SigningKey) {
        self.signatures.push(Signature {
            name: key.name().to_owned(),
            id: key.id(),
            bytes: key.sign(self.text.as_bytes()).to_vec(),
        });
    }

    /// The note's bytes: the text, then (if signed) the blank line and the signatures.
    pub fn encode(&self) -> String {
        let mut out = self.text.clone();
        if !self.signatures.is_empty() {
            out.push('\n');
            for sig in &self.signatures {
                let mut bytes = super::key_id_to_bytes(sig.id).to_vec();
                bytes.extend_from_slice(&sig.bytes);
                out.push_str(&format!("{SIG_PREFIX}{} {}\n", sig.name, b64(&bytes)));
            }
        }
        out
    }

    /// Parses a signed note (at least one signature).
    pub fn parse(bytes: &[u8]) -> Result<SignedNote, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(error(
                0,
                format!("a note is at most {MAX_NOTE_BYTES} bytes"),
            ));
        }
        let text = check_text(bytes)?;
        if !text.ends_with('\n') {
            return Err(error(text.lines().count(), "a note ends with a newline"));
        }
        // The text ends at the last blank line (its own final newline included).
        let split = text
            .rfind("\n\n")
            .ok_or_else(|| error(0, "a signed note has a blank line before its signatures"))?;
        let (body, sigs) = (&text[..split + 1], &text[split + 2..]);
        let first_sig_line = body.matches('\n').count() + 2;
        if sigs.is_empty() {
            return Err(error(
                first_sig_line,
                "a signed note has at least one signature",
            ));
        }
        let mut signatures = Vec::new();
        for (i, line) in sigs
            .strip_suffix('\n')
            .unwrap_or(sigs)
            .split('\n')
            .enumerate()
        {
            if signatures.len() == MAX_SIGNATURES {
                return Err(error(
                    first_sig_line + i,
                    format!("more than {MAX_SIGNATURES} signatures"),
                ));
            }
            signatures.push(parse_signature(line, first_sig_line + i)?);
        }
        Ok(SignedNote {
            text: body.to_owned(),
            signatures,
        })
    }

    /// Checks the signatures against the trusted keys (signed-note's rules): signatures by
    /// unknown keys (name or id differ) are ignored; a signature by a known key must verify;
    /// at least one must. Returns the key whose signature verified first.
    pub fn verify<'k>(&self, trusted: &'k [VerifierKey]) -> Result<&'k VerifierKey, NoteError> {
        let mut verified = None;
        for sig in &self.signatures {
            let Some(key) = trusted
                .iter()
                .find(|k| k.name() == sig.name && k.id() == sig.id)
            else {
                continue;
            };
            if !key.verifies(self.text.as_bytes(), &sig.bytes) {
                return Err(error(
                    0,
                    format!(
                        "the signature of {}+{:08x} does not verify",
                        sig.name, sig.id
                    ),
                ));
            }
            verified.get_or_insert(key);
        }
        verified.ok_or_else(|| error(0, "no signature from a trusted key"))
    }
}

fn parse_signature(line: &str, line_no: usize) -> Result<Signature, NoteError> {
    let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
        error(
            line_no,
            "a signature line starts with an em dash and a space",
        )
    })?;
    let (name, sig) = rest
        .split_once(' ')
        .ok_or_else(|| error(line_no, "a signature line is <name> <base64>"))?;
    if !valid_key_name(name) {
        return Err(error(line_no, format!("{name:?} is not a key name")));
    }
    let bytes = b64_decode(sig)
        .filter(|b| b.len() >= 4)
        .ok_or_else(|| error(line_no, "the signature is not base64 of at least 4 bytes"))?;
    Ok(Signature {
        name: name.to_owned(),
        id: super::key_id_from_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        bytes: bytes[4..].to_vec(),
    })
}
