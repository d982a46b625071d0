//! Schema drift between two versions of a dataset: which tables and columns were added,
//! removed or changed type, and which removed/added column pairs might be renames.
//!
//! Tables are matched by display name and columns by exact name. Only the shape counts
//! (names and types, as in the fingerprint); a change of nullability or identifier flag is not
//! drift.
//!
//! # Classes
//!
//! * **additive**: a table or column was added;
//! * **widening**: a column's type changed along the widening lattice ([`is_widening`]:
//!   `Int64` → `Float64`, `Date` → `Timestamp`), so every old value reads as a value of the
//!   new type, as Delta Lake's type widening and Iceberg's type promotions allow;
//! * **breaking**: a table or column was removed, or a column's type changed any other way.
//!
//! A drift's class is the worst of its changes (breaking, then widening, then additive). Widening
//! is not breaking by default; a policy may count it as breaking
//! ([`crate::schema::WideningRule::Breaking`]).
//!
//! # Order (deterministic, so the stored event is reproducible)
//!
//! * tables: sorted by name (byte order);
//! * added columns and type changes: in the new schema's column order;
//! * removed columns: in the old schema's column order;
//! * rename candidates: by the removed column's old position, then higher similarity first,
//!   then the added column's new position.
//!
//! # Rename candidates
//!
//! A removed and an added column of the same table are a rename candidate when they have the
//! same type and similar names. Names are normalized (lowercase, only alphanumeric characters
//! kept: `Flipper Length (mm)` and `flipper_length_mm` both become `flipperlengthmm`) and are
//! similar when either the Levenshtein similarity `1 - distance / longer length` (over
//! characters) is at least [`RENAME_SIMILARITY_THRESHOLD`], or one normalized name of at least
//! three characters is a prefix or suffix of the other (`weight` → `weight_kg`). Candidates are
//! only shown: the removed and added lists still contain both columns.
//!
//! # Cost
//!
//! Columns are matched through hash maps, so a table of `n` columns is classified in `O(n)`
//! plus the rename candidates. Those compare each removed column with each added column of
//! the same type: when a table has more such pairs than [`RENAME_PAIR_BUDGET`] (a wide table
//! whose columns were all renamed), only pairs whose normalized names are equal are
//! candidates, found by hashing, so that classification stays `O(n log n)` whatever the
//! width (it runs under the writer lock of an overwrite).

use super::types::{Column, ColumnType, Schema};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The Levenshtein similarity from which two normalized names count as a rename candidate.
///
/// 0.8 accepts a case or punctuation change and small spelling edits while rejecting a word
/// swapped for another (`Culmen Length (mm)` vs `bill_length_mm` is about 0.64).
pub const RENAME_SIMILARITY_THRESHOLD: f64 = 0.8;

/// The shortest normalized name that counts as a prefix/suffix of another name.
const MIN_CONTAINED_NAME_LEN: usize = 3;

/// The most removed/added column pairs of one table whose names are compared for rename
/// candidates; past it, only equal normalized names are (see the module docs).
pub const RENAME_PAIR_BUDGET: usize = 100_000;

/// A column named in a drift: its name and type.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ColumnSummary {
    /// The column name.
    pub name: String,
    /// The column type.
    pub column_type: ColumnType,
}

/// A column present in both versions whose type changed.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TypeChange {
    /// The column name.
    pub name: String,
    /// The type in the old version.
    pub old_type: ColumnType,
    /// The type in the new version.
    pub new_type: ColumnType,
}

/// Whether a column of type `old` may change to `new` as a widening: every value of `old`
/// reads as a value of `new` with the same meaning. The lattice has two edges and no chains:
///
/// * `Int64` → `Float64` (as Iceberg's `int` → `long` → `double` family and Delta's integer
///   to `double` widening; integers beyond 2^53 are rounded to the nearest `Float64`);
/// * `Date` → `Timestamp` (a date reads as midnight UTC of that day, as Delta's `date` →
///   `timestamp_ntz`).
///
/// Every other change, and every change the other way (narrowing), is breaking; so is any
/// change to or from `Boolean` or `Utf8` (text reads as anything only by parsing it).
pub fn is_widening(old: ColumnType, new: ColumnType) -> bool {
    use ColumnType::*;
    matches!((old, new), (Int64, Float64) | (Date, Timestamp))
}

