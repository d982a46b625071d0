//! Recovery on open, on real files: a torn tail is reported and cut (never silently) before
//! the next append; every other kind of damage is corruption with its position; reading
//! never mutates files; repair is explicit and keeps a copy of what it cuts.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use strata::format::{
    encode_record, Defect, RecordType, RepairBody, TornCutBody, SEGMENT_HEADER_LEN,
};
use strata::log::Error;
use strata::log::{self, Durability, Log, LogOptions, OpenVerify, RepairReport};

const APP: RecordType = RecordType(0x100);

fn options() -> LogOptions {
    LogOptions {
        segment_size: 4096,
        preallocate: 8192,
        ..LogOptions::default()
    }
}

fn body(i: u64) -> Vec<u8> {
    format!("record {i:05} {}", "x".repeat((i % 50) as usize)).into_bytes()
}

/// A log of `n` application records; returns the store directory's log handle closed.
fn build(dir: &Path, n: u64) {
    let log = Log::create(dir, options()).unwrap();
    for i in 1..=n {
        log.append(APP, &body(i)).unwrap();
    }
}

/// A log of `n` application records whose last was appended with `Durability::Buffered`:
/// written but never synced, so the durable mark does not cover it, and a crash may tear it
/// (a synced record is covered, and damage to it is corruption: see
/// `damage_to_an_acknowledged_record_is_corruption_and_is_not_cut`).
fn build_with_unsynced_last(dir: &Path, n: u64) {
    build(dir, n - 1);
    let buffered = LogOptions {
        durability: Durability::Buffered,
        ..options()
    };
    Log::open(dir, buffered)
        .unwrap()
        .append(APP, &body(n))
        .unwrap();
}

/// Segment file, offset and encoded length of the record with sequence number `seq`.
fn locate(dir: &Path, seq: u64) -> (PathBuf, u64, u64) {
    let log = Log::open(dir, options()).unwrap();
    let record = log.read(seq).unwrap();
    let segment = log
        .segments()
        .into_iter()
        .find(|s| s.number == record.segment_number)
        .unwrap();
    (segment.path, record.offset, 32 + record.body.len() as u64)
}

fn snapshot_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn expect_corrupt(result: Result<Log, Error>) -> (PathBuf, u64, u64, Defect) {
    match result {
        Err(Error::Corrupt {
            position:
                log::Position {
                    segment,
                    offset,
                    seq,
                    ..
                },
            defect,
        }) => (segment, offset, seq, defect),
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("expected corruption, the log opened"),
    }
}

fn flip(path: &Path, offset: u64) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).unwrap();
    file.write_all_at(&[byte[0] ^ 0xFF], offset).unwrap();
}

#[test]
fn a_log_truncated_at_every_offset_of_its_last_record_reopens_with_the_earlier_records() {
    let dir = tempfile::tempdir().unwrap();
    build_with_unsynced_last(dir.path(), 30);
    let last = Log::open(dir.path(), options()).unwrap().last_seq();
    let (segment, offset, len) = locate(dir.path(), last);
    let original = fs::read(&segment).unwrap();
    for cut in offset..offset + len {
        fs::write(&segment, &original[..cut as usize]).unwrap();
        let log = Log::open(dir.path(), options()).unwrap();
        assert_eq!(log.last_seq(), last - 1, "cut at {cut}");
        let torn = log.torn_tail();
        let torn_bytes = original[offset as usize..cut as usize]
            .iter()
            .any(|&b| b != 0);
        assert_eq!(torn.is_some(), torn_bytes, "cut at {cut}");
        if let Some(torn) = torn {
            assert_eq!(
                (torn.segment.as_path(), torn.offset),
                (segment.as_path(), offset)
            );
            assert!(torn.len > 0 && torn.len <= cut - offset);
        }
        assert_eq!(
            log.iter_from(1).filter(|r| r.is_ok()).count() as u64,
            last - 1
        );
    }
}

#[test]
fn opening_a_log_with_a_torn_tail_does_not_change_any_file() {
    let dir = tempfile::tempdir().unwrap();
    build_with_unsynced_last(dir.path(), 30);
    let last = Log::open(dir.path(), options()).unwrap().last_seq();
    let (segment, offset, len) = locate(dir.path(), last);
    let file = fs::OpenOptions::new().write(true).open(&segment).unwrap();
    file.set_len(offset + len / 2).unwrap();
    let before = snapshot_files(dir.path());
    let log = Log::open(dir.path(), options()).unwrap();
    assert!(log.torn_tail().is_some());
    let _ = log.verify().unwrap();
    drop(log);
    assert_eq!(snapshot_files(dir.path()), before);
}

