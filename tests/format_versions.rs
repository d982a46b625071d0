//! Read and write versions (FORMAT.md, "Version compatibility"): a segment of a newer read
//! version is refused; a log whose last segment has a newer write version reads but refuses
//! every append; the first append to a format-1 log seals its last segment and starts a
//! format-2 one; record types a reader does not know are corruption or skipped as the
//! segment's write version says.

mod common;

use common::{corrupt, options, upload, SMALL, SMALL_PLUS_COLUMN};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use strata::format::{encode_record, Defect, RecordType, SealBody, SegmentHeader, FORMAT_VERSION};
use strata::log::{Error as LogError, Log, LogOptions};
use strata::schema::SchemaDriftPolicy;
use strata::{Error, Store, StoreOptions};

const APP: RecordType = RecordType(0x100);

fn log_options() -> LogOptions {
    LogOptions {
        segment_size: 4096,
        preallocate: 8192,
        ..LogOptions::default()
    }
}

fn build(dir: &Path, n: u64) {
    let log = Log::create(dir, log_options()).unwrap();
    for i in 1..=n {
        log.append(APP, format!("record {i}").as_bytes()).unwrap();
    }
}

/// Rewrites the header of the segment file at `path` (its CRC recomputed).
fn rewrite_header(path: &Path, change: impl FnOnce(&mut SegmentHeader)) {
    let bytes = fs::read(path).unwrap();
    let (mut header, _) = SegmentHeader::decode(&bytes).unwrap();
    change(&mut header);
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(&header.encode(), 0).unwrap();
}

fn last_segment(dir: &Path) -> PathBuf {
    let log = Log::open(dir, log_options()).unwrap();
    log.segments().pop().unwrap().path
}

/// Appends, by hand, a valid record of `record_type` after the last record of the log (the
/// next sequence number, the last record's time): what another build could have written.
fn append_by_hand(dir: &Path, record_type: RecordType, body: &[u8]) -> (PathBuf, u64, u64) {
    let log = Log::open(dir, log_options()).unwrap();
    let seq = log.next_seq();
    let time = log.read(seq - 1).unwrap().timestamp_micros;
    let last = log.segments().pop().unwrap();
    drop(log);
    let mut bytes = Vec::new();
    encode_record(&mut bytes, record_type, seq, time, body);
    let file = fs::OpenOptions::new().write(true).open(&last.path).unwrap();
    file.write_all_at(&bytes, last.end_offset).unwrap();
    (last.path, last.end_offset, seq)
}

#[test]
fn a_segment_of_a_newer_read_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3);
    let last = last_segment(dir.path());
    rewrite_header(&last, |h| {
        h.read_version = FORMAT_VERSION + 1;
        h.write_version = FORMAT_VERSION + 1;
    });
    let (segment, offset, _, defect) = corrupt(Log::open(dir.path(), log_options()));
    assert_eq!((segment, offset), (last, 0));
    assert_eq!(
        defect,
        Defect::UnsupportedVersion {
            found: FORMAT_VERSION + 1
        }
    );
}

#[test]
fn a_log_whose_last_segment_has_a_newer_write_version_reads_but_refuses_every_append() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3);
    let last = last_segment(dir.path());
    rewrite_header(&last, |h| h.write_version = FORMAT_VERSION + 1);
    let log = Log::open(dir.path(), log_options()).unwrap();
    assert_eq!(log.read(2).unwrap().body, b"record 2");
    assert_eq!(log.iter_from(1).filter(|r| r.is_ok()).count(), 3);
    assert!(log.verify().unwrap().is_ok());
    let read_only = |e: LogError| match e {
        LogError::ReadOnly {
            segment,
            write_version,
        } => {
            assert_eq!((segment, write_version), (last.clone(), FORMAT_VERSION + 1));
        }
        other => panic!("expected ReadOnly, got {other}"),
    };
    read_only(log.append(APP, b"refused").unwrap_err());
    read_only(log.lock_writer().unwrap_err());
    let message = log.append(APP, b"refused").unwrap_err().to_string();
    assert!(message.contains("newer strata"), "{message}");
    assert_eq!(log.last_seq(), 3, "nothing was appended");
}

