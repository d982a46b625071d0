//! `strata snapshot`: write a snapshot of the catalog now, so that opening the store replays
//! only the records after it. Snapshots are also taken automatically (see FORMAT.md).

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use strata::report;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata snapshot\n  strata snapshot --json";

/// Options of `strata snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Takes a snapshot (pruning old ones) and prints it and the snapshots kept.
pub fn run(ctx: &Context, _args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let taken = store.take_snapshot()?;
    let info = taken.info;
    let kept = strata::store::snapshot::list(store.dir())?;
    let mut out = ctx.printer();
    out.json(&report::Snapshot::new(&info, &kept))?;
    out.line(format!(
        "{}: {} at sequence number {} ({})",
        out.paint(Style::Green, "snapshot written"),
        info.path.display(),
        info.seq,
        display::count(info.bytes, "byte")
    ))?;
    out.line(format!(
        "  kept: {}",
        kept.iter()
            .map(|s| s.seq.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    super::upload::print_post_commit_warnings(&mut out, "snapshot", &taken.post_commit_warnings)
}
