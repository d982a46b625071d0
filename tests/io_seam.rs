//! The IO seam (`strata::io`): every file operation of the write path goes through the
//! backend, so a backend that wraps the real file system can record each one in order and
//! fail any one of them with a chosen errno. These tests use such a backend to check that an
//! acknowledged `Durability::Sync` append was `fdatasync`ed after it was written, and that a
//! failed operation during an upload is reported with the operation and the file and leaves
//! a store that opens and loses nothing.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use strata::format::RecordType;
use strata::io::{
    Backend, BackendFile, DirEntry, FileId, Io, LockKind, Map, Metadata, OpenMode, OsBackend,
};
use strata::log::{Durability, Log, LogOptions};
use strata::{ErrorKind, Store, StoreOptions, UploadFile, UploadRequest};

const APP: RecordType = RecordType(0x0100);

/// One operation the backend saw. Reads are not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Opening a file that exists, without truncating it.
    Open(PathBuf),
    /// Opening that creates (or truncates) a file.
    Create(PathBuf),
    Write {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    SyncData(PathBuf),
    SyncAll(PathBuf),
    CreateDir(PathBuf),
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    Remove(PathBuf),
    SyncDir(PathBuf),
    Lock(PathBuf),
}

impl Op {
    /// Whether the operation changes what is on disk (and so may be made to fail).
    fn mutates(&self) -> bool {
        !matches!(self, Op::Open(_) | Op::Lock(_))
    }

    /// The file an error about this operation must name.
    fn path(&self) -> &Path {
        match self {
            Op::Open(p)
            | Op::Create(p)
            | Op::SyncData(p)
            | Op::SyncAll(p)
            | Op::CreateDir(p)
            | Op::Remove(p)
            | Op::SyncDir(p)
            | Op::Lock(p) => p,
            Op::Write { path, .. } => path,
            Op::Rename { to, .. } => to,
        }
    }

    /// The word an error about this operation must contain.
    fn verb(&self) -> &'static str {
        match self {
            Op::Open(_) => "open",
            Op::Create(_) => "create",
            Op::Write { .. } => "write",
            Op::SyncData(_) => "fdatasync",
            Op::SyncAll(_) => "fsync",
            Op::CreateDir(_) => "create directory",
            Op::Rename { .. } => "rename",
            Op::Remove(_) => "remove",
            Op::SyncDir(_) => "fsync directory",
            Op::Lock(_) => "lock",
        }
    }
}

/// What the backend saw, and which mutating operation (by index) to fail with which errno.
#[derive(Debug, Default)]
struct Recorder {
    ops: Mutex<Vec<Op>>,
    fail: Mutex<Option<(usize, i32)>>,
    /// Fails the first operation it holds for (once), with the errno.
    fail_first: Mutex<Option<(OpFilter, i32)>>,
    failed: Mutex<Option<Op>>,
    hold: Mutex<SyncHold>,
    hold_changed: Condvar,
}

/// Which operations something applies to.
type OpFilter = fn(&Op) -> bool;

/// Holding one `fdatasync` until the test releases it (see [`Recorder::hold_next_sync`]).
#[derive(Debug, Default)]
struct SyncHold {
    armed: bool,
    holding: bool,
    released: bool,
}

impl Recorder {
    /// Records `op`; fails it (it then does not happen) if it is the chosen one.
    fn note(&self, op: Op) -> io::Result<()> {
        let mut ops = self.ops.lock().unwrap();
        let index = ops.iter().filter(|o| o.mutates()).count();
        let chosen = *self.fail.lock().unwrap();
        ops.push(op.clone());
        let mut first = self.fail_first.lock().unwrap();
        match (chosen, *first) {
            (Some((at, errno)), _) if op.mutates() && at == index => {
                *self.failed.lock().unwrap() = Some(op);
                Err(io::Error::from_raw_os_error(errno))
            }
            (_, Some((which, errno))) if which(&op) => {
                *first = None;
                *self.failed.lock().unwrap() = Some(op);
                Err(io::Error::from_raw_os_error(errno))
            }
            _ => Ok(()),
        }
    }

