//! The `log/tree/` sidecar (FORMAT.md, *The tree sidecar*): tiles of tree hashes, read when
//! they are there and right, computed from the records and written when they are not.
//!
//! The sidecar is a cache, never evidence: every proof built from it is checked against the
//! log's own root before it is used, and a proof that fails that check is built again from
//! the records. Writing a tile is a derived cache write (a temporary file renamed into
//! place, not synced), never a change to the store's history; a sidecar that cannot be
//! written (a read-only folder, a full disk) is kept in memory for the operation only.

use crate::format::leaf::record_leaf;
use crate::format::tile::{self, TileId, TILE_HEIGHT, TILE_WIDTH};
use crate::io::{Io, IoError, OpenMode};
use crate::log::Log;
use crate::merkle::{self, Hash, NodeSource};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What an operation did with the sidecar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SidecarReport {
    /// Tiles read from `log/tree/` and used.
    pub tiles_read: u64,
    /// Tiles computed (from the records, or from the tiles below), because they were
    /// missing or not tiles (a wrong length).
    pub tiles_computed: u64,
    /// Tiles written to `log/tree/`.
    pub tiles_written: u64,
    /// Why tiles were not written, if a write failed (the rest of the operation kept them
    /// in memory).
    pub unwritable: Option<String>,
    /// Every operation on a tile file that failed, other than reading a tile that is not
    /// there, each naming the file: none fails the proof, which computes what it could not
    /// read and keeps what it could not write.
    pub warnings: Vec<String>,
    /// Why the tree was rebuilt from every record, if it was: a proof built from the tiles
    /// did not check against the log's root (a damaged or stale sidecar, or a log that
    /// disagrees with its checkpoints).
    pub rebuilt: Option<String>,
}

/// Tiles of the tree of the first `size` records of a log: from `log/tree/`, or computed.
pub(crate) struct TileReader<'a> {
    log: &'a Log,
    io: Io,
    dir: PathBuf,
    size: u64,
    /// Tiles on the proof path, kept for the operation.
    cache: HashMap<(u32, u64), Vec<Hash>>,
    pub(crate) report: SidecarReport,
}

