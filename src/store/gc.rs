//! The loose ends interrupted and failed writes leave: temporary files (of a process killed
//! while writing a blob, a snapshot or a columnar copy), orphan blobs (published by an upload
//! whose event was then never committed) and stale columnar copies (a copy whose index entry
//! was never written or was replaced, an index entry of a table a repair cut from the log).
//! Nothing ever reads them; this finds them (for `stats` and the check), removes the
//! temporary files before each upload, and collects all of them on demand.
//!
//! Temporary files of writes still in progress must not be removed: every upload, snapshot
//! and columnar copy holds a shared lock on `log/STAGING` while it writes them, and they are
//! removed only by whoever gets that lock exclusively (so only when nobody is writing one).
//! A columnar copy is renamed into place before its index entry names it, so stale copies
//! are decided under that exclusive lock too.
//! Blobs are published and referred to by their event under the writer lock, so garbage
//! collection takes the writer lock and catches up on the log before deciding that a blob is
//! referred to by nothing.

use super::Store;
use crate::error::Result;
use crate::io::lock::{lock, LockGuard};
use crate::io::{EntryKind, Io, LockKind, OpenMode};
use crate::log::Error as LogError;
use crate::paths::{StorePaths, TMP_SUFFIX};
use crate::Error;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A file nothing reads: an orphan blob or a temporary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The files nothing reads, as [`Store::leftovers`] finds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Blob files no `upload_created` event refers to.
    pub orphan_blobs: Vec<Leftover>,
    /// Temporary files (`*.tmp`) in the blob, snapshot, columnar-copy and log folders: left
    /// by interrupted writes, or being written right now by another process.
    pub temp_files: Vec<Leftover>,
    /// Derived files nothing uses: columnar copies (`derived/parquet/*.parquet`) no index
    /// entry names, and index entries (`derived/parquet/index/*.json`) of tables no event of
    /// the log holds. Removing them loses nothing: a copy is rebuilt from the table's bytes.
    pub stale_copies: Vec<Leftover>,
}

impl Leftovers {
    /// Bytes in orphan blobs.
    pub fn orphan_blob_bytes(&self) -> u64 {
        self.orphan_blobs.iter().map(|l| l.bytes).sum()
    }

    /// Bytes in temporary files.
    pub fn temp_file_bytes(&self) -> u64 {
        self.temp_files.iter().map(|l| l.bytes).sum()
    }

    /// Bytes in stale columnar copies and index entries.
    pub fn stale_copy_bytes(&self) -> u64 {
        self.stale_copies.iter().map(|l| l.bytes).sum()
    }
}

/// What [`Store::collect_garbage`] removed (or, in a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Nothing was removed: this is what would be.
    pub dry_run: bool,
    /// Orphan blobs.
    pub orphan_blobs: Vec<Leftover>,
    /// Temporary files.
    pub temp_files: Vec<Leftover>,
    /// Stale columnar copies and index entries (see [`Leftovers::stale_copies`]).
    pub stale_copies: Vec<Leftover>,
    /// Temporary files, orphan blobs and stale copies were left alone because a write was in
    /// progress (they may be its).
    pub writes_in_progress: bool,
}

impl GcReport {
    /// Bytes removed (or to remove).
    pub fn bytes(&self) -> u64 {
        self.orphan_blobs
            .iter()
            .chain(&self.temp_files)
            .chain(&self.stale_copies)
            .map(|l| l.bytes)
            .sum()
    }
}

