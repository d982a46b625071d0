//! The durable mark in `log/LOCK` (FORMAT.md, "The lock file"): raised after every completed
//! sync, it is the evidence that records were acknowledged, so damage before it is corruption
//! and is never cut as a torn tail; beyond it, the format-1 rule still applies.

mod common;

use common::corrupt;
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use strata::format::lock_file::decode_durable_mark;
use strata::format::{encode_record, Defect, RecordType};
use strata::log::{self, Durability, Log, LogOptions, RepairReport};

const APP: RecordType = RecordType(0x100);

fn options(durability: Durability) -> LogOptions {
    LogOptions {
        segment_size: 1 << 20,
        preallocate: 8192,
        durability,
        ..LogOptions::default()
    }
}

fn body(i: u64) -> Vec<u8> {
    format!("record {i:03} {}", "y".repeat(40)).into_bytes()
}

fn mark(dir: &Path) -> Option<(u64, u64)> {
    decode_durable_mark(&fs::read(dir.join("log/LOCK")).unwrap())
}

/// Segment file, offset and encoded length of record `seq`.
fn locate(dir: &Path, seq: u64) -> (PathBuf, u64, u64) {
    let log = Log::open(dir, options(Durability::Sync)).unwrap();
    let record = log.read(seq).unwrap();
    let path = log.segments()[record.segment_number as usize].path.clone();
    (path, record.offset, 32 + record.body.len() as u64)
}

/// A log of 5 synced records and a 6th appended without a sync; record 6's segment, offset
/// and encoded length.
fn five_synced_and_one_buffered(dir: &Path) -> (PathBuf, u64, u64) {
    let log = Log::create(dir, options(Durability::Sync)).unwrap();
    for i in 1..=5 {
        log.append(APP, &body(i)).unwrap();
    }
    drop(log);
    let buffered = Log::open(dir, options(Durability::Buffered)).unwrap();
    buffered.append(APP, &body(6)).unwrap();
    drop(buffered);
    locate(dir, 6)
}

/// Zeroes the second half of the record at `offset` (`len` bytes): it never reached the disk.
fn tear_second_half(segment: &Path, offset: u64, len: u64) {
    let file = fs::OpenOptions::new().write(true).open(segment).unwrap();
    file.write_all_at(&vec![0; (len / 2) as usize], offset + len - len / 2)
        .unwrap();
}

fn flip(path: &Path, offset: u64) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).unwrap();
    file.write_all_at(&[byte[0] ^ 0x01], offset).unwrap();
}

#[test]
fn the_durable_mark_is_raised_by_each_synced_commit_and_not_by_a_buffered_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(Durability::Sync)).unwrap();
    for i in 1..=3 {
        log.append(APP, &body(i)).unwrap();
        let last = log.segments().pop().unwrap();
        assert_eq!(
            mark(dir.path()),
            Some((last.number, last.end_offset)),
            "after {i}"
        );
    }
    let synced = mark(dir.path());
    let buffered = Log::open(dir.path(), options(Durability::Buffered)).unwrap();
    buffered.append(APP, &body(4)).unwrap();
    assert_eq!(
        mark(dir.path()),
        synced,
        "a buffered append is not covered by a sync"
    );
    // The generation stays where it was: bytes 0..8 of the same file.
    let lock = fs::read(dir.path().join("log/LOCK")).unwrap();
    assert_eq!(lock.len(), 28);
    assert!(u64::from_le_bytes(lock[..8].try_into().unwrap()) > 0);
}

