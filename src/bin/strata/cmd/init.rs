//! `strata init`: create a new, empty store.

use crate::context::Context;
use crate::error::CliResult;
use crate::output::Style;
use strata::report;
use strata::Store;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata init\n  strata --store /data/trial-store init\n  STRATA_DIR=/data/trial-store strata init";

/// Options of `strata init` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Creates the store at `--store` (refused, exit 1, if one is already there).
pub fn run(ctx: &Context, _args: Args) -> CliResult {
    let store = Store::create(&ctx.store_dir, ctx.store_options())?;
    let store_id = store.log().store_id();
    let mut out = ctx.printer();
    out.json(&report::Init::new(&ctx.store_dir, store_id))?;
    out.line(format!(
        "{} an empty store at {} (id {store_id})",
        out.paint(Style::Green, "created"),
        ctx.store_dir.display()
    ))?;
    out.line(format!(
        "next: strata --store {} upload NAME FILE.csv",
        ctx.store_dir.display()
    ))
}
