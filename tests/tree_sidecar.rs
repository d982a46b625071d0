//! The `log/tree/` sidecar of tree hashes (FORMAT.md, *The tree sidecar*): proofs from tiles
//! are the proofs of the rebuilt tree, a damaged, truncated, forged or missing tile never
//! yields a wrong proof, a read-only store proves, and a repair's cut removes the tiles of the
//! records it cut.

use std::fs;
use std::path::{Path, PathBuf};
use strata::audit::{self, LogTree, SidecarReport};
use strata::format::RecordType;
use strata::io::{Io, OsBackend};

#[path = "common/read_only.rs"]
mod read_only;
use read_only::ReadOnlyFs;
use strata::log::{Durability, Log, LogOptions};
use strata::note::{Checkpoint, ConsistencyFile, ProofFile};

const APP: RecordType = RecordType(0x100);

fn options() -> LogOptions {
    LogOptions {
        durability: Durability::Buffered,
        // Checkpoints only where a test records one (and at segment starts).
        checkpoint_interval: 0,
        ..LogOptions::default()
    }
}

fn body(i: u64, salt: u8) -> Vec<u8> {
    format!("record {i} {salt}").into_bytes()
}

/// Appends application records until the log holds `n` records.
fn fill(log: &Log, n: u64, salt: u8) {
    while log.last_seq() < n {
        let take = (n - log.last_seq()).min(1000);
        let bodies: Vec<Vec<u8>> = (0..take)
            .map(|i| body(log.last_seq() + i + 1, salt))
            .collect();
        let batch: Vec<(RecordType, &[u8])> = bodies.iter().map(|b| (APP, b.as_slice())).collect();
        log.append_batch(&batch).unwrap();
    }
    // The writer adds its tiles on a thread of its own: wait for them.
    log.flush_tile_upkeep();
}

/// Records a checkpoint of every record so far (and waits for the writer's tiles); returns
/// its seq.
fn checkpoint(log: &Log) -> u64 {
    let mut writer = log.lock_writer().unwrap();
    let (seq, _) = writer.append_checkpoint(None, None).unwrap();
    writer.commit().unwrap();
    log.flush_tile_upkeep();
    seq
}

/// A log of `n - 1` application records and a checkpoint record (so `n` records).
fn log_ending_in_a_checkpoint(dir: &Path, n: u64) -> Log {
    let log = Log::create(dir, options()).unwrap();
    fill(&log, n - 1, 0);
    assert_eq!(checkpoint(&log), n);
    log
}

fn held(tree: &LogTree, size: u64) -> Checkpoint {
    Checkpoint::new(&tree.origin, size, tree.root_at(size).unwrap())
}

fn tree_dir(dir: &Path) -> PathBuf {
    dir.join("log").join("tree")
}

fn tile(dir: &Path, path: &str) -> PathBuf {
    tree_dir(dir).join(path)
}

fn prove(log: &Log, seq: u64, against: Option<&Checkpoint>) -> (ProofFile, SidecarReport) {
    audit::prove_from_tiles(log, seq, against).unwrap()
}

fn reference(log: &Log, seq: u64, against: Option<&Checkpoint>) -> ProofFile {
    audit::prove(log, &LogTree::rebuild(log).unwrap(), seq, against).unwrap()
}

fn consistency(log: &Log, old: &Checkpoint, new: Option<&Checkpoint>) -> ConsistencyFile {
    audit::consistency_from_tiles(log, old, new).unwrap().0
}

/// Proofs from tiles of `seqs` (against the newest recorded checkpoint and against held
/// checkpoints of `sizes`) and consistency proofs between those sizes equal the rebuilt
/// tree's.
fn assert_tiles_prove_as_the_rebuilt_tree(log: &Log, seqs: &[u64], sizes: &[u64]) {
    let tree = LogTree::rebuild(log).unwrap();
    let covered = tree.checkpoints.last().unwrap().body.size;
    for &seq in seqs.iter().filter(|&&s| s <= covered) {
        let (proof, report) = prove(log, seq, None);
        assert_eq!(
            proof,
            audit::prove(log, &tree, seq, None).unwrap(),
            "seq {seq}"
        );
        assert_eq!(report.rebuilt, None, "seq {seq}: {report:?}");
    }
    for &size in sizes.iter().filter(|&&s| s <= tree.size()) {
        let against = held(&tree, size);
        for &seq in seqs.iter().filter(|&&s| s <= size) {
            let (proof, report) = prove(log, seq, Some(&against));
            let expected = audit::prove(log, &tree, seq, Some(&against)).unwrap();
            assert_eq!(proof, expected, "seq {seq} in {size}");
            assert_eq!(report.rebuilt, None, "seq {seq} in {size}: {report:?}");
        }
        for &new in sizes.iter().filter(|&&n| n >= size && n <= tree.size()) {
            let newer = held(&tree, new);
            let expected = audit::consistency(&tree, &against, Some(&newer)).unwrap();
            assert_eq!(
                consistency(log, &against, Some(&newer)),
                expected,
                "{size} to {new}"
            );
        }
        if size <= covered {
            let expected = audit::consistency(&tree, &against, None).unwrap();
            assert_eq!(
                consistency(log, &against, None),
                expected,
                "{size} to the newest"
            );
        }
    }
}