#[test]
fn a_torn_tail_of_a_read_only_log_is_reported_and_never_cut() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3);
    let log = Log::open(dir.path(), log_options()).unwrap();
    let last = log.segments().pop().unwrap();
    drop(log);
    rewrite_header(&last.path, |h| h.write_version = FORMAT_VERSION + 1);
    let file = fs::OpenOptions::new().write(true).open(&last.path).unwrap();
    file.write_all_at(&[0xA5; 50], last.end_offset).unwrap();
    let before = fs::read(&last.path).unwrap();
    let log = Log::open(dir.path(), log_options()).unwrap();
    assert_eq!(log.torn_tail().unwrap().offset, last.end_offset);
    assert!(matches!(
        log.append(APP, b"x"),
        Err(LogError::ReadOnly { .. })
    ));
    let repaired = strata::log::repair(dir.path(), log_options()).unwrap();
    assert!(matches!(
        repaired,
        strata::log::RepairReport::NothingToRepair { torn_tail: Some(_) }
    ));
    assert_eq!(fs::read(&last.path).unwrap(), before, "nothing was cut");
}

#[test]
fn a_store_of_a_newer_write_version_reads_but_refuses_uploads_and_rollbacks() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let plus = common::overwrite(
        "d",
        &[("t.csv", SMALL_PLUS_COLUMN)],
        SchemaDriftPolicy::Warn,
    );
    store.save_upload(plus).unwrap();
    drop(store);
    let last = last_segment(dir.path());
    rewrite_header(&last, |h| h.write_version = FORMAT_VERSION + 1);
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.get_active_version("d").unwrap().version, 2);
    assert!(store
        .version_infos(store.catalog().get("d").unwrap())
        .is_ok());
    assert!(matches!(
        store.rollback_to_version("d", "1", "ana", "back"),
        Err(Error::Log(LogError::ReadOnly { .. }))
    ));
    assert!(matches!(
        store.save_upload(upload("e", &[("t.csv", SMALL)])),
        Err(Error::Log(LogError::ReadOnly { .. }))
    ));
    assert_eq!(store.get_active_version("d").unwrap().version, 2);
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_first_append_to_a_format_1_log_seals_it_and_starts_a_format_2_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("history");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1/history");
    copy_tree(Path::new(fixture), &dir);
    // Blob files: the upload appends one record, its event.
    let options = StoreOptions {
        inline_table_max: 0,
        ..StoreOptions::default()
    };
    let store = Store::open(&dir, options).unwrap();
    let records_before: Vec<_> = store.log().iter_from(1).map(Result::unwrap).collect();
    let catalog_before = store.catalog().clone();
    let segments_before = store.log().segments();
    let last_v1 = segments_before.last().unwrap().clone();
    assert!(segments_before
        .iter()
        .all(|s| (s.read_version, s.write_version) == (1, 1)));
    assert!(!last_v1.sealed);

    let outcome = store
        .save_upload(upload("added", &[("t.csv", SMALL)]))
        .unwrap();
    let seal_seq = records_before.len() as u64 + 1;
    // The new segment starts with a checkpoint record of every earlier record (FORMAT.md,
    // "Checkpoint record"), so the upload follows it.
    assert_eq!(outcome.seq, Some(seal_seq + 2));

    // The format-1 segment is sealed by the first append...
    let seal = store.log().read(seal_seq).unwrap();
    assert_eq!(
        (seal.record_type, seal.segment_number),
        (RecordType::SEAL, last_v1.number)
    );
    assert_eq!(
        SealBody::decode(&seal.body).unwrap(),
        SealBody {
            segment_number: last_v1.number,
            first_seq: last_v1.base_seq,
            record_count: last_v1.records,
            seal_offset: last_v1.end_offset,
        }
    );
    // ...and the upload follows the checkpoint that starts a format-2 segment chained to
    // that seal.
    let segments = store.log().segments();
    let new = segments.last().unwrap();
    assert_eq!(segments.len(), segments_before.len() + 1);
    assert_eq!(
        (
            new.number,
            new.base_seq,
            new.read_version,
            new.write_version
        ),
        (last_v1.number + 1, seal_seq + 1, 2, 2)
    );
    let header = SegmentHeader::decode(&fs::read(&new.path).unwrap())
        .unwrap()
        .0;
    assert_eq!(header.prev_seal_offset, last_v1.end_offset);
    assert_eq!(header.store_id, *store.log().store_id().as_bytes());
    let checkpoint = store.log().read(seal_seq + 1).unwrap();
    assert_eq!(
        (
            checkpoint.record_type,
            checkpoint.segment_number,
            checkpoint.offset
        ),
        (RecordType::CHECKPOINT, new.number, 128)
    );
    let body = strata::format::leaf::CheckpointBody::decode(&checkpoint.body).unwrap();
    assert_eq!(
        body.size, seal_seq,
        "it covers every earlier record, the seal included"
    );
    let upload_record = store.log().read(seal_seq + 2).unwrap();
    assert_eq!(upload_record.segment_number, new.number);
    drop(store);

    // Every earlier record and the catalog read as before, from a fresh full open.
    let reopened = Store::open(&dir, StoreOptions::default()).unwrap();
    let records: Vec<_> = reopened.log().iter_from(1).map(Result::unwrap).collect();
    assert_eq!(records[..records_before.len()], records_before[..]);
    for ds in catalog_before.datasets() {
        assert_eq!(reopened.catalog().get(&ds.name).unwrap(), ds);
    }
    assert_eq!(reopened.get_active_version("added").unwrap().version, 1);
    assert!(reopened.log().verify().unwrap().is_ok());
    reopened.assert_invariants(true).unwrap();
    let full = Log::open(&dir, LogOptions::default()).unwrap();
    assert_eq!(full.last_seq(), seal_seq + 2);
}

