//! The catalog: which datasets exist, their versions, and which version of each is active,
//! rebuilt by replaying dataset events.
//!
//! The catalog is a pure projection of the events' heads ([`EventHead`]): `apply` takes the
//! head of an event and its sequence number and updates the state, checking the event against
//! what came before. Two catalogs that applied the same events are equal. It keeps only what
//! identifies versions and activations (about 100 bytes per version), so that replay and
//! snapshots stay cheap with millions of events; everything else about a version (tables,
//! schemas, actor, note, metadata, drift) is read from its `upload_created` event in the log
//! when asked for ([`VersionInfo`]).

use super::event::{ContentHolder, Digest, EventHead, KindHead, TableRecord};
use crate::error::{Error, Result};
use crate::schema::{DriftRule, Schema, SchemaDrift};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// What the catalog keeps about one version.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMeta {
    /// 1, 2, 3... within the dataset.
    pub number: u64,
    /// SHA-256 over the version's tables in canonical order.
    pub hash: Digest,
    /// Sequence number of its `upload_created` event (where the rest of it is).
    pub created_seq: u64,
    /// When it was uploaded (microseconds since the Unix epoch).
    pub created_micros: i64,
}

/// Everything about one version, read from its `upload_created` event.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The version active before it (none for version 1).
    pub previous_active: Option<u64>,
    /// Drift against the version active before it, as classified when it was uploaded.
    pub drift: Option<SchemaDrift>,
    /// Why breaking drift was accepted, if it was overridden.
    pub override_reason: Option<String>,
}

impl VersionInfo {
    /// The table `table` names (display name or table id), or the only table when `table` is
    /// `None`; an [`Error::InvalidRequest`] naming `dataset` and the tables there are
    /// otherwise.
    pub fn table(&self, dataset: &str, table: Option<&str>) -> Result<&TableRecord> {
        let found = match table {
            Some(name) => self
                .tables
                .iter()
                .find(|t| t.name == name || t.table_id == name),
            None if self.tables.len() == 1 => self.tables.first(),
            None => None,
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = self.tables.iter().map(|t| t.name.as_str()).collect();
            Error::InvalidRequest(match table {
                Some(name) => format!(
                    "version {} of `{dataset}` has no table `{name}`; its tables are {}",
                    self.number,
                    names.join(", ")
                ),
                None => format!(
                    "version {} of `{dataset}` has {} tables ({}); name one",
                    self.number,
                    names.len(),
                    names.join(", ")
                ),
            })
        })
    }

    /// Total data rows over the version's tables.
    pub fn row_count(&self) -> u64 {
        self.tables.iter().map(|t| t.row_count).sum()
    }

    /// The drift from `old` to this version: the one stored in this version's event when
    /// `old` was the version active before it (no recomputation, whatever the width),
    /// classified anew otherwise.
    pub fn drift_from(&self, old: &VersionInfo) -> SchemaDrift {
        match &self.drift {
            Some(stored) if self.previous_active == Some(old.number) => stored.clone(),
            _ => crate::schema::classify_drift(&old.named_schemas(), &self.named_schemas()),
        }
    }

    /// The version's schemas as query validation takes them, borrowing `hash_hex` (this
    /// version's hash in hex, which the caller keeps).
    pub fn schemas<'a>(&'a self, hash_hex: &'a str) -> crate::query::VersionSchemas<'a> {
        version_schemas(self.number, hash_hex, &self.tables)
    }

    /// The version's tables as `(display name, schema)` pairs, as drift classification takes.
    pub fn named_schemas(&self) -> Vec<(String, Schema)> {
        named_schemas(&self.tables)
    }
}

/// `tables` as `(display name, schema)` pairs, as drift classification takes.
pub(crate) fn named_schemas(tables: &[TableRecord]) -> Vec<(String, Schema)> {
    tables
        .iter()
        .map(|t| (t.name.clone(), Schema::clone(&t.schema)))
        .collect()
}

