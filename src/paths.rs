//! Where everything of a store lives: the one place that names its folders and files (the
//! layout FORMAT.md shows under *Store directory layout*).
//!
//! ```text
//! <store>/
//!   log/                               LOG_DIR
//!     LOCK                             LOCK_FILE
//!     STAGING                          STAGING_LOCK_FILE: held while writing temporary files
//!     <20-digit seq>.seg               segments (crate::format::segment_file_name)
//!     <20-digit seq>.seg.tmp           a segment being created (tmp_path)
//!     torn/<segment>.<offset>.torn     TORN_DIR: torn tails cut before an append
//!     salvage-<UTC time>/              SALVAGE_PREFIX: what a repair cut out
//!     tree/tile/<L>/<N>[.p/<W>]        TREE_DIR: the sidecar of tree hashes (tlog-tiles)
//!       <segment>.from-<offset>        the cut bytes of the damaged segment
//!       <segment>                      later segments, moved whole
//!   blobs/                             BLOB_DIR
//!     sha256/<2 hex>/<62 hex>          BLOB_OBJECTS_DIR: table bytes by SHA-256
//!     tmp/<uuid>.tmp                   BLOB_TMP_DIR: blobs being written
//!   snapshots/                         SNAPSHOT_DIR
//!     <20-digit seq>.snap              SNAPSHOT_SUFFIX
//!     <20-digit seq>.snap.<uuid>.tmp   snapshots being written
//!   derived/                           DERIVED_DIR: rebuildable from the tables' bytes, removable
//!     parquet/<64 hex>.parquet         PARQUET_DIR: columnar copies by their own SHA-256
//!     parquet/index/<64 hex>.json      which copy holds the table with this content hash
//!     parquet/tmp/<uuid>.tmp           copies being written
//! ```
//!
//! Every name is pure: nothing here touches the disk.

use crate::digest::hex;
use crate::format::segment_file_name;
use std::path::{Path, PathBuf};

/// Name of the log's folder inside a store directory.
pub const LOG_DIR: &str = "log";
/// Name of the writer lock file inside the log folder.
pub const LOCK_FILE: &str = "LOCK";
/// Folder (inside the log folder) holding copies of torn tails cut before an append.
pub const TORN_DIR: &str = "torn";
/// Suffix of a torn tail's copy.
pub const TORN_SUFFIX: &str = ".torn";
/// Start of the name of a folder (inside the log folder) holding what a repair cut out.
pub const SALVAGE_PREFIX: &str = "salvage-";
/// Folder (inside the log folder) of the derived, untrusted sidecar of tree hashes.
pub const TREE_DIR: &str = "tree";
/// Name of the blob folder inside a store directory.
pub const BLOB_DIR: &str = "blobs";
/// Folder (inside the blob folder) holding every blob under its name.
pub const BLOB_OBJECTS_DIR: &str = "sha256";
/// Folder (inside the blob folder) holding blobs being written.
pub const BLOB_TMP_DIR: &str = "tmp";
/// Name of the lock file (inside the log folder) that writers of temporary blob and snapshot
/// files hold shared, and their cleaner exclusively.
pub const STAGING_LOCK_FILE: &str = "STAGING";
/// Name of the snapshot folder inside a store directory.
pub const SNAPSHOT_DIR: &str = "snapshots";
/// Suffix of a snapshot file.
pub const SNAPSHOT_SUFFIX: &str = ".snap";
/// Name of the folder of derived files (columnar copies) inside a store directory.
pub const DERIVED_DIR: &str = "derived";
/// Folder (inside the derived folder) holding the Parquet copies of tables.
pub const PARQUET_DIR: &str = "parquet";
/// Suffix of every file being written (never read).
pub const TMP_SUFFIX: &str = ".tmp";

/// The paths of one store directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePaths {
    root: PathBuf,
}

