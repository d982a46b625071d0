//! Reading: history, time travel, and table bytes of any version.

use super::catalog::{Dataset, VersionInfo, VersionMeta};
use super::event::{Digest, Event, EventKind, TableRecord};
use super::version_ref::{self, VersionRef};
use super::{Store, TableBytesReader, DATASET_EVENT};
use crate::blob::VerifiedReader;
use crate::error::{Error, Result};
use crate::schema::SchemaDrift;
use uuid::Uuid;

/// One version in a dataset's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    /// The version number.
    pub number: u64,
    /// Its content hash.
    pub hash: Digest,
    /// When it was uploaded (microseconds since the Unix epoch).
    pub created_micros: i64,
    /// Who uploaded it.
    pub actor: String,
    /// The uploader's note.
    pub note: String,
    /// Whether it is the active version.
    pub active: bool,
    /// Rows per table, as `(display name, rows)`.
    pub row_counts: Vec<(String, u64)>,
    /// Schema changes against the previous version (by number); `None` for version 1. Read
    /// from the version's event when that version was the one active before it.
    pub changes: Option<SchemaDrift>,
    /// Why breaking drift was accepted, if it was overridden.
    pub override_reason: Option<String>,
}

/// A dataset's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name.
    pub name: String,
    /// Every version, in order.
    pub versions: Vec<VersionSummary>,
    /// Every event concerning the dataset, with its sequence number, in order.
    pub events: Vec<(u64, Event)>,
}

impl Store {
    /// Every version of a dataset with its number, hash, time, actor, note, active marker,
    /// row counts and schema changes against the previous version; and the dataset's events.
    pub fn history(&self, dataset: &str) -> Result<History> {
        let ds = self.catalog().get(dataset)?.clone();
        let mut events = Vec::with_capacity(ds.event_seqs.len());
        for &seq in &ds.event_seqs {
            events.push((seq, self.read_event(seq)?));
        }
        // Each version's details come from its upload event, which is among those just read.
        let infos = ds
            .versions
            .iter()
            .map(|meta| {
                let event = events
                    .binary_search_by_key(&meta.created_seq, |(seq, _)| *seq)
                    .map(|i| events[i].1.clone())
                    .map_err(|_| {
                        Error::invariant_at(meta.created_seq, format!(
                            "version {} of `{}` was created by event {}, which is not one of its events",
                            meta.number, ds.name, meta.created_seq
                        ))
                    })?;
                info_from_event(event, ds.id, &ds.name, meta)
            })
            .collect::<Result<Vec<_>>>()?;
        let versions = infos
            .iter()
            .enumerate()
            .map(|(i, v)| summarize(v, i.checked_sub(1).map(|p| &infos[p]), ds.active))
            .collect();
        Ok(History {
            dataset_id: ds.id,
            name: ds.name.clone(),
            versions,
            events,
        })
    }

    /// Everything about one version, read from its `upload_created` event.
    pub fn version_info(&self, dataset: &Dataset, meta: &VersionMeta) -> Result<VersionInfo> {
        self.version_info_of(dataset.id, &dataset.name, meta)
    }

    /// [`Store::version_info`] for the dataset with this id and name.
    pub(super) fn version_info_of(
        &self,
        dataset_id: Uuid,
        dataset_name: &str,
        meta: &VersionMeta,
    ) -> Result<VersionInfo> {
        let event = self.read_event(meta.created_seq)?;
        info_from_event(event, dataset_id, dataset_name, meta)
    }

    /// Every table of every version of every dataset, from one pass over the log, as
    /// `(dataset name, version number, table)`.
    pub fn all_tables(&self) -> Result<Vec<(String, u64, TableRecord)>> {
        let mut out = Vec::new();
        for item in self.events_from(1) {
            let (_, event) = item?;
            if let EventKind::UploadCreated {
                version, tables, ..
            } = event.kind
            {
                let name = self
                    .catalog()
                    .by_id(&event.dataset_id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                out.extend(tables.into_iter().map(|t| (name.clone(), version, t)));
            }
        }
        Ok(out)
    }

    /// Everything about every version of a dataset, in order.
    pub fn version_infos(&self, dataset: &Dataset) -> Result<Vec<VersionInfo>> {
        dataset
            .versions
            .iter()
            .map(|meta| self.version_info(dataset, meta))
            .collect()
    }

    /// Reads and decodes the dataset event at `seq`.
    pub fn read_event(&self, seq: u64) -> Result<Event> {
        let record = self.log.read(seq)?;
        if record.record_type != DATASET_EVENT {
            return Err(Error::BadEvent {
                position: record.position(),
                detail: format!(
                    "record type {} is not a dataset event",
                    record.record_type.name()
                ),
            });
        }
        Event::decode(&record.body, || record.position())
    }

    /// Every dataset event from `from_seq` on, in log order.
    pub fn events_from(&self, from_seq: u64) -> impl Iterator<Item = Result<(u64, Event)>> + '_ {
        self.log
            .iter_from(from_seq)
            .filter_map(|record| match record {
                Err(e) => Some(Err(e.into())),
                Ok(r) if r.record_type == DATASET_EVENT => {
                    Some(Event::decode(&r.body, || r.position()).map(|e| (r.seq, e)))
                }
                Ok(_) => None,
            })
    }

