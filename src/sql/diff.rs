//! The row diff between two versions of a table: which rows were added, removed and changed
//! (with the changed cells' old and new values).
//!
//! # Keyed or not
//!
//! Rows are matched by a key: the columns given, else the identifier column inference found
//! ([`crate::schema::Column::identifier`], the first column that is an identifier in both
//! versions). The key must be unique in each version (a repeated key is refused, naming it).
//! Without a key the versions are compared as multisets of rows: a row present twice before
//! and once after is one removed row.
//!
//! Only the columns the two versions share are compared (columns added or removed are the
//! schema diff's business). A column whose type changed is compared as numbers when both
//! types are numeric, as timestamps when both are dates or times, else as text.
//!
//! # Size
//!
//! The comparison is a query: a full outer join of the two versions on the key, or a grouped
//! count over both, run with a sort-merge join and spilling aggregates, so it works on tables
//! larger than the engine's memory pool. Only the summary counts and the first
//! [`RowDiffOptions::details`] changes are kept.

use super::output::cell;
use super::{Engine, SqlError, SqlResult, Verifications};
use crate::schema::{ColumnType, Schema};
use crate::store::{TableRecord, VersionInfo, VersionRef};
use crate::Store;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::record_batch::RecordBatch;
use futures::StreamExt;
use serde::Serialize;
use std::sync::Arc;

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct RowDiffOptions {
    /// The table (display name or id); may be omitted when the old version has one table.
    pub table: Option<String>,
    /// The key columns; `None` to use the identifier column (or none: a multiset diff).
    pub key: Option<Vec<String>>,
    /// How many changes to return in detail (the counts cover all of them).
    pub details: usize,
}

/// How the rows were matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The columns given.
    Given,
    /// The identifier column inference found.
    Identifier,
    /// No key: rows compared as multisets.
    None,
}

/// One change between the versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum RowChange {
    /// A row only the new version has: its key and its values (the compared columns).
    Added {
        /// The key's values, in key order (empty without a key).
        key: Vec<serde_json::Value>,
        /// The row's values, in the order of [`RowDiff::columns`].
        row: Vec<serde_json::Value>,
        /// How many such rows (1 with a key).
        count: u64,
    },
    /// A row only the old version has.
    Removed {
        /// The key's values.
        key: Vec<serde_json::Value>,
        /// The row's values.
        row: Vec<serde_json::Value>,
        /// How many such rows.
        count: u64,
    },
    /// A key both versions have, with different values.
    Changed {
        /// The key's values.
        key: Vec<serde_json::Value>,
        /// The cells that differ.
        cells: Vec<CellChange>,
    },
}

/// One changed cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellChange {
    /// The column.
    pub column: String,
    /// Its value in the old version.
    pub old: serde_json::Value,
    /// Its value in the new version.
    pub new: serde_json::Value,
}

/// The row diff of one table between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowDiff {
    /// The dataset's name.
    pub dataset: String,
    /// The table's display name (in the new version).
    pub table: String,
    /// The old version's number.
    pub from: u64,
    /// The new version's number.
    pub to: u64,
    /// The key columns (empty for a multiset diff).
    pub key: Vec<String>,
    /// Where the key came from.
    pub key_source: KeySource,
    /// The compared columns (shared by both versions, the key excluded).
    pub columns: Vec<String>,
    /// Rows added.
    pub added: u64,
    /// Rows removed.
    pub removed: u64,
    /// Rows changed (keyed diffs only).
    pub changed: u64,
    /// The first changes, at most [`RowDiffOptions::details`] (JSON: one line each after
    /// the summary, see [`RowDiff::lines`]).
    #[serde(skip)]
    pub details: Vec<RowChange>,
}

/// A line of `strata diff --rows --json`: the summary first, then one line per change shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum RowDiffLine<'a> {
    /// The counts and what was compared.
    Summary(&'a RowDiff),
    /// One change.
    Change(&'a RowChange),
}

impl RowDiff {
    /// The JSON Lines of this diff: the summary, then each change kept.
    pub fn lines(&self) -> Vec<RowDiffLine<'_>> {
        std::iter::once(RowDiffLine::Summary(self))
            .chain(self.details.iter().map(RowDiffLine::Change))
            .collect()
    }

    /// Whether the versions hold the same rows (of the compared columns).
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.removed == 0 && self.changed == 0
    }
}