    /// Makes the next `fdatasync` wait until [`Recorder::release_sync`].
    fn hold_next_sync(&self) {
        self.hold.lock().unwrap().armed = true;
    }

    /// Waits until the held `fdatasync` is waiting.
    fn wait_until_sync_held(&self) {
        let hold = self.hold.lock().unwrap();
        drop(self.hold_changed.wait_while(hold, |h| !h.holding).unwrap());
    }

    fn release_sync(&self) {
        self.hold.lock().unwrap().released = true;
        self.hold_changed.notify_all();
    }

    /// Called by every `fdatasync`: waits there if it is the one to hold.
    fn wait_if_held(&self) {
        let mut hold = self.hold.lock().unwrap();
        if std::mem::take(&mut hold.armed) {
            hold.holding = true;
            self.hold_changed.notify_all();
            drop(self.hold_changed.wait_while(hold, |h| !h.released).unwrap());
        }
    }

    fn len(&self) -> usize {
        self.ops.lock().unwrap().len()
    }

    fn since(&self, start: usize) -> Vec<Op> {
        self.ops.lock().unwrap()[start..].to_vec()
    }

    fn mutating(&self) -> usize {
        self.ops
            .lock()
            .unwrap()
            .iter()
            .filter(|o| o.mutates())
            .count()
    }

    /// Fails the `n`th mutating operation from now on (0 is the next one) with `errno`.
    fn fail_in(&self, n: usize, errno: i32) {
        *self.fail.lock().unwrap() = Some((self.mutating() + n, errno));
    }
}

/// The real file system, with every operation recorded by a [`Recorder`].
#[derive(Debug)]
struct Recording {
    inner: OsBackend,
    recorder: Arc<Recorder>,
}

#[derive(Debug)]
struct RecordingFile {
    inner: Box<dyn BackendFile>,
    path: PathBuf,
    recorder: Arc<Recorder>,
}

fn recording() -> (Io, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let io = Io::new(Recording {
        inner: OsBackend,
        recorder: Arc::clone(&recorder),
    });
    (io, recorder)
}

impl Backend for Recording {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let existed = self.inner.metadata(path)?.is_some();
        let creates = match mode {
            OpenMode::CreateNew | OpenMode::CreateTruncate | OpenMode::CreateNewPrivate => true,
            OpenMode::OpenOrCreate => !existed,
            OpenMode::Read | OpenMode::ReadWrite => false,
        };
        let path = path.to_path_buf();
        self.recorder.note(if creates {
            Op::Create(path.clone())
        } else {
            Op::Open(path.clone())
        })?;
        Ok(Box::new(RecordingFile {
            inner: self.inner.open(&path, mode)?,
            path,
            recorder: Arc::clone(&self.recorder),
        }))
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.recorder.note(Op::CreateDir(path.to_path_buf()))?;
        self.inner.create_dir(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.recorder.note(Op::Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
        })?;
        self.inner.rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.recorder.note(Op::Remove(path.to_path_buf()))?;
        self.inner.remove_file(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.read_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.recorder.note(Op::SyncDir(path.to_path_buf()))?;
        self.inner.sync_dir(path)
    }

    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>> {
        self.inner.metadata(path)
    }
}

impl BackendFile for RecordingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.recorder.note(Op::Write {
            path: self.path.clone(),
            offset,
            len: buf.len() as u64,
        })?;
        self.inner.write_all_at(buf, offset)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.recorder.note(Op::SyncData(self.path.clone()))?;
        self.recorder.wait_if_held();
        self.inner.sync_data()
    }

    fn sync_all(&self) -> io::Result<()> {
        self.recorder.note(Op::SyncAll(self.path.clone()))?;
        self.inner.sync_all()
    }

    fn size(&self) -> io::Result<u64> {
        self.inner.size()
    }

    fn id(&self) -> io::Result<FileId> {
        self.inner.id()
    }

    fn map(&self, len: u64) -> io::Result<Map> {
        self.inner.map(len)
    }

    fn try_lock(&self, kind: LockKind) -> io::Result<bool> {
        self.recorder.note(Op::Lock(self.path.clone()))?;
        self.inner.try_lock(kind)
    }

    fn unlock(&self) -> io::Result<()> {
        self.inner.unlock()
    }
}

