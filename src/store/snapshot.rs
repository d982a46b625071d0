//! Snapshots: the catalog as of a sequence number, so that opening a store replays only the
//! log's tail. The log stays the source of truth: a snapshot that fails any check is ignored
//! (with a warning) and an older one, or a full replay, is used instead.
//!
//! Files: `<store>/snapshots/<20-digit sequence number>.snap`, written to a uniquely named
//! temporary file, fsynced, renamed into place, and the folder fsynced (see FORMAT.md).

use super::catalog::{Catalog, InlineTable, OwnedCatalogImage, PolicyEntry};
use crate::error::Result;
use crate::format::{SnapshotDefect, SnapshotHeader};
use crate::io::Io;
use crate::log::Log;
use crate::paths::{parse_snapshot_file_name, StorePaths};
use bincode::Options as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use crate::paths::SNAPSHOT_DIR;
/// Version of the snapshot body's catalog encoding this build writes: 3 adds the drift rules
/// `policy_set` events set, after the tables stored inside the log. Versions 2 (no rules:
/// its writer had no such events) and 1 (no tables inside the log either: its writer stored
/// every table as a blob file) still read.
pub const CATALOG_ENCODING_VERSION: u8 = 3;

/// The catalog encoding without drift rules: read as version 3 with no rules set.
const CATALOG_ENCODING_VERSION_2: u8 = 2;

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

/// The log record a format-1 snapshot was taken after (format 1 only: format 2 is anchored
/// to a checkpoint record, [`CheckpointAnchor`]).
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    seq: u64,
    timestamp_micros: i64,
    body_crc: u32,
}

/// The catalog image after its encoding version byte, as written (the part of a
/// format-2 body the catalog digest covers, with that byte).
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break; [`ImageIn`] must declare the
/// same fields in the same order.
#[derive(Serialize)]
struct ImageOut<'a> {
    catalog: super::catalog::CatalogImage<'a>,
    inline_tables: Vec<InlineTable>,
    policies: Vec<PolicyEntry>,
}

/// The catalog image after its encoding version byte, as read: what [`ImageOut`] encodes.
#[derive(Deserialize)]
struct ImageIn {
    catalog: OwnedCatalogImage,
    inline_tables: Vec<InlineTable>,
    policies: Vec<PolicyEntry>,
}

/// A catalog image of encoding version 2: [`ImageIn`] without the drift rules.
#[derive(Deserialize)]
struct ImageInEncoding2 {
    catalog: OwnedCatalogImage,
    inline_tables: Vec<InlineTable>,
}

/// A format-1 body after its catalog encoding version byte (encoding 2). Its catalog is
/// decoded only so that a damaged one says so: format 1 is never used.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BodyInV1 {
    anchor: Option<Anchor>,
    catalog: OwnedCatalogImage,
    inline_tables: Vec<InlineTable>,
}

/// A format-1 body of catalog encoding version 1: without the tables inside the log.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BodyInV1Encoding1 {
    anchor: Option<Anchor>,
    catalog: OwnedCatalogImage,
}

/// The checkpoint record a format-2 snapshot was taken at, as its body names it: the
/// record's seq, its tree size (seq − 1, the snapshot's own sequence number: the catalog is
/// that of the records the checkpoint covers) and root. The snapshot is used only if that
/// record carries the same tree and the SHA-256 of the snapshot's catalog image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointAnchor {
    /// The checkpoint record's sequence number.
    pub seq: u64,
    /// The checkpoint's tree size: `seq - 1`, the snapshot's sequence number.
    pub tree_size: u64,
    /// The checkpoint's root.
    pub root: [u8; 32],
}

/// Bytes of the [`CheckpointAnchor`] at the start of a format-2 body.
pub const CHECKPOINT_ANCHOR_LEN: usize = 48;

impl CheckpointAnchor {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.tree_size.to_le_bytes());
        out.extend_from_slice(&self.root);
    }

    /// Splits a format-2 body into its anchor and its catalog image.
    fn split(body: &[u8]) -> Option<(CheckpointAnchor, &[u8])> {
        if body.len() < CHECKPOINT_ANCHOR_LEN {
            return None;
        }
        let (anchor, image) = body.split_at(CHECKPOINT_ANCHOR_LEN);
        let anchor = CheckpointAnchor {
            seq: u64::from_le_bytes(anchor[..8].try_into().expect("8 bytes")),
            tree_size: u64::from_le_bytes(anchor[8..16].try_into().expect("8 bytes")),
            root: anchor[16..].try_into().expect("32 bytes"),
        };
        Some((anchor, image))
    }
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

