//! Small tables inside the log (`table_bytes` records, FORMAT.md "Table bytes records"):
//! written in the commit of the event that names them, one flush per upload, stored once
//! whichever way they were stored first, read back verified, indexed on replay and in
//! snapshots.

mod common;

use common::{blob_files, options, overwrite, read_table, upload};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use strata::format::{encode_table_bytes, RecordType, TABLE_BYTES};
use strata::io::{
    Backend, BackendFile, DirEntry, FileId, Io, LockKind, Map, Metadata, OpenMode, OsBackend,
};
use strata::schema::SchemaDriftPolicy;
use strata::store::DATASET_EVENT;
use strata::{Store, StoreOptions, UploadRequest};

const VISITS: &[u8] = b"patient,visit,score\nP1,2024-01-05,3.5\nP2,2024-01-06,4.0\n";
const SITES: &[u8] = b"site,city\nS1,Oslo\n";

fn with_threshold(max: u64) -> StoreOptions {
    StoreOptions {
        inline_table_max: max,
        ..options()
    }
}

/// A table of `rows` rows, distinct for every `tag`.
fn table(tag: &str, rows: usize) -> Vec<u8> {
    let mut out = String::from("id,tag,score\n");
    for r in 0..rows {
        out.push_str(&format!("{r},{tag},{}.5\n", r % 7));
    }
    out.into_bytes()
}

/// The types of the log's records from `from` on, with their append times.
fn records(store: &Store, from: u64) -> Vec<(RecordType, i64)> {
    store
        .log()
        .iter_from(from)
        .map(|r| {
            let r = r.unwrap();
            (r.record_type, r.timestamp_micros)
        })
        .collect()
}

#[test]
fn small_tables_are_written_before_their_event_in_its_commit_and_no_blob_file_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    let before = store.log().last_seq();
    let outcome = store
        .save_upload(upload(
            "trial",
            &[("visits.csv", VISITS), ("sites.csv", SITES)],
        ))
        .unwrap();
    let found = records(&store, before + 1);
    let types: Vec<RecordType> = found.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [TABLE_BYTES, TABLE_BYTES, DATASET_EVENT]);
    assert!(
        found.iter().all(|(_, t)| *t == found[0].1),
        "one commit: one append time"
    );
    assert_eq!(outcome.seq, Some(before + 3), "the event comes last");
    assert!(blob_files(dir.path()).is_empty(), "no blob file");
    assert_eq!(read_table(&store, "trial", "1", Some("visits")), VISITS);
    assert_eq!(read_table(&store, "trial", "1", Some("sites")), SITES);
    store.assert_invariants(true).unwrap();
}

#[test]
fn a_mixed_upload_stores_small_tables_in_the_log_and_large_ones_as_blob_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), with_threshold(64)).unwrap();
    let large = table("big", 20);
    assert!(SITES.len() <= 64 && large.len() > 64);
    let before = store.log().last_seq();
    store
        .save_upload(upload(
            "trial",
            &[("sites.csv", SITES), ("large.csv", &large)],
        ))
        .unwrap();
    let types: Vec<RecordType> = records(&store, before + 1).iter().map(|r| r.0).collect();
    assert_eq!(types, [TABLE_BYTES, DATASET_EVENT]);
    let files = blob_files(dir.path());
    assert_eq!(files.len(), 1, "only the large table is a file: {files:?}");
    assert_eq!(std::fs::read(&files[0]).unwrap(), large);
    assert_eq!(read_table(&store, "trial", "1", Some("large")), large);
    assert_eq!(read_table(&store, "trial", "1", Some("sites")), SITES);
    store.assert_invariants(true).unwrap();
}