#[test]
fn a_proof_from_tiles_is_the_rebuilt_trees_proof_for_every_index_of_a_few_hundred_records() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options()).unwrap();
    fill(&log, 120, 0);
    checkpoint(&log);
    fill(&log, 340, 0);
    let n = checkpoint(&log);
    let seqs: Vec<u64> = (1..=n).collect();
    assert_tiles_prove_as_the_rebuilt_tree(&log, &seqs, &[1, 2, 120, 121, 255, 256, 257, n]);
    // The first proof wrote the tiles; the others read them.
    assert!(tile(dir.path(), "tile/0/000").is_file());
    assert_eq!(
        fs::read(tile(dir.path(), "tile/0/000")).unwrap().len(),
        8192
    );
    assert!(tile(dir.path(), &format!("tile/0/001.p/{}", n - 256)).is_file());
    assert!(tile(dir.path(), "tile/1/000.p/1").is_file());
}

#[test]
fn proofs_from_tiles_are_right_at_the_sizes_around_a_tile_boundary() {
    for n in [255, 256, 257, 511, 512, 513] {
        let dir = tempfile::tempdir().unwrap();
        let log = log_ending_in_a_checkpoint(dir.path(), n);
        let edges = [1, 2, 255, 256, 257, 258, 511, 512, 513];
        let seqs: Vec<u64> = (1..=n).step_by(5).chain(edges).collect();
        assert_tiles_prove_as_the_rebuilt_tree(&log, &seqs, &[1, 255, 256, 257, n - 1, n]);
    }
}

#[test]
fn proofs_from_tiles_are_right_at_the_sizes_around_a_level_1_tile_boundary() {
    for n in [65_535, 65_536, 65_537] {
        let dir = tempfile::tempdir().unwrap();
        let log = log_ending_in_a_checkpoint(dir.path(), n);
        let seqs = [1, 257, 32_768, 65_281, 65_535, 65_536, 65_537];
        let sizes = [65_280, 65_535, n - 1, n];
        assert_tiles_prove_as_the_rebuilt_tree(&log, &seqs, &sizes);
    }
}

/// A log of 700 records whose proof of `seq` 3 has been made once (so its tiles are written),
/// and that proof.
fn proved_once(dir: &Path) -> (Log, ProofFile) {
    let log = log_ending_in_a_checkpoint(dir, 700);
    let (proof, report) = prove(&log, 3, None);
    // The writer added the two full tiles; the proof, the partial ones.
    assert!(report.tiles_written >= 2, "{report:?}");
    assert!(tile(dir, "tile/0/001").is_file());
    (log, proof)
}

#[test]
fn a_tile_with_a_flipped_byte_is_caught_and_rewritten_and_the_proof_is_right() {
    let dir = tempfile::tempdir().unwrap();
    let (log, first) = proved_once(dir.path());
    let path = tile(dir.path(), "tile/0/000");
    let good = fs::read(&path).unwrap();
    for at in [0, 32 * 2 + 5, 8191] {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        fs::write(&path, &bad).unwrap();
        for seq in [1, 3, 4, 255, 256] {
            let (proof, _) = prove(&log, seq, None);
            assert_eq!(proof, reference(&log, seq, None), "seq {seq}, byte {at}");
        }
        assert_eq!(fs::read(&path).unwrap(), good, "byte {at} was rewritten");
    }
    // The proof that found the damage says so.
    let mut bad = good.clone();
    bad[2 * 32] ^= 1;
    fs::write(&path, &bad).unwrap();
    // (Seq 1's proof holds the node of leaves 2 and 3.)
    let (proof, report) = prove(&log, 1, None);
    assert_eq!(proof, reference(&log, 1, None));
    assert!(report.rebuilt.is_some(), "{report:?}");
    assert_eq!(prove(&log, 3, None).0, first);
}