/// The catalog image of a snapshot whose last record is `last_seq`: the catalog encoding
/// version byte, then the catalog with that `last_seq` (the records after the catalog's own
/// last, up to it, are ones a roll or an automatic checkpoint wrote just before the
/// snapshot's checkpoint record: they change nothing in the catalog but its last seq).
pub(crate) fn encode_image(catalog: &Catalog, last_seq: u64) -> Vec<u8> {
    let mut image = vec![CATALOG_ENCODING_VERSION];
    let out = ImageOut {
        catalog: super::catalog::CatalogImage {
            last_seq,
            ..catalog.image()
        },
        inline_tables: catalog.inline_image(),
        policies: catalog.policy_image(),
    };
    bincode::serialize_into(&mut image, &out).expect("a catalog serializes into memory");
    image
}

/// The catalog digest of a catalog image: the SHA-256 the checkpoint record carries.
pub fn catalog_digest(image: &[u8]) -> [u8; 32] {
    crate::digest::Digest::of(image).0
}

/// A format-2 snapshot body: the anchor, then the catalog image.
pub(crate) fn encode_body(anchor: &CheckpointAnchor, image: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(CHECKPOINT_ANCHOR_LEN + image.len());
    anchor.encode(&mut body);
    body.extend_from_slice(image);
    body
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
        version: crate::format::SNAPSHOT_FORMAT_VERSION,
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

/// Why a snapshot was not used, in kinds a check can weigh: media damage, a file that is
/// not this log's (any more), a format-1 file (never used by this build), or a forgery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoredKind {
    /// Its bytes are damaged (a CRC fails, it is cut short or undecodable).
    Damaged,
    /// It is intact but not a snapshot of this log as it is: another store's, a newer
    /// format's, beyond the log's end, taken at a record the log no longer holds (the log
    /// was repaired), or inconsistent.
    Unusable,
    /// Snapshot format 1: no checkpoint record carries its catalog's digest, so nothing
    /// vouches for it (it is ignored and the log replayed; the next snapshot is format 2).
    FormatOne,
    /// Its CRCs hold and the checkpoint record it names is the log's, but that record does
    /// not carry its catalog's digest: the catalog was changed after it was taken, or
    /// written by someone else. Tampering, never media damage.
    Forged,
}

/// A snapshot not used when the store was opened, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredSnapshot {
    /// The snapshot file.
    pub path: PathBuf,
    /// What kind of reason.
    pub kind: IgnoredKind,
    /// The reason, in words.
    pub reason: String,
}

impl IgnoredSnapshot {
    /// The warning: `ignored snapshot <file>: <reason>`.
    pub fn warning(&self) -> String {
        format!("ignored snapshot {}: {}", self.path.display(), self.reason)
    }
}

/// Loads the newest snapshot that passes every check, and says why each newer one was
/// ignored.
pub(crate) fn load_newest(log: &Log) -> Result<(Option<Loaded>, Vec<IgnoredSnapshot>)> {
    let mut ignored = Vec::new();
    for info in list_with(log.io(), log.paths().root())? {
        match load(&info, log) {
            Ok(catalog) => return Ok((Some((info, catalog)), ignored)),
            Err((kind, reason)) => ignored.push(IgnoredSnapshot {
                path: info.path.clone(),
                kind,
                reason,
            }),
        }
    }
    Ok((None, ignored))
}

/// Why a snapshot is not used: its kind and the reason in words.
type Refusal = (IgnoredKind, String);

fn unusable(reason: impl Into<String>) -> Refusal {
    (IgnoredKind::Unusable, reason.into())
}

