//! `strata diff`: the schema drift between two versions of a dataset.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use strata::report;
use strata::VersionRef;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata diff trial-42 1 3\n  strata diff trial-42 1 active --json";

/// Options of `strata diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,
    /// The old version (number, v3, hash prefix, `active`, or a time).
    pub from: VersionRef,
    /// The new version.
    pub to: VersionRef,
}

/// Prints what changed from `from` to `to`, as drift classification sees it (the drift stored
/// in `to`'s event when `from` was the version active before it).
pub fn run(ctx: &Context, args: Args) -> CliResult {
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
