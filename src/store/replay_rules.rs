//! What replay checks about a record besides its event (FORMAT.md, "Dataset events" and
//! "Version compatibility"): in format version 2 an event's time is its record's append time,
//! and a record type the store does not define is an error unless a newer write version wrote
//! it.

use crate::error::{Error, Result};
use crate::format::{known_write_version, orders_append_times};
use crate::log::RecordRef;
use crate::store::EventHead;

/// An event in a segment of format version 2 or later carries its record's append time
/// (the writer's commit time).
pub(super) fn check_event_time(record: &RecordRef<'_>, head: &EventHead<'_>) -> Result<()> {
    if !orders_append_times(record.segment_read_version)
        || head.timestamp_micros == record.timestamp_micros
    {
        return Ok(());
    }
    Err(Error::invariant_at(
        record.seq,
        format!(
            "{} at {}: its time {} is not its record's append time {}",
            head.kind.name(),
            record.position(),
            head.timestamp_micros,
            record.timestamp_micros
        ),
    ))
}

/// A record replay does not apply: the log's own (which it checked), or an application type
/// the store does not define. That is skipped only in a segment written under a newer write
/// version (a later strata's record this build may read past); otherwise it is an error.
pub(super) fn check_skippable(record: &RecordRef<'_>) -> Result<()> {
    if record.record_type.is_system() || !known_write_version(record.segment_write_version) {
        return Ok(());
    }
    Err(Error::invariant_at(
        record.seq,
        format!(
            "the record at {} has type {:#06x}, which the store does not define; its segment \
             was written under format version {}, whose record types this build knows",
            record.position(),
            record.record_type.0,
            record.segment_write_version
        ),
    ))
}
