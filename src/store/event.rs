//! Dataset events: the records the dataset layer appends to the log, and their encoding.
//!
//! Every event is one log record of type [`DATASET_EVENT`] whose body is one byte of event
//! encoding version ([`EVENT_ENCODING_VERSION`]) followed by the `bincode` 1.3 encoding (default
//! options: little-endian, fixed-width integers, `u64` lengths) of [`Event`]. FORMAT.md lists
//! the fields in encoding order.

pub use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::format::RecordType;
use crate::log::Position;
use crate::schema::{Delimiter, Schema, SchemaDrift, SchemaDriftPolicy};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The log record type of dataset events.
pub const DATASET_EVENT: RecordType = RecordType(0x0100);

/// The version of the event body encoding this build writes and reads.
pub const EVENT_ENCODING_VERSION: u8 = 1;

/// One table of a version, as recorded in the log.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRecord {
    /// Stable id within the dataset (`table_0`, ...), kept across versions by display name.
    pub table_id: String,
    /// Display name (the file name without its extension).
    pub name: String,
    /// The uploaded file's name.
    pub source_file: String,
    /// SHA-256 of the table's bytes (the blob's name).
    pub content_hash: Digest,
    /// Size in bytes.
    pub byte_len: u64,
    /// Data rows.
    pub row_count: u64,
    /// Columns.
    pub column_count: u64,
    /// The inferred schema (shared: the catalog keeps one copy of each distinct schema).
    pub schema: Arc<Schema>,
    /// The schema fingerprint.
    pub fingerprint: Digest,
    /// The field delimiter.
    pub delimiter: Delimiter,
}

/// A dataset and version that already hold some content.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHolder {
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name.
    pub dataset_name: String,
    /// The version number.
    pub version: u64,
}

/// What happened.
///
/// On disk: a `u32` variant index in declaration order, then the variant's fields in
/// declaration order (FORMAT.md, "Dataset events"), so reordering, inserting or removing a
/// variant or a field is a format break. [`KindHead`] decodes the leading fields of each
/// variant and must change with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A new version was stored and became active (the first creates the dataset).
    UploadCreated {
        /// The dataset's name at the time.
        dataset_name: String,
        /// The new version's number (1 for a new dataset).
        version: u64,
        /// The version's content hash.
        hash: Digest,
        /// The version active before (none for a new dataset).
        previous_active: Option<u64>,
        /// Its tables, in canonical (display name) order.
        tables: Vec<TableRecord>,
        /// Version-scoped metadata (a JSON object, as text).
        metadata: Option<String>,
        /// Drift against the previously active version.
        drift: Option<SchemaDrift>,
        /// The policy it was checked under.
        policy: SchemaDriftPolicy,
        /// The override reason, when breaking drift was accepted against `Reject`.
        override_reason: Option<String>,
        /// Warnings returned to the uploader (drift, duplicate content).
        warnings: Vec<String>,
        /// Other datasets that already held the same content.
        duplicate_of: Vec<ContentHolder>,
    },
    /// An overwrite with content equal to an existing version made that version active again.
    VersionActivated {
        /// The version made active.
        version: u64,
        /// The version active before.
        from: u64,
    },
    /// The active version moved to another version.
    Rollback {
        /// The version active before.
        from: u64,
        /// The version made active.
        to: u64,
        /// Compatibility warnings shown.
        warnings: Vec<String>,
    },
    /// An overwrite refused by the drift policy.
    OverwriteBlocked {
        /// The active version it was compared with.
        active: u64,
        /// The content hash that was refused.
        attempted_hash: Digest,
        /// The files uploaded.
        source_files: Vec<String>,
        /// The drift found.
        drift: SchemaDrift,
        /// The policy that refused it.
        policy: SchemaDriftPolicy,
        /// The refusal message.
        reason: String,
    },
}

