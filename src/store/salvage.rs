//! Re-appending what a repair cut: the valid dataset events found in the salvage folder after
//! the damage, appended again as new events (each marked `salvaged_from`, pointing at where
//! it was first recorded), so that no acknowledged upload disappears from the catalog
//! because one record before it was damaged. An explicit step after `repair`, never implicit.
//!
//! Each event is translated to what it means in the log as the repair left it: an upload is a
//! new version (numbered after the versions the dataset has now, its drift classified against
//! the version active now), a rollback or re-activation names the version its target became,
//! a refusal names the version active now, a `policy_set` names the rule set now. What no
//! longer means anything (a rollback to a version that is gone, an upload whose table bytes
//! are nowhere) is dropped, with the reason; the log's own records (seals, checkpoints, torn
//! cuts, repairs) are never re-appended. The report lists both, record by record.

use super::catalog::{named_schemas, Catalog, Dataset};
use super::event::{Event, EventKind, SalvagedFrom, DATASET_EVENT};
use super::names::OsAccount;
use super::Store;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::format::{
    decode_table_bytes, parse_segment_file_name, valid_records, RecordType, RepairBody,
    SEGMENT_HEADER_LEN, TABLE_BYTES,
};
use crate::schema::classify_drift;
use std::collections::HashMap;
use std::path::PathBuf;
use uuid::Uuid;

/// What [`Store::reappend_salvaged`] did, record by record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalvageReport {
    /// The repair whose cut was salvaged: its record's sequence number.
    pub repair_seq: u64,
    /// The folder the records were read from.
    pub salvage_dir: PathBuf,
    /// The events appended again, in order.
    pub reappended: Vec<Reappended>,
    /// The valid records not appended again, with the reason, in order.
    pub dropped: Vec<Dropped>,
    /// Records already appended again by an earlier run (found by their `salvaged_from`).
    pub already_reappended: usize,
    /// What failed after the events were committed (the invariant check, the automatic
    /// snapshot); the events stand.
    pub post_commit_warnings: Vec<String>,
}

/// One event appended again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reappended {
    /// Where it was first recorded.
    pub from: SalvagedFrom,
    /// When it was first recorded (microseconds since the Unix epoch).
    pub first_recorded_micros: i64,
    /// The new event's sequence number.
    pub seq: u64,
    /// The new event's type (`upload_created`, `rollback`, ...).
    pub event_type: &'static str,
    /// The dataset's name; `None` for the store's own rule.
    pub dataset: Option<String>,
    /// What it records now, for people (``version 3 of `d` (first recorded as version 4)``).
    pub detail: String,
}

/// One valid record not appended again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Where it was recorded.
    pub from: SalvagedFrom,
    /// Its record type's name (`dataset_event`, `checkpoint`, ...), or its event type.
    pub what: String,
    /// Why it was not appended again.
    pub reason: String,
}

/// A valid record read from the salvage folder.
struct Found {
    from: SalvagedFrom,
    micros: i64,
    record_type: RecordType,
    body: Vec<u8>,
}

/// What an event means now (its kind and a line for people), or why it means nothing now.
type Meaning = std::result::Result<(EventKind, String), String>;

/// What one salvaged event becomes.
enum Translation {
    /// Append `event` (after the `table_bytes` records of `tables`).
    Append {
        event: Box<Event>,
        tables: Vec<(Digest, Vec<u8>)>,
        detail: String,
    },
    /// Do not append it, for this reason.
    Drop(String),
}

