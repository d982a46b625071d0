//! `history --timeline`: when each version was active.

use super::Time;
use crate::store::{ActiveInterval, Move};
use serde::Serialize;

/// One active interval of a version, as `history --timeline --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineLine {
    /// Always `interval`.
    pub item: &'static str,
    /// The dataset's name.
    pub dataset: String,
    /// The version that was active.
    pub version: u64,
    /// Whether it is still active (this is the last interval).
    pub active: bool,
    /// The event that made it active.
    pub from: TimelineMove,
    /// The event that made another version active; `null` while it is active.
    pub to: Option<TimelineMove>,
}

/// An event that began or ended an interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineMove {
    /// Its sequence number.
    pub seq: u64,
    /// When.
    pub time: Time,
    /// Who.
    pub actor: String,
    /// The event's type (`upload_created`, `version_activated`, `rollback`).
    #[serde(rename = "type")]
    pub event: &'static str,
    /// Its note (the reason of a rollback); empty if none.
    pub note: String,
}

impl From<&Move> for TimelineMove {
    fn from(m: &Move) -> TimelineMove {
        TimelineMove {
            seq: m.seq,
            time: Time(m.micros),
            actor: m.actor.clone(),
            event: m.event,
            note: m.note.clone(),
        }
    }
}

impl TimelineLine {
    /// Every interval of the dataset `dataset`, oldest first.
    pub fn all(dataset: &str, intervals: &[ActiveInterval]) -> Vec<TimelineLine> {
        intervals
            .iter()
            .map(|i| TimelineLine {
                item: "interval",
                dataset: dataset.to_owned(),
                version: i.version,
                active: i.to.is_none(),
                from: TimelineMove::from(&i.from),
                to: i.to.as_ref().map(TimelineMove::from),
            })
            .collect()
    }
}
