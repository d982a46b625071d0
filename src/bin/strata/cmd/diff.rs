//! `strata diff`: the schema drift between two versions of a dataset; with `--rows`, the
//! rows added, removed and changed.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use strata::report;
use strata::VersionRef;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata diff trial-42 1 3\n  strata diff trial-42 1 active --json\n  strata diff trial-42 2 3 --rows --key visit_id";

/// Options of `strata diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,
    /// The old version (number, v3, hash prefix, `active`, or a time).
    pub from: VersionRef,
    /// The new version.
    pub to: VersionRef,
    /// Compare the rows instead of the schemas: counts of rows added, removed and changed.
    #[arg(long)]
    pub rows: bool,
    /// With --rows: the key columns that match rows (default: the identifier column; none
    /// found: rows are compared whole, as multisets).
    #[arg(long, value_name = "COL,...", value_delimiter = ',', requires = "rows")]
    pub key: Option<Vec<String>>,
    /// With --rows: the table (needed when the version has several).
    #[arg(long, value_name = "TABLE", requires = "rows")]
    pub table: Option<String>,
    /// With --rows: also list the changes (the first --limit of them).
    #[arg(long, requires = "rows")]
    pub details: bool,
    /// With --rows --details: how many changes to list.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
}

/// Prints what changed from `from` to `to`, as drift classification sees it (the drift stored
/// in `to`'s event when `from` was the version active before it), or, with `--rows`, as the
/// rows show it.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    if args.rows {
        return rows::run(ctx, &args);
    }
    let store = ctx.open_store()?;
    let old = store.version(&args.name, &args.from)?;
    let new = store.version(&args.name, &args.to)?;
    let dataset = store.catalog().get(&args.name)?.name.clone();
    let drift = new.drift_from(&old);
    let mut out = ctx.printer();
    out.json(&report::Diff::new(&dataset, &old, &new, &drift))?;
    let verdict = display::painted_summary(&out, &drift);
    out.line(format!(
        "{} version {} -> version {}: {verdict}",
        out.paint(Style::Cyan, &dataset),
        old.number,
        new.number
    ))?;
    for line in drift.describe() {
        out.line(format!("  {line}"))?;
    }
    Ok(())
}

#[cfg(feature = "sql")]
mod rows {
    use super::Args;
    use crate::context::Context;
    use crate::error::CliResult;
    use crate::output::{self, Style};
    use strata::sql::diff::{row_diff, RowChange, RowDiffOptions};
    use strata::sql::Engine;

    /// Prints the row diff: the counts, then the changes asked for.
    pub fn run(ctx: &Context, args: &Args) -> CliResult {
        let store = ctx.open_store()?;
        let engine = Engine::new(super::super::query::engine_options(None, None, false))
            .map_err(super::super::query::sql_error)?;
        let options = RowDiffOptions {
            table: args.table.clone(),
            key: args.key.clone(),
            details: if args.details || ctx.json {
                args.limit
            } else {
                0
            },
        };
        let spinner = output::spinner("comparing the rows");
        let outcome = row_diff(&engine, &store, &args.name, &args.from, &args.to, &options);
        spinner.finish_and_clear();
        let diff = outcome.map_err(super::super::query::sql_error)?;
        let mut out = ctx.printer();
        out.json_lines(&diff.lines())?;
        let key = if diff.key.is_empty() {
            "whole rows (no key)".to_string()
        } else {
            format!("key ({})", diff.key.join(", "))
        };
        out.line(format!(
            "{} table {} version {} -> version {}, by {key}: {} added, {} removed, {} changed",
            out.paint(Style::Cyan, &diff.dataset),
            diff.table,
            diff.from,
            diff.to,
            out.paint(Style::Green, diff.added),
            out.paint(Style::Red, diff.removed),
            out.paint(Style::Yellow, diff.changed)
        ))?;
        for change in &diff.details {
            out.line(format!("  {}", change_text(change)))?;
        }
        let shown = diff.details.len() as u64;
        let total = diff.added + diff.removed + diff.changed;
        if args.details && shown < total {
            out.line(out.paint(
                Style::Dim,
                format!("  ({} more; --limit N lists more)", total - shown),
            ))?;
        }
        Ok(())
    }

    fn values(values: &[serde_json::Value]) -> String {
        values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn change_text(change: &RowChange) -> String {
        match change {
            RowChange::Added { key, row, count } => {
                format!("+ ({}) {}{}", values(key), values(row), times(*count))
            }
            RowChange::Removed { key, row, count } => {
                format!("- ({}) {}{}", values(key), values(row), times(*count))
            }
            RowChange::Changed { key, cells } => {
                let cells: Vec<String> = cells
                    .iter()
                    .map(|c| format!("{}: {} -> {}", c.column, c.old, c.new))
                    .collect();
                format!("~ ({}) {}", values(key), cells.join("; "))
            }
        }
    }

    fn times(count: u64) -> String {
        if count > 1 {
            format!(" (x{count})")
        } else {
            String::new()
        }
    }
}

#[cfg(not(feature = "sql"))]
mod rows {
    use super::Args;
    use crate::context::Context;
    use crate::error::{CliError, CliResult};

    pub fn run(_ctx: &Context, _args: &Args) -> CliResult {
        Err(CliError::error(
            "`diff --rows` needs strata built with the `sql` feature",
        ))
    }
}