#[test]
fn torn_tail_is_cut_with_a_copy_and_a_logged_record_before_the_next_append() {
    let dir = tempfile::tempdir().unwrap();
    build_with_unsynced_last(dir.path(), 30);
    let last = Log::open(dir.path(), options()).unwrap().last_seq();
    let (segment, offset, len) = locate(dir.path(), last);
    let torn_bytes =
        fs::read(&segment).unwrap()[offset as usize..(offset + len - 3) as usize].to_vec();
    fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(offset + len - 3)
        .unwrap();

    let log = Log::open(dir.path(), options()).unwrap();
    let torn = log.torn_tail().expect("torn tail reported");
    let seq = log.append(APP, b"after the cut").unwrap();
    assert!(log.torn_tail().is_none());

    let cut_record = log.read(last).unwrap();
    assert_eq!(cut_record.record_type, RecordType::TORN_CUT);
    let cut = TornCutBody::decode(&cut_record.body).unwrap();
    assert_eq!((cut.offset, cut.bytes_dropped), (offset, torn.len));
    assert_eq!(seq, last + 1);
    let copy = dir.path().join("log/torn").join(format!(
        "{}.{offset}.torn",
        segment.file_name().unwrap().to_str().unwrap()
    ));
    let kept = fs::read(copy).expect("a copy of the torn bytes is kept");
    assert_eq!(kept, torn_bytes, "the copy holds every torn byte");

    drop(log);
    let reopened = Log::open(dir.path(), options()).unwrap();
    assert!(reopened.torn_tail().is_none());
    assert_eq!(reopened.read(seq).unwrap().body, b"after the cut");
}

#[test]
fn a_cut_torn_tail_longer_than_the_next_append_is_zeroed_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5);
    let log = Log::open(dir.path(), options()).unwrap();
    let seg = log.segments().pop().unwrap();
    drop(log);
    let torn_len = 700u64;
    let file = fs::OpenOptions::new().write(true).open(&seg.path).unwrap();
    file.write_all_at(&vec![0xA5; torn_len as usize], seg.end_offset)
        .unwrap();

    let log = Log::open(dir.path(), options()).unwrap();
    assert_eq!(log.torn_tail().unwrap().len, torn_len);
    let seq = log.append(APP, b"short").unwrap();
    drop(log);
    let reopened = Log::open(dir.path(), options()).unwrap();
    assert!(reopened.torn_tail().is_none());
    let end = reopened.segments().pop().unwrap().end_offset;
    assert_eq!(reopened.read(seq).unwrap().body, b"short");
    assert!(
        end < seg.end_offset + torn_len,
        "the torn-cut record and the append are shorter than the torn bytes"
    );
    let bytes = fs::read(&seg.path).unwrap();
    let past = &bytes[end as usize..(seg.end_offset + torn_len) as usize];
    assert!(
        past.iter().all(|&b| b == 0),
        "the torn bytes past the new records were zeroed"
    );
}

#[test]
fn garbage_after_the_last_record_is_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 5);
    let log = Log::open(dir.path(), options()).unwrap();
    let seg = log.segments().pop().unwrap();
    drop(log);
    let file = fs::OpenOptions::new().write(true).open(&seg.path).unwrap();
    file.write_all_at(&[0xA5; 700], seg.end_offset).unwrap();
    let log = Log::open(dir.path(), options()).unwrap();
    let torn = log.torn_tail().unwrap();
    assert_eq!((torn.offset, torn.len), (seg.end_offset, 700));
    assert_eq!(log.last_seq(), 5);
}

#[test]
fn one_byte_flipped_anywhere_in_a_sealed_segment_is_detected_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    let log = Log::open(dir.path(), options()).unwrap();
    let sealed = log
        .segments()
        .into_iter()
        .find(|s| s.sealed && s.number == 1)
        .unwrap();
    let records: Vec<_> = log
        .iter_from(1)
        .map(Result::unwrap)
        .filter(|r| r.segment_number == 1)
        .map(|r| (r.offset, 32 + r.body.len() as u64, r.seq))
        .collect();
    drop(log);
    let original = fs::read(&sealed.path).unwrap();
    for at in 0..sealed.end_offset {
        flip(&sealed.path, at);
        let (segment, offset, seq, _) = expect_corrupt(Log::open(dir.path(), options()));
        assert_eq!(segment, sealed.path, "flip at {at}");
        if at < SEGMENT_HEADER_LEN as u64 {
            assert_eq!((offset, seq), (0, sealed.base_seq), "flip at {at}");
        } else {
            let (rec_offset, _, rec_seq) = *records
                .iter()
                .find(|(o, len, _)| (*o..o + len).contains(&at))
                .unwrap();
            assert_eq!((offset, seq), (rec_offset, rec_seq), "flip at {at}");
        }
        fs::write(&sealed.path, &original).unwrap();
    }
    // Non-zero bytes after the seal, inside the preallocated space, are corruption too.
    flip(&sealed.path, sealed.end_offset + 10);
    let (_, _, _, defect) = expect_corrupt(Log::open(dir.path(), options()));
    assert!(matches!(defect, Defect::BytesAfterSeal { .. }), "{defect}");
}

