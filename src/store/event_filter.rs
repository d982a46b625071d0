//! Which dataset events (and query runs) a reader wants: `strata log`'s options, the API's
//! event queries.

use super::event::Event;
use super::query_run::QueryRun;

/// A filter over dataset events; an empty filter accepts every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only the events of this dataset.
    pub dataset_id: Option<uuid::Uuid>,
    /// Only events of this type (`upload_created`, `version_activated`, `rollback`,
    /// `overwrite_blocked`, `policy_set`).
    pub event_type: Option<String>,
    /// Only events at or after this time (microseconds since the Unix epoch).
    pub since_micros: Option<i64>,
}

/// The event types an [`EventFilter`] can name.
pub const EVENT_TYPES: [&str; 5] = [
    "upload_created",
    "version_activated",
    "rollback",
    "overwrite_blocked",
    "policy_set",
];

/// The types `strata log --type` can name: the event types and `query_run`.
pub const LOG_ENTRY_TYPES: [&str; 6] = [
    "upload_created",
    "version_activated",
    "rollback",
    "overwrite_blocked",
    "policy_set",
    "query_run",
];

impl EventFilter {
    /// Whether `event` passes.
    pub fn accepts(&self, event: &Event) -> bool {
        self.dataset_id.is_none_or(|id| event.dataset_id == id)
            && self
                .event_type
                .as_deref()
                .is_none_or(|t| event.kind.name() == t)
            && self
                .since_micros
                .is_none_or(|s| event.timestamp_micros >= s)
    }

    /// Whether the query run `run` passes: it read a version of the dataset, the type is
    /// `query_run`, and it finished at or after the time.
    pub fn accepts_run(&self, run: &QueryRun) -> bool {
        self.dataset_id
            .is_none_or(|id| run.versions.iter().any(|v| v.dataset_id == id))
            && self.event_type.as_deref().is_none_or(|t| t == "query_run")
            && self.since_micros.is_none_or(|s| run.timestamp_micros >= s)
    }
}
