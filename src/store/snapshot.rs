//! Snapshots: the catalog as of a sequence number, so that opening a store replays only the
//! log's tail. The log stays the source of truth: a snapshot that fails any check is ignored
//! (with a warning) and an older one, or a full replay, is used instead.
//!
//! Files: `<store>/snapshots/<20-digit sequence number>.snap`, written to a uniquely named
//! temporary file, fsynced, renamed into place, and the folder fsynced (see FORMAT.md).

use super::catalog::{Catalog, InlineTable, OwnedCatalogImage};
use crate::error::Result;
use crate::format::{SnapshotDefect, SnapshotHeader};
use crate::io::Io;
use crate::log::Log;
use crate::paths::{parse_snapshot_file_name, StorePaths};
use bincode::Options as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use crate::paths::SNAPSHOT_DIR;
/// Version of the snapshot body's catalog encoding this build writes: 2 adds the tables
/// stored inside the log after the catalog. Version 1 (no such list: its writer stored
/// every table as a blob file) still reads.
pub const CATALOG_ENCODING_VERSION: u8 = 2;

/// The catalog encoding of format 1, read as version 2 with no tables inside the log.
const CATALOG_ENCODING_VERSION_1: u8 = 1;

/// When snapshots are taken automatically, and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Take snapshots automatically after writes. Default: on.
    pub automatic: bool,
    /// ... once this many log records were appended since the last one. Default 10,000.
    pub every_records: u64,
    /// ... or once the log grew by this many bytes since the last one. Default 64 MiB.
    pub every_bytes: u64,
    /// How many snapshots to keep (older ones are deleted). Default 3; at least 1.
    pub keep: usize,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        SnapshotPolicy {
            automatic: true,
            every_records: 10_000,
            every_bytes: 64 << 20,
            keep: 3,
        }
    }
}

/// A snapshot file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The file.
    pub path: PathBuf,
    /// The sequence number of the last log record it includes.
    pub seq: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// The log record a snapshot was taken after: checked on load, so a snapshot of a log that
/// was since repaired (and so holds other records under the same numbers) is not trusted.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    seq: u64,
    timestamp_micros: i64,
    body_crc: u32,
}

/// A snapshot body after its catalog encoding version byte, as written.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break; [`BodyIn`] must declare the
/// same fields in the same order.
#[derive(Serialize)]
struct BodyOut<'a> {
    anchor: Option<Anchor>,
    catalog: super::catalog::CatalogImage<'a>,
    inline_tables: Vec<InlineTable>,
}

/// A snapshot body after its catalog encoding version byte, as read.
///
/// On disk: it decodes what [`BodyOut`] encodes (FORMAT.md, "Snapshots"), so its fields
/// must stay [`BodyOut`]'s, in the same order.
#[derive(Deserialize)]
struct BodyIn {
    anchor: Option<Anchor>,
    catalog: OwnedCatalogImage,
    inline_tables: Vec<InlineTable>,
}

/// A body of catalog encoding version 1: [`BodyIn`] without the tables inside the log.
#[derive(Deserialize)]
struct BodyInV1 {
    anchor: Option<Anchor>,
    catalog: OwnedCatalogImage,
}

fn anchor_of(log: &Log, seq: u64) -> Result<Option<Anchor>> {
    if seq == 0 {
        return Ok(None);
    }
    let record = log.read(seq)?;
    Ok(Some(Anchor {
        seq,
        timestamp_micros: record.timestamp_micros,
        body_crc: crate::format::crc32(&record.body),
    }))
}

/// Serializes the catalog into a snapshot file body.
pub(crate) fn encode_body(log: &Log, catalog: &Catalog) -> Result<Vec<u8>> {
    let mut body = vec![CATALOG_ENCODING_VERSION];
    let image = BodyOut {
        anchor: anchor_of(log, catalog.last_seq)?,
        catalog: catalog.image(),
        inline_tables: catalog.inline_image(),
    };
    bincode::serialize_into(&mut body, &image).expect("a catalog serializes into memory");
    Ok(body)
}

/// Writes a snapshot file durably and returns where it is.
pub(crate) fn write(
    io: &Io,
    paths: &StorePaths,
    store_id: [u8; 16],
    seq: u64,
    body: &[u8],
) -> Result<SnapshotInfo> {
    io.ensure_dir_durably(&paths.snapshot_dir())?;
    let header = SnapshotHeader {
        store_id,
        seq,
        body_len: body.len() as u64,
        created_at_micros: crate::log::now_micros(),
    };
    let file = header.encode_file(body);
    let path = paths.snapshot(seq);
    let tmp = paths.snapshot_tmp(seq, uuid::Uuid::new_v4());
    io.create_durably(&path, &tmp, &file)?;
    Ok(SnapshotInfo {
        path,
        seq,
        bytes: file.len() as u64,
    })
}