impl TypeChange {
    /// The change is a widening ([`is_widening`]).
    pub fn is_widening(&self) -> bool {
        is_widening(self.old_type, self.new_type)
    }
}

/// A removed column that may have been renamed to an added one (shown, never applied).
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RenameCandidate {
    /// The removed column's name.
    pub from: String,
    /// The added column's name.
    pub to: String,
    /// The type both have.
    pub column_type: ColumnType,
    /// Levenshtein similarity of the normalized names, in thousandths (1000 = equal).
    pub similarity_permille: u16,
}

/// The drift of one table present in both versions.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableDrift {
    /// The table's display name.
    pub table: String,
    /// Columns only in the new version, in new-schema order.
    pub added_columns: Vec<ColumnSummary>,
    /// Columns only in the old version, in old-schema order.
    pub removed_columns: Vec<ColumnSummary>,
    /// Columns in both versions with a different type, in new-schema order.
    pub type_changes: Vec<TypeChange>,
    /// Removed/added pairs that may be renames (see the module docs).
    pub rename_candidates: Vec<RenameCandidate>,
}

impl TableDrift {
    /// No column was added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added_columns.is_empty()
            && self.removed_columns.is_empty()
            && self.type_changes.is_empty()
    }

    /// A column was removed or changed type other than by widening: readers of the old shape
    /// may break.
    pub fn is_breaking(&self) -> bool {
        !self.removed_columns.is_empty() || self.type_changes.iter().any(|c| !c.is_widening())
    }

    /// A column's type was widened ([`is_widening`]).
    pub fn has_widening(&self) -> bool {
        self.type_changes.iter().any(TypeChange::is_widening)
    }
}

/// The drift between two versions of a dataset.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Dataset events"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SchemaDrift {
    /// Tables only in the new version, sorted by name.
    pub added_tables: Vec<String>,
    /// Tables only in the old version, sorted by name.
    pub removed_tables: Vec<String>,
    /// Tables in both versions whose columns differ, sorted by name.
    pub changed_tables: Vec<TableDrift>,
}

impl SchemaDrift {
    /// Nothing changed shape.
    pub fn is_empty(&self) -> bool {
        self.added_tables.is_empty()
            && self.removed_tables.is_empty()
            && self.changed_tables.is_empty()
    }

    /// A table or column was removed or a column changed type other than by widening.
    pub fn is_breaking(&self) -> bool {
        !self.removed_tables.is_empty() || self.changed_tables.iter().any(TableDrift::is_breaking)
    }

    /// A column's type was widened ([`is_widening`]).
    pub fn has_widening(&self) -> bool {
        self.changed_tables.iter().any(TableDrift::has_widening)
    }

    /// Something was added and nothing was removed or changed. An empty drift is not additive.
    pub fn is_additive_only(&self) -> bool {
        !self.is_empty() && !self.is_breaking() && !self.has_widening()
    }

    /// One line per widened column, e.g. ``table `visits`: column `score` widened from Int64
    /// to Float64``.
    pub fn widening_notices(&self) -> Vec<String> {
        self.changed_tables
            .iter()
            .flat_map(|table| {
                table
                    .type_changes
                    .iter()
                    .filter(|c| c.is_widening())
                    .map(move |c| {
                        format!(
                            "table `{}`: column `{}` widened from {} to {}",
                            table.table, c.name, c.old_type, c.new_type
                        )
                    })
            })
            .collect()
    }

    /// The widenings, then the additions: what is reported when nothing breaking is.
    pub fn compatible_notices(&self) -> Vec<String> {
        let mut lines = self.widening_notices();
        lines.extend(self.additive_notices());
        lines
    }

    /// One line per added table and added column, e.g.
    /// ``table `penguins`: column `year` (Int64) added``.
    pub fn additive_notices(&self) -> Vec<String> {
        let tables = self
            .added_tables
            .iter()
            .map(|t| format!("table `{t}` added"));
        let columns = self.changed_tables.iter().flat_map(|table| {
            table.added_columns.iter().map(move |c| {
                format!(
                    "table `{}`: column `{}` ({}) added",
                    table.table, c.name, c.column_type
                )
            })
        });
        tables.chain(columns).collect()
    }