impl<'a> TileReader<'a> {
    /// A reader of the tiles of the tree of `size` leaves of `log`.
    pub(crate) fn new(log: &'a Log, size: u64) -> TileReader<'a> {
        TileReader {
            log,
            io: log.io().clone(),
            dir: log.paths().tree_dir(),
            size,
            cache: HashMap::new(),
            report: SidecarReport::default(),
        }
    }

    /// The size of the tree whose tiles it reads.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The hash of the perfect subtree at `height` and `index`, which must lie in the tree.
    fn node(&mut self, height: u32, index: u64) -> crate::Result<Hash> {
        let (level, tile_index, range) = tile::node_location(height, index);
        if !self.cache.contains_key(&(level, tile_index)) {
            let hashes = self.load(level, tile_index)?;
            self.cache.insert((level, tile_index), hashes);
        }
        let hashes = &self.cache[&(level, tile_index)];
        Ok(merkle::root_of(&hashes[range]))
    }

    /// The nodes a proof asks for, fetched, as a source to build the proof again from.
    pub(crate) fn fetch(&mut self, wanted: Recorder) -> crate::Result<Fetched> {
        let mut nodes = HashMap::new();
        for (height, index) in wanted.0.into_inner() {
            if let std::collections::hash_map::Entry::Vacant(slot) = nodes.entry((height, index)) {
                slot.insert(self.node(height, index)?);
            }
        }
        Ok(Fetched(nodes))
    }

    /// The tile at `level` and `index` of the tree: read, or computed and written.
    fn load(&mut self, level: u32, index: u64) -> crate::Result<Vec<Hash>> {
        let id = tile::tile_in_tree(level, index, self.size)
            .expect("a proof asks only for nodes inside its tree");
        if let Some(hashes) = self.read_noting(&id) {
            self.report.tiles_read += 1;
            return Ok(hashes);
        }
        let hashes = if level == 0 {
            self.leaves(&id)?
        } else {
            let mut hashes = Vec::with_capacity(id.width as usize);
            for j in 0..id.width {
                // Each hash of a tile above level 0 is the root of a full tile below.
                let below = self.load(level - 1, index * TILE_WIDTH + j)?;
                hashes.push(merkle::root_of(&below));
            }
            hashes
        };
        self.report.tiles_computed += 1;
        self.write(&id, &hashes);
        Ok(hashes)
    }

    /// The tile's hashes from its file, if the file is there and has its length.
    fn read(&self, id: &TileId) -> Result<Option<Vec<Hash>>, IoError> {
        match self.io.read(&self.dir.join(id.path())) {
            Ok(bytes) => Ok(tile::decode_tile(id, &bytes).ok()),
            Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// As [`Self::read`], a failure to read noted and taken as no tile.
    fn read_noting(&mut self, id: &TileId) -> Option<Vec<Hash>> {
        self.read(id).unwrap_or_else(|e| {
            self.report.warnings.push(e.to_string());
            None
        })
    }

    /// The leaf hashes of a level-0 tile, from its records.
    fn leaves(&self, id: &TileId) -> crate::Result<Vec<Hash>> {
        let first = id.index * TILE_WIDTH + crate::format::FIRST_SEQ;
        // A sealed segment opened without checking has no index yet: index it once, so that
        // every tile of it seeks instead of scanning from the segment's start.
        self.log.ensure_indexed(first)?;
        let mut hashes = Vec::with_capacity(id.width as usize);
        let mut iter = self.log.iter_from(first);
        while (hashes.len() as u64) < id.width {
            let record = match iter.next_ref() {
                Some(record) => record?,
                None => {
                    return Err(crate::Error::Invariant {
                        seq: Some(first + hashes.len() as u64),
                        detail: format!("the log ended before this record of tile {id}"),
                    })
                }
            };
            hashes.push(record_leaf(
                record.seq,
                record.timestamp_micros,
                record.record_type,
                record.body,
            ));
        }
        Ok(hashes)
    }

    /// Writes a tile, unless a write failed before in this operation; a failure is noted,
    /// never an error (the tile is a cache).
    pub(crate) fn write(&mut self, id: &TileId, hashes: &[Hash]) {
        if self.report.unwritable.is_some() {
            return;
        }
        match write_tile(&self.io, &self.dir, id, hashes) {
            Ok(()) => {
                self.report.tiles_written += 1;
                let removals =
                    remove_other_partials(&self.io, &self.dir.join(id.partial_dir()), id);
                self.report
                    .warnings
                    .extend(removals.into_iter().map(|e| e.to_string()));
            }
            Err(e) => {
                self.report.warnings.push(e.to_string());
                self.report.unwritable = Some(e.to_string());
            }
        }
    }

    /// Writes every tile of the tree whose file is missing or differs from `tree`.
    pub(crate) fn rewrite_from(&mut self, tree: &impl NodeSource) {
        for id in tile::tiles_of_tree(self.size) {
            let first = id.index * TILE_WIDTH;
            let hashes: Vec<Hash> = (0..id.width)
                .map(|j| tree.perfect(TILE_HEIGHT * id.level, first + j))
                .collect();
            if self.read_noting(&id).as_deref() != Some(hashes.as_slice()) {
                self.write(&id, &hashes);
            }
            if self.report.unwritable.is_some() {
                return;
            }
        }
    }
}

/// Writes one tile file: a temporary file beside it, renamed into place, not synced (a tile
/// torn by a crash has the wrong length or wrong hashes, and is found and rewritten). A full
/// tile replaces its partial versions, and a partial tile the narrower ones: they are removed.
fn write_tile(io: &Io, dir: &Path, id: &TileId, hashes: &[Hash]) -> crate::io::IoResult<()> {
    let path = dir.join(id.path());
    let folder = crate::paths::parent(&path).to_path_buf();
    io.ensure_dir_durably(&folder)?;
    let mut tmp = path.clone().into_os_string();
    tmp.push(format!(
        ".{}{}",
        uuid::Uuid::new_v4(),
        crate::paths::TMP_SUFFIX
    ));
    let tmp = PathBuf::from(tmp);
    let written = io
        .open(&tmp, OpenMode::CreateNew)
        .and_then(|file| file.write_all_at(&tile::encode_tile(hashes), 0))
        .and_then(|()| io.rename(&tmp, &path));
    if written.is_err() {
        // Best effort: a temporary file is never read, and `gc` removes it.
        let _ = io.remove_file(&tmp);
    }
    written
}

/// Removes the partial versions of a tile other than `kept` (they are only redundant: a
/// failure is returned to be noted, never an error). Temporary files are left to `gc`.
fn remove_other_partials(io: &Io, partial_dir: &Path, kept: &TileId) -> Vec<IoError> {
    let Ok(entries) = io.list_dir(partial_dir) else {
        return Vec::new();
    };
    let keep = kept.width.to_string();
    let mut failures = Vec::new();
    for entry in entries {
        let name = entry.name.to_string_lossy();
        let redundant = (kept.is_full() || name != keep.as_str())
            && !name.ends_with(crate::paths::TMP_SUFFIX)
            && entry.kind == crate::io::EntryKind::File;
        if redundant {
            match io.remove_file(&partial_dir.join(&entry.name)) {
                Err(e) if e.source.kind() != std::io::ErrorKind::NotFound => failures.push(e),
                _ => {}
            }
        }
    }
    failures
}

/// A [`NodeSource`] that notes which nodes a proof asks for. Which nodes an RFC 9162 proof
/// needs depends only on the index and the sizes, never on the hashes: a proof is built once
/// with this, its nodes fetched (which may fail, and reads files), and built again from them.
#[derive(Default)]
pub(crate) struct Recorder(RefCell<Vec<(u32, u64)>>);

impl NodeSource for Recorder {
    fn perfect(&self, level: u32, index: u64) -> Hash {
        self.0.borrow_mut().push((level, index));
        [0; 32]
    }
}

/// The nodes a [`Recorder`] noted, fetched.
pub(crate) struct Fetched(HashMap<(u32, u64), Hash>);

impl NodeSource for Fetched {
    fn perfect(&self, level: u32, index: u64) -> Hash {
        self.0[&(level, index)]
    }
}