/// How long a write waits for the staging lock that garbage collection holds briefly.
const STAGING_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// The files nothing reads: orphan blobs and stale columnar copies (against every event
    /// of the log as of the last open or refresh) and temporary files. Reads the log's events
    /// and lists the folders; changes nothing.
    pub fn leftovers(&self) -> Result<Leftovers> {
        let tables = self.referenced_tables()?;
        Ok(Leftovers {
            orphan_blobs: self.orphan_blobs(&tables)?,
            temp_files: temp_files(self.log.io(), self.log.paths(), true)?,
            stale_copies: stale_copies(self.log.io(), self.log.paths(), &tables)?,
        })
    }

    /// Removes orphan blobs and temporary files (with `dry_run`, only says what it would
    /// remove). Takes the writer lock and catches up on the log first, so a blob that an event
    /// refers to is never removed, even one another process wrote since this store was
    /// opened. Orphan blobs and staged temporary files are removed only when no upload is in
    /// progress (the staging lock is free): an upload publishes its blobs before it takes
    /// the writer lock, so until its event is committed they are referred to by nothing.
    pub fn collect_garbage(&self, dry_run: bool) -> Result<GcReport> {
        if dry_run {
            // Catch up first, so that another process's blobs are not listed as orphans.
            self.refresh()?;
            let leftovers = self.leftovers()?;
            return Ok(GcReport {
                dry_run,
                orphan_blobs: leftovers.orphan_blobs,
                temp_files: leftovers.temp_files,
                stale_copies: leftovers.stale_copies,
                writes_in_progress: false,
            });
        }
        // Before the writer lock, as uploads take them.
        let staging = match self.staging_lock(LockKind::Exclusive, Duration::ZERO) {
            Ok(guard) => Some(guard),
            Err(Error::Log(LogError::LockTimeout { .. })) => None,
            Err(e) => return Err(e),
        };
        let writer = self.lock_writer()?;
        self.catch_up(&mut self.catalog_mut())?;
        let io = self.log.io();
        let (mut orphan_blobs, mut stale) = (Vec::new(), Vec::new());
        if staging.is_some() {
            let tables = self.referenced_tables()?;
            orphan_blobs = self.orphan_blobs(&tables)?;
            stale = stale_copies(io, self.log.paths(), &tables)?;
            remove_all(io, &orphan_blobs)?;
            remove_all(io, &stale)?;
        }
        // Segments being created are written under the writer lock, which this holds.
        let mut temp_files = temp_files(io, self.log.paths(), true)?
            .into_iter()
            .filter(|l| l.path.starts_with(self.log.paths().log_dir()))
            .collect::<Vec<_>>();
        remove_all(io, &temp_files)?;
        drop(writer);
        let (removed, writes_in_progress) = match staging {
            Some(_exclusive) => (self.remove_staged_temp_files_locked()?, false),
            None => (Vec::new(), true),
        };
        temp_files.extend(removed);
        Ok(GcReport {
            dry_run,
            orphan_blobs,
            temp_files,
            stale_copies: stale,
            writes_in_progress,
        })
    }

    /// Before an upload: removes the temporary files of interrupted blob and snapshot writes,
    /// if no write is in progress. Returns a notice for the upload's warnings (what was
    /// removed, or why it could not be); never fails the upload.
    pub(super) fn clean_temp_files(&self) -> Vec<String> {
        if !self.log.io().is_file(&self.log.paths().staging_lock()) {
            // Nothing was ever staged with this store's staging lock: the first upload
            // creates it (and a later one cleans).
            return Vec::new();
        }
        match self.remove_staged_temp_files() {
            Ok(Some(removed)) if !removed.is_empty() => {
                let bytes: u64 = removed.iter().map(|l| l.bytes).sum();
                vec![format!(
                    "removed {} temporary file{} ({bytes} bytes) left by interrupted writes",
                    removed.len(),
                    if removed.len() == 1 { "" } else { "s" }
                )]
            }
            Ok(_) => Vec::new(),
            Err(e) => vec![format!(
                "temporary files left by interrupted writes were not removed: {e}"
            )],
        }
    }

    /// Removes the temporary files in the blob and snapshot folders under the exclusive
    /// staging lock; `None` if a write holds it.
    fn remove_staged_temp_files(&self) -> Result<Option<Vec<Leftover>>> {
        let _exclusive = match self.staging_lock(LockKind::Exclusive, Duration::ZERO) {
            Ok(guard) => guard,
            Err(Error::Log(LogError::LockTimeout { .. })) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.remove_staged_temp_files_locked().map(Some)
    }

    /// Removes the temporary files in the blob and snapshot folders; the caller holds the
    /// staging lock exclusively.
    fn remove_staged_temp_files_locked(&self) -> Result<Vec<Leftover>> {
        let io = self.log.io();
        // Not the log's folders (a log writer's temporary files are its own to remove), so
        // not the tree's tiles either: every upload runs this, and it lists four small folders
        // whatever the size of the log or the tree.
        let found = temp_files(io, self.log.paths(), false)?;
        remove_all(io, &found)?;
        Ok(found)
    }

    /// Holds the staging lock shared, while writing temporary files of blobs, snapshots or
    /// columnar copies.
    pub(crate) fn hold_staging_lock(&self) -> Result<LockGuard> {
        self.staging_lock(LockKind::Shared, STAGING_TIMEOUT)
    }

    /// Takes the staging lock (`log/STAGING`, created if needed), waiting at most `timeout`
    /// (with zero, trying once).
    fn staging_lock(&self, kind: LockKind, timeout: Duration) -> Result<LockGuard> {
        let io = self.log.io();
        let path = self.log.paths().staging_lock();
        if !io.is_file(&path) {
            // Created on first use (an error then says "create"); a shared lock opens it
            // read-only and never creates it.
            match io.open(&path, OpenMode::CreateNew) {
                Err(e) if e.source.kind() == std::io::ErrorKind::AlreadyExists => {}
                other => drop(other?),
            }
        }
        Ok(lock(io, &path, kind, timeout)?)
    }

    /// The content hashes of the tables every `upload_created` event of the log holds.
    fn referenced_tables(&self) -> Result<HashSet<[u8; 32]>> {
        Ok(self
            .all_tables()?
            .into_iter()
            .map(|(_, _, table)| table.content_hash.0)
            .collect())
    }

    /// The blob files named by no table of `tables`.
    fn orphan_blobs(&self, tables: &HashSet<[u8; 32]>) -> Result<Vec<Leftover>> {
        let referenced: HashSet<PathBuf> = tables.iter().map(|h| self.blobs.path(h)).collect();
        Ok(self
            .blob_files()?
            .into_iter()
            .filter(|l| !referenced.contains(&l.path))
            .collect())
    }

    /// Every file under the blob folder's named blobs.
    fn blob_files(&self) -> Result<Vec<Leftover>> {
        let io = self.log.io();
        let objects = self.blobs.objects_dir();
        let mut found = Vec::new();
        if !io.is_dir(&objects) {
            return Ok(found);
        }
        for prefix in io.list_dir(&objects)? {
            if prefix.kind != EntryKind::Dir {
                continue;
            }
            let dir = objects.join(&prefix.name);
            found.extend(files_in(io, &dir, |_| true)?);
        }
        Ok(found)
    }
}

