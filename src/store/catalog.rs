//! The catalog: everything known about datasets, rebuilt by replaying dataset events.
//!
//! The catalog is a pure projection: `apply` takes an event and its sequence number and
//! updates the state, checking that the event is consistent with what came before. Two
//! catalogs that applied the same events are equal.

use super::event::{ContentHolder, Digest, Event, EventKind, TableRecord};
use crate::error::{Error, Result};
use crate::schema::{Schema, SchemaDrift};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// One version of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// 1, 2, 3... within the dataset.
    pub number: u64,
    /// SHA-256 over the version's tables in canonical order.
    pub hash: Digest,
    /// The tables, in canonical (display name) order.
    pub tables: Vec<TableRecord>,
    /// When it was uploaded (microseconds since the Unix epoch).
    pub created_micros: i64,
    /// Sequence number of its `upload_created` event.
    pub created_seq: u64,
    /// Who uploaded it.
    pub actor: String,
    /// The uploader's note.
    pub note: String,
    /// Version-scoped metadata (a JSON object, as text).
    pub metadata: Option<String>,
    /// Drift against the version active before it.
    pub drift: Option<SchemaDrift>,
    /// Why breaking drift was accepted, if it was overridden.
    pub override_reason: Option<String>,
}

impl VersionInfo {
    /// Total data rows over the version's tables.
    pub fn row_count(&self) -> u64 {
        self.tables.iter().map(|t| t.row_count).sum()
    }

    /// The version's tables as `(display name, schema)` pairs, as drift classification takes.
    pub fn named_schemas(&self) -> Vec<(String, crate::schema::Schema)> {
        self.tables
            .iter()
            .map(|t| (t.name.clone(), Schema::clone(&t.schema)))
            .collect()
    }
}

/// A change of the active version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    /// When (microseconds since the Unix epoch).
    pub micros: i64,
    /// The event's sequence number.
    pub seq: u64,
    /// The version made active.
    pub version: u64,
}

/// One dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Stable id, created at the first upload.
    pub id: Uuid,
    /// Unique human name.
    pub name: String,
    /// Every version, by number (index = number - 1).
    pub versions: Vec<VersionInfo>,
    /// The active version's number.
    pub active: u64,
    /// Every change of the active version, in order.
    pub activations: Vec<Activation>,
    /// Sequence numbers of every event concerning this dataset.
    pub event_seqs: Vec<u64>,
    /// Time of the last event.
    pub updated_micros: i64,
}

impl Dataset {
    /// The version with this number.
    pub fn version(&self, number: u64) -> Option<&VersionInfo> {
        number
            .checked_sub(1)
            .and_then(|i| self.versions.get(i as usize))
    }

    /// The active version.
    pub fn active_version(&self) -> &VersionInfo {
        self.version(self.active)
            .expect("the active version exists (invariant)")
    }

    /// The version active at `micros` (microseconds since the Unix epoch), if the dataset
    /// existed then.
    pub fn version_at(&self, micros: i64) -> Option<u64> {
        let after = self.activations.partition_point(|a| a.micros <= micros);
        after.checked_sub(1).map(|i| self.activations[i].version)
    }

    /// The highest table index used so far, for naming new tables.
    fn next_table_index(&self) -> usize {
        self.versions
            .iter()
            .flat_map(|v| &v.tables)
            .filter_map(|t| t.table_id.strip_prefix("table_")?.parse::<usize>().ok())
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
    }

    /// The stable ids for the tables of a new version: a table keeps the id of the table
    /// with the same display name in the latest version that had one; others get new ids.
    pub fn assign_table_ids(&self, names: &[String]) -> Vec<String> {
        let mut next = self.next_table_index();
        names
            .iter()
            .map(|name| {
                let known = self
                    .versions
                    .iter()
                    .rev()
                    .flat_map(|v| &v.tables)
                    .find(|t| &t.name == name);
                known.map(|t| t.table_id.clone()).unwrap_or_else(|| {
                    next += 1;
                    format!("table_{}", next - 1)
                })
            })
            .collect()
    }
}