impl EventKind {
    /// The event's name in output and filters (`upload_created`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::UploadCreated { .. } => "upload_created",
            EventKind::VersionActivated { .. } => "version_activated",
            EventKind::Rollback { .. } => "rollback",
            EventKind::OverwriteBlocked { .. } => "overwrite_blocked",
        }
    }

    /// The version this event makes active, if it changes the active version.
    pub fn activates(&self) -> Option<u64> {
        match self {
            EventKind::UploadCreated { version, .. } => Some(*version),
            EventKind::VersionActivated { version, .. } => Some(*version),
            EventKind::Rollback { to, .. } => Some(*to),
            EventKind::OverwriteBlocked { .. } => None,
        }
    }
}

/// A dataset event as stored in the log.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break. The order puts everything the
/// catalog needs first (and, in each kind, the catalog's fields come first), so that replay
/// decodes only that prefix ([`EventHead`]) and never touches tables, schemas or drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// A random id for the event.
    pub event_id: uuid::Uuid,
    /// When it happened, microseconds since the Unix epoch (UTC).
    pub timestamp_micros: i64,
    /// The dataset concerned.
    pub dataset_id: uuid::Uuid,
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: String,
    /// Why, in the actor's words.
    pub note: String,
}

/// The leading fields of an [`Event`]: what the catalog needs, decoded without allocating.
///
/// On disk: it decodes the encoding of an [`Event`] (FORMAT.md, "Dataset events"), so its
/// fields must stay the leading fields of [`Event`], in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventHead<'a> {
    /// A random id for the event.
    pub event_id: uuid::Uuid,
    /// When it happened, microseconds since the Unix epoch (UTC).
    pub timestamp_micros: i64,
    /// The dataset concerned.
    pub dataset_id: uuid::Uuid,
    /// The leading fields of the kind.
    #[serde(borrow)]
    pub kind: KindHead<'a>,
}

/// The leading fields of each [`EventKind`], in the same variant order.
///
/// On disk: it decodes the encoding of an [`EventKind`] (FORMAT.md, "Dataset events"), so
/// its variants must stay in [`EventKind`]'s order, each with the leading fields of its
/// variant in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum KindHead<'a> {
    /// See [`EventKind::UploadCreated`].
    UploadCreated {
        /// The dataset's name at the time.
        dataset_name: &'a str,
        /// The new version's number.
        version: u64,
        /// The version's content hash.
        hash: Digest,
        /// The version active before.
        previous_active: Option<u64>,
    },
    /// See [`EventKind::VersionActivated`].
    VersionActivated {
        /// The version made active.
        version: u64,
        /// The version active before.
        from: u64,
    },
    /// See [`EventKind::Rollback`].
    Rollback {
        /// The version active before.
        from: u64,
        /// The version made active.
        to: u64,
    },
    /// See [`EventKind::OverwriteBlocked`].
    OverwriteBlocked {
        /// The active version it was compared with.
        active: u64,
    },
}

impl KindHead<'_> {
    /// The event's name (`upload_created`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            KindHead::UploadCreated { .. } => "upload_created",
            KindHead::VersionActivated { .. } => "version_activated",
            KindHead::Rollback { .. } => "rollback",
            KindHead::OverwriteBlocked { .. } => "overwrite_blocked",
        }
    }
}

impl<'a> EventHead<'a> {
    /// Decodes the head of a record body. `at` says where the record is; it is called only
    /// to name the place in an error ([`Error::BadEvent`]).
    pub fn decode(body: &'a [u8], at: impl FnOnce() -> Position) -> Result<EventHead<'a>> {
        let decoded = check_encoding_version(body).and_then(|rest| {
            let options = bincode::options()
                .with_fixint_encoding()
                .allow_trailing_bytes()
                .with_limit(body.len() as u64);
            options.deserialize(rest).map_err(|e| e.to_string())
        });
        decoded.map_err(|detail| bad_event(at(), detail))
    }
}

impl Event {
    /// The head of this event, as replay would decode it from the log.
    pub fn head(&self) -> EventHead<'_> {
        let kind = match &self.kind {
            EventKind::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
                ..
            } => KindHead::UploadCreated {
                dataset_name,
                version: *version,
                hash: *hash,
                previous_active: *previous_active,
            },
            EventKind::VersionActivated { version, from } => KindHead::VersionActivated {
                version: *version,
                from: *from,
            },
            EventKind::Rollback { from, to, .. } => KindHead::Rollback {
                from: *from,
                to: *to,
            },
            EventKind::OverwriteBlocked { active, .. } => {
                KindHead::OverwriteBlocked { active: *active }
            }
        };
        EventHead {
            event_id: self.event_id,
            timestamp_micros: self.timestamp_micros,
            dataset_id: self.dataset_id,
            kind,
        }
    }
}

