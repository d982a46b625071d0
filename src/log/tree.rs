//! The Merkle tree over the log (FORMAT.md, *The Merkle tree*): the frontier a writer
//! continues from, and the whole tree that verification and proofs rebuild.
//!
//! A writer needs only the compact frontier at the end of the log. It finds it in the last
//! checkpoint record of the last segment (every version-2 segment after the first starts
//! with one), extended with the leaves of the records after it, so that a writer never
//! rehashes the log; only the first write to a log without checkpoints (one written by
//! version 1) hashes every record once. A handle that wrote before carries its own frontier
//! on over the records other processes appended since ([`Log::tree_extended`]), so that
//! writers taking turns hash each record once, not every record since the last checkpoint.

use super::reader::{LogIter, RecordRef};
use super::tiles::{KnownLeaves, TileUpkeep};
use super::{Log, Result};
use crate::format::leaf::{record_leaf, CheckpointBody};
use crate::format::tile::TILE_WIDTH;
use crate::format::{walk_headers, RawRecordHeader, RecordType, SEGMENT_HEADER_LEN};
use crate::merkle::{Frontier, Hash};

/// What a writer knows of the tree at the end of the log.
#[derive(Debug, Clone)]
pub(crate) struct TreeState {
    /// The frontier of every record in the log (or written by the writer so far).
    pub(crate) frontier: Frontier,
    /// Records after the last checkpoint record (the automatic policy's count).
    pub(crate) since_checkpoint: u64,
    /// The bytes of the bodies of those records (the automatic policy's other bound).
    pub(crate) bytes_since_checkpoint: u64,
    /// The last checkpoint record of the log (its seq and body), if any, as
    /// [`Log::tree_at_end`] found it (a writer does not keep it up as it appends).
    pub(crate) last_checkpoint: Option<(u64, CheckpointBody)>,
    /// The tree size of the newest checkpoint record taken in (kept up as it appends).
    checkpoint_size: Option<u64>,
    /// The sidecar tiles due once what was taken in is committed: those the checkpoint
    /// records taken in since the last [`TreeState::take_upkeep`] complete.
    upkeep: Option<(u64, u64)>,
    /// The leaf hashes of the last records taken in, for the upkeep (at most
    /// [`RECENT_LEAVES_MAX`]).
    recent: KnownLeaves,
}

/// The most leaf hashes a [`TreeState`] keeps (256 KiB): four times the records between two
/// automatic checkpoints at the default interval, so that the upkeep at a checkpoint finds
/// every leaf since the one before. Past it, the oldest half is dropped.
const RECENT_LEAVES_MAX: usize = 8192;

/// The most leaves one upkeep looks at (the tree of a level-1 tile): a checkpoint after a long
/// run without one (a version-1 log, or automatic checkpoints turned off) adds the tiles of
/// the last 65,536 leaves only, and leaves the rest to the first proof that needs them, so
/// that no commit waits on a rehash of the whole log.
const UPKEEP_SPAN_MAX: u64 = 1 << 16;

impl TreeState {
    /// The state of an empty tree.
    pub(crate) fn new() -> TreeState {
        TreeState {
            frontier: Frontier::new(),
            since_checkpoint: 0,
            bytes_since_checkpoint: 0,
            last_checkpoint: None,
            checkpoint_size: None,
            upkeep: None,
            recent: KnownLeaves::default(),
        }
    }

    /// Takes in a record the writer is about to write (its seq is the frontier's size + 1).
    pub(crate) fn push(&mut self, seq: u64, time: i64, record_type: RecordType, body: &[u8]) {
        debug_assert_eq!(seq, self.frontier.size() + 1);
        let leaf = record_leaf(seq, time, record_type, body);
        self.frontier
            .push(leaf)
            .expect("a log never holds u64::MAX records");
        self.remember(seq - 1, leaf);
        if record_type == RecordType::CHECKPOINT {
            self.since_checkpoint = 0;
            self.bytes_since_checkpoint = 0;
            // The checkpoint commits to the records before it.
            let size = seq - 1;
            let from = self
                .upkeep
                .map(|(from, _)| from)
                .or(self.checkpoint_size)
                .unwrap_or(0)
                .max(size.saturating_sub(UPKEEP_SPAN_MAX));
            self.upkeep = Some((from, size));
            self.checkpoint_size = Some(size);
        } else {
            self.since_checkpoint += 1;
            self.bytes_since_checkpoint += body.len() as u64;
        }
    }

