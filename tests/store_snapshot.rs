//! Snapshots: opening from a snapshot equals a full replay; a damaged, truncated, foreign or
//! future snapshot, or one claiming records the log does not have, is ignored with a warning;
//! a crash while writing one leaves a store that opens with the same catalog; pruning keeps
//! the newest N.

mod common;

use common::*;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use strata::format::{SnapshotHeader, SNAPSHOT_HEADER_LEN};
use strata::schema::SchemaDriftPolicy;
use strata::store::{snapshot, SnapshotPolicy, UploadStatus};
use strata::{Store, StoreOptions};

fn manual_snapshots() -> StoreOptions {
    StoreOptions {
        snapshots: SnapshotPolicy {
            automatic: false,
            ..SnapshotPolicy::default()
        },
        ..options()
    }
}

/// A store with a few datasets, versions and a rollback.
fn small_history(dir: &Path) -> Store {
    let store = Store::create(dir, manual_snapshots()).unwrap();
    store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    store
        .save_upload(upload_data("weather", &["seattle-weather.csv"]))
        .unwrap();
    store
        .save_upload(overwrite(
            "weather",
            &[("seattle-weather.csv", b"date,x\n2020-01-01,1\n")],
            SchemaDriftPolicy::Warn,
        ))
        .unwrap();
    store
        .rollback_to_version("weather", "1", "t", "a test rollback")
        .unwrap();
    store
}

/// The catalog a full replay gives: the store opened with its snapshots moved away.
fn replayed_catalog(dir: &Path) -> strata::store::Catalog {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path(), &|p| {
        p.file_name().is_some_and(|n| n == "snapshots")
    });
    let store = Store::open(copy.path(), manual_snapshots()).unwrap();
    assert!(store.loaded_snapshot().is_none());
    let catalog = store.catalog().clone();
    catalog
}

fn copy_dir(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if skip(&path) {
            continue;
        }
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target, skip);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn snapshot_file(dir: &Path) -> PathBuf {
    snapshot::list(dir).unwrap().remove(0).path
}

#[test]
fn opening_from_a_snapshot_replays_only_the_tail_and_equals_a_full_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_history(dir.path());
    let info = store.snapshot().unwrap();
    store
        .save_upload(upload("later", &[("t.csv", b"a\n1\n")]))
        .unwrap();
    drop(store);
    let reopened = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert_eq!(reopened.loaded_snapshot().map(|s| s.seq), Some(info.seq));
    assert!(reopened.snapshot_warnings().is_empty());
    assert!(
        reopened.catalog().find("later").is_some(),
        "the tail after the snapshot was replayed"
    );
    assert_eq!(*reopened.catalog(), replayed_catalog(dir.path()));
    let (checked, differences) = reopened.check_snapshot().unwrap().unwrap();
    assert_eq!((checked.seq, differences.len()), (info.seq, 0));
}

fn assert_ignored_with(dir: &Path, expected_warning: &str) {
    let store = Store::open(dir, manual_snapshots()).unwrap();
    assert!(store.loaded_snapshot().is_none());
    let warnings = store.snapshot_warnings().join("\n");
    assert!(warnings.contains(expected_warning), "{warnings}");
    assert_eq!(*store.catalog(), replayed_catalog(dir));
}

#[test]
fn a_snapshot_with_a_flipped_byte_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    small_history(dir.path()).snapshot().unwrap();
    let path = snapshot_file(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    assert_ignored_with(dir.path(), "damaged");
}

#[test]
fn a_truncated_snapshot_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    small_history(dir.path()).snapshot().unwrap();
    let path = snapshot_file(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    assert_ignored_with(dir.path(), "damaged");
}

#[test]
fn a_snapshot_of_another_store_is_ignored_with_a_warning() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    small_history(a.path()).snapshot().unwrap();
    small_history(b.path()).snapshot().unwrap();
    let foreign = snapshot_file(b.path());
    std::fs::remove_file(snapshot_file(a.path())).unwrap();
    std::fs::copy(
        &foreign,
        a.path()
            .join("snapshots")
            .join(foreign.file_name().unwrap()),
    )
    .unwrap();
    assert_ignored_with(a.path(), "belongs to store");
}

#[test]
fn a_snapshot_from_a_newer_format_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    small_history(dir.path()).snapshot().unwrap();
    let path = snapshot_file(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8] = 9; // format version
    std::fs::write(&path, bytes).unwrap();
    assert_ignored_with(dir.path(), "newer strata");
}