impl Store {
    /// Appends again the dataset events that the repair recorded at `repair_seq` cut and that
    /// are still whole in its salvage folder (see the module documentation), in one commit.
    /// Running it again appends nothing twice: events already appended again (after
    /// `repair_seq`, with a matching `salvaged_from`) are skipped.
    ///
    /// Returns `Err` only if nothing was committed: `repair_seq` is not a repair record, the
    /// salvage folder cannot be read, or the commit failed.
    pub fn reappend_salvaged(&self, repair_seq: u64) -> Result<SalvageReport> {
        let (body, salvage_dir) = self.repair_at(repair_seq)?;
        let found = self.salvaged_records(&body, &salvage_dir)?;
        let done = self.already_reappended(repair_seq)?;
        let mut report = SalvageReport {
            repair_seq,
            salvage_dir,
            reappended: Vec::new(),
            dropped: Vec::new(),
            already_reappended: 0,
            post_commit_warnings: Vec::new(),
        };
        let mut writer = self.lock_writer()?;
        let mut catalog = self.catalog_mut();
        self.catch_up(&mut catalog)?;
        let mut state = Renumbering::new(&catalog, repair_seq);
        let mut inline: HashMap<Digest, Vec<u8>> = HashMap::new();
        for record in found {
            if let Some(&seq) = done.get(&record.from) {
                report.already_reappended += 1;
                self.renumbered_before(&mut state, &record, seq)?;
                continue;
            }
            if record.record_type == TABLE_BYTES {
                if let Ok((head, bytes)) = decode_table_bytes(&record.body) {
                    inline.insert(Digest(head.hash), bytes.to_vec());
                }
                continue;
            }
            let mut step = Step {
                writer: &mut writer,
                catalog: &mut catalog,
                state: &mut state,
                inline: &inline,
            };
            match self.salvage_one(&mut step, &record)? {
                Ok(done) => report.reappended.push(done),
                Err(dropped) => report.dropped.push(dropped),
            }
        }
        drop(catalog);
        if !report.reappended.is_empty() {
            writer.commit()?;
            report.post_commit_warnings = self.after_commit();
        }
        Ok(report)
    }

    /// Appends again the salvaged dataset event `record` as what it means now, or says why
    /// it is not (a record that is not a dataset event, or means nothing now).
    fn salvage_one(
        &self,
        step: &mut Step<'_, '_>,
        record: &Found,
    ) -> Result<std::result::Result<Reappended, Dropped>> {
        let dropped = |what: &str, reason: String| {
            Ok(Err(Dropped {
                from: record.from,
                what: what.into(),
                reason,
            }))
        };
        if record.record_type != DATASET_EVENT {
            return Ok(Err(not_an_event(record)));
        }
        let event = match Event::decode(&record.body, || self.salvaged_position(record)) {
            Ok(event) => event,
            Err(e) => return dropped("dataset_event", format!("it does not decode ({e})")),
        };
        let what = event.kind.name();
        let time = step.writer.commit_micros();
        let translation = self.translate(
            step.catalog,
            step.state,
            step.inline,
            event,
            record.from,
            time,
        )?;
        let (event, tables, detail) = match translation {
            Translation::Drop(reason) => return dropped(what, reason),
            Translation::Append {
                event,
                tables,
                detail,
            } => (event, tables, detail),
        };
        let seq = self.append_with_tables(step.writer, step.catalog, &tables, &event)?;
        Ok(Ok(Reappended {
            from: record.from,
            first_recorded_micros: record.micros,
            seq,
            event_type: event.kind.name(),
            dataset: step
                .catalog
                .by_id(&event.dataset_id)
                .map(|d| d.name.clone()),
            detail,
        }))
    }

    /// The repair record at `seq` and its salvage folder.
    fn repair_at(&self, seq: u64) -> Result<(RepairBody, PathBuf)> {
        let record = self.log.read(seq)?;
        let not_repair = || {
            Error::InvalidRequest(format!(
                "record {seq} is a {} record, not a repair record",
                record.record_type.name()
            ))
        };
        if record.record_type != RecordType::REPAIR {
            return Err(not_repair());
        }
        let body = RepairBody::decode(&record.body).map_err(|_| not_repair())?;
        let dir = crate::paths::StorePaths::new(self.dir())
            .log_dir()
            .join(&body.salvage_dir);
        Ok((body, dir))
    }

    /// Every valid record in the salvage folder, in sequence order: those of the damaged
    /// segment's tail copy (after the damage) and of the segments moved out whole.
    fn salvaged_records(&self, body: &RepairBody, dir: &std::path::Path) -> Result<Vec<Found>> {
        let io = self.log.io();
        let mut tail = None;
        let mut whole = Vec::new();
        for entry in io.list_dir(dir)? {
            let name = entry.name.to_string_lossy().into_owned();
            match name.rsplit_once(".from-") {
                Some((_, offset)) => tail = Some((dir.join(&name), offset.parse::<u64>().ok())),
                None => {
                    if let Some(base) = parse_segment_file_name(&name) {
                        whole.push((base, dir.join(&name)));
                    }
                }
            }
        }
        whole.sort();
        let mut found = Vec::new();
        if let Some((path, Some(offset))) = tail {
            let bytes = io.read(&path)?;
            collect(&mut found, &bytes, 0, body.segment_number, offset);
        }
        // The segments after the damaged one (or from it, if its header was the damage).
        let first = body.segment_number + u64::from(body.offset != 0);
        for (k, (_, path)) in whole.iter().enumerate() {
            let bytes = io.read(path)?;
            collect(&mut found, &bytes, SEGMENT_HEADER_LEN, first + k as u64, 0);
        }
        found.sort_by_key(|f| f.from.seq);
        found.dedup_by_key(|f| f.from.seq);
        Ok(found)
    }

