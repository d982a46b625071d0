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
use crate::format::leaf::CheckpointBody;
use crate::format::{CutCheckpoint, Defect, RecordType, RepairBody, SegmentWalk, WalkStep};
use crate::io::lock::lock;
use crate::io::{Io, LockKind, OpenMode};
use crate::log::{Error, Result};
use crate::paths::{file_name, salvage_copy, StorePaths};
use std::path::{Path, PathBuf};

/// How far [`repair_with`] may go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairOptions {
    /// Cut even if the cut removes records that checkpoint records cover (a checkpoint,
    /// possibly held by an auditor, commits to every record up to its size, so such a cut
    /// makes it disagree with the log for good). Without it, such a repair is refused
    /// ([`RepairReport::Refused`]) and nothing is changed; with it, the repair record lists
    /// the checkpoints cut.
    pub cut_checkpointed: bool,
}

/// What [`repair`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairReport {
    /// The cut would remove records that checkpoint records cover, and
    /// [`RepairOptions::cut_checkpointed`] was not given: nothing was changed.
    Refused {
        /// The problem the log would be cut at.
        problem: Problem,
        /// Every checkpoint record (readable in the bytes the cut would remove) whose tree
        /// covers records the cut would remove, in log order.
        checkpoints: Vec<CutCheckpoint>,
    },
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
        /// The checkpoint records cut whose trees covered records the cut removed (listed
        /// in the repair record too).
        checkpoints_cut: Vec<CutCheckpoint>,
        /// What went wrong after the repair record was committed (which does not undo it):
        /// a failure to raise the durable mark in `log/LOCK`.
        post_commit_warnings: Vec<String>,
    },
}

/// What a repair would do now, without the writer lock and without changing anything (a
/// preview for confirming: [`repair_with`] plans again under the lock): `None` if the log has
/// no corruption, else the problem it would cut at and the checkpoint records the cut would
/// remove whose trees cover removed records.
pub fn repair_plan(
    store_dir: impl AsRef<Path>,
    options: &LogOptions,
) -> Result<Option<(Problem, Vec<CutCheckpoint>)>> {
    let store_dir = store_dir.as_ref();
    let io = &options.io;
    let report = verify_with(store_dir, io)?;
    let Some(problem) = report.problems.first().cloned() else {
        return Ok(None);
    };
    let cut = plan_cut(io, &StorePaths::new(store_dir).log_dir(), &problem)?;
    let checkpoints = checkpoints_in_cut(io, &cut)?;
    Ok(Some((problem, checkpoints)))
}

/// Salvages a corrupt log in `store_dir/log` (see the module documentation), doing its IO
/// through [`LogOptions::io`]; refuses a cut of checkpointed records
/// ([`RepairOptions::default`]).
pub fn repair(store_dir: impl AsRef<Path>, options: LogOptions) -> Result<RepairReport> {
    repair_with(store_dir, options, RepairOptions::default())
}

/// [`repair`], with `repair` saying whether records that checkpoints cover may be cut.
pub fn repair_with(
    store_dir: impl AsRef<Path>,
    options: LogOptions,
    repair: RepairOptions,
) -> Result<RepairReport> {
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
    let checkpoints_cut = checkpoints_in_cut(io, &cut)?;
    if !checkpoints_cut.is_empty() && !repair.cut_checkpointed {
        return Ok(RepairReport::Refused {
            problem,
            checkpoints: checkpoints_cut,
        });
    }
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
    let kept = log.last_seq();
    let body = RepairBody {
        segment_number: cut.segment_number,
        offset: cut.offset.unwrap_or(0),
        bytes_cut,
        segments_removed: segments_removed.len() as u32,
        salvage_dir: file_name(&salvage_dir),
        checkpoints_cut: checkpoints_cut.clone(),
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
        checkpoints_cut,
        post_commit_warnings: after_repair_record(&log, &paths, kept),
    })
}

/// What follows the committed repair record, reported as warnings (the repair is done): the
/// durable mark's raise, and the removal of the sidecar's tiles past `kept`, which hold
/// hashes of the records cut (and of the repair record's index) and so of another history.
fn after_repair_record(log: &Log, paths: &StorePaths, kept: u64) -> Vec<String> {
    let mut warnings: Vec<String> = log.take_mark_failure_warning().into_iter().collect();
    for failure in super::tree::invalidate_tiles_past(log.io(), &paths.tree_dir(), kept) {
        warnings.push(format!(
            "a tile of the records cut could not be removed ({failure}); it is found wrong \
             and rewritten by the first proof that reads it"
        ));
    }
    warnings
}

/// The checkpoint records in the bytes `cut` removes (valid records of the damaged
/// segment's tail after the damage, and of every segment moved out). Each one's tree
/// covers the damaged record (it comes after it), so the cut removes records it covers.
/// A checkpoint record too damaged to read is not found (its CRCs fail).
fn checkpoints_in_cut(io: &Io, cut: &Cut) -> Result<Vec<CutCheckpoint>> {
    let mut found = Vec::new();
    let tail = cut.offset.map(|offset| (cut.segment.as_path(), offset));
    let whole = cut.removed.iter().map(|p| (p.as_path(), 0));
    for (segment, from) in tail.into_iter().chain(whole) {
        let Some(base_seq) = segment
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(crate::format::parse_segment_file_name)
        else {
            continue;
        };
        let bytes = io.read(segment)?;
        for step in SegmentWalk::iter(&bytes, base_seq) {
            let WalkStep::Record(record) = step else {
                continue;
            };
            if let Some(checkpoint) = cut_checkpoint(&record).filter(|_| record.offset >= from) {
                found.push(checkpoint);
            }
        }
    }
    Ok(found)
}

fn cut_checkpoint(record: &crate::format::WalkedRecord<'_>) -> Option<CutCheckpoint> {
    let (header, body) = (record.header.as_ref()?, record.body?);
    if header.record_type != RecordType::CHECKPOINT {
        return None;
    }
    let decoded = CheckpointBody::decode(body).ok()?;
    let signed = crate::note::Checkpoint::parse(decoded.note.as_bytes())
        .is_ok_and(|c| !c.note.signatures.is_empty());
    Some(CutCheckpoint {
        seq: header.seq,
        size: decoded.size,
        root: decoded.root,
        signed,
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
