//! Round trips through the segment log: every record size up to the maximum, across segment
//! rolls, read back by iteration, by sequence number and after reopening.

use std::time::{Duration, Instant};
use strata::format::{RecordType, MAX_BODY_LEN};
use strata::log::Error;
use strata::log::{Durability, Log, LogOptions, OpenVerify, WaitOutcome};

const APP: RecordType = RecordType(0x100);

fn options(segment_size: u64) -> LogOptions {
    LogOptions {
        segment_size,
        preallocate: 64 * 1024,
        ..LogOptions::default()
    }
}

/// A body of `len` bytes whose content depends on `len`, so misplaced bytes are caught.
fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) ^ len) as u8).collect()
}

/// Every size from 0 to 600 bytes, each power of two and its neighbours up to the maximum,
/// and the maximum itself.
fn sizes() -> Vec<usize> {
    let max = MAX_BODY_LEN as usize;
    let mut sizes: Vec<usize> = (0..=600).collect();
    let mut p = 1024;
    while p <= max {
        sizes.extend([p - 1, p, p + 1].into_iter().filter(|&s| s <= max));
        p *= 2;
    }
    sizes.push(max);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

fn app_records(log: &Log) -> Vec<(u64, Vec<u8>)> {
    log.iter_from(1)
        .map(|r| r.expect("valid record"))
        .filter(|r| !r.record_type.is_system())
        .map(|r| (r.seq, r.body))
        .collect()
}

#[test]
fn records_of_every_size_up_to_the_maximum_round_trip_across_segment_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = sizes();
    let opts = LogOptions {
        durability: Durability::Buffered,
        ..options(256 * 1024)
    };
    let log = Log::create(dir.path(), opts.clone()).unwrap();
    let seqs: Vec<u64> = sizes
        .iter()
        .map(|&n| log.append(APP, &body(n)).unwrap())
        .collect();
    assert!(
        log.segments().len() > 10,
        "the sizes must span many segments"
    );
    let check = |log: &Log| {
        let records = app_records(log);
        assert_eq!(records.len(), sizes.len());
        for ((seq, got), (&want_seq, &n)) in records.iter().zip(seqs.iter().zip(&sizes)) {
            assert_eq!(*seq, want_seq);
            assert!(*got == body(n), "body of size {n} differs");
        }
        for (&seq, &n) in seqs.iter().zip(&sizes).step_by(37) {
            assert_eq!(log.read(seq).unwrap().body, body(n));
        }
    };
    check(&log);
    drop(log);
    check(&Log::open(dir.path(), opts.clone()).unwrap());
    check(
        &Log::open(
            dir.path(),
            LogOptions {
                verify: OpenVerify::Tail,
                ..opts
            },
        )
        .unwrap(),
    );
}

#[test]
fn a_body_over_the_maximum_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(1 << 20)).unwrap();
    let err = log
        .append(APP, &vec![0u8; MAX_BODY_LEN as usize + 1])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RecordTooLarge {
                max: MAX_BODY_LEN,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(log.last_seq(), 0);
}

#[test]
fn system_record_types_cannot_be_appended_by_callers() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(1 << 20)).unwrap();
    for system in [RecordType::SEAL, RecordType(0)] {
        let err = log.append(system, b"").unwrap_err();
        assert!(matches!(err, Error::InvalidOption(_)), "{err:?}");
        assert_eq!(err.kind(), strata::ErrorKind::Invalid, "{err}");
    }
    assert_eq!(log.last_seq(), 0);
}

#[test]
fn sequence_numbers_are_gapless_and_segments_are_sealed_when_they_roll() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(4096)).unwrap();
    for i in 0..500u32 {
        log.append(APP, &i.to_le_bytes()).unwrap();
    }
    let all: Vec<_> = log.iter_from(1).map(Result::unwrap).collect();
    let seqs: Vec<u64> = all.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=all.len() as u64).collect::<Vec<_>>());
    let segments = log.segments();
    assert!(segments.len() > 3);
    assert!(segments[..segments.len() - 1].iter().all(|s| s.sealed));
    assert!(!segments.last().unwrap().sealed);
    let seals = all
        .iter()
        .filter(|r| r.record_type == RecordType::SEAL)
        .count();
    assert_eq!(seals, segments.len() - 1);
    for pair in segments.windows(2) {
        assert_eq!(pair[1].base_seq, pair[0].base_seq + pair[0].records);
        let name = pair[1]
            .path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(name, format!("{:020}.seg", pair[1].base_seq));
    }
}

