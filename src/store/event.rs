//! Dataset events: the records the dataset layer appends to the log, and their encoding.
//!
//! Every event is one log record of type [`DATASET_EVENT`] whose body is one byte of event
//! encoding version followed by the `bincode` 1.3 encoding (default options: little-endian,
//! fixed-width integers, `u64` lengths) of the event. This build writes version 2
//! ([`EVENT_ENCODING_VERSION`]: [`Event`] as declared) and reads versions 1 and 2; version 1
//! ([`EVENT_ENCODING_V1`]) is [`Event`] without its last two fields, and defines only the first
//! four kinds. FORMAT.md lists the fields in encoding order.

pub use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::format::RecordType;
use crate::log::Position;
use crate::schema::{Delimiter, DriftRule, Schema, SchemaDrift, SchemaDriftPolicy, WideningRule};
pub use crate::store::names::OsAccount;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The log record type of dataset events.
pub const DATASET_EVENT: RecordType = RecordType(0x0100);

/// The version of the event body encoding this build writes (it reads this one and
/// [`EVENT_ENCODING_V1`]).
pub const EVENT_ENCODING_VERSION: u8 = 2;

/// The first event body encoding: [`Event`] without `os_account` and `salvaged_from`, and
/// only the kinds up to [`EventKind::OverwriteBlocked`]. Still read; written only by
/// [`Event::encode_v1`].
pub const EVENT_ENCODING_V1: u8 = 1;

/// Where an event re-appended by repair was first recorded.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalvagedFrom {
    /// The number of the segment that held the original record.
    pub segment_number: u64,
    /// The original record's byte offset in that segment.
    pub offset: u64,
    /// The original record's sequence number.
    pub seq: u64,
}

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
        /// How `policy` treated widening drift (version 2; version-1 events read as
        /// [`WideningRule::Breaking`], the rule every type change was decided by then).
        widening: WideningRule,
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
        /// How `policy` treated widening drift (version 2; version-1 events read as
        /// [`WideningRule::Breaking`]).
        widening: WideningRule,
    },
    /// The drift policy of the store (the event's dataset id is the nil UUID) or of one
    /// dataset was set (version 2). The event's note is the reason, never empty.
    PolicySet {
        /// The rule now in force at that scope.
        rule: DriftRule,
        /// The rule set at that scope before (`None` if none was: for a dataset, the
        /// store's rule applied; for the store, [`DriftRule::DEFAULT`]).
        previous: Option<DriftRule>,
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
            EventKind::PolicySet { .. } => "policy_set",
        }
    }

    /// The version this event makes active, if it changes the active version.
    pub fn activates(&self) -> Option<u64> {
        match self {
            EventKind::UploadCreated { version, .. } => Some(*version),
            EventKind::VersionActivated { version, .. } => Some(*version),
            EventKind::Rollback { to, .. } => Some(*to),
            EventKind::OverwriteBlocked { .. } | EventKind::PolicySet { .. } => None,
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
    /// Who did it: the actor given (under `strata serve`, the authenticated user).
    pub actor: String,
    /// Why, in the actor's words.
    pub note: String,
    /// The operating-system account of the process that recorded the event, beside the
    /// actor it was given. Every event this build records has one; events of encoding
    /// version 1 have none (`None`).
    pub os_account: Option<OsAccount>,
    /// Where the event was first recorded, if repair re-appended it (`None` otherwise, and in
    /// every event of encoding version 1).
    pub salvaged_from: Option<SalvagedFrom>,
}

/// An event of encoding version 1: the fields of [`Event`] up to `note`, in the same order.
///
/// On disk: frozen (FORMAT.md, "Dataset events", version 1); it must never change.
#[derive(Serialize, Deserialize)]
struct EventV1 {
    event_id: uuid::Uuid,
    timestamp_micros: i64,
    dataset_id: uuid::Uuid,
    kind: EventKindV1,
    actor: String,
    note: String,
}

/// The kinds of event encoding version 1, frozen: [`EventKind`]'s first four variants as
/// version 1 defined them (without the fields version 2 appended).
///
/// On disk: frozen (FORMAT.md, "Dataset events", version 1); it must never change.
#[derive(Serialize, Deserialize)]
enum EventKindV1 {
    UploadCreated {
        dataset_name: String,
        version: u64,
        hash: Digest,
        previous_active: Option<u64>,
        tables: Vec<TableRecord>,
        metadata: Option<String>,
        drift: Option<SchemaDrift>,
        policy: SchemaDriftPolicy,
        override_reason: Option<String>,
        warnings: Vec<String>,
        duplicate_of: Vec<ContentHolder>,
    },
    VersionActivated {
        version: u64,
        from: u64,
    },
    Rollback {
        from: u64,
        to: u64,
        warnings: Vec<String>,
    },
    OverwriteBlocked {
        active: u64,
        attempted_hash: Digest,
        source_files: Vec<String>,
        drift: SchemaDrift,
        policy: SchemaDriftPolicy,
        reason: String,
    },
}

/// Version 1 decided every type change as breaking drift: its events read as decided under
/// [`WideningRule::Breaking`].
const V1_WIDENING: WideningRule = WideningRule::Breaking;

impl From<EventKindV1> for EventKind {
    fn from(v1: EventKindV1) -> EventKind {
        match v1 {
            EventKindV1::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
                tables,
                metadata,
                drift,
                policy,
                override_reason,
                warnings,
                duplicate_of,
            } => EventKind::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
                tables,
                metadata,
                drift,
                policy,
                override_reason,
                warnings,
                duplicate_of,
                widening: V1_WIDENING,
            },
            EventKindV1::VersionActivated { version, from } => {
                EventKind::VersionActivated { version, from }
            }
            EventKindV1::Rollback { from, to, warnings } => {
                EventKind::Rollback { from, to, warnings }
            }
            EventKindV1::OverwriteBlocked {
                active,
                attempted_hash,
                source_files,
                drift,
                policy,
                reason,
            } => EventKind::OverwriteBlocked {
                active,
                attempted_hash,
                source_files,
                drift,
                policy,
                reason,
                widening: V1_WIDENING,
            },
        }
    }
}