#[test]
fn a_truncated_or_overlong_tile_is_ignored_and_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let (log, first) = proved_once(dir.path());
    let path = tile(dir.path(), "tile/0/000");
    let good = fs::read(&path).unwrap();
    for len in [0, 31, 4096, 8191] {
        fs::write(&path, &good[..len]).unwrap();
        let (proof, report) = prove(&log, 3, None);
        assert_eq!(proof, first, "length {len}");
        assert_eq!(report.rebuilt, None, "a wrong length is not a disagreement");
        assert!(report.tiles_computed >= 1, "{report:?}");
        assert_eq!(fs::read(&path).unwrap(), good);
    }
    let mut long = good.clone();
    long.push(0);
    fs::write(&path, &long).unwrap();
    assert_eq!(prove(&log, 3, None).0, first);
    assert_eq!(fs::read(&path).unwrap(), good);
}

#[test]
fn a_forged_tile_of_another_history_is_caught_and_the_proof_is_right() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = proved_once(dir.path());
    // The same tiles of a log of other records: each a valid tile, of another tree.
    let other = tempfile::tempdir().unwrap();
    let other_log = Log::create(other.path(), options()).unwrap();
    fill(&other_log, 699, 9);
    checkpoint(&other_log);
    prove(&other_log, 3, None);
    for forged in ["tile/0/000", "tile/0/001", "tile/1/000.p/2"] {
        fs::copy(tile(other.path(), forged), tile(dir.path(), forged)).unwrap();
        for seq in [3, 300, 600, 699] {
            let (proof, _) = prove(&log, seq, None);
            assert_eq!(proof, reference(&log, seq, None), "{forged}, seq {seq}");
            strata::audit::verify_proof(
                proof.encode().as_bytes(),
                &[],
                &proof.checkpoint.origin,
                true,
            )
            .unwrap();
        }
        assert_ne!(
            fs::read(tile(dir.path(), forged)).unwrap(),
            fs::read(tile(other.path(), forged)).unwrap(),
            "{forged} was rewritten"
        );
    }
}

#[test]
fn a_deleted_sidecar_is_rebuilt_and_the_proofs_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let (log, first) = proved_once(dir.path());
    let before = fs::read(tile(dir.path(), "tile/1/000.p/2")).unwrap();
    fs::remove_dir_all(tree_dir(dir.path())).unwrap();
    let (proof, report) = prove(&log, 3, None);
    assert_eq!(proof, first);
    assert_eq!(report.rebuilt, None);
    assert_eq!(
        fs::read(tile(dir.path(), "tile/1/000.p/2")).unwrap(),
        before
    );
}

#[test]
fn tiles_are_extended_as_the_log_grows_and_stale_partial_tiles_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = proved_once(dir.path());
    assert!(tile(dir.path(), "tile/0/002.p/188").is_file());
    fill(&log, 800, 1);
    let n = checkpoint(&log);
    let (proof, report) = prove(&log, 750, None);
    assert_eq!(proof, reference(&log, 750, None));
    // Only the tiles of the new records were computed from the records.
    assert!(report.tiles_computed <= 4, "{report:?}");
    assert!(tile(dir.path(), "tile/0/002").is_file());
    assert!(!tile(dir.path(), "tile/0/002.p/188").exists());
    assert!(tile(dir.path(), &format!("tile/0/003.p/{}", n - 768)).is_file());
    assert!(!tile(dir.path(), "tile/1/000.p/2").exists());
    assert!(tile(dir.path(), "tile/1/000.p/3").is_file());
}

#[test]
fn a_store_where_nothing_can_be_written_still_proves_from_tiles_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    drop(log_ending_in_a_checkpoint(dir.path(), 600));
    // The writer's upkeep added the full tiles: without them, every tile is computed.
    fs::remove_dir_all(tree_dir(dir.path())).unwrap();
    let read_only = LogOptions {
        io: Io::new(ReadOnlyFs(OsBackend)),
        ..options()
    };
    let log = Log::open(dir.path(), read_only).unwrap();
    let writable = Log::open(dir.path(), options()).unwrap();
    for seq in [1, 300, 599] {
        let (proof, report) = prove(&log, seq, None);
        assert_eq!(proof, reference(&writable, seq, None), "seq {seq}");
        assert!(report.unwritable.is_some(), "{report:?}");
        assert_eq!(report.tiles_written, 0);
    }
    let tree = LogTree::rebuild(&writable).unwrap();
    let old = held(&tree, 300);
    let (file, _) = audit::consistency_from_tiles(&log, &old, None).unwrap();
    assert_eq!(file, audit::consistency(&tree, &old, None).unwrap());
    assert!(!tree_dir(dir.path()).exists());
}