/// Quotes an identifier for SQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Compares table `options.table` of versions `from` and `to` of `dataset`.
pub fn row_diff(
    engine: &Engine,
    store: &Store,
    dataset: &str,
    from: &VersionRef,
    to: &VersionRef,
    options: &RowDiffOptions,
) -> SqlResult<RowDiff> {
    let old_version = store.version(dataset, from)?;
    let new_version = store.version(dataset, to)?;
    let old = old_version
        .table(dataset, options.table.as_deref())?
        .clone();
    let new = counterpart(&new_version, &old, dataset)?;
    let (key, key_source) = choose_key(&old.schema, &new.schema, options.key.as_deref())?;
    let columns: Vec<String> = old
        .schema
        .columns
        .iter()
        .filter(|c| new.schema.column(&c.name).is_some() && !key.contains(&c.name))
        .map(|c| c.name.clone())
        .collect();
    let plan = DiffPlan {
        key,
        columns,
        old_schema: &old.schema,
        new_schema: &new.schema,
    };
    let verifications = Arc::new(Verifications::default());
    let ctx = engine.session_with_tables(store, &[("old", &old), ("new", &new)], &verifications)?;
    let ctx = prefer_sort_merge(ctx);
    let mut diff = RowDiff {
        dataset: store.catalog().get(dataset)?.name.clone(),
        table: new.name.clone(),
        from: old_version.number,
        to: new_version.number,
        key: plan.key.clone(),
        key_source,
        columns: plan.columns.clone(),
        added: 0,
        removed: 0,
        changed: 0,
        details: Vec::new(),
    };
    if plan.key.is_empty() {
        run(engine, &ctx, &plan.multiset_sql(), &mut |batch| {
            plan.collect_multiset(&batch, &mut diff, options.details)
        })?;
    } else {
        for side in ["old", "new"] {
            plan.check_unique(engine, &ctx, side)?;
        }
        run(engine, &ctx, &plan.keyed_sql(), &mut |batch| {
            plan.collect_keyed(&batch, &mut diff, options.details)
        })?;
    }
    verifications.wait()?;
    Ok(diff)
}

/// Joins as sort-merge joins, which spill, instead of hash joins, which hold a side in memory.
fn prefer_sort_merge(
    ctx: datafusion::prelude::SessionContext,
) -> datafusion::prelude::SessionContext {
    let state = ctx.state();
    let mut config = state.config().clone();
    config.options_mut().optimizer.prefer_hash_join = false;
    let state = datafusion::execution::session_state::SessionStateBuilder::new_from_existing(state)
        .with_config(config)
        .build();
    datafusion::prelude::SessionContext::new_with_state(state)
}

/// Runs `sql`, handing each result batch to `each`.
fn run(
    engine: &Engine,
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
    each: &mut dyn FnMut(RecordBatch),
) -> SqlResult<()> {
    engine.block_on(async {
        let frame = ctx.sql(sql).await.map_err(|e| engine.error(e))?;
        let mut stream = frame.execute_stream().await.map_err(|e| engine.error(e))?;
        while let Some(batch) = stream.next().await {
            each(batch.map_err(|e| engine.error(e))?);
        }
        Ok(())
    })
}

/// The new version's table for the old one: the same table id, else the same display name,
/// else the only table when both versions have one.
fn counterpart(version: &VersionInfo, old: &TableRecord, dataset: &str) -> SqlResult<TableRecord> {
    version
        .tables
        .iter()
        .find(|t| t.table_id == old.table_id)
        .or_else(|| version.tables.iter().find(|t| t.name == old.name))
        .or(match version.tables.as_slice() {
            [only] => Some(only),
            _ => None,
        })
        .cloned()
        .ok_or_else(|| {
            SqlError::Name(format!(
                "version {} of `{dataset}` has no table `{}`",
                version.number, old.name
            ))
        })
}