impl StorePaths {
    /// The paths of the store in `store_dir`.
    pub fn new(store_dir: impl Into<PathBuf>) -> StorePaths {
        StorePaths {
            root: store_dir.into(),
        }
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `log/`.
    pub fn log_dir(&self) -> PathBuf {
        self.root.join(LOG_DIR)
    }

    /// `log/LOCK`.
    pub fn lock_file(&self) -> PathBuf {
        self.log_dir().join(LOCK_FILE)
    }

    /// `log/STAGING`: the staging lock (see [`STAGING_LOCK_FILE`]).
    pub fn staging_lock(&self) -> PathBuf {
        self.log_dir().join(STAGING_LOCK_FILE)
    }

    /// `log/<20-digit base_seq>.seg`.
    pub fn segment(&self, base_seq: u64) -> PathBuf {
        self.log_dir().join(segment_file_name(base_seq))
    }

    /// `log/torn/`.
    pub fn torn_dir(&self) -> PathBuf {
        self.log_dir().join(TORN_DIR)
    }

    /// `log/torn/<segment file name>.<offset>.torn`: the copy of the torn bytes at `offset`.
    pub fn torn_copy(&self, segment: &Path, offset: u64) -> PathBuf {
        self.torn_dir()
            .join(format!("{}.{offset}{TORN_SUFFIX}", file_name(segment)))
    }

    /// `log/salvage-<time>/`, `time` formatted by the caller (FORMAT.md: UTC, to the µs).
    pub fn salvage_dir(&self, time: &str) -> PathBuf {
        self.log_dir().join(format!("{SALVAGE_PREFIX}{time}"))
    }

    /// `log/tree/`: the sidecar of tree hashes; tiles lie below it at their tlog-tiles paths
    /// ([`crate::format::tile::TileId::path`]).
    pub fn tree_dir(&self) -> PathBuf {
        self.log_dir().join(TREE_DIR)
    }

    /// `blobs/`.
    pub fn blob_dir(&self) -> PathBuf {
        self.root.join(BLOB_DIR)
    }

    /// `blobs/sha256/`: every blob under its name, two levels below.
    pub fn blob_objects_dir(&self) -> PathBuf {
        self.blob_dir().join(BLOB_OBJECTS_DIR)
    }

    /// `blobs/sha256/<2 hex>/<62 hex>`: the blob whose SHA-256 is `hash`.
    pub fn blob(&self, hash: &[u8; 32]) -> PathBuf {
        let hex = hex(hash);
        self.blob_objects_dir().join(&hex[..2]).join(&hex[2..])
    }

    /// `blobs/tmp/`.
    pub fn blob_tmp_dir(&self) -> PathBuf {
        self.blob_dir().join(BLOB_TMP_DIR)
    }

    /// `blobs/tmp/<id>.tmp`: a blob being written.
    pub fn blob_tmp(&self, id: uuid::Uuid) -> PathBuf {
        self.blob_tmp_dir().join(format!("{id}{TMP_SUFFIX}"))
    }

    /// `derived/parquet/`.
    pub fn parquet_dir(&self) -> PathBuf {
        self.root.join(DERIVED_DIR).join(PARQUET_DIR)
    }

    /// `derived/parquet/<64 hex>.parquet`: a columnar copy named by its own SHA-256.
    pub fn parquet_copy(&self, hash: &[u8; 32]) -> PathBuf {
        self.parquet_dir().join(format!("{}.parquet", hex(hash)))
    }

    /// `derived/parquet/index/`.
    pub fn parquet_index_dir(&self) -> PathBuf {
        self.parquet_dir().join("index")
    }

    /// `derived/parquet/index/<64 hex>.json`: the copy of the table with this content hash.
    pub fn parquet_index(&self, table_hash: &[u8; 32]) -> PathBuf {
        self.parquet_index_dir()
            .join(format!("{}.json", hex(table_hash)))
    }

    /// `derived/parquet/tmp/`.
    pub fn parquet_tmp_dir(&self) -> PathBuf {
        self.parquet_dir().join("tmp")
    }

    /// `derived/parquet/tmp/<uuid>.tmp`: a copy being written.
    pub fn parquet_tmp(&self, id: uuid::Uuid) -> PathBuf {
        self.parquet_tmp_dir().join(format!("{id}{TMP_SUFFIX}"))
    }

    /// `snapshots/`.
    pub fn snapshot_dir(&self) -> PathBuf {
        self.root.join(SNAPSHOT_DIR)
    }

    /// `snapshots/<20-digit seq>.snap`.
    pub fn snapshot(&self, seq: u64) -> PathBuf {
        self.snapshot_dir().join(snapshot_file_name(seq))
    }

    /// `snapshots/<20-digit seq>.snap.<id>.tmp`: a snapshot being written.
    pub fn snapshot_tmp(&self, seq: u64, id: uuid::Uuid) -> PathBuf {
        self.snapshot_dir()
            .join(format!("{}.{id}{TMP_SUFFIX}", snapshot_file_name(seq)))
    }
}

/// `<segment file name>.from-<offset>` in a salvage folder: the bytes a repair cut out of a
/// damaged segment from `offset` on.
pub fn salvage_copy(salvage_dir: &Path, segment: &Path, offset: u64) -> PathBuf {
    salvage_dir.join(format!("{}.from-{offset}", file_name(segment)))
}

/// The file name of the snapshot taken as of `seq`.
pub fn snapshot_file_name(seq: u64) -> String {
    format!("{seq:020}{SNAPSHOT_SUFFIX}")
}

/// The sequence number in a snapshot file name, if the name is one (temporary files are not).
pub fn parse_snapshot_file_name(name: &str) -> Option<u64> {
    name.strip_suffix(SNAPSHOT_SUFFIX)
        .filter(|digits| digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
}

/// `path` with `.tmp` added: the temporary name of a file whose final name is `path`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(TMP_SUFFIX);
    path.with_file_name(name)
}

/// The folder holding `path` (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The last component of `path`, as text (lossy).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paths_are_the_ones_format_md_names() {
        let p = StorePaths::new("/s");
        assert_eq!(p.lock_file(), Path::new("/s/log/LOCK"));
        assert_eq!(p.segment(614), Path::new("/s/log/00000000000000000614.seg"));
        assert_eq!(
            p.torn_copy(&p.segment(1), 300),
            Path::new("/s/log/torn/00000000000000000001.seg.300.torn")
        );
        assert_eq!(
            p.salvage_dir("20240501T120000.000000Z"),
            Path::new("/s/log/salvage-20240501T120000.000000Z")
        );
        assert_eq!(
            salvage_copy(Path::new("/x"), &p.segment(1), 7),
            Path::new("/x/00000000000000000001.seg.from-7")
        );
        let mut hash = [0u8; 32];
        hash[0] = 0xab;
        let blob = p.blob(&hash);
        assert_eq!(blob.parent().unwrap(), Path::new("/s/blobs/sha256/ab"));
        assert_eq!(file_name(&blob).len(), 62);
        assert_eq!(p.staging_lock(), Path::new("/s/log/STAGING"));
        let id = uuid::Uuid::nil();
        assert_eq!(
            p.blob_tmp(id),
            Path::new("/s/blobs/tmp/00000000-0000-0000-0000-000000000000.tmp")
        );
        assert_eq!(
            p.snapshot(42),
            Path::new("/s/snapshots/00000000000000000042.snap")
        );
        assert_eq!(
            p.snapshot_tmp(42, id),
            Path::new(
                "/s/snapshots/00000000000000000042.snap.00000000-0000-0000-0000-000000000000.tmp"
            )
        );
        assert_eq!(
            tmp_path(&p.segment(1)),
            Path::new("/s/log/00000000000000000001.seg.tmp")
        );
    }

    #[test]
    fn only_snapshot_names_parse_as_snapshots() {
        assert_eq!(parse_snapshot_file_name(&snapshot_file_name(42)), Some(42));
        assert_eq!(
            parse_snapshot_file_name("00000000000000000042.snap.x.tmp"),
            None
        );
        assert_eq!(parse_snapshot_file_name("42.snap"), None);
        assert_eq!(parse_snapshot_file_name("0000000000000000004x.snap"), None);
    }

    #[test]
    fn the_parent_of_a_bare_name_is_the_current_folder() {
        assert_eq!(parent(Path::new("store")), Path::new("."));
        assert_eq!(parent(Path::new("a/b")), Path::new("a"));
    }
}
