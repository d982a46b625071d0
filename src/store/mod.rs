//! The versioned dataset store: the public API over the segment log, the blob store and the
//! catalog.
//!
//! Every upload, overwrite and rollback is a dataset event in the log; the catalog of
//! datasets, versions and active versions is rebuilt by replaying those events. Table bytes
//! live in the content-addressed [`BlobStore`]. Every write takes the log's writer lock,
//! catches up on events other processes appended, decides against that fresh state, appends,
//! and releases: concurrent writers never lose an update.

mod audit;
pub(crate) mod catalog;
mod event;
mod event_filter;
mod find;
mod gc;
mod log_reader;
pub mod names;
mod policy;
mod query;
pub mod query_run;
mod read;
mod refusal;
mod replay_rules;
mod rollback;
mod salvage;
pub mod snapshot;
mod stats;
mod table_ids;
mod table_source;
mod timeline;
mod upload;
mod version_ref;

pub use audit::CheckpointOutcome;
pub use catalog::{
    Activation, Catalog, Dataset, InlineTable, PolicyEntry, PolicyInForce, PolicySource,
    VersionInfo, VersionMeta,
};
pub use event::{
    ContentHolder, Digest, Event, EventHead, EventKind, KindHead, OsAccount, SalvagedFrom,
    TableRecord, DATASET_EVENT, EVENT_ENCODING_V1, EVENT_ENCODING_VERSION,
};
pub use event_filter::{EventFilter, EVENT_TYPES, LOG_ENTRY_TYPES};
pub use find::ContentMatch;
pub use gc::{GcReport, Leftover, Leftovers};
pub use log_reader::LogReader;
pub use policy::{describe_source, PolicyOutcome, PolicyReport, PolicyScope, PolicySetBy};
pub use query_run::{QueryRun, QueryRunVersion, RecordedRun, QUERY_RUN};
pub use read::{History, LogEntry, SystemRecord, VersionSummary};
pub use refusal::{RefusalKind, UploadRefusal};
pub use rollback::RollbackOutcome;
pub use salvage::{Dropped, Reappended, SalvageReport};
pub use snapshot::{SnapshotInfo, SnapshotPolicy};
pub use stats::StoreStats;
pub use table_source::TableBytesSource;
pub use timeline::{timeline, ActiveInterval, Move};
pub use upload::{UploadFile, UploadOutcome, UploadPlan, UploadRequest, UploadStatus};
pub use version_ref::{parse_time, BareDate, VersionRef};

use crate::blob::{BlobStore, VerifiedReader};
use crate::error::{Error, Result};
use crate::format::{decode_table_bytes_head, encode_table_bytes, TABLE_BYTES};
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
    /// Tables of at most this many bytes are stored inside the log, as `table_bytes` records
    /// written in the same commit (one `pwrite`, one `fdatasync`) as the event that names
    /// them; larger tables are blob files. Default [`DEFAULT_INLINE_TABLE_MAX`] (256 KiB); at
    /// most [`crate::format::MAX_INLINE_TABLE_LEN`]; 0 stores every table as a blob file.
    pub inline_table_max: u64,
}

/// The default of [`StoreOptions::inline_table_max`]: 256 KiB. A table this size costs one
/// `pwrite` of 256 KiB and shares the event's `fdatasync`, where a blob file costs a file
/// `fsync` and directory `fsync`s of its own; beyond it, a record copies the bytes once more
/// on every read (a blob file streams) and large records make segments roll sooner.
pub const DEFAULT_INLINE_TABLE_MAX: u64 = 256 * 1024;

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
            inline_table_max: DEFAULT_INLINE_TABLE_MAX,
        }
    }
}

/// A snapshot taken by [`Store::take_snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOutcome {
    /// The snapshot file.
    pub info: SnapshotInfo,
    /// Failures after its checkpoint record was committed, which do not undo it.
    pub post_commit_warnings: Vec<String>,
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
    /// The snapshots ignored on open, and why.
    ignored_snapshots: Vec<snapshot::IgnoredSnapshot>,
    /// Their warnings, as [`Store::snapshot_warnings`] returns them.
    snapshot_warnings: Vec<String>,
    /// The snapshot the catalog was loaded from, if any.
    loaded_snapshot: Option<SnapshotInfo>,
    /// `(last sequence number, log bytes)` when the last snapshot was taken or loaded.
    last_snapshot: std::sync::Mutex<(u64, u64)>,
    /// The table ids each dataset has handed out, as far as this handle has read.
    table_ids: table_ids::TableIdCache,
}

