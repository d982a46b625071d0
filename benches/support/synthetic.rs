//! Synthetic but realistic dataset histories, written straight to a store's log: D datasets
//! with V versions each, every version a 10-column table. Used to measure replay, open and
//! lookups at sizes that would take hours to build through real uploads. Content hashes are
//! real SHA-256 values (of the dataset and version numbers), never made-up patterns.
#![allow(dead_code)]

use std::path::Path;
use strata::log::{Durability, Log, LogOptions};
use strata::schema::{
    schema_fingerprint, Column, ColumnType, Delimiter, Schema, SchemaDriftPolicy,
};
use strata::store::{Digest, Event, EventKind, TableRecord, DATASET_EVENT};

/// The ten columns every synthetic table has.
pub fn ten_column_schema() -> Schema {
    let types = [
        ("patient_id", ColumnType::Utf8),
        ("site", ColumnType::Utf8),
        ("visit_date", ColumnType::Date),
        ("age", ColumnType::Int64),
        ("sex", ColumnType::Utf8),
        ("weight_kg", ColumnType::Float64),
        ("systolic_bp", ColumnType::Int64),
        ("diastolic_bp", ColumnType::Int64),
        ("responder", ColumnType::Boolean),
        ("outcome_score", ColumnType::Float64),
    ];
    Schema {
        columns: types
            .iter()
            .map(|(name, t)| Column {
                name: (*name).into(),
                column_type: *t,
                nullable: false,
                identifier: *name == "patient_id",
            })
            .collect(),
    }
}

/// A real SHA-256 value, distinct for every `(dataset, version, salt)`: the SHA-256 of the
/// three numbers. Its first 8 bytes, the catalog's content-index key, are as well spread as a
/// real table's hash, so the index holds one key per distinct content (a hash that started
/// with the dataset number would give 10,000 keys and 990,000 collisions at 1M events).
fn digest(dataset: u64, version: u64, salt: u8) -> Digest {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    hasher.update([salt]);
    hasher.update(dataset.to_le_bytes());
    hasher.update(version.to_le_bytes());
    Digest(hasher.finalize().into())
}

/// The name of dataset number `index`.
pub fn dataset_name(index: u64) -> String {
    format!("study-{index:05}")
}

/// Store options for measuring: the invariant check after every write (on by default in
/// debug builds) is off.
pub fn release_options() -> strata::StoreOptions {
    strata::StoreOptions {
        check_invariants: false,
        ..strata::StoreOptions::default()
    }
}

/// The `upload_created` event of version `version` of dataset number `dataset`.
pub fn upload_event(dataset_id: uuid::Uuid, dataset: u64, version: u64, schema: &Schema) -> Event {
    let table = TableRecord {
        table_id: "table_0".into(),
        name: "visits".into(),
        source_file: "visits.csv".into(),
        content_hash: digest(dataset, version, 1),
        byte_len: 1_000_000,
        row_count: 10_000,
        column_count: 10,
        schema: std::sync::Arc::new(schema.clone()),
        fingerprint: Digest(schema_fingerprint(schema)),
        delimiter: Delimiter::Comma,
    };
    Event {
        event_id: uuid::Uuid::new_v4(),
        timestamp_micros: 1_700_000_000_000_000 + (dataset * 1000 + version) as i64,
        actor: "data-manager".into(),
        note: format!("monthly export {version}"),
        dataset_id,
        kind: EventKind::UploadCreated {
            dataset_name: dataset_name(dataset),
            version,
            hash: digest(dataset, version, 2),
            tables: vec![table],
            metadata: None,
            previous_active: (version > 1).then_some(version - 1),
            drift: None,
            policy: SchemaDriftPolicy::Reject,
            override_reason: None,
            warnings: Vec::new(),
            duplicate_of: Vec::new(),
            widening: strata::schema::WideningRule::Compatible,
        },
        os_account: Some(strata::store::OsAccount {
            uid: 1000,
            name: Some("data-manager".into()),
        }),
        salvaged_from: None,
    }
}

/// Creates a store in `dir` whose log holds `datasets` x `versions` upload events, in rounds
/// (every dataset gets version 1, then version 2, ...), as a real history interleaves them.
pub fn build_store(dir: &Path, datasets: u64, versions: u64) {
    let options = LogOptions {
        durability: Durability::Buffered,
        ..LogOptions::default()
    };
    let log = Log::create(dir, options).unwrap();
    let schema = ten_column_schema();
    let ids: Vec<uuid::Uuid> = (0..datasets).map(|_| uuid::Uuid::new_v4()).collect();
    for version in 1..=versions {
        for chunk in ids.chunks(1000).enumerate() {
            let (start, ids) = chunk;
            // An event carries its record's append time (FORMAT.md, "Dataset events"): the
            // commit time of the guard that appends it.
            let mut guard = log.lock_writer().unwrap();
            let time = guard.commit_micros();
            let bodies: Vec<Vec<u8>> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let mut event = upload_event(*id, (start * 1000 + i) as u64, version, &schema);
                    event.timestamp_micros = time;
                    event.encode()
                })
                .collect();
            let batch: Vec<_> = bodies
                .iter()
                .map(|b| (DATASET_EVENT, b.as_slice()))
                .collect();
            guard.append_batch(&batch).unwrap();
            guard.commit().unwrap();
        }
    }
}