#[test]
fn a_repair_past_a_tile_boundary_removes_the_tiles_of_the_records_cut_and_proofs_stay_right() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = proved_once(dir.path());
    assert!(tile(dir.path(), "tile/0/001").is_file());
    // Damage record 300's body: the log is corrupt there, and repair cuts it and what follows.
    let record = log.read(300).unwrap();
    drop(log);
    let segment = dir.path().join("log").join("00000000000000000001.seg");
    let mut bytes = fs::read(&segment).unwrap();
    bytes[record.offset as usize + 32] ^= 0xff;
    fs::write(&segment, &bytes).unwrap();
    // The cut removes the checkpoint record the log ends in (seq 700), so the repair must be
    // told it may cut checkpointed records.
    let cut = strata::log::RepairOptions {
        cut_checkpointed: true,
    };
    let report = strata::log::repair_with(dir.path(), options(), cut).unwrap();
    assert!(
        matches!(report, strata::log::RepairReport::Repaired { .. }),
        "{report:?}"
    );
    // Records 1..=299 stay: tile 0/000 is theirs; 0/001 (records 257..=512) and every
    // partial tile held a hash of a record cut.
    assert!(tile(dir.path(), "tile/0/000").is_file());
    for gone in ["tile/0/001", "tile/0/002.p/188", "tile/1/000.p/2"] {
        assert!(!tile(dir.path(), gone).exists(), "{gone}");
    }
    let log = Log::open(dir.path(), options()).unwrap();
    assert_eq!(log.last_seq(), 300, "299 records and the repair record");
    fill(&log, 900, 5);
    let n = checkpoint(&log);
    let seqs: Vec<u64> = (1..=n)
        .step_by(7)
        .chain([256, 257, 299, 300, 301])
        .collect();
    assert_tiles_prove_as_the_rebuilt_tree(&log, &seqs, &[299, 300, 512, n]);
}

#[test]
fn a_record_changed_after_its_tiles_were_written_is_never_proven_as_it_now_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = proved_once(dir.path());
    let tree = LogTree::rebuild(&log).unwrap();
    let against = held(&tree, 699);
    // Change record 10's body in place, keeping its CRCs right (as an attacker would).
    let record = log.read(10).unwrap();
    drop(log);
    let segment = dir.path().join("log").join("00000000000000000001.seg");
    let mut bytes = fs::read(&segment).unwrap();
    // FORMAT.md, *Record*: the body CRC at header offset 28, the header CRC (of header
    // bytes 4..32) at 0, the body at 32.
    let at = record.offset as usize;
    let body_len = record.body.len();
    bytes[at + 32] ^= 0x01;
    let body_crc = crc32fast::hash(&bytes[at + 32..at + 32 + body_len]);
    bytes[at + 28..at + 32].copy_from_slice(&body_crc.to_le_bytes());
    let header_crc = crc32fast::hash(&bytes[at + 4..at + 32]);
    bytes[at..at + 4].copy_from_slice(&header_crc.to_le_bytes());
    fs::write(&segment, &bytes).unwrap();
    let log = Log::open(dir.path(), options()).unwrap();
    assert_eq!(log.read(10).unwrap().body[0], record.body[0] ^ 0x01);
    // The stale tiles still hold the old leaf: the proof of the changed record fails its
    // check, the tree is rebuilt, and the log is found to disagree with the checkpoint.
    let error = audit::prove_from_tiles(&log, 10, Some(&against)).unwrap_err();
    assert!(error.to_string().contains("root"), "{error}");
}

/// The tiles of `log`'s tree that exist in `log/tree/`, as their paths, sorted.
fn tile_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, at: &Path, found: &mut Vec<String>) {
        for entry in fs::read_dir(at).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                found.push(rel.replace('\\', "/"));
            }
        }
    }
    let mut found = Vec::new();
    walk(&tree_dir(dir), &tree_dir(dir), &mut found);
    found.sort();
    found
}

/// Asserts that each full tile of the tree of `size` leaves is a file holding the rebuilt
/// tree's hashes (FORMAT.md: hash `i` of tile `N` at level `L` is the root of the leaves
/// `(N * 256 + i) * 256^L ..`), and that no other tile is there.
fn assert_full_tiles_of(dir: &Path, log: &Log, size: u64) {
    use strata::format::tile::{index_path, TILE_WIDTH};
    use strata::merkle::NodeSource;
    let tree = LogTree::rebuild(log).unwrap();
    let mut expected = Vec::new();
    for level in 0..3u32 {
        let per_tile = TILE_WIDTH.pow(level + 1);
        for index in 0..size / per_tile {
            let path = format!("tile/{level}/{}", index_path(index));
            let want: Vec<u8> = (0..TILE_WIDTH)
                .flat_map(|i| tree.tree.perfect(8 * level, index * TILE_WIDTH + i))
                .collect();
            assert_eq!(fs::read(tile(dir, &path)).unwrap(), want, "{path}");
            expected.push(path);
        }
    }
    expected.sort();
    assert_eq!(tile_files(dir), expected);
}

