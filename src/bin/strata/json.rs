//! The JSON shapes of `--json` output (documented in docs/CLI.md). Built by hand, so that the
//! output stays stable whatever the library's own serialization does.

use crate::display;
use serde_json::{json, Value};
use strata::schema::{Schema, SchemaDrift};
use strata::store::{ContentHolder, Event, EventKind, TableRecord};

/// A time as RFC 3339 UTC with microseconds, e.g. `2024-05-01T12:00:00.123456Z`.
pub fn time(micros: i64) -> Value {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)))
        .unwrap_or(Value::Null)
}

/// The columns of a schema.
pub fn columns(schema: &Schema) -> Value {
    schema
        .columns
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.column_type.name(),
                "nullable": c.nullable,
                "identifier": c.identifier,
            })
        })
        .collect()
}

/// A table of a version.
pub fn table(t: &TableRecord) -> Value {
    json!({
        "table_id": t.table_id,
        "name": t.name,
        "source_file": t.source_file,
        "content_hash": t.content_hash.hex(),
        "byte_len": t.byte_len,
        "row_count": t.row_count,
        "column_count": t.column_count,
        "fingerprint": t.fingerprint.hex(),
        "delimiter": t.delimiter.to_string(),
        "columns": columns(&t.schema),
    })
}

/// Tables of a version.
pub fn tables(tables: &[TableRecord]) -> Value {
    tables.iter().map(table).collect()
}

/// A schema drift between two versions.
pub fn drift(d: &SchemaDrift) -> Value {
    let changed: Vec<Value> = d
        .changed_tables
        .iter()
        .map(|t| {
            let columns = |cols: &[strata::schema::ColumnSummary]| -> Value {
                cols.iter()
                    .map(|c| json!({"name": c.name, "type": c.column_type.name()}))
                    .collect()
            };
            json!({
                "table": t.table,
                "added_columns": columns(&t.added_columns),
                "removed_columns": columns(&t.removed_columns),
                "type_changes": t.type_changes.iter().map(|c| json!({
                    "name": c.name,
                    "old_type": c.old_type.name(),
                    "new_type": c.new_type.name(),
                })).collect::<Vec<_>>(),
                "rename_candidates": t.rename_candidates.iter().map(|r| json!({
                    "from": r.from,
                    "to": r.to,
                    "type": r.column_type.name(),
                    "similarity": f64::from(r.similarity_permille) / 1000.0,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "verdict": display::verdict(d),
        "added_tables": d.added_tables,
        "removed_tables": d.removed_tables,
        "changed_tables": changed,
        "changes": d.describe(),
    })
}

/// An optional drift (`null` when absent).
pub fn optional_drift(d: Option<&SchemaDrift>) -> Value {
    d.map_or(Value::Null, drift)
}

/// A dataset and version holding some content.
pub fn holder(h: &ContentHolder) -> Value {
    json!({"dataset_id": h.dataset_id.to_string(), "dataset": h.dataset_name, "version": h.version})
}

/// Version metadata (stored as JSON text) as a JSON value.
pub fn metadata(text: Option<&str>) -> Value {
    text.map_or(Value::Null, |t| {
        serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()))
    })
}

/// A dataset event; `dataset` is the dataset's current name, if known.
pub fn event(seq: u64, event: &Event, dataset: Option<&str>) -> Value {
    json!({
        "seq": seq,
        "event_id": event.event_id.to_string(),
        "time": time(event.timestamp_micros),
        "type": event.kind.name(),
        "dataset_id": event.dataset_id.to_string(),
        "dataset": dataset,
        "actor": event.actor,
        "note": event.note,
        "details": event_details(&event.kind),
    })
}

/// The type-specific part of an event.
fn event_details(kind: &EventKind) -> Value {
    match kind {
        EventKind::UploadCreated {
            dataset_name,
            version,
            hash,
            tables: t,
            metadata: m,
            previous_active,
            drift: d,
            policy,
            override_reason,
            warnings,
            duplicate_of,
        } => json!({
            "dataset_name": dataset_name,
            "version": version,
            "hash": hash.hex(),
            "tables": tables(t),
            "metadata": metadata(m.as_deref()),
            "previous_active": previous_active,
            "drift": optional_drift(d.as_ref()),
            "policy": policy.name(),
            "override_reason": override_reason,
            "warnings": warnings,
            "duplicate_of": duplicate_of.iter().map(holder).collect::<Vec<_>>(),
        }),
        EventKind::VersionActivated { version, from } => {
            json!({"version": version, "from": from})
        }
        EventKind::Rollback { from, to, warnings } => {
            json!({"from": from, "to": to, "warnings": warnings})
        }
        EventKind::OverwriteBlocked {
            attempted_hash,
            source_files,
            active,
            drift: d,
            policy,
            reason,
        } => json!({
            "attempted_hash": attempted_hash.hex(),
            "source_files": source_files,
            "active": active,
            "drift": drift(d),
            "policy": policy.name(),
            "reason": reason,
        }),
    }
}