/// Temporary files (`*.tmp`) of the blob and snapshot folders and, with `with_log`, of the
/// log folder and its torn-tail folder.
fn temp_files(io: &Io, paths: &StorePaths, with_log: bool) -> Result<Vec<Leftover>> {
    let is_tmp = |name: &str| name.ends_with(TMP_SUFFIX);
    let mut dirs = vec![
        paths.blob_tmp_dir(),
        paths.snapshot_dir(),
        paths.parquet_tmp_dir(),
        paths.parquet_index_dir(),
    ];
    if with_log {
        dirs.extend([paths.log_dir(), paths.torn_dir()]);
    }
    let mut found = Vec::new();
    for dir in dirs {
        if io.is_dir(&dir) {
            found.extend(files_in(io, &dir, is_tmp)?);
        }
    }
    if with_log {
        // Tiles being written by a proof (not under the staging lock: removing one only
        // makes that proof's write of the tile fail, which it notes and carries on).
        found.extend(tree_files(io, &paths.tree_dir())?.1);
    }
    Ok(found)
}

/// The stale files of the columnar copies (see [`Leftovers::stale_copies`]): index entries
/// whose file name is the content hash of no table in `tables`, and copies that no index
/// entry of a table in `tables` names. An index entry that cannot be read names nothing
/// (its table's copy is remade by the next `materialize`, which replaces the entry).
fn stale_copies(io: &Io, paths: &StorePaths, tables: &HashSet<[u8; 32]>) -> Result<Vec<Leftover>> {
    let (dir, index_dir) = (paths.parquet_dir(), paths.parquet_index_dir());
    let mut stale = Vec::new();
    let mut named = HashSet::new();
    if io.is_dir(&index_dir) {
        for entry in files_in(io, &index_dir, |name| name.ends_with(".json"))? {
            let name = entry.path.file_stem().and_then(|s| s.to_str());
            let held = name
                .and_then(crate::digest::parse_hex32)
                .is_some_and(|hash| tables.contains(&hash));
            if !held {
                stale.push(entry);
            } else if let Some(copy) = io.read(&entry.path).ok().and_then(|b| named_copy(&b)) {
                named.insert(copy);
            }
        }
    }
    if io.is_dir(&dir) {
        let is_copy = |name: &str| name.ends_with(".parquet");
        let unnamed = files_in(io, &dir, is_copy)?.into_iter().filter(|l| {
            let stem = l.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            !named.contains(stem)
        });
        stale.extend(unnamed);
    }
    stale.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(stale)
}