    /// The hash of leaf `index`, if it is among the recent ones.
    fn recent_leaf(&self, index: u64) -> Option<Hash> {
        let at = index.checked_sub(self.recent.start)?;
        self.recent.hashes.get(usize::try_from(at).ok()?).copied()
    }

    /// Keeps the hash of leaf `index` among the recent ones.
    fn remember(&mut self, index: u64, leaf: Hash) {
        let recent = &mut self.recent;
        if recent.start + recent.hashes.len() as u64 != index {
            recent.start = index;
            recent.hashes.clear();
        }
        if recent.hashes.len() >= RECENT_LEAVES_MAX {
            let dropped = RECENT_LEAVES_MAX / 2;
            recent.hashes.drain(..dropped);
            recent.start += dropped as u64;
        }
        recent.hashes.push(leaf);
    }

    /// The sidecar tiles the checkpoint records taken in since the last call complete, with
    /// the leaf hashes this state knows of them; `None` if no checkpoint record was taken in.
    /// To be written once those records are committed ([`Log::upkeep_tiles`]).
    pub(crate) fn take_upkeep(&mut self) -> Option<TileUpkeep> {
        let (from, to) = self.upkeep.take()?;
        // The first level-0 tile the upkeep may compute starts at a multiple of 256.
        let first = (from / TILE_WIDTH * TILE_WIDTH).max(self.recent.start);
        let end = to.min(self.recent.start + self.recent.hashes.len() as u64);
        let known = if first < end {
            let at = (first - self.recent.start) as usize;
            KnownLeaves {
                start: first,
                hashes: self.recent.hashes[at..at + (end - first) as usize].to_vec(),
            }
        } else {
            KnownLeaves::default()
        };
        Some(TileUpkeep { from, to, known })
    }
}

/// How many of the last records [`Log::tree_at_end`] looks through for the last checkpoint
/// record before it looks through the whole last segment.
const CHECKPOINT_SEARCH_WINDOW: u64 = 4096;

impl Log {
    /// The seq of the last checkpoint record from `from` on. In a segment whose records were
    /// all checked when the view took them in (a full scan), only the record headers are
    /// read ([`walk_headers`]): the bodies' checksums were computed then, and computing them
    /// again, tens of megabytes after a run of large uploads, was most of a new handle's
    /// first write. Other segments are read through the checking iterator.
    fn last_checkpoint_from(&self, from: u64) -> Result<Option<u64>> {
        let view = self.read_view();
        let first = view
            .segments
            .partition_point(|s| s.header.base_seq <= from)
            .saturating_sub(1);
        let mut last = None;
        for segment in &view.segments[first..] {
            if !segment.checked {
                drop(view);
                return self.last_checkpoint_checking(from);
            }
            let (seq, offset) = segment
                .index
                .floor(from.max(segment.header.base_seq))
                .unwrap_or((segment.header.base_seq, SEGMENT_HEADER_LEN as u64));
            let bytes = &segment.map[..segment.end_offset as usize];
            let found = |_offset: usize, header: &RawRecordHeader| {
                if header.record_type == RecordType::CHECKPOINT && header.seq >= from {
                    last = Some(header.seq);
                }
            };
            walk_headers(bytes, offset as usize, seq, found).map_err(|e| {
                super::view::corrupt(
                    &segment.path,
                    segment.number(),
                    e.offset as u64,
                    e.seq,
                    e.defect,
                )
            })?;
        }
        Ok(last)
    }

    /// [`Log::last_checkpoint_from`] through the iterator, which checks every record.
    fn last_checkpoint_checking(&self, from: u64) -> Result<Option<u64>> {
        let mut last = None;
        let mut iter = self.iter_from(from);
        while let Some(record) = iter.next_ref() {
            let record = record?;
            if record.record_type == RecordType::CHECKPOINT {
                last = Some(record.seq);
            }
        }
        Ok(last)
    }