/// All datasets, as of a sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    datasets: BTreeMap<Uuid, Dataset>,
    by_name: HashMap<String, Uuid>,
    by_content: HashMap<Digest, Vec<(Uuid, u64)>>,
    /// The sequence number of the last log record applied (dataset event or not).
    pub last_seq: u64,
    /// Number of dataset events applied.
    pub events: u64,
    schemas: SchemaInterner,
}

/// One shared copy of each distinct schema: most versions of a dataset have the schema of
/// the version before, and a catalog of a million versions would otherwise hold a million
/// copies. A cache, so it takes no part in comparisons.
#[derive(Debug, Clone, Default)]
struct SchemaInterner(HashSet<Arc<Schema>>);

impl PartialEq for SchemaInterner {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SchemaInterner {}

impl SchemaInterner {
    fn intern(&mut self, tables: &mut [TableRecord]) {
        for table in tables {
            match self.0.get(&table.schema) {
                Some(shared) => table.schema = Arc::clone(shared),
                None => {
                    self.0.insert(Arc::clone(&table.schema));
                }
            }
        }
    }
}

impl Catalog {
    /// Every dataset, ordered by id.
    pub fn datasets(&self) -> impl Iterator<Item = &Dataset> {
        self.datasets.values()
    }

    /// Number of datasets.
    pub fn len(&self) -> usize {
        self.datasets.len()
    }

    /// Whether there is no dataset.
    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty()
    }

    /// The dataset with this name, or this id (as text).
    pub fn find(&self, name_or_id: &str) -> Option<&Dataset> {
        let id = self
            .by_name
            .get(name_or_id)
            .copied()
            .or_else(|| Uuid::parse_str(name_or_id).ok());
        id.and_then(|id| self.datasets.get(&id))
    }

    /// Like [`Catalog::find`], but an unknown dataset is an error.
    pub fn get(&self, name_or_id: &str) -> Result<&Dataset> {
        self.find(name_or_id).ok_or_else(|| Error::UnknownDataset {
            dataset: name_or_id.to_owned(),
        })
    }

    /// The dataset with this id.
    pub fn by_id(&self, id: &Uuid) -> Option<&Dataset> {
        self.datasets.get(id)
    }

    /// Every dataset and version whose content hash is `hash`.
    pub fn holders_of(&self, hash: &Digest) -> Vec<ContentHolder> {
        self.by_content
            .get(hash)
            .into_iter()
            .flatten()
            .map(|(id, version)| ContentHolder {
                dataset_id: *id,
                dataset_name: self.datasets[id].name.clone(),
                version: *version,
            })
            .collect()
    }