#[test]
fn iteration_can_start_at_any_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(4096)).unwrap();
    for i in 0..300u32 {
        log.append(APP, &i.to_le_bytes()).unwrap();
    }
    let last = log.last_seq();
    for from in [1, 2, 17, 100, 151, last - 1, last] {
        let first = log.iter_from(from).next().unwrap().unwrap();
        assert_eq!(first.seq, from);
        assert_eq!(log.iter_from(from).count() as u64, last - from + 1);
    }
    assert!(log.iter_from(last + 1).next().is_none());
}

#[test]
fn reading_a_sequence_number_outside_the_log_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(4096)).unwrap();
    log.append(APP, b"a").unwrap();
    let err = log.read(5).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SeqOutOfRange {
                seq: 5,
                first: 1,
                last: 1
            }
        ),
        "{err}"
    );
    let zero = log.read(0).unwrap_err();
    assert!(
        matches!(zero, Error::SeqOutOfRange { seq: 0, .. }),
        "{zero}"
    );
    assert_eq!(zero.kind(), strata::ErrorKind::NotFound, "{zero}");
}

#[test]
fn batches_get_consecutive_sequence_numbers_even_at_a_roll() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options(4096)).unwrap();
    let bodies: Vec<Vec<u8>> = (0..40).map(|i| body(100 + i)).collect();
    for _ in 0..5 {
        let batch: Vec<(RecordType, &[u8])> = bodies.iter().map(|b| (APP, b.as_slice())).collect();
        let range = log.append_batch(&batch).unwrap();
        assert_eq!(range.end() - range.start() + 1, 40);
        for (seq, want) in range.zip(&bodies) {
            assert_eq!(&log.read(seq).unwrap().body, want);
        }
    }
}

#[test]
fn concurrent_appenders_in_one_process_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Arc::new(Log::create(dir.path(), options(8192)).unwrap());
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                (0..50u8)
                    .map(|i| (log.append(APP, &[t, i]).unwrap(), [t, i]))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let acked: Vec<(u64, [u8; 2])> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(acked.len(), 400);
    let reopened = Log::open(dir.path(), options(8192)).unwrap();
    for (seq, body) in &acked {
        assert_eq!(&reopened.read(*seq).unwrap().body, body);
    }
    assert_eq!(app_records(&reopened).len(), 400);
}

/// The store's write path (the writer guard: lock, append, commit) from 8 threads of one
/// handle: while one commit's `fdatasync` runs, the others wait for it or for their turn to
/// sync, and every one must be woken and return (a lost wake-up hangs a commit forever, so
/// the threads run under a deadline), with every record durable and readable after reopening.
#[test]
fn concurrent_guard_commits_on_one_handle_all_return_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Arc::new(Log::create(dir.path(), options(8192)).unwrap());
    let (done, finished) = std::sync::mpsc::channel();
    for t in 0..8u8 {
        let (log, done) = (log.clone(), done.clone());
        std::thread::spawn(move || {
            let acked: Vec<(u64, [u8; 2])> = (0..40u8)
                .map(|i| {
                    let mut guard = log.lock_writer().unwrap();
                    let seq = *guard.append_batch(&[(APP, &[t, i])]).unwrap().start();
                    guard.commit().unwrap();
                    (seq, [t, i])
                })
                .collect();
            done.send(acked).unwrap();
        });
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut acked = Vec::new();
    for _ in 0..8 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(mine) = finished.recv_timeout(left) else {
            panic!("a commit never returned: a thread waiting for a sync was not woken");
        };
        acked.extend(mine);
    }
    assert_eq!(acked.len(), 320);
    let reopened = Log::open(dir.path(), options(8192)).unwrap();
    for (seq, body) in &acked {
        assert_eq!(&reopened.read(*seq).unwrap().body, body);
    }
    assert_eq!(app_records(&reopened).len(), 320);
}