#[test]
fn a_snapshot_claiming_records_beyond_the_log_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    small_history(dir.path()).snapshot().unwrap();
    let path = snapshot_file(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    let (mut header, body) = SnapshotHeader::decode_file(&bytes).unwrap();
    header.seq += 100;
    std::fs::remove_file(&path).unwrap();
    let moved = path.with_file_name(format!("{:020}.snap", header.seq));
    std::fs::write(moved, header.encode_file(body)).unwrap();
    assert_ignored_with(dir.path(), "the log ends at");
}

/// Flips every bit of one byte of the body of the record numbered `seq`.
fn damage_record_body(store: &Store, seq: u64) {
    use std::os::unix::fs::FileExt;
    let record = store.log().read(seq).unwrap();
    let segment = store
        .log()
        .segments()
        .into_iter()
        .find(|s| s.number == record.segment_number)
        .unwrap();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&segment.path)
        .unwrap();
    let at =
        record.offset + strata::format::RECORD_HEADER_LEN as u64 + record.body.len() as u64 / 2;
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[!byte[0]], at).unwrap();
}

/// A repair cuts the log and reuses the sequence numbers it cut: a snapshot taken before it
/// describes records the log no longer has, even once the log has a record at its sequence
/// number again. Only the anchor (the record the snapshot was taken after) tells them apart.
#[test]
fn a_snapshot_from_before_a_repair_is_ignored_once_the_log_is_written_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_history(dir.path());
    let cut = store
        .save_upload(upload("cut-by-the-repair", &[("t.csv", b"a\n1\n")]))
        .unwrap()
        .seq
        .unwrap();
    store
        .save_upload(upload("also-cut", &[("t.csv", b"a\n2\n")]))
        .unwrap();
    let info = store.snapshot().unwrap();
    assert!(info.seq > cut);
    damage_record_body(&store, cut);
    drop(store);

    // The snapshot's checkpoint record covers the damaged record: the cut needs the flag.
    let cut_checkpointed = strata::log::RepairOptions {
        cut_checkpointed: true,
    };
    let report =
        strata::log::repair_with(dir.path(), manual_snapshots().log, cut_checkpointed).unwrap();
    assert!(matches!(report, strata::log::RepairReport::Repaired { .. }));
    let store = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert!(store.log().last_seq() < info.seq, "the repair cut the log");
    let mut i = 0;
    while store.log().last_seq() <= info.seq {
        store
            .save_upload(upload(&format!("after-{i}"), &[("t.csv", b"b\n1\n")]))
            .unwrap();
        i += 1;
    }
    drop(store);

    let store = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert_eq!(store.loaded_snapshot(), None);
    assert_eq!(
        store.snapshot_warnings(),
        [format!(
            "ignored snapshot {}: the log's record {} is not the one the snapshot was taken after (was the log repaired?)",
            info.path.display(),
            info.seq
        )]
    );
    assert!(store.catalog().find("cut-by-the-repair").is_none());
    assert!(store.catalog().find("also-cut").is_none());
    assert_eq!(*store.catalog(), replayed_catalog(dir.path()));
}

#[test]
fn a_crash_while_writing_a_snapshot_leaves_a_store_that_opens_with_the_same_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), manual_snapshots()).unwrap();
    store
        .save_upload(upload("d", &[("t.csv", b"a\n1\n")]))
        .unwrap();
    let first = store.snapshot().unwrap();
    store
        .save_upload(upload("later", &[("t.csv", b"a\n2\n")]))
        .unwrap();
    let second = store.snapshot().unwrap();
    // After the snapshot's checkpoint record, which is committed before the file is written.
    let expected = store.catalog().clone();
    drop(store);
    let bytes = std::fs::read(&second.path).unwrap();
    std::fs::remove_file(&second.path).unwrap();
    let tmp = second
        .path
        .with_file_name(format!("{:020}.snap.0000.tmp", second.seq));
    assert!(bytes.len() > SNAPSHOT_HEADER_LEN);
    for cut in 0..bytes.len() {
        // Before the rename: a temporary file, never read.
        std::fs::write(&tmp, &bytes[..cut]).unwrap();
        let store = Store::open(dir.path(), manual_snapshots()).unwrap();
        assert_eq!(
            store.loaded_snapshot().map(|s| s.seq),
            Some(first.seq),
            "cut {cut}"
        );
        assert_eq!(*store.catalog(), expected, "cut {cut}");
        drop(store);
        std::fs::remove_file(&tmp).unwrap();
        // A file system that renamed before the data reached the disk: a short final file.
        std::fs::write(&second.path, &bytes[..cut]).unwrap();
        let store = Store::open(dir.path(), manual_snapshots()).unwrap();
        assert_eq!(
            store.loaded_snapshot().map(|s| s.seq),
            Some(first.seq),
            "cut {cut}"
        );
        assert_eq!(store.snapshot_warnings().len(), 1, "cut {cut}");
        assert_eq!(*store.catalog(), expected, "cut {cut}");
        drop(store);
        std::fs::remove_file(&second.path).unwrap();
    }
}