/// The schemas of version `number` (hash `hash_hex`, in hex) with `tables`, as query
/// validation takes them.
pub(crate) fn version_schemas<'a>(
    number: u64,
    hash_hex: &'a str,
    tables: &'a [TableRecord],
) -> crate::query::VersionSchemas<'a> {
    crate::query::VersionSchemas {
        number,
        hash_hex,
        tables: tables
            .iter()
            .map(|t| crate::query::TableRef {
                table_id: &t.table_id,
                display_name: &t.name,
                schema: &t.schema,
            })
            .collect(),
    }
}

/// A change of the active version.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    /// When (microseconds since the Unix epoch): the event's time, or the previous
    /// activation's if that is later, so that a dataset's activation times never decrease
    /// and time travel can binary-search them. Only a format-1 log can hold an event whose
    /// time steps back (from format 2 on, append times never go back).
    pub micros: i64,
    /// The event's sequence number.
    pub seq: u64,
    /// The version made active.
    pub version: u64,
}

/// One dataset.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Stable id, created at the first upload.
    pub id: Uuid,
    /// Unique human name.
    pub name: String,
    /// Every version, by number (index = number - 1).
    pub versions: Vec<VersionMeta>,
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
    pub fn version(&self, number: u64) -> Option<&VersionMeta> {
        number
            .checked_sub(1)
            .and_then(|i| self.versions.get(i as usize))
    }

    /// The active version.
    pub fn active_version(&self) -> &VersionMeta {
        self.version(self.active)
            .expect("the active version exists (invariant)")
    }

    /// The version active at `micros` (microseconds since the Unix epoch), if the dataset
    /// existed then: the last activation at or before `micros`. Activation times are the
    /// running maximum of the events' times ([`Activation::micros`]), so the search runs over
    /// a non-decreasing sequence even when a format-1 log's clock stepped back.
    pub fn version_at(&self, micros: i64) -> Option<u64> {
        let after = self.activations.partition_point(|a| a.micros <= micros);
        after.checked_sub(1).map(|i| self.activations[i].version)
    }
}

/// A fast hasher for keys that are already uniformly random (SHA-256 prefixes, random UUIDs):
/// it folds the key's bytes with a multiply-rotate step (as FxHash does) instead of running
/// SipHash, which costs more than everything else replay does per event. The keys are
/// produced by this program (hashes, v4 UUIDs), not chosen by an adversary.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FoldHasher(u64);

impl std::hash::Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FoldHasher>>;

/// Content hash → the datasets and versions holding it. Keyed by the hash's first eight
/// bytes (a full key would cost 32 bytes a version); every candidate is checked against the
/// version's full hash, so a prefix collision never gives a wrong answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ContentIndex {
    /// The first holder of each prefix: (dataset index, version number).
    first: FastMap<u64, (u32, u64)>,
    /// Further holders of a prefix (rare: duplicate content, or prefix collisions).
    more: FastMap<u64, Vec<(u32, u64)>>,
}

fn prefix(hash: &Digest) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&hash.0[..8]);
    u64::from_le_bytes(b)
}

impl ContentIndex {
    fn insert(&mut self, hash: &Digest, holder: (u32, u64)) {
        let key = prefix(hash);
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(key).or_default().push(holder)
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(holder);
            }
        }
    }

    fn candidates(&self, hash: &Digest) -> impl Iterator<Item = (u32, u64)> + '_ {
        let key = prefix(hash);
        self.first
            .get(&key)
            .copied()
            .into_iter()
            .chain(self.more.get(&key).into_iter().flatten().copied())
    }
}

/// A drift rule set by a `policy_set` event, as the catalog keeps it.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots", catalog
/// encoding 3), so reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEntry {
    /// The dataset it is set for; the nil UUID for the store's own rule.
    pub dataset_id: Uuid,
    /// The rule.
    pub rule: DriftRule,
    /// The sequence number of the `policy_set` event that set it.
    pub seq: u64,
    /// When it was set (microseconds since the Unix epoch).
    pub micros: i64,
}

impl PolicyEntry {
    /// Whether this is the store's rule rather than one dataset's.
    pub fn is_store_wide(&self) -> bool {
        self.dataset_id.is_nil()
    }
}