    /// The catalog's contents without its indexes, for a snapshot.
    pub fn image(&self) -> CatalogImage<'_> {
        CatalogImage {
            last_seq: self.last_seq,
            events: self.events,
            datasets: self.datasets.values().collect(),
        }
    }

    /// Rebuilds a catalog (and its indexes) from a snapshot's contents, checking it.
    pub fn from_image(image: OwnedCatalogImage) -> Result<Catalog> {
        let mut catalog = Catalog {
            last_seq: image.last_seq,
            events: image.events,
            ..Catalog::default()
        };
        for mut dataset in image.datasets {
            for version in &mut dataset.versions {
                catalog.schemas.intern(&mut version.tables);
            }
            catalog.by_name.insert(dataset.name.clone(), dataset.id);
            for v in &dataset.versions {
                catalog
                    .by_content
                    .entry(v.hash)
                    .or_default()
                    .push((dataset.id, v.number));
            }
            catalog.datasets.insert(dataset.id, dataset);
        }
        for holders in catalog.by_content.values_mut() {
            holders.sort_by_key(|(id, version)| {
                let ds = &catalog.datasets[id];
                ds.version(*version).map_or(0, |v| v.created_seq)
            });
        }
        catalog.check()?;
        Ok(catalog)
    }

    /// Notes that the log record `seq` is not a dataset event.
    pub fn skip(&mut self, seq: u64) {
        self.last_seq = self.last_seq.max(seq);
    }

    /// Applies the event recorded at `seq`, checking it against the state so far.
    pub fn apply(&mut self, seq: u64, event: &Event) -> Result<()> {
        let bad = |detail: String| {
            Error::Invariant(format!("event {seq} ({}): {detail}", event.kind.name()))
        };
        if seq <= self.last_seq {
            return Err(bad(format!("applied after event {}", self.last_seq)));
        }
        match &event.kind {
            EventKind::UploadCreated { .. } => self.apply_upload(seq, event).map_err(bad)?,
            EventKind::VersionActivated { version, from } => self
                .apply_activation(seq, event, *from, *version)
                .map_err(bad)?,
            EventKind::Rollback { from, to, .. } => {
                self.apply_activation(seq, event, *from, *to).map_err(bad)?
            }
            EventKind::OverwriteBlocked { active, .. } => {
                let dataset = self.dataset_mut(&event.dataset_id).map_err(bad)?;
                if dataset.active != *active {
                    return Err(bad(format!(
                        "says version {active} was active, not {}",
                        dataset.active
                    )));
                }
                dataset.event_seqs.push(seq);
                dataset.updated_micros = event.timestamp_micros;
            }
        }
        self.last_seq = seq;
        self.events += 1;
        Ok(())
    }

    fn dataset_mut(&mut self, id: &Uuid) -> std::result::Result<&mut Dataset, String> {
        self.datasets
            .get_mut(id)
            .ok_or_else(|| format!("unknown dataset {id}"))
    }

    fn apply_upload(&mut self, seq: u64, event: &Event) -> std::result::Result<(), String> {
        let EventKind::UploadCreated {
            dataset_name,
            version,
            hash,
            tables,
            metadata,
            previous_active,
            drift,
            override_reason,
            ..
        } = &event.kind
        else {
            unreachable!("called for uploads only")
        };
        let id = event.dataset_id;
        if !self.datasets.contains_key(&id) {
            if *version != 1 || previous_active.is_some() {
                return Err(format!("creates dataset {id} at version {version}"));
            }
            if self.by_name.contains_key(dataset_name) {
                return Err(format!("dataset name `{dataset_name}` is taken"));
            }
            self.by_name.insert(dataset_name.clone(), id);
            self.datasets.insert(id, new_dataset(id, dataset_name));
        }
        let dataset = self.datasets.get_mut(&id).expect("inserted above");
        let expected = dataset.versions.len() as u64 + 1;
        if *version != expected {
            return Err(format!("adds version {version}, expected {expected}"));
        }
        if *previous_active != (dataset.active > 0).then_some(dataset.active) {
            return Err(format!(
                "says version {previous_active:?} was active, not {}",
                dataset.active
            ));
        }
        if dataset.versions.iter().any(|v| v.hash == *hash) {
            return Err(format!(
                "adds content {} that version already holds",
                hash.short()
            ));
        }
        let mut tables = tables.clone();
        self.schemas.intern(&mut tables);
        dataset.versions.push(VersionInfo {
            number: *version,
            hash: *hash,
            tables,
            created_micros: event.timestamp_micros,
            created_seq: seq,
            actor: event.actor.clone(),
            note: event.note.clone(),
            metadata: metadata.clone(),
            drift: drift.clone(),
            override_reason: override_reason.clone(),
        });
        activate(dataset, seq, event.timestamp_micros, *version);
        self.by_content
            .entry(*hash)
            .or_default()
            .push((id, *version));
        Ok(())
    }

    fn apply_activation(
        &mut self,
        seq: u64,
        event: &Event,
        from: u64,
        to: u64,
    ) -> std::result::Result<(), String> {
        let dataset = self.dataset_mut(&event.dataset_id)?;
        if dataset.active != from {
            return Err(format!(
                "moves from version {from}, but version {} is active",
                dataset.active
            ));
        }
        if dataset.version(to).is_none() || from == to {
            return Err(format!(
                "activates version {to} of {}",
                dataset.versions.len()
            ));
        }
        activate(dataset, seq, event.timestamp_micros, to);
        Ok(())
    }

    /// Checks the catalog's own invariants: every dataset has exactly one active version, and
    /// it exists; names, ids and the content index agree.
    pub fn check(&self) -> Result<()> {
        let fail = |detail: String| Err(Error::Invariant(detail));
        if self.by_name.len() != self.datasets.len() {
            return fail(format!(
                "{} names for {} datasets",
                self.by_name.len(),
                self.datasets.len()
            ));
        }
        for dataset in self.datasets.values() {
            if self.by_name.get(&dataset.name) != Some(&dataset.id) {
                return fail(format!(
                    "dataset {} is not found by its name `{}`",
                    dataset.id, dataset.name
                ));
            }
            if dataset.version(dataset.active).is_none() {
                return fail(format!(
                    "dataset `{}` has no active version ({} is not one of its {})",
                    dataset.name,
                    dataset.active,
                    dataset.versions.len()
                ));
            }
            if dataset.activations.last().map(|a| a.version) != Some(dataset.active) {
                return fail(format!(
                    "dataset `{}`: the last activation is not the active version",
                    dataset.name
                ));
            }
            for (i, v) in dataset.versions.iter().enumerate() {
                let indexed = self
                    .by_content
                    .get(&v.hash)
                    .is_some_and(|h| h.contains(&(dataset.id, v.number)));
                if v.number != i as u64 + 1 || !indexed {
                    return fail(format!(
                        "dataset `{}` version {} is misnumbered or not indexed by content",
                        dataset.name, v.number
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What differs between two catalogs, one line per dataset (or field) that differs.
pub fn differences(a: &Catalog, b: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    if (a.last_seq, a.events) != (b.last_seq, b.events) {
        out.push(format!(
            "sequence/events {}/{} against {}/{}",
            a.last_seq, a.events, b.last_seq, b.events
        ));
    }
    for (id, ds) in &a.datasets {
        match b.datasets.get(id) {
            None => out.push(format!("dataset `{}` ({id}) is only in the first", ds.name)),
            Some(other) if other != ds => out.push(format!(
                "dataset `{}` differs (active {} against {}, {} against {} versions)",
                ds.name,
                ds.active,
                other.active,
                ds.versions.len(),
                other.versions.len()
            )),
            Some(_) => {}
        }
    }
    for (id, ds) in &b.datasets {
        if !a.datasets.contains_key(id) {
            out.push(format!(
                "dataset `{}` ({id}) is only in the second",
                ds.name
            ));
        }
    }
    if out.is_empty() && a != b {
        out.push("the indexes differ".into());
    }
    out
}

/// What a snapshot stores: the catalog without its indexes (they are rebuilt on load).
#[derive(Debug, Serialize)]
pub struct CatalogImage<'a> {
    /// Sequence number of the last log record applied.
    pub last_seq: u64,
    /// Number of dataset events applied.
    pub events: u64,
    /// Every dataset, ordered by id.
    pub datasets: Vec<&'a Dataset>,
}

/// A [`CatalogImage`] read back.
#[derive(Debug, Deserialize)]
pub struct OwnedCatalogImage {
    /// Sequence number of the last log record applied.
    pub last_seq: u64,
    /// Number of dataset events applied.
    pub events: u64,
    /// Every dataset, ordered by id.
    pub datasets: Vec<Dataset>,
}

fn new_dataset(id: Uuid, name: &str) -> Dataset {
    Dataset {
        id,
        name: name.to_owned(),
        versions: Vec::new(),
        active: 0,
        activations: Vec::new(),
        event_seqs: Vec::new(),
        updated_micros: 0,
    }
}

fn activate(dataset: &mut Dataset, seq: u64, micros: i64, version: u64) {
    dataset.active = version;
    dataset.activations.push(Activation {
        micros,
        seq,
        version,
    });
    dataset.event_seqs.push(seq);
    dataset.updated_micros = micros;
}