#[test]
fn an_unknown_system_type_is_corruption_under_a_write_version_this_build_knows() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3);
    // 0x0004 is the checkpoint record from format 2 on; 0x0005 is defined by no version.
    let (path, offset, seq) = append_by_hand(dir.path(), RecordType(0x0005), b"from a later build");
    let (segment, at, expected, defect) = corrupt(Log::open(dir.path(), log_options()));
    assert_eq!((segment, at, expected), (path, offset, seq));
    assert_eq!(
        defect,
        Defect::UnknownRecordType {
            record_type: 5,
            write_version: FORMAT_VERSION
        }
    );
    assert!(!strata::log::verify(dir.path()).unwrap().is_ok());
}

#[test]
fn an_unknown_system_type_is_skipped_under_a_newer_write_version() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3);
    let (path, _, seq) = append_by_hand(dir.path(), RecordType(0x0005), b"from a later build");
    rewrite_header(&path, |h| h.write_version = FORMAT_VERSION + 1);
    let log = Log::open(dir.path(), log_options()).unwrap();
    assert_eq!(log.last_seq(), seq);
    let record = log.read(seq).unwrap();
    assert_eq!(
        (record.record_type, record.segment_write_version),
        (RecordType(5), FORMAT_VERSION + 1)
    );
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn an_application_type_the_store_does_not_define_is_an_invariant_error_naming_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    drop(store);
    // 0x0101 is `table_bytes`, 0x0102 `query_run`; 0x0103 is the first type the store does
    // not define.
    let (_, _, seq) = append_by_hand(dir.path(), RecordType(0x0103), b"not an event");
    let error = Store::open(dir.path(), options()).unwrap_err();
    assert!(
        matches!(&error, Error::Invariant { seq: Some(at), detail: m } if *at == seq && m.contains("0x0103")),
        "{error}"
    );
    // The log itself treats the type as opaque: it opens.
    assert_eq!(
        Log::open(dir.path(), log_options()).unwrap().last_seq(),
        seq
    );
}

#[test]
fn an_application_type_the_store_does_not_define_is_skipped_under_a_newer_write_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    drop(store);
    let (path, _, seq) = append_by_hand(dir.path(), RecordType(0x0103), b"not an event");
    rewrite_header(&path, |h| h.write_version = FORMAT_VERSION + 1);
    let store = Store::open(dir.path(), options()).unwrap();
    assert_eq!(store.catalog().last_seq, seq);
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
}
