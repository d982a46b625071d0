//! `strata datasets`: one line per dataset.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use strata::report::DatasetLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata datasets\n  strata datasets --json";

/// Options of `strata datasets` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Lists every dataset, by name: id, active version, number of versions, last change.
pub fn run(ctx: &Context, _args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let catalog = store.catalog();
    let mut datasets: Vec<_> = catalog.datasets().collect();
    datasets.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = ctx.printer();
    for ds in &datasets {
        out.json(&DatasetLine::from(*ds))?;
    }
    if out.is_json() {
        return Ok(());
    }
    if datasets.is_empty() {
        return out.line("no datasets yet; add one with `strata upload NAME FILE.csv`");
    }
    let mut rows = vec![vec![
        "NAME".to_string(),
        "ID".to_string(),
        "ACTIVE".to_string(),
        "VERSIONS".to_string(),
        "LAST CHANGE".to_string(),
    ]];
    for ds in &datasets {
        rows.push(vec![
            ds.name.clone(),
            ds.id.to_string(),
            format!("v{}", ds.active),
            ds.versions.len().to_string(),
            display::when(ds.updated_micros),
        ]);
    }
    out.table(&rows, |_| None)?;
    Ok(())
}
