//! The automatic checkpoint policy (FORMAT.md, *Where checkpoint records are written*): a
//! checkpoint record before an append once `checkpoint_interval` records, or once
//! `checkpoint_bytes` bytes of bodies, follow the last one, whichever comes first.

use strata::audit::LogTree;
use strata::format::RecordType;
use strata::log::{Durability, Log, LogOptions};

const APP: RecordType = RecordType(0x100);
const BODY: usize = 10 * 1024;

fn options(interval: u64, bytes: u64) -> LogOptions {
    LogOptions {
        durability: Durability::Buffered,
        checkpoint_interval: interval,
        checkpoint_bytes: bytes,
        ..LogOptions::default()
    }
}

/// Appends `n` records of [`BODY`] bytes, one append each, and returns the log.
fn log_of(dir: &std::path::Path, options: LogOptions, n: usize) -> Log {
    let log = Log::create(dir, options).unwrap();
    for i in 0..n {
        log.append(APP, &vec![i as u8; BODY]).unwrap();
    }
    log
}

/// The bytes of the bodies of the application records between consecutive checkpoint
/// records (and before the first, and after the last).
fn bytes_between_checkpoints(log: &Log) -> Vec<usize> {
    let mut runs = vec![0];
    for record in log.iter_from(1) {
        let record = record.unwrap();
        if record.record_type == RecordType::CHECKPOINT {
            runs.push(0);
        } else {
            *runs.last_mut().unwrap() += record.body.len();
        }
    }
    runs
}

fn assert_every_checkpoint_matches_the_log(log: &Log) {
    for checkpoint in LogTree::rebuild(log).unwrap().checkpoints {
        assert!(
            checkpoint.matches_log,
            "checkpoint at seq {}",
            checkpoint.seq
        );
    }
}

#[test]
fn a_checkpoint_is_written_once_the_bodies_after_the_last_one_reach_the_byte_bound() {
    let dir = tempfile::tempdir().unwrap();
    // 64 KiB: the seventh 10 KiB body reaches 70 KiB, so a checkpoint goes before the eighth.
    let log = log_of(dir.path(), options(1000, 64 * 1024), 40);
    let runs = bytes_between_checkpoints(&log);
    assert_eq!(
        runs,
        vec![7 * BODY, 7 * BODY, 7 * BODY, 7 * BODY, 7 * BODY, 5 * BODY]
    );
    assert_every_checkpoint_matches_the_log(&log);
}

#[test]
fn the_record_count_bounds_checkpoints_too_whichever_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_of(dir.path(), options(3, 64 * 1024), 10);
    assert_eq!(
        bytes_between_checkpoints(&log),
        vec![3 * BODY, 3 * BODY, 3 * BODY, BODY]
    );
    assert_every_checkpoint_matches_the_log(&log);
}

#[test]
fn with_both_bounds_off_only_segment_starts_get_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_of(dir.path(), options(0, 0), 40);
    assert_eq!(log.segments().len(), 1);
    assert_eq!(bytes_between_checkpoints(&log), vec![40 * BODY]);
}

#[test]
fn the_default_byte_bound_is_1_mib() {
    assert_eq!(LogOptions::default().checkpoint_bytes, 1024 * 1024);
    let dir = tempfile::tempdir().unwrap();
    // 500 records of 10 KiB (under the default 1,000 records): checkpoints by bytes only.
    let defaults = LogOptions {
        durability: Durability::Buffered,
        ..LogOptions::default()
    };
    let log = log_of(dir.path(), defaults, 500);
    let runs = bytes_between_checkpoints(&log);
    let per_run = (1024 * 1024usize).div_ceil(BODY) * BODY;
    assert_eq!(runs[..runs.len() - 1], vec![per_run; runs.len() - 1][..]);
    assert!(runs.len() > 1, "{runs:?}");
}
