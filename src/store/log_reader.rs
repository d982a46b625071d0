//! The store's log, handed out for reading only.

use crate::log::Result;
use crate::log::{Log, LogIter, LogOptions, Record, SegmentInfo, TornTail, VerifyReport};
use std::path::Path;

/// Read access to a store's log, as [`Store::log`](super::Store::log) hands it out.
///
/// Every write to a store's log is a dataset event the store decided against its catalog
/// under the writer lock; an event appended past the store would be one the catalog never
/// decided. So this view has the log's reading methods and none of its writing ones
/// (`append`, `append_batch`, `lock_writer`):
///
/// ```
/// use strata::{Store, StoreOptions, UploadFile, UploadRequest};
///
/// let dir = tempfile::tempdir()?;
/// let store = Store::create(dir.path(), StoreOptions::default())?;
/// let file = UploadFile::from_bytes("t.csv", b"a\n1\n".to_vec());
/// let seq = store.save_upload(UploadRequest::new("d", vec![file], "ana"))?.seq;
/// let log = store.log();
/// assert_eq!(Some(log.last_seq()), seq);
/// assert_eq!(log.iter_from(1).count() as u64, log.last_seq());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Appending through it does not compile:
///
/// ```compile_fail,E0599
/// use strata::format::RecordType;
/// use strata::{Store, StoreOptions};
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::create(dir.path(), StoreOptions::default()).unwrap();
/// store.log().append(RecordType(0x100), b"an event nobody decided").unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LogReader<'a> {
    log: &'a Log,
}

impl<'a> LogReader<'a> {
    pub(super) fn new(log: &'a Log) -> Self {
        LogReader { log }
    }

    /// The folder holding the segment files.
    pub fn dir(&self) -> &'a Path {
        self.log.dir()
    }

    /// The options the log was opened with.
    pub fn options(&self) -> &'a LogOptions {
        self.log.options()
    }

    /// The store's UUID, from the first segment's header.
    pub fn store_id(&self) -> uuid::Uuid {
        self.log.store_id()
    }

    /// The sequence number the next record will carry.
    pub fn next_seq(&self) -> u64 {
        self.log.next_seq()
    }

    /// The sequence number of the last record, or 0 if the log is empty.
    pub fn last_seq(&self) -> u64 {
        self.log.last_seq()
    }

    /// The torn tails the store's handle cut before its writes since the last call, so that
    /// the command that performed a cut can announce it (each is also a torn-cut record).
    pub fn take_torn_cuts(&self) -> Vec<crate::log::TornCut> {
        self.log.take_torn_cuts()
    }

    /// The torn tail found by the last open or refresh, if any.
    pub fn torn_tail(&self) -> Option<TornTail> {
        self.log.torn_tail()
    }

    /// Bytes of records (and segment headers) in the log, excluding preallocated zeros.
    pub fn len_bytes(&self) -> u64 {
        self.log.len_bytes()
    }

    /// A summary of every segment.
    pub fn segments(&self) -> Vec<SegmentInfo> {
        self.log.segments()
    }

    /// Every record from `from_seq` (inclusive) to the end of the log as known now.
    pub fn iter_from(&self, from_seq: u64) -> LogIter {
        self.log.iter_from(from_seq)
    }

    /// The record with sequence number `seq`.
    pub fn read(&self, seq: u64) -> Result<Record> {
        self.log.read(seq)
    }

    /// Catches the log's view up with records other processes appended. The store's catalog
    /// catches up in [`Store::refresh`](super::Store::refresh), which also does this.
    pub fn refresh(&self) -> Result<()> {
        self.log.refresh()
    }

    /// Verifies every record of the log (see [`crate::log::verify`]).
    pub fn verify(&self) -> Result<VerifyReport> {
        self.log.verify()
    }
}
