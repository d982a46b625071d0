//! The compact frontier: the roots of the perfect subtrees of a tree's binary decomposition,
//! which is all a writer needs to extend the tree and compute its root.

use super::{empty_root, node_hash, Hash, MAX_PROOF_HASHES};
use std::fmt;

/// The compact frontier of a tree of `size` leaves.
///
/// Invariant: `hashes` holds one hash per set bit of `size`, largest subtree first: the
/// hash of the perfect subtree of `2^b` leaves for each set bit `b`, from the highest bit
/// down. So it holds at most 64 hashes, and appending a leaf costs one leaf hash plus, on
/// average, one node hash.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

/// A frontier's parts that do not make a frontier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontierError {
    /// The number of hashes is not the number of set bits of the size.
    #[error("a frontier of a tree of {size} leaves has {expected} hashes, not {found}")]
    WrongCount {
        /// The tree size.
        size: u64,
        /// The number of set bits of the size.
        expected: usize,
        /// The number of hashes given.
        found: usize,
    },
    /// The tree is full: no leaf can follow leaf `u64::MAX - 1`.
    #[error("the tree is full ({size} leaves)")]
    Full {
        /// The tree size.
        size: u64,
    },
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// A frontier from its size and hashes (as a checkpoint record stores them), checking
    /// that their number is the number of set bits of the size.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Frontier, FrontierError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(FrontierError::WrongCount {
                size,
                expected,
                found: hashes.len(),
            });
        }
        Ok(Frontier { size, hashes })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree hashes, largest subtree first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf (its leaf hash).
    pub fn push(&mut self, leaf: Hash) -> Result<(), FrontierError> {
        if self.size == u64::MAX {
            return Err(FrontierError::Full { size: self.size });
        }
        // The new leaf merges with one subtree per trailing one bit of the old size: those
        // are the smallest subtrees, at the end of the list.
        let mut carry = leaf;
        for _ in 0..self.size.trailing_ones() {
            let left = self.hashes.pop().expect("one hash per set bit");
            carry = node_hash(&left, &carry);
        }
        self.hashes.push(carry);
        self.size += 1;
        debug_assert!(self.hashes.len() <= MAX_PROOF_HASHES);
        Ok(())
    }

    /// The tree's root: the subtree hashes folded from the smallest up (RFC 6962's
    /// right-leaning shape), or the empty root for an empty tree.
    pub fn root(&self) -> Hash {
        let mut hashes = self.hashes.iter().rev();
        let Some(first) = hashes.next() else {
            return empty_root();
        };
        hashes.fold(*first, |right, left| node_hash(left, &right))
    }
}

impl fmt::Debug for Frontier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Frontier(size {}, {} hashes)",
            self.size,
            self.hashes.len()
        )
    }
}
