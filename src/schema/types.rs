//! The schema model shared by ingest, drift classification, the catalog and query validation.
//!
//! A schema is the ordered list of a table's columns. Each column has a name, an inferred
//! [`ColumnType`], whether any null was seen, and whether it looks like an identifier.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The type inferred for a column. The order of the variants is part of the schema
/// fingerprint's canonical encoding (see [`ColumnType::code`]); never reorder them.
///
/// On disk: a `u32` variant index in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing a variant is a format break (and [`ColumnType::code`],
/// the fingerprint's code, is a second, separate numbering that must not change either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ColumnType {
    /// `true`/`false` (also `yes`/`no`, `t`/`f`), case-insensitive.
    Boolean,
    /// A signed 64-bit integer.
    Int64,
    /// A 64-bit float (anything numeric that is not an `Int64`).
    Float64,
    /// A calendar date without a time.
    Date,
    /// A date with a time of day.
    Timestamp,
    /// Anything else: text.
    Utf8,
}

impl ColumnType {
    /// A stable one-byte code used in canonical encodings (fingerprints, on-disk events).
    pub fn code(self) -> u8 {
        match self {
            ColumnType::Boolean => 1,
            ColumnType::Int64 => 2,
            ColumnType::Float64 => 3,
            ColumnType::Date => 4,
            ColumnType::Timestamp => 5,
            ColumnType::Utf8 => 6,
        }
    }

    /// The name shown to people and used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Boolean => "Boolean",
            ColumnType::Int64 => "Int64",
            ColumnType::Float64 => "Float64",
            ColumnType::Date => "Date",
            ColumnType::Timestamp => "Timestamp",
            ColumnType::Utf8 => "Utf8",
        }
    }

    /// Whether values of this type are numbers (usable in `SUM`, `AVG`, numeric comparisons).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Int64 | ColumnType::Float64)
    }

    /// Whether values of this type are points in time.
    pub fn is_temporal(self) -> bool {
        matches!(self, ColumnType::Date | ColumnType::Timestamp)
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column of a table's schema.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    /// The column name exactly as in the header row.
    pub name: String,
    /// The inferred type.
    pub column_type: ColumnType,
    /// Whether at least one null token (empty, `NA`, `N/A`, `NULL`, `null`, `NaN` for numbers)
    /// was seen.
    pub nullable: bool,
    /// Whether the column looks like an identifier (see the ingest module for the rule).
    pub identifier: bool,
}

/// The ordered columns of one table.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Schema {
    /// Columns in header order.
    pub columns: Vec<Column>,
}

impl Schema {
    /// The column with this exact name, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}
