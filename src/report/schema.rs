//! Tables, columns and schema drift.

use crate::schema::{self, ColumnType, SchemaDrift};
use crate::store::TableRecord;
use serde::{Serialize, Serializer};

/// A column type by its name (`Int64`, ...).
pub(super) fn type_name<S: Serializer>(t: &ColumnType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.name())
}

/// A column of a table's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The column name as in the header row.
    pub name: String,
    /// The inferred type.
    #[serde(rename = "type", serialize_with = "type_name")]
    pub column_type: ColumnType,
    /// Whether a null was seen.
    pub nullable: bool,
    /// Whether it looks like an identifier.
    pub identifier: bool,
}

impl From<&schema::Column> for Column {
    fn from(c: &schema::Column) -> Column {
        Column {
            name: c.name.clone(),
            column_type: c.column_type,
            nullable: c.nullable,
            identifier: c.identifier,
        }
    }
}

/// A table of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Stable across versions for the same display name.
    pub table_id: String,
    /// The display name: the file name without its extension.
    pub name: String,
    /// The uploaded file's name.
    pub source_file: String,
    /// SHA-256 of the bytes (the blob's name), in hex.
    pub content_hash: String,
    /// Size in bytes.
    pub byte_len: u64,
    /// Data rows.
    pub row_count: u64,
    /// Columns.
    pub column_count: u64,
    /// The schema fingerprint, in hex.
    pub fingerprint: String,
    /// `comma`, `tab` or `semicolon`.
    pub delimiter: String,
    /// The columns, in header order.
    pub columns: Vec<Column>,
}

impl From<&TableRecord> for Table {
    fn from(t: &TableRecord) -> Table {
        Table {
            table_id: t.table_id.clone(),
            name: t.name.clone(),
            source_file: t.source_file.clone(),
            content_hash: t.content_hash.hex(),
            byte_len: t.byte_len,
            row_count: t.row_count,
            column_count: t.column_count,
            fingerprint: t.fingerprint.hex(),
            delimiter: t.delimiter.to_string(),
            columns: t.schema.columns.iter().map(Column::from).collect(),
        }
    }
}

/// The tables of a version.
pub(super) fn tables(tables: &[TableRecord]) -> Vec<Table> {
    tables.iter().map(Table::from).collect()
}

/// The verdict of a drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing changed shape.
    None,
    /// Only additions.
    Additive,
    /// A column's type was widened (`Int64` → `Float64`, `Date` → `Timestamp`), maybe beside
    /// additions, and nothing breaking: compatible unless the policy counts widening as
    /// breaking.
    Widening,
    /// A table or column was removed, or a column changed type other than by widening.
    Breaking,
}

impl Verdict {
    /// The verdict of `drift`.
    pub fn of(drift: &SchemaDrift) -> Verdict {
        if drift.is_breaking() {
            Verdict::Breaking
        } else if drift.has_widening() {
            Verdict::Widening
        } else if drift.is_empty() {
            Verdict::None
        } else {
            Verdict::Additive
        }
    }

    /// `none`, `additive`, `widening` or `breaking`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::None => "none",
            Verdict::Additive => "additive",
            Verdict::Widening => "widening",
            Verdict::Breaking => "breaking",
        }
    }
}

/// A column named in a drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnChange {
    /// The column name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type", serialize_with = "type_name")]
    pub column_type: ColumnType,
}

/// A column whose type changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeChange {
    /// The column name.
    pub name: String,
    /// The type before.
    #[serde(serialize_with = "type_name")]
    pub old_type: ColumnType,
    /// The type after.
    #[serde(serialize_with = "type_name")]
    pub new_type: ColumnType,
    /// The change is a widening ([`crate::schema::is_widening`]).
    pub widening: bool,
}

/// A removed column that may have been renamed to an added one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenameCandidate {
    /// The removed column.
    pub from: String,
    /// The added column.
    pub to: String,
    /// The type both have.
    #[serde(rename = "type", serialize_with = "type_name")]
    pub column_type: ColumnType,
    /// Similarity of the names, from 0 to 1.
    pub similarity: f64,
}

