//! The caller's view of a dataset version (tables and their schemas) and the name indexes
//! that validation builds over it.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::schema::{Column, ColumnType, Schema};

/// One table of a version, as the catalog knows it.
#[derive(Debug, Clone, Copy)]
pub struct TableRef<'a> {
    /// The table's stable id within the dataset, e.g. `table_0`.
    pub table_id: &'a str,
    /// The name people use, from the file name, e.g. `penguins`.
    pub display_name: &'a str,
    /// The table's columns.
    pub schema: &'a Schema,
}

impl TableRef<'_> {
    /// Whether a table name written in a query designates this table: its display name or
    /// its stable id, compared case-insensitively.
    pub fn answers_to(&self, name: &str) -> bool {
        self.display_name.eq_ignore_ascii_case(name) || self.table_id.eq_ignore_ascii_case(name)
    }

    /// The column with this name: the exact spelling first, then a case-insensitive match
    /// (only when it is the single one).
    pub fn column_named(&self, name: &str) -> Option<&Column> {
        self.schema.column(name).or_else(|| {
            let lowered = name.to_lowercase();
            let mut matches = self
                .schema
                .columns
                .iter()
                .filter(|c| c.name.to_lowercase() == lowered);
            let first = matches.next();
            match matches.next() {
                None => first,
                Some(_) => None,
            }
        })
    }
}

/// One version of a dataset: its number, content hash and tables.
#[derive(Debug, Clone)]
pub struct VersionSchemas<'a> {
    /// The version number, 1, 2, 3… per dataset.
    pub number: u64,
    /// The SHA-256 content hash of the version, in hex.
    pub hash_hex: &'a str,
    /// The tables of the version.
    pub tables: Vec<TableRef<'a>>,
}

impl<'a> VersionSchemas<'a> {
    /// The table a query name designates: an exact display name or id first, then a
    /// case-insensitive match.
    pub fn table(&self, name: &str) -> Option<&TableRef<'a>> {
        self.tables
            .iter()
            .find(|t| t.display_name == name || t.table_id == name)
            .or_else(|| self.tables.iter().find(|t| t.answers_to(name)))
    }

    /// This version's counterpart of a table seen in another version: the table with the
    /// same stable id, else the same display name, else the only table when both versions
    /// have exactly one.
    pub fn counterpart(
        &self,
        table: &TableRef<'_>,
        other_table_count: usize,
    ) -> Option<&TableRef<'a>> {
        let sole_table = match (self.tables.as_slice(), other_table_count) {
            ([only], 1) => Some(only),
            _ => None,
        };
        self.tables
            .iter()
            .find(|t| t.table_id == table.table_id)
            .or_else(|| {
                self.tables
                    .iter()
                    .find(|t| t.display_name.eq_ignore_ascii_case(table.display_name))
            })
            .or(sole_table)
    }
}

/// A base-table column that a query column can be traced back to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BaseColumn<'v> {
    /// The table holding the column.
    pub table: &'v TableRef<'v>,
    /// The column itself.
    pub column: &'v Column,
}

/// One column visible through a relation: a base-table column or a derived table's output.
#[derive(Debug, Clone)]
pub(crate) struct ColumnEntry<'v> {
    /// The name under which the column is visible.
    pub name: Cow<'v, str>,
    /// Its type, when known.
    pub column_type: Option<ColumnType>,
    /// The base column it passes through unchanged, if any.
    pub origin: Option<BaseColumn<'v>>,
}

/// The result of looking a name up in a [`ColumnSet`].
#[derive(Debug)]
pub(crate) enum ColumnMatch<'s, 'v> {
    /// Exactly one column answers to the name.
    Found(&'s ColumnEntry<'v>),
    /// Several columns answer to it (duplicate output names, or case variants with no
    /// exact match).
    Ambiguous,
    /// None does.
    Missing,
}

