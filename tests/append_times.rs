//! Append times never go back (FORMAT.md, "Record" and "Writing and durability"): a commit's
//! time is the later of the clock and the last record's; a dataset event carries its record's
//! time; a format-2 record whose time goes back is corruption; time travel over a format-1 log
//! whose clock stepped back uses the running maximum of activation times.

mod common;

use common::{corrupt, overwrite, upload, SMALL, SMALL_MORE_ROWS, SMALL_PLUS_COLUMN};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use strata::format::{encode_record, Defect, RecordType, SegmentHeader};
use strata::log::{Clock, Log, LogOptions, OpenVerify};
use strata::schema::SchemaDriftPolicy;
use strata::store::{Event, EventKind, DATASET_EVENT};
use strata::{Error, Store, StoreOptions, VersionRef};

const APP: RecordType = RecordType(0x100);

/// 2024-05-01 at `hh:mm` UTC, in microseconds.
fn at(hh: i64, mm: i64) -> i64 {
    let day = chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    midnight + (hh * 60 + mm) * 60_000_000
}

/// A clock the test sets.
fn settable_clock() -> (Clock, Arc<AtomicI64>) {
    let now = Arc::new(AtomicI64::new(at(9, 0)));
    let reading = Arc::clone(&now);
    (Clock::from_fn(move || reading.load(Ordering::SeqCst)), now)
}

/// Blob files: one record per write, so that the times listed are the writes'.
fn store_options(clock: Clock) -> StoreOptions {
    let defaults = common::blob_file_options();
    StoreOptions {
        log: LogOptions {
            clock,
            ..defaults.log
        },
        ..defaults
    }
}

fn version_at(store: &Store, time: &str) -> strata::Result<u64> {
    store.resolve_version("d", &time.parse::<VersionRef>()?)
}

#[test]
fn append_times_never_go_back_when_the_clock_does() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, now) = settable_clock();
    let store = Store::create(dir.path(), store_options(clock)).unwrap();
    now.store(at(10, 0), Ordering::SeqCst);
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    now.store(at(11, 0), Ordering::SeqCst);
    let v2 = overwrite(
        "d",
        &[("t.csv", SMALL_PLUS_COLUMN)],
        SchemaDriftPolicy::Warn,
    );
    store.save_upload(v2).unwrap();
    now.store(at(9, 30), Ordering::SeqCst); // the clock is set back
    store.rollback_to_version("d", "1", "ana", "back").unwrap();
    now.store(at(9, 45), Ordering::SeqCst);
    let v3 = overwrite("d", &[("t.csv", SMALL_MORE_ROWS)], SchemaDriftPolicy::Warn);
    store.save_upload(v3).unwrap();

    let records: Vec<_> = store.log().iter_from(1).map(Result::unwrap).collect();
    let times: Vec<i64> = records.iter().map(|r| r.timestamp_micros).collect();
    assert_eq!(times, [at(10, 0), at(11, 0), at(11, 0), at(11, 0)]);
    for record in records.iter().filter(|r| r.record_type == DATASET_EVENT) {
        let event = Event::decode(&record.body, || record.position()).unwrap();
        assert_eq!(
            event.timestamp_micros, record.timestamp_micros,
            "event {}",
            record.seq
        );
    }
    let ds = store.catalog().get("d").unwrap().clone();
    assert_eq!(ds.version_at(at(10, 30)), Some(1));
    assert_eq!(ds.version_at(at(9, 59)), None);
    assert_eq!(ds.version_at(at(11, 0)), Some(3));
    assert_eq!(version_at(&store, "2024-05-01T10:30:00Z").unwrap(), 1);
    assert_eq!(version_at(&store, "2024-05-01 12:00:00").unwrap(), 3);
    assert!(version_at(&store, "2024-05-01T09:50:00Z").is_err());
    drop(store);

    // The same after a fresh replay, and from a snapshot.
    let reopened = Store::open(dir.path(), common::options()).unwrap();
    assert_eq!(version_at(&reopened, "2024-05-01T10:30:00Z").unwrap(), 1);
    reopened.snapshot().unwrap();
    let from_snapshot = Store::open(dir.path(), common::options()).unwrap();
    assert!(from_snapshot.loaded_snapshot().is_some());
    assert_eq!(
        version_at(&from_snapshot, "2024-05-01T10:30:00Z").unwrap(),
        1
    );
}