/// Where the rule in force for a dataset comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    /// No `policy_set` event applies: [`DriftRule::DEFAULT`].
    Default,
    /// The store's rule, set by the event at this sequence number.
    Store {
        /// The `policy_set` event's sequence number.
        seq: u64,
    },
    /// The dataset's own rule, set by the event at this sequence number.
    Dataset {
        /// The `policy_set` event's sequence number.
        seq: u64,
    },
}

/// The drift rule that decides an upload, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyInForce {
    /// The rule.
    pub rule: DriftRule,
    /// Where it is set.
    pub source: PolicySource,
}

/// The rules set by `policy_set` events: the store's, and each dataset's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Policies {
    store: Option<PolicyEntry>,
    datasets: FastMap<Uuid, PolicyEntry>,
}

/// All datasets, as of a sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// In order of creation.
    datasets: Vec<Dataset>,
    by_id: FastMap<Uuid, u32>,
    by_name: HashMap<String, u32>,
    by_content: ContentIndex,
    /// Table content stored inside the log: content hash → the sequence number of the first
    /// `table_bytes` record holding it. Content not here lives in a blob file.
    inline_tables: FastMap<Digest, u64>,
    /// The drift rules `policy_set` events set.
    policies: Policies,
    /// The sequence number of the last log record applied (dataset event or not).
    pub last_seq: u64,
    /// Number of dataset events applied.
    pub events: u64,
}

impl Catalog {
    /// Every dataset, in order of creation.
    pub fn datasets(&self) -> impl Iterator<Item = &Dataset> {
        self.datasets.iter()
    }

    /// Number of datasets.
    pub fn len(&self) -> usize {
        self.datasets.len()
    }

