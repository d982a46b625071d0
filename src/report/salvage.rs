//! What appending again the events a repair cut did (`strata repair --reappend`).

use super::Time;
use crate::store::{self, SalvageReport, SalvagedFrom};
use serde::Serialize;

/// One event appended again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReappendedLine {
    /// Where it was first recorded: `{"segment_number", "offset", "seq"}`.
    pub from: SalvagedFrom,
    /// When it was first recorded.
    pub first_recorded: Time,
    /// The new event's sequence number.
    pub seq: u64,
    /// The new event's type.
    #[serde(rename = "type")]
    pub event_type: &'static str,
    /// The dataset; `null` for the store's own rule.
    pub dataset: Option<String>,
    /// What it records now, for people.
    pub detail: String,
}

/// One valid record that was not appended again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedLine {
    /// Where it was recorded.
    pub from: SalvagedFrom,
    /// Its event type, or its record type for a record that is not a dataset event.
    pub what: String,
    /// Why it was not appended again.
    pub reason: String,
}

/// What appending again did, as one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Salvage {
    /// The repair record whose cut was read.
    pub repair_seq: u64,
    /// The salvage folder read.
    pub salvage_dir: String,
    /// The events appended again, in order.
    pub reappended: Vec<ReappendedLine>,
    /// The valid records not appended again, in order.
    pub dropped: Vec<DroppedLine>,
    /// Records an earlier run had appended again already.
    pub already_reappended: usize,
    /// What failed after the events were committed; they stand.
    pub post_commit_warnings: Vec<String>,
}

impl From<&SalvageReport> for Salvage {
    fn from(report: &SalvageReport) -> Salvage {
        Salvage {
            repair_seq: report.repair_seq,
            salvage_dir: super::path_text(&report.salvage_dir),
            reappended: report.reappended.iter().map(ReappendedLine::from).collect(),
            dropped: report
                .dropped
                .iter()
                .map(|d| DroppedLine {
                    from: d.from,
                    what: d.what.clone(),
                    reason: d.reason.clone(),
                })
                .collect(),
            already_reappended: report.already_reappended,
            post_commit_warnings: report.post_commit_warnings.clone(),
        }
    }
}

impl From<&store::Reappended> for ReappendedLine {
    fn from(r: &store::Reappended) -> ReappendedLine {
        ReappendedLine {
            from: r.from,
            first_recorded: Time(r.first_recorded_micros),
            seq: r.seq,
            event_type: r.event_type,
            dataset: r.dataset.clone(),
            detail: r.detail.clone(),
        }
    }
}