fn log_options(io: Io, durability: Durability) -> LogOptions {
    LogOptions {
        segment_size: 1 << 20,
        preallocate: 64 * 1024,
        durability,
        io,
        ..LogOptions::default()
    }
}

/// Whether some write in `ops` covered byte `offset` of `segment`, and an `fdatasync` of
/// `segment` came after that write.
fn written_then_synced(ops: &[Op], segment: &Path, offset: u64) -> bool {
    let covering = ops.iter().position(|op| {
        matches!(op, Op::Write { path, offset: at, len }
            if path == segment && *at <= offset && offset < at + len)
    });
    covering.is_some_and(|i| {
        ops[i + 1..]
            .iter()
            .any(|op| *op == Op::SyncData(segment.to_path_buf()))
    })
}

fn segment_of(log: &Log, seq: u64) -> (PathBuf, u64) {
    let record = log.read(seq).unwrap();
    let segment = &log.segments()[record.segment_number as usize];
    (segment.path.clone(), record.offset)
}

#[test]
fn every_acknowledged_sync_append_was_fdatasynced_after_it_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let log = Log::create(dir.path(), log_options(io, Durability::Sync)).unwrap();
    for i in 0..20u64 {
        let start = recorder.len();
        let seq = log.append(APP, format!("record {i}").as_bytes()).unwrap();
        let ops = recorder.since(start);
        let (segment, offset) = segment_of(&log, seq);
        assert!(
            written_then_synced(&ops, &segment, offset),
            "append {seq} returned without an fdatasync after its write: {ops:?}"
        );
    }
}

#[test]
fn a_buffered_append_is_written_but_not_fdatasynced() {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let log = Log::create(dir.path(), log_options(io, Durability::Buffered)).unwrap();
    let start = recorder.len();
    let seq = log.append(APP, b"buffered").unwrap();
    let ops = recorder.since(start);
    let (segment, offset) = segment_of(&log, seq);
    assert!(!written_then_synced(&ops, &segment, offset), "{ops:?}");
    assert!(
        ops.iter()
            .any(|op| matches!(op, Op::Write { path, .. } if *path == segment)),
        "{ops:?}"
    );
}

#[test]
fn a_writer_guard_syncs_what_append_batch_wrote_when_it_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let log = Log::create(dir.path(), log_options(io, Durability::Sync)).unwrap();
    let start = recorder.len();
    let mut guard = log.lock_writer().unwrap();
    let range = guard
        .append_batch(&[(APP, b"one".as_slice()), (APP, b"two")])
        .unwrap();
    let before_commit = recorder.since(start);
    guard.commit().unwrap();
    let all = recorder.since(start);
    for seq in range {
        let (segment, offset) = segment_of(&log, seq);
        assert!(
            !written_then_synced(&before_commit, &segment, offset),
            "synced before the commit: {before_commit:?}"
        );
        assert!(
            written_then_synced(&all, &segment, offset),
            "commit returned without an fdatasync after the write of {seq}: {all:?}"
        );
    }
}

/// Every table a blob file: the blob files' steps are what the upload tests below examine
/// (`an_upload_of_small_tables_is_one_write_and_one_fdatasync` has the tables inside the log).
fn store_options(io: Io) -> StoreOptions {
    let defaults = StoreOptions::default();
    StoreOptions {
        log: LogOptions { io, ..defaults.log },
        inline_table_max: 0,
        ..defaults
    }
}