#[test]
fn a_flip_in_a_sealed_segment_opened_tail_only_is_caught_by_reads_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    let (segment, offset, _) = locate(dir.path(), 10);
    flip(&segment, offset + 40);
    let tail_only = LogOptions {
        verify: OpenVerify::Tail,
        ..options()
    };
    let log = Log::open(dir.path(), tail_only).unwrap();
    let err = log
        .iter_from(1)
        .find_map(Result::err)
        .expect("iteration reports the damage");
    assert!(
        matches!(
            &err,
            Error::Corrupt { position: log::Position { offset: o, seq: 10, .. }, .. } if *o == offset
        ),
        "{err}"
    );
    let beyond = log.read(12).unwrap_err();
    assert_eq!(beyond.kind(), strata::ErrorKind::Corrupt, "{beyond}");
    let report = log.verify().unwrap();
    assert_eq!(report.problems.len(), 1);
    assert_eq!(
        (
            report.problems[0].position.offset,
            report.problems[0].position.seq
        ),
        (offset, 10)
    );
}

fn write_record_at_end(dir: &Path, seq: u64) -> (PathBuf, u64) {
    let log = Log::open(dir, options()).unwrap();
    let seg = log.segments().pop().unwrap();
    drop(log);
    let mut bytes = Vec::new();
    encode_record(&mut bytes, APP, seq, 0, b"crafted");
    let file = fs::OpenOptions::new().write(true).open(&seg.path).unwrap();
    file.write_all_at(&bytes, seg.end_offset).unwrap();
    (seg.path, seg.end_offset)
}

#[test]
fn a_sequence_gap_is_corruption_at_the_record() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 10);
    let (path, offset) = write_record_at_end(dir.path(), 13);
    let (segment, at, seq, defect) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!((segment, at, seq), (path, offset, 11));
    assert_eq!(
        defect,
        Defect::SequenceGap {
            expected: 11,
            found: 13
        }
    );
}

#[test]
fn a_repeated_sequence_number_is_corruption_at_the_record() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 10);
    let (path, offset) = write_record_at_end(dir.path(), 10);
    let (segment, at, seq, defect) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!((segment, at, seq), (path, offset, 11));
    assert_eq!(
        defect,
        Defect::SequenceRepeat {
            expected: 11,
            found: 10
        }
    );
}

#[test]
fn a_valid_record_after_a_damaged_one_is_corruption_not_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 3);
    let (segment, offset, _) = locate(dir.path(), 2);
    flip(&segment, offset + 35);
    let (path, at, seq, defect) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!((path, at, seq), (segment, offset, 2));
    assert!(
        matches!(defect, Defect::ValidRecordAfterDamage { seq: 3, .. }),
        "{defect}"
    );
}

#[test]
fn a_segment_swapped_in_from_another_store_is_detected() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build(a.path(), 120);
    build(b.path(), 120);
    let (segment, _, _) = locate(a.path(), 60);
    let name = segment.file_name().unwrap();
    fs::copy(b.path().join("log").join(name), &segment).unwrap();
    let (path, offset, _, defect) = expect_corrupt(Log::open(a.path(), options()));
    assert_eq!((path, offset), (segment, 0));
    assert!(matches!(defect, Defect::ForeignSegment { .. }), "{defect}");
}

#[test]
fn a_missing_segment_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    let (segment, _, _) = locate(dir.path(), 60);
    fs::remove_file(&segment).unwrap();
    let (_, _, _, defect) = expect_corrupt(Log::open(dir.path(), options()));
    assert!(matches!(defect, Defect::MissingSegment { .. }), "{defect}");
}

#[test]
fn a_missing_first_segment_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    fs::remove_file(dir.path().join("log/00000000000000000001.seg")).unwrap();
    let (_, _, seq, defect) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!(seq, 1);
    assert!(matches!(defect, Defect::MissingSegment { .. }), "{defect}");
}