/// Batches queued by 8 threads are written together, several to a `pwrite`, while segments
/// roll every few batches: each batch must still get consecutive sequence numbers in one
/// segment, with its records in order, and the log must reopen gapless with every batch.
#[test]
fn concurrent_batches_keep_their_order_and_are_never_split_by_a_roll() {
    for durability in [Durability::Sync, Durability::Buffered] {
        let dir = tempfile::tempdir().unwrap();
        let opts = LogOptions {
            durability,
            ..options(4096)
        };
        let log = std::sync::Arc::new(Log::create(dir.path(), opts.clone()).unwrap());
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    (0..30u8)
                        .map(|i| {
                            let count = 1 + (t as usize + i as usize) % 4;
                            let bodies: Vec<Vec<u8>> = (0..count)
                                .map(|k| {
                                    let len = 50 + (t as usize * 97 + i as usize * 31 + k) % 850;
                                    let mut b = body(len);
                                    b[..3].copy_from_slice(&[t, i, k as u8]);
                                    b
                                })
                                .collect();
                            let batch: Vec<(RecordType, &[u8])> =
                                bodies.iter().map(|b| (APP, b.as_slice())).collect();
                            (log.append_batch(&batch).unwrap(), bodies)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let acked: Vec<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let reopened = Log::open(dir.path(), opts).unwrap();
        assert!(
            reopened.segments().len() > 10,
            "the test must cross many segment rolls"
        );
        let mut total = 0;
        for (range, bodies) in &acked {
            assert_eq!(range.clone().count(), bodies.len());
            let records: Vec<_> = range.clone().map(|s| reopened.read(s).unwrap()).collect();
            let segment = records[0].segment_number;
            for (record, want) in records.iter().zip(bodies) {
                assert_eq!(&record.body, want, "seq {}", record.seq);
                assert_eq!(
                    record.segment_number, segment,
                    "batch split at seq {}",
                    record.seq
                );
            }
            total += bodies.len();
        }
        assert_eq!(app_records(&reopened).len(), total, "{durability:?}");
    }
}

#[test]
fn opening_where_there_is_no_log_is_not_found_and_creating_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Log::open(dir.path(), LogOptions::default()),
        Err(Error::NotFound { .. })
    ));
    Log::create(dir.path(), LogOptions::default()).unwrap();
    assert!(matches!(
        Log::create(dir.path(), LogOptions::default()),
        Err(Error::AlreadyExists { .. })
    ));
}

#[test]
fn a_second_handle_catches_up_on_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Log::create(dir.path(), options(4096)).unwrap();
    let reader = Log::open(dir.path(), options(4096)).unwrap();
    for i in 0..100u32 {
        writer.append(APP, &i.to_le_bytes()).unwrap();
    }
    assert_eq!(reader.last_seq(), 0);
    reader.refresh().unwrap();
    assert_eq!(reader.last_seq(), writer.last_seq());
    // The second handle appends after the first handle's records, not over them.
    let seq = reader.append(APP, b"from reader").unwrap();
    assert_eq!(seq, writer.last_seq() + 1);
    writer.refresh().unwrap();
    assert_eq!(writer.read(seq).unwrap().body, b"from reader");
}

#[test]
fn a_waiter_is_woken_by_an_append_of_its_own_handle() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::sync::Arc::new(Log::create(dir.path(), LogOptions::default()).unwrap());
    let waiter = {
        let log = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            let outcome = log.wait_past(0, Duration::from_secs(30));
            (outcome, Instant::now())
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let appending = Instant::now();
    log.append(APP, b"wake up").unwrap();
    let (outcome, woken) = waiter.join().unwrap();
    assert_eq!(outcome.unwrap(), WaitOutcome::Appended { last_seq: 1 });
    let late = woken.saturating_duration_since(appending);
    assert!(
        late < Duration::from_secs(1),
        "woken {late:?} after the append"
    );
}

#[test]
fn a_second_handle_waiting_in_the_same_process_is_woken_and_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Log::create(dir.path(), LogOptions::default()).unwrap();
    writer.append(APP, b"one").unwrap();
    let reader = Log::open(dir.path(), LogOptions::default()).unwrap();
    let waiter = std::thread::spawn(move || {
        let outcome = reader.wait_past(1, Duration::from_secs(30));
        (outcome, reader)
    });
    std::thread::sleep(Duration::from_millis(200));
    writer.append(APP, b"two").unwrap();
    let (outcome, reader) = waiter.join().unwrap();
    assert_eq!(outcome.unwrap(), WaitOutcome::Appended { last_seq: 2 });
    assert_eq!(
        reader.read(2).unwrap().body,
        b"two",
        "the view holds the record"
    );
}

#[test]
fn waiting_past_the_last_record_times_out_when_nothing_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), LogOptions::default()).unwrap();
    log.append(APP, b"only").unwrap();
    let started = Instant::now();
    let timeout = Duration::from_millis(300);
    assert_eq!(
        log.wait_past(1, timeout).unwrap(),
        WaitOutcome::TimedOut { last_seq: 1 }
    );
    let waited = started.elapsed();
    assert!(
        waited >= timeout && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[test]
fn waiting_past_a_record_that_is_not_the_last_returns_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), LogOptions::default()).unwrap();
    log.append_batch(&[(APP, b"a".as_slice()), (APP, b"b")])
        .unwrap();
    let started = Instant::now();
    let outcome = log.wait_past(1, Duration::from_secs(30)).unwrap();
    assert_eq!(outcome, WaitOutcome::Appended { last_seq: 2 });
    assert!(started.elapsed() < Duration::from_secs(5));
}