    /// One line per removed table, removed column, type change other than a widening, and
    /// rename candidate.
    pub fn breaking_notices(&self) -> Vec<String> {
        let tables = self
            .removed_tables
            .iter()
            .map(|t| format!("table `{t}` removed"));
        let columns = self.changed_tables.iter().flat_map(table_breaking_notices);
        tables.chain(columns).collect()
    }

    /// Every change as one line: the breaking ones first, then the widenings, then the
    /// additions.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = self.breaking_notices();
        lines.extend(self.compatible_notices());
        lines
    }
}

fn table_breaking_notices(table: &TableDrift) -> Vec<String> {
    let name = &table.table;
    let removed = table.removed_columns.iter().map(|c| {
        format!(
            "table `{name}`: column `{}` ({}) removed",
            c.name, c.column_type
        )
    });
    let changed = table
        .type_changes
        .iter()
        .filter(|c| !c.is_widening())
        .map(|c| {
            format!(
                "table `{name}`: column `{}` changed type from {} to {}",
                c.name, c.old_type, c.new_type
            )
        });
    let renames = table.rename_candidates.iter().map(|r| {
        format!(
            "table `{name}`: column `{}` ({}) may have been renamed to `{}`",
            r.from, r.column_type, r.to
        )
    });
    removed.chain(changed).chain(renames).collect()
}

/// The drift from the `old` version's tables to the `new` version's tables.
///
/// Each slice holds `(display name, schema)` pairs. Names are expected to be unique within a
/// version; if one repeats, its first occurrence is used.
pub fn classify_drift(old: &[(String, Schema)], new: &[(String, Schema)]) -> SchemaDrift {
    let old_tables = tables_by_name(old);
    let new_tables = tables_by_name(new);
    let added_tables = new_tables
        .keys()
        .filter(|name| !old_tables.contains_key(*name))
        .map(|name| name.to_string())
        .collect();
    let removed_tables = old_tables
        .keys()
        .filter(|name| !new_tables.contains_key(*name))
        .map(|name| name.to_string())
        .collect();
    let changed_tables = old_tables
        .iter()
        .filter_map(|(name, old_schema)| {
            let new_schema = new_tables.get(name)?;
            let drift = table_drift(name, old_schema, new_schema);
            (!drift.is_empty()).then_some(drift)
        })
        .collect();
    SchemaDrift {
        added_tables,
        removed_tables,
        changed_tables,
    }
}

/// Tables by name, sorted (byte order); the first of a repeated name wins.
fn tables_by_name(tables: &[(String, Schema)]) -> BTreeMap<&str, &Schema> {
    let mut by_name = BTreeMap::new();
    for (name, schema) in tables {
        by_name.entry(name.as_str()).or_insert(schema);
    }
    by_name
}

/// Columns by name; the first of a repeated name wins (as [`Schema::column`]).
fn columns_by_name(schema: &Schema) -> HashMap<&str, &Column> {
    let mut by_name = HashMap::with_capacity(schema.columns.len());
    for column in &schema.columns {
        by_name.entry(column.name.as_str()).or_insert(column);
    }
    by_name
}

/// The drift of one table from `old` to `new` (columns matched by exact name).
pub fn table_drift(table: &str, old: &Schema, new: &Schema) -> TableDrift {
    let (old_columns, new_columns) = (columns_by_name(old), columns_by_name(new));
    let added_columns: Vec<ColumnSummary> = new
        .columns
        .iter()
        .filter(|c| !old_columns.contains_key(c.name.as_str()))
        .map(|c| summary(&c.name, c.column_type))
        .collect();
    let removed_columns: Vec<ColumnSummary> = old
        .columns
        .iter()
        .filter(|c| !new_columns.contains_key(c.name.as_str()))
        .map(|c| summary(&c.name, c.column_type))
        .collect();
    let type_changes = new
        .columns
        .iter()
        .filter_map(|c| {
            let before = *old_columns.get(c.name.as_str())?;
            (before.column_type != c.column_type).then(|| TypeChange {
                name: c.name.clone(),
                old_type: before.column_type,
                new_type: c.column_type,
            })
        })
        .collect();
    let rename_candidates = rename_candidates(&removed_columns, &added_columns);
    TableDrift {
        table: table.to_string(),
        added_columns,
        removed_columns,
        type_changes,
        rename_candidates,
    }
}