    /// The origins of the events appended again after the repair at `repair_seq`, with the
    /// sequence number each has now.
    fn already_reappended(&self, repair_seq: u64) -> Result<HashMap<SalvagedFrom, u64>> {
        let mut done = HashMap::new();
        for item in self.events_from(repair_seq + 1) {
            let (seq, event) = item?;
            if let Some(from) = event.salvaged_from {
                done.insert(from, seq);
            }
        }
        Ok(done)
    }

    /// Notes the number an upload an earlier run appended again (as the event at `seq`) was
    /// given, so that later events naming its first number find it.
    fn renumbered_before(&self, state: &mut Renumbering, record: &Found, seq: u64) -> Result<()> {
        if record.record_type != DATASET_EVENT {
            return Ok(());
        }
        let Ok(original) = Event::decode(&record.body, || self.salvaged_position(record)) else {
            return Ok(());
        };
        let now = self.read_event(seq)?;
        let number_now = match now.kind {
            EventKind::UploadCreated { version, .. } => version,
            EventKind::Rollback { to, .. } => to,
            _ => return Ok(()),
        };
        if let EventKind::UploadCreated { version, .. } = original.kind {
            state
                .renumbered
                .insert((original.dataset_id, version), number_now);
        }
        Ok(())
    }

    fn salvaged_position(&self, record: &Found) -> crate::log::Position {
        crate::log::Position::new(
            format!("salvaged segment {}", record.from.segment_number),
            record.from.segment_number,
            record.from.offset,
            record.from.seq,
        )
    }

    /// What `event`, first recorded at `from`, becomes in the log as it is now.
    fn translate(
        &self,
        catalog: &Catalog,
        state: &mut Renumbering,
        inline: &HashMap<Digest, Vec<u8>>,
        original: Event,
        from: SalvagedFrom,
        time: i64,
    ) -> Result<Translation> {
        let id = original.dataset_id;
        let dataset = catalog.by_id(&id);
        let (kind, detail) = match (&original.kind, dataset) {
            (EventKind::UploadCreated { .. }, _) => {
                match self.translate_upload(catalog, state, &original)? {
                    Ok(done) => done,
                    Err(reason) => return Ok(Translation::Drop(reason)),
                }
            }
            (EventKind::PolicySet { rule, .. }, _) if id.is_nil() => {
                let previous = catalog.store_policy().map(|e| e.rule);
                if previous == Some(*rule) {
                    return Ok(Translation::Drop(format!("the store's rule is {rule} already")));
                }
                let kind = EventKind::PolicySet { rule: *rule, previous };
                (kind, format!("the store's drift policy set to {rule}"))
            }
            (_, None) => {
                return Ok(Translation::Drop(format!(
                    "dataset {id} is not in the log: the record that created it was cut and not appended again"
                )))
            }
            (EventKind::VersionActivated { version: to, .. } | EventKind::Rollback { to, .. }, Some(ds)) => {
                match self.translate_activation(state, ds, *to)? {
                    Ok(done) => done,
                    Err(reason) => return Ok(Translation::Drop(reason)),
                }
            }
            (EventKind::OverwriteBlocked { .. }, Some(ds)) => {
                let mut kind = original.kind.clone();
                if let EventKind::OverwriteBlocked { active, .. } = &mut kind {
                    *active = ds.active;
                }
                let detail = format!("the refused overwrite of `{}` (version {} stays active)", ds.name, ds.active);
                (kind, detail)
            }
            (EventKind::PolicySet { rule, .. }, Some(ds)) => {
                let previous = catalog.dataset_policy(&id).map(|e| e.rule);
                if previous == Some(*rule) {
                    return Ok(Translation::Drop(format!("the rule of `{}` is {rule} already", ds.name)));
                }
                let kind = EventKind::PolicySet { rule: *rule, previous };
                (kind, format!("the drift policy of `{}` set to {rule}", ds.name))
            }
        };
        let tables = match &kind {
            EventKind::UploadCreated { tables, .. } => {
                match missing_bytes(self, catalog, inline, tables) {
                    Ok(tables) => tables,
                    Err(reason) => return Ok(Translation::Drop(reason)),
                }
            }
            _ => Vec::new(),
        };
        if let EventKind::UploadCreated { version, .. } = &kind {
            state
                .renumbered
                .insert((id, original_version(&original)), *version);
        }
        let event = Event {
            timestamp_micros: time,
            kind,
            // Who acted is who acted first; an event of encoding 1 had no account, so the
            // repairing process's stands in (the repair record says who repaired).
            os_account: original
                .os_account
                .clone()
                .or_else(|| Some(OsAccount::current())),
            salvaged_from: Some(from),
            ..original
        };
        Ok(Translation::Append {
            event: Box::new(event),
            tables,
            detail,
        })
    }