#[test]
fn a_writer_guard_shows_the_time_its_records_will_carry() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, now) = settable_clock();
    let log = Log::create(
        dir.path(),
        LogOptions {
            clock,
            ..LogOptions::default()
        },
    )
    .unwrap();
    now.store(at(12, 0), Ordering::SeqCst);
    log.append(APP, b"noon").unwrap();
    now.store(at(8, 0), Ordering::SeqCst);
    let mut guard = log.lock_writer().unwrap();
    assert_eq!(guard.commit_micros(), at(12, 0));
    let range = guard
        .append_batch(&[(APP, b"a".as_slice()), (APP, b"b")])
        .unwrap();
    guard.commit().unwrap();
    for seq in range {
        assert_eq!(log.read(seq).unwrap().timestamp_micros, at(12, 0));
    }
    now.store(at(13, 0), Ordering::SeqCst);
    assert_eq!(log.lock_writer().unwrap().commit_micros(), at(13, 0));
}

fn log_options() -> LogOptions {
    LogOptions {
        segment_size: 4096,
        preallocate: 8192,
        ..LogOptions::default()
    }
}

/// Rewrites the record `seq` in place with its append time changed to `time` (both CRCs
/// recomputed, so only the time rule can catch it).
fn forge_time(dir: &Path, seq: u64, time: i64) -> (std::path::PathBuf, u64) {
    let log = Log::open(dir, log_options()).unwrap();
    let record = log.read(seq).unwrap();
    let path = log.segments()[record.segment_number as usize].path.clone();
    drop(log);
    let mut bytes = Vec::new();
    encode_record(&mut bytes, record.record_type, seq, time, &record.body);
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&bytes, record.offset).unwrap();
    (path, record.offset)
}

#[test]
fn a_record_whose_time_goes_back_in_a_format_2_segment_is_corruption_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), log_options()).unwrap();
    for i in 0..5u64 {
        log.append(APP, format!("record {i}").as_bytes()).unwrap();
    }
    let previous = log.read(4).unwrap().timestamp_micros;
    drop(log);
    let (path, offset) = forge_time(dir.path(), 5, previous - 1);
    let expected = Defect::TimeWentBackwards {
        previous,
        found: previous - 1,
    };
    for verify in [OpenVerify::Full, OpenVerify::Tail] {
        let opened = Log::open(
            dir.path(),
            LogOptions {
                verify,
                ..log_options()
            },
        );
        let (segment, at, seq, defect) = corrupt(opened);
        assert_eq!((&segment, at, seq, &defect), (&path, offset, 5, &expected));
    }
    let report = strata::log::verify(dir.path()).unwrap();
    assert_eq!(report.problems.len(), 1);
    assert_eq!(
        (
            report.problems[0].position.offset,
            report.problems[0].position.seq,
            &report.problems[0].defect
        ),
        (offset, 5, &expected)
    );
}

#[test]
fn a_first_record_earlier_than_the_previous_segment_is_corruption_at_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), log_options()).unwrap();
    while log.segments().len() < 3 {
        log.append(APP, &[7u8; 300]).unwrap();
    }
    let last = log.segments().pop().unwrap();
    let seal = log.read(last.base_seq - 1).unwrap();
    assert_eq!(seal.record_type, RecordType::SEAL);
    drop(log);
    let (path, offset) = forge_time(dir.path(), last.base_seq, seal.timestamp_micros - 1);
    assert_eq!((path.clone(), offset), (last.path.clone(), 128));
    let (segment, at, seq, defect) = corrupt(Log::open(dir.path(), log_options()));
    assert_eq!((segment, at, seq), (path, 128, last.base_seq));
    // The segment's first record is its checkpoint record, and the append follows it: a
    // valid record after the damage, which is then reported around it.
    let defect = match defect {
        Defect::ValidRecordAfterDamage { damage, .. } => *damage,
        other => other,
    };
    assert!(
        matches!(defect, Defect::TimeWentBackwards { .. }),
        "{defect}"
    );
    let report = strata::log::verify(dir.path()).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
}