fn summary(name: &str, column_type: ColumnType) -> ColumnSummary {
    ColumnSummary {
        name: name.to_string(),
        column_type,
    }
}

/// Same-type removed/added pairs with similar names, in the documented order. Each name is
/// normalized once; past [`RENAME_PAIR_BUDGET`] pairs, only equal normalized names count.
fn rename_candidates(removed: &[ColumnSummary], added: &[ColumnSummary]) -> Vec<RenameCandidate> {
    let added_names: Vec<Vec<char>> = added.iter().map(|c| normalize_name(&c.name)).collect();
    // Added columns (by index, in schema order) by type, and by type and normalized name.
    let mut by_type: HashMap<ColumnType, Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<(ColumnType, &[char]), Vec<usize>> = HashMap::new();
    for (i, column) in added.iter().enumerate() {
        by_type.entry(column.column_type).or_default().push(i);
        by_name
            .entry((column.column_type, added_names[i].as_slice()))
            .or_default()
            .push(i);
    }
    let pairs: usize = removed
        .iter()
        .map(|c| by_type.get(&c.column_type).map_or(0, Vec::len))
        .sum();
    let compare_all = pairs <= RENAME_PAIR_BUDGET;
    let mut candidates = Vec::new();
    for old in removed {
        let old_name = normalize_name(&old.name);
        let others: &[usize] = if compare_all {
            by_type.get(&old.column_type).map_or(&[], Vec::as_slice)
        } else {
            by_name
                .get(&(old.column_type, old_name.as_slice()))
                .map_or(&[], Vec::as_slice)
        };
        let mut for_this_column: Vec<RenameCandidate> = others
            .iter()
            .filter_map(|&i| {
                let similarity_permille = similarity(&old_name, &added_names[i])?;
                Some(RenameCandidate {
                    from: old.name.clone(),
                    to: added[i].name.clone(),
                    column_type: old.column_type,
                    similarity_permille,
                })
            })
            .collect();
        // Stable sort: equal similarity keeps the added columns' schema order.
        for_this_column.sort_by_key(|candidate| std::cmp::Reverse(candidate.similarity_permille));
        candidates.extend(for_this_column);
    }
    candidates
}

/// The similarity of two column names in thousandths if they are similar enough to be a rename
/// candidate (see the module docs), `None` otherwise.
pub fn name_similarity(a: &str, b: &str) -> Option<u16> {
    similarity(&normalize_name(a), &normalize_name(b))
}

/// [`name_similarity`] of two normalized names.
fn similarity(a: &[char], b: &[char]) -> Option<u16> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let longer = a.len().max(b.len());
    let contained = is_prefix_or_suffix(a, b);
    // Unless one name contains the other, only distances up to the threshold's matter: give
    // up one past it (the float test below decides at the boundary).
    let bound = if contained {
        usize::MAX
    } else {
        (longer as f64 * (1.0 - RENAME_SIMILARITY_THRESHOLD)).floor() as usize + 1
    };
    let distance = levenshtein_within(a, b, bound)?;
    let similarity = 1.0 - distance as f64 / longer as f64;
    let permille = (similarity * 1000.0).round() as u16;
    (similarity >= RENAME_SIMILARITY_THRESHOLD || contained).then_some(permille)
}