#[test]
fn a_bit_flip_in_the_last_acknowledged_record_is_corruption_and_is_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Log::create(dir.path(), options(Durability::Sync)).unwrap();
    for i in 1..=5 {
        writer.append(APP, &body(i)).unwrap();
    }
    let (segment, offset, len) = locate(dir.path(), 5);
    flip(&segment, offset + 40); // a bit of the body: the body checksum fails
    let damaged = fs::read(&segment).unwrap();

    let (path, at, seq, defect) = corrupt(Log::open(dir.path(), options(Durability::Sync)));
    assert_eq!((&path, at, seq), (&segment, offset, 5));
    let Defect::DamagedAcknowledgedRecord {
        durable_end,
        damage,
    } = &defect
    else {
        panic!("expected damage to an acknowledged record, got {defect}")
    };
    assert_eq!(*durable_end, offset + len);
    assert!(matches!(**damage, Defect::BodyChecksum { .. }), "{damage}");
    assert!(defect.to_string().contains("acknowledged"), "{defect}");
    let report = log::verify(dir.path()).unwrap();
    assert!(report.torn_tail.is_none(), "{:?}", report.torn_tail);
    assert_eq!(report.problems.len(), 1);
    assert_eq!(
        (
            report.problems[0].position.offset,
            report.problems[0].position.seq
        ),
        (offset, 5)
    );

    // The next append (by the handle that wrote the records, which opened before the damage)
    // writes after the damaged record and cuts nothing.
    assert_eq!(writer.append(APP, b"next").unwrap(), 6);
    drop(writer);
    let after = fs::read(&segment).unwrap();
    assert_eq!(
        after[..(offset + len) as usize],
        damaged[..(offset + len) as usize]
    );
    assert!(!dir.path().join("log/torn").exists(), "nothing was cut");
    let (_, at, _, defect) = corrupt(Log::open(dir.path(), options(Durability::Sync)));
    assert_eq!(at, offset);
    assert!(
        matches!(defect, Defect::ValidRecordAfterDamage { seq: 6, .. }),
        "{defect}"
    );
}

#[test]
fn a_store_whose_last_acknowledged_event_is_damaged_refuses_to_open_and_loses_nothing() {
    use strata::{Store, StoreOptions, UploadFile, UploadRequest};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), StoreOptions::default()).unwrap();
    for name in ["a", "b"] {
        let file = UploadFile::from_bytes("t.csv", format!("id,{name}\n1,x\n").into_bytes());
        store
            .save_upload(UploadRequest::new(name, vec![file], "ana"))
            .unwrap();
    }
    let seq = store.log().last_seq();
    drop(store);
    let (segment, offset, _) = locate(dir.path(), seq);
    flip(&segment, offset + 33);
    let before = fs::read(&segment).unwrap();
    let (_, at, expected, defect) = corrupt(Store::open(dir.path(), StoreOptions::default()));
    assert_eq!((at, expected), (offset, seq));
    assert!(
        matches!(defect, Defect::DamagedAcknowledgedRecord { .. }),
        "{defect}"
    );
    assert_eq!(fs::read(&segment).unwrap(), before, "nothing was changed");
}

#[test]
fn a_torn_write_beyond_the_durable_mark_is_still_a_torn_tail_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, offset, len) = five_synced_and_one_buffered(dir.path());
    assert_eq!(
        mark(dir.path()),
        Some((0, offset)),
        "the mark ends before record 6"
    );
    tear_second_half(&segment, offset, len);

    let log = Log::open(dir.path(), options(Durability::Sync)).unwrap();
    let torn = log.torn_tail().expect("a torn tail beyond the mark");
    assert_eq!((torn.offset, log.last_seq()), (offset, 5));
    assert_eq!(log.append(APP, b"after the cut").unwrap(), 7);
    assert_eq!(log.read(6).unwrap().record_type, RecordType::TORN_CUT);
    drop(log);
    assert!(Log::open(dir.path(), options(Durability::Sync))
        .unwrap()
        .torn_tail()
        .is_none());
}

#[test]
fn a_torn_tail_cut_raises_the_durable_mark_past_its_record_even_when_commits_do_not_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, offset, len) = five_synced_and_one_buffered(dir.path());
    tear_second_half(&segment, offset, len);
    // A buffered writer cuts the torn tail: the cut and its record are synced under the lock
    // (FORMAT.md, *Recovery*), so the mark covers the torn-cut record; the buffered append
    // after it is not covered.
    let buffered = Log::open(dir.path(), options(Durability::Buffered)).unwrap();
    assert_eq!(buffered.append(APP, b"after the cut").unwrap(), 7);
    drop(buffered);
    let (_, cut_at, cut_len) = locate(dir.path(), 6);
    assert_eq!(cut_at, offset);
    assert_eq!(mark(dir.path()), Some((0, cut_at + cut_len)));
}

#[test]
fn a_record_appended_by_hand_without_a_sync_and_torn_is_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(Durability::Sync)).unwrap();
    for i in 1..=3 {
        log.append(APP, &body(i)).unwrap();
    }
    let last = log.segments().pop().unwrap();
    drop(log);
    let mut record = Vec::new();
    encode_record(&mut record, APP, 4, 0, &body(4));
    let file = fs::OpenOptions::new().write(true).open(&last.path).unwrap();
    file.write_all_at(&record[..record.len() - 5], last.end_offset)
        .unwrap();
    let log = Log::open(dir.path(), options(Durability::Sync)).unwrap();
    assert_eq!(log.torn_tail().unwrap().offset, last.end_offset);
}