#[test]
fn an_upload_of_small_tables_is_one_write_and_one_fdatasync() {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let defaults = StoreOptions::default();
    let options = StoreOptions {
        log: LogOptions { io, ..defaults.log },
        ..defaults
    };
    let store = Store::create(dir.path(), options).unwrap();
    // The first upload creates the staging lock file; the second is the steady state.
    store.save_upload(upload()).unwrap();
    let second = UploadRequest {
        overwrite: true,
        drift_policy: Some(strata::schema::SchemaDriftPolicy::Allow),
        ..UploadRequest::new(
            "trial-42",
            vec![UploadFile::from_bytes("sites.csv", b"site\nS9\n".to_vec())],
            "ana",
        )
    };
    let start = recorder.len();
    let outcome = store.save_upload(second).unwrap();
    let ops = recorder.since(start);
    let event = store.log().read(outcome.seq.unwrap()).unwrap();
    let table = store.log().read(outcome.seq.unwrap() - 1).unwrap();
    assert_eq!(table.record_type, strata::format::TABLE_BYTES);
    let segment = &store.log().segments()[event.segment_number as usize].path;
    let writes: Vec<&Op> = ops
        .iter()
        .filter(|op| matches!(op, Op::Write { path, .. } if path == segment))
        .collect();
    assert_eq!(writes.len(), 1, "one write of the log: {ops:?}");
    let Op::Write { offset, len, .. } = writes[0] else {
        unreachable!()
    };
    assert_eq!(*offset, table.offset, "the table's record first");
    assert!(
        event.offset + 32 + event.body.len() as u64 <= offset + len,
        "then its event"
    );
    let flushes: Vec<&Op> = ops
        .iter()
        .filter(|op| matches!(op, Op::SyncData(_) | Op::SyncAll(_) | Op::SyncDir(_)))
        .collect();
    assert_eq!(
        flushes,
        [&Op::SyncData(segment.clone())],
        "one flush: {ops:?}"
    );
    assert!(
        !ops.iter()
            .any(|op| op.path().starts_with(dir.path().join("blobs"))),
        "no blob file: {ops:?}"
    );
}

fn upload() -> UploadRequest {
    let visits = b"patient,visit,score\nP1,2024-01-05,3.5\nP2,2024-01-06,4.0\n";
    let sites = b"site,city\nS1,Oslo\n";
    UploadRequest::new(
        "trial-42",
        vec![
            UploadFile::from_bytes("visits.csv", visits.to_vec()),
            UploadFile::from_bytes("sites.csv", sites.to_vec()),
        ],
        "ana",
    )
}

/// How many mutating operations the upload makes in a new store.
fn mutating_operations_of_an_upload() -> usize {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let store = Store::create(dir.path(), store_options(io)).unwrap();
    let before = recorder.mutating();
    store.save_upload(upload()).unwrap();
    recorder.mutating() - before
}

#[test]
fn a_failed_operation_of_an_upload_is_named_and_the_store_still_opens() {
    let total = mutating_operations_of_an_upload();
    assert!(total >= 10, "an upload makes {total} mutating operations");
    for n in 0..total {
        let errno = if n % 2 == 0 { 5 } else { 28 }; // EIO, ENOSPC
        let dir = tempfile::tempdir().unwrap();
        let (io, recorder) = recording();
        let store = Store::create(dir.path(), store_options(io)).unwrap();
        recorder.fail_in(n, errno);
        let outcome = store.save_upload(upload());
        let failed = recorder
            .failed
            .lock()
            .unwrap()
            .clone()
            .expect("an op failed");
        if is_durable_mark_write(&failed, dir.path()) {
            // The durable mark is written after the commit's fdatasync completed: the upload
            // is committed, and a committed write is never reported as failed. Only the
            // evidence of acknowledgement is missing (FORMAT.md, "The lock file").
            assert_eq!(outcome.expect("committed before the mark").version, 1);
            drop(store);
            let reopened = Store::open(dir.path(), StoreOptions::default()).unwrap();
            assert_eq!(reopened.get_active_version("trial-42").unwrap().version, 1);
            continue;
        }
        let error = outcome.expect_err("the upload goes through the failing operation");
        let message = error.to_string();
        let os_error = io::Error::from_raw_os_error(errno).to_string();
        for expected in [
            failed.verb(),
            &failed.path().display().to_string(),
            &os_error,
        ] {
            assert!(
                message.contains(expected),
                "operation {n} ({failed:?}): `{message}` does not say `{expected}`"
            );
        }
        drop(store);

        // The store opens on the real file system. The upload was not acknowledged, so it is
        // either absent or, if its event reached the file before the failure, whole.
        let reopened = Store::open(dir.path(), StoreOptions::default())
            .unwrap_or_else(|e| panic!("operation {n} ({failed:?}): reopening failed: {e}"));
        reopened.assert_invariants(true).unwrap();
        if reopened.get_active_version("trial-42").is_err() {
            reopened.save_upload(upload()).unwrap();
        }
        assert_eq!(reopened.get_active_version("trial-42").unwrap().version, 1);
        reopened.assert_invariants(true).unwrap();
    }
}

