//! The JSON shapes of the command line's `--json` output, as serde types: one type per shape
//! documented in `docs/CLI.md`, built from the library's own types with `From` or a
//! constructor. Every front end serializes these, so that they all print the same JSON.
//!
//! The shapes are a contract: fields may be added, never removed or renamed. Keys are
//! serialized in the order of the fields, which is the order docs/CLI.md shows. Times are
//! RFC 3339 UTC with microseconds ([`Time`]), hashes 64 lowercase hex digits, ids hyphenated
//! UUIDs.
//!
//! ```
//! use strata::report::{Time, VersionRef};
//!
//! let line = serde_json::to_string(&VersionRef { version: 2, hash: "ab".repeat(32) })?;
//! assert_eq!(line, format!(r#"{{"version":2,"hash":"{}"}}"#, "ab".repeat(32)));
//! assert_eq!(serde_json::to_string(&Time(1))?, r#""1970-01-01T00:00:00.000001Z""#);
//! # Ok::<(), serde_json::Error>(())
//! ```

mod audit;
mod check;
mod dataset;
mod demo;
mod dump;
mod error;
mod event;
mod outcome;
mod policy;
mod query;
mod salvage;
mod schema;
mod timeline;

pub use audit::{
    record_type_name, CheckpointLine, KeygenLine, VerifiedConsistencyLine, VerifiedProofLine,
};
pub use check::{
    GcFile, GcLine, GcSummary, Stat, TornTail, VerifyLine, VerifyProblem, VerifySummary,
};
pub use dataset::{
    version_change_summary, DatasetLine, Diff, FindLine, HistoryLine, HistoryVersion, RowCount,
    Show, VersionRef,
};
pub use demo::{DemoAction, DemoStep, DemoVerify, UploadResult};
pub use dump::{BodyCrc, DumpBody, DumpItem, HeaderCrc, RecordLine, SegmentHeader, SegmentLine};
pub use error::{ErrorBody, ErrorLine};
pub use event::{
    ContentHolder, Event, EventDetails, QueryRun, QueryRunVersion, Rule, SystemEntry,
    UploadCreatedDetails,
};
pub use outcome::{
    Cat, CutCheckpoint, Init, Repair, Rollback, RollbackPlan, RollbackStatus, Snapshot, Upload,
    UploadPlan, UploadRefused,
};
pub use policy::{Policy, PolicySet, PolicySetBy};
pub use query::{CheckQueryLine, Finding, FindingLine, VersionFindings};
pub use salvage::{DroppedLine, ReappendedLine, Salvage};
pub use schema::{
    change_counts, change_summary, Column, ColumnChange, Drift, RenameCandidate, Table, TableDrift,
    TypeChange, Verdict,
};
pub use timeline::{TimelineLine, TimelineMove};

use serde::{Serialize, Serializer};

/// A time (microseconds since the Unix epoch), serialized as RFC 3339 UTC with microseconds,
/// e.g. `"2024-05-01T12:00:00.123456Z"`; `null` if it is out of chrono's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match chrono::DateTime::from_timestamp_micros(self.0) {
            Some(t) => {
                serializer.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            }
            None => serializer.serialize_none(),
        }
    }
}

/// A path as text (lossy for names that are not UTF-8).
fn path_text(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// A path's file name (the whole path if it has none).
fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path_text(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_microseconds_and_a_z_and_out_of_range_ones_are_null() {
        let json = |t: i64| serde_json::to_string(&Time(t)).unwrap();
        assert_eq!(
            json(1_714_564_800_123_456),
            r#""2024-05-01T12:00:00.123456Z""#
        );
        assert_eq!(json(0), r#""1970-01-01T00:00:00.000000Z""#);
        assert_eq!(json(i64::MAX), "null");
    }

    fn json(value: &impl Serialize) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn tagged_lines_put_their_tag_first_and_keys_follow_in_the_documented_order() {
        let report = crate::check::CheckReport {
            log: crate::log::VerifyReport {
                segments: 1,
                records: 2,
                bytes: 300,
                last_seq: 2,
                ..Default::default()
            },
            store_problems: vec![crate::check::StoreProblem {
                kind: crate::check::StoreProblemKind::Invariant,
                detail: "x".into(),
            }],
            invariants_checked: true,
            deep: false,
            blobs_checked: 0,
            blob_problems: Vec::new(),
            snapshot_checked: Some(2),
            leftovers: None,
        };
        let lines: Vec<String> = VerifyLine::all(&report).iter().map(json).collect();
        assert_eq!(
            lines,
            [
                r#"{"item":"problem","kind":"store","detail":"x"}"#,
                r#"{"item":"summary","ok":false,"problems":1,"segments":1,"records":2,"bytes":300,"last_seq":2,"torn_tail":null,"invariants_checked":true,"deep":false,"blobs_checked":0,"snapshot_checked":2,"orphan_blobs":null,"temp_files":null,"stale_copies":null}"#,
            ]
        );
    }

    #[test]
    fn a_refusal_says_refused_first_and_a_demo_step_flattens_its_action() {
        let refusal = UploadRefused {
            refusal: crate::store::RefusalKind::DatasetExists,
            dataset: "d".into(),
            reason: "exists".into(),
            seq: None,
            active_version: None,
            drift: None,
            post_commit_warnings: Vec::new(),
        };
        assert_eq!(
            json(&refusal),
            r#"{"status":"refused","refusal":"dataset_exists","dataset":"d","reason":"exists","seq":null,"active_version":null,"drift":null,"post_commit_warnings":[]}"#
        );
        let step = DemoStep {
            step: 0,
            action: DemoAction::Init { store: "s".into() },
        };
        assert_eq!(json(&step), r#"{"step":0,"action":"init","store":"s"}"#);
    }

    #[test]
    fn event_details_carry_no_tag_of_their_own() {
        let details = EventDetails::Rollback {
            from: 3,
            to: 1,
            warnings: vec!["w".into()],
        };
        assert_eq!(json(&details), r#"{"from":3,"to":1,"warnings":["w"]}"#);
    }

    #[test]
    fn a_finding_line_has_its_item_and_version_before_the_finding() {
        let finding = crate::query::Finding {
            kind: crate::query::FindingKind::UnknownColumn,
            severity: crate::query::Severity::Warning,
            reference: "x".into(),
            location: crate::query::Location::Sql { line: 1, column: 8 },
            message: "no column `x`".into(),
            suggestion: None,
        };
        let lines = CheckQueryLine::findings(2, &[finding]);
        assert_eq!(
            json(&lines[0]),
            r#"{"item":"finding","version":2,"kind":"unknown_column","severity":"warning","reference":"x","location":{"in":"sql","line":1,"column":8},"message":"no column `x`","suggestion":null}"#
        );
    }
}