    /// Whether there is no dataset.
    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty()
    }

    /// Number of versions over all datasets.
    pub fn version_count(&self) -> usize {
        self.datasets.iter().map(|d| d.versions.len()).sum()
    }

    /// The dataset with this name, or this id (as text).
    pub fn find(&self, name_or_id: &str) -> Option<&Dataset> {
        // Names are given in NFC from now on; a name stored before (in any form) is still
        // found as it was written.
        let index = self.by_name.get(name_or_id).or_else(|| {
            let normal = super::names::nfc(name_or_id);
            self.by_name.get(normal.as_ref())
        });
        let index = index.or_else(|| {
            Uuid::parse_str(name_or_id)
                .ok()
                .and_then(|id| self.by_id.get(&id))
        });
        index.map(|&i| &self.datasets[i as usize])
    }

    /// Like [`Catalog::find`], but an unknown dataset is an error.
    pub fn get(&self, name_or_id: &str) -> Result<&Dataset> {
        self.find(name_or_id).ok_or_else(|| Error::UnknownDataset {
            dataset: name_or_id.to_owned(),
        })
    }

    /// The dataset with this id.
    pub fn by_id(&self, id: &Uuid) -> Option<&Dataset> {
        self.by_id.get(id).map(|&i| &self.datasets[i as usize])
    }

    /// Every dataset and version whose content hash is `hash`, in the order they were stored.
    pub fn holders_of(&self, hash: &Digest) -> Vec<ContentHolder> {
        self.by_content
            .candidates(hash)
            .filter_map(|(index, version)| {
                let ds = &self.datasets[index as usize];
                (ds.version(version)?.hash == *hash).then(|| ContentHolder {
                    dataset_id: ds.id,
                    dataset_name: ds.name.clone(),
                    version,
                })
            })
            .collect()
    }

    /// The store's own drift rule, if a `policy_set` event set one.
    pub fn store_policy(&self) -> Option<&PolicyEntry> {
        self.policies.store.as_ref()
    }

    /// The drift rule set for the dataset `id`, if a `policy_set` event set one.
    pub fn dataset_policy(&self, id: &Uuid) -> Option<&PolicyEntry> {
        self.policies.datasets.get(id)
    }

    /// The rule an upload to the dataset `id` (`None`: a dataset not created yet) is decided
    /// by when it names none: the dataset's own, else the store's, else the default.
    pub fn policy_in_force(&self, id: Option<&Uuid>) -> PolicyInForce {
        if let Some(entry) = id.and_then(|id| self.dataset_policy(id)) {
            return PolicyInForce {
                rule: entry.rule,
                source: PolicySource::Dataset { seq: entry.seq },
            };
        }
        match self.store_policy() {
            Some(entry) => PolicyInForce {
                rule: entry.rule,
                source: PolicySource::Store { seq: entry.seq },
            },
            None => PolicyInForce {
                rule: DriftRule::DEFAULT,
                source: PolicySource::Default,
            },
        }
    }

    /// Every rule set, for a snapshot: the store's first, then the datasets' in the order
    /// they were set.
    pub fn policy_image(&self) -> Vec<PolicyEntry> {
        let mut datasets: Vec<PolicyEntry> = self.policies.datasets.values().copied().collect();
        datasets.sort_unstable_by_key(|e| e.seq);
        self.policies.store.into_iter().chain(datasets).collect()
    }

    /// Notes that the log record `seq` is not a dataset event.
    pub fn skip(&mut self, seq: u64) {
        self.last_seq = self.last_seq.max(seq);
    }

    /// Applies the `table_bytes` record `seq`, which holds the table content `hash`: the
    /// content index now finds it there. Content is stored once, so a writer never records
    /// content the index already holds; were it recorded again, the first record stays the
    /// one that is read.
    pub fn apply_table_bytes(&mut self, seq: u64, hash: Digest) {
        self.inline_tables.entry(hash).or_insert(seq);
        self.skip(seq);
    }

    /// The sequence number of the `table_bytes` record holding the table content `hash`, if
    /// it is stored inside the log (otherwise it is in a blob file, if stored at all).
    pub fn inline_table(&self, hash: &Digest) -> Option<u64> {
        self.inline_tables.get(hash).copied()
    }

    /// How many distinct table contents are stored inside the log.
    pub fn inline_table_count(&self) -> usize {
        self.inline_tables.len()
    }

    /// The inline tables, for a snapshot: `(sequence number, content hash)` in log order.
    pub fn inline_image(&self) -> Vec<InlineTable> {
        let mut out: Vec<InlineTable> = self
            .inline_tables
            .iter()
            .map(|(hash, &seq)| InlineTable { seq, hash: *hash })
            .collect();
        out.sort_unstable_by_key(|t| t.seq);
        out
    }

    /// Applies the event whose head is `head`, recorded at `seq`, checking it against the
    /// state so far.
    pub fn apply(&mut self, seq: u64, head: &EventHead<'_>) -> Result<()> {
        let bad =
            |detail: String| Error::invariant_at(seq, format!("{}: {detail}", head.kind.name()));
        if seq <= self.last_seq {
            return Err(bad(format!("applied after event {}", self.last_seq)));
        }
        match &head.kind {
            KindHead::UploadCreated {
                dataset_name,
                version,
                hash,
                previous_active,
            } => {
                let upload = Upload {
                    name: dataset_name,
                    version: *version,
                    hash: *hash,
                    previous_active: *previous_active,
                };
                self.apply_upload(seq, head, upload).map_err(bad)?
            }
            KindHead::VersionActivated { version, from } => self
                .apply_activation(seq, head, *from, *version)
                .map_err(bad)?,
            KindHead::Rollback { from, to } => {
                self.apply_activation(seq, head, *from, *to).map_err(bad)?
            }
            KindHead::OverwriteBlocked { active } => {
                let dataset = self.dataset_mut(&head.dataset_id).map_err(bad)?;
                if dataset.active != *active {
                    return Err(bad(format!(
                        "says version {active} was active, not {}",
                        dataset.active
                    )));
                }
                dataset.event_seqs.push(seq);
                dataset.updated_micros = head.timestamp_micros;
            }
            KindHead::PolicySet { rule, previous } => self
                .apply_policy(seq, head, *rule, *previous)
                .map_err(bad)?,
        }
        self.last_seq = seq;
        self.events += 1;
        Ok(())
    }

    /// Applies a `policy_set` event: its `previous` must be the rule set at its scope so far.
    fn apply_policy(
        &mut self,
        seq: u64,
        head: &EventHead<'_>,
        rule: DriftRule,
        previous: Option<DriftRule>,
    ) -> std::result::Result<(), String> {
        let id = head.dataset_id;
        let entry = PolicyEntry {
            dataset_id: id,
            rule,
            seq,
            micros: head.timestamp_micros,
        };
        let before = if id.is_nil() {
            self.policies.store.map(|e| e.rule)
        } else {
            self.dataset_mut(&id)?;
            self.dataset_policy(&id).map(|e| e.rule)
        };
        if before != previous {
            let show = |r: Option<DriftRule>| r.map_or_else(|| "none".into(), |r| r.to_string());
            return Err(format!(
                "says the rule before was {}, not {}",
                show(previous),
                show(before)
            ));
        }
        if id.is_nil() {
            self.policies.store = Some(entry);
        } else {
            let dataset = self.dataset_mut(&id)?;
            dataset.event_seqs.push(seq);
            dataset.updated_micros = head.timestamp_micros;
            self.policies.datasets.insert(id, entry);
        }
        Ok(())
    }

    fn dataset_mut(&mut self, id: &Uuid) -> std::result::Result<&mut Dataset, String> {
        let index = *self
            .by_id
            .get(id)
            .ok_or_else(|| format!("unknown dataset {id}"))?;
        Ok(&mut self.datasets[index as usize])
    }

    fn apply_upload(
        &mut self,
        seq: u64,
        head: &EventHead<'_>,
        upload: Upload<'_>,
    ) -> std::result::Result<(), String> {
        let id = head.dataset_id;
        if !self.by_id.contains_key(&id) {
            self.create_dataset(id, &upload)?;
        }
        let index = self.by_id[&id];
        let dataset = &mut self.datasets[index as usize];
        let expected = dataset.versions.len() as u64 + 1;
        if upload.version != expected {
            return Err(format!(
                "adds version {}, expected {expected}",
                upload.version
            ));
        }
        if upload.previous_active != (dataset.active > 0).then_some(dataset.active) {
            return Err(format!(
                "says version {:?} was active, not {}",
                upload.previous_active, dataset.active
            ));
        }
        let holds_it = |(i, _): (u32, u64)| i == index;
        if self
            .by_content
            .candidates(&upload.hash)
            .filter(|&h| holds_it(h))
            .any(|(_, n)| dataset.version(n).is_some_and(|v| v.hash == upload.hash))
        {
            return Err(format!(
                "adds content {} that a version already holds",
                upload.hash.short()
            ));
        }
        dataset.versions.push(VersionMeta {
            number: upload.version,
            hash: upload.hash,
            created_seq: seq,
            created_micros: head.timestamp_micros,
        });
        activate(dataset, seq, head.timestamp_micros, upload.version);
        self.by_content
            .insert(&upload.hash, (index, upload.version));
        Ok(())
    }

    fn create_dataset(&mut self, id: Uuid, upload: &Upload<'_>) -> std::result::Result<(), String> {
        if upload.version != 1 || upload.previous_active.is_some() {
            return Err(format!(
                "creates dataset {id} at version {}",
                upload.version
            ));
        }
        if self.by_name.contains_key(upload.name) {
            return Err(format!("dataset name `{}` is taken", upload.name));
        }
        let index = self.datasets.len() as u32;
        self.by_name.insert(upload.name.to_owned(), index);
        self.by_id.insert(id, index);
        self.datasets.push(Dataset {
            id,
            name: upload.name.to_owned(),
            versions: Vec::new(),
            active: 0,
            activations: Vec::new(),
            event_seqs: Vec::new(),
            updated_micros: 0,
        });
        Ok(())
    }

    fn apply_activation(
        &mut self,
        seq: u64,
        head: &EventHead<'_>,
        from: u64,
        to: u64,
    ) -> std::result::Result<(), String> {
        let dataset = self.dataset_mut(&head.dataset_id)?;
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
        activate(dataset, seq, head.timestamp_micros, to);
        Ok(())
    }

    /// Checks the catalog's own invariants: every dataset has exactly one active version, and
    /// it exists; names, ids and the content index agree.
    pub fn check(&self) -> Result<()> {
        let fail = |detail: String| Err(Error::invariant(detail));
        if self.by_name.len() != self.datasets.len() || self.by_id.len() != self.datasets.len() {
            return fail(format!(
                "{} names and {} ids for {} datasets",
                self.by_name.len(),
                self.by_id.len(),
                self.datasets.len()
            ));
        }
        for (index, dataset) in self.datasets.iter().enumerate() {
            let index = index as u32;
            if self.by_name.get(&dataset.name) != Some(&index)
                || self.by_id.get(&dataset.id) != Some(&index)
            {
                return fail(format!(
                    "dataset {} is not found by its name `{}` or its id",
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
            if dataset
                .versions
                .iter()
                .enumerate()
                .any(|(i, v)| v.number != i as u64 + 1)
            {
                return fail(format!(
                    "dataset `{}` has misnumbered versions",
                    dataset.name
                ));
            }
        }
        Ok(())
    }

    /// Checks that the content index holds every version (a full pass: for invariant checks,
    /// not for every open).
    pub fn check_content_index(&self) -> Result<()> {
        for (index, dataset) in self.datasets.iter().enumerate() {
            for v in &dataset.versions {
                if !self
                    .by_content
                    .candidates(&v.hash)
                    .any(|h| h == (index as u32, v.number))
                {
                    return Err(Error::invariant(format!(
                        "dataset `{}` version {} is not indexed by its content hash",
                        dataset.name, v.number
                    )));
                }
            }
        }
        Ok(())
    }

    /// The catalog's contents without its indexes, for a snapshot.
    pub fn image(&self) -> CatalogImage<'_> {
        CatalogImage {
            last_seq: self.last_seq,
            events: self.events,
            datasets: &self.datasets,
        }
    }

    /// Rebuilds a catalog (and its indexes) from a snapshot's contents, checking it: the
    /// datasets, the tables stored inside the log up to the snapshot's sequence number, and
    /// the drift rules set.
    pub fn from_image(
        image: OwnedCatalogImage,
        inline: Vec<InlineTable>,
        policies: Vec<PolicyEntry>,
    ) -> Result<Catalog> {
        let mut catalog = Catalog {
            last_seq: image.last_seq,
            events: image.events,
            ..Catalog::default()
        };
        for table in inline {
            if table.seq == 0 || table.seq > image.last_seq {
                return Err(Error::invariant(format!(
                    "inline table {} is at sequence {}, not in 1..={}",
                    table.hash.short(),
                    table.seq,
                    image.last_seq
                )));
            }
            if catalog
                .inline_tables
                .insert(table.hash, table.seq)
                .is_some()
            {
                return Err(Error::invariant(format!(
                    "inline table {} is listed twice",
                    table.hash.short()
                )));
            }
        }
        let versions = image.datasets.iter().map(|d| d.versions.len()).sum();
        catalog.by_content.first.reserve(versions);
        catalog.by_id.reserve(image.datasets.len());
        for (index, mut dataset) in image.datasets.into_iter().enumerate() {
            let index = index as u32;
            // A snapshot of a format-1 log written before activation times were clamped.
            clamp_activation_times(&mut dataset.activations);
            catalog.by_name.insert(dataset.name.clone(), index);
            catalog.by_id.insert(dataset.id, index);
            catalog.datasets.push(dataset);
        }
        catalog.index_content_in_storage_order();
        catalog.restore_policies(policies)?;
        catalog.check()?;
        Ok(catalog)
    }
}

impl Catalog {
    /// Puts a snapshot's drift rules back, refusing one set after the snapshot's last
    /// record, one for a dataset the catalog lacks, and a scope listed twice.
    fn restore_policies(&mut self, policies: Vec<PolicyEntry>) -> Result<()> {
        for entry in policies {
            let scope = if entry.is_store_wide() {
                "the store".to_string()
            } else {
                format!("dataset {}", entry.dataset_id)
            };
            let bad = |what: &str| Err(Error::invariant(format!("the rule of {scope} {what}")));
            if entry.seq == 0 || entry.seq > self.last_seq {
                return bad(&format!(
                    "is set at sequence {}, not in 1..={}",
                    entry.seq, self.last_seq
                ));
            }
            let listed_twice = if entry.is_store_wide() {
                self.policies.store.replace(entry).is_some()
            } else if self.by_id.contains_key(&entry.dataset_id) {
                self.policies
                    .datasets
                    .insert(entry.dataset_id, entry)
                    .is_some()
            } else {
                return bad("names a dataset the snapshot does not have");
            };
            if listed_twice {
                return bad("is listed twice");
            }
        }
        Ok(())
    }

    /// Builds the content index as replay would have: holders of one prefix in the order
    /// their versions were stored. Versions are visited dataset by dataset, so the (rare)
    /// prefixes with several holders are put in storage order afterwards.
    fn index_content_in_storage_order(&mut self) {
        let datasets = &self.datasets;
        let created = |(index, number): (u32, u64)| {
            datasets[index as usize].versions[number as usize - 1].created_seq
        };
        let index = &mut self.by_content;
        for (i, dataset) in datasets.iter().enumerate() {
            for v in &dataset.versions {
                index.insert(&v.hash, (i as u32, v.number));
            }
        }
        for (key, more) in index.more.iter_mut() {
            let first = index
                .first
                .get_mut(key)
                .expect("a prefix with more holders has a first");
            more.push(*first);
            more.sort_unstable_by_key(|&h| created(h));
            *first = more.remove(0);
        }
    }
}

/// The fields of an `upload_created` head.
struct Upload<'a> {
    name: &'a str,
    version: u64,
    hash: Digest,
    previous_active: Option<u64>,
}