#[test]
fn content_stored_inside_the_log_is_not_stored_again_as_a_file_nor_the_other_way_round() {
    let dir = tempfile::tempdir().unwrap();
    // Inline first: a store that would now make files stores nothing for the same content.
    let store = Store::create(dir.path(), options()).unwrap();
    store
        .save_upload(upload("a", &[("t.csv", VISITS)]))
        .unwrap();
    drop(store);
    let store = Store::open(dir.path(), with_threshold(0)).unwrap();
    let before = store.log().last_seq();
    let outcome = store
        .save_upload(upload("b", &[("t.csv", VISITS)]))
        .unwrap();
    assert_eq!(outcome.duplicates.len(), 1, "a holds the same content");
    assert!(
        blob_files(dir.path()).is_empty(),
        "no file for inline content"
    );
    assert_eq!(records(&store, before + 1).len(), 1, "only the event");
    // A file first: a store that would now inline stores nothing for the same content.
    let outcome = store.save_upload(upload("c", &[("t.csv", SITES)])).unwrap();
    assert!(outcome.seq.is_some());
    assert_eq!(blob_files(dir.path()).len(), 1);
    drop(store);
    let store = Store::open(dir.path(), options()).unwrap();
    let before = store.log().last_seq();
    store.save_upload(upload("d", &[("t.csv", SITES)])).unwrap();
    let types: Vec<RecordType> = records(&store, before + 1).iter().map(|r| r.0).collect();
    assert_eq!(types, [DATASET_EVENT], "the file's content is not inlined");
    assert_eq!(read_table(&store, "d", "1", None), SITES);
    assert_eq!(read_table(&store, "b", "1", None), VISITS);
    // Two tables of one upload with the same bytes are stored once.
    let before = store.log().last_seq();
    let same = table("twin", 3);
    store
        .save_upload(upload("e", &[("x.csv", &same), ("y.csv", &same)]))
        .unwrap();
    let types: Vec<RecordType> = records(&store, before + 1).iter().map(|r| r.0).collect();
    assert_eq!(types, [TABLE_BYTES, DATASET_EVENT]);
    store.assert_invariants(true).unwrap();
}

#[test]
fn the_content_index_is_rebuilt_the_same_by_replay_and_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), with_threshold(64)).unwrap();
    for i in 0..4 {
        let small = table(&format!("s{i}"), 1);
        let large = table(&format!("l{i}"), 20);
        store
            .save_upload(UploadRequest {
                create: true,
                ..overwrite(
                    "trial",
                    &[("small.csv", &small), ("large.csv", &large)],
                    SchemaDriftPolicy::Allow,
                )
            })
            .unwrap();
    }
    store.snapshot().unwrap();
    store
        .save_upload(overwrite(
            "trial",
            &[("small.csv", b"id,tag,score\n9,after,1.5\n")],
            SchemaDriftPolicy::Allow,
        ))
        .unwrap();
    let expected = store.catalog().clone();
    assert_eq!(expected.inline_table_count(), 5);
    drop(store);
    let reopened = Store::open(dir.path(), with_threshold(64)).unwrap();
    assert!(
        reopened.loaded_snapshot().is_some(),
        "opened from the snapshot"
    );
    assert_eq!(*reopened.catalog(), expected, "snapshot plus tail");
    let (snapshot, differences) = reopened.check_snapshot().unwrap().unwrap();
    assert!(differences.is_empty(), "{snapshot:?}: {differences:?}");
    for v in 1..=4 {
        let small = read_table(&reopened, "trial", &v.to_string(), Some("small"));
        assert_eq!(small, table(&format!("s{}", v - 1), 1));
    }
    reopened.assert_invariants(true).unwrap();
}

#[test]
fn a_table_bytes_record_whose_bytes_do_not_match_its_hash_fails_the_read_and_the_deep_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    drop(store);
    // A record that names VISITS's hash but holds other bytes (its CRCs are right: only the
    // SHA-256 can tell), appended before VISITS is uploaded, so the upload finds the content
    // "stored" and the record is the one read.
    let hash = strata::digest::Digest::of(VISITS);
    let forged = encode_table_bytes(&hash.0, b"patient,visit,score\nP9,2024-01-05,0.0\n");
    let log = strata::log::Log::open(dir.path(), options().log).unwrap();
    log.append(TABLE_BYTES, &forged).unwrap();
    drop(log);
    let store = Store::open(dir.path(), options()).unwrap();
    store
        .save_upload(upload("trial", &[("t.csv", VISITS)]))
        .unwrap();
    let (_, mut reader) = store
        .open_table("trial", &strata::VersionRef::Number(1), None)
        .unwrap();
    let error = io::copy(&mut reader, &mut io::sink()).unwrap_err();
    let error = strata::blob::blob_read_error(error, &reader.path);
    assert!(
        matches!(error, strata::Error::BlobMismatch { .. }),
        "{error}"
    );
    assert!(store.assert_invariants(false).is_ok(), "present");
    assert!(store.assert_invariants(true).is_err(), "but damaged");
    let report = strata::check::run(
        dir.path(),
        strata::check::CheckOptions { deep: true },
        |_| {},
    )
    .unwrap();
    assert_eq!(report.damaged_blob_count(), 1);
    assert!(report.blob_problems[0]
        .path
        .extension()
        .is_some_and(|e| e == "seg"));
}