    /// The tree state at the end of the log as this handle sees it: from the last checkpoint
    /// record of the last segment (or of the whole log when the last segment does not start
    /// with one: segment 0, or a version-1 segment), hashing only the records after it; from
    /// the first record when the log has none (a version-1 log: a one-time hash of it all).
    pub(crate) fn tree_at_end(&self) -> Result<TreeState> {
        let (base, has_records) = {
            let view = self.read_view();
            let last = view
                .segments
                .last()
                .expect("a log has at least one segment");
            (last.header.base_seq, last.records() > 0)
        };
        let first = if has_records && self.read(base)?.record_type == RecordType::CHECKPOINT {
            base
        } else {
            crate::format::FIRST_SEQ
        };
        // Hash only from the last checkpoint record on: finding it reads record headers,
        // which costs far less than hashing every record of the segment. It is nearly always
        // among the last records (the automatic policy writes one every 1,000 by default),
        // so those are looked at first, and the whole segment only if none is there.
        let near_end = self
            .last_seq()
            .saturating_sub(CHECKPOINT_SEARCH_WINDOW)
            .max(first);
        let start = match self.last_checkpoint_from(near_end)? {
            Some(seq) => seq,
            None if near_end > first => self.last_checkpoint_from(first)?.unwrap_or(first),
            None => first,
        };
        // The leaves from the start of `start`'s level-0 tile up to it are not hashed here:
        // the upkeep that completes that tile hashes them on its own thread, if one does
        // (`Log::upkeep_tiles`), so no write waits on up to 255 records' hashes.
        let mut tree = TreeState::new();
        take_in_records(&mut tree, &mut self.iter_from(start))?;
        // The checkpoints found were committed before: their upkeep was their writer's.
        tree.upkeep = None;
        Ok(tree)
    }

    /// `tree`, the state a writer of this handle left at the end of its last write, carried
    /// on to the end of the log as this handle now sees it: the records other writers
    /// appended since are taken in, hashing only those (where [`Log::tree_at_end`] hashes
    /// every record since the last checkpoint, up to a thousand, on every write that follows
    /// another process's). `None` when the log does not hold, as its record `size`, the
    /// record whose leaf the state took in last (the state is ahead of the log, or not of
    /// this log): the caller finds the state again with [`Log::tree_at_end`].
    ///
    /// The log changes only by appends and by cuts of its tail, and every leaf commits to its
    /// seq, time, type and body, so a last leaf that still matches means that the state's
    /// records are the log's first `size` records.
    pub(crate) fn tree_extended(&self, mut tree: TreeState) -> Result<Option<TreeState>> {
        let size = tree.frontier.size();
        if size == 0 || size > self.last_seq() {
            return Ok(None);
        }
        let Some(kept) = tree.recent_leaf(size - 1) else {
            return Ok(None);
        };
        let mut iter = self.iter_from(size);
        match iter.next_ref() {
            Some(Ok(last)) if last.seq == size && leaf_of(&last) == kept => {}
            Some(Err(e)) => return Err(e),
            _ => return Ok(None),
        }
        // Only upkeep this handle's own checkpoints left is this writer's to do.
        let upkeep = tree.upkeep.take();
        take_in_records(&mut tree, &mut iter)?;
        tree.upkeep = upkeep;
        Ok(Some(tree))
    }
}

/// Takes the records `iter` yields into `tree`, each as the leaf after the tree's last. At a
/// checkpoint record the tree continues from the frontier it records: the scan checked the
/// body (and that its frontier hashes to its root); a checkpoint that disagrees with the
/// records before it is found by verify.
fn take_in_records(tree: &mut TreeState, iter: &mut LogIter) -> Result<()> {
    while let Some(record) = iter.next_ref() {
        let record = record?;
        if record.record_type == RecordType::CHECKPOINT {
            let body = decode_checkpoint(&record)?;
            tree.frontier = body.frontier();
            tree.last_checkpoint = Some((record.seq, body));
        }
        tree.push(
            record.seq,
            record.timestamp_micros,
            record.record_type,
            record.body,
        );
    }
    Ok(())
}

/// The leaf hash of `record` (FORMAT.md, *The Merkle tree*).
fn leaf_of(record: &RecordRef<'_>) -> Hash {
    record_leaf(
        record.seq,
        record.timestamp_micros,
        record.record_type,
        record.body,
    )
}

/// The body of checkpoint record `record`, or the defect that makes it corrupt, at its
/// position.
fn decode_checkpoint(record: &RecordRef<'_>) -> Result<CheckpointBody> {
    CheckpointBody::decode(record.body).map_err(|defect| {
        super::view::corrupt(
            record.segment(),
            record.segment_number,
            record.offset,
            record.seq,
            defect,
        )
    })
}

