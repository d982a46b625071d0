//! A full, read-only check of every byte of the log that reports every problem it finds
//! instead of stopping at the first one.

use super::view::{
    carried_time, list_segment_files, new_segment_state, open_segment_file, scan_segment_state,
    LogView, SegmentState,
};
use super::{Log, OpenVerify, Position, TornTail};
use crate::format::Defect;
use crate::io::Io;
use crate::log::{Error, Result};
use crate::paths::StorePaths;
use std::path::Path;
use std::sync::Arc;

/// One problem found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where it is.
    pub position: Position,
    /// What is wrong.
    pub defect: Defect,
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Segment files examined.
    pub segments: usize,
    /// Valid records read (including system records).
    pub records: u64,
    /// Bytes of valid records and headers (excluding preallocated zeros).
    pub bytes: u64,
    /// Sequence number of the last valid record.
    pub last_seq: u64,
    /// A torn tail (not a problem: it is cut before the next append).
    pub torn_tail: Option<TornTail>,
    /// Everything that is corrupt.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether no problem was found (a torn tail is not a problem).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads every segment of the log in `store_dir/log`, checking every header, checksum,
/// sequence number, seal and the chain between segments. Never writes. Fails only if the
/// log cannot be listed or a segment cannot be read (an IO error is not damage: reported as
/// a problem, it would send `repair` cutting a sound log); damage is reported in the
/// [`VerifyReport`].
pub fn verify(store_dir: impl AsRef<Path>) -> Result<VerifyReport> {
    verify_with(store_dir, &Io::default())
}

/// [`verify`], doing its IO through `io`.
pub fn verify_with(store_dir: impl AsRef<Path>, io: &Io) -> Result<VerifyReport> {
    let dir = StorePaths::new(store_dir.as_ref()).log_dir();
    if !io.is_dir(&dir) {
        return Err(Error::NotFound {
            path: store_dir.as_ref().to_path_buf(),
        });
    }
    let files = list_segment_files(io, &dir)?;
    let opened: Vec<_> = files
        .iter()
        .zip(0u64..)
        .map(|((_, path), number)| open_segment_file(io, path, number))
        .collect();
    let mut view = LogView {
        io: io.clone(),
        dir,
        store_id: [0; 16],
        segments: Vec::new(),
        torn: None,
    };
    let mut report = VerifyReport {
        segments: files.len(),
        ..VerifyReport::default()
    };
    for (i, ((name_base, path), opened_segment)) in files.iter().zip(&opened).enumerate() {
        let (header, map) = match opened_segment {
            Ok((header, map)) => (*header, Arc::clone(map)),
            Err(e) => {
                push_problem(&mut report, e.clone())?;
                continue;
            }
        };
        if let Err(e) = view.check_successor(path, *name_base, &header) {
            push_problem(&mut report, e)?;
        }
        let is_last = i + 1 == files.len();
        let mut seg = new_segment_state(path, header, Arc::clone(&map), OpenVerify::Full, None)?;
        let carried = carried_time(view.segments.last(), &header);
        let torn = match scan_segment_state(&mut seg, is_last, carried) {
            Ok(torn) => torn,
            Err(e) => {
                push_problem(&mut report, e)?;
                // Resynchronise on the successor's header, so that damage inside this
                // segment is not reported a second time as a broken chain.
                let next_header = opened.get(i + 1).and_then(|o| o.as_ref().ok()).map(|o| o.0);
                let resync = new_segment_state(path, header, map, OpenVerify::Tail, next_header)?;
                if resync.seal.is_some() {
                    seg = resync;
                }
                None
            }
        };
        add_segment(&mut report, &mut view, seg, torn)?;
    }
    if files.is_empty() {
        let defect = Defect::MissingSegment {
            detail: "the log holds no segment file".into(),
        };
        report.problems.push(Problem {
            position: Position::new(&view.dir, 0, 0, 1),
            defect,
        });
    }
    Ok(report)
}

/// Counts a scanned segment in the report and keeps it in the view (the next segment's checks
/// need it). Its torn tail is reported, unless it starts before the durable mark: then it is
/// damage to acknowledged records, a problem.
fn add_segment(
    report: &mut VerifyReport,
    view: &mut LogView,
    seg: SegmentState,
    torn: Option<TornTail>,
) -> Result<()> {
    report.records += seg.records();
    report.bytes += seg.end_offset;
    report.last_seq = report.last_seq.max(seg.next_seq.saturating_sub(1));
    view.segments.push(seg);
    match view.unless_acknowledged(view.segments.len() - 1, torn) {
        Ok(Some(torn)) => report.torn_tail = Some(torn),
        Ok(None) => {}
        Err(e) => push_problem(report, e)?,
    }
    Ok(())
}

/// Adds a corruption to the report; any other error (an IO error) is returned.
fn push_problem(report: &mut VerifyReport, error: Error) -> Result<()> {
    match error {
        Error::Corrupt { position, defect } => {
            report.problems.push(Problem { position, defect });
            Ok(())
        }
        other => Err(other),
    }
}

impl Log {
    /// Runs [`verify`] on this log, through its [`super::LogOptions::io`].
    pub fn verify(&self) -> Result<VerifyReport> {
        verify_with(self.paths().root(), self.io())
    }
}