impl EventKindV1 {
    /// `kind` as version 1 encodes it, if version 1 can hold it: one of its four kinds, with
    /// the fields version 2 appended at their version-1 meaning.
    fn of(kind: &EventKind) -> Option<EventKindV1> {
        Some(match kind.clone() {
            EventKind::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
                tables,
                metadata,
                drift,
                policy,
                override_reason,
                warnings,
                duplicate_of,
                widening: V1_WIDENING,
            } => EventKindV1::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
                tables,
                metadata,
                drift,
                policy,
                override_reason,
                warnings,
                duplicate_of,
            },
            EventKind::VersionActivated { version, from } => {
                EventKindV1::VersionActivated { version, from }
            }
            EventKind::Rollback { from, to, warnings } => {
                EventKindV1::Rollback { from, to, warnings }
            }
            EventKind::OverwriteBlocked {
                active,
                attempted_hash,
                source_files,
                drift,
                policy,
                reason,
                widening: V1_WIDENING,
            } => EventKindV1::OverwriteBlocked {
                active,
                attempted_hash,
                source_files,
                drift,
                policy,
                reason,
            },
            _ => return None,
        })
    }
}

impl From<EventV1> for Event {
    fn from(v1: EventV1) -> Event {
        Event {
            event_id: v1.event_id,
            timestamp_micros: v1.timestamp_micros,
            dataset_id: v1.dataset_id,
            kind: v1.kind.into(),
            actor: v1.actor,
            note: v1.note,
            os_account: None,
            salvaged_from: None,
        }
    }
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
    /// See [`EventKind::PolicySet`] (its fields are few and fixed-size: all of them).
    PolicySet {
        /// The rule now in force at that scope.
        rule: DriftRule,
        /// The rule set at that scope before.
        previous: Option<DriftRule>,
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
            KindHead::PolicySet { .. } => "policy_set",
        }
    }
}

