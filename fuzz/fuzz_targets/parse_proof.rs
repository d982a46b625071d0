//! Parses arbitrary bytes as an inclusion proof file (C2SP tlog-proof@v1) and as a
//! consistency proof file (tlog-witness add-checkpoint body), and verifies them.
//!
//! Oracle: never panics; a parsed file re-encodes to exactly its bytes; a proof file that
//! verifies (unsigned checkpoints allowed) has an index below its checkpoint's size, at most
//! 64 hashes, and exactly the hashes RFC 9162 wants for them.
//!
//! Run from `fuzz/`: `mkdir -p corpus/parse_proof && cargo +nightly fuzz run parse_proof corpus/parse_proof -- -max_total_time=60`

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata::note::{ConsistencyFile, ProofFile};

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = ProofFile::parse(data) {
        assert_eq!(proof.encode().as_bytes(), data);
        let origin = proof.checkpoint.origin.clone();
        if strata::audit::verify_proof(data, &[], &origin, true).is_ok() {
            assert!(proof.index < proof.checkpoint.size);
            assert!(proof.proof.len() <= 64);
            assert_eq!(
                proof.proof.len(),
                strata::merkle::inclusion_proof_len(proof.index, proof.checkpoint.size)
            );
        }
    }
    if let Ok(file) = ConsistencyFile::parse(data) {
        assert_eq!(file.encode().as_bytes(), data);
        assert!(file.proof.len() <= 63);
    }
});