fn choose_key(
    old: &Schema,
    new: &Schema,
    given: Option<&[String]>,
) -> SqlResult<(Vec<String>, KeySource)> {
    if let Some(given) = given {
        for name in given {
            for (schema, which) in [(old, "old"), (new, "new")] {
                if schema.column(name).is_none() {
                    return Err(SqlError::Name(format!(
                        "the key column `{name}` is not in the {which} version; its columns are {}",
                        schema
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        return Ok((given.to_vec(), KeySource::Given));
    }
    let identifier = old
        .columns
        .iter()
        .find(|c| c.identifier && new.column(&c.name).is_some_and(|n| n.identifier));
    Ok(match identifier {
        Some(c) => (vec![c.name.clone()], KeySource::Identifier),
        None => (Vec::new(), KeySource::None),
    })
}

/// The SQL of a diff and how to read its results.
struct DiffPlan<'a> {
    key: Vec<String>,
    columns: Vec<String>,
    old_schema: &'a Schema,
    new_schema: &'a Schema,
}

/// A type both versions' values of a column can be compared as, when their types differ.
fn common_type(a: ColumnType, b: ColumnType) -> Option<&'static str> {
    if a == b {
        None
    } else if a.is_numeric() && b.is_numeric() {
        Some("DOUBLE")
    } else if a.is_temporal() && b.is_temporal() {
        Some("TIMESTAMP")
    } else {
        Some("VARCHAR")
    }
}

impl DiffPlan<'_> {
    /// `side.column`, cast to the common type when the versions' types differ.
    fn expr(&self, side: &str, column: &str) -> String {
        let old = self.old_schema.column(column).map(|c| c.column_type);
        let new = self.new_schema.column(column).map(|c| c.column_type);
        let reference = format!("{side}.{}", quote(column));
        match old.zip(new).and_then(|(a, b)| common_type(a, b)) {
            Some(t) => format!("CAST({reference} AS {t})"),
            None => reference,
        }
    }

    /// The columns of one side, each under its own name, plus a presence marker.
    fn side(&self, table: &str) -> String {
        let columns: Vec<String> = self
            .key
            .iter()
            .chain(&self.columns)
            .map(|c| format!("{} AS {}", self.expr(table, c), quote(c)))
            .collect();
        format!(
            "SELECT {}, TRUE AS __present FROM {table}",
            columns.join(", ")
        )
    }

    /// A query listing every key of `side` held by more than one row, at most one.
    fn check_unique(
        &self,
        engine: &Engine,
        ctx: &datafusion::prelude::SessionContext,
        side: &str,
    ) -> SqlResult<()> {
        let key: Vec<String> = self.key.iter().map(|k| quote(k)).collect();
        let sql = format!(
            "SELECT {k}, COUNT(*) AS n FROM {side} GROUP BY {k} HAVING COUNT(*) > 1 LIMIT 1",
            k = key.join(", ")
        );
        let mut repeated = None;
        run(engine, ctx, &sql, &mut |batch| {
            if repeated.is_none() && batch.num_rows() > 0 {
                let values: Vec<String> = (0..self.key.len())
                    .map(|i| cell(batch.column(i), 0).display())
                    .collect();
                let n = cell(batch.column(self.key.len()), 0).display();
                repeated = Some((values.join(", "), n));
            }
        })?;
        match repeated {
            None => Ok(()),
            Some((values, n)) => Err(SqlError::Name(format!(
                "the key ({}) is not unique in the {side} version: ({values}) is on {n} rows; \
                 give other key columns, or none for a comparison of whole rows",
                self.key.join(", ")
            ))),
        }
    }

    /// The keyed comparison: change kind, key, then old and new of each column and whether
    /// it differs.
    fn keyed_sql(&self) -> String {
        let on: Vec<String> = self
            .key
            .iter()
            .map(|k| format!("(o.{q} IS NOT DISTINCT FROM n.{q})", q = quote(k)))
            .collect();
        let mut select = vec![
            "CASE WHEN o.__present IS NULL THEN 'added' WHEN n.__present IS NULL THEN 'removed' ELSE 'changed' END AS __change".to_string(),
        ];
        for k in &self.key {
            select.push(format!("COALESCE(o.{q}, n.{q})", q = quote(k)));
        }
        let mut differs = Vec::new();
        for c in &self.columns {
            let q = quote(c);
            select.push(format!("o.{q}"));
            select.push(format!("n.{q}"));
            // Parenthesised: the parser reads `a IS DISTINCT FROM b OR c` as `a IS DISTINCT
            // FROM (b OR c)`.
            differs.push(format!("(o.{q} IS DISTINCT FROM n.{q})"));
        }
        let any_differs = if differs.is_empty() {
            "FALSE".to_string()
        } else {
            differs.join(" OR ")
        };
        format!(
            "WITH o AS ({}), n AS ({}) SELECT {} FROM o FULL OUTER JOIN n ON {} \
             WHERE o.__present IS NULL OR n.__present IS NULL OR {any_differs}",
            self.side("old"),
            self.side("new"),
            select.join(", "),
            on.join(" AND ")
        )
    }

    /// Counts the changes of one result batch and keeps the first ones in detail.
    fn collect_keyed(&self, batch: &RecordBatch, diff: &mut RowDiff, details: usize) {
        let kinds = batch.column(0).as_string::<i32>();
        let keys = self.key.len();
        for row in 0..batch.num_rows() {
            let kind = kinds.value(row);
            match kind {
                "added" => diff.added += 1,
                "removed" => diff.removed += 1,
                _ => diff.changed += 1,
            }
            if diff.details.len() >= details {
                continue;
            }
            let key = (1..=keys)
                .map(|i| cell(batch.column(i), row).json())
                .collect();
            let pair = |i: usize| {
                let at = 1 + keys + 2 * i;
                (batch.column(at), batch.column(at + 1))
            };
            diff.details.push(match kind {
                "added" | "removed" => {
                    let new = kind == "added";
                    let row_values = (0..self.columns.len())
                        .map(|i| {
                            let (o, n) = pair(i);
                            cell(if new { n } else { o }, row).json()
                        })
                        .collect();
                    if new {
                        RowChange::Added {
                            key,
                            row: row_values,
                            count: 1,
                        }
                    } else {
                        RowChange::Removed {
                            key,
                            row: row_values,
                            count: 1,
                        }
                    }
                }
                _ => RowChange::Changed {
                    key,
                    cells: self
                        .columns
                        .iter()
                        .enumerate()
                        .filter_map(|(i, column)| {
                            let (o, n) = pair(i);
                            let (old, new) = (cell(o, row), cell(n, row));
                            (old != new || o.is_null(row) != n.is_null(row)).then(|| CellChange {
                                column: column.clone(),
                                old: old.json(),
                                new: new.json(),
                            })
                        })
                        .collect(),
                },
            });
        }
    }

    /// The multiset comparison: each distinct row with how many more times the new version
    /// holds it than the old (negative: removed).
    fn multiset_sql(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| quote(c)).collect();
        let list = columns.join(", ");
        let side = |table: &str, delta: i64| {
            let exprs: Vec<String> = self
                .columns
                .iter()
                .map(|c| format!("{} AS {}", self.expr(table, c), quote(c)))
                .collect();
            format!(
                "SELECT {}, CAST({delta} AS BIGINT) AS __delta FROM {table}",
                exprs.join(", ")
            )
        };
        format!(
            "SELECT {list}, SUM(__delta) AS __delta FROM ({} UNION ALL {}) AS both_versions \
             GROUP BY {list} HAVING SUM(__delta) <> 0",
            side("new", 1),
            side("old", -1)
        )
    }

    fn collect_multiset(&self, batch: &RecordBatch, diff: &mut RowDiff, details: usize) {
        let width = self.columns.len();
        let deltas = batch.column(width);
        for row in 0..batch.num_rows() {
            let delta = match cell(deltas, row) {
                super::output::Cell::Int(d) => d as i64,
                _ => 0,
            };
            let count = delta.unsigned_abs();
            if delta > 0 {
                diff.added += count;
            } else {
                diff.removed += count;
            }
            if diff.details.len() < details {
                let row_values = (0..width)
                    .map(|i| cell(batch.column(i), row).json())
                    .collect();
                diff.details.push(if delta > 0 {
                    RowChange::Added {
                        key: Vec::new(),
                        row: row_values,
                        count,
                    }
                } else {
                    RowChange::Removed {
                        key: Vec::new(),
                        row: row_values,
                        count,
                    }
                });
            }
        }
    }
}