#[test]
fn an_inline_threshold_beyond_what_a_record_holds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = with_threshold(strata::format::MAX_INLINE_TABLE_LEN + 1);
    let error = Store::create(dir.path(), options).unwrap_err();
    assert!(error.to_string().contains("inline_table_max"), "{error}");
    let largest = with_threshold(strata::format::MAX_INLINE_TABLE_LEN);
    Store::open(dir.path(), largest).unwrap();
}

/// The real file system, counting `fdatasync`s and file and directory `fsync`s.
#[derive(Debug, Default)]
struct Counting(Arc<AtomicU64>);

#[derive(Debug)]
struct CountingFile(Box<dyn BackendFile>, Arc<AtomicU64>);

impl Backend for Counting {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        Ok(Box::new(CountingFile(
            OsBackend.open(path, mode)?,
            self.0.clone(),
        )))
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        OsBackend.create_dir(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        OsBackend.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        OsBackend.remove_file(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        OsBackend.read_dir(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        OsBackend.sync_dir(path)
    }
    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>> {
        OsBackend.metadata(path)
    }
}

impl BackendFile for CountingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.sync_data()
    }
    fn sync_all(&self) -> io::Result<()> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.sync_all()
    }
    fn size(&self) -> io::Result<u64> {
        self.0.size()
    }
    fn id(&self) -> io::Result<FileId> {
        self.0.id()
    }
    fn map(&self, len: u64) -> io::Result<Map> {
        self.0.map(len)
    }
    fn try_lock(&self, kind: LockKind) -> io::Result<bool> {
        self.0.try_lock(kind)
    }
    fn unlock(&self) -> io::Result<()> {
        self.0.unlock()
    }
}

#[test]
fn an_upload_of_small_tables_is_durable_after_one_flush() {
    let dir = tempfile::tempdir().unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    let mut options = options();
    options.check_invariants = false;
    options.log.io = Io::new(Counting(counter.clone()));
    let store = Store::create(dir.path(), options).unwrap();
    store
        .save_upload(upload("trial", &[("t.csv", VISITS)]))
        .unwrap();
    let before = counter.load(Ordering::SeqCst);
    for i in 0..20 {
        let body = table(&format!("v{i}"), 5);
        let request = overwrite(
            "trial",
            &[("t.csv", &body), ("sites.csv", SITES)],
            SchemaDriftPolicy::Allow,
        );
        store.save_upload(request).unwrap();
    }
    assert_eq!(
        counter.load(Ordering::SeqCst) - before,
        20,
        "one flush each"
    );
}

#[test]
fn concurrent_uploaders_of_inline_and_file_tables_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), with_threshold(64)).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let store = &store;
            scope.spawn(move || {
                for i in 0..8 {
                    let small = table(&format!("s{t}-{i}"), 1);
                    let large = table(&format!("l{t}-{i}"), 20);
                    let request = UploadRequest {
                        create: true,
                        ..overwrite(
                            &format!("d{t}"),
                            &[("small.csv", &small), ("large.csv", &large)],
                            SchemaDriftPolicy::Allow,
                        )
                    };
                    store.save_upload(request).unwrap();
                }
            });
        }
    });
    drop(store);
    let store = Store::open(dir.path(), with_threshold(64)).unwrap();
    for t in 0..4 {
        for i in 0..8u64 {
            let v = (i + 1).to_string();
            let (small, large) = (format!("s{t}-{i}"), format!("l{t}-{i}"));
            let name = format!("d{t}");
            assert_eq!(
                read_table(&store, &name, &v, Some("small")),
                table(&small, 1)
            );
            assert_eq!(
                read_table(&store, &name, &v, Some("large")),
                table(&large, 20)
            );
        }
    }
    assert_eq!(store.catalog().inline_table_count(), 32);
    assert_eq!(blob_files(dir.path()).len(), 32);
    store.assert_invariants(true).unwrap();
}