/// The drift of one table present in both versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDrift {
    /// The table's display name.
    pub table: String,
    /// Columns only in the new version.
    pub added_columns: Vec<ColumnChange>,
    /// Columns only in the old version.
    pub removed_columns: Vec<ColumnChange>,
    /// Columns whose type changed.
    pub type_changes: Vec<TypeChange>,
    /// Possible renames (shown, never applied).
    pub rename_candidates: Vec<RenameCandidate>,
}

/// The schema drift from one version to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// The verdict.
    pub verdict: Verdict,
    /// Tables only in the new version.
    pub added_tables: Vec<String>,
    /// Tables only in the old version.
    pub removed_tables: Vec<String>,
    /// Tables in both whose columns differ.
    pub changed_tables: Vec<TableDrift>,
    /// One line per change, breaking changes first.
    pub changes: Vec<String>,
}

impl From<&SchemaDrift> for Drift {
    fn from(d: &SchemaDrift) -> Drift {
        let columns = |cols: &[schema::ColumnSummary]| {
            cols.iter()
                .map(|c| ColumnChange {
                    name: c.name.clone(),
                    column_type: c.column_type,
                })
                .collect()
        };
        let changed_tables = d
            .changed_tables
            .iter()
            .map(|t| TableDrift {
                table: t.table.clone(),
                added_columns: columns(&t.added_columns),
                removed_columns: columns(&t.removed_columns),
                type_changes: t
                    .type_changes
                    .iter()
                    .map(|c| TypeChange {
                        name: c.name.clone(),
                        old_type: c.old_type,
                        new_type: c.new_type,
                        widening: c.is_widening(),
                    })
                    .collect(),
                rename_candidates: t
                    .rename_candidates
                    .iter()
                    .map(|r| RenameCandidate {
                        from: r.from.clone(),
                        to: r.to.clone(),
                        column_type: r.column_type,
                        similarity: f64::from(r.similarity_permille) / 1000.0,
                    })
                    .collect(),
            })
            .collect();
        Drift {
            verdict: Verdict::of(d),
            added_tables: d.added_tables.clone(),
            removed_tables: d.removed_tables.clone(),
            changed_tables,
            changes: d.describe(),
        }
    }
}

/// An optional drift.
pub(super) fn optional_drift(d: Option<&SchemaDrift>) -> Option<Drift> {
    d.map(Drift::from)
}

/// The counts of a drift, e.g. `+1 col, -2 cols, 1 type change`.
pub fn change_counts(drift: &SchemaDrift) -> String {
    let tables = &drift.changed_tables;
    let added_cols: usize = tables.iter().map(|t| t.added_columns.len()).sum();
    let removed_cols: usize = tables.iter().map(|t| t.removed_columns.len()).sum();
    let changes = || tables.iter().flat_map(|t| &t.type_changes);
    let widenings = changes().filter(|c| c.is_widening()).count();
    let type_changes = changes().count() - widenings;
    let renames: usize = tables.iter().map(|t| t.rename_candidates.len()).sum();
    let parts = [
        (drift.added_tables.len(), "+", "table"),
        (drift.removed_tables.len(), "-", "table"),
        (added_cols, "+", "col"),
        (removed_cols, "-", "col"),
        (type_changes, "", "type change"),
        (widenings, "", "widening"),
        (renames, "", "possible rename"),
    ];
    parts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, sign, unit)| {
            let unit = if *n == 1 {
                unit.to_string()
            } else {
                format!("{unit}s")
            };
            format!("{sign}{n} {unit}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdict and counts, e.g. `breaking (+1 col, -2 cols, 1 type change)`, or
/// `no schema change`.
pub fn change_summary(drift: &SchemaDrift) -> String {
    if drift.is_empty() {
        "no schema change".into()
    } else {
        format!("{} ({})", Verdict::of(drift).name(), change_counts(drift))
    }
}
