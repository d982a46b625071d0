//! Verification and figures: `verify`'s problems and summary, torn tails, `stat`.

use super::{file_name, path_text};
use crate::check::{BlobProblem, CheckReport, StoreProblem};
use crate::log::{self, Problem};
use crate::store::{GcReport, Leftover, StoreStats};
use serde::Serialize;

/// A torn tail: bytes after the last valid record that an interrupted append left (cut,
/// with a copy kept, before the next append).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TornTail {
    /// The segment's file name.
    pub segment: String,
    /// The segment file.
    pub path: String,
    /// Where the torn bytes start.
    pub offset: u64,
    /// Bytes up to the last non-zero byte.
    pub len: u64,
    /// Why they are not a record.
    pub defect: String,
    /// Why the tail could not be re-checked under a shared lock, if it could not.
    pub unchecked: Option<String>,
}

impl From<&log::TornTail> for TornTail {
    fn from(t: &log::TornTail) -> TornTail {
        TornTail {
            segment: file_name(&t.segment),
            path: path_text(&t.segment),
            offset: t.offset,
            len: t.len,
            defect: t.defect.to_string(),
            unchecked: t.unchecked.clone(),
        }
    }
}

/// A problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VerifyProblem {
    /// Damage in the log.
    Log {
        /// The segment's file name.
        segment: String,
        /// The segment file.
        path: String,
        /// Where.
        offset: u64,
        /// The sequence number expected there.
        seq: u64,
        /// What is wrong.
        defect: String,
    },
    /// A broken invariant, or a snapshot problem.
    Store {
        /// What is wrong.
        detail: String,
    },
    /// Something whose checksums hold was changed: a forged snapshot, or a snapshot the log
    /// vouches for that disagrees with a replay of it.
    Tampering {
        /// What was found, naming the snapshot file.
        detail: String,
    },
    /// A damaged or missing blob, with a version and table that uses it.
    Blob {
        /// The blob file.
        path: String,
        /// Its content hash, in hex.
        hash: String,
        /// The dataset.
        dataset: String,
        /// The version.
        version: u64,
        /// The table's display name.
        table: String,
        /// What is wrong.
        detail: String,
    },
}

impl From<&Problem> for VerifyProblem {
    fn from(p: &Problem) -> VerifyProblem {
        VerifyProblem::Log {
            segment: file_name(&p.position.segment),
            path: path_text(&p.position.segment),
            offset: p.position.offset,
            seq: p.position.seq,
            defect: p.defect.to_string(),
        }
    }
}

impl From<&StoreProblem> for VerifyProblem {
    fn from(p: &StoreProblem) -> VerifyProblem {
        let detail = p.detail.clone();
        if p.is_tampering() {
            VerifyProblem::Tampering { detail }
        } else {
            VerifyProblem::Store { detail }
        }
    }
}

impl From<&BlobProblem> for VerifyProblem {
    fn from(b: &BlobProblem) -> VerifyProblem {
        VerifyProblem::Blob {
            path: path_text(&b.path),
            hash: b.hash.hex(),
            dataset: b.dataset.clone(),
            version: b.version,
            table: b.table.clone(),
            detail: b.detail.clone(),
        }
    }
}

/// `verify`'s last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifySummary {
    /// Whether no problem was found.
    pub ok: bool,
    /// Problems found.
    pub problems: usize,
    /// Segment files.
    pub segments: usize,
    /// Valid records.
    pub records: u64,
    /// Bytes of valid records and headers.
    pub bytes: u64,
    /// The last valid sequence number.
    pub last_seq: u64,
    /// A torn tail (not a problem).
    pub torn_tail: Option<TornTail>,
    /// Whether the store could be opened and its invariants checked.
    pub invariants_checked: bool,
    /// Whether every blob was read.
    pub deep: bool,
    /// Distinct blobs read.
    pub blobs_checked: usize,
    /// The snapshot compared with a replay of the log, by sequence number.
    pub snapshot_checked: Option<u64>,
    /// Blob files no event refers to (not problems; null if the store could not be opened).
    pub orphan_blobs: Option<usize>,
    /// Temporary files of interrupted (or running) writes (null likewise).
    pub temp_files: Option<usize>,
    /// Columnar copies and index entries nothing uses (null likewise).
    pub stale_copies: Option<usize>,
}

impl From<&CheckReport> for VerifySummary {
    fn from(r: &CheckReport) -> VerifySummary {
        VerifySummary {
            ok: r.is_healthy(),
            problems: r.problem_count(),
            segments: r.log.segments,
            records: r.log.records,
            bytes: r.log.bytes,
            last_seq: r.log.last_seq,
            torn_tail: r.log.torn_tail.as_ref().map(TornTail::from),
            invariants_checked: r.invariants_checked,
            deep: r.deep,
            blobs_checked: r.blobs_checked,
            snapshot_checked: r.snapshot_checked,
            orphan_blobs: r.leftovers.as_ref().map(|l| l.orphan_blobs.len()),
            temp_files: r.leftovers.as_ref().map(|l| l.temp_files.len()),
            stale_copies: r.leftovers.as_ref().map(|l| l.stale_copies.len()),
        }
    }
}

