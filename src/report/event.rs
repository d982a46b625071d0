//! Dataset events.

use super::schema::{optional_drift, tables, Drift, Table};
use super::Time;
use crate::schema::{DriftRule, SchemaDriftPolicy, WideningRule};
use crate::store::{self, EventKind};
use serde::{Serialize, Serializer};

fn policy_name<S: Serializer>(p: &SchemaDriftPolicy, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.name())
}

fn widening_name<S: Serializer>(w: &WideningRule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(w.name())
}

/// A dataset and version holding some content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentHolder {
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name.
    pub dataset: String,
    /// The version.
    pub version: u64,
}

impl From<&store::ContentHolder> for ContentHolder {
    fn from(h: &store::ContentHolder) -> ContentHolder {
        ContentHolder {
            dataset_id: h.dataset_id,
            dataset: h.dataset_name.clone(),
            version: h.version,
        }
    }
}

/// Version metadata (stored as JSON text) as a JSON value; text that is not JSON (which the
/// store does not write) as a string.
pub(super) fn metadata(text: Option<&str>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.into())))
}

/// The details of an `upload_created` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadCreatedDetails {
    /// The dataset's name at the time.
    pub dataset_name: String,
    /// The new version.
    pub version: u64,
    /// Its hash, in hex.
    pub hash: String,
    /// Its tables.
    pub tables: Vec<Table>,
    /// Its metadata (a JSON object), if any.
    pub metadata: Option<serde_json::Value>,
    /// The version active before (none for a new dataset).
    pub previous_active: Option<u64>,
    /// The drift against it.
    pub drift: Option<Drift>,
    /// The drift policy it was checked under.
    #[serde(serialize_with = "policy_name")]
    pub policy: SchemaDriftPolicy,
    /// How the policy treated widening drift (`compatible` or `breaking`; `breaking` in
    /// events written before event encoding 2, which decided every type change as breaking).
    #[serde(serialize_with = "widening_name")]
    pub widening: WideningRule,
    /// Why breaking drift was accepted, if it was overridden.
    pub override_reason: Option<String>,
    /// Warnings returned to the uploader.
    pub warnings: Vec<String>,
    /// Other datasets that already held the same content.
    pub duplicate_of: Vec<ContentHolder>,
}

/// A drift rule in JSON: `{"policy": "reject", "widening": "compatible"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `reject`, `warn` or `allow`.
    #[serde(serialize_with = "policy_name")]
    pub policy: SchemaDriftPolicy,
    /// `compatible` or `breaking`.
    #[serde(serialize_with = "widening_name")]
    pub widening: WideningRule,
}

impl From<DriftRule> for Rule {
    fn from(rule: DriftRule) -> Rule {
        Rule {
            policy: rule.policy,
            widening: rule.widening,
        }
    }
}

/// What depends on an event's type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventDetails {
    /// `upload_created`.
    UploadCreated(Box<UploadCreatedDetails>),
    /// `version_activated`.
    VersionActivated {
        /// The version made active.
        version: u64,
        /// The version active before.
        from: u64,
    },
    /// `rollback`.
    Rollback {
        /// The version active before.
        from: u64,
        /// The version made active.
        to: u64,
        /// The compatibility warnings.
        warnings: Vec<String>,
    },
    /// `policy_set`: the store's rule (the event's dataset is `null`) or a dataset's.
    PolicySet {
        /// The drift policy set (`reject`, `warn`, `allow`).
        #[serde(serialize_with = "policy_name")]
        policy: SchemaDriftPolicy,
        /// Its widening rule (`compatible`, `breaking`).
        #[serde(serialize_with = "widening_name")]
        widening: WideningRule,
        /// The rule set at that scope before (`{"policy", "widening"}`); `null` if none was.
        previous: Option<Rule>,
    },
    /// `overwrite_blocked`.
    OverwriteBlocked {
        /// The content hash that was refused, in hex.
        attempted_hash: String,
        /// The files uploaded.
        source_files: Vec<String>,
        /// The version that stayed active.
        active: u64,
        /// The drift found.
        drift: Drift,
        /// The policy that refused it.
        #[serde(serialize_with = "policy_name")]
        policy: SchemaDriftPolicy,
        /// How the policy treated widening drift.
        #[serde(serialize_with = "widening_name")]
        widening: WideningRule,
        /// The refusal message.
        reason: String,
    },
}

impl EventDetails {
    /// The versions the event names, for a line of text: `version 3`, `version 2 active
    /// (was 3)`, `rollback to version 1 (from 3)`'s `to version 1 (from 3)`, `version 2
    /// stayed active`; `None` for a policy change (which names no version).
    pub fn versions(&self) -> Option<String> {
        match self {
            EventDetails::UploadCreated(details) => Some(format!("version {}", details.version)),
            EventDetails::VersionActivated { version, from } => {
                Some(format!("version {version} active (was {from})"))
            }
            EventDetails::Rollback { from, to, .. } => {
                Some(format!("to version {to} (from {from})"))
            }
            EventDetails::OverwriteBlocked { active, .. } => {
                Some(format!("version {active} stayed active"))
            }
            EventDetails::PolicySet { .. } => None,
        }
    }
}

