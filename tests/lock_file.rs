//! The lock file under operator error and without write access: a writer whose `log/LOCK` was
//! deleted while it held it does not write (so two writers never append at the same offset);
//! a writer never writes over bytes it did not expect; a store is read, torn tail or not,
//! where nothing can be written. (The same with two processes: `tests/log_multiprocess.rs`.)

use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use strata::format::{encode_record, RecordType};
use strata::io::{Io, OsBackend};

#[path = "common/read_only.rs"]
mod read_only;
use read_only::ReadOnlyFs;
use strata::log::{Durability, Log, LogOptions};
use strata::{Store, StoreOptions, UploadFile, UploadRequest, VersionRef};

const APP: RecordType = RecordType(0x100);

fn options() -> LogOptions {
    LogOptions {
        segment_size: 1 << 20,
        preallocate: 8192,
        ..LogOptions::default()
    }
}

#[test]
fn a_writer_whose_lock_file_was_deleted_writes_nothing_and_no_acknowledged_record_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), options()).unwrap();
    let a = Log::open(dir.path(), options()).unwrap();
    let b = Log::open(dir.path(), options()).unwrap();
    a.append(APP, b"a1").unwrap();

    let mut guard = a.lock_writer().unwrap();
    // An operator deletes the lock file after a lock timeout while `a` holds it.
    fs::remove_file(dir.path().join("log/LOCK")).unwrap();
    let acknowledged = b.append(APP, b"b1").unwrap();
    assert_eq!(acknowledged, 2);
    let refused = guard.append_batch(&[(APP, b"a2".as_slice())]).unwrap_err();
    assert!(
        matches!(refused, strata::log::Error::LockReplaced { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("LOCK"), "{refused}");
    drop(guard);

    // The next commit of `a` locks the lock file that is there now, and catches up.
    assert_eq!(a.append(APP, b"a2").unwrap(), 3);
    assert_eq!(b.append(APP, b"b2").unwrap(), 4);
    let log = Log::open(dir.path(), options()).unwrap();
    let bodies: Vec<Vec<u8>> = log.iter_from(1).map(|r| r.unwrap().body).collect();
    assert_eq!(bodies, [&b"a1"[..], b"b1", b"a2", b"b2"]);
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn a_writer_never_writes_over_bytes_it_did_not_expect() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options()).unwrap();
    log.append(APP, b"one").unwrap();
    let mut guard = log.lock_writer().unwrap();
    // Another writer appended record 2 without taking the lock (or after its lock file was
    // replaced): the guard's view ends before it.
    let last = log.segments().pop().unwrap();
    let time = log.read(1).unwrap().timestamp_micros;
    let mut foreign = Vec::new();
    encode_record(&mut foreign, APP, 2, time, b"acknowledged elsewhere");
    let file = fs::OpenOptions::new().write(true).open(&last.path).unwrap();
    file.write_all_at(&foreign, last.end_offset).unwrap();

    let error = guard.append_batch(&[(APP, b"two".as_slice())]).unwrap_err();
    drop(guard);
    let message = error.to_string();
    assert!(
        message.contains("where this writer was to append"),
        "{message}"
    );
    let bytes = fs::read(&last.path).unwrap();
    let at = last.end_offset as usize;
    assert_eq!(
        bytes[at..at + foreign.len()],
        foreign[..],
        "nothing was overwritten"
    );
    // The refusal made the handle read the log again: its next append goes after record 2.
    assert_eq!(log.append(APP, b"two").unwrap(), 3);
    drop(log);
    let reopened = Log::open(dir.path(), options()).unwrap();
    assert_eq!(reopened.read(2).unwrap().body, b"acknowledged elsewhere");
    assert_eq!(reopened.read(3).unwrap().body, b"two");
}

/// A log of one record with one nonzero byte inside the next record's header (not at its
/// start), written behind the handle's back as a foreign writer's bytes would be; the handle,
/// where that byte is and where the next record goes.
fn log_with_a_stray_byte(dir: &Path) -> (Log, u64, u64) {
    let log = Log::create(dir, options()).unwrap();
    log.append(APP, b"one").unwrap();
    let last = log.segments().pop().unwrap();
    let stray = last.end_offset + 9;
    let file = fs::OpenOptions::new().write(true).open(&last.path).unwrap();
    file.write_all_at(&[0x5a], stray).unwrap();
    (log, stray, last.end_offset)
}

/// Where the refusal says the byte is, and where it says the writer was to append.
fn occupied_at(error: strata::log::Error) -> (u64, u64) {
    match error {
        strata::log::Error::Corrupt {
            defect: strata::format::Defect::OccupiedAppendOffset { nonzero_at },
            position,
        } => (nonzero_at, position.offset),
        other => panic!("not an occupied offset: {other}"),
    }
}

