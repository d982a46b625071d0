//! Ed25519 keys of signed notes: key ids, verifier keys (`vkey`) and signing keys in the
//! text encodings of C2SP signed-note and Go's `golang.org/x/mod/sumdb/note`.

use super::{b64, b64_decode, error, NoteError};
use ed25519_dalek::Signer as _;
use sha2::{Digest as _, Sha256};
use std::fmt;

/// The signature type byte of Ed25519 (signed-note: `0x01`).
pub const ED25519: u8 = 0x01;

/// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`, as a big-endian `u32` (signed-note).
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(public);
    let hash = hasher.finalize();
    super::key_id_from_bytes([hash[0], hash[1], hash[2], hash[3]])
}

/// Whether `name` may name a key: non-empty, no Unicode space, no `+`.
pub(crate) fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// A verifier key: `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl VerifierKey {
    /// Parses a vkey string (surrounding whitespace, such as a file's final newline, is
    /// ignored), checking that its key id is the one its name and key give.
    pub fn parse(text: &str) -> Result<VerifierKey, NoteError> {
        let text = text.trim();
        // The key's base64 may itself hold a '+': the name and id hold none.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(error(1, "a verifier key is <name>+<key id>+<key>"));
        };
        if !valid_key_name(name) {
            return Err(error(1, format!("{name:?} is not a key name")));
        }
        let id = (id.len() == 8
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| u32::from_str_radix(id, 16).ok())
        .flatten()
        .ok_or_else(|| {
            error(
                1,
                format!("{id:?} is not a key id of 8 lowercase hex digits"),
            )
        })?;
        let bytes = b64_decode(key).ok_or_else(|| error(1, "the key is not base64"))?;
        let public: [u8; 32] = match bytes.as_slice() {
            [ED25519, rest @ ..] => rest
                .try_into()
                .map_err(|_| error(1, "an Ed25519 key has 32 bytes"))?,
            [other, ..] => {
                return Err(error(
                    1,
                    format!("signature type {other:#04x} is not Ed25519 (0x01)"),
                ))
            }
            [] => return Err(error(1, "the key is empty")),
        };
        if key_id(name, &public) != id {
            return Err(error(1, "the key id does not match the name and key"));
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(&public)
            .map_err(|_| error(1, "the key is not an Ed25519 public key"))?;
        Ok(VerifierKey {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Whether `signature` (the bytes after the key id) is this key's over `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, b64(&bytes))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// A signing key: `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ 32-byte seed)>` (the
/// encoding of Go's `sumdb/note`, so keys move between the tools).
#[derive(Clone)]
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// A signing key of this name from a 32-byte secret seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SigningKey, NoteError> {
        if !valid_key_name(name) {
            return Err(error(
                1,
                format!("{name:?} is not a key name (non-empty, no spaces, no '+')"),
            ));
        }
        Ok(SigningKey {
            name: name.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    /// Parses the text encoding (a final newline is ignored), checking the key id.
    pub fn parse(text: &str) -> Result<SigningKey, NoteError> {
        let text = text.trim();
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| error(1, "a signing key starts with PRIVATE+KEY+"))?;
        let parts: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, id, key] = parts[..] else {
            return Err(error(
                1,
                "a signing key is PRIVATE+KEY+<name>+<key id>+<key>",
            ));
        };
        let bytes = b64_decode(key).ok_or_else(|| error(1, "the key is not base64"))?;
        let seed: [u8; 32] = match bytes.as_slice() {
            [ED25519, rest @ ..] => rest
                .try_into()
                .map_err(|_| error(1, "an Ed25519 signing key has 32 bytes"))?,
            _ => return Err(error(1, "the key is not an Ed25519 signing key")),
        };
        let signing = SigningKey::from_seed(name, seed)?;
        if format!("{:08x}", signing.id()) != id {
            return Err(error(1, "the key id does not match the name and key"));
        }
        Ok(signing)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        key_id(&self.name, self.key.verifying_key().as_bytes())
    }

    /// The verifier key to give to whoever checks this key's signatures.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id(),
            key: self.key.verifying_key(),
        }
    }

    /// The text encoding (secret: the caller writes it where only its owner reads it).
    pub fn encode(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id(),
            b64(&bytes)
        )
    }

    /// The Ed25519 signature of `message` (64 bytes).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        write!(f, "SigningKey({}+{:08x})", self.name, self.id())
    }
}