#[test]
fn an_event_whose_time_is_not_its_records_is_an_invariant_error_naming_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    // Blob files: record 1 is the upload's event.
    let store = Store::create(dir.path(), common::blob_file_options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    drop(store);
    // Re-encode event 1 with another time, keeping the record's.
    let log = Log::open(dir.path(), log_options()).unwrap();
    let record = log.read(1).unwrap();
    let path = log.segments()[0].path.clone();
    drop(log);
    let mut event = Event::decode(&record.body, || record.position()).unwrap();
    event.timestamp_micros -= 1;
    let mut bytes = Vec::new();
    encode_record(
        &mut bytes,
        DATASET_EVENT,
        1,
        record.timestamp_micros,
        &event.encode(),
    );
    assert_eq!(bytes.len(), 32 + record.body.len());
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&bytes, record.offset).unwrap();
    let error = Store::open(dir.path(), common::options()).unwrap_err();
    assert!(
        matches!(&error, Error::Invariant { seq: Some(1), detail: m } if m.contains("is not its record's append time")),
        "{error}"
    );
}

/// The bytes of a format-1 segment 0 holding `events` (with their own times as append times).
fn format_1_segment(store_id: [u8; 16], events: &[Event]) -> Vec<u8> {
    let header = SegmentHeader {
        read_version: 1,
        write_version: 1,
        ..SegmentHeader::current(store_id, 0, 1, 0, events[0].timestamp_micros)
    };
    let mut bytes = header.encode().to_vec();
    for (i, event) in events.iter().enumerate() {
        let seq = i as u64 + 1;
        encode_record(
            &mut bytes,
            DATASET_EVENT,
            seq,
            event.timestamp_micros,
            // A format-1 build wrote event encoding 1.
            &event.encode_v1().expect("a version-1 event"),
        );
    }
    bytes.resize(bytes.len() + 4096, 0);
    bytes
}

fn event(time: i64, kind: EventKind) -> Event {
    Event {
        event_id: uuid::Uuid::new_v4(),
        timestamp_micros: time,
        dataset_id: uuid::Uuid::from_u128(7),
        kind,
        actor: "ana".into(),
        note: String::new(),
        os_account: None,
        salvaged_from: None,
    }
}

fn created(version: u64, previous_active: Option<u64>, hash: u8) -> EventKind {
    EventKind::UploadCreated {
        dataset_name: "d".into(),
        version,
        hash: strata::store::Digest([hash; 32]),
        previous_active,
        tables: Vec::new(),
        metadata: None,
        drift: None,
        policy: SchemaDriftPolicy::Warn,
        override_reason: None,
        warnings: Vec::new(),
        duplicate_of: Vec::new(),
        // What a version-1 event reads as (it decided every type change as breaking).
        widening: strata::schema::WideningRule::Breaking,
    }
}

#[test]
fn a_format_1_log_whose_clock_stepped_back_opens_and_time_travel_uses_the_running_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let events = [
        event(at(10, 0), created(1, None, 1)),
        event(at(11, 0), created(2, Some(1), 2)),
        // The clock was set back by an hour and a half, then ran on.
        event(
            at(9, 30),
            EventKind::Rollback {
                from: 2,
                to: 1,
                warnings: Vec::new(),
            },
        ),
        event(at(9, 45), created(3, Some(1), 3)),
    ];
    fs::create_dir(dir.path().join("log")).unwrap();
    let segment = dir.path().join("log/00000000000000000001.seg");
    fs::write(&segment, format_1_segment([9; 16], &events)).unwrap();

    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let ds = store.catalog().get("d").unwrap().clone();
    let activations: Vec<(i64, u64)> = ds
        .activations
        .iter()
        .map(|a| (a.micros, a.version))
        .collect();
    assert_eq!(
        activations,
        [
            (at(10, 0), 1),
            (at(11, 0), 2),
            (at(11, 0), 1),
            (at(11, 0), 3)
        ],
        "the running maximum of the activation times"
    );
    assert_eq!(version_at(&store, "2024-05-01T10:30:00Z").unwrap(), 1);
    assert_eq!(version_at(&store, "2024-05-01T09:50:00Z").ok(), None);
    assert_eq!(version_at(&store, "2024-05-01T11:00:00Z").unwrap(), 3);
    // The events keep their own times.
    let history = store.history("d").unwrap();
    assert_eq!(history.events[2].1.timestamp_micros, at(9, 30));
    assert!(store.log().verify().unwrap().is_ok());
}
