//! The `log/tree/` sidecar (FORMAT.md, *The tree sidecar*): tiles of tree hashes, read when
//! they are there and right, computed from the records and written when they are not; and
//! the writer's upkeep, which adds the full tiles each committed checkpoint completes.
//!
//! The sidecar is a cache, never evidence: every proof built from it is checked against the
//! log's own root before it is used, and a proof that fails that check is built again from
//! the records. Writing a tile is a derived cache write (a temporary file renamed into
//! place, not synced), never a change to the store's history; a sidecar that cannot be
//! written (a read-only folder, a full disk) is kept in memory for the operation only.

use super::{Error, Log, Result};
use crate::format::leaf::record_leaf;
use crate::format::tile::{self, TileId, TILE_HEIGHT, TILE_WIDTH};
use crate::io::{Io, IoError, IoResult, OpenMode};
use crate::merkle::{self, Hash, NodeSource};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

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
    /// Folders of the sidecar known to exist (so that each is looked for once).
    folders: HashSet<PathBuf>,
    pub(crate) report: SidecarReport,
}

/// Consecutive leaf hashes from leaf index `start` on: leaf `start + i` is `hashes[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KnownLeaves {
    pub(crate) start: u64,
    pub(crate) hashes: Vec<Hash>,
}

impl KnownLeaves {
    /// The leaves `first .. first + count`, if all are known.
    fn get(&self, first: u64, count: u64) -> Option<&[Hash]> {
        let from = usize::try_from(first.checked_sub(self.start)?).ok()?;
        let to = from.checked_add(usize::try_from(count).ok()?)?;
        self.hashes.get(from..to)
    }
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
            folders: HashSet::new(),
            report: SidecarReport::default(),
        }
    }

    /// The size of the tree whose tiles it reads.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The hash of the perfect subtree at `height` and `index`, which must lie in the tree.
    fn node(&mut self, height: u32, index: u64) -> Result<Hash> {
        let (level, tile_index, range) = tile::node_location(height, index);
        if !self.cache.contains_key(&(level, tile_index)) {
            let hashes = self.load(level, tile_index)?;
            self.cache.insert((level, tile_index), hashes);
        }
        let hashes = &self.cache[&(level, tile_index)];
        Ok(merkle::root_of(&hashes[range]))
    }

    /// The nodes a proof asks for, fetched, as a source to build the proof again from.
    pub(crate) fn fetch(&mut self, wanted: Recorder) -> Result<Fetched> {
        let mut nodes = HashMap::new();
        for (height, index) in wanted.0.into_inner() {
            if let std::collections::hash_map::Entry::Vacant(slot) = nodes.entry((height, index)) {
                slot.insert(self.node(height, index)?);
            }
        }
        Ok(Fetched(nodes))
    }

    /// The tile at `level` and `index` of the tree: read, or computed and written.
    fn load(&mut self, level: u32, index: u64) -> Result<Vec<Hash>> {
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
    fn leaves(&self, id: &TileId) -> Result<Vec<Hash>> {
        let first = id.index * TILE_WIDTH + crate::format::FIRST_SEQ;
        // A sealed segment opened without checking has no index yet: index it once, so that
        // every tile of it seeks instead of scanning from the segment's start.
        self.log.ensure_indexed(first)?;
        let mut hashes = Vec::with_capacity(id.width as usize);
        let mut iter = self.log.iter_from(first);
        while (hashes.len() as u64) < id.width {
            let record = match iter.next_ref() {
                Some(record) => record?,
                // The tree's size is at most the log's: the log was cut under this reader.
                None => {
                    return Err(Error::SeqOutOfRange {
                        seq: first + hashes.len() as u64,
                        first: crate::format::FIRST_SEQ,
                        last: self.log.last_seq(),
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
        let written = write_tile(&self.io, &self.dir, id, hashes, &mut self.folders);
        self.report.note_write(&self.io, &self.dir, id, written);
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

/// The full tiles a committed checkpoint completes, for the writer to add to the sidecar
/// (FORMAT.md, *The tree sidecar*, "Who writes it").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TileUpkeep {
    /// The size of the tree whose full tiles were added before (by the upkeep of the
    /// checkpoint before): tiles complete in a tree of this size are not looked at.
    pub(crate) from: u64,
    /// The size of the tree the checkpoint commits to.
    pub(crate) to: u64,
    /// The leaf hashes the writer computed as it appended, from the start of the level-0 tile
    /// that holds leaf `from` on (when it has them).
    pub(crate) known: KnownLeaves,
}

/// The records whose leaves an upkeep lacks: those from the start of the level-0 tile that
/// holds its first leaf up to the first leaf the writer knows. A handle's first write starts
/// from the last checkpoint, in the middle of a tile, and leaves them to the upkeep thread,
/// which hashes them only when that tile is complete.
pub(crate) struct MissingLeaves {
    /// The records from (at or before) the first missing one, as the log was at the commit.
    records: super::reader::LogIter,
    /// The leaf index of the first missing leaf (a multiple of 256).
    first: u64,
}

impl MissingLeaves {
    /// Puts the missing leaves before `known`; leaves it as it is if a record cannot be read
    /// (the tile is then left to the proofs).
    fn fill(self, known: &mut KnownLeaves) {
        let count = known.start - self.first;
        let first_seq = self.first + crate::format::FIRST_SEQ;
        if let Some(mut leaves) = super::tree::leaves_of_records(self.records, first_seq, count) {
            leaves.append(&mut known.hashes);
            *known = KnownLeaves {
                start: self.first,
                hashes: leaves,
            };
        }
    }
}

/// What the upkeep thread is asked to do.
enum UpkeepJob {
    Write(TileUpkeep, Option<MissingLeaves>),
    /// Answer once every job sent before is done.
    Flush(mpsc::Sender<()>),
}

/// The thread that writes a log handle's sidecar upkeep, off the append path: started at the
/// first job, stopped (after the jobs sent) when the handle is dropped.
#[derive(Debug, Default)]
pub(crate) struct UpkeepThread {
    jobs: Option<mpsc::Sender<UpkeepJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl UpkeepThread {
    fn send(&mut self, io: &Io, dir: &Path, job: UpkeepJob) {
        if self.jobs.is_none() {
            let (jobs, queue) = mpsc::channel();
            let (io, dir) = (io.clone(), dir.to_path_buf());
            let thread = std::thread::Builder::new()
                .name("strata-tile-upkeep".into())
                .spawn(move || {
                    for job in queue {
                        match job {
                            UpkeepJob::Write(mut job, missing) => {
                                if let Some(missing) = missing {
                                    missing.fill(&mut job.known);
                                }
                                drop(write_upkeep(&io, &dir, job));
                            }
                            UpkeepJob::Flush(done) => drop(done.send(())),
                        }
                    }
                });
            // A thread that cannot start leaves the tiles to the proofs.
            let Ok(thread) = thread else { return };
            self.jobs = Some(jobs);
            self.thread = Some(thread);
        }
        if let Some(jobs) = &self.jobs {
            // The thread ends only when `jobs` is dropped, so a send fails only if it
            // panicked: the tiles are then left to the proofs.
            let _ = jobs.send(job);
        }
    }
}

impl Drop for UpkeepThread {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Log {
    /// Hands the sidecar upkeep of a committed checkpoint to this handle's upkeep thread
    /// (see [`write_upkeep`]); nothing under `tile_upkeep: false`. Called by a writer after
    /// the records the checkpoint covers are committed.
    pub(crate) fn upkeep_tiles(&self, job: TileUpkeep) {
        if !self.options.tile_upkeep || job.from >= job.to {
            return;
        }
        let missing = self.missing_leaves(&job);
        let dir = self.paths.tree_dir();
        let mut thread = self.upkeep.lock().unwrap_or_else(|e| e.into_inner());
        thread.send(&self.options.io, &dir, UpkeepJob::Write(job, missing));
    }

    /// The records whose leaves `job` lacks for the first level-0 tile it completes, if it
    /// completes one and the writer's leaves start after that tile's start, within the
    /// segment of the first leaf it has (a tile that straddles a segment boundary is left to
    /// the proofs: an earlier segment may not be indexed, after a tail-only open).
    fn missing_leaves(&self, job: &TileUpkeep) -> Option<MissingLeaves> {
        let first = job.from / TILE_WIDTH * TILE_WIDTH;
        let completes_a_tile = job.from / TILE_WIDTH < job.to / TILE_WIDTH;
        let lacks_its_start = !job.known.hashes.is_empty() && job.known.start > first;
        if !(completes_a_tile && lacks_its_start && job.known.start < first + TILE_WIDTH) {
            return None;
        }
        let first_seq = first + crate::format::FIRST_SEQ;
        let known_seq = job.known.start + crate::format::FIRST_SEQ;
        let segment_base = {
            let view = self.read_view();
            view.segments
                .iter()
                .rev()
                .find(|s| s.header.base_seq <= known_seq)
                .map_or(crate::format::FIRST_SEQ, |s| s.header.base_seq)
        };
        (segment_base <= first_seq).then(|| MissingLeaves {
            records: self.iter_from(first_seq),
            first,
        })
    }

    /// Waits until the sidecar tiles of every checkpoint this handle committed are written
    /// (or were found unwritable): a writer adds them on a thread of its own, after the
    /// commit. Returns at once if there is nothing to wait for.
    pub fn flush_tile_upkeep(&self) {
        let (done, wait) = mpsc::channel();
        {
            let mut thread = self.upkeep.lock().unwrap_or_else(|e| e.into_inner());
            if thread.jobs.is_none() {
                return;
            }
            thread.send(
                &self.options.io,
                &self.paths.tree_dir(),
                UpkeepJob::Flush(done),
            );
        }
        let _ = wait.recv();
    }
}

/// Adds to the sidecar in `dir` every full tile of the tree of `job.to` leaves that the tree
/// of `job.from` leaves lacks, at every level: at level 0 from the leaves the writer knew
/// (a tile whose leaves it did not know is left to the proofs), above from the roots of the
/// tiles below (written now, or read from their files; a tile with a child missing is left
/// to the proofs). Best effort: what failed is in the report, never an error of the write.
fn write_upkeep(io: &Io, dir: &Path, job: TileUpkeep) -> SidecarReport {
    let mut writer = TileWriter {
        io,
        dir,
        folders: HashSet::new(),
        report: SidecarReport::default(),
    };
    // The roots of the tiles this upkeep has, for the level above.
    let mut roots: HashMap<(u32, u64), Hash> = HashMap::new();
    for level in 0..=tile::MAX_TILE_LEVEL {
        let shift = TILE_HEIGHT * (level + 1);
        if shift >= 64 {
            break;
        }
        let (first, end) = (job.from >> shift, job.to >> shift);
        // A level with no new full tile has none above it either.
        if first >= end {
            break;
        }
        for index in first..end {
            let hashes = if level == 0 {
                job.known
                    .get(index * TILE_WIDTH, TILE_WIDTH)
                    .map(<[Hash]>::to_vec)
            } else {
                writer.children(level, index, &roots)
            };
            let Some(hashes) = hashes else { continue };
            roots.insert((level, index), merkle::root_of(&hashes));
            writer.write_new(level, index, &hashes);
            if writer.report.unwritable.is_some() {
                return writer.report;
            }
        }
    }
    writer.report
}

/// Writes the upkeep's full tiles.
struct TileWriter<'a> {
    io: &'a Io,
    dir: &'a Path,
    /// Folders known to exist (so that each is looked for once).
    folders: HashSet<PathBuf>,
    report: SidecarReport,
}

impl TileWriter<'_> {
    /// The hashes of the full tile at `level` > 0 and `index`: the roots of its 256 children,
    /// from `roots` or from their files; `None` if one is in neither.
    fn children(
        &mut self,
        level: u32,
        index: u64,
        roots: &HashMap<(u32, u64), Hash>,
    ) -> Option<Vec<Hash>> {
        let mut hashes = Vec::with_capacity(TILE_WIDTH as usize);
        for j in index * TILE_WIDTH..(index + 1) * TILE_WIDTH {
            let root = match roots.get(&(level - 1, j)) {
                Some(root) => *root,
                None => {
                    let id = TileId {
                        level: level - 1,
                        index: j,
                        width: TILE_WIDTH,
                    };
                    let bytes = self.io.read(&self.dir.join(id.path())).ok()?;
                    self.report.tiles_read += 1;
                    merkle::root_of(&tile::decode_tile(&id, &bytes).ok()?)
                }
            };
            hashes.push(root);
        }
        Some(hashes)
    }

    /// Writes a full tile: created in place, never replacing a file (one there was written by
    /// a proof; if it is wrong, a proof's check finds it). A proof that reads the file while
    /// it is being written finds it short, and ignores it.
    fn write_new(&mut self, level: u32, index: u64, hashes: &[Hash]) {
        let id = TileId {
            level,
            index,
            width: TILE_WIDTH,
        };
        let path = self.dir.join(id.path());
        let created = ensure_folder(self.io, &path, &mut self.folders)
            .and_then(|()| self.io.open(&path, OpenMode::CreateNew));
        self.report.tiles_computed += 1;
        let written = match created {
            Ok(file) => file.write_all_at(&tile::encode_tile(hashes), 0),
            Err(e) if e.source.kind() == std::io::ErrorKind::AlreadyExists => return,
            Err(e) => Err(e),
        };
        self.report.note_write(self.io, self.dir, &id, written);
    }
}

impl SidecarReport {
    /// Counts a tile write: once the tile is written, its other partial versions are removed
    /// (a failure to remove one is a warning); a failed write is noted and stops the
    /// operation's further writes.
    fn note_write(&mut self, io: &Io, dir: &Path, id: &TileId, written: IoResult<()>) {
        match written {
            Ok(()) => {
                self.tiles_written += 1;
                let removals = remove_other_partials(io, &dir.join(id.partial_dir()), id);
                self.warnings
                    .extend(removals.into_iter().map(|e| e.to_string()));
            }
            Err(e) => {
                self.warnings.push(e.to_string());
                self.unwritable = Some(e.to_string());
            }
        }
    }
}

/// Makes sure the folder of the tile file at `path` exists, each folder looked for once per
/// operation (`folders` holds those known to exist).
fn ensure_folder(io: &Io, path: &Path, folders: &mut HashSet<PathBuf>) -> IoResult<()> {
    let folder = crate::paths::parent(path);
    if !folders.contains(folder) {
        io.ensure_dir_durably(folder)?;
        folders.insert(folder.to_path_buf());
    }
    Ok(())
}

/// Writes one tile file: a temporary file beside it, renamed into place, not synced (a tile
/// torn by a crash has the wrong length or wrong hashes, and is found and rewritten). A full
/// tile replaces its partial versions, and a partial tile the narrower ones: they are removed.
fn write_tile(
    io: &Io,
    dir: &Path,
    id: &TileId,
    hashes: &[Hash],
    folders: &mut HashSet<PathBuf>,
) -> IoResult<()> {
    let path = dir.join(id.path());
    ensure_folder(io, &path, folders)?;
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
