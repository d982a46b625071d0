//! The schema fingerprint: a hash of a table's shape (column names and types).
//!
//! Canonical encoding, hashed with SHA-256:
//!
//! ```text
//! b"strata-schema-v1\0"
//! column count                     u32 little-endian
//! for each column, sorted by name (byte order; equal names by type code):
//!     name length in bytes         u32 little-endian
//!     name                         UTF-8 bytes
//!     type                         one byte, ColumnType::code()
//! ```
//!
//! Sorting makes the fingerprint independent of column order, so reordering columns in a new
//! upload is not a schema change. Nullability and the identifier flag are left out on purpose:
//! they describe the data in one version (a column with no missing value this time), not the
//! shape a reader of the table relies on, and including them would make equal shapes look
//! different from one upload to the next. The domain tag keeps these hashes apart from any other
//! SHA-256 in the store and lets a future encoding change its version.

use super::types::{Column, Schema};
use crate::digest::{Hasher, SCHEMA_TAG};

/// The SHA-256 fingerprint of a schema's shape (see the module docs for the encoding).
pub fn schema_fingerprint(schema: &Schema) -> [u8; 32] {
    let mut columns: Vec<&Column> = schema.columns.iter().collect();
    columns.sort_by(|a, b| {
        a.name
            .as_bytes()
            .cmp(b.name.as_bytes())
            .then(a.column_type.code().cmp(&b.column_type.code()))
    });
    let mut hasher = Hasher::with_tag(SCHEMA_TAG);
    hasher.update(&length_le(columns.len()));
    for column in columns {
        hasher.update(&length_le(column.name.len()));
        hasher.update(column.name.as_bytes());
        hasher.update(&[column.column_type.code()]);
    }
    hasher.finish().0
}

/// A count or length as u32 little-endian.
fn length_le(length: usize) -> [u8; 4] {
    // Invariant: column counts and name lengths are far below 4 GiB (a header record is at
    // most ingest::MAX_RECORD_BYTES), so this never saturates in practice; saturating rather
    // than panicking keeps the function total.
    u32::try_from(length).unwrap_or(u32::MAX).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::types::ColumnType;
    use sha2::{Digest, Sha256};

    fn column(name: &str, column_type: ColumnType) -> Column {
        Column {
            name: name.to_string(),
            column_type,
            nullable: false,
            identifier: false,
        }
    }

    fn schema(columns: &[(&str, ColumnType)]) -> Schema {
        Schema {
            columns: columns.iter().map(|&(n, t)| column(n, t)).collect(),
        }
    }

    #[test]
    fn fingerprint_is_deterministic() {
        let s = schema(&[("id", ColumnType::Int64), ("name", ColumnType::Utf8)]);
        assert_eq!(schema_fingerprint(&s), schema_fingerprint(&s.clone()));
    }

    #[test]
    fn fingerprint_matches_the_documented_encoding() {
        let s = schema(&[("b", ColumnType::Utf8), ("a", ColumnType::Int64)]);
        let mut expected = Sha256::new();
        expected.update(b"strata-schema-v1\0");
        expected.update(2u32.to_le_bytes());
        expected.update(1u32.to_le_bytes());
        expected.update(b"a");
        expected.update([2u8]);
        expected.update(1u32.to_le_bytes());
        expected.update(b"b");
        expected.update([6u8]);
        let expected: [u8; 32] = expected.finalize().into();
        assert_eq!(schema_fingerprint(&s), expected);
    }

    #[test]
    fn fingerprint_ignores_column_order() {
        let a = schema(&[("id", ColumnType::Int64), ("name", ColumnType::Utf8)]);
        let b = schema(&[("name", ColumnType::Utf8), ("id", ColumnType::Int64)]);
        assert_eq!(schema_fingerprint(&a), schema_fingerprint(&b));
    }

    #[test]
    fn fingerprint_ignores_nullability_and_identifier_flags() {
        let a = schema(&[("id", ColumnType::Int64)]);
        let mut b = a.clone();
        b.columns[0].nullable = true;
        b.columns[0].identifier = true;
        assert_eq!(schema_fingerprint(&a), schema_fingerprint(&b));
    }

    #[test]
    fn fingerprint_changes_with_a_type_change() {
        let a = schema(&[("id", ColumnType::Int64), ("x", ColumnType::Float64)]);
        let b = schema(&[("id", ColumnType::Int64), ("x", ColumnType::Utf8)]);
        assert_ne!(schema_fingerprint(&a), schema_fingerprint(&b));
    }

    #[test]
    fn fingerprint_changes_with_names_and_column_sets() {
        let base = schema(&[("id", ColumnType::Int64)]);
        let renamed = schema(&[("ID", ColumnType::Int64)]);
        let extended = schema(&[("id", ColumnType::Int64), ("x", ColumnType::Int64)]);
        let empty = Schema::default();
        let all = [&base, &renamed, &extended, &empty].map(schema_fingerprint);
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j], "{i} vs {j}");
            }
        }
    }

    #[test]
    fn fingerprint_length_prefix_prevents_name_boundary_collisions() {
        let a = schema(&[("ab", ColumnType::Int64), ("c", ColumnType::Int64)]);
        let b = schema(&[("a", ColumnType::Int64), ("bc", ColumnType::Int64)]);
        assert_ne!(schema_fingerprint(&a), schema_fingerprint(&b));
    }
}
