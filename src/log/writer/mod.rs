//! The append path.
//!
//! A commit has two phases. Under the in-process writer mutex and the exclusive file lock, the
//! writer catches up on what other processes appended, cuts a torn tail if there is one, and
//! writes its records with `pwrite` (rolling segments as needed). Then, with both locks
//! released, it waits until an `fdatasync` that started after its write has finished.
//! Syncing outside the lock is sound because `fdatasync` flushes every dirty page of the file,
//! so a later writer's sync also persists every earlier byte of the segment, and a segment is
//! synced when it is sealed, before the next one exists.
//!
//! Group commit comes in two forms. [`Log::append_batch`] queues the append; one thread (the
//! leader) waits briefly for the threads its last group released to queue again, then writes
//! the whole queue with one `pwrite` and runs one `fdatasync` for it, as LevelDB's writer
//! queue does. A [`WriterGuard`] (used when records depend on what the log holds) writes
//! under the locks itself and then joins or starts a sync in `sync_through`.

mod queue;
mod segment;
mod sync;

pub(crate) use queue::AppendQueue;
pub use segment::WriterGuard;
pub(crate) use segment::{create_segment_file, WriterState};
pub(crate) use sync::SyncState;

/// A position in the log: `(segment number, byte offset)`, ordered.
pub(crate) type Mark = (u64, u64);
