//! `strata stat`: prints the library's counts and sizes of the store (`Store::stats`).

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use strata::report;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata stat\n  strata stat --json";

/// Options of `strata stat` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints segments, records, events, datasets, versions, bytes in the log and in blobs, and
/// the torn tail found on open.
pub fn run(ctx: &Context, _args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let stats = store.stats()?;
    let mut out = ctx.printer();
    out.json(&report::Stat::from(&stats))?;
    let label = |text: &str| format!("{:<10}", format!("{text}:"));
    out.line(format!(
        "{} {} (id {})",
        out.paint(Style::Bold, label("store")),
        stats.dir.display(),
        stats.store_id
    ))?;
    out.line(format!(
        "{} {} ({} sealed), {} of records, {} on disk",
        label("segments"),
        stats.segments,
        stats.sealed_segments,
        display::count(stats.log_record_bytes, "byte"),
        display::count(stats.log_file_bytes, "byte")
    ))?;
    out.line(format!(
        "{} {} (last seq {}), {}",
        label("records"),
        stats.records,
        stats.last_seq,
        display::count(stats.events, "dataset event")
    ))?;
    out.line(format!(
        "{} {}, {}, {}",
        label("datasets"),
        stats.datasets,
        display::count(stats.versions as u64, "version"),
        display::count(stats.distinct_tables as u64, "distinct table")
    ))?;
    out.line(format!(
        "{} {}, {}",
        label("blobs"),
        display::count(stats.blob_files, "file"),
        display::count(stats.blob_bytes, "byte")
    ))?;
    out.line(format!(
        "{} {}, {} (log/tree/, rebuilt when missing)",
        label("tree"),
        display::count(stats.tree_tiles, "tile"),
        display::count(stats.tree_bytes, "byte")
    ))?;
    out.line(format!(
        "{} {} ({}), {} ({}), {} ({})",
        label("leftovers"),
        display::count(stats.orphan_blobs, "orphan blob"),
        display::count(stats.orphan_blob_bytes, "byte"),
        display::count(stats.temp_files, "temporary file"),
        display::count(stats.temp_file_bytes, "byte"),
        display::count(stats.stale_copies, "stale columnar file"),
        display::count(stats.stale_copy_bytes, "byte")
    ))?;
    out.line(format!(
        "{} {}",
        label("torn tail"),
        stats
            .torn_tail
            .as_ref()
            .map_or_else(|| "none".to_string(), super::verify::torn_tail_text)
    ))
}