/// The tree size of the log's last checkpoint record.
fn last_checkpoint_size(log: &Log) -> u64 {
    let tree = LogTree::rebuild(log).unwrap();
    tree.checkpoints.last().unwrap().body.size
}

fn upkeep_options(interval: u64) -> LogOptions {
    LogOptions {
        checkpoint_interval: interval,
        ..options()
    }
}

#[test]
fn a_committed_checkpoint_adds_the_full_tiles_it_completes_and_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), upkeep_options(1000)).unwrap();
    // 70,000 records: automatic checkpoints every 1,000, through a level-1 tile (65,536).
    fill(&log, 70_000, 0);
    let covered = last_checkpoint_size(&log);
    assert!(covered > 65_536, "{covered}");
    assert_full_tiles_of(dir.path(), &log, covered);
    assert!(tile(dir.path(), "tile/1/000").is_file());
    let (proof, report) = prove(&log, covered / 2, None);
    assert_eq!(proof, reference(&log, covered / 2, None));
    assert_eq!(report.rebuilt, None, "{report:?}");
    // The first proof reads the writer's tiles: it computes only the tiles of the records
    // after the last checkpoint (full ones there, and the partial one of each level).
    let after = log.last_seq() - covered;
    assert!(report.tiles_computed <= 3 + after / 256 + 1, "{report:?}");
    assert!(report.tiles_read >= 2, "{report:?}");
}

#[test]
fn the_tiles_a_checkpoint_completes_are_added_by_whichever_handle_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = Log::create(dir.path(), upkeep_options(0)).unwrap();
    let second = Log::open(dir.path(), upkeep_options(0)).unwrap();
    // Two handles take turns (as two processes do): each continues the tree from the other's
    // last checkpoint, in the middle of a tile, so it takes the leaves it did not write, from
    // that tile's start, from the records.
    for round in 0..6u64 {
        let log = if round % 2 == 0 { &first } else { &second };
        log.refresh().unwrap();
        fill(log, (round + 1) * 300, round as u8);
        checkpoint(log);
    }
    first.refresh().unwrap();
    let size = first.last_seq() - 1;
    assert_full_tiles_of(dir.path(), &first, size);
    assert_tiles_prove_as_the_rebuilt_tree(&first, &[1, 256, 700, 1500], &[600, 1200]);
}

#[test]
fn a_sidecar_that_cannot_be_written_never_fails_a_commit_and_proofs_still_come() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), upkeep_options(100)).unwrap();
    // A file where the sidecar's folder goes: no tile can be written.
    fs::write(tree_dir(dir.path()), b"not a folder").unwrap();
    fill(&log, 1200, 0);
    let seq = checkpoint(&log);
    assert_eq!(log.last_seq(), seq);
    let (proof, report) = prove(&log, 700, None);
    assert_eq!(proof, reference(&log, 700, None));
    assert!(report.unwritable.is_some(), "{report:?}");
}

#[test]
fn with_tile_upkeep_off_a_writer_adds_no_tile() {
    let dir = tempfile::tempdir().unwrap();
    let options = LogOptions {
        tile_upkeep: false,
        ..upkeep_options(100)
    };
    let log = Log::create(dir.path(), options).unwrap();
    fill(&log, 1200, 0);
    checkpoint(&log);
    assert!(!tree_dir(dir.path()).exists());
    let (proof, _) = prove(&log, 700, None);
    assert_eq!(proof, reference(&log, 700, None));
}

#[test]
fn a_handle_dropped_right_after_its_commit_has_written_the_tiles_of_its_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), upkeep_options(100)).unwrap();
    let bodies: Vec<Vec<u8>> = (0..100).map(|i| body(i, 0)).collect();
    let batch: Vec<(RecordType, &[u8])> = bodies.iter().map(|b| (APP, b.as_slice())).collect();
    // An automatic checkpoint before each batch after the first.
    for _ in 0..10 {
        log.append_batch(&batch).unwrap();
    }
    // No flush: dropping the handle (a command's process ending) waits for its upkeep.
    drop(log);
    let log = Log::open(dir.path(), upkeep_options(100)).unwrap();
    let covered = last_checkpoint_size(&log);
    assert!(covered >= 768, "{covered}");
    assert_full_tiles_of(dir.path(), &log, covered);
}
