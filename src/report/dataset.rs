//! Datasets, their histories, versions and the drift between two versions.

use super::event::{metadata, Event};
use super::schema::{change_summary, optional_drift, tables, Drift, Table};
use super::Time;
use crate::schema::SchemaDrift;
use crate::store::{Dataset, History, VersionInfo, VersionSummary};
use serde::Serialize;

/// One dataset, as `datasets` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetLine {
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: uuid::Uuid,
    /// The active version.
    pub active_version: u64,
    /// The active version's hash, in hex.
    pub active_hash: String,
    /// Versions.
    pub versions: usize,
    /// Events concerning it.
    pub events: usize,
    /// When it last changed.
    pub last_change: Time,
}

impl From<&Dataset> for DatasetLine {
    fn from(ds: &Dataset) -> DatasetLine {
        DatasetLine {
            name: ds.name.clone(),
            id: ds.id,
            active_version: ds.active,
            active_hash: ds.active_version().hash.hex(),
            versions: ds.versions.len(),
            events: ds.event_seqs.len(),
            last_change: Time(ds.updated_micros),
        }
    }
}

/// Rows of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowCount {
    /// The table's display name.
    pub table: String,
    /// Its rows.
    pub rows: u64,
}

/// A version in a dataset's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryVersion {
    /// The dataset's name.
    pub dataset: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The version.
    pub version: u64,
    /// Its hash, in hex.
    pub hash: String,
    /// When it was uploaded.
    pub created: Time,
    /// Who uploaded it.
    pub actor: String,
    /// Their note.
    pub note: String,
    /// Whether it is the active version.
    pub active: bool,
    /// Rows over all tables.
    pub rows: u64,
    /// Rows per table.
    pub row_counts: Vec<RowCount>,
    /// The drift against the previous version (by number); `null` for version 1.
    pub changes: Option<Drift>,
    /// That drift in words, and the override reason if there is one.
    pub change_summary: String,
    /// Why breaking drift was accepted, if it was overridden.
    pub override_reason: Option<String>,
}

/// The schema change of a version against the previous one, in words: `initial version`,
/// `no schema change` or the verdict and counts, then `; override: REASON` if breaking drift
/// was accepted with one.
pub fn version_change_summary(v: &VersionSummary) -> String {
    let mut text = match &v.changes {
        None => "initial version".to_string(),
        Some(drift) => change_summary(drift),
    };
    if let Some(reason) = &v.override_reason {
        text.push_str(&format!("; override: {reason}"));
    }
    text
}

impl HistoryVersion {
    /// Version `v` of the dataset of `history`.
    pub fn new(history: &History, v: &VersionSummary) -> HistoryVersion {
        HistoryVersion {
            dataset: history.name.clone(),
            dataset_id: history.dataset_id,
            version: v.number,
            hash: v.hash.hex(),
            created: Time(v.created_micros),
            actor: v.actor.clone(),
            note: v.note.clone(),
            active: v.active,
            rows: v.row_counts.iter().map(|(_, n)| n).sum(),
            row_counts: v
                .row_counts
                .iter()
                .map(|(table, rows)| RowCount {
                    table: table.clone(),
                    rows: *rows,
                })
                .collect(),
            changes: optional_drift(v.changes.as_ref()),
            change_summary: version_change_summary(v),
            override_reason: v.override_reason.clone(),
        }
    }
}

/// A line of `history`: a version, or (with `--events`) an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum HistoryLine {
    /// A version.
    Version(HistoryVersion),
    /// An event of the dataset.
    Event(Event),
    /// A recorded query that read a version of the dataset.
    QueryRun(super::QueryRun),
}

impl HistoryLine {
    /// Every version of `history`, then, with `events`, every event.
    pub fn all(history: &History, events: bool) -> Vec<HistoryLine> {
        let versions = history
            .versions
            .iter()
            .map(|v| HistoryLine::Version(HistoryVersion::new(history, v)));
        let events = history
            .events
            .iter()
            .filter(|_| events)
            .map(|(seq, e)| HistoryLine::Event(Event::new(*seq, e, Some(&history.name))));
        versions.chain(events).collect()
    }