/// Reads and checks one snapshot (FORMAT.md, "Snapshots": used if and only if); the error
/// says why it cannot be trusted.
pub(crate) fn load(info: &SnapshotInfo, log: &Log) -> std::result::Result<Catalog, Refusal> {
    let bytes = log
        .io()
        .read(&info.path)
        .map_err(|e| unusable(format!("cannot read it ({e})")))?;
    let (header, body) = SnapshotHeader::decode_file(&bytes).map_err(|d| match d {
        SnapshotDefect::Damaged(defect) => {
            (IgnoredKind::Damaged, format!("it is damaged ({defect})"))
        }
        SnapshotDefect::Future(v) => unusable(format!(
            "it was written by a newer strata (snapshot format {v})"
        )),
    })?;
    if header.store_id != *log.store_id().as_bytes() {
        return Err(unusable(format!(
            "it belongs to store {}, not this one",
            uuid::Uuid::from_bytes(header.store_id)
        )));
    }
    if header.seq != info.seq {
        return Err(unusable(format!(
            "its header says sequence {} but its name says {}",
            header.seq, info.seq
        )));
    }
    if header.seq > log.last_seq() {
        return Err(unusable(format!(
            "it claims sequence {} but the log ends at {}",
            header.seq,
            log.last_seq()
        )));
    }
    if header.version == crate::format::SNAPSHOT_FORMAT_VERSION_1 {
        return Err(check_format_one(header.seq, body, log));
    }
    let (anchor, image) = check_anchor(header.seq, body, log)?;
    let image = decode_image(image).map_err(|why| (IgnoredKind::Damaged, why))?;
    if image.catalog.last_seq != header.seq {
        return Err(unusable(
            "its catalog and its header disagree on the sequence number",
        ));
    }
    debug_assert_eq!(anchor.tree_size, header.seq);
    Catalog::from_image(image.catalog, image.inline_tables, image.policies)
        .map_err(|e| unusable(format!("its catalog is inconsistent ({e})")))
}

/// The checks of a format-2 body's anchor against the log: the record at its seq is a
/// checkpoint record (read from the log, so CRC-checked, and decoded, so its frontier folds
/// to its root) of the same tree, which carries the SHA-256 of the catalog image. Returns
/// the anchor and the image.
fn check_anchor<'a>(
    seq: u64,
    body: &'a [u8],
    log: &Log,
) -> std::result::Result<(CheckpointAnchor, &'a [u8]), Refusal> {
    let forged = |why: String| (IgnoredKind::Forged, why);
    let Some((anchor, image)) = CheckpointAnchor::split(body) else {
        return Err((
            IgnoredKind::Damaged,
            "its body is shorter than its checkpoint anchor".into(),
        ));
    };
    if anchor.tree_size != seq || Some(anchor.seq) != seq.checked_add(1) {
        return Err(forged(format!(
            "its anchor names checkpoint seq {} of {} records, not seq {} of {seq}",
            anchor.seq,
            anchor.tree_size,
            seq.saturating_add(1)
        )));
    }
    let at = anchor.seq;
    if at > log.last_seq() {
        return Err(unusable(format!(
            "its checkpoint record {at} is beyond the log's end at {}",
            log.last_seq()
        )));
    }
    let stale = || {
        unusable(format!(
            "the log's record {seq} is not the one the snapshot was taken after (was the log repaired?)"
        ))
    };
    let record = log
        .read(at)
        .map_err(|e| unusable(format!("the log's record {at} cannot be read ({e})")))?;
    if record.record_type != crate::format::RecordType::CHECKPOINT {
        return Err(stale());
    }
    let checkpoint =
        crate::format::leaf::CheckpointBody::decode(&record.body).map_err(|_| stale())?;
    if checkpoint.size != anchor.tree_size || checkpoint.root != anchor.root {
        return Err(stale());
    }
    let digest = catalog_digest(image);
    match checkpoint.catalog_digest {
        Some(recorded) if recorded == digest => Ok((anchor, image)),
        Some(recorded) => Err(forged(format!(
            "its catalog is not the one the checkpoint record at seq {at} anchors (SHA-256 {} recorded, {} in the file): it was changed or forged after it was taken",
            crate::digest::hex(&recorded[..4]),
            crate::digest::hex(&digest[..4])
        ))),
        None => Err(forged(format!(
            "the checkpoint record at seq {at} anchors no snapshot, so this one was not taken there: it is forged"
        ))),
    }
}