#[test]
fn a_lost_mark_leaves_the_bytes_alone_to_classify_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(Durability::Sync)).unwrap();
    for i in 1..=3 {
        log.append(APP, &body(i)).unwrap();
    }
    drop(log);
    // A power loss lost the mark's updates: the lock file holds only the generation.
    let lock = dir.path().join("log/LOCK");
    let generation = fs::read(&lock).unwrap()[..8].to_vec();
    fs::write(&lock, generation).unwrap();
    let (segment, offset, _) = locate(dir.path(), 3);
    flip(&segment, offset + 40);
    let log = Log::open(dir.path(), options(Durability::Sync)).unwrap();
    assert_eq!(log.torn_tail().unwrap().offset, offset);
}

#[test]
fn repair_resets_the_durable_mark_so_a_later_torn_write_is_still_torn() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(Durability::Sync)).unwrap();
    for i in 1..=20 {
        log.append(APP, &body(i)).unwrap();
    }
    drop(log);
    let old_mark = mark(dir.path()).unwrap();
    let (segment, offset, _) = locate(dir.path(), 10);
    flip(&segment, offset + 40);
    let report = log::repair(dir.path(), options(Durability::Sync)).unwrap();
    let RepairReport::Repaired { repair_seq, .. } = report else {
        panic!("expected a repair, got {report:?}")
    };
    assert_eq!(repair_seq, 10);
    let (_, repair_offset, repair_len) = locate(dir.path(), 10);
    assert_eq!(repair_offset, offset);
    let new_mark = mark(dir.path()).unwrap();
    assert_eq!(
        new_mark,
        (0, offset + repair_len),
        "reset, then raised by the repair"
    );
    assert!(new_mark < old_mark);

    // A torn write after the repair, below where the old mark was, is a torn tail.
    let buffered = Log::open(dir.path(), options(Durability::Buffered)).unwrap();
    buffered.append(APP, &body(11)).unwrap();
    drop(buffered);
    let (segment, at, len) = locate(dir.path(), 11);
    assert!((0, at) < old_mark);
    let file = fs::OpenOptions::new().write(true).open(&segment).unwrap();
    file.write_all_at(&[0; 8], at + len - 8).unwrap();
    let log = Log::open(dir.path(), options(Durability::Sync)).unwrap();
    assert_eq!(log.torn_tail().unwrap().offset, at);
}

/// Found by the crash-state enumeration (`tests/faults`, workload `repair`): the reset was an
/// unsynced write, so a power cut could keep the old mark over the repaired log, and an
/// interrupted append below it then read as corruption of acknowledged records.
#[test]
fn repair_syncs_the_reset_of_the_durable_mark_before_it_cuts() {
    use strata::io::fault::{FaultBackend, Op};
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(Durability::Sync)).unwrap();
    for i in 1..=20 {
        log.append(APP, &body(i)).unwrap();
    }
    drop(log);
    let (segment, offset, _) = locate(dir.path(), 10);
    flip(&segment, offset + 40);
    let backend = FaultBackend::new(dir.path());
    let repair_options = LogOptions {
        io: backend.io(),
        ..options(Durability::Sync)
    };
    log::repair(dir.path(), repair_options).unwrap();
    let ops = backend.ops();
    let lock = dir.path().join("log/LOCK");
    let reset = ops
        .iter()
        .position(|op| {
            matches!(op, Op::Write { path, offset: 8, bytes }
                if *path == lock && decode_durable_mark(&[&[0u8; 8][..], bytes].concat()).is_none())
        })
        .expect("the mark is reset");
    let cut = ops
        .iter()
        .position(|op| matches!(op, Op::Write { path, .. } if *path == segment))
        .expect("the damaged bytes are zeroed");
    assert!(reset < cut, "{ops:?}");
    let synced = ops[reset..cut]
        .iter()
        .any(|op| matches!(op, Op::SyncData(p) | Op::SyncAll(p) if *p == lock));
    assert!(synced, "the reset is synced before the cut: {ops:?}");
}