    /// [`HistoryLine::all`], with the dataset's recorded query runs among its events, in log
    /// order.
    pub fn with_runs(
        history: &History,
        events: bool,
        runs: &[(u64, crate::store::QueryRun)],
    ) -> Vec<HistoryLine> {
        let mut lines = HistoryLine::all(history, events);
        if events {
            lines.extend(
                runs.iter()
                    .map(|(seq, run)| HistoryLine::QueryRun(super::QueryRun::new(*seq, run))),
            );
            lines.sort_by_key(|line| match line {
                HistoryLine::Version(_) => (0, 0),
                HistoryLine::Event(e) => (1, e.seq),
                HistoryLine::QueryRun(r) => (1, r.seq),
            });
        }
        lines
    }
}

/// A version and everything about it, as `show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Show {
    /// The dataset's name.
    pub dataset: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The version.
    pub version: u64,
    /// Its hash, in hex.
    pub hash: String,
    /// Whether it is the active version.
    pub active: bool,
    /// When it was uploaded.
    pub created: Time,
    /// The sequence number of its `upload_created` event.
    pub created_seq: u64,
    /// Who uploaded it.
    pub actor: String,
    /// Their note.
    pub note: String,
    /// Its metadata (a JSON object), if any.
    pub metadata: Option<serde_json::Value>,
    /// Why breaking drift was accepted, if it was overridden.
    pub override_reason: Option<String>,
    /// The drift against the version active before it.
    pub drift: Option<Drift>,
    /// Its tables.
    pub tables: Vec<Table>,
}

impl Show {
    /// Version `info` of the dataset `dataset` (name and id); `active` says whether it is
    /// the active version.
    pub fn new(dataset: &str, dataset_id: uuid::Uuid, info: &VersionInfo, active: bool) -> Show {
        Show {
            dataset: dataset.to_owned(),
            dataset_id,
            version: info.number,
            hash: info.hash.hex(),
            active,
            created: Time(info.created_micros),
            created_seq: info.created_seq,
            actor: info.actor.clone(),
            note: info.note.clone(),
            metadata: metadata(info.metadata.as_deref()),
            override_reason: info.override_reason.clone(),
            drift: optional_drift(info.drift.as_ref()),
            tables: tables(&info.tables),
        }
    }
}

/// A version by number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRef {
    /// The version.
    pub version: u64,
    /// Its hash, in hex.
    pub hash: String,
}

impl From<&VersionInfo> for VersionRef {
    fn from(v: &VersionInfo) -> VersionRef {
        VersionRef {
            version: v.number,
            hash: v.hash.hex(),
        }
    }
}

/// The drift between two versions, as `diff` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// The dataset's name.
    pub dataset: String,
    /// The old version.
    pub from: VersionRef,
    /// The new version.
    pub to: VersionRef,
    /// The drift from `from` to `to`.
    pub drift: Drift,
}

impl Diff {
    /// The drift `drift` from `from` to `to` of `dataset`.
    pub fn new(dataset: &str, from: &VersionInfo, to: &VersionInfo, drift: &SchemaDrift) -> Diff {
        Diff {
            dataset: dataset.to_owned(),
            from: VersionRef::from(from),
            to: VersionRef::from(to),
            drift: Drift::from(drift),
        }
    }
}

/// A table holding the content `strata find` looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindLine {
    /// The SHA-256 of the content, in hex.
    pub content_hash: String,
    /// The dataset's name.
    pub dataset: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The version.
    pub version: u64,
    /// Whether that version is the active one.
    pub active: bool,
    /// The table's id in the version.
    pub table_id: String,
    /// The table's name.
    pub table: String,
    /// The file name it was uploaded from.
    pub source_file: String,
}

impl FindLine {
    /// A match of the content with this hash.
    pub fn new(hash: &crate::digest::Digest, m: &crate::store::ContentMatch) -> FindLine {
        FindLine {
            content_hash: hash.hex(),
            dataset: m.dataset.clone(),
            dataset_id: m.dataset_id,
            version: m.version,
            active: m.active,
            table_id: m.table_id.clone(),
            table: m.table.clone(),
            source_file: m.source_file.clone(),
        }
    }
}