#[test]
fn corruption_leaves_every_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    let (segment, offset, _) = locate(dir.path(), 30);
    flip(&segment, offset + 3);
    let before = snapshot_files(dir.path());
    let (_, _, seq, _) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!(seq, 30);
    let report = log::verify(dir.path()).unwrap();
    assert!(!report.is_ok());
    assert_eq!(snapshot_files(dir.path()), before);
}

#[test]
fn verify_reports_each_problem_with_segment_offset_and_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 200);
    let (seg_a, off_a, _) = locate(dir.path(), 20);
    let (seg_b, off_b, _) = locate(dir.path(), 150);
    assert_ne!(seg_a, seg_b);
    flip(&seg_a, off_a + 1);
    flip(&seg_b, off_b + 40);
    let report = log::verify(dir.path()).unwrap();
    let found: Vec<_> = report
        .problems
        .iter()
        .map(|p| {
            (
                p.position.segment.clone(),
                p.position.offset,
                p.position.seq,
            )
        })
        .collect();
    assert!(found.contains(&(seg_a, off_a, 20)), "{found:?}");
    assert!(found.contains(&(seg_b, off_b, 150)), "{found:?}");
}

#[test]
fn repair_cuts_at_the_first_damage_keeps_a_copy_and_logs_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 200);
    let (segment, offset, _) = locate(dir.path(), 50);
    let segments_before = Log::open(dir.path(), options()).unwrap().segments();
    flip(&segment, offset + 33);
    let (_, _, seq, _) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!(seq, 50);
    let damaged = fs::read(&segment).unwrap();

    // Records 51 to 200 span segments that each start with a checkpoint record.
    let cut_checkpointed = log::RepairOptions {
        cut_checkpointed: true,
    };
    let report = log::repair_with(dir.path(), options(), cut_checkpointed).unwrap();
    let RepairReport::Repaired {
        problem,
        salvage_dir,
        bytes_cut,
        segments_removed,
        repair_seq,
        post_commit_warnings,
        ..
    } = report
    else {
        panic!("expected a repair, got {report:?}");
    };
    assert_eq!(post_commit_warnings, Vec::<String>::new());
    assert_eq!(
        (
            problem.position.segment.as_path(),
            problem.position.offset,
            problem.position.seq
        ),
        (segment.as_path(), offset, 50)
    );
    assert!(bytes_cut > 0);
    let copy = salvage_dir.join(format!(
        "{}.from-{offset}",
        segment.file_name().unwrap().to_str().unwrap()
    ));
    let cut_bytes = &damaged[offset as usize..(offset + bytes_cut) as usize];
    assert_eq!(
        fs::read(copy).expect("a copy of the cut bytes is kept"),
        cut_bytes
    );
    let later = segments_before.iter().filter(|s| s.base_seq > 50).count();
    assert_eq!(segments_removed.len(), later);
    for removed in &segments_removed {
        assert!(salvage_dir.join(removed.file_name().unwrap()).exists());
    }

    let log = Log::open(dir.path(), options()).unwrap();
    assert_eq!(repair_seq, 50);
    let record = log.read(repair_seq).unwrap();
    assert_eq!(record.record_type, RecordType::REPAIR);
    let logged = RepairBody::decode(&record.body).unwrap();
    assert_eq!((logged.offset, logged.bytes_cut), (offset, bytes_cut));
    let kept: Vec<Vec<u8>> = log
        .iter_from(1)
        .map(Result::unwrap)
        .take_while(|r| r.seq < 50)
        .filter(|r| !r.record_type.is_system())
        .map(|r| r.body)
        .collect();
    assert_eq!(kept, (1..=kept.len() as u64).map(body).collect::<Vec<_>>());
    assert_eq!(kept.len(), 49, "every record before the damage is kept");
    let next = log.append(APP, b"after repair").unwrap();
    assert_eq!(next, 51);
}

#[test]
fn repair_of_a_healthy_log_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 50);
    let before = snapshot_files(dir.path());
    let report = log::repair(dir.path(), options()).unwrap();
    assert!(matches!(
        report,
        RepairReport::NothingToRepair { torn_tail: None }
    ));
    assert_eq!(snapshot_files(dir.path()), before);
}

