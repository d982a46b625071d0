//! The tiles of the `log/tree/` sidecar (FORMAT.md, *The tree sidecar*): C2SP tlog-tiles hash
//! tiles, their paths and their bytes. Pure: no IO.
//!
//! A tile at level `L` and index `N` holds up to 256 consecutive hashes of the tree at height
//! `8 * L`: hash `i` is the root of the leaves `(N * 256 + i) * 256^L ..
//! (N * 256 + i + 1) * 256^L`. A tile of 256 hashes is full; the rightmost tiles of a tree
//! are partial (1 to 255 hashes) and are named with their width.

use crate::merkle::Hash;
use std::fmt;

/// Tree levels one tile spans (tlog-tiles' tile height).
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Bytes of one hash in a tile.
pub const TILE_HASH_LEN: usize = 32;
/// Bytes of a full tile: 256 hashes.
pub const FULL_TILE_LEN: usize = TILE_WIDTH as usize * TILE_HASH_LEN;
/// The highest tile level a tree of at most `u64::MAX` leaves has (its root lies in it).
pub const MAX_TILE_LEVEL: u32 = 63 / TILE_HEIGHT;

/// One tile of a tree: its level, its index within the level, and its width (1 to 256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// The tile level (tree height `8 * level`).
    pub level: u32,
    /// The tile's index within its level.
    pub index: u64,
    /// How many hashes it holds: 256 for a full tile, 1 to 255 for a partial one.
    pub width: u64,
}

impl TileId {
    /// Whether it holds 256 hashes.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The tlog-tiles path of the tile relative to `log/tree/`: `tile/<L>/<N>` for a full
    /// tile, `tile/<L>/<N>.p/<W>` for a partial one, `<N>` in 3-digit groups, all but the
    /// last prefixed with `x` (index 1234067 is `x001/x234/067`).
    pub fn path(&self) -> String {
        let base = format!("tile/{}/{}", self.level, index_path(self.index));
        if self.is_full() {
            base
        } else {
            format!("{base}.p/{}", self.width)
        }
    }

    /// The path of the folder holding the tile's partial versions: `tile/<L>/<N>.p`.
    pub fn partial_dir(&self) -> String {
        format!("tile/{}/{}.p", self.level, index_path(self.index))
    }

    /// The number of bytes the tile's file has: 32 per hash.
    pub fn byte_len(&self) -> usize {
        self.width as usize * TILE_HASH_LEN
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// `<N>` of a tile path: the decimal index in zero-padded 3-digit groups, most significant
/// first, every group but the last prefixed with `x`.
pub fn index_path(index: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// One 3-digit group of a tile index path (`"067"` is 67), or `None` if `group` is not
/// exactly three decimal digits.
pub fn parse_index_group(group: &str) -> Option<u64> {
    if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    group.parse().ok()
}

/// The number of hashes at tile level `level` of a tree of `size` leaves: the subtrees of
/// `256^level` leaves that are complete.
pub fn hashes_at_level(level: u32, size: u64) -> u64 {
    let shift = TILE_HEIGHT * level;
    if shift >= 64 {
        0
    } else {
        size >> shift
    }
}

/// The tile at `level` and `index` as the tree of `size` leaves has it (its width), or
/// `None` if that tree has no hash in it.
pub fn tile_in_tree(level: u32, index: u64, size: u64) -> Option<TileId> {
    let hashes = hashes_at_level(level, size);
    let start = index.checked_mul(TILE_WIDTH)?;
    if start >= hashes {
        return None;
    }
    Some(TileId {
        level,
        index,
        width: (hashes - start).min(TILE_WIDTH),
    })
}

/// Every tile of the tree of `size` leaves, level by level, left to right: full tiles, then
/// the partial one of each level (if its width is not 0).
pub fn tiles_of_tree(size: u64) -> impl Iterator<Item = TileId> {
    (0..=MAX_TILE_LEVEL).flat_map(move |level| {
        let hashes = hashes_at_level(level, size);
        (0..hashes.div_ceil(TILE_WIDTH)).filter_map(move |index| tile_in_tree(level, index, size))
    })
}

/// Where the tree node at `height` (a subtree of `2^height` leaves) and `index` lies: the
/// tile holding the hashes it is the root of, and their range within the tile.
pub fn node_location(height: u32, index: u64) -> (u32, u64, std::ops::Range<usize>) {
    let level = height / TILE_HEIGHT;
    let within = height % TILE_HEIGHT;
    let first = index << within;
    let tile = first >> TILE_HEIGHT;
    let start = (first % TILE_WIDTH) as usize;
    (level, tile, start..start + (1usize << within))
}

/// Why a tile file's bytes are not a tile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileDefect {
    /// The file is not 32 bytes per hash of its width.
    #[error("{found} bytes where a tile of {width} hashes has {expected}")]
    WrongLength {
        /// The tile's width.
        width: u64,
        /// The bytes it must have.
        expected: usize,
        /// The bytes found.
        found: usize,
    },
}

/// The hashes of a tile file's bytes: valid iff exactly 32 bytes per hash of the tile's
/// width. Nothing else can be checked from the bytes alone: whether the hashes are the tree's
/// is found when a proof built from them is checked against the log's root.
pub fn decode_tile(tile: &TileId, bytes: &[u8]) -> Result<Vec<Hash>, TileDefect> {
    if bytes.len() != tile.byte_len() {
        return Err(TileDefect::WrongLength {
            width: tile.width,
            expected: tile.byte_len(),
            found: bytes.len(),
        });
    }
    Ok(bytes
        .chunks_exact(TILE_HASH_LEN)
        .map(|chunk| chunk.try_into().expect("32-byte chunks"))
        .collect())
}

/// A tile file's bytes: its hashes back to back.
pub fn encode_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_group_digits_in_threes_as_tlog_tiles_says() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(7), "007");
        assert_eq!(index_path(999), "999");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(index_path(1_234_067), "x001/x234/067");
    }

    #[test]
    fn a_tree_of_70000_leaves_has_the_tiles_the_spec_lists() {
        let tiles: Vec<TileId> = tiles_of_tree(70_000).collect();
        let full0 = tiles.iter().filter(|t| t.level == 0 && t.is_full()).count();
        assert_eq!(full0, 273);
        let partial: Vec<(u32, u64)> = tiles
            .iter()
            .filter(|t| !t.is_full())
            .map(|t| (t.level, t.width))
            .collect();
        assert_eq!(partial, vec![(0, 112), (1, 17), (2, 1)]);
        assert_eq!(
            tiles.iter().filter(|t| t.level == 1 && t.is_full()).count(),
            1
        );
        let t256: Vec<TileId> = tiles_of_tree(256).collect();
        assert_eq!(t256.len(), 2);
        assert_eq!(t256[1].path(), "tile/1/000.p/1");
    }

    #[test]
    fn a_node_lies_in_the_tile_of_its_height() {
        assert_eq!(node_location(0, 300), (0, 1, 44..45));
        assert_eq!(node_location(3, 40), (0, 1, 64..72));
        assert_eq!(node_location(8, 5), (1, 0, 5..6));
        assert_eq!(node_location(9, 200), (1, 1, 144..146));
    }
}
