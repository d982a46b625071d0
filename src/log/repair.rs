//! The explicit salvage of a corrupt log. Never run implicitly.
//!
//! `repair` finds the first problem [`super::verify`] reports and cuts the log there: the
//! bytes from the damage to the end of that segment are copied into a new folder
//! `log/salvage-<UTC time>/` and zeroed; every later segment file is moved into the same
//! folder. Then a [`RecordType::REPAIR`] record saying what was cut is appended, so the audit
//! trail shows it. Records after the damage leave the live log (their bytes are kept in the
//! salvage folder); records before it are untouched and keep their sequence numbers.

use super::verify::verify_with;
use super::{Log, LogOptions, Problem, TornTail};
use crate::format::{Defect, RecordType, RepairBody};
use crate::io::lock::lock;
use crate::io::{Io, LockKind, OpenMode};
use crate::log::{Error, Result};
use crate::paths::{file_name, salvage_copy, StorePaths};
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
        /// What went wrong after the repair record was committed (which does not undo it):
        /// a failure to raise the durable mark in `log/LOCK`.
        post_commit_warnings: Vec<String>,
    },
}

/// Salvages a corrupt log in `store_dir/log` (see the module documentation), doing its IO
/// through [`LogOptions::io`].
pub fn repair(store_dir: impl AsRef<Path>, options: LogOptions) -> Result<RepairReport> {
    let store_dir = store_dir.as_ref();
    let paths = StorePaths::new(store_dir);
    let io = &options.io;
    let dir = paths.log_dir();
    let guard = lock(
        io,
        &paths.lock_file(),
        LockKind::Exclusive,
        options.lock_timeout,
    )?;
    let report = verify_with(store_dir, io)?;
    let Some(problem) = report.problems.first().cloned() else {
        return Ok(RepairReport::NothingToRepair {
            torn_tail: report.torn_tail,
        });
    };
    super::versions::check_dir_appendable(io, &dir)?;
    let cut = plan_cut(io, &dir, &problem)?;
    // The mark may cover bytes about to be cut; the repair record's sync raises it again.
    guard.reset_durable_mark()?;
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ").to_string();
    let salvage_dir = paths.salvage_dir(&time);
    io.ensure_dir_durably(&salvage_dir)?;
    let bytes_cut = match cut.offset {
        Some(offset) => cut_segment_tail(io, &cut.segment, offset, &salvage_dir)?,
        None => 0,
    };
    let segments_removed = move_segments(io, &cut.removed, &salvage_dir, &dir)?;
    // Every other writer must re-read the log before its next append.
    guard.set_generation(guard.generation()? + 1)?;
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
        post_commit_warnings: log.take_mark_failure_warning().into_iter().collect(),
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

fn plan_cut(io: &Io, dir: &Path, problem: &Problem) -> Result<Cut> {
    let files = super::view::list_segment_files(io, dir)?;
    let Some(index) = files
        .iter()
        .position(|(_, p)| *p == problem.position.segment)
    else {
        return Err(cannot_repair(
            problem,
            "the damaged segment is not in the log folder",
        ));
    };
    let whole_segment = problem.position.offset == 0;
    if whole_segment && index == 0 {
        return Err(cannot_repair(problem, "the first segment's header is damaged, so the store's identity is lost; restore the log from a backup"));
    }
    let first_removed = if whole_segment { index } else { index + 1 };
    Ok(Cut {
        segment: problem.position.segment.clone(),
        segment_number: index as u64,
        offset: (!whole_segment).then_some(problem.position.offset),
        removed: files[first_removed..]
            .iter()
            .map(|(_, p)| p.clone())
            .collect(),
    })
}

fn cannot_repair(problem: &Problem, why: &str) -> Error {
    Error::Corrupt {
        position: problem.position.clone(),
        defect: Defect::Misplaced {
            detail: format!("{}; repair cannot salvage this: {why}", problem.defect),
        },
    }
}

/// Copies `offset..` (up to the last non-zero byte) of the segment into the salvage folder,
/// then zeroes it in place and syncs. Returns the number of bytes cut.
fn cut_segment_tail(io: &Io, segment: &Path, offset: u64, salvage_dir: &Path) -> Result<u64> {
    let file = io.open(segment, OpenMode::ReadWrite)?;
    let bytes = file.map()?;
    let start = (offset as usize).min(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(start, |i| (i + 1).max(start));
    drop(bytes);
    let copy = salvage_copy(salvage_dir, segment, offset);
    io.cut_out(&file, start as u64, end as u64, &copy)?;
    file.sync_data()?;
    Ok((end - start) as u64)
}

fn move_segments(
    io: &Io,
    segments: &[PathBuf],
    salvage_dir: &Path,
    log_dir: &Path,
) -> Result<Vec<PathBuf>> {
    for segment in segments {
        io.rename(segment, &salvage_dir.join(file_name(segment)))?;
    }
    if !segments.is_empty() {
        io.sync_dir(salvage_dir)?;
        io.sync_dir(log_dir)?;
    }
    Ok(segments.to_vec())
}
