//! Which dataset events a reader wants: `strata log`'s options, the API's event queries.

use super::event::Event;

/// A filter over dataset events; an empty filter accepts every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only the events of this dataset.
    pub dataset_id: Option<uuid::Uuid>,
    /// Only events of this type (`upload_created`, `version_activated`, `rollback`,
    /// `overwrite_blocked`).
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
}