/// Lowercase characters of the name that are alphanumeric, in order.
fn normalize_name(name: &str) -> Vec<char> {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the shorter name (at least three characters) starts or ends the longer one.
fn is_prefix_or_suffix(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= MIN_CONTAINED_NAME_LEN && (long.starts_with(short) || long.ends_with(short))
}

/// The Levenshtein edit distance (insert, delete, substitute; each costs 1).
#[cfg(test)]
fn levenshtein(a: &[char], b: &[char]) -> usize {
    levenshtein_within(a, b, usize::MAX).expect("no bound")
}

/// The Levenshtein distance if it is at most `bound`, `None` otherwise (found early: the
/// lengths differ by more, or a whole row of the table exceeds it).
fn levenshtein_within(a: &[char], b: &[char], bound: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > bound {
        return None;
    }
    // Two rows of the classic dynamic programme: previous[j] = distance(a[..i], b[..j]).
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        // Distances never shrink down the table: a row past the bound ends it.
        if current.iter().min().is_some_and(|&m| m > bound) {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    Some(previous[b.len()]).filter(|&d| d <= bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnType::*;

    fn schema(columns: &[(&str, ColumnType)]) -> Schema {
        Schema {
            columns: columns
                .iter()
                .map(|&(name, column_type)| Column {
                    name: name.to_string(),
                    column_type,
                    nullable: false,
                    identifier: false,
                })
                .collect(),
        }
    }

    fn one_table(columns: &[(&str, ColumnType)]) -> Vec<(String, Schema)> {
        vec![("t".to_string(), schema(columns))]
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn levenshtein_counts_single_character_edits() {
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(levenshtein(&chars(""), &chars("abc")), 3);
        assert_eq!(levenshtein(&chars("abc"), &chars("abc")), 0);
        assert_eq!(levenshtein(&chars("flaw"), &chars("lawn")), 2);
    }

    #[test]
    fn names_differing_in_case_or_punctuation_are_similar() {
        assert_eq!(name_similarity("Island", "island"), Some(1000));
        assert_eq!(
            name_similarity("Flipper Length (mm)", "flipper_length_mm"),
            Some(1000)
        );
        assert_eq!(name_similarity("Body Mass (g)", "body_mass_g"), Some(1000));
        assert!(name_similarity("temperature", "temprature").is_some());
    }

    #[test]
    fn names_with_a_different_word_are_not_similar() {
        assert_eq!(
            name_similarity("Culmen Length (mm)", "bill_length_mm"),
            None
        );
        assert_eq!(name_similarity("Culmen Depth (mm)", "bill_depth_mm"), None);
        assert_eq!(name_similarity("Region", "island"), None);
        assert_eq!(
            name_similarity("id", "sample_id"),
            None,
            "too short to contain"
        );
        assert_eq!(
            name_similarity("()", "[]"),
            None,
            "nothing left after normalizing"
        );
    }

    #[test]
    fn a_name_that_starts_or_ends_another_is_similar() {
        assert!(name_similarity("weight", "weight_kg").is_some());
        assert!(name_similarity("Date", "visit date").is_some());
        assert_eq!(name_similarity("weight", "body weight kg"), None);
    }

    #[test]
    fn identical_schemas_have_no_drift() {
        let drift = classify_drift(&one_table(&[("a", Int64)]), &one_table(&[("a", Int64)]));
        assert!(drift.is_empty());
        assert!(!drift.is_breaking());
        assert!(!drift.is_additive_only());
    }

    #[test]
    fn reordered_columns_are_not_drift() {
        let old = one_table(&[("a", Int64), ("b", Utf8)]);
        let new = one_table(&[("b", Utf8), ("a", Int64)]);
        assert!(classify_drift(&old, &new).is_empty());
    }

    #[test]
    fn added_column_is_additive_only() {
        let old = one_table(&[("a", Int64)]);
        let new = one_table(&[("a", Int64), ("b", Date)]);
        let drift = classify_drift(&old, &new);
        assert!(drift.is_additive_only());
        assert!(!drift.is_breaking());
        assert_eq!(
            drift.changed_tables[0].added_columns,
            vec![summary("b", Date)]
        );
        assert_eq!(
            drift.additive_notices(),
            vec!["table `t`: column `b` (Date) added"]
        );
    }

    #[test]
    fn removed_column_is_breaking() {
        let drift = classify_drift(
            &one_table(&[("a", Int64), ("b", Utf8)]),
            &one_table(&[("a", Int64)]),
        );
        assert!(drift.is_breaking());
        assert!(!drift.is_additive_only());
        assert_eq!(
            drift.changed_tables[0].removed_columns,
            vec![summary("b", Utf8)]
        );
    }

    #[test]
    fn type_change_is_breaking_and_names_both_types() {
        // Float64 -> Int64 narrows (Int64 -> Float64 is a widening, below).
        let drift = classify_drift(&one_table(&[("a", Float64)]), &one_table(&[("a", Int64)]));
        assert!(drift.is_breaking());
        let change = &drift.changed_tables[0].type_changes[0];
        assert_eq!((change.old_type, change.new_type), (Float64, Int64));
        assert_eq!(
            drift.describe(),
            vec!["table `t`: column `a` changed type from Float64 to Int64"]
        );
    }

    #[test]
    fn the_widening_lattice_is_int_to_float_and_date_to_timestamp_only() {
        let all = [Boolean, Int64, Float64, Date, Timestamp, Utf8];
        let widenings: Vec<(ColumnType, ColumnType)> = all
            .iter()
            .flat_map(|&old| all.iter().map(move |&new| (old, new)))
            .filter(|&(old, new)| is_widening(old, new))
            .collect();
        assert_eq!(widenings, vec![(Int64, Float64), (Date, Timestamp)]);
    }

    #[test]
    fn a_widened_column_is_its_own_class_not_breaking() {
        let old = one_table(&[("n", Int64), ("d", Date)]);
        let new = one_table(&[("n", Float64), ("d", Timestamp)]);
        let drift = classify_drift(&old, &new);
        assert!(!drift.is_breaking());
        assert!(drift.has_widening());
        assert!(!drift.is_additive_only());
        assert!(!drift.is_empty());
        assert_eq!(drift.breaking_notices(), Vec::<String>::new());
        assert_eq!(
            drift.describe(),
            vec![
                "table `t`: column `n` widened from Int64 to Float64",
                "table `t`: column `d` widened from Date to Timestamp",
            ]
        );
        // A widening beside a narrowing: the drift is breaking, and names each as it is.
        let mixed = classify_drift(&old, &one_table(&[("n", Float64), ("d", Utf8)]));
        assert!(mixed.is_breaking() && mixed.has_widening());
        assert_eq!(
            mixed.describe(),
            vec![
                "table `t`: column `d` changed type from Date to Utf8",
                "table `t`: column `n` widened from Int64 to Float64",
            ]
        );
    }

    #[test]
    fn rename_candidates_need_the_same_type_and_stay_in_removed_and_added() {
        let old = one_table(&[("Weight", Float64), ("Site", Utf8)]);
        let new = one_table(&[("weight", Float64), ("site", Int64)]);
        let table = &classify_drift(&old, &new).changed_tables[0];
        assert_eq!(table.rename_candidates.len(), 1);
        assert_eq!(
            (
                table.rename_candidates[0].from.as_str(),
                table.rename_candidates[0].to.as_str()
            ),
            ("Weight", "weight")
        );
        assert_eq!(table.removed_columns.len(), 2);
        assert_eq!(table.added_columns.len(), 2);
    }

    #[test]
    fn rename_candidates_are_ordered_by_removed_column_then_similarity() {
        let old = one_table(&[("temp", Float64), ("Weight", Float64)]);
        let new = one_table(&[
            ("temp_c", Float64),
            ("weight", Float64),
            ("temp_max", Float64),
        ]);
        let pairs: Vec<(String, String)> = classify_drift(&old, &new).changed_tables[0]
            .rename_candidates
            .iter()
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect();
        let expected = [
            ("temp", "temp_c"),
            ("temp", "temp_max"),
            ("Weight", "weight"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(pairs, expected);
    }

    #[test]
    fn nullability_changes_are_not_drift() {
        let old = one_table(&[("a", Int64)]);
        let mut new = old.clone();
        new[0].1.columns[0].nullable = true;
        new[0].1.columns[0].identifier = true;
        assert!(classify_drift(&old, &new).is_empty());
    }

    #[test]
    fn tables_are_added_and_removed_by_name_in_sorted_order() {
        let s = schema(&[("a", Int64)]);
        let old = vec![("b".to_string(), s.clone()), ("a".to_string(), s.clone())];
        let new = vec![
            ("z".to_string(), s.clone()),
            ("a".to_string(), s.clone()),
            ("c".to_string(), s),
        ];
        let drift = classify_drift(&old, &new);
        assert_eq!(drift.added_tables, vec!["c", "z"]);
        assert_eq!(drift.removed_tables, vec!["b"]);
        assert!(drift.changed_tables.is_empty());
        assert!(drift.is_breaking());
    }

    #[test]
    fn added_table_alone_is_additive_only() {
        let s = schema(&[("a", Int64)]);
        let old = vec![("a".to_string(), s.clone())];
        let new = vec![("a".to_string(), s.clone()), ("b".to_string(), s)];
        let drift = classify_drift(&old, &new);
        assert!(drift.is_additive_only());
        assert_eq!(drift.additive_notices(), vec!["table `b` added"]);
    }

    /// The similarity as first specified: the full distance, then the threshold.
    fn reference_similarity(a: &str, b: &str) -> Option<u16> {
        let (a, b) = (normalize_name(a), normalize_name(b));
        if a.is_empty() || b.is_empty() {
            return None;
        }
        let longer = a.len().max(b.len());
        let similarity = 1.0 - levenshtein(&a, &b) as f64 / longer as f64;
        let permille = (similarity * 1000.0).round() as u16;
        (similarity >= RENAME_SIMILARITY_THRESHOLD || is_prefix_or_suffix(&a, &b))
            .then_some(permille)
    }

    #[test]
    fn the_bounded_similarity_equals_the_full_one() {
        let names = [
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdef",
            "abcdeg",
            "xbcdef",
            "weight",
            "weight_kg",
            "Weight (kg)",
            "temp",
            "temprature",
            "temperature",
            "col_0001",
            "col_0010",
            "col_1000",
            "colum_0001",
            "Body Mass (g)",
            "body_mass_g",
            "island",
            "Region",
            "aaaaa",
            "aaaab",
            "baaaa",
            "abcdefghij",
            "abcdefghik",
            "bcdefghijk",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    name_similarity(a, b),
                    reference_similarity(a, b),
                    "{a} / {b}"
                );
            }
        }
    }

    fn wide(prefix: &str, n: usize) -> Vec<(String, Schema)> {
        let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i:05}")).collect();
        let columns: Vec<(&str, ColumnType)> = names.iter().map(|n| (n.as_str(), Utf8)).collect();
        one_table(&columns)
    }

    #[test]
    fn past_the_pair_budget_only_equal_normalized_names_are_rename_candidates() {
        // 1,000 removed and 1,000 added columns: 1,000,000 pairs, past the budget.
        let old = wide("col_", 1000);
        let mut new = wide("Col ", 1000);
        new[0].1.columns[0].name = "col_00001x".into(); // similar to col_00001, not equal
        let drift = classify_drift(&old, &new);
        let table = &drift.changed_tables[0];
        assert_eq!(
            (table.removed_columns.len(), table.added_columns.len()),
            (1000, 1000)
        );
        assert_eq!(table.rename_candidates.len(), 999);
        assert!(table
            .rename_candidates
            .iter()
            .all(|r| r.similarity_permille == 1000 && r.from[4..] == r.to[4..]));
        // Under the budget, similar names count too.
        let small = classify_drift(&wide("col_", 10), &wide("col_x", 10));
        let renames = &small.changed_tables[0].rename_candidates;
        assert_eq!(renames.len(), 10);
        assert!(
            renames.iter().all(|r| r.similarity_permille == 889),
            "{renames:?}"
        );
    }

    #[test]
    fn drift_round_trips_through_json_and_bincode() {
        let drift = classify_drift(
            &one_table(&[("Weight", Float64), ("a", Int64)]),
            &one_table(&[("weight", Float64), ("a", Utf8)]),
        );
        let json = serde_json::to_string(&drift).unwrap();
        assert_eq!(serde_json::from_str::<SchemaDrift>(&json).unwrap(), drift);
        let bytes = bincode::serialize(&drift).unwrap();
        assert_eq!(bincode::deserialize::<SchemaDrift>(&bytes).unwrap(), drift);
    }
}
