//! Parses arbitrary bytes as a signed note (C2SP signed-note), a verifier key and a signing
//! key, and verifies the note with a fixed key.
//!
//! Oracle: never panics; a parsed note re-encodes to exactly its bytes; a parsed vkey prints
//! back to its (trimmed) text; verification never accepts a note unless a signature line
//! carries the fixed key's name and id.
//!
//! Run from `fuzz/`: `mkdir -p corpus/parse_note && cargo +nightly fuzz run parse_note corpus/parse_note -- -max_total_time=60`

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use strata::note::{SignedNote, SigningKey, VerifierKey};

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("fuzz.example/log", [5; 32]).unwrap())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = SignedNote::parse(data) {
        assert_eq!(note.encode().as_bytes(), data);
        let trusted = [key().verifier()];
        if note.verify(&trusted).is_ok() {
            assert!(note
                .signatures
                .iter()
                .any(|s| s.name == key().name() && s.id == key().id()));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(vkey) = VerifierKey::parse(text) {
            assert_eq!(vkey.to_string(), text.trim());
        }
        if let Ok(skey) = SigningKey::parse(text) {
            assert_eq!(skey.encode(), text.trim());
        }
    }
});