    /// An upload as a new version of its dataset now (or a re-activation of the version that
    /// holds its content, or the first version of a dataset whose creation was cut).
    fn translate_upload(
        &self,
        catalog: &Catalog,
        state: &mut Renumbering,
        original: &Event,
    ) -> Result<Meaning> {
        let EventKind::UploadCreated {
            dataset_name,
            version: first_number,
            hash,
            tables,
            warnings,
            ..
        } = &original.kind
        else {
            unreachable!("called for uploads only")
        };
        let id = original.dataset_id;
        let Some(ds) = catalog.by_id(&id) else {
            if let Some(other) = catalog.find(dataset_name) {
                return Ok(Err(format!(
                    "the record that created dataset `{dataset_name}` was cut, and the name is now dataset {}'s",
                    other.id
                )));
            }
            let kind = new_version_kind(&original.kind, 1, None, None, warnings);
            let detail = format!(
                "version 1 of `{dataset_name}` (first recorded as version {first_number}; the versions before it were cut)"
            );
            return Ok(Ok((kind, detail)));
        };
        if let Some(existing) = ds.versions.iter().find(|v| v.hash == *hash) {
            state
                .renumbered
                .insert((id, *first_number), existing.number);
            return self.translate_activation(state, ds, *first_number);
        }
        let number = ds.versions.len() as u64 + 1;
        let active = self.version_info(ds, ds.active_version())?;
        let drift = classify_drift(&active.named_schemas(), &named_schemas(tables));
        let kind = new_version_kind(
            &original.kind,
            number,
            Some(ds.active),
            Some(drift),
            warnings,
        );
        let detail = format!(
            "version {number} of `{}` (first recorded as version {first_number})",
            ds.name
        );
        Ok(Ok((kind, detail)))
    }

    /// A rollback (or re-activation) to what was version `to` when it was recorded: a
    /// `rollback` to the version that is now, from the version active now.
    fn translate_activation(&self, state: &Renumbering, ds: &Dataset, to: u64) -> Result<Meaning> {
        let Some(now) = state.number_now(ds, to) else {
            return Ok(Err(format!(
                "it made version {to} of `{}` active, and that version was cut and not appended again",
                ds.name
            )));
        };
        if now == ds.active {
            return Ok(Err(format!(
                "version {now} of `{}` is active already",
                ds.name
            )));
        }
        let current = self.version_info(ds, ds.active_version())?;
        let target = self.version_info(ds, ds.version(now).expect("numbered"))?;
        let warnings = super::rollback::rollback_warnings(&current, &target);
        let kind = EventKind::Rollback {
            from: ds.active,
            to: now,
            warnings,
        };
        let detail = format!(
            "`{}` back to version {now} (was version {}; first recorded as version {to})",
            ds.name, ds.active
        );
        Ok(Ok((kind, detail)))
    }
}

/// What appending one salvaged event again works with, under the writer lock.
struct Step<'w, 'g> {
    writer: &'w mut crate::log::WriterGuard<'g>,
    catalog: &'w mut Catalog,
    state: &'w mut Renumbering,
    inline: &'w HashMap<Digest, Vec<u8>>,
}

