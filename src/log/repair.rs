//! The explicit salvage of a corrupt log. Never run implicitly.
//!
//! `repair` finds the first problem [`super::verify`] reports and cuts the log there: the
//! bytes from the damage to the end of that segment are copied into a new folder
//! `log/salvage-<UTC time>/` and zeroed; every later segment file is moved into the same
//! folder. Then a [`RecordType::REPAIR`] record saying what was cut is appended, so the audit
//! trail shows it. Records after the damage leave the live log (their bytes are kept in the
//! salvage folder); records before it are untouched and keep their sequence numbers.

use super::fsutil::{self, lock, LockKind};
use super::verify::verify;
use super::view::file_name;
use super::{Log, LogOptions, Problem, TornTail, LOCK_FILE, LOG_DIR};
use crate::error::{Error, IoContext, Result};
use crate::format::{Defect, RecordType, RepairBody};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// What [`repair`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairReport {
    /// No corruption was found; nothing was changed. A torn tail, if any, is cut by the next
    /// append.
    NothingToRepair {
        /// The torn tail found, if any.
        torn_tail: Option<TornTail>,
    },
    /// The log was cut at the first problem.
    Repaired {
        /// The problem the log was cut at.
        problem: Problem,
        /// Folder holding a copy of everything cut.
        salvage_dir: PathBuf,
        /// Bytes copied out of (and zeroed in) the damaged segment.
        bytes_cut: u64,
        /// Segment files moved into the salvage folder.
        segments_removed: Vec<PathBuf>,
        /// Sequence number of the repair record appended.
        repair_seq: u64,
    },
}

/// Salvages a corrupt log in `store_dir/log` (see the module documentation).
pub fn repair(store_dir: impl AsRef<Path>, options: LogOptions) -> Result<RepairReport> {
    let store_dir = store_dir.as_ref();
    let dir = store_dir.join(LOG_DIR);
    let guard = lock(
        &dir.join(LOCK_FILE),
        LockKind::Exclusive,
        options.lock_timeout,
    )?;
    let report = verify(store_dir)?;
    let Some(problem) = report.problems.first().cloned() else {
        return Ok(RepairReport::NothingToRepair {
            torn_tail: report.torn_tail,
        });
    };
    let cut = plan_cut(&dir, &problem)?;
    let salvage_dir = dir.join(format!(
        "salvage-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ")
    ));
    std::fs::create_dir(&salvage_dir).ctx("create directory", &salvage_dir)?;
    fsutil::sync_dir(&dir)?;
    let bytes_cut = match cut.offset {
        Some(offset) => cut_segment_tail(&cut.segment, offset, &salvage_dir)?,
        None => 0,
    };
    let segments_removed = move_segments(&cut.removed, &salvage_dir, &dir)?;
    // Every other writer must re-read the log before its next append.
    let lock_path = dir.join(LOCK_FILE);
    guard.set_generation(&lock_path, guard.generation(&lock_path)? + 1)?;
    drop(guard);
    let log = Log::open(store_dir, options)?;
    let body = RepairBody {
        segment_number: cut.segment_number,
        offset: cut.offset.unwrap_or(0),
        bytes_cut,
        segments_removed: segments_removed.len() as u32,
        salvage_dir: file_name(&salvage_dir),
    };
    let mut writer = log.lock_writer()?;
    let repair_seq = writer.append_system(RecordType::REPAIR, &body.encode())?;
    writer.commit()?;
    Ok(RepairReport::Repaired {
        problem,
        salvage_dir,
        bytes_cut,
        segments_removed,
        repair_seq,
    })
}

struct Cut {
    segment: PathBuf,
    segment_number: u64,
    /// Cut inside `segment` from this offset; `None` removes the whole segment.
    offset: Option<u64>,
    /// Whole segment files to move out.
    removed: Vec<PathBuf>,
}

fn plan_cut(dir: &Path, problem: &Problem) -> Result<Cut> {
    let files = super::view::list_segment_files(dir)?;
    let Some(index) = files.iter().position(|(_, p)| *p == problem.segment) else {
        return Err(cannot_repair(
            problem,
            "the damaged segment is not in the log folder",
        ));
    };
    let whole_segment = problem.offset == 0;
    if whole_segment && index == 0 {
        return Err(cannot_repair(problem, "the first segment's header is damaged, so the store's identity is lost; restore the log from a backup"));
    }
    let first_removed = if whole_segment { index } else { index + 1 };
    Ok(Cut {
        segment: problem.segment.clone(),
        segment_number: index as u64,
        offset: (!whole_segment).then_some(problem.offset),
        removed: files[first_removed..]
            .iter()
            .map(|(_, p)| p.clone())
            .collect(),
    })
}

fn cannot_repair(problem: &Problem, why: &str) -> Error {
    Error::Corrupt {
        segment: problem.segment.clone(),
        offset: problem.offset,
        seq: problem.seq,
        defect: Defect::Misplaced {
            detail: format!("{}; repair cannot salvage this: {why}", problem.defect),
        },
    }
}

/// Copies `offset..` (up to the last non-zero byte) of the segment into the salvage folder,
/// then zeroes it in place and syncs. Returns the number of bytes cut.
fn cut_segment_tail(segment: &Path, offset: u64, salvage_dir: &Path) -> Result<u64> {
    let bytes = std::fs::read(segment).ctx("read", segment)?;
    let start = (offset as usize).min(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(start, |i| (i + 1).max(start));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(segment)
        .ctx("open", segment)?;
    let copy = salvage_dir.join(format!("{}.from-{offset}", file_name(segment)));
    fsutil::cut_out(&file, segment, start as u64, end as u64, &copy)?;
    file.sync_data().ctx("fdatasync", segment)?;
    Ok((end - start) as u64)
}

fn move_segments(segments: &[PathBuf], salvage_dir: &Path, log_dir: &Path) -> Result<Vec<PathBuf>> {
    for segment in segments {
        let target = salvage_dir.join(file_name(segment));
        std::fs::rename(segment, &target).ctx("move into the salvage folder", segment)?;
    }
    if !segments.is_empty() {
        fsutil::sync_dir(salvage_dir)?;
        fsutil::sync_dir(log_dir)?;
    }
    Ok(segments.to_vec())
}
