//! The stores a user would pick instead of strata, as `benches/compare.rs` measures them, over
//! the same dataset events:
//!
//! - [`sqlite`]: one SQLite database (WAL) with an `events` table and one index; the catalog
//!   (the active version of every dataset) is rebuilt with a query on open.
//! - [`json`]: the design strata replaces: one JSON metadata file per dataset holding its whole
//!   version history and event list, rewritten atomically (temporary file, fsync, rename, fsync
//!   of the directory) under an exclusive file lock on every change.
//!
//! Both are written the way a careful engineer would write them, so that the comparison
//! measures designs, not straw men.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bytes a directory tree takes: `(apparent, allocated)`, the sum of file lengths and of the
/// blocks the file system allocated for them.
pub fn disk_bytes(path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return (0, 0);
    };
    if !meta.is_dir() {
        return (meta.len(), meta.blocks() * 512);
    }
    let mut total = (0, 0);
    for entry in std::fs::read_dir(path).unwrap() {
        let (apparent, allocated) = disk_bytes(&entry.unwrap().path());
        total.0 += apparent;
        total.1 += allocated;
    }
    total
}

/// Bytes as MB (10^6), for printing.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The SQLite alternative: an append-only `events` table (the same encoded event strata logs,
/// plus the columns queries need) with one covering index, in WAL mode.
pub mod sqlite {
    use super::*;
    use rusqlite::{params, Connection, OptionalExtension as _};
    use strata::store::Event;

    /// The schema. `seq` is the rowid (assigned in commit order, like strata's sequence
    /// numbers); `version` is the version the event makes active (NULL for events that change
    /// nothing, such as a blocked overwrite). The index, `(dataset_name, seq, version)`,
    /// covers both queries below: a dataset's active version is the `version` of its last
    /// activating event, found by one descent of the index.
    pub const SCHEMA: &str = "
        CREATE TABLE IF NOT EXISTS events (
            seq          INTEGER PRIMARY KEY,
            dataset_id   BLOB    NOT NULL,
            dataset_name TEXT    NOT NULL,
            kind         TEXT    NOT NULL,
            version      INTEGER,
            body         BLOB    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS events_by_dataset ON events (dataset_name, seq, version);";

    const INSERT: &str = "INSERT INTO events (dataset_id, dataset_name, kind, version, body)
                          VALUES (?1, ?2, ?3, ?4, ?5)";

    /// The active version of one dataset: the last activating event, one index descent.
    pub const ACTIVE_VERSION: &str = "SELECT version FROM events
        WHERE dataset_name = ?1 AND version IS NOT NULL ORDER BY seq DESC LIMIT 1";

    /// The active version of every dataset. A recursive query walks the distinct dataset
    /// names by seeking in the index (a skip scan: one seek per dataset rather than a read of
    /// every event), then finds each one's last activating event with a second seek.
    pub const ACTIVE_VERSIONS: &str = "
        WITH RECURSIVE names(name) AS (
            SELECT MIN(dataset_name) FROM events
            UNION ALL
            SELECT (SELECT MIN(dataset_name) FROM events WHERE dataset_name > name)
            FROM names WHERE name IS NOT NULL
        )
        SELECT name, (SELECT version FROM events
                      WHERE dataset_name = name AND version IS NOT NULL
                      ORDER BY seq DESC LIMIT 1)
        FROM names WHERE name IS NOT NULL";

    /// The obvious alternative to [`ACTIVE_VERSIONS`]: SQLite's `MAX()` with a bare column
    /// (documented to come from the row holding the maximum), one pass over the index.
    pub const ACTIVE_VERSIONS_GROUP_BY: &str = "
        SELECT dataset_name, version, MAX(seq) FROM events
        WHERE version IS NOT NULL GROUP BY dataset_name";

    /// `PRAGMA synchronous` for writers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Synchronous {
        /// `FULL`: the WAL is synced at every commit; a commit survives power loss.
        Full,
        /// `NORMAL`: the WAL is synced only at checkpoints; commits are atomic and survive a
        /// process crash, but the last ones can be lost to a power loss.
        Normal,
    }

    /// Opens (creating if needed) the database at `path` in WAL mode, with the schema, the
    /// given `synchronous` level and a 10 s busy timeout (strata's writer lock timeout).
    pub fn open(path: &Path, synchronous: Synchronous) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let level = match synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.execute_batch(&format!("PRAGMA synchronous = {level};"))
            .unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn
    }

    /// Inserts one event in its own transaction (SQLite's autocommit) and returns its `seq`.
    /// The body is the event exactly as strata encodes it.
    pub fn insert(conn: &Connection, dataset_name: &str, event: &Event) -> i64 {
        let mut insert = conn.prepare_cached(INSERT).unwrap();
        insert_with(&mut insert, dataset_name, event);
        conn.last_insert_rowid()
    }

    fn insert_with(insert: &mut rusqlite::CachedStatement<'_>, dataset_name: &str, event: &Event) {
        let version = event.kind.activates().map(|v| v as i64);
        insert
            .execute(params![
                event.dataset_id.as_bytes().as_slice(),
                dataset_name,
                event.kind.name(),
                version,
                event.encode(),
            ])
            .unwrap();
    }

    /// Inserts many events in one transaction (for building test databases).
    pub fn insert_bulk<'a>(conn: &mut Connection, events: impl Iterator<Item = (&'a str, Event)>) {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx.prepare_cached(INSERT).unwrap();
            for (name, event) in events {
                insert_with(&mut insert, name, &event);
            }
        }
        tx.commit().unwrap();
    }

    /// The catalog: the active version of every dataset, with [`ACTIVE_VERSIONS`].
    pub fn active_versions(conn: &Connection) -> HashMap<String, u64> {
        active_versions_with(conn, ACTIVE_VERSIONS)
    }

    /// The catalog, with the query given.
    pub fn active_versions_with(conn: &Connection, query: &str) -> HashMap<String, u64> {
        let mut stmt = conn.prepare(query).unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    /// One dataset's active version, on a prepared statement of [`ACTIVE_VERSION`].
    pub fn active_version(stmt: &mut rusqlite::Statement<'_>, dataset_name: &str) -> Option<u64> {
        stmt.query_row([dataset_name], |r| r.get::<_, i64>(0))
            .optional()
            .unwrap()
            .map(|v| v as u64)
    }
}

