//! The RFC 9162 verifiers: inclusion (§2.1.3.2) and consistency (§2.1.4.2), each with an
//! exact proof-length check first, so that every hash a proof carries is one the
//! verification uses (a proof with a hash too many or too few is refused, never trimmed).

use super::{empty_root, node_hash, Hash};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for its index and sizes.
    #[error("the proof has {found} hashes; a proof for these sizes has exactly {expected}")]
    WrongLength {
        /// The number of hashes the proof must have.
        expected: usize,
        /// The number it has.
        found: usize,
    },
    /// The new tree is smaller than the old one.
    #[error("the new tree ({new} leaves) is smaller than the old one ({old})")]
    Shrunk {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// A size-0 tree whose root is not the empty tree's.
    #[error("a tree of 0 leaves must have the empty root")]
    EmptyTreeRoot,
    /// Trees of the same size with different roots.
    #[error("two trees of {size} leaves with different roots")]
    SameSizeDifferentRoots {
        /// The size.
        size: u64,
    },
    /// The proof leads to a different root than the one given.
    #[error("the proof does not lead to the {which} root")]
    RootMismatch {
        /// `"tree"` for an inclusion proof, `"old"` or `"new"` for a consistency proof.
        which: &'static str,
    },
}

/// Decomposes an inclusion proof's length for leaf `index` in a tree of `size` leaves: the
/// hashes below the point where the leaf's path and the last leaf's path meet (inner) and
/// the hashes above it (border), as transparency-dev/merkle computes them.
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    (inner, border)
}

/// The exact number of hashes in an inclusion proof of leaf `index` in a tree of `size`
/// leaves (`index < size`).
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = decompose(index, size);
    inner + border
}

/// The exact number of hashes in a consistency proof from `old` to `new` leaves
/// (`0 < old <= new`).
pub fn consistency_proof_len(old: u64, new: u64) -> usize {
    if old == new {
        return 0;
    }
    let (inner, border) = decompose(old - 1, new);
    let shift = old.trailing_zeros() as usize;
    let seed = usize::from(!old.is_power_of_two());
    seed + inner - shift + border
}

/// Verifies that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(VerifyError::WrongLength {
            expected,
            found: proof.len(),
        });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            // Unreachable after the length check; kept as the RFC states it.
            return Err(VerifyError::RootMismatch { which: "tree" });
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 || r != *root {
        return Err(VerifyError::RootMismatch { which: "tree" });
    }
    Ok(())
}

/// Verifies that the tree of `new` leaves with root `new_root` extends the tree of `old`
/// leaves with root `old_root` (RFC 9162 §2.1.4.2). Equal sizes need equal roots and an
/// empty proof; the empty old tree needs the empty root and an empty proof (tlog-witness).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), VerifyError> {
    if new < old {
        return Err(VerifyError::Shrunk { old, new });
    }
    if old == 0 {
        if *old_root != empty_root() {
            return Err(VerifyError::EmptyTreeRoot);
        }
        return expect_empty(proof);
    }
    if old == new {
        expect_empty(proof)?;
        if old_root != new_root {
            return Err(VerifyError::SameSizeDifferentRoots { size: old });
        }
        return Ok(());
    }
    let expected = consistency_proof_len(old, new);
    if proof.len() != expected {
        return Err(VerifyError::WrongLength {
            expected,
            found: proof.len(),
        });
    }
    // RFC 9162 §2.1.4.2: when `old` is a power of two, its root is the proof's first hash.
    let (seed, rest) = if old.is_power_of_two() {
        (*old_root, proof)
    } else {
        (proof[0], &proof[1..])
    };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if s_n == 0 {
            return Err(VerifyError::RootMismatch { which: "new" });
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if fr != *old_root {
        return Err(VerifyError::RootMismatch { which: "old" });
    }
    if s_n != 0 || sr != *new_root {
        return Err(VerifyError::RootMismatch { which: "new" });
    }
    Ok(())
}

fn expect_empty(proof: &[Hash]) -> Result<(), VerifyError> {
    if proof.is_empty() {
        Ok(())
    } else {
        Err(VerifyError::WrongLength {
            expected: 0,
            found: proof.len(),
        })
    }
}
