//! The Merkle tree over the log (FORMAT.md, *The Merkle tree*): the frontier a writer
//! continues from, and the whole tree that verification and proofs rebuild.
//!
//! A writer needs only the compact frontier at the end of the log. It finds it in the last
//! checkpoint record of the last segment (every version-2 segment after the first starts
//! with one), extended with the leaves of the records after it, so that a writer never
//! rehashes the log; only the first write to a log without checkpoints (one written by
//! version 1) hashes every record once.

use super::{Log, Result};
use crate::format::leaf::{record_leaf, CheckpointBody};
use crate::format::RecordType;
use crate::merkle::Frontier;

/// What a writer knows of the tree at the end of the log.
#[derive(Debug, Clone)]
pub(crate) struct TreeState {
    /// The frontier of every record in the log (or written by the writer so far).
    pub(crate) frontier: Frontier,
    /// Records after the last checkpoint record (the automatic policy's count).
    pub(crate) since_checkpoint: u64,
}

impl TreeState {
    /// Takes in a record the writer is about to write (its seq is the frontier's size + 1).
    pub(crate) fn push(&mut self, seq: u64, time: i64, record_type: RecordType, body: &[u8]) {
        debug_assert_eq!(seq, self.frontier.size() + 1);
        self.frontier
            .push(record_leaf(seq, time, record_type, body))
            .expect("a log never holds u64::MAX records");
        if record_type == RecordType::CHECKPOINT {
            self.since_checkpoint = 0;
        } else {
            self.since_checkpoint += 1;
        }
    }
}

impl Log {
    /// The tree state at the end of the log as this handle sees it: from the last checkpoint
    /// record of the last segment (or of the whole log when the last segment does not start
    /// with one: segment 0, or a version-1 segment), hashing only the records after it; from
    /// the first record when the log has none (a version-1 log: a one-time hash of it all).
    pub(crate) fn tree_at_end(&self) -> Result<TreeState> {
        let (base, has_records) = {
            let view = self.read_view();
            let last = view
                .segments
                .last()
                .expect("a log has at least one segment");
            (last.header.base_seq, last.records() > 0)
        };
        let first = if has_records && self.read(base)?.record_type == RecordType::CHECKPOINT {
            base
        } else {
            crate::format::FIRST_SEQ
        };
        // Hash only from the last checkpoint record on: finding it reads record headers,
        // which costs far less than hashing every record of the segment.
        let mut start = first;
        let mut iter = self.iter_from(first);
        while let Some(record) = iter.next_ref() {
            let record = record?;
            if record.record_type == RecordType::CHECKPOINT {
                start = record.seq;
            }
        }
        let mut tree = TreeState {
            frontier: Frontier::new(),
            since_checkpoint: 0,
        };
        let mut iter = self.iter_from(start);
        while let Some(record) = iter.next_ref() {
            let record = record?;
            if record.record_type == RecordType::CHECKPOINT {
                // The scan checked the body (and that its frontier hashes to its root); a
                // checkpoint that disagrees with the records before it is found by verify.
                let body = CheckpointBody::decode(record.body).map_err(|defect| {
                    super::view::corrupt(
                        record.segment(),
                        record.segment_number,
                        record.offset,
                        record.seq,
                        defect,
                    )
                })?;
                tree.frontier = body.frontier();
            }
            tree.push(
                record.seq,
                record.timestamp_micros,
                record.record_type,
                record.body,
            );
        }
        Ok(tree)
    }
}