/// The design strata replaces: `<dir>/<dataset name>.json` holds the dataset's versions, its
/// active version and every event (as JSON, with the same fields as strata's events), and is
/// rewritten whole, atomically and durably, under an exclusive lock of `<dataset name>.lock`
/// on every change.
pub mod json {
    use super::*;
    use fs2::FileExt;
    use serde::{Deserialize, Serialize};
    use std::fs::{File, OpenOptions};
    use std::io::Write as _;
    use strata::store::{Digest, Event, EventKind};

    /// One dataset's metadata file.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct DatasetFile {
        /// The dataset's id.
        pub dataset_id: uuid::Uuid,
        /// Its name.
        pub name: String,
        /// The active version's number.
        pub active: u64,
        /// Every version.
        pub versions: Vec<VersionEntry>,
        /// Every event, in order.
        pub events: Vec<Event>,
    }

    /// One version in a [`DatasetFile`].
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct VersionEntry {
        /// Its number.
        pub number: u64,
        /// Its content hash.
        pub hash: Digest,
        /// When it was created, microseconds since the Unix epoch.
        pub created_micros: i64,
        /// The event that created it.
        pub event_id: uuid::Uuid,
    }

    /// What opening reads of each file: serde still parses (and validates) the whole
    /// document, but skips the history instead of building it.
    #[derive(Deserialize)]
    struct Head {
        name: String,
        active: u64,
    }

    impl DatasetFile {
        /// An empty history for a dataset.
        pub fn new(dataset_id: uuid::Uuid, name: &str) -> DatasetFile {
            DatasetFile {
                dataset_id,
                name: name.to_owned(),
                active: 0,
                versions: Vec::new(),
                events: Vec::new(),
            }
        }

        /// Applies an event: a new version, a change of the active version, and the event
        /// appended to the list.
        pub fn apply(&mut self, event: Event) {
            if let EventKind::UploadCreated { version, hash, .. } = &event.kind {
                self.versions.push(VersionEntry {
                    number: *version,
                    hash: *hash,
                    created_micros: event.timestamp_micros,
                    event_id: event.event_id,
                });
            }
            if let Some(version) = event.kind.activates() {
                self.active = version;
            }
            self.events.push(event);
        }
    }

    /// The file of dataset `name` in `dir`.
    pub fn path(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{name}.json"))
    }

    /// Records one event durably: takes the dataset's lock, reads and parses its file (if
    /// any), applies the event, writes the whole file to a temporary file, fsyncs it, renames
    /// it over the old one, fsyncs the directory, and releases the lock.
    pub fn write_event(dir: &Path, name: &str, event: Event) {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{name}.lock")))
            .unwrap();
        FileExt::lock_exclusive(&lock).unwrap();
        let path = path(dir, name);
        let mut file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                DatasetFile::new(event.dataset_id, name)
            }
            Err(e) => panic!("read {}: {e}", path.display()),
        };
        file.apply(event);
        replace(dir, &path, &serde_json::to_vec(&file).unwrap(), true);
        FileExt::unlock(&lock).unwrap();
    }

    /// Writes a whole file (for building test stores): atomically, and durably if `durable`.
    pub fn write_file(dir: &Path, file: &DatasetFile, durable: bool) {
        let path = path(dir, &file.name);
        replace(dir, &path, &serde_json::to_vec(file).unwrap(), durable);
    }

    fn replace(dir: &Path, path: &Path, bytes: &[u8], durable: bool) {
        let tmp = path.with_extension("json.tmp");
        let mut out = File::create(&tmp).unwrap();
        out.write_all(bytes).unwrap();
        if durable {
            out.sync_all().unwrap();
        }
        drop(out);
        std::fs::rename(&tmp, path).unwrap();
        if durable {
            File::open(dir).unwrap().sync_all().unwrap();
        }
    }

    /// The catalog: reads and parses every dataset file in `dir`.
    pub fn active_versions(dir: &Path) -> HashMap<String, u64> {
        let mut catalog = HashMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                let head: Head = serde_json::from_slice(&bytes).unwrap();
                catalog.insert(head.name, head.active);
            }
        }
        catalog
    }
}
