//! Known answers from the C2SP and Go specifications, round trips, and strictness.

use super::*;
use crate::merkle::{leaf_hash, MemoryTree};

const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

#[test]
fn the_signed_note_spec_example_verifies_with_its_vkey() {
    let vkey = VerifierKey::parse(SPEC_VKEY).unwrap();
    assert_eq!(vkey.to_string(), SPEC_VKEY);
    let note = SignedNote::parse(SPEC_NOTE.as_bytes()).unwrap();
    assert_eq!(note.text, "This is an example message.\n");
    assert_eq!(note.encode(), SPEC_NOTE);
    let trusted = [vkey];
    assert_eq!(note.verify(&trusted).unwrap().name(), "example.com/foo");
    // The text changed by one byte: the known key's signature fails, so the note is refused.
    let mut forged = note.clone();
    forged.text = "This is an example massage.\n".into();
    assert!(forged.verify(&trusted).is_err());
}

#[test]
fn go_sumdb_note_keys_and_signature_are_reproduced_byte_for_byte() {
    let signer = SigningKey::parse(GO_SKEY).unwrap();
    assert_eq!(signer.encode(), GO_SKEY);
    assert_eq!(signer.verifier().to_string(), GO_VKEY);
    let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    let mut note = SignedNote::unsigned(text.into());
    note.sign(&signer);
    assert_eq!(
        note.encode(),
        format!("{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
    );
    note.verify(&[VerifierKey::parse(GO_VKEY).unwrap()])
        .unwrap();
}

#[test]
fn a_mangled_vkey_is_refused() {
    // Go's TestNewVerifier: every proper substring and every byte incremented.
    let bytes = GO_VKEY.as_bytes();
    for i in 0..=bytes.len() {
        for j in i + 1..=bytes.len() {
            if (i, j) != (0, bytes.len()) {
                let part = std::str::from_utf8(&bytes[i..j]).unwrap();
                assert!(VerifierKey::parse(part).is_err(), "{part:?}");
            }
        }
    }
    for i in 0..bytes.len() {
        let mut b = bytes.to_vec();
        b[i] = b[i].wrapping_add(1);
        if let Ok(s) = std::str::from_utf8(&b) {
            assert!(VerifierKey::parse(s).is_err(), "{s:?}");
        }
    }
}

#[test]
fn signatures_of_unknown_keys_are_ignored_and_a_note_without_a_trusted_one_is_refused() {
    let ours = SigningKey::from_seed("strata/x", [7; 32]).unwrap();
    let same_name = SigningKey::from_seed("strata/x", [8; 32]).unwrap();
    let mut note = SignedNote::unsigned("strata/x\n1\nAAAA\n".into());
    note.sign(&same_name);
    let trusted = [ours.verifier()];
    // Same name, other key id: ignored, so no trusted signature.
    assert_eq!(
        note.verify(&trusted).unwrap_err().what,
        "no signature from a trusted key"
    );
    note.sign(&ours);
    assert!(note.verify(&trusted).is_ok());
    // A known key whose signature fails rejects the whole note.
    note.signatures[1].bytes[0] ^= 1;
    assert!(note
        .verify(&trusted)
        .unwrap_err()
        .what
        .contains("does not verify"));
}

#[test]
fn a_checkpoint_round_trips_and_its_text_is_the_c2sp_one() {
    let leaves: Vec<_> = (0u8..8).map(|i| leaf_hash(&[i])).collect();
    let root = MemoryTree::new(leaves).root_at(8).unwrap();
    let origin = origin_for_store(&uuid::Uuid::nil());
    assert_eq!(origin, "strata/00000000-0000-0000-0000-000000000000");
    let mut checkpoint = Checkpoint::new(&origin, 8, root);
    assert_eq!(checkpoint.text(), format!("{origin}\n8\n{}\n", b64(&root)));
    assert_eq!(
        Checkpoint::parse(checkpoint.encode().as_bytes()).unwrap(),
        checkpoint
    );
    let key = SigningKey::from_seed(&origin, [1; 32]).unwrap();
    checkpoint.note.sign(&key);
    let parsed = Checkpoint::parse(checkpoint.encode().as_bytes()).unwrap();
    assert_eq!(parsed, checkpoint);
    parsed.note.verify(&[key.verifier()]).unwrap();
}

#[test]
fn a_checkpoint_with_a_leading_zero_bad_base64_or_extra_lines_is_refused() {
    let root = b64(&[0; 32]);
    for bad in [
        format!("o\n08\n{root}\n"),
        format!("o\n-1\n{root}\n"),
        format!("o\n8\n{}\n", &root[..43]),
        format!("o\n8\n{}==\n", &root[..42]),
        format!("o\n8\n{root}\next\n"),
        format!("o\n8\n{root}"),
        format!("\n8\n{root}\n"),
        format!("o\r\n8\n{root}\n"),
        format!("o\n18446744073709551616\n{root}\n"),
        "o\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n".to_string(),
    ] {
        assert!(Checkpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
}

fn sample_proof() -> ProofFile {
    let tree = MemoryTree::new((0u8..11).map(|i| leaf_hash(&[i])).collect());
    let key = SigningKey::from_seed("strata/t", [3; 32]).unwrap();
    let mut checkpoint = Checkpoint::new("strata/t", 11, tree.root_at(11).unwrap());
    checkpoint.note.sign(&key);
    ProofFile {
        extra: Some(vec![5]),
        index: 5,
        proof: tree.inclusion_proof(5, 11).unwrap(),
        checkpoint,
    }
}

#[test]
fn proof_and_consistency_files_round_trip() {
    let proof = sample_proof();
    let text = proof.encode();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra BQ==\nindex 5\n"));
    assert_eq!(ProofFile::parse(text.as_bytes()).unwrap(), proof);
    let consistency = ConsistencyFile {
        old: 3,
        proof: vec![[9; 32], [8; 32]],
        checkpoint: proof.checkpoint.clone(),
    };
    let text = consistency.encode();
    assert!(text.starts_with("old 3\n"));
    assert_eq!(
        ConsistencyFile::parse(text.as_bytes()).unwrap(),
        consistency
    );
}

#[test]
fn a_proof_file_with_a_missing_or_misplaced_part_is_refused() {
    let text = sample_proof().encode();
    let without_header = text.replacen("c2sp.org/tlog-proof@v1\n", "", 1);
    let empty_extra = text.replacen("extra BQ==", "extra ", 1);
    let no_blank = text.replacen("\n\nstrata/t", "\nstrata/t", 1);
    let index_zero_padded = text.replacen("index 5", "index 05", 1);
    let truncated = &text[..text.len() - 1];
    for bad in [
        without_header.as_str(),
        &empty_extra,
        &no_blank,
        &index_zero_padded,
        truncated,
    ] {
        assert!(ProofFile::parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
}