#[test]
fn pruning_keeps_the_newest_n_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        snapshots: SnapshotPolicy {
            automatic: false,
            keep: 2,
            ..SnapshotPolicy::default()
        },
        ..options()
    };
    let store = Store::create(dir.path(), options).unwrap();
    let mut taken = Vec::new();
    for i in 0..4 {
        store
            .save_upload(upload(
                &format!("d{i}"),
                &[("t.csv", format!("a\n{i}\n").as_bytes())],
            ))
            .unwrap();
        taken.push(store.snapshot().unwrap().seq);
    }
    let kept: Vec<u64> = snapshot::list(dir.path())
        .unwrap()
        .iter()
        .map(|s| s.seq)
        .collect();
    assert_eq!(kept, [taken[3], taken[2]]);
}

#[test]
fn snapshots_are_taken_automatically_every_n_records() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        snapshots: SnapshotPolicy {
            every_records: 3,
            ..SnapshotPolicy::default()
        },
        // Blob files: one record per upload.
        ..common::blob_file_options()
    };
    let store = Store::create(dir.path(), options).unwrap();
    for i in 0..7 {
        store
            .save_upload(upload(
                &format!("d{i}"),
                &[("t.csv", format!("a\n{i}\n").as_bytes())],
            ))
            .unwrap();
    }
    let seqs: Vec<u64> = snapshot::list(dir.path())
        .unwrap()
        .iter()
        .map(|s| s.seq)
        .collect();
    // After the third and the sixth upload: each snapshot's checkpoint record is seq 4 and 8.
    assert_eq!(seqs, [7, 3]);
}

/// The tables the snapshot property test uploads (none of their changes is refused under
/// `Warn`).
const CONTENTS: [&[u8]; 4] = [b"a,b\n1,x\n", b"a,b\n2,y\n", b"a,b,c\n1,x,2\n", b"a\n1\n"];

/// A step of the snapshot property test: an upload (or overwrite) of a content, a rollback
/// to a version, or a snapshot.
#[derive(Debug, Clone, Copy)]
enum SnapOp {
    Upload { ds: usize, content: usize },
    Rollback { ds: usize, version: u64 },
    Snapshot,
}

fn snap_op() -> impl Strategy<Value = SnapOp> {
    prop_oneof![
        3 => (0..3usize, 0..4usize).prop_map(|(ds, content)| SnapOp::Upload { ds, content }),
        2 => (0..3usize, 1..5u64).prop_map(|(ds, version)| SnapOp::Rollback { ds, version }),
        1 => Just(SnapOp::Snapshot),
    ]
}

/// Each dataset's versions (as indexes into [`CONTENTS`]) and its active version number.
type SnapModel = [Option<(Vec<usize>, u64)>; 3];

/// Runs an upload, checking its outcome against the model, which it updates.
fn upload_as_modelled(store: &Store, model: &mut SnapModel, ds: usize, content: usize) {
    let (name, files) = (format!("d{ds}"), [("t.csv", CONTENTS[content])]);
    let Some((versions, active)) = &mut model[ds] else {
        let out = store.save_upload(upload(&name, &files)).unwrap();
        assert_eq!((out.status, out.version), (UploadStatus::NewDataset, 1));
        model[ds] = Some((vec![content], 1));
        return;
    };
    let out = store
        .save_upload(overwrite(&name, &files, SchemaDriftPolicy::Warn))
        .unwrap();
    let expected = match versions.iter().position(|&c| c == content) {
        Some(i) if i as u64 + 1 == *active => (UploadStatus::AlreadyActive, *active),
        Some(i) => (UploadStatus::Reactivated, i as u64 + 1),
        None => {
            versions.push(content);
            (UploadStatus::NewVersion, versions.len() as u64)
        }
    };
    assert_eq!((out.status, out.version), expected, "{name}");
    *active = expected.1;
}