fn repaired(dir: &Path) -> (PathBuf, u64, u64) {
    let cut_checkpointed = log::RepairOptions {
        cut_checkpointed: true,
    };
    match log::repair_with(dir, options(), cut_checkpointed).unwrap() {
        RepairReport::Repaired {
            salvage_dir,
            bytes_cut,
            repair_seq,
            ..
        } => (salvage_dir, bytes_cut, repair_seq),
        other => panic!("expected a repair, got {other:?}"),
    }
}

#[test]
fn a_handle_open_before_a_repair_appends_after_the_repair_record_not_into_what_was_cut() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    // A writer that has written, so it knows the write generation it stored.
    let writer = Log::open(dir.path(), options()).unwrap();
    writer.append(APP, &body(121)).unwrap();
    let (segment, offset, _) = locate(dir.path(), 60);
    flip(&segment, offset + 33);
    let (_, _, repair_seq) = repaired(dir.path());
    // The repair raised the write generation, so this handle re-reads the log before it
    // appends: it may refuse (its segments were moved out), but an append it acknowledges
    // is in the log, never in a segment the repair moved to the salvage folder.
    let appended = writer.append(APP, b"after the repair");
    let reopened = Log::open(dir.path(), options()).unwrap();
    match appended {
        Ok(seq) => {
            assert_eq!(seq, repair_seq + 1);
            assert_eq!(reopened.read(seq).unwrap().body, b"after the repair");
        }
        Err(error) => {
            assert!(error.to_string().contains("disappeared"), "{error}");
            assert_eq!(reopened.last_seq(), repair_seq);
        }
    }
    assert!(log::verify(dir.path()).unwrap().problems.is_empty());
}

#[test]
fn a_damaged_header_of_the_first_segment_is_not_repaired_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    let first = Log::open(dir.path(), options()).unwrap().segments()[0]
        .path
        .clone();
    flip(&first, 9);
    let (segment, offset, _, _) = expect_corrupt(Log::open(dir.path(), options()));
    assert_eq!((segment.as_path(), offset), (first.as_path(), 0));
    let before = snapshot_files(dir.path());
    let error = log::repair(dir.path(), options()).unwrap_err().to_string();
    assert!(error.contains("first segment's header"), "{error}");
    assert_eq!(snapshot_files(dir.path()), before);
}

#[test]
fn a_damaged_header_of_a_later_segment_moves_that_segment_and_the_later_ones_out() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), 120);
    let segments = Log::open(dir.path(), options()).unwrap().segments();
    assert!(segments.len() >= 3, "{}", segments.len());
    let damaged = &segments[1];
    flip(&damaged.path, 9);
    let (salvage_dir, bytes_cut, repair_seq) = repaired(dir.path());
    assert_eq!(bytes_cut, 0);
    for moved in &segments[1..] {
        assert!(salvage_dir.join(moved.path.file_name().unwrap()).exists());
    }
    let log = Log::open(dir.path(), options()).unwrap();
    assert_eq!(log.last_seq(), repair_seq);
    assert_eq!(
        log.read(repair_seq).unwrap().record_type,
        RecordType::REPAIR
    );
    // Every record before the damaged segment is kept.
    assert!(repair_seq >= damaged.base_seq);
}

#[test]
fn the_copy_of_a_cut_reaches_its_last_non_zero_byte_past_the_last_whole_record() {
    let dir = tempfile::tempdir().unwrap();
    build_with_unsynced_last(dir.path(), 120);
    let (segment, offset, _) = locate(dir.path(), 118);
    let (last_segment, last_offset, last_len) = locate(dir.path(), 120);
    assert_eq!(
        last_segment, segment,
        "records 118 to 120 share the last segment"
    );
    // A stray byte 50 bytes past every non-zero byte (so past the last record), and
    // damage to record 118.
    let before = fs::read(&segment).unwrap();
    let stray_at = before.iter().rposition(|&b| b != 0).unwrap() as u64 + 50;
    assert!(stray_at > last_offset + last_len);
    assert!((before.len() as u64) > stray_at + 1);
    let file = fs::OpenOptions::new().write(true).open(&segment).unwrap();
    file.write_all_at(&[0xAB], stray_at).unwrap();
    flip(&segment, offset + 33);
    let damaged = fs::read(&segment).unwrap();
    let (salvage_dir, bytes_cut, _) = repaired(dir.path());
    assert_eq!(bytes_cut, stray_at + 1 - offset);
    let copy = salvage_dir.join(format!(
        "{}.from-{offset}",
        segment.file_name().unwrap().to_str().unwrap()
    ));
    assert_eq!(
        fs::read(copy).unwrap(),
        &damaged[offset as usize..=stray_at as usize]
    );
}