/// How the versions of each dataset were numbered when first recorded, against now: those
/// the repair left keep their numbers; those appended again get the next ones.
struct Renumbering {
    /// Each dataset's version count before anything was appended again.
    kept: HashMap<Uuid, u64>,
    /// (dataset, number when first recorded) → number now, for versions appended again.
    renumbered: HashMap<(Uuid, u64), u64>,
}

impl Renumbering {
    /// The numbering as the repair recorded at `repair_seq` left it: the versions created
    /// before that record keep their numbers.
    fn new(catalog: &Catalog, repair_seq: u64) -> Renumbering {
        let kept = |d: &Dataset| {
            d.versions
                .iter()
                .filter(|v| v.created_seq < repair_seq)
                .count()
        };
        Renumbering {
            kept: catalog.datasets().map(|d| (d.id, kept(d) as u64)).collect(),
            renumbered: HashMap::new(),
        }
    }

    /// The number now of what was version `first` of `ds` when it was recorded.
    fn number_now(&self, ds: &Dataset, first: u64) -> Option<u64> {
        let kept = self.kept.get(&ds.id).copied().unwrap_or(0);
        if first <= kept {
            return Some(first);
        }
        self.renumbered.get(&(ds.id, first)).copied()
    }
}

fn original_version(event: &Event) -> u64 {
    match event.kind {
        EventKind::UploadCreated { version, .. } => version,
        _ => 0,
    }
}

/// `kind` (an `upload_created`) as version `number`, after `previous_active`, with `drift`.
fn new_version_kind(
    kind: &EventKind,
    number: u64,
    previous: Option<u64>,
    new_drift: Option<crate::schema::SchemaDrift>,
    warnings: &[String],
) -> EventKind {
    let mut kind = kind.clone();
    if let EventKind::UploadCreated {
        version,
        previous_active,
        drift,
        warnings: kept,
        ..
    } = &mut kind
    {
        *version = number;
        *previous_active = previous;
        *drift = new_drift;
        *kept = warnings.to_vec();
    }
    kind
}

/// The `table_bytes` records an upload appended again needs: the content of its tables that
/// the store holds nowhere now (neither in a blob file nor inside the log), from the salvaged
/// records; a table whose bytes are in neither is a reason to drop the upload.
fn missing_bytes(
    store: &Store,
    catalog: &Catalog,
    inline: &HashMap<Digest, Vec<u8>>,
    tables: &[super::event::TableRecord],
) -> std::result::Result<Vec<(Digest, Vec<u8>)>, String> {
    let mut needed: Vec<(Digest, Vec<u8>)> = Vec::new();
    for table in tables {
        let hash = table.content_hash;
        if store.holds_table_bytes(catalog, &hash) || needed.iter().any(|(h, _)| *h == hash) {
            continue;
        }
        match inline.get(&hash) {
            Some(bytes) => needed.push((hash, bytes.clone())),
            None => {
                return Err(format!(
                "the bytes of its table `{}` ({}) are in no blob file and in no salvaged record",
                table.name,
                hash.short()
            ))
            }
        }
    }
    Ok(needed)
}

/// The valid records of `bytes` from `start`, found in segment `segment_number`, whose offset
/// there is `base_offset` plus their offset in `bytes`.
fn collect(
    found: &mut Vec<Found>,
    bytes: &[u8],
    start: usize,
    segment_number: u64,
    base_offset: u64,
) {
    for record in valid_records(bytes, start) {
        found.push(Found {
            from: SalvagedFrom {
                segment_number,
                offset: base_offset + record.offset as u64,
                seq: record.header.seq,
            },
            micros: record.header.timestamp_micros,
            record_type: record.header.record_type,
            body: record.body.to_vec(),
        });
    }
}

/// Why a record that is not a dataset event is not appended again.
fn not_an_event(record: &Found) -> Dropped {
    let reason = match record.record_type {
        RecordType::CHECKPOINT => {
            "a checkpoint commits to the tree as it was; the next checkpoint covers what is appended again"
        }
        RecordType::SEAL => "a seal belongs to the segment it closed",
        RecordType::REPAIR | RecordType::TORN_CUT => "the log's own record of an earlier cut",
        _ => "this build appends only dataset events again",
    };
    Dropped {
        from: record.from,
        what: record.record_type.name().to_string(),
        reason: reason.into(),
    }
}