#[test]
fn a_stray_byte_where_a_writer_appends_is_refused_naming_its_offset_on_both_paths() {
    // The writer guard's path (the store's).
    let dir = tempfile::tempdir().unwrap();
    let (log, stray, end) = log_with_a_stray_byte(dir.path());
    let mut guard = log.lock_writer().unwrap();
    let refused = guard.append_batch(&[(APP, b"two".as_slice())]).unwrap_err();
    drop(guard);
    assert_eq!(occupied_at(refused), (stray, end));
    // The queue's path.
    let dir = tempfile::tempdir().unwrap();
    let (log, stray, end) = log_with_a_stray_byte(dir.path());
    assert_eq!(
        occupied_at(log.append(APP, b"two").unwrap_err()),
        (stray, end)
    );
    let segment = log.segments().pop().unwrap().path;
    assert_eq!(
        fs::read(segment).unwrap()[stray as usize],
        0x5a,
        "nothing written"
    );
}

#[test]
fn a_writer_never_creates_its_next_segment_over_a_file_of_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let small = LogOptions {
        segment_size: 4096,
        preallocate: 4096,
        ..options()
    };
    let log = Log::create(dir.path(), small).unwrap();
    // Before each append, a file where the next segment would go if this append rolls
    // (its seal takes the next seq, and the new segment starts after it), removed if the
    // append fits: the first roll finds one.
    let body = vec![7u8; 1024];
    // (After a first append, the handle's view is current: it reads the folder no more.)
    log.append(APP, &body).unwrap();
    let (refused, foreign, next_base) = loop {
        let next_base = log.last_seq() + 2;
        let foreign = dir
            .path()
            .join("log")
            .join(strata::format::segment_file_name(next_base));
        fs::write(&foreign, b"another writer's segment").unwrap();
        match log.append(APP, &body) {
            Ok(_) => fs::remove_file(&foreign).unwrap(),
            Err(refused) => break (refused, foreign, next_base),
        }
        assert!(
            log.last_seq() < 8,
            "a 4 KiB segment holds at most 3 of these"
        );
    };
    // The handle stops (a failed segment creation poisons it), naming the file and why.
    assert!(
        matches!(refused, strata::log::Error::Poisoned { .. }),
        "{refused}"
    );
    let message = refused.to_string();
    let name = strata::format::segment_file_name(next_base);
    assert!(message.contains(&format!("segment {name}")), "{message}");
    assert!(message.contains(&format!("seq {next_base}")), "{message}");
    assert!(
        message.contains("a segment file with this name already exists"),
        "{message}"
    );
    assert_eq!(fs::read(&foreign).unwrap(), b"another writer's segment");
}

fn store_options(io: Io, durability: Durability) -> StoreOptions {
    let defaults = StoreOptions::default();
    StoreOptions {
        log: LogOptions {
            io,
            durability,
            ..defaults.log
        },
        ..defaults
    }
}

fn table(rows: &str) -> UploadRequest {
    let file = UploadFile::from_bytes("t.csv", format!("id,v\n{rows}").into_bytes());
    UploadRequest {
        overwrite: true,
        create: true,
        ..UploadRequest::new("d", vec![file], "ana")
    }
}

/// A store with version 1 synced, and version 2's event written without a sync and torn.
fn store_with_a_torn_tail(dir: &Path) {
    let store = Store::create(dir, StoreOptions::default()).unwrap();
    store.save_upload(table("1,a\n")).unwrap();
    drop(store);
    let buffered = Store::open(dir, store_options(Io::os(), Durability::Buffered)).unwrap();
    let seq = buffered.save_upload(table("1,b\n")).unwrap().seq.unwrap();
    let record = buffered.log().read(seq).unwrap();
    let segment = buffered.log().segments().pop().unwrap().path;
    drop(buffered);
    let file = fs::OpenOptions::new().write(true).open(segment).unwrap();
    let end = record.offset + 32 + record.body.len() as u64;
    file.write_all_at(&[0; 16], end - 16).unwrap();
}

fn read_only(dir: &Path) -> Store {
    let io = Io::new(ReadOnlyFs(OsBackend));
    Store::open(dir, store_options(io, Durability::Sync)).unwrap()
}

#[test]
fn a_store_with_a_torn_tail_is_read_where_nothing_can_be_written() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_torn_tail(dir.path());
    let store = read_only(dir.path());
    let torn = store.log().torn_tail().expect("the torn tail is reported");
    assert_eq!(
        torn.unchecked, None,
        "re-checked under a read-only shared lock"
    );
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
    let (_, mut reader) = store.open_table("d", &VersionRef::Number(1), None).unwrap();
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
    assert_eq!(bytes, b"id,v\n1,a\n");
    let refused = store.save_upload(table("1,c\n")).unwrap_err();
    assert!(
        refused.to_string().contains("ermission denied"),
        "{refused}"
    );
}

#[test]
fn without_a_lock_file_to_lock_a_torn_tail_is_reported_as_found_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    store_with_a_torn_tail(dir.path());
    // An archive copy without the lock file, opened where nothing can be written.
    fs::remove_file(dir.path().join("log/LOCK")).unwrap();
    let store = read_only(dir.path());
    let torn = store.log().torn_tail().expect("the torn tail is reported");
    let why = torn.unchecked.expect("it says the tail was not re-checked");
    assert!(why.contains("re-checked under a shared lock"), "{why}");
    assert_eq!(store.get_active_version("d").unwrap().version, 1);
    assert!(
        !dir.path().join("log/LOCK").exists(),
        "reading created nothing"
    );
}
