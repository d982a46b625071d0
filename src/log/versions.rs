//! The format versions of a log, as the writer sees them (FORMAT.md, "Version
//! compatibility"): this build appends only to a log whose last segment's write version it
//! implements, and never into a segment of an older version.

use super::view::{list_segment_files, open_segment_file, LogView};
use super::{Error, Result};
use crate::format::{SegmentHeader, FORMAT_VERSION};
use crate::io::Io;
use std::path::Path;

/// Refuses to append to a log whose last segment was written under a newer write version:
/// this build reads it, but does not know the rules it must keep when writing.
pub(crate) fn check_appendable(view: &LogView) -> Result<()> {
    let last = view
        .segments
        .last()
        .expect("a log has at least one segment");
    if last.header.appendable() {
        return Ok(());
    }
    Err(Error::ReadOnly {
        segment: last.path.clone(),
        write_version: last.header.write_version,
    })
}

/// [`check_appendable`] for the log in `dir`, before anything is read into a view (repair
/// cuts before it opens the log). A last segment whose header cannot be read does not stop
/// it: that damage is what repair is for.
pub(crate) fn check_dir_appendable(io: &Io, dir: &Path) -> Result<()> {
    let files = list_segment_files(io, dir)?;
    let Some((_, path)) = files.last() else {
        return Ok(());
    };
    let number = files.len() as u64 - 1;
    match open_segment_file(io, path, number) {
        Ok((header, _)) if !header.appendable() => Err(Error::ReadOnly {
            segment: path.clone(),
            write_version: header.write_version,
        }),
        _ => Ok(()),
    }
}

/// Whether a segment with this header was written by an older format version than this
/// build's: the writer seals it before its first append, and appends to a new segment of its
/// own version.
pub(crate) fn older_than_this_build(header: &SegmentHeader) -> bool {
    header.read_version < FORMAT_VERSION || header.write_version < FORMAT_VERSION
}
