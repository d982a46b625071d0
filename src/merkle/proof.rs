//! Proof generation: inclusion proofs (RFC 9162 §2.1.3.1) and consistency proofs
//! (§2.1.4.1), over any source of perfect-subtree hashes.

use super::{node_hash, split_point, Hash};

/// Where proof generation gets the hash of a perfect subtree: the subtree of `2^level`
/// leaves starting at leaf `index << level`. Every call asks for a subtree that lies
/// wholly inside the tree the proof is for.
pub trait NodeSource {
    /// The hash of the perfect subtree at `level` and `index`.
    fn perfect(&self, level: u32, index: u64) -> Hash;
}

/// Arguments no proof exists for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The tree is larger than the source holds.
    #[error("a tree of {size} leaves is larger than the {available} leaves known")]
    SizeOutOfRange {
        /// The tree size asked for.
        size: u64,
        /// The leaves the source holds.
        available: u64,
    },
    /// A consistency proof from a larger tree to a smaller one, or from the empty tree.
    #[error("no consistency proof from a tree of {old} leaves to one of {new}")]
    BadSizes {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
}

/// Every level of a tree, in memory: level 0 the leaf hashes, level `l` the hashes of the
/// perfect subtrees of `2^l` leaves (a trailing incomplete subtree has none).
#[derive(Debug, Clone)]
pub struct MemoryTree {
    /// Never empty: level 0 is always there.
    levels: Vec<Vec<Hash>>,
}

impl Default for MemoryTree {
    /// The empty tree.
    fn default() -> MemoryTree {
        MemoryTree::new(Vec::new())
    }
}

impl MemoryTree {
    /// The tree of these leaf hashes (about one node hash per leaf).
    pub fn new(leaves: Vec<Hash>) -> MemoryTree {
        let mut tree = MemoryTree {
            levels: vec![leaves],
        };
        tree.complete_levels();
        tree
    }

    /// Appends a leaf hash, keeping every level complete.
    pub fn push(&mut self, leaf: Hash) {
        self.levels[0].push(leaf);
        self.complete_levels();
    }

    fn complete_levels(&mut self) {
        let mut level = 0;
        while self.levels[level].len() >= 2 {
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            let (below, above) = self.levels.split_at_mut(level + 1);
            let (below, above) = (&below[level], &mut above[0]);
            while above.len() < below.len() / 2 {
                let i = above.len() * 2;
                above.push(node_hash(&below[i], &below[i + 1]));
            }
            level += 1;
        }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The leaf hashes.
    pub fn leaves(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        Ok(range_root(self, 0, size))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        inclusion_proof(self, index, size)
    }

    /// The consistency proof from the tree of the first `old` leaves to the first `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        consistency_proof(self, old, new)
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeOutOfRange {
                size,
                available: self.size(),
            });
        }
        Ok(())
    }
}

impl NodeSource for MemoryTree {
    fn perfect(&self, level: u32, index: u64) -> Hash {
        self.levels[level as usize][index as usize]
    }
}

/// The RFC 6962 root of the leaves `start..end`, where `start` is a multiple of a power of
/// two at least `end - start` (every range RFC 6962's recursion visits is; the whole tree,
/// `0..n`, is). The empty range has the empty root.
pub fn range_root(source: &impl NodeSource, start: u64, end: u64) -> Hash {
    let len = end - start;
    if len == 0 {
        return super::empty_root();
    }
    if len.is_power_of_two() {
        let level = len.trailing_zeros();
        return source.perfect(level, start >> level);
    }
    let k = split_point(len);
    let left = source.perfect(k.trailing_zeros(), start >> k.trailing_zeros());
    node_hash(&left, &range_root(source, start + k, end))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1,
/// PATH): the sibling hashes from the leaf's up to the root's child.
pub fn inclusion_proof(
    source: &impl NodeSource,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut path = Vec::new();
    path_in(source, index, 0, size, &mut path);
    Ok(path)
}

/// PATH(m, D[start..start+n]), appending the deepest hash first.
fn path_in(source: &impl NodeSource, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path_in(source, m, start, k, out);
        out.push(range_root(source, start + k, start + n));
    } else {
        path_in(source, m - k, start + k, n - k, out);
        out.push(range_root(source, start, start + k));
    }
}

/// The consistency proof from the tree of `old` leaves to the tree of `new` (RFC 9162
/// §2.1.4.1, PROOF). Empty when the sizes are equal; refused from the empty tree (any
/// tree extends it, and tlog-witness wants no proof there) and for `old > new`.
pub fn consistency_proof(
    source: &impl NodeSource,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, ProofError> {
    if old > new || (old == 0 && new > 0) {
        return Err(ProofError::BadSizes { old, new });
    }
    let mut proof = Vec::new();
    if old < new {
        subproof(source, old, 0, new, true, &mut proof);
    }
    Ok(proof)
}

/// SUBPROOF(m, D[start..start+n], b).
fn subproof(
    source: &impl NodeSource,
    m: u64,
    start: u64,
    n: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) {
    if m == n {
        if !complete {
            out.push(range_root(source, start, start + n));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(source, m, start, k, complete, out);
        out.push(range_root(source, start + k, start + n));
    } else {
        subproof(source, m - k, start + k, n - k, false, out);
        out.push(range_root(source, start, start + k));
    }
}
