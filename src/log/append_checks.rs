//! Checks a writer makes before it writes, so that it never writes over what another writer
//! appended: even if two writers believe they hold the lock (the lock file was deleted while
//! one held it, and the other created it again), the second to write finds the first's bytes
//! and refuses, instead of overwriting an acknowledged record.

use super::view::corrupt;
use super::{Error, Result};
use crate::format::{Defect, RECORD_HEADER_LEN};
use crate::io::lock::LockGuard;
use crate::io::{Io, IoFile, Map};
use std::path::Path;

/// Fails unless the lock file this writer locked is still `log/LOCK`: a lock on a deleted
/// lock file excludes nobody who opens the path now.
pub(crate) fn ensure_lock_held(lock: &LockGuard, io: &Io) -> Result<()> {
    if lock.is_at(io, lock.path())? {
        Ok(())
    } else {
        Err(Error::LockReplaced {
            lock_file: lock.path().to_path_buf(),
        })
    }
}

/// Fails unless the record header bytes at `offset` of `file` are zero (or past its end):
/// every append goes where the writer's view says the log ends, which holds preallocated
/// zeros unless someone else wrote there. Read from `map` (the view's map of the same file)
/// when it is live and covers them, which costs no system call; otherwise one positioned read
/// of 32 bytes per write.
pub(crate) fn ensure_unwritten(
    file: &IoFile,
    map: Option<&Map>,
    segment_number: u64,
    offset: u64,
    next_seq: u64,
) -> Result<()> {
    let mut header = [0u8; RECORD_HEADER_LEN];
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let mapped = map
        .filter(|map| map.is_live())
        .and_then(|map| map.get(start..start.checked_add(RECORD_HEADER_LEN)?));
    let n = match mapped {
        Some(bytes) => {
            header.copy_from_slice(bytes);
            RECORD_HEADER_LEN
        }
        None => file.read_at(&mut header, offset)?,
    };
    match header[..n].iter().position(|&b| b != 0) {
        None => Ok(()),
        Some(at) => {
            let defect = Defect::OccupiedAppendOffset {
                nonzero_at: offset + at as u64,
            };
            Err(corrupt(
                file.path(),
                segment_number,
                offset,
                next_seq,
                defect,
            ))
        }
    }
}

/// Fails if a segment file is already at `path`: a new segment never replaces one (the
/// rename that creates it would).
pub(crate) fn ensure_no_segment_at(
    io: &Io,
    path: &Path,
    segment_number: u64,
    base_seq: u64,
) -> Result<()> {
    if io.metadata(path)?.is_none() {
        return Ok(());
    }
    let defect = Defect::Misplaced {
        detail: "a segment file with this name already exists; another writer created it \
                 without this one seeing it, and nothing was written"
            .into(),
    };
    Err(corrupt(path, segment_number, 0, base_seq, defect))
}
