//! The versioned dataset store: the public API over the segment log, the blob store and the
//! catalog.
//!
//! Every upload, overwrite and rollback is a dataset event in the log; the catalog of
//! datasets, versions and active versions is rebuilt by replaying those events. Table bytes
//! live in the content-addressed [`BlobStore`]. Every write takes the log's writer lock,
//! catches up on events other processes appended, decides against that fresh state, appends,
//! and releases: concurrent writers never lose an update.

mod catalog;
mod event;
mod log_reader;
mod query;
pub mod query_run;
mod read;
mod refusal;
mod rollback;
pub mod snapshot;
mod stats;
mod upload;
mod version_ref;

pub use catalog::{Activation, Catalog, Dataset, VersionInfo, VersionMeta};
pub use event::{
    ContentHolder, Digest, Event, EventHead, EventKind, KindHead, TableRecord, DATASET_EVENT,
    EVENT_ENCODING_VERSION,
};
pub use log_reader::LogReader;
pub use query_run::{LogEntry, QueryRun, QueryRunVersion, RecordedRun, QUERY_RUN};
pub use read::{History, VersionSummary};
pub use refusal::{RefusalKind, UploadRefusal};
pub use rollback::RollbackOutcome;
pub use snapshot::{SnapshotInfo, SnapshotPolicy};
pub use stats::StoreStats;
pub use upload::{UploadFile, UploadOutcome, UploadRequest, UploadStatus};
pub use version_ref::{parse_time, BareDate, VersionRef};

use crate::blob::BlobStore;
use crate::error::{Error, Result};
use crate::log::{Log, LogOptions, OpenVerify, WaitOutcome, WriterGuard};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// What to do when uploaded content already exists under another dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// Store it, and warn naming the datasets and versions that hold it (default).
    #[default]
    Warn,
    /// Refuse the upload.
    Refuse,
}

/// Options for opening or creating a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Options of the underlying log.
    pub log: LogOptions,
    /// What to do with content already stored under another dataset.
    pub duplicate_policy: DuplicatePolicy,
    /// Run [`Store::assert_invariants`] (shallow) after every write. Default: on in debug
    /// builds, off in release builds. The check runs after the commit, so a failure does not
    /// fail the write: it is one of the write's `post_commit_warnings`.
    pub check_invariants: bool,
    /// When snapshots of the catalog are taken and how many are kept.
    pub snapshots: SnapshotPolicy,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            // The store checks every record it replays as it reads it, and `verify` checks
            // everything: opening needs to read only the tail.
            log: LogOptions {
                verify: OpenVerify::Tail,
                ..LogOptions::default()
            },
            duplicate_policy: DuplicatePolicy::Warn,
            check_invariants: cfg!(debug_assertions),
            snapshots: SnapshotPolicy::default(),
        }
    }
}

/// The active version of a dataset, as [`Store::get_active_version`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveVersion {
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The version number.
    pub version: u64,
    /// The version's content hash.
    pub hash: Digest,
}

/// A versioned dataset store in a directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    log: Log,
    blobs: BlobStore,
    catalog: RwLock<Catalog>,
    options: StoreOptions,
    /// Why snapshots were ignored on open.
    snapshot_warnings: Vec<String>,
    /// The snapshot the catalog was loaded from, if any.
    loaded_snapshot: Option<SnapshotInfo>,
    /// `(last sequence number, log bytes)` when the last snapshot was taken or loaded.
    last_snapshot: std::sync::Mutex<(u64, u64)>,
}

impl Store {
    /// Creates a new, empty store in `dir`.
    pub fn create(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Log::create(dir.as_ref(), options.log.clone())?;
        Store::open(dir, options)
    }