/// Snapshot files, newest (highest sequence number) first. Temporary files are ignored.
pub fn list(store_dir: &Path) -> Result<Vec<SnapshotInfo>> {
    list_with(&Io::default(), store_dir)
}

/// [`list`], doing its IO through `io`.
pub fn list_with(io: &Io, store_dir: &Path) -> Result<Vec<SnapshotInfo>> {
    let dir = StorePaths::new(store_dir).snapshot_dir();
    if !io.is_dir(&dir) {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in io.list_dir(&dir)? {
        let Some(seq) = entry.name.to_str().and_then(parse_snapshot_file_name) else {
            continue;
        };
        let path = dir.join(&entry.name);
        let bytes = io.metadata(&path).ok().flatten().map_or(0, |m| m.len);
        found.push(SnapshotInfo { path, seq, bytes });
    }
    found.sort_by_key(|s| std::cmp::Reverse(s.seq));
    Ok(found)
}

/// Deletes all but the newest `keep` snapshots; returns the files deleted.
pub(crate) fn prune(io: &Io, paths: &StorePaths, keep: usize) -> Result<Vec<PathBuf>> {
    let old: Vec<PathBuf> = list_with(io, paths.root())?
        .into_iter()
        .skip(keep.max(1))
        .map(|s| s.path)
        .collect();
    for path in &old {
        io.remove_file(path)?;
    }
    if !old.is_empty() {
        io.sync_dir(&paths.snapshot_dir())?;
    }
    Ok(old)
}

/// A snapshot that passed every check, and the catalog it holds.
pub(crate) type Loaded = (SnapshotInfo, Catalog);

/// Loads the newest snapshot that passes every check, and says why each newer one was
/// ignored.
pub(crate) fn load_newest(log: &Log) -> Result<(Option<Loaded>, Vec<String>)> {
    let mut warnings = Vec::new();
    for info in list_with(log.io(), log.paths().root())? {
        match load(&info, log) {
            Ok(catalog) => return Ok((Some((info, catalog)), warnings)),
            Err(reason) => warnings.push(format!(
                "ignored snapshot {}: {reason}",
                info.path.display()
            )),
        }
    }
    Ok((None, warnings))
}

/// Reads and checks one snapshot; the error says why it cannot be trusted.
pub(crate) fn load(info: &SnapshotInfo, log: &Log) -> std::result::Result<Catalog, String> {
    let bytes = log
        .io()
        .read(&info.path)
        .map_err(|e| format!("cannot read it ({e})"))?;
    let (header, body) = SnapshotHeader::decode_file(&bytes).map_err(|d| match d {
        SnapshotDefect::Damaged(defect) => format!("it is damaged ({defect})"),
        SnapshotDefect::Future(v) => {
            format!("it was written by a newer strata (snapshot format {v})")
        }
    })?;
    if header.store_id != *log.store_id().as_bytes() {
        return Err(format!(
            "it belongs to store {}, not this one",
            uuid::Uuid::from_bytes(header.store_id)
        ));
    }
    if header.seq != info.seq {
        return Err(format!(
            "its header says sequence {} but its name says {}",
            header.seq, info.seq
        ));
    }
    if header.seq > log.last_seq() {
        return Err(format!(
            "it claims sequence {} but the log ends at {}",
            header.seq,
            log.last_seq()
        ));
    }
    let image = decode_body(body)?;
    if image.anchor != anchor_of(log, header.seq).map_err(|e| e.to_string())? {
        return Err(format!("the log's record {} is not the one the snapshot was taken after (was the log repaired?)", header.seq));
    }
    if image.catalog.last_seq != header.seq {
        return Err("its catalog and its header disagree on the sequence number".into());
    }
    Catalog::from_image(image.catalog, image.inline_tables)
        .map_err(|e| format!("its catalog is inconsistent ({e})"))
}

fn decode_body(body: &[u8]) -> std::result::Result<BodyIn, String> {
    let options = bincode::options()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(body.len() as u64 * 4);
    let undecodable = |e: bincode::Error| format!("its catalog cannot be decoded ({e})");
    match body.split_first() {
        Some((&CATALOG_ENCODING_VERSION, rest)) => options.deserialize(rest).map_err(undecodable),
        Some((&CATALOG_ENCODING_VERSION_1, rest)) => {
            let v1: BodyInV1 = options.deserialize(rest).map_err(undecodable)?;
            Ok(BodyIn {
                anchor: v1.anchor,
                catalog: v1.catalog,
                inline_tables: Vec::new(),
            })
        }
        Some((v, _)) => Err(format!(
            "its catalog encoding {v} is not supported by this build"
        )),
        None => Err("its body is empty".into()),
    }
}