/// The columns of one relation, in output order, with a lowercase name index.
///
/// Invariants: `by_lowercase[name.to_lowercase()]` lists, in order, the positions of every
/// named entry whose lowercased name is that key, so a lookup costs one hash probe; unnamed
/// entries (an expression without alias) have an empty name and are not indexed.
#[derive(Debug, Default)]
pub(crate) struct ColumnSet<'v> {
    entries: Vec<ColumnEntry<'v>>,
    by_lowercase: HashMap<String, Vec<usize>>,
    /// True when `entries` are exactly the relation's columns, position by position.
    positional: bool,
    /// True when, moreover, every entry is named: a name that is not found is certainly not
    /// a column of the relation.
    complete: bool,
}

impl<'v> ColumnSet<'v> {
    /// A set with these entries; `positional` tells whether they are exactly the relation's
    /// columns, in order (unnamed ones included, with an empty name).
    pub fn new(entries: Vec<ColumnEntry<'v>>, positional: bool) -> Self {
        let mut by_lowercase: HashMap<String, Vec<usize>> = HashMap::with_capacity(entries.len());
        for (position, entry) in entries.iter().enumerate() {
            if !entry.name.is_empty() {
                by_lowercase
                    .entry(entry.name.to_lowercase())
                    .or_default()
                    .push(position);
            }
        }
        let complete = positional && entries.iter().all(|e| !e.name.is_empty());
        ColumnSet {
            entries,
            by_lowercase,
            positional,
            complete,
        }
    }

    /// The columns of a base table, each traced to itself.
    pub fn of_table(table: &'v TableRef<'v>) -> Self {
        let entries = table
            .schema
            .columns
            .iter()
            .map(|column| ColumnEntry {
                name: Cow::Borrowed(column.name.as_str()),
                column_type: Some(column.column_type),
                origin: Some(BaseColumn { table, column }),
            })
            .collect();
        ColumnSet::new(entries, true)
    }

    /// A set whose columns are unknown (a construct that is not modelled).
    pub fn opaque() -> Self {
        ColumnSet::new(Vec::new(), false)
    }

    /// Whether every column of the relation is listed by name.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether the entries are exactly the relation's columns, in order.
    pub fn is_positional(&self) -> bool {
        self.positional
    }

    /// The listed columns, in order (unnamed ones have an empty name).
    pub fn entries(&self) -> &[ColumnEntry<'v>] {
        &self.entries
    }

    /// The names of the named entries, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .map(|e| e.name.as_ref())
            .filter(|n| !n.is_empty())
    }

    /// Looks a name up: the exact spelling wins; otherwise a single case-insensitive match.
    pub fn lookup(&self, name: &str) -> ColumnMatch<'_, 'v> {
        let Some(positions) = self.by_lowercase.get(&name.to_lowercase()) else {
            return ColumnMatch::Missing;
        };
        let mut exact = positions.iter().filter(|&&p| self.entries[p].name == name);
        match (exact.next(), exact.next()) {
            (Some(&p), None) => ColumnMatch::Found(&self.entries[p]),
            (Some(_), Some(_)) => ColumnMatch::Ambiguous,
            (None, _) if positions.len() == 1 => ColumnMatch::Found(&self.entries[positions[0]]),
            (None, _) => ColumnMatch::Ambiguous,
        }
    }

    /// The same columns under new leading names (`AS t(a, b)`). More names than known
    /// columns make the set non-positional, since the real column count is then unknown.
    pub fn renamed(&self, names: &[&str]) -> Self {
        let mut entries = self.entries.clone();
        for (entry, name) in entries.iter_mut().zip(names) {
            entry.name = Cow::Owned((*name).to_string());
        }
        let positional = self.positional && names.len() <= entries.len();
        ColumnSet::new(entries, positional)
    }
}

/// A version that a query names by a qualifier (`"trial-42@3".visits`): the qualifier as
/// written (one identifier, or several joined by `.`) and the version's tables.
#[derive(Debug, Clone)]
pub struct QualifiedVersion<'a> {
    /// The qualifier, e.g. `trial-42@3`.
    pub qualifier: &'a str,
    /// The version it names.
    pub version: VersionSchemas<'a>,
}