    /// Every record from `from_seq` on, in log order: the dataset events, the query runs and
    /// the log's own records (seals, torn-tail cuts, repairs), so that a reader of the audit
    /// trail sees every sequence number and what took it. Records of application types this build does
    /// not define are left out (replay refuses them where this build could have written
    /// them).
    pub fn entries_from(
        &self,
        from_seq: u64,
    ) -> impl Iterator<Item = Result<(u64, LogEntry)>> + '_ {
        self.log
            .iter_from(from_seq)
            .filter_map(|record| match record {
                Err(e) => Some(Err(e.into())),
                Ok(r) if r.record_type == DATASET_EVENT => Some(
                    Event::decode(&r.body, || r.position()).map(|e| (r.seq, LogEntry::Event(e))),
                ),
                Ok(r) if r.record_type == super::QUERY_RUN => Some(
                    super::QueryRun::decode(&r.body, || r.position())
                        .map(|q| (r.seq, LogEntry::QueryRun(q))),
                ),
                Ok(r) if r.record_type.is_system() => Some(Ok((
                    r.seq,
                    LogEntry::System(SystemRecord {
                        record_type: r.record_type,
                        timestamp_micros: r.timestamp_micros,
                        body: crate::inspect::system_body(r.record_type, &r.body),
                    }),
                ))),
                Ok(_) => None,
            })
    }

    /// The number of the version `version` names in `dataset` (a number, a hash prefix,
    /// `active`, or a time: the version active then).
    pub fn resolve_version(&self, dataset: &str, version: &VersionRef) -> Result<u64> {
        let catalog = self.catalog();
        version_ref::resolve(catalog.get(dataset)?, version)
    }

    /// Splits `NAME[@VERSION]` into the dataset and the version ([`VersionRef::Active`] when
    /// none is given). A name that is itself a dataset's name wins, so names containing `@`
    /// still work.
    pub fn parse_target(&self, target: &str) -> Result<(String, VersionRef)> {
        if self.catalog().find(target).is_some() {
            return Ok((target.to_string(), VersionRef::Active));
        }
        match target.rsplit_once('@') {
            Some((name, version)) if !name.is_empty() => {
                Ok((name.to_string(), version.parse::<VersionRef>()?))
            }
            _ => Ok((target.to_string(), VersionRef::Active)),
        }
    }

    /// A copy of a version's record.
    pub fn version(&self, dataset: &str, version: &VersionRef) -> Result<VersionInfo> {
        // Copies only what reading the event needs, not the dataset's whole history.
        let (id, name, meta) = {
            let catalog = self.catalog();
            let ds = catalog.get(dataset)?;
            let number = version_ref::resolve(ds, version)?;
            (
                ds.id,
                ds.name.clone(),
                *ds.version(number).expect("resolved"),
            )
        };
        self.version_info_of(id, &name, &meta)
    }

    /// Opens a table of a version for reading. `table` is a display name or a table id; it may
    /// be omitted when the version has one table. The reader verifies the bytes against the
    /// table's hash as they stream and fails at the end if they do not match.
    pub fn open_table(
        &self,
        dataset: &str,
        version: &VersionRef,
        table: Option<&str>,
    ) -> Result<(TableRecord, VerifiedReader<TableBytesReader>)> {
        let v = self.version(dataset, version)?;
        let record = v.table(dataset, table)?.clone();
        let reader = self.table_bytes_reader(&record.content_hash)?;
        Ok((record, reader))
    }
}

/// The details of version `meta` from `event`, which must be its `upload_created` event.
fn info_from_event(
    event: Event,
    dataset_id: Uuid,
    dataset_name: &str,
    meta: &VersionMeta,
) -> Result<VersionInfo> {
    let mismatch = || {
        Error::invariant_at(
            meta.created_seq,
            format!(
                "event {} is not the upload of version {} of `{dataset_name}`",
                meta.created_seq, meta.number
            ),
        )
    };
    if event.dataset_id != dataset_id {
        return Err(mismatch());
    }
    match event.kind {
        EventKind::UploadCreated {
            version,
            hash,
            tables,
            metadata,
            drift,
            override_reason,
            previous_active,
            ..
        } if version == meta.number && hash == meta.hash => Ok(VersionInfo {
            number: version,
            hash,
            tables,
            created_micros: meta.created_micros,
            created_seq: meta.created_seq,
            actor: event.actor,
            note: event.note,
            metadata,
            previous_active,
            drift,
            override_reason,
        }),
        _ => Err(mismatch()),
    }
}

fn summarize(v: &VersionInfo, previous: Option<&VersionInfo>, active: u64) -> VersionSummary {
    VersionSummary {
        number: v.number,
        hash: v.hash,
        created_micros: v.created_micros,
        actor: v.actor.clone(),
        note: v.note.clone(),
        active: v.number == active,
        row_counts: v
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.row_count))
            .collect(),
        changes: previous.map(|p| v.drift_from(p)),
        override_reason: v.override_reason.clone(),
    }
}

/// One record of the log, as [`Store::entries_from`] gives it.
// One value per record read, consumed at once: boxing the event would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum LogEntry {
    /// A dataset event.
    Event(Event),
    /// A query run (record type `0x0102`).
    QueryRun(super::QueryRun),
    /// One of the log's own records.
    System(SystemRecord),
}

/// A record of the log itself: a seal, a torn-tail cut or a repair.
#[derive(Debug, Clone)]
pub struct SystemRecord {
    /// Its type.
    pub record_type: crate::format::RecordType,
    /// Its append time (microseconds since the Unix epoch).
    pub timestamp_micros: i64,
    /// Its decoded body.
    pub body: crate::inspect::RecordBody,
}

impl SystemRecord {
    /// `seal`, `torn_cut` or `repair` (`system` for a type this build does not define).
    pub fn type_name(&self) -> &'static str {
        match self.record_type {
            crate::format::RecordType::SEAL => "seal",
            crate::format::RecordType::TORN_CUT => "torn_cut",
            crate::format::RecordType::REPAIR => "repair",
            _ => "system",
        }
    }
}