    /// Opens the store in `dir`, replaying its log into the catalog.
    pub fn open(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let dir = dir.as_ref().to_path_buf();
        let log = Log::open(&dir, options.log.clone())?;
        let blobs = BlobStore::open_with(&dir, options.log.io.clone());
        let (loaded, snapshot_warnings) = snapshot::load_newest(&log)?;
        let (loaded_snapshot, catalog) = match loaded {
            Some((info, catalog)) => (Some(info), catalog),
            None => (None, Catalog::default()),
        };
        let mark = (catalog.last_seq, log.len_bytes());
        let store = Store {
            dir,
            log,
            blobs,
            catalog: RwLock::new(catalog),
            options,
            snapshot_warnings,
            loaded_snapshot,
            last_snapshot: std::sync::Mutex::new(mark),
        };
        store.catch_up(&mut store.catalog_mut())?;
        store.catalog().check()?;
        Ok(store)
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The underlying log, for reading: every write goes through the store, which decides
    /// it against the catalog.
    pub fn log(&self) -> LogReader<'_> {
        LogReader::new(&self.log)
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The IO seam the store works through.
    pub fn io(&self) -> crate::io::Io {
        self.log.io().clone()
    }

    /// The paths of the store's folders and files.
    pub fn paths(&self) -> crate::paths::StorePaths {
        self.log.paths().clone()
    }

    /// The in-memory catalog, as of the last write or [`Store::refresh`].
    pub fn catalog(&self) -> RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner())
    }

    fn catalog_mut(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Catches up on events other processes appended.
    pub fn refresh(&self) -> Result<()> {
        self.log.refresh()?;
        self.catch_up(&mut self.catalog_mut())
    }

    /// Returns once the log holds a record after `seq` (from this or another process) or
    /// `timeout` has passed (see [`Log::wait_past`]), with the catalog caught up on what
    /// arrived.
    pub fn wait_past(&self, seq: u64, timeout: Duration) -> Result<WaitOutcome> {
        let outcome = self.log.wait_past(seq, timeout)?;
        if outcome.appended() {
            self.catch_up(&mut self.catalog_mut())?;
        }
        Ok(outcome)
    }

    /// Applies every log record after the catalog's last sequence number.
    fn catch_up(&self, catalog: &mut Catalog) -> Result<()> {
        self.replay(catalog, u64::MAX)
    }

    /// Applies the log records after the catalog's last sequence number, up to `until`.
    fn replay(&self, catalog: &mut Catalog, until: u64) -> Result<()> {
        let mut records = self.log.iter_from(catalog.last_seq + 1);
        while let Some(record) = records.next_ref() {
            let record = record?;
            if record.seq > until {
                break;
            }
            match record.record_type {
                DATASET_EVENT => {
                    let head = EventHead::decode(record.body, || record.position())?;
                    catalog.apply(record.seq, &head)?;
                }
                // A query run changes no dataset: the catalog only moves past it.
                QUERY_RUN => catalog.skip(record.seq),
                // Log records and application types of other layers.
                _ => catalog.skip(record.seq),
            }
        }
        Ok(())
    }

    /// The active version of a dataset (by name or id), from memory: no IO.
    pub fn get_active_version(&self, dataset: &str) -> Result<ActiveVersion> {
        let catalog = self.catalog();
        let ds = catalog.get(dataset)?;
        let hash = ds.active_version().hash;
        Ok(ActiveVersion {
            dataset_id: ds.id,
            version: ds.active,
            hash,
        })
    }

    /// Every dataset and version holding content with this hash.
    pub fn find_datasets_by_content_hash(&self, hash: &Digest) -> Vec<ContentHolder> {
        self.catalog().holders_of(hash)
    }

    fn lock_writer(&self) -> Result<WriterGuard<'_>> {
        Ok(self.log.lock_writer()?)
    }

    /// Appends an event under the writer lock and applies it to the catalog. The event was
    /// decided against this catalog, so applying it fails only on a bug in the decision; the
    /// record is then written but never committed.
    fn append_event(
        &self,
        writer: &mut WriterGuard<'_>,
        catalog: &mut Catalog,
        event: &Event,
    ) -> Result<u64> {
        let body = event.encode();
        let seq = *writer.append_batch(&[(DATASET_EVENT, &body)])?.start();
        catalog.apply(seq, &event.head())?;
        Ok(seq)
    }

    /// The upkeep after a committed write: the invariant check (if enabled) and the
    /// automatic snapshot (if due). The write is durable by now, so a failure here does not
    /// make it fail: each becomes a warning for the write's outcome.
    fn after_commit(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.options.check_invariants {
            if let Err(e) = self.assert_invariants(false) {
                warnings.push(format!(
                    "the write is committed, but the invariant check after it failed: {e}"
                ));
            }
        }
        if self.snapshot_due() {
            if let Err(e) = self.snapshot() {
                warnings.push(format!(
                    "the write is committed, but the automatic snapshot after it failed: {e}"
                ));
            }
        }
        warnings
    }

    fn snapshot_due(&self) -> bool {
        let policy = &self.options.snapshots;
        if !policy.automatic {
            return false;
        }
        let (seq, bytes) = *self.last_snapshot.lock().unwrap_or_else(|e| e.into_inner());
        self.log.last_seq().saturating_sub(seq) >= policy.every_records
            || self.log.len_bytes().saturating_sub(bytes) >= policy.every_bytes
    }

    /// Writes a snapshot of the catalog as of now and prunes old ones to
    /// [`SnapshotPolicy::keep`]. Readers are never blocked: the catalog is serialized under a
    /// read lock, and the file is written without any lock.
    pub fn snapshot(&self) -> Result<SnapshotInfo> {
        let (seq, body) = {
            let catalog = self.catalog();
            (
                catalog.last_seq,
                snapshot::encode_body(&self.log, &catalog)?,
            )
        };
        let store_id = *self.log.store_id().as_bytes();
        let (io, paths) = (self.log.io(), self.log.paths());
        let info = snapshot::write(io, paths, store_id, seq, &body)?;
        *self.last_snapshot.lock().unwrap_or_else(|e| e.into_inner()) = (seq, self.log.len_bytes());
        snapshot::prune(io, paths, self.options.snapshots.keep)?;
        Ok(info)
    }

    /// Why snapshots were ignored when the store was opened (empty if none was).
    pub fn snapshot_warnings(&self) -> &[String] {
        &self.snapshot_warnings
    }

    /// The snapshot the catalog was loaded from when the store was opened, if any.
    pub fn loaded_snapshot(&self) -> Option<&SnapshotInfo> {
        self.loaded_snapshot.as_ref()
    }

    /// Rebuilds the catalog from the log alone and compares it with the newest valid
    /// snapshot. Returns `None` when there is no usable snapshot, else the snapshot and the
    /// differences found (empty when it matches).
    pub fn check_snapshot(&self) -> Result<Option<(SnapshotInfo, Vec<String>)>> {
        let (loaded, _) = snapshot::load_newest(&self.log)?;
        let Some((info, from_snapshot)) = loaded else {
            return Ok(None);
        };
        let mut replayed = Catalog::default();
        self.replay(&mut replayed, info.seq)?;
        Ok(Some((
            info,
            catalog::differences(&from_snapshot, &replayed),
        )))
    }

    /// Checks the store's invariants: exactly one active version per dataset; every event
    /// refers to a known dataset and version (checked as each event is applied); the catalog
    /// equals a fresh replay of the log; every version's blobs exist, and with `deep`, every
    /// blob's bytes match its hash.
    pub fn assert_invariants(&self, deep: bool) -> Result<()> {
        let catalog = self.catalog();
        catalog.check()?;
        catalog.check_content_index()?;
        let mut fresh = Catalog::default();
        self.catch_up(&mut fresh)?;
        fresh.last_seq = fresh.last_seq.max(catalog.last_seq);
        if fresh != *catalog {
            return Err(Error::invariant(
                "the catalog differs from a fresh replay of the log",
            ));
        }
        for ds in catalog.datasets() {
            for version in self.version_infos(ds)? {
                for table in &version.tables {
                    self.check_blob(ds, &version, table, deep)?;
                }
            }
        }
        Ok(())
    }

    fn check_blob(
        &self,
        ds: &Dataset,
        version: &VersionInfo,
        table: &TableRecord,
        deep: bool,
    ) -> Result<()> {
        let hash = &table.content_hash.0;
        if deep {
            return self.blobs.verify(hash);
        }
        if !self.blobs.contains(hash) {
            return Err(Error::invariant(format!(
                "blob {} of table `{}` of `{}` version {} is missing",
                table.content_hash.short(),
                table.name,
                ds.name,
                version.number
            )));
        }
        Ok(())
    }
}

fn new_event(dataset_id: uuid::Uuid, actor: &str, note: &str, kind: EventKind) -> Event {
    Event {
        event_id: uuid::Uuid::new_v4(),
        timestamp_micros: crate::log::now_micros(),
        actor: actor.to_owned(),
        note: note.to_owned(),
        dataset_id,
        kind,
    }
}
