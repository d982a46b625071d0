//! The pure (no-store) part of the dataset layer: the schema model, streaming CSV ingest with
//! type inference, the schema fingerprint, and schema-drift classification and policy.

pub mod drift;
pub mod fingerprint;
pub mod infer;
pub mod ingest;
pub mod policy;
mod records;
pub mod sheet_dates;
mod sniff;
mod strict;
pub mod types;
pub mod value;

pub use crate::digest::hex;
pub use drift::{
    classify_drift, is_widening, name_similarity, table_drift, ColumnSummary, RenameCandidate,
    SchemaDrift, TableDrift, TypeChange,
};
pub use fingerprint::schema_fingerprint;
pub use ingest::{scan_csv, Delimiter, IngestError, TableScan};
pub use policy::{
    decide, decide_under, DriftDecision, DriftRule, ParsePolicyError, SchemaDriftPolicy,
    WideningRule,
};
pub use types::{Column, ColumnType, Schema};