fn activate(dataset: &mut Dataset, seq: u64, event_micros: i64, version: u64) {
    let micros = dataset
        .activations
        .last()
        .map_or(event_micros, |a| a.micros.max(event_micros));
    dataset.active = version;
    dataset.activations.push(Activation {
        micros,
        seq,
        version,
    });
    dataset.event_seqs.push(seq);
    dataset.updated_micros = event_micros;
}

/// Raises each activation time to the running maximum of those before it (see
/// [`Activation::micros`]).
fn clamp_activation_times(activations: &mut [Activation]) {
    let mut max = i64::MIN;
    for a in activations {
        max = max.max(a.micros);
        a.micros = max;
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
    for ds in &a.datasets {
        match b.by_id(&ds.id) {
            None => out.push(format!(
                "dataset `{}` ({}) is only in the first",
                ds.name, ds.id
            )),
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
    for ds in &b.datasets {
        if a.by_id(&ds.id).is_none() {
            out.push(format!(
                "dataset `{}` ({}) is only in the second",
                ds.name, ds.id
            ));
        }
    }
    if a.inline_tables != b.inline_tables {
        out.push(format!(
            "{} tables stored inside the log against {}",
            a.inline_tables.len(),
            b.inline_tables.len()
        ));
    }
    if a.policies != b.policies {
        out.push(format!(
            "drift rules {:?} against {:?}",
            a.policy_image(),
            b.policy_image()
        ));
    }
    if out.is_empty() && a != b {
        out.push("the indexes differ".into());
    }
    out
}

/// What a snapshot stores: the catalog without its indexes (they are rebuilt on load).
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break; [`OwnedCatalogImage`] must
/// declare the same fields in the same order.
#[derive(Debug, Serialize)]
pub struct CatalogImage<'a> {
    /// Sequence number of the last log record applied.
    pub last_seq: u64,
    /// Number of dataset events applied.
    pub events: u64,
    /// Every dataset, in order of creation.
    pub datasets: &'a [Dataset],
}

/// A table stored inside the log, as a snapshot lists it (catalog encoding version 2).
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Snapshots"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineTable {
    /// The sequence number of the `table_bytes` record.
    pub seq: u64,
    /// The SHA-256 of the table's bytes.
    pub hash: Digest,
}

/// A [`CatalogImage`] read back.
///
/// On disk: it decodes what [`CatalogImage`] encodes (FORMAT.md, "Snapshots"), so its
/// fields must stay [`CatalogImage`]'s, in the same order.
#[derive(Debug, Deserialize)]
pub struct OwnedCatalogImage {
    /// Sequence number of the last log record applied.
    pub last_seq: u64,
    /// Number of dataset events applied.
    pub events: u64,
    /// Every dataset, in order of creation.
    pub datasets: Vec<Dataset>,
}