/// The name (hex SHA-256) of the copy an index entry names, if the entry reads. Read as plain
/// JSON: the entry's type (`sql::columnar::CopyIndex`) is built only with the `sql` feature,
/// and the store must collect its derived files without it.
fn named_copy(index: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(index).ok()?;
    let hash = value.get("parquet_hash")?.as_str()?;
    crate::digest::parse_hex32(hash).map(|_| hash.to_ascii_lowercase())
}

/// The files under the `log/tree/` sidecar: the tiles (every file not named `*.tmp`) and the
/// temporary files of tile writes, each with its size.
pub(super) fn tree_files(io: &Io, dir: &Path) -> Result<(Vec<Leftover>, Vec<Leftover>)> {
    let (mut tiles, mut temps) = (Vec::new(), Vec::new());
    if !io.is_dir(dir) {
        return Ok((tiles, temps));
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in io.list_dir(&dir)? {
            let path = dir.join(&entry.name);
            match entry.kind {
                EntryKind::Dir => pending.push(path),
                EntryKind::File => {
                    let bytes = io.metadata(&path)?.map_or(0, |m| m.len);
                    let temp = entry.name.to_string_lossy().ends_with(TMP_SUFFIX);
                    let list = if temp { &mut temps } else { &mut tiles };
                    list.push(Leftover { path, bytes });
                }
                EntryKind::Other => {}
            }
        }
    }
    temps.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((tiles, temps))
}

/// The files of `dir` whose names pass `keep`, with their sizes.
fn files_in(io: &Io, dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<Leftover>> {
    let mut found = Vec::new();
    for entry in io.list_dir(dir)? {
        let name = entry.name.to_string_lossy();
        if entry.kind != EntryKind::File || !keep(&name) {
            continue;
        }
        let path = dir.join(&entry.name);
        let bytes = io.metadata(&path)?.map_or(0, |m| m.len);
        found.push(Leftover { path, bytes });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Removes the files and fsyncs each folder that lost one. A file already gone is fine.
fn remove_all(io: &Io, files: &[Leftover]) -> Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for file in files {
        match io.remove_file(&file.path) {
            Ok(()) => {}
            Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        let dir = crate::paths::parent(&file.path);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        io.sync_dir(dir)?;
    }
    Ok(())
}
