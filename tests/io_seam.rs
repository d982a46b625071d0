//! The IO seam (`strata::io`): every file operation of the write path goes through the
//! backend, so a backend that wraps the real file system can record each one in order and
//! fail any one of them with a chosen errno. These tests use such a backend to check that an
//! acknowledged `Durability::Sync` append was `fdatasync`ed after it was written, and that a
//! failed operation during an upload is reported with the operation and the file and leaves
//! a store that opens and loses nothing.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use strata::format::RecordType;
use strata::io::{
    Backend, BackendFile, DirEntry, FileId, Io, LockKind, Map, Metadata, OpenMode, OsBackend,
};
use strata::log::{Durability, Log, LogOptions};
use strata::{Store, StoreOptions, UploadFile, UploadRequest};

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
    failed: Mutex<Option<Op>>,
}

impl Recorder {
    /// Records `op`; fails it (it then does not happen) if it is the chosen one.
    fn note(&self, op: Op) -> io::Result<()> {
        let mut ops = self.ops.lock().unwrap();
        let index = ops.iter().filter(|o| o.mutates()).count();
        let chosen = *self.fail.lock().unwrap();
        ops.push(op.clone());
        match chosen {
            Some((at, errno)) if op.mutates() && at == index => {
                *self.failed.lock().unwrap() = Some(op);
                Err(io::Error::from_raw_os_error(errno))
            }
            _ => Ok(()),
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
            OpenMode::CreateNew | OpenMode::CreateTruncate => true,
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

fn store_options(io: Io) -> StoreOptions {
    let defaults = StoreOptions::default();
    StoreOptions {
        log: LogOptions { io, ..defaults.log },
        ..defaults
    }
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
    matches!(op, Op::Write { path, offset: 8, len: 16 } if *path == store.join("log/LOCK"))
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