/// The tables of the validated version, with their column indexes built on first use, and
/// the versions named by qualifiers.
pub(crate) struct Catalog<'v> {
    version: &'v VersionSchemas<'v>,
    column_sets: Vec<OnceCell<Rc<ColumnSet<'v>>>>,
    qualified: &'v [QualifiedVersion<'v>],
}

impl<'v> Catalog<'v> {
    /// A catalog over one version; no index is built yet.
    pub fn new(version: &'v VersionSchemas<'v>, qualified: &'v [QualifiedVersion<'v>]) -> Self {
        Catalog {
            version,
            column_sets: version.tables.iter().map(|_| OnceCell::new()).collect(),
            qualified,
        }
    }

    /// The version a qualifier names: an exact match first, then a case-insensitive one.
    pub fn qualified_version(&self, qualifier: &str) -> Option<&'v VersionSchemas<'v>> {
        self.qualified
            .iter()
            .find(|q| q.qualifier == qualifier)
            .or_else(|| {
                self.qualified
                    .iter()
                    .find(|q| q.qualifier.eq_ignore_ascii_case(qualifier))
            })
            .map(|q| &q.version)
    }

    /// The table `name` of the version `qualifier` names, with its column index; `None`
    /// when the qualifier names no version or the version has no such table.
    pub fn qualified_table(
        &self,
        qualifier: &str,
        name: &str,
    ) -> Option<(&'v TableRef<'v>, Rc<ColumnSet<'v>>)> {
        let table = self.qualified_version(qualifier)?.table(name)?;
        Some((table, Rc::new(ColumnSet::of_table(table))))
    }

    /// The validated version.
    pub fn version(&self) -> &'v VersionSchemas<'v> {
        self.version
    }

    /// The table a query name designates, with its column index.
    pub fn table(&self, name: &str) -> Option<(&'v TableRef<'v>, Rc<ColumnSet<'v>>)> {
        let table = self.version.table(name)?;
        let position = self
            .version
            .tables
            .iter()
            .position(|t| std::ptr::eq(t, table))?;
        let set = self.column_sets[position].get_or_init(|| Rc::new(ColumnSet::of_table(table)));
        Some((table, Rc::clone(set)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(names: &[&str]) -> Schema {
        Schema {
            columns: names
                .iter()
                .map(|n| Column {
                    name: n.to_string(),
                    column_type: ColumnType::Utf8,
                    nullable: false,
                    identifier: false,
                })
                .collect(),
        }
    }

    #[test]
    fn lookup_prefers_exact_then_single_case_insensitive_match() {
        let s = schema(&["Sex", "sex", "Island"]);
        let table = TableRef {
            table_id: "table_0",
            display_name: "p",
            schema: &s,
        };
        let set = ColumnSet::of_table(&table);
        assert!(matches!(set.lookup("sex"), ColumnMatch::Found(e) if e.name == "sex"));
        assert!(matches!(set.lookup("SEX"), ColumnMatch::Ambiguous));
        assert!(matches!(set.lookup("island"), ColumnMatch::Found(e) if e.name == "Island"));
        assert!(matches!(set.lookup("species"), ColumnMatch::Missing));
    }

    #[test]
    fn counterpart_is_found_by_id_then_name_then_single_table() {
        let s = schema(&["a"]);
        let old = TableRef {
            table_id: "table_0",
            display_name: "raw",
            schema: &s,
        };
        let by_id = VersionSchemas {
            number: 2,
            hash_hex: "",
            tables: vec![TableRef {
                table_id: "table_0",
                display_name: "clean",
                schema: &s,
            }],
        };
        assert_eq!(by_id.counterpart(&old, 1).unwrap().display_name, "clean");
        let by_single = VersionSchemas {
            number: 2,
            hash_hex: "",
            tables: vec![TableRef {
                table_id: "table_9",
                display_name: "other",
                schema: &s,
            }],
        };
        assert!(by_single.counterpart(&old, 1).is_some());
        assert!(by_single.counterpart(&old, 2).is_none());
    }
}