/// A format-1 snapshot is never used: no checkpoint record carries its digest. The checks
/// format 1 made still run first, so that a stale or damaged one says so.
fn check_format_one(seq: u64, body: &[u8], log: &Log) -> Refusal {
    let decoded = match decode_body_v1(body) {
        Ok(decoded) => decoded,
        Err(why) => return (IgnoredKind::Damaged, why),
    };
    match anchor_of(log, seq) {
        Ok(anchor) if anchor == decoded => {}
        Ok(_) => return unusable(format!("the log's record {seq} is not the one the snapshot was taken after (was the log repaired?)")),
        Err(e) => return unusable(format!("the log's record {seq} cannot be read ({e})")),
    }
    (
        IgnoredKind::FormatOne,
        "it is snapshot format 1, which no checkpoint record anchors; the log is replayed instead (the next snapshot is format 2)".into(),
    )
}

fn bincode_options(len: usize) -> impl bincode::Options {
    bincode::options()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(len as u64 * 4)
}

fn undecodable(e: bincode::Error) -> String {
    format!("its catalog cannot be decoded ({e})")
}

/// Decodes a catalog image (its encoding version byte, then the catalog).
fn decode_image(image: &[u8]) -> std::result::Result<ImageIn, String> {
    match image.split_first() {
        Some((&CATALOG_ENCODING_VERSION, rest)) => bincode_options(image.len())
            .deserialize(rest)
            .map_err(undecodable),
        Some((&CATALOG_ENCODING_VERSION_2, rest)) => {
            let v2: ImageInEncoding2 = bincode_options(image.len())
                .deserialize(rest)
                .map_err(undecodable)?;
            Ok(ImageIn {
                catalog: v2.catalog,
                inline_tables: v2.inline_tables,
                policies: Vec::new(),
            })
        }
        Some((v, _)) => Err(format!(
            "its catalog encoding {v} is not supported by this build in snapshot format 2"
        )),
        None => Err("its catalog image is empty".into()),
    }
}

/// Decodes a format-1 body: its anchor, and its catalog (unused, but decoded so that a
/// damaged one says so).
fn decode_body_v1(body: &[u8]) -> std::result::Result<Option<Anchor>, String> {
    let options = bincode_options(body.len());
    match body.split_first() {
        Some((&CATALOG_ENCODING_VERSION_2, rest)) => {
            let v1: BodyInV1 = options.deserialize(rest).map_err(undecodable)?;
            Ok(v1.anchor)
        }
        Some((&CATALOG_ENCODING_VERSION_1, rest)) => {
            let v1: BodyInV1Encoding1 = options.deserialize(rest).map_err(undecodable)?;
            Ok(v1.anchor)
        }
        Some((v, _)) => Err(format!(
            "its catalog encoding {v} is not supported by this build"
        )),
        None => Err("its body is empty".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a writer of catalog encoding 2 wrote: [`ImageOut`] without the drift rules.
    #[derive(Serialize)]
    struct ImageOutEncoding2<'a> {
        catalog: super::super::catalog::CatalogImage<'a>,
        inline_tables: Vec<InlineTable>,
    }

    #[test]
    fn a_catalog_image_of_encoding_2_reads_with_no_rules_and_encoding_4_is_refused() {
        let catalog = Catalog::default();
        let inline = vec![InlineTable {
            seq: 1,
            hash: crate::digest::Digest([7; 32]),
        }];
        let mut image = vec![CATALOG_ENCODING_VERSION_2];
        let old = ImageOutEncoding2 {
            catalog: super::super::catalog::CatalogImage {
                last_seq: 1,
                ..catalog.image()
            },
            inline_tables: inline.clone(),
        };
        bincode::serialize_into(&mut image, &old).unwrap();
        let read = decode_image(&image).unwrap();
        assert_eq!((read.inline_tables, read.policies), (inline, Vec::new()));
        assert_eq!(read.catalog.last_seq, 1);
        // Read as encoding 3, the same bytes end where the rules' count should be.
        image[0] = CATALOG_ENCODING_VERSION;
        assert!(decode_image(&image).is_err());
        image[0] = 4;
        let err = decode_image(&image).err().unwrap();
        assert!(err.contains("catalog encoding 4 is not supported"), "{err}");
    }

    #[test]
    fn this_build_writes_catalog_encoding_3_with_its_rules() {
        let catalog = Catalog::default();
        let image = encode_image(&catalog, 0);
        assert_eq!(image[0], 3);
        let read = decode_image(&image).unwrap();
        assert!(read.policies.is_empty());
    }
}