/// A line of `verify`: a problem, or the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum VerifyLine {
    /// A problem.
    Problem(VerifyProblem),
    /// The summary (always last).
    Summary(VerifySummary),
}

impl VerifyLine {
    /// Every problem of `report` (log, store, blob), then the summary.
    pub fn all(report: &CheckReport) -> Vec<VerifyLine> {
        let log = report.log.problems.iter().map(VerifyProblem::from);
        let store = report.store_problems.iter().map(VerifyProblem::from);
        let blobs = report.blob_problems.iter().map(VerifyProblem::from);
        log.chain(store)
            .chain(blobs)
            .map(VerifyLine::Problem)
            .chain([VerifyLine::Summary(VerifySummary::from(report))])
            .collect()
    }
}

/// Counts and sizes, as `stat` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// The store's directory.
    pub store: String,
    /// The store's id.
    pub store_id: uuid::Uuid,
    /// Segment files.
    pub segments: usize,
    /// Sealed segments.
    pub sealed_segments: usize,
    /// Records.
    pub records: u64,
    /// The last sequence number.
    pub last_seq: u64,
    /// Dataset events.
    pub events: u64,
    /// Datasets.
    pub datasets: usize,
    /// Versions.
    pub versions: usize,
    /// Distinct table contents.
    pub distinct_tables: usize,
    /// Bytes of headers and records.
    pub log_record_bytes: u64,
    /// Bytes of segment files on disk.
    pub log_file_bytes: u64,
    /// Blob files.
    pub blob_files: u64,
    /// Their bytes.
    pub blob_bytes: u64,
    /// Tile files in the `log/tree/` sidecar of tree hashes.
    pub tree_tiles: u64,
    /// Their bytes.
    pub tree_bytes: u64,
    /// The torn tail found on open.
    pub torn_tail: Option<TornTail>,
    /// Blob files no event refers to.
    pub orphan_blobs: u64,
    /// Their bytes.
    pub orphan_blob_bytes: u64,
    /// Temporary files of interrupted (or running) writes.
    pub temp_files: u64,
    /// Their bytes.
    pub temp_file_bytes: u64,
    /// Columnar copies and index entries nothing uses.
    pub stale_copies: u64,
    /// Their bytes.
    pub stale_copy_bytes: u64,
}

impl From<&StoreStats> for Stat {
    fn from(s: &StoreStats) -> Stat {
        Stat {
            store: path_text(&s.dir),
            store_id: s.store_id,
            segments: s.segments,
            sealed_segments: s.sealed_segments,
            records: s.records,
            last_seq: s.last_seq,
            events: s.events,
            datasets: s.datasets,
            versions: s.versions,
            distinct_tables: s.distinct_tables,
            log_record_bytes: s.log_record_bytes,
            log_file_bytes: s.log_file_bytes,
            blob_files: s.blob_files,
            blob_bytes: s.blob_bytes,
            tree_tiles: s.tree_tiles,
            tree_bytes: s.tree_bytes,
            torn_tail: s.torn_tail.as_ref().map(TornTail::from),
            orphan_blobs: s.orphan_blobs,
            orphan_blob_bytes: s.orphan_blob_bytes,
            temp_files: s.temp_files,
            temp_file_bytes: s.temp_file_bytes,
            stale_copies: s.stale_copies,
            stale_copy_bytes: s.stale_copy_bytes,
        }
    }
}

/// A file `gc` removed (or, in a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcFile {
    /// `orphan_blob`, `temp_file` or `stale_copy`.
    pub kind: &'static str,
    /// The file.
    pub path: String,
    /// Its size.
    pub bytes: u64,
}

/// `gc`'s last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcSummary {
    /// Nothing was removed: the lines say what would be.
    pub dry_run: bool,
    /// Orphan blobs.
    pub orphan_blobs: usize,
    /// Temporary files.
    pub temp_files: usize,
    /// Stale columnar copies and index entries.
    pub stale_copies: usize,
    /// Bytes in them.
    pub bytes: u64,
    /// Temporary files, orphan blobs and stale copies were left alone because a write was
    /// in progress.
    pub writes_in_progress: bool,
}

/// A line of `gc`: a file, or the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum GcLine {
    /// A file removed (or to remove).
    File(GcFile),
    /// The summary (always last).
    Summary(GcSummary),
}

impl GcLine {
    /// Every file of `report`, orphan blobs first, then the summary.
    pub fn all(report: &GcReport) -> Vec<GcLine> {
        let file = |kind| {
            move |l: &Leftover| {
                GcLine::File(GcFile {
                    kind,
                    path: path_text(&l.path),
                    bytes: l.bytes,
                })
            }
        };
        report
            .orphan_blobs
            .iter()
            .map(file("orphan_blob"))
            .chain(report.temp_files.iter().map(file("temp_file")))
            .chain(report.stale_copies.iter().map(file("stale_copy")))
            .chain([GcLine::Summary(GcSummary {
                dry_run: report.dry_run,
                orphan_blobs: report.orphan_blobs.len(),
                temp_files: report.temp_files.len(),
                stale_copies: report.stale_copies.len(),
                bytes: report.bytes(),
                writes_in_progress: report.writes_in_progress,
            })])
            .collect()
    }
}
