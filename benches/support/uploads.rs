//! The end-to-end upload workload of `benches/compare.rs` (`upload/*`): small tables uploaded
//! as new versions of 20 datasets (50 to 300 rows of a 6-column visits table, new content
//! every upload), and the two designs strata is judged against on it:
//!
//! - [`sqlite_uploads`]: SQLite in WAL mode with `synchronous=FULL`, the table's bytes as a
//!   BLOB keyed by their SHA-256 (stored once), a version row and an event row, all in one
//!   transaction per upload;
//! - [`json_uploads`]: the design strata replaces: each version's table written to a file of
//!   its own atomically (temporary file, fsync, rename, directory fsync), then the dataset's
//!   JSON metadata rewritten atomically under an exclusive lock.
//!
//! Both parse and hash the bytes once, with strata's own CSV scan (the least a user would do:
//! a version row needs the row count and the schema), so that the comparison measures the
//! storage designs. [`CountingBackend`] counts the flushes (`fdatasync`, `fsync` of files and
//! of directories) strata's IO seam makes.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use strata::io::{
    Backend, BackendFile, DirEntry, FileId, LockKind, Map, Metadata, OpenMode, OsBackend,
};

/// Datasets the uploads go to (round robin).
pub const DATASETS: u64 = 20;

/// One upload of the workload: a new version of a dataset.
pub struct Upload {
    /// The dataset's index and name.
    pub dataset: u64,
    pub name: String,
    /// The file name and its bytes.
    pub file: String,
    pub bytes: Vec<u8>,
}

/// The uploads of one uploader: `uploader`'s own datasets (`DATASETS` of them, named after
/// the uploader, so that concurrent uploaders never race on one dataset), new content each.
pub struct Workload {
    uploader: u64,
    next: u64,
}

impl Workload {
    pub fn new(uploader: u64) -> Workload {
        Workload { uploader, next: 0 }
    }

    /// The next `n` uploads.
    pub fn take(&mut self, n: u64) -> Vec<Upload> {
        (0..n)
            .map(|_| {
                let k = self.next;
                self.next += 1;
                let dataset = k % DATASETS;
                Upload {
                    dataset,
                    name: format!("up{}-study-{dataset:02}", self.uploader),
                    file: "visits.csv".into(),
                    bytes: table(self.uploader, k),
                }
            })
            .collect()
    }
}

/// A visits table of 50 to 300 rows, distinct for every `(uploader, k)`.
pub fn table(uploader: u64, k: u64) -> Vec<u8> {
    let seed = splitmix(uploader.wrapping_mul(1_000_003) ^ k);
    let rows = 50 + seed % 251;
    let mut out = String::from("patient_id,site,visit_date,age,weight_kg,responder\n");
    for r in 0..rows {
        let x = splitmix(seed ^ r);
        let _ = writeln!(
            out,
            "P{uploader}-{k}-{r},site-{},2024-{:02}-{:02},{},{}.{},{}",
            x % 12,
            1 + x % 12,
            1 + (x >> 8) % 28,
            18 + (x >> 16) % 70,
            40 + (x >> 24) % 80,
            (x >> 32) % 10,
            (x >> 40).is_multiple_of(2)
        );
    }
    out.into_bytes()
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Parses and hashes a table once (strata's CSV scan, a SHA-256 as it reads): what the
/// alternatives do before they store it. Returns the hash and the row count.
pub fn scan(name: &str, bytes: &[u8]) -> ([u8; 32], u64) {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    let mut sink = |chunk: &[u8]| {
        hasher.update(chunk);
        Ok(())
    };
    let scan = strata::schema::scan_csv(bytes, name, &mut sink).unwrap();
    (hasher.finalize().into(), scan.row_count)
}

fn hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// SQLite: `tables` (SHA-256 → bytes, stored once), `versions` and `events`, one transaction
/// per upload, WAL, `synchronous=FULL`.
pub mod sqlite_uploads {
    use super::*;
    use rusqlite::{params, Connection, OptionalExtension as _};

    pub const SCHEMA: &str = "
        CREATE TABLE IF NOT EXISTS tables (
            hash  BLOB PRIMARY KEY,
            bytes BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS versions (
            dataset  TEXT    NOT NULL,
            version  INTEGER NOT NULL,
            tbl      TEXT    NOT NULL,
            hash     BLOB    NOT NULL,
            rows     INTEGER NOT NULL,
            created  INTEGER NOT NULL,
            PRIMARY KEY (dataset, version, tbl)
        );
        CREATE TABLE IF NOT EXISTS events (
            seq      INTEGER PRIMARY KEY,
            dataset  TEXT    NOT NULL,
            kind     TEXT    NOT NULL,
            version  INTEGER,
            actor    TEXT    NOT NULL,
            at       INTEGER NOT NULL
        );";

    /// Opens (creating) the database in WAL mode with `synchronous=FULL`.
    pub fn open(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch("PRAGMA synchronous = FULL;").unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn
    }

    /// One upload: parse and hash, then in one `BEGIN IMMEDIATE` transaction the bytes (if
    /// new), the next version's row and the event row.
    pub fn upload(conn: &mut Connection, upload: &Upload) {
        let (hash, rows) = scan(&upload.file, &upload.bytes);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        let version: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE dataset = ?1",
                [&upload.name],
                |r| r.get(0),
            )
            .unwrap();
        tx.execute(
            "INSERT OR IGNORE INTO tables (hash, bytes) VALUES (?1, ?2)",
            params![hash.as_slice(), upload.bytes],
        )
        .unwrap();
        let now = now_micros();
        tx.execute(
            "INSERT INTO versions (dataset, version, tbl, hash, rows, created)
             VALUES (?1, ?2, 'visits', ?3, ?4, ?5)",
            params![upload.name, version, hash.as_slice(), rows as i64, now],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO events (dataset, kind, version, actor, at)
             VALUES (?1, 'upload_created', ?2, 'bench', ?3)",
            params![upload.name, version, now],
        )
        .unwrap();
        tx.commit().unwrap();
    }

    /// The bytes of a dataset's version's table (the SELECT of the BLOB by its hash).
    pub fn read(conn: &Connection, dataset: &str, version: i64) -> Vec<u8> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT t.bytes FROM versions v JOIN tables t ON t.hash = v.hash
                 WHERE v.dataset = ?1 AND v.version = ?2 AND v.tbl = 'visits'",
            )
            .unwrap();
        stmt.query_row(params![dataset, version], |r| r.get(0))
            .optional()
            .unwrap()
            .expect("the version exists")
    }
}