impl Store {
    /// Creates a new, empty store in `dir`.
    pub fn create(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Log::create(dir.as_ref(), options.log.clone())?;
        Store::open(dir, options)
    }

    /// Opens the store in `dir`, replaying its log into the catalog.
    pub fn open(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        if options.inline_table_max > crate::format::MAX_INLINE_TABLE_LEN {
            return Err(Error::InvalidRequest(format!(
                "inline_table_max is {} bytes; a table_bytes record holds at most {}",
                options.inline_table_max,
                crate::format::MAX_INLINE_TABLE_LEN
            )));
        }
        let dir = dir.as_ref().to_path_buf();
        let log = Log::open(&dir, options.log.clone())?;
        let blobs = BlobStore::open_with(&dir, options.log.io.clone());
        let (loaded, ignored_snapshots) = snapshot::load_newest(&log)?;
        let snapshot_warnings = ignored_snapshots.iter().map(|i| i.warning()).collect();
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
            ignored_snapshots,
            snapshot_warnings,
            loaded_snapshot,
            last_snapshot: std::sync::Mutex::new(mark),
            table_ids: table_ids::TableIdCache::default(),
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
            if record.record_type == DATASET_EVENT {
                let head = EventHead::decode(record.body, || record.position())?;
                replay_rules::check_event_time(&record, &head)?;
                catalog.apply(record.seq, &head)?;
            } else if record.record_type == TABLE_BYTES {
                // Replay reads the head only; whoever reads the table checks its bytes.
                let head =
                    decode_table_bytes_head(record.body).map_err(|d| Error::BadTableBytes {
                        position: record.position(),
                        detail: d.to_string(),
                    })?;
                catalog.apply_table_bytes(record.seq, Digest(head.hash));
            } else if record.record_type == QUERY_RUN {
                // A query run changes no dataset: the catalog only moves past it (its body is
                // decoded, and checked, by whoever lists the runs).
                catalog.skip(record.seq);
            } else {
                replay_rules::check_skippable(&record)?;
                catalog.skip(record.seq);
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
        self.append_with_tables(writer, catalog, &[], event)
    }

    /// Appends the `table_bytes` records of `tables` (content hash and bytes, content the
    /// store does not hold yet) and then `event`, with one write under the writer lock, so
    /// that they share one commit (one `pwrite`, one `fdatasync`); applies them to the
    /// catalog and returns the event's sequence number.
    fn append_with_tables(
        &self,
        writer: &mut WriterGuard<'_>,
        catalog: &mut Catalog,
        tables: &[(Digest, Vec<u8>)],
        event: &Event,
    ) -> Result<u64> {
        let bodies: Vec<Vec<u8>> = tables
            .iter()
            .map(|(hash, bytes)| encode_table_bytes(&hash.0, bytes))
            .collect();
        let body = event.encode();
        let mut batch: Vec<(crate::format::RecordType, &[u8])> =
            bodies.iter().map(|b| (TABLE_BYTES, b.as_slice())).collect();
        batch.push((DATASET_EVENT, &body));
        let range = writer.append_batch(&batch)?;
        for ((hash, _), seq) in tables.iter().zip(*range.start()..) {
            catalog.apply_table_bytes(seq, *hash);
        }
        let seq = *range.end();
        catalog.apply(seq, &event.head())?;
        Ok(seq)
    }

    /// Whether the bytes of the table content `hash` are stored: inside the log (per
    /// `catalog`) or as a blob file.
    fn holds_table_bytes(&self, catalog: &Catalog, hash: &Digest) -> bool {
        catalog.inline_table(hash).is_some() || self.blobs.contains(&hash.0)
    }

    /// Where the bytes of the table content `hash` are: the segment file holding its
    /// `table_bytes` record, or its blob file (whether or not that exists).
    pub fn table_bytes_path(&self, hash: &Digest) -> PathBuf {
        let inline = self.catalog().inline_table(hash);
        match inline.and_then(|seq| self.log.read(seq).ok()) {
            Some(record) => record.segment().to_path_buf(),
            None => self.blobs.path(&hash.0),
        }
    }

    /// Opens the bytes of the table content `hash`, wherever they are stored, for reading;
    /// the reader fails at the end if they do not hash to `hash`. Bytes inside the log are
    /// read whole from their `table_bytes` record (at most
    /// [`StoreOptions::inline_table_max`] bytes), the CRC of the record checked.
    pub fn table_bytes_reader(&self, hash: &Digest) -> Result<VerifiedReader<TableBytesReader>> {
        let inline = self.catalog().inline_table(hash);
        self.table_bytes_reader_at(hash, inline)
    }

    /// [`Store::table_bytes_reader`] for content stored in the `table_bytes` record `inline`
    /// if given, else in a blob file.
    fn table_bytes_reader_at(
        &self,
        hash: &Digest,
        inline: Option<u64>,
    ) -> Result<VerifiedReader<TableBytesReader>> {
        match inline {
            // Opened now, so that a missing blob file is reported here.
            None => Ok(self
                .blobs
                .reader(&hash.0)?
                .map_inner(TableBytesReader::File)),
            Some(_) => self.table_bytes_source_at(hash, inline)?.open(),
        }
    }

    /// Where the bytes of the table content `hash` are, as an owned handle that opens them
    /// as often as needed, each reader verifying them as [`Store::table_bytes_reader`]'s
    /// does: what a reader on other threads (the SQL engine's scans) holds instead of the
    /// store. Bytes inside the log are read from their `table_bytes` record now (the record's
    /// CRC and head checked) and kept in memory, shared by every reader.
    pub fn table_bytes_source(&self, hash: &Digest) -> Result<TableBytesSource> {
        let inline = self.catalog().inline_table(hash);
        self.table_bytes_source_at(hash, inline)
    }

    fn table_bytes_source_at(
        &self,
        hash: &Digest,
        inline: Option<u64>,
    ) -> Result<TableBytesSource> {
        let Some(seq) = inline else {
            return Ok(TableBytesSource::blob(*hash, self.blobs.clone()));
        };
        let record = self.log.read(seq)?;
        let bad = |detail: String| Error::BadTableBytes {
            position: record.position(),
            detail,
        };
        if record.record_type != TABLE_BYTES {
            return Err(bad(format!(
                "record {seq} has type {}, not table_bytes",
                record.record_type.name()
            )));
        }
        let head = decode_table_bytes_head(&record.body).map_err(|d| bad(d.to_string()))?;
        if head.hash != hash.0 {
            return Err(bad(format!(
                "it holds content {}, not {}",
                Digest(head.hash).short(),
                hash.short()
            )));
        }
        let segment = record.segment().to_path_buf();
        Ok(TableBytesSource::inline(*hash, record.body, segment))
    }

    /// Reads the whole of the table content `hash`, wherever it is stored, and checks it
    /// against its hash.
    pub fn verify_table_bytes(&self, hash: &Digest) -> Result<()> {
        let inline = self.catalog().inline_table(hash);
        self.verify_table_bytes_at(hash, inline)
    }

    fn verify_table_bytes_at(&self, hash: &Digest, inline: Option<u64>) -> Result<()> {
        let mut reader = self.table_bytes_reader_at(hash, inline)?;
        let path = reader.path.clone();
        std::io::copy(&mut reader, &mut std::io::sink())
            .map_err(|e| crate::blob::blob_read_error(e, &path))?;
        Ok(())
    }

    /// The upkeep after a committed write: the invariant check (if enabled) and the
    /// automatic snapshot (if due). The write is durable by now, so a failure here does not
    /// make it fail: each becomes a warning for the write's outcome.
    fn after_commit(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        warnings.extend(self.log.take_mark_failure_warning());
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
            warnings.extend(self.log.take_mark_failure_warning());
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
    /// [`SnapshotPolicy::keep`].
    ///
    /// Under the writer lock, it appends (durably) a checkpoint record carrying the SHA-256
    /// of the snapshot's catalog image (the catalog of the records that checkpoint covers),
    /// then writes the snapshot, named after the last of those records (FORMAT.md,
    /// "Snapshots"): a snapshot is used only if the log's checkpoint record vouches for it. A crash between the two leaves a checkpoint whose snapshot is
    /// missing, which is harmless (the log is replayed). Readers are never blocked: the
    /// catalog is serialized under a read lock, and the file is written without the writer
    /// lock.
    pub fn snapshot(&self) -> Result<SnapshotInfo> {
        let _staging = self.hold_staging_lock()?;
        // A snapshot that cannot be written adds no checkpoint record.
        self.log
            .io()
            .ensure_dir_durably(&self.log.paths().snapshot_dir())?;
        let mut writer = self.lock_writer()?;
        self.catch_up(&mut self.catalog_mut())?;
        let mut image = Vec::new();
        let (seq, checkpoint) = {
            let catalog = self.catalog();
            writer.append_checkpoint_with(None, Some([0; 32]), |seq| {
                image = snapshot::encode_image(&catalog, seq - 1);
                Some(snapshot::catalog_digest(&image))
            })?
        };
        writer.commit()?;
        self.catch_up(&mut self.catalog_mut())?;
        let anchor = snapshot::CheckpointAnchor {
            seq,
            tree_size: checkpoint.size,
            root: checkpoint.root,
        };
        let body = snapshot::encode_body(&anchor, &image);
        // The policy counts records from the snapshot's own checkpoint record on.
        *self.last_snapshot.lock().unwrap_or_else(|e| e.into_inner()) = (seq, self.log.len_bytes());
        // Named after the last record it includes: the last its checkpoint covers.
        let seq = checkpoint.size;
        let store_id = *self.log.store_id().as_bytes();
        let (io, paths) = (self.log.io(), self.log.paths());
        let info = snapshot::write(io, paths, store_id, seq, &body)?;
        snapshot::prune(io, paths, self.options.snapshots.keep)?;
        Ok(info)
    }

    /// [`Store::snapshot`], with what failed after its checkpoint record was committed
    /// (raising the durable mark in `log/LOCK`), which does not undo it. ([`Store::snapshot`]
    /// leaves such a failure to the warnings of the next write.)
    pub fn take_snapshot(&self) -> Result<SnapshotOutcome> {
        let info = self.snapshot()?;
        Ok(SnapshotOutcome {
            info,
            post_commit_warnings: self.log.take_mark_failure_warning().into_iter().collect(),
        })
    }

    /// Why snapshots were ignored when the store was opened (empty if none was).
    pub fn snapshot_warnings(&self) -> &[String] {
        &self.snapshot_warnings
    }

    /// The snapshots ignored when the store was opened, each with the kind of reason (a
    /// forged one is [`snapshot::IgnoredKind::Forged`]).
    pub fn ignored_snapshots(&self) -> &[snapshot::IgnoredSnapshot] {
        &self.ignored_snapshots
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
                    self.check_blob(&catalog, ds, &version, table, deep)?;
                }
            }
        }
        Ok(())
    }

    fn check_blob(
        &self,
        catalog: &Catalog,
        ds: &Dataset,
        version: &VersionInfo,
        table: &TableRecord,
        deep: bool,
    ) -> Result<()> {
        let hash = &table.content_hash;
        if deep {
            return self.verify_table_bytes_at(hash, catalog.inline_table(hash));
        }
        if !self.holds_table_bytes(catalog, hash) {
            return Err(Error::invariant(format!(
                "the content {} of table `{}` of `{}` version {} is missing (no table_bytes record, no blob file)",
                table.content_hash.short(),
                table.name,
                ds.name,
                version.number
            )));
        }
        Ok(())
    }
}

/// The bytes of a table as [`Store::table_bytes_reader`] reads them: a blob file, or a copy
/// of a `table_bytes` record's bytes.
#[derive(Debug)]
pub enum TableBytesReader {
    /// A blob file.
    File(crate::io::FileReader),
    /// Bytes stored inside the log: a cursor over the record's body, past its head.
    Inline(std::io::Cursor<table_source::RecordBody>),
}

impl std::io::Read for TableBytesReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            TableBytesReader::File(file) => file.read(buf),
            TableBytesReader::Inline(bytes) => bytes.read(buf),
        }
    }
}

/// A new event at `time`: the commit time of the writer guard that appends it
/// ([`WriterGuard::commit_micros`]), so that an event's time is its record's append time.
/// It records this process's OS account beside `actor` (the one given, which callers have
/// checked is a valid, non-empty actor).
fn new_event(dataset_id: uuid::Uuid, actor: &str, note: &str, kind: EventKind, time: i64) -> Event {
    Event {
        event_id: uuid::Uuid::new_v4(),
        timestamp_micros: time,
        actor: actor.to_owned(),
        note: note.to_owned(),
        dataset_id,
        kind,
        os_account: Some(OsAccount::current()),
        salvaged_from: None,
    }
}
