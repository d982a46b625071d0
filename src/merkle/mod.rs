//! The RFC 6962 / RFC 9162 Merkle tree over the log: hashes, the compact frontier, roots,
//! inclusion and consistency proofs, and their verifiers (FORMAT.md, *The Merkle tree*).
//!
//! Everything here is bit-exact with RFC 6962 §2.1 (and so with Certificate Transparency,
//! Go's `sumdb/tlog` and transparency-dev/merkle): a leaf hash is `SHA-256(0x00 ‖ input)`, an
//! interior node `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256("")`, and a tree of
//! `n > 1` leaves splits at the largest power of two strictly less than `n`. The two prefixes
//! keep a leaf from ever being taken for a node (second-preimage resistance).
//!
//! The module knows nothing of records or files: it works on 32-byte hashes. What a leaf's
//! input is for a log record is defined in [`crate::format::leaf`].

mod frontier;
mod proof;
mod verify;

pub use frontier::{Frontier, FrontierError};
pub use proof::{
    consistency_proof, inclusion_proof, range_root, MemoryTree, NodeSource, ProofError,
};
pub use verify::{
    consistency_proof_len, inclusion_proof_len, verify_consistency, verify_inclusion, VerifyError,
};

use sha2::{Digest as _, Sha256};

/// A SHA-256 tree hash: of a leaf, of an interior node, or a root.
pub type Hash = [u8; 32];

/// The most hashes a proof or a frontier can hold: a tree of at most `u64::MAX` leaves has
/// at most 64 levels below its root.
pub const MAX_PROOF_HASHES: usize = 64;

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The hash of a leaf whose input is `input`: `SHA-256(0x00 ‖ input)`.
pub fn leaf_hash(input: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(input);
    hasher.finalize().into()
}

/// A leaf hash of an input given in parts (hashed as their concatenation), so that a
/// record's leaf input need not be copied into one buffer.
pub fn leaf_hash_parts(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two strictly less than `n` (the RFC 6962 split point); `n > 1`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The root of the tree whose leaf hashes are `leaves`, by RFC 6962's recursive definition
/// (the reference the faster code is tested against; also used on small trees).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests;