/// Checks the encoding version byte and returns the bincode bytes after it, or what is
/// wrong.
fn check_encoding_version(body: &[u8]) -> std::result::Result<&[u8], String> {
    match body.split_first() {
        Some((&EVENT_ENCODING_VERSION, rest)) => Ok(rest),
        Some((version, _)) => Err(format!(
            "event encoding version {version} is not supported by this build (it reads {EVENT_ENCODING_VERSION}); upgrade strata"
        )),
        None => Err("empty body".into()),
    }
}

fn bad_event(position: Position, detail: String) -> Error {
    Error::BadEvent { position, detail }
}

impl Event {
    /// Encodes the event as a record body.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = vec![EVENT_ENCODING_VERSION];
        bincode::serialize_into(&mut body, self).expect("events serialize into memory");
        body
    }

    /// The length of [`Event::encode`]'s output, without encoding.
    pub fn encoded_len(&self) -> usize {
        let len = bincode::serialized_size(self).expect("events serialize into memory");
        1 + usize::try_from(len).unwrap_or(usize::MAX)
    }

    /// Decodes a record body. `at` says where the record is; it is called only to name the
    /// place in an error ([`Error::BadEvent`]).
    pub fn decode(body: &[u8], at: impl FnOnce() -> Position) -> Result<Event> {
        let decoded = check_encoding_version(body).and_then(|rest| {
            let options = bincode::options()
                .with_fixint_encoding()
                .with_limit(crate::format::MAX_BODY_LEN as u64);
            options.deserialize(rest).map_err(|e| e.to_string())
        });
        decoded.map_err(|detail| bad_event(at(), detail))
    }

    /// The event time as a `chrono` value.
    pub fn time(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_micros(self.timestamp_micros).unwrap_or_default()
    }
}

use bincode::Options as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_encoding() {
        let event = Event {
            event_id: uuid::Uuid::new_v4(),
            timestamp_micros: 1_700_000_000_123_456,
            actor: "ana".into(),
            note: "roll back".into(),
            dataset_id: uuid::Uuid::new_v4(),
            kind: EventKind::Rollback {
                from: 3,
                to: 1,
                warnings: vec!["x".into()],
            },
        };
        let body = event.encode();
        assert_eq!(body[0], EVENT_ENCODING_VERSION);
        let at = || Position::new("log/00000000000000000001.seg", 0, 128, 1);
        assert_eq!(Event::decode(&body, at).unwrap(), event);
    }

    #[test]
    fn a_future_encoding_version_is_refused_with_its_position() {
        let at = || Position::new("log/00000000000000000005.seg", 2, 300, 7);
        let err = Event::decode(&[9, 0, 0], at).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::BadEvent {
                    position: Position {
                        seq: 7,
                        segment_number: 2,
                        offset: 300,
                        ..
                    },
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.position(), Some(&at()));
        assert!(err.to_string().contains("upgrade"));
    }

    #[test]
    fn truncated_event_bodies_are_errors_not_panics() {
        let event = Event {
            event_id: uuid::Uuid::nil(),
            timestamp_micros: 0,
            actor: "a".into(),
            note: String::new(),
            dataset_id: uuid::Uuid::nil(),
            kind: EventKind::VersionActivated {
                version: 2,
                from: 1,
            },
        };
        let body = event.encode();
        for len in 0..body.len() {
            let at = || Position::new("log/00000000000000000001.seg", 0, 0, 1);
            assert!(Event::decode(&body[..len], at).is_err());
        }
    }
}