/// Whether `op` is the write of the durable mark (bytes 8..24 of `log/LOCK`).
fn is_durable_mark_write(op: &Op, store: &Path) -> bool {
    matches!(op, Op::Write { path, offset: 8, len: 20 } if *path == store.join("log/LOCK"))
}

#[test]
fn an_upload_creates_its_blobs_durably_before_the_event_that_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let store = Store::create(dir.path(), store_options(io)).unwrap();
    let start = recorder.len();
    let outcome = store.save_upload(upload()).unwrap();
    let ops = recorder.since(start);
    let event = store.log().read(outcome.seq.unwrap()).unwrap();
    let segment = &store.log().segments()[event.segment_number as usize].path;
    let event_write = ops
        .iter()
        .position(|op| {
            matches!(op, Op::Write { path, offset, .. } if path == segment && *offset == event.offset)
        })
        .expect("the event was written");
    for table in &outcome.tables {
        let blob = store.blobs().path(&table.content_hash.0);
        let rename = ops
            .iter()
            .position(|op| matches!(op, Op::Rename { to, .. } if *to == blob))
            .expect("the blob was renamed into place");
        let Op::Rename { from, .. } = &ops[rename] else {
            unreachable!()
        };
        let synced = ops[..rename]
            .iter()
            .rposition(|op| *op == Op::SyncAll(from.clone()));
        assert!(synced.is_some(), "blob not fsynced before its rename");
        let dir_synced = ops[rename..event_write]
            .iter()
            .any(|op| *op == Op::SyncDir(blob.parent().unwrap().to_path_buf()));
        assert!(
            dir_synced,
            "the blob's folder was not fsynced before the event"
        );
    }
}

/// Store options that take an upload through every kind of step: little preallocated room
/// (the event's write needs more zeros ahead of it), with `tiny_segments` segments of the
/// smallest size (an event after a segment's first record rolls to a new segment), and a
/// snapshot after every write (steps after the commit).
fn demanding_options(io: Io, tiny_segments: bool) -> StoreOptions {
    let defaults = StoreOptions::default();
    let segment_size = if tiny_segments {
        2 * strata::format::SEGMENT_HEADER_LEN as u64
    } else {
        defaults.log.segment_size
    };
    StoreOptions {
        log: LogOptions {
            io,
            preallocate: 1024,
            segment_size,
            ..defaults.log
        },
        snapshots: strata::store::SnapshotPolicy {
            every_records: 1,
            ..strata::store::SnapshotPolicy::default()
        },
        ..defaults
    }
}

/// A store for [`an_upload_is_committed_or_absent_whichever_step_runs_out_of_space`]: new,
/// or (with `tiny_segments`) holding one dataset, so that the next event rolls.
fn store_before_the_upload(dir: &Path, io: Io, tiny_segments: bool) -> Store {
    let store = Store::create(dir, demanding_options(io, tiny_segments)).unwrap();
    if tiny_segments {
        let other = b"site,city\nS1,Oslo\nS2,Bergen\n";
        let file = UploadFile::from_bytes("sites.csv", other.to_vec());
        store
            .save_upload(UploadRequest::new("first", vec![file], "ana"))
            .unwrap();
    }
    store
}