/// The JSON design: `<dir>/tables/<hash>.csv` written atomically, then `<dir>/<dataset>.json`
/// (every version, every event) rewritten atomically under `<dir>/<dataset>.lock`.
pub mod json_uploads {
    use super::*;
    use fs2::FileExt;
    use std::fs::{File, OpenOptions};
    use std::io::Write as _;

    #[derive(serde::Serialize, serde::Deserialize, Default)]
    struct Metadata {
        name: String,
        active: u64,
        versions: Vec<Version>,
        events: Vec<Event>,
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Version {
        number: u64,
        table_hash: String,
        rows: u64,
        created: i64,
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Event {
        kind: String,
        version: u64,
        actor: String,
        at: i64,
    }

    /// Creates the folders.
    pub fn init(dir: &Path) {
        std::fs::create_dir_all(dir.join("tables")).unwrap();
    }

    /// One upload: parse and hash, write the table's file durably (if new), then rewrite the
    /// dataset's metadata durably under its lock.
    pub fn upload(dir: &Path, upload: &Upload) {
        let (hash, rows) = scan(&upload.file, &upload.bytes);
        let tables = dir.join("tables");
        let table = tables.join(format!("{}.csv", hex(&hash)));
        if !table.exists() {
            replace(&tables, &table, &upload.bytes);
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{}.lock", upload.name)))
            .unwrap();
        FileExt::lock_exclusive(&lock).unwrap();
        let path = dir.join(format!("{}.json", upload.name));
        let mut meta: Metadata = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Metadata {
                name: upload.name.clone(),
                ..Metadata::default()
            },
            Err(e) => panic!("read {}: {e}", path.display()),
        };
        let number = meta.versions.len() as u64 + 1;
        let now = now_micros();
        meta.versions.push(Version {
            number,
            table_hash: hex(&hash),
            rows,
            created: now,
        });
        meta.active = number;
        meta.events.push(Event {
            kind: "upload_created".into(),
            version: number,
            actor: "bench".into(),
            at: now,
        });
        replace(dir, &path, &serde_json::to_vec(&meta).unwrap());
        FileExt::unlock(&lock).unwrap();
    }

    fn replace(dir: &Path, path: &Path, bytes: &[u8]) {
        let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4()));
        let mut out = File::create(&tmp).unwrap();
        out.write_all(bytes).unwrap();
        out.sync_all().unwrap();
        drop(out);
        std::fs::rename(&tmp, path).unwrap();
        File::open(dir).unwrap().sync_all().unwrap();
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

/// The real file system, counting every flush: `fdatasync` and `fsync` of files, `fsync` of
/// directories.
#[derive(Debug, Default)]
pub struct CountingBackend {
    pub flushes: Arc<AtomicU64>,
}

impl CountingBackend {
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

impl Backend for CountingBackend {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let inner = OsBackend.open(path, mode)?;
        Ok(Box::new(CountingFile {
            inner,
            flushes: Arc::clone(&self.flushes),
        }))
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
        self.flushes.fetch_add(1, Ordering::Relaxed);
        OsBackend.sync_dir(path)
    }
    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>> {
        OsBackend.metadata(path)
    }
}

#[derive(Debug)]
struct CountingFile {
    inner: Box<dyn BackendFile>,
    flushes: Arc<AtomicU64>,
}

impl BackendFile for CountingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.inner.sync_data()
    }
    fn sync_all(&self) -> io::Result<()> {
        self.flushes.fetch_add(1, Ordering::Relaxed);
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
        self.inner.try_lock(kind)
    }
    fn unlock(&self) -> io::Result<()> {
        self.inner.unlock()
    }
}
