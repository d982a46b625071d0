//! When each version of a dataset was active: the intervals between the events that changed
//! its active version, computed from the dataset's events.

use super::event::Event;
use super::read::History;

/// An event that made a version active, or made it stop being active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The event's sequence number.
    pub seq: u64,
    /// When it happened (microseconds since the Unix epoch).
    pub micros: i64,
    /// Who did it.
    pub actor: String,
    /// The event's type (`upload_created`, `version_activated`, `rollback`).
    pub event: &'static str,
    /// The event's note, or the rollback's reason (empty if none).
    pub note: String,
}

impl Move {
    fn of(seq: u64, event: &Event) -> Move {
        Move {
            seq,
            micros: event.timestamp_micros,
            actor: event.actor.clone(),
            event: event.kind.name(),
            note: event.note.clone(),
        }
    }
}

/// One interval during which a version was the active one: from the event that activated
/// it to the event that activated another (none while it is still active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveInterval {
    /// The version.
    pub version: u64,
    /// The event that made it active.
    pub from: Move,
    /// The event that made another version active; `None` for the active version.
    pub to: Option<Move>,
}

/// Every active interval of the dataset whose events (in log order) are `events`, oldest
/// first. Events that do not change the active version (refused overwrites) start and end
/// nothing; an event that activates the version already active (which the store does not
/// write) does not split its interval.
pub fn timeline(events: &[(u64, Event)]) -> Vec<ActiveInterval> {
    let mut intervals: Vec<ActiveInterval> = Vec::new();
    for (seq, event) in events {
        let Some(version) = event.kind.activates() else {
            continue;
        };
        if let Some(open) = intervals.last_mut() {
            if open.version == version {
                continue;
            }
            open.to = Some(Move::of(*seq, event));
        }
        intervals.push(ActiveInterval {
            version,
            from: Move::of(*seq, event),
            to: None,
        });
    }
    intervals
}

impl History {
    /// When each version was active ([`timeline`] of the dataset's events).
    pub fn timeline(&self) -> Vec<ActiveInterval> {
        timeline(&self.events)
    }
}