/// The leaf hashes of the `count` records from `first_seq` on that `iter` yields (it starts
/// at or before `first_seq`); `None` if it ends or fails before: then the tile they are in
/// is left to the proofs.
pub(crate) fn leaves_of_records(
    mut iter: LogIter,
    first_seq: u64,
    count: u64,
) -> Option<Vec<Hash>> {
    let mut leaves = Vec::with_capacity(usize::try_from(count).ok()?);
    while (leaves.len() as u64) < count {
        let record = iter.next_ref()?.ok()?;
        if record.seq < first_seq {
            continue;
        }
        if record.seq != first_seq + leaves.len() as u64 {
            return None;
        }
        leaves.push(leaf_of(&record));
    }
    Some(leaves)
}

/// Removes the tiles of the `log/tree/` sidecar that hold a hash of a leaf at or past index
/// `size` (after a repair cut the log to `size` records): every full tile that ends past
/// `size`, and every partial tile of such an index. Tiles of leaves before `size` stay: those
/// records are untouched. Returns what could not be removed; a tile left behind is found
/// wrong by the check of the first proof that reads it, and rewritten.
pub(crate) fn invalidate_tiles_past(
    io: &crate::io::Io,
    tree_dir: &std::path::Path,
    size: u64,
) -> Vec<crate::io::IoError> {
    use crate::format::tile::{MAX_TILE_LEVEL, TILE_HEIGHT};
    let mut failures = Vec::new();
    for level in 0..=MAX_TILE_LEVEL {
        let level_dir = tree_dir.join("tile").join(level.to_string());
        if !io.is_dir(&level_dir) {
            continue;
        }
        let shift = TILE_HEIGHT * (level + 1);
        // The first tile index of this level that holds a leaf at or past `size`.
        let first_stale = if shift >= 64 { 0 } else { size >> shift };
        remove_stale_tiles(io, &level_dir, 0, first_stale, &mut failures);
    }
    failures
}