/// Fails each mutating operation of an upload in turn with ENOSPC, and checks the outcome
/// against what a reopened store holds: an acknowledged upload is active after reopening
/// (a failure after its commit is a warning); a failed one is not, unless it failed in the
/// `fdatasync` of its event, after its bytes reached the file, and says it is not committed.
fn check_an_upload_out_of_space_at_every_step(tiny_segments: bool) {
    let total = {
        let dir = tempfile::tempdir().unwrap();
        let (io, recorder) = recording();
        let store = store_before_the_upload(dir.path(), io, tiny_segments);
        let before = recorder.mutating();
        store.save_upload(upload()).unwrap();
        recorder.mutating() - before
    };
    let no_space = io::Error::from_raw_os_error(libc::ENOSPC).to_string();
    for n in 0..total {
        let dir = tempfile::tempdir().unwrap();
        let (io, recorder) = recording();
        let store = store_before_the_upload(dir.path(), io, tiny_segments);
        recorder.fail_in(n, libc::ENOSPC);
        let outcome = store.save_upload(upload());
        let failed = recorder
            .failed
            .lock()
            .unwrap()
            .clone()
            .expect("an op failed");
        drop(store);
        let reopened = Store::open(dir.path(), StoreOptions::default())
            .unwrap_or_else(|e| panic!("operation {n} ({failed:?}): reopening failed: {e}"));
        reopened.assert_invariants(true).unwrap();
        let active = reopened
            .get_active_version("trial-42")
            .ok()
            .map(|a| a.version);
        match outcome {
            Ok(done) => {
                assert_eq!(
                    active,
                    Some(1),
                    "operation {n} ({failed:?}): acknowledged, lost"
                );
                let warnings = done.post_commit_warnings.join("; ");
                assert!(
                    warnings.contains(&no_space),
                    "operation {n} ({failed:?}) failed after the commit: `{warnings}`"
                );
            }
            Err(error) => {
                let message = error.to_string();
                assert_eq!(error.kind(), ErrorKind::StorageFull, "{message}");
                for expected in [
                    failed.verb(),
                    &failed.path().display().to_string(),
                    &no_space,
                ] {
                    assert!(
                        message.contains(expected),
                        "operation {n} ({failed:?}): `{message}` does not say `{expected}`"
                    );
                }
                if active.is_some() {
                    let event_sync = matches!(&failed, Op::SyncData(p)
                        if p.extension().is_some_and(|e| e == "seg"));
                    assert!(
                        event_sync && message.contains("not committed"),
                        "operation {n} ({failed:?}) failed the upload, yet it is active after \
                         reopening: `{message}`"
                    );
                }
            }
        }
        if active.is_none() {
            reopened.save_upload(upload()).unwrap();
        }
        assert_eq!(reopened.get_active_version("trial-42").unwrap().version, 1);
    }
}

#[test]
fn an_upload_is_committed_or_absent_whichever_step_runs_out_of_space() {
    check_an_upload_out_of_space_at_every_step(false);
}

#[test]
fn an_upload_that_rolls_the_segment_is_committed_or_absent_whichever_step_runs_out_of_space() {
    check_an_upload_out_of_space_at_every_step(true);
}