impl<'a> EventHead<'a> {
    /// Decodes the head of a record body. `at` says where the record is; it is called only
    /// to name the place in an error ([`Error::BadEvent`]).
    pub fn decode(body: &'a [u8], at: impl FnOnce() -> Position) -> Result<EventHead<'a>> {
        let decoded = check_encoding_version(body).and_then(|(version, rest)| {
            let options = bincode::options()
                .with_fixint_encoding()
                .allow_trailing_bytes()
                .with_limit(body.len() as u64);
            let head: EventHead = options.deserialize(rest).map_err(|e| e.to_string())?;
            match head.kind {
                KindHead::PolicySet { .. } if version == EVENT_ENCODING_V1 => Err(format!(
                    "event kind {} is not defined in event encoding version {EVENT_ENCODING_V1}",
                    head.kind.name()
                )),
                _ => Ok(head),
            }
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
            EventKind::PolicySet { rule, previous } => KindHead::PolicySet {
                rule: *rule,
                previous: *previous,
            },
        };
        EventHead {
            event_id: self.event_id,
            timestamp_micros: self.timestamp_micros,
            dataset_id: self.dataset_id,
            kind,
        }
    }
}

/// Checks the encoding version byte and returns it with the bincode bytes after it, or what
/// is wrong. The head of an event is the same in every version this build reads.
fn check_encoding_version(body: &[u8]) -> std::result::Result<(u8, &[u8]), String> {
    match body.split_first() {
        Some((&version, rest)) if version == EVENT_ENCODING_V1 || version == EVENT_ENCODING_VERSION => {
            Ok((version, rest))
        }
        Some((version, _)) => Err(format!(
            "event encoding version {version} is not supported by this build (it reads {EVENT_ENCODING_V1} and {EVENT_ENCODING_VERSION}); upgrade strata"
        )),
        None => Err("empty body".into()),
    }
}

fn bad_event(position: Position, detail: String) -> Error {
    Error::BadEvent { position, detail }
}

impl Event {
    /// Encodes the event as a record body, in encoding version [`EVENT_ENCODING_VERSION`].
    pub fn encode(&self) -> Vec<u8> {
        let mut body = vec![EVENT_ENCODING_VERSION];
        bincode::serialize_into(&mut body, self).expect("events serialize into memory");
        body
    }

    /// Encodes the event in encoding version 1, as builds before version 2 wrote it, or
    /// `None` if version 1 cannot hold it (it has an OS account, a salvage origin, or a kind
    /// version 1 does not define). Kept so that the version-1 encoding stays pinned.
    pub fn encode_v1(&self) -> Option<Vec<u8>> {
        if self.os_account.is_some() || self.salvaged_from.is_some() {
            return None;
        }
        let v1 = EventV1 {
            event_id: self.event_id,
            timestamp_micros: self.timestamp_micros,
            dataset_id: self.dataset_id,
            kind: EventKindV1::of(&self.kind)?,
            actor: self.actor.clone(),
            note: self.note.clone(),
        };
        let mut body = vec![EVENT_ENCODING_V1];
        bincode::serialize_into(&mut body, &v1).expect("events serialize into memory");
        Some(body)
    }

    /// The length of [`Event::encode`]'s output, without encoding.
    pub fn encoded_len(&self) -> usize {
        let len = bincode::serialized_size(self).expect("events serialize into memory");
        1 + usize::try_from(len).unwrap_or(usize::MAX)
    }

    /// Decodes a record body of either encoding version. `at` says where the record is; it is
    /// called only to name the place in an error ([`Error::BadEvent`]).
    pub fn decode(body: &[u8], at: impl FnOnce() -> Position) -> Result<Event> {
        let decoded = check_encoding_version(body).and_then(|(version, rest)| {
            let options = bincode::options()
                .with_fixint_encoding()
                .with_limit(crate::format::MAX_BODY_LEN as u64);
            if version == EVENT_ENCODING_VERSION {
                return options.deserialize(rest).map_err(|e| e.to_string());
            }
            let event: EventV1 = options.deserialize(rest).map_err(|e| e.to_string())?;
            Ok(event.into())
        });
        decoded.map_err(|detail| bad_event(at(), detail))
    }

    /// Who recorded the event, for people, on one line: the actor, then
    /// [`Event::os_account_note`] where there is one (`ana (os alice)`).
    pub fn recorded_by(&self) -> String {
        match self.os_account_note() {
            Some(note) => format!("{} {note}", self.actor),
            None => self.actor.clone(),
        }
    }

    /// The OS account beside the actor, for people, where it says more than the actor:
    /// `(os alice)`, or `(os uid 1001)` for an account the user database does not name;
    /// `None` where the account's name is the actor, or where the event has no account
    /// (encoding version 1).
    pub fn os_account_note(&self) -> Option<String> {
        match self.os_account.as_ref()? {
            OsAccount {
                name: Some(name), ..
            } if *name == self.actor => None,
            OsAccount {
                name: Some(name), ..
            } => Some(format!("(os {name})")),
            OsAccount { uid, name: None } => Some(format!("(os uid {uid})")),
        }
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
            os_account: Some(OsAccount {
                uid: 1000,
                name: Some("ana".into()),
            }),
            salvaged_from: Some(SalvagedFrom {
                segment_number: 2,
                offset: 640,
                seq: 9,
            }),
        };
        let body = event.encode();
        assert_eq!(body[0], EVENT_ENCODING_VERSION);
        let at = || Position::new("log/00000000000000000001.seg", 0, 128, 1);
        assert_eq!(Event::decode(&body, at).unwrap(), event);
        assert_eq!(event.encoded_len(), body.len());
    }

    #[test]
    fn version_1_holds_no_os_account_and_decodes_without_one() {
        let mut event = Event {
            event_id: uuid::Uuid::nil(),
            timestamp_micros: 5,
            actor: "ana".into(),
            note: String::new(),
            dataset_id: uuid::Uuid::nil(),
            kind: EventKind::VersionActivated {
                version: 2,
                from: 1,
            },
            os_account: None,
            salvaged_from: None,
        };
        let v1 = event.encode_v1().unwrap();
        assert_eq!(v1[0], EVENT_ENCODING_V1);
        assert_eq!(v1.len() + 2, event.encode().len(), "two `None` tags more");
        let at = || Position::new("log/00000000000000000001.seg", 0, 128, 1);
        assert_eq!(Event::decode(&v1, at).unwrap(), event);
        event.os_account = Some(OsAccount { uid: 0, name: None });
        assert_eq!(event.encode_v1(), None);
    }

    #[test]
    fn the_os_account_is_shown_beside_the_actor_where_it_says_more() {
        let mut event = Event {
            event_id: uuid::Uuid::nil(),
            timestamp_micros: 0,
            actor: "ana".into(),
            note: String::new(),
            dataset_id: uuid::Uuid::nil(),
            kind: EventKind::VersionActivated {
                version: 2,
                from: 1,
            },
            os_account: None,
            salvaged_from: None,
        };
        assert_eq!(event.recorded_by(), "ana");
        let account = |uid, name: Option<&str>| {
            Some(OsAccount {
                uid,
                name: name.map(str::to_owned),
            })
        };
        event.os_account = account(1000, Some("ana"));
        assert_eq!(event.recorded_by(), "ana");
        event.os_account = account(1000, Some("alice"));
        assert_eq!(event.recorded_by(), "ana (os alice)");
        event.os_account = account(1001, None);
        assert_eq!(event.recorded_by(), "ana (os uid 1001)");
    }

    #[test]
    fn the_current_os_account_is_the_processes_uid() {
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        assert_eq!(OsAccount::current().uid, uid);
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
            os_account: Some(OsAccount {
                uid: 7,
                name: Some("a".into()),
            }),
            salvaged_from: None,
        };
        let body = event.encode();
        for len in 0..body.len() {
            let at = || Position::new("log/00000000000000000001.seg", 0, 0, 1);
            assert!(Event::decode(&body[..len], at).is_err());
        }
    }
}