/// Walks one level's folder (`x<3 digits>` folders, `<3 digits>` full tiles and
/// `<3 digits>.p/` folders of partial tiles), removing the tiles of index `first_stale` on.
fn remove_stale_tiles(
    io: &crate::io::Io,
    dir: &std::path::Path,
    prefix: u64,
    first_stale: u64,
    failures: &mut Vec<crate::io::IoError>,
) {
    use crate::format::tile::parse_index_group;
    use crate::io::EntryKind;
    let Ok(entries) = io.list_dir(dir) else {
        return;
    };
    for entry in entries {
        let name = entry.name.to_string_lossy().into_owned();
        let path = dir.join(&entry.name);
        let (group, kind) = if let Some(group) = name.strip_prefix('x') {
            (parse_index_group(group), 'x')
        } else if let Some(group) = name.strip_suffix(".p") {
            (parse_index_group(group), 'p')
        } else {
            (parse_index_group(&name), 'f')
        };
        let Some(index) = group.and_then(|g| prefix.checked_mul(1000)?.checked_add(g)) else {
            continue;
        };
        match (kind, entry.kind) {
            ('x', EntryKind::Dir) => remove_stale_tiles(io, &path, index, first_stale, failures),
            ('p', EntryKind::Dir) if index >= first_stale => {
                for partial in io.list_dir(&path).unwrap_or_default() {
                    if let Err(e) = io.remove_file(&path.join(&partial.name)) {
                        failures.push(e);
                    }
                }
            }
            ('f', EntryKind::File) if index >= first_stale => {
                if let Err(e) = io.remove_file(&path) {
                    failures.push(e);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Durability, LogOptions};

    const APP: RecordType = RecordType(0x100);

    fn options() -> LogOptions {
        LogOptions {
            durability: Durability::Buffered,
            // An automatic checkpoint every 5 records: the appends below cross several.
            checkpoint_interval: 5,
            ..LogOptions::default()
        }
    }

    fn append(log: &Log, n: u64, salt: &str) {
        for i in 0..n {
            log.append(APP, format!("{salt} {i}").as_bytes()).unwrap();
        }
    }

    fn assert_same_tree(got: &TreeState, want: &TreeState) {
        assert_eq!(got.frontier.size(), want.frontier.size());
        assert_eq!(got.frontier.root(), want.frontier.root());
        assert_eq!(got.since_checkpoint, want.since_checkpoint);
        assert_eq!(got.bytes_since_checkpoint, want.bytes_since_checkpoint);
        assert_eq!(got.checkpoint_size, want.checkpoint_size);
        let seq = |t: &TreeState| t.last_checkpoint.as_ref().map(|(seq, _)| *seq);
        assert_eq!(seq(got), seq(want));
    }

    #[test]
    fn a_kept_tree_carried_over_another_handles_appends_is_the_tree_found_from_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let first = Log::create(dir.path(), options()).unwrap();
        let second = Log::open(dir.path(), options()).unwrap();
        append(&first, 3, "first");
        let kept = first.tree_at_end().unwrap();
        second.refresh().unwrap();
        // Twelve records of the other handle, three automatic checkpoints among them.
        append(&second, 12, "second");
        first.refresh().unwrap();
        let carried = first
            .tree_extended(kept)
            .unwrap()
            .expect("the log holds its records");
        assert_eq!(carried.frontier.size(), first.last_seq());
        assert_same_tree(&carried, &first.tree_at_end().unwrap());
        // The other handle's checkpoints were its writer's to keep up, not this one's.
        assert!(carried.upkeep.is_none());
        // Carried on once more over nothing new, it is still the same tree.
        let again = first.tree_extended(carried.clone()).unwrap().unwrap();
        assert_same_tree(&again, &carried);
    }

    /// The seqs of the checkpoint records from `from` on, read through the checking iterator.
    fn checkpoints_from(log: &Log, from: u64) -> Vec<u64> {
        log.iter_from(from)
            .map(Result::unwrap)
            .filter(|r| r.record_type == RecordType::CHECKPOINT)
            .map(|r| r.seq)
            .collect()
    }

    #[test]
    fn the_last_checkpoint_is_found_from_headers_in_checked_segments_and_by_reading_in_others() {
        let dir = tempfile::tempdir().unwrap();
        let small = LogOptions {
            segment_size: 4096,
            ..options()
        };
        let log = Log::create(dir.path(), small.clone()).unwrap();
        append(&log, 200, "a record long enough to fill a few segments");
        assert!(log.segments().len() > 3, "{}", log.segments().len());
        let last_seq = log.last_seq();
        let all = checkpoints_from(&log, 1);
        let tail = Log::open(
            dir.path(),
            LogOptions {
                verify: crate::log::OpenVerify::Tail,
                ..small
            },
        )
        .unwrap();
        for from in [1, 2, 37, 120, last_seq - 3, last_seq] {
            let want = all.iter().rev().find(|&&seq| seq >= from).copied();
            assert_eq!(log.last_checkpoint_from(from).unwrap(), want, "from {from}");
            // Sealed segments opened unchecked are read through the iterator instead.
            assert_eq!(
                tail.last_checkpoint_from(from).unwrap(),
                want,
                "from {from}"
            );
        }
        assert_eq!(log.last_checkpoint_from(last_seq + 1).unwrap(), None);
    }

    #[test]
    fn a_header_changed_after_the_scan_is_an_error_at_its_position_not_a_wrong_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::create(dir.path(), options()).unwrap();
        append(&log, 12, "record");
        let segment = log.segments().last().unwrap().path.clone();
        let offset = {
            let mut iter = log.iter_from(6);
            iter.next_ref().unwrap().unwrap().offset
        };
        // A flipped type byte in the mapped file, after the view checked it.
        let at = offset + crate::format::layout::record::TYPE_OFFSET as u64;
        let file = crate::io::Io::os()
            .open(&segment, crate::io::OpenMode::ReadWrite)
            .unwrap();
        let mut byte = [0u8];
        file.read_exact_at(&mut byte, at).unwrap();
        file.write_all_at(&[byte[0] ^ 1], at).unwrap();
        let error = log.last_checkpoint_from(1).unwrap_err().to_string();
        assert!(error.contains(&format!("offset {offset}")), "{error}");
        assert!(error.contains("header checksum"), "{error}");
    }

    #[test]
    fn a_kept_tree_of_records_the_log_does_not_hold_is_not_carried_on() {
        let dir = tempfile::tempdir().unwrap();
        let other_dir = tempfile::tempdir().unwrap();
        let log = Log::create(dir.path(), options()).unwrap();
        let other = Log::create(other_dir.path(), options()).unwrap();
        append(&log, 4, "this log");
        append(&other, 4, "another log");
        // As many records as the log, but not its records: the last leaf differs.
        let foreign = other.tree_at_end().unwrap();
        assert_eq!(foreign.frontier.size(), log.last_seq());
        assert!(log.tree_extended(foreign).unwrap().is_none());
        // A tree ahead of the log (records written, then cut) is not carried on either.
        append(&other, 3, "more");
        assert!(log
            .tree_extended(other.tree_at_end().unwrap())
            .unwrap()
            .is_none());
        // Nor is an empty tree: it says nothing of the log.
        assert!(log.tree_extended(TreeState::new()).unwrap().is_none());
    }
}