#[test]
fn appends_written_before_a_failed_roll_in_their_group_are_acknowledged() {
    use strata::format::{encoded_len, RECORD_HEADER_LEN, SEAL_BODY_LEN, SEGMENT_HEADER_LEN};
    let body = [7u8; 100];
    let record = encoded_len(body.len()) as u64;
    let seal = (RECORD_HEADER_LEN + SEAL_BODY_LEN) as u64;
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let options = LogOptions {
        // The first segment holds two records and a seal: a third rolls to a new segment.
        segment_size: SEGMENT_HEADER_LEN as u64 + 2 * record + seal,
        preallocate: 0,
        ..log_options(io, Durability::Sync)
    };
    let log = Arc::new(Log::create(dir.path(), options).unwrap());
    // The first append's fdatasync waits, so that the next two queue and are committed
    // together: the first of them fits, the second rolls, and the roll's new segment
    // cannot be created.
    recorder.hold_next_sync();
    let append = |log: &Arc<Log>| {
        let log = Arc::clone(log);
        std::thread::spawn(move || log.append(APP, &body))
    };
    let first = append(&log);
    recorder.wait_until_sync_held();
    let (second, third) = (append(&log), append(&log));
    std::thread::sleep(std::time::Duration::from_millis(300));
    *recorder.fail_first.lock().unwrap() = Some((
        |op| matches!(op, Op::Create(p) if p.to_string_lossy().ends_with(".seg.tmp")),
        libc::ENOSPC,
    ));
    recorder.release_sync();
    assert_eq!(first.join().unwrap().unwrap(), 1);
    let mut outcomes = [second.join().unwrap(), third.join().unwrap()];
    outcomes.sort_by_key(|o| o.is_err());
    let [written, failed] = outcomes;
    assert_eq!(
        written.unwrap(),
        2,
        "written and synced with the seal before the roll failed: acknowledged"
    );
    let failed = failed.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::StorageFull, "{failed}");
    assert!(failed.to_string().contains("not committed"), "{failed}");
    drop(log);

    let reopened = Log::open(dir.path(), LogOptions::default()).unwrap();
    let records: Vec<_> = reopened.iter_from(1).map(Result::unwrap).collect();
    let kinds: Vec<_> = records.iter().map(|r| (r.seq, r.record_type)).collect();
    assert_eq!(kinds, [(1, APP), (2, APP), (3, RecordType::SEAL)]);
    // The next segment starts with a checkpoint record (seq 4), then the append.
    assert_eq!(reopened.append(APP, &body).unwrap(), 5);
    assert_eq!(
        reopened.read(4).unwrap().record_type,
        RecordType::CHECKPOINT
    );
}

/// After a failed `fdatasync` the kernel may have dropped the dirty pages and cleared the
/// error, so a later sync could succeed without the bytes being on disk: the handle refuses
/// every later append (and writes nothing), and only a reopened log, which reads what the
/// file holds, appends again.
#[test]
fn a_failed_fdatasync_poisons_the_handle_until_the_log_is_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let (io, recorder) = recording();
    let log = Log::create(dir.path(), log_options(io.clone(), Durability::Sync)).unwrap();
    assert_eq!(log.append(APP, b"before").unwrap(), 1);
    let segment = segment_of(&log, 1).0;
    *recorder.fail_first.lock().unwrap() = Some((
        |op| matches!(op, Op::SyncData(p) if p.extension().is_some_and(|e| e == "seg")),
        libc::EIO,
    ));
    let failed = log.append(APP, b"not synced").unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::Io, "{failed}");
    assert!(failed.to_string().contains("fdatasync"), "{failed}");

    let start = recorder.len();
    for attempt in [b"after".as_slice(), b"again"] {
        let refused = log.append(APP, attempt).unwrap_err();
        match &refused {
            strata::log::Error::Poisoned { file, op, cause } => {
                assert_eq!((file, *op), (&segment, "fdatasync"), "{refused}");
                assert_eq!(cause.raw_os_error(), Some(libc::EIO), "{refused}");
            }
            other => panic!("expected a poisoned handle, got {other:?}"),
        }
        assert_eq!(refused.kind(), ErrorKind::Io, "{refused}");
    }
    let refused_batch = log.lock_writer().and_then(|mut guard| {
        guard.append_batch(&[(APP, b"batch".as_slice())])?;
        guard.commit()
    });
    assert!(
        matches!(refused_batch, Err(strata::log::Error::Poisoned { .. })),
        "{refused_batch:?}"
    );
    let written: Vec<Op> = recorder
        .since(start)
        .into_iter()
        .filter(|op| matches!(op, Op::Write { .. } | Op::SyncData(_)))
        .collect();
    assert_eq!(written, [], "a poisoned handle writes and syncs nothing");
    drop(log);

    let reopened = Log::open(dir.path(), log_options(io, Durability::Sync)).unwrap();
    let next = reopened.append(APP, b"after reopening").unwrap();
    assert!(
        next == 2 || next == 3,
        "the unsynced record is kept or cut: {next}"
    );
    assert_eq!(reopened.read(1).unwrap().body, b"before");
    assert_eq!(reopened.read(next).unwrap().body, b"after reopening");
}