impl From<&EventKind> for EventDetails {
    fn from(kind: &EventKind) -> EventDetails {
        match kind {
            EventKind::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
                tables: t,
                metadata: m,
                drift,
                policy,
                override_reason,
                warnings,
                duplicate_of,
                widening,
            } => EventDetails::UploadCreated(Box::new(UploadCreatedDetails {
                dataset_name: dataset_name.clone(),
                version: *version,
                hash: hash.hex(),
                tables: tables(t),
                metadata: metadata(m.as_deref()),
                previous_active: *previous_active,
                drift: optional_drift(drift.as_ref()),
                policy: *policy,
                widening: *widening,
                override_reason: override_reason.clone(),
                warnings: warnings.clone(),
                duplicate_of: duplicate_of.iter().map(ContentHolder::from).collect(),
            })),
            EventKind::VersionActivated { version, from } => EventDetails::VersionActivated {
                version: *version,
                from: *from,
            },
            EventKind::Rollback { from, to, warnings } => EventDetails::Rollback {
                from: *from,
                to: *to,
                warnings: warnings.clone(),
            },
            EventKind::PolicySet { rule, previous } => EventDetails::PolicySet {
                policy: rule.policy,
                widening: rule.widening,
                previous: previous.map(Rule::from),
            },
            EventKind::OverwriteBlocked {
                active,
                attempted_hash,
                source_files,
                drift,
                policy,
                reason,
                widening,
            } => EventDetails::OverwriteBlocked {
                attempted_hash: attempted_hash.hex(),
                source_files: source_files.clone(),
                active: *active,
                drift: Drift::from(drift),
                policy: *policy,
                widening: *widening,
                reason: reason.clone(),
            },
        }
    }
}

/// A dataset event, as `log` prints it (and `history --events`, and `dump` in its records).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The log sequence number.
    pub seq: u64,
    /// The event's id.
    pub event_id: uuid::Uuid,
    /// When it happened.
    pub time: Time,
    /// `upload_created`, `version_activated`, `rollback`, `overwrite_blocked` or
    /// `policy_set`.
    #[serde(rename = "type")]
    pub event_type: &'static str,
    /// The dataset's id (the nil UUID for an event about the store: a store-wide
    /// `policy_set`).
    pub dataset_id: uuid::Uuid,
    /// The dataset's name (its current one; `null` where it is not known, and for an event
    /// about the store).
    pub dataset: Option<String>,
    /// Who did it: the actor given (under `strata serve`, the authenticated user).
    pub actor: String,
    /// The OS account of the process that recorded it (`{"uid", "name"}`, `name` null where
    /// the user database has none); `null` in events written before event encoding 2.
    pub os_account: Option<store::OsAccount>,
    /// Where repair found the event before re-appending it (`{"segment_number", "offset",
    /// "seq"}`); `null` for an event recorded as it happened.
    pub salvaged_from: Option<store::SalvagedFrom>,
    /// Their note.
    pub note: String,
    /// What depends on the type.
    pub details: EventDetails,
}

impl Event {
    /// The event at `seq`; `dataset` is the dataset's name, if known.
    pub fn new(seq: u64, event: &store::Event, dataset: Option<&str>) -> Event {
        Event {
            seq,
            event_id: event.event_id,
            time: Time(event.timestamp_micros),
            event_type: event.kind.name(),
            dataset_id: event.dataset_id,
            dataset: dataset.map(str::to_owned),
            actor: event.actor.clone(),
            os_account: event.os_account.clone(),
            salvaged_from: event.salvaged_from,
            note: event.note.clone(),
            details: EventDetails::from(&event.kind),
        }
    }
}

/// A `query_run` record, as `log` and `history --events` print it (FORMAT.md, "Query runs").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryRun {
    /// The log sequence number.
    pub seq: u64,
    /// The run's id.
    pub run_id: uuid::Uuid,
    /// When the query finished.
    pub time: Time,
    /// Always `query_run`.
    #[serde(rename = "type")]
    pub record_type: &'static str,
    /// Who ran it.
    pub actor: String,
    /// Their note.
    pub note: String,
    /// The SQL text.
    pub sql: String,
    /// The SHA-256 of the SQL text.
    pub sql_sha256: String,
    /// The versions the query read.
    pub versions: Vec<QueryRunVersion>,
    /// The result's rows.
    pub rows: u64,
    /// The SHA-256 of the result's canonical form (its `--csv` output).
    pub result_sha256: String,
}

/// A version a recorded query read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryRunVersion {
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name when the query ran.
    pub dataset: String,
    /// The version number.
    pub version: u64,
    /// The version's hash.
    pub hash: String,
}

impl QueryRun {
    /// The run recorded at `seq`.
    pub fn new(seq: u64, run: &store::QueryRun) -> QueryRun {
        QueryRun {
            seq,
            run_id: run.run_id,
            time: Time(run.timestamp_micros),
            record_type: "query_run",
            actor: run.actor.clone(),
            note: run.note.clone(),
            sql: run.sql.clone(),
            sql_sha256: run.sql_sha256.hex(),
            versions: run
                .versions
                .iter()
                .map(|v| QueryRunVersion {
                    dataset_id: v.dataset_id,
                    dataset: v.dataset_name.clone(),
                    version: v.version,
                    hash: v.hash.hex(),
                })
                .collect(),
            rows: run.row_count,
            result_sha256: run.result_sha256.hex(),
        }
    }
}

/// One of the log's own records (a seal, a torn-tail cut, a repair), as `strata log` lists it
/// beside the dataset events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemEntry {
    /// The log sequence number.
    pub seq: u64,
    /// Its append time.
    pub time: Time,
    /// `seal`, `torn_cut` or `repair`.
    #[serde(rename = "type")]
    pub record_type: &'static str,
    /// Always `true`: the log's own record, not a dataset event.
    pub system: bool,
    /// The decoded body (the shape `strata dump` gives it); `null` if it cannot be decoded.
    pub details: Option<super::dump::DumpBody>,
}

impl SystemEntry {
    /// The record at `seq`.
    pub fn new(seq: u64, record: &store::SystemRecord) -> SystemEntry {
        SystemEntry {
            seq,
            time: Time(record.timestamp_micros),
            record_type: record.type_name(),
            system: true,
            details: super::dump::DumpBody::of(&record.body, seq),
        }
    }
}