/// Runs a rollback, checking its outcome (or its error) against the model, which it updates.
fn rollback_as_modelled(store: &Store, model: &mut SnapModel, ds: usize, version: u64) {
    let name = format!("d{ds}");
    let result = store.rollback_to_version(&name, &version.to_string(), "p", "a test rollback");
    match &mut model[ds] {
        None => assert!(
            matches!(result, Err(strata::Error::UnknownDataset { .. })),
            "{name}: {result:?}"
        ),
        Some((versions, _)) if version as usize > versions.len() => assert!(
            matches!(result, Err(strata::Error::UnknownVersion { .. })),
            "{name} v{version}: {result:?}"
        ),
        Some((_, active)) => {
            let out = result.unwrap();
            assert_eq!((out.from, out.to), (*active, version), "{name}");
            assert_eq!(out.seq.is_some(), *active != version, "{name}");
            *active = version;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: proptest_cases(32), ..ProptestConfig::default() })]

    /// Random uploads, overwrites and rollbacks with snapshots at random points (at least
    /// one), each outcome checked against a model: reopening loads the newest snapshot, warns
    /// of nothing, and gives the catalog a full replay gives.
    #[test]
    fn open_with_a_snapshot_equals_open_by_full_replay(
        mut ops in prop::collection::vec(snap_op(), 1..25),
        forced in any::<prop::sample::Index>(),
    ) {
        let at = forced.index(ops.len() + 1);
        ops.insert(at, SnapOp::Snapshot);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path(), manual_snapshots()).unwrap();
        let mut model: SnapModel = Default::default();
        upload_as_modelled(&store, &mut model, 0, 0);
        let mut newest = None;
        for op in ops {
            match op {
                SnapOp::Upload { ds, content } => upload_as_modelled(&store, &mut model, ds, content),
                SnapOp::Rollback { ds, version } => rollback_as_modelled(&store, &mut model, ds, version),
                SnapOp::Snapshot => newest = Some(store.snapshot().unwrap().seq),
            }
        }
        let expected = store.catalog().clone();
        drop(store);
        let reopened = Store::open(dir.path(), manual_snapshots()).unwrap();
        prop_assert_eq!(reopened.snapshot_warnings(), &[] as &[String]);
        prop_assert_eq!(reopened.loaded_snapshot().map(|s| s.seq), newest);
        prop_assert!(newest.is_some());
        prop_assert_eq!(&*reopened.catalog(), &expected);
        prop_assert_eq!(&*reopened.catalog(), &replayed_catalog(dir.path()));
    }
}

/// Rewrites a snapshot's body with `edit` and fixes its CRC, as someone who read FORMAT.md
/// would.
fn rewrite_snapshot_body(path: &Path, edit: impl FnOnce(&mut Vec<u8>)) {
    let bytes = std::fs::read(path).unwrap();
    let (header, body) = SnapshotHeader::decode_file(&bytes).unwrap();
    let mut body = body.to_vec();
    edit(&mut body);
    std::fs::write(path, header.encode_file(&body)).unwrap();
}

#[test]
fn a_snapshot_is_taken_at_a_checkpoint_record_that_carries_the_sha256_of_its_catalog_image() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_history(dir.path());
    let last_before = store.log().last_seq();
    let info = store.snapshot().unwrap();
    assert_eq!(
        info.seq, last_before,
        "the snapshot holds every record before it"
    );
    let record = store.log().read(info.seq + 1).unwrap();
    assert_eq!(record.record_type, strata::format::RecordType::CHECKPOINT);
    let checkpoint = strata::format::leaf::CheckpointBody::decode(&record.body).unwrap();
    let bytes = std::fs::read(&info.path).unwrap();
    let (header, body) = SnapshotHeader::decode_file(&bytes).unwrap();
    assert_eq!((header.version, header.seq), (2, info.seq));
    let u64_at = |i: usize| u64::from_le_bytes(body[i..i + 8].try_into().unwrap());
    assert_eq!((u64_at(0), u64_at(8)), (info.seq + 1, info.seq));
    assert_eq!(
        (checkpoint.size, &checkpoint.root[..]),
        (info.seq, &body[16..48])
    );
    assert_eq!(body[48], snapshot::CATALOG_ENCODING_VERSION);
    assert_eq!(
        checkpoint.catalog_digest,
        Some(strata::digest::Digest::of(&body[48..]).0)
    );
    assert_eq!(
        checkpoint.catalog_digest,
        Some(snapshot::catalog_digest(&body[48..]))
    );
    drop(store);
    let reopened = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert_eq!(reopened.loaded_snapshot().map(|s| s.seq), Some(info.seq));
    assert_eq!(*reopened.catalog(), replayed_catalog(dir.path()));
}

#[test]
fn a_snapshot_whose_catalog_was_edited_with_its_crc_fixed_is_ignored_as_forged() {
    let dir = tempfile::tempdir().unwrap();
    let info = small_history(dir.path()).snapshot().unwrap();
    rewrite_snapshot_body(&info.path, |body| {
        // A byte of the catalog image near its end (the tables inside the log).
        let at = body.len() - 9;
        body[at] ^= 0x01;
    });
    assert_ignored_with(dir.path(), "it was changed or forged after it was taken");
    let store = Store::open(dir.path(), manual_snapshots()).unwrap();
    let ignored = &store.ignored_snapshots()[0];
    assert_eq!(ignored.kind, snapshot::IgnoredKind::Forged);
    assert_eq!(ignored.path, info.path);
    drop(store);
    let report =
        strata::check::run(dir.path(), strata::check::CheckOptions::default(), |_| {}).unwrap();
    assert_eq!(report.outcome(), strata::check::Outcome::Tampered);
}

#[test]
fn a_snapshot_naming_a_checkpoint_record_that_carries_no_digest_is_ignored_as_forged() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_history(dir.path());
    let info = store.snapshot().unwrap();
    let plain = store.checkpoint(None).unwrap();
    drop(store);
    // The same catalog, moved to the plain checkpoint record, its anchor naming that one.
    let record = {
        let log = strata::log::Log::open(dir.path(), Default::default()).unwrap();
        strata::format::leaf::CheckpointBody::decode(&log.read(plain.seq).unwrap().body).unwrap()
    };
    assert_eq!(record.catalog_digest, None);
    let bytes = std::fs::read(&info.path).unwrap();
    let (mut header, body) = SnapshotHeader::decode_file(&bytes).unwrap();
    let mut body = body.to_vec();
    body[..8].copy_from_slice(&plain.seq.to_le_bytes());
    body[8..16].copy_from_slice(&(plain.seq - 1).to_le_bytes());
    body[16..48].copy_from_slice(&record.root);
    header.seq = plain.seq - 1;
    let moved = info.path.with_file_name(format!("{:020}.snap", header.seq));
    std::fs::write(&moved, header.encode_file(&body)).unwrap();
    std::fs::remove_file(&info.path).unwrap();
    assert_ignored_with(dir.path(), "anchors no snapshot");
}

#[test]
fn a_snapshot_whose_checkpoint_record_is_missing_is_not_used() {
    // The record at the snapshot's seq is an event: a forged or misplaced anchor.
    let dir = tempfile::tempdir().unwrap();
    let store = small_history(dir.path());
    let info = store.snapshot().unwrap();
    let event_seq = store
        .save_upload(upload("later", &[("t.csv", b"a\n1\n")]))
        .unwrap()
        .seq
        .unwrap();
    drop(store);
    let bytes = std::fs::read(&info.path).unwrap();
    let (mut header, body) = SnapshotHeader::decode_file(&bytes).unwrap();
    let mut body = body.to_vec();
    body[..8].copy_from_slice(&event_seq.to_le_bytes());
    body[8..16].copy_from_slice(&(event_seq - 1).to_le_bytes());
    header.seq = event_seq - 1;
    let moved = info.path.with_file_name(format!("{:020}.snap", header.seq));
    std::fs::write(&moved, header.encode_file(&body)).unwrap();
    std::fs::remove_file(&info.path).unwrap();
    assert_ignored_with(
        dir.path(),
        &format!(
            "the log's record {} is not the one the snapshot was taken after",
            event_seq - 1
        ),
    );
}

#[test]
fn a_crash_between_the_checkpoint_record_and_its_snapshot_leaves_a_store_that_replays_and_verifies()
{
    let dir = tempfile::tempdir().unwrap();
    let store = small_history(dir.path());
    let first = store.snapshot().unwrap();
    store
        .save_upload(upload("later", &[("t.csv", b"a\n1\n")]))
        .unwrap();
    let second = store.snapshot().unwrap();
    let expected = store.catalog().clone();
    drop(store);
    // What a crash after the checkpoint record's sync and before the file's rename leaves:
    // the record carrying the digest, and no snapshot file.
    std::fs::remove_file(&second.path).unwrap();
    let store = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert_eq!(store.loaded_snapshot().map(|s| s.seq), Some(first.seq));
    assert!(store.snapshot_warnings().is_empty());
    assert_eq!(*store.catalog(), expected);
    drop(store);
    let report =
        strata::check::run(dir.path(), strata::check::CheckOptions::default(), |_| {}).unwrap();
    assert_eq!(
        report.outcome(),
        strata::check::Outcome::Healthy,
        "{report:?}"
    );
    std::fs::remove_file(&first.path).unwrap();
    let store = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert!(store.loaded_snapshot().is_none());
    assert_eq!(*store.catalog(), expected);
    let third = store.snapshot().unwrap();
    drop(store);
    let store = Store::open(dir.path(), manual_snapshots()).unwrap();
    assert_eq!(store.loaded_snapshot().map(|s| s.seq), Some(third.seq));
}
