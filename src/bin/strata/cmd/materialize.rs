//! `strata materialize`: make the columnar (Parquet) copies of a version's tables now, so that
//! queries read them instead of parsing the CSV.

use crate::context::{self, Context};
use crate::error::CliResult;
use crate::output::{self, Style};
use strata::sql::columnar::materialize_version;

/// Shown under `strata materialize --help`.
pub const EXAMPLES: &str = "  strata materialize trial-42\n  strata materialize trial-42@3 --json";

/// Options of `strata materialize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version: `NAME`, `NAME@3`, `NAME@<hash prefix>` or `NAME@<time>`.
    #[arg(value_name = "NAME[@VERSION|@TIME]")]
    pub target: String,
}

/// Makes the missing (or damaged) copies and lists every table's copy.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let (name, version) = context::parse_target(&store, &args.target)?;
    let spinner = output::spinner(format!("making the columnar copies of {}", args.target));
    let outcome = materialize_version(&store, &name, &version);
    spinner.finish_and_clear();
    let made = outcome?;
    let mut out = ctx.printer();
    for line in &made {
        out.json(line)?;
        let copy = &line.copy;
        let state = if copy.already_present {
            out.paint(Style::Dim, "already there")
        } else {
            out.paint(Style::Green, "made")
        };
        out.line(format!(
            "{}@{} table {}: {state}, {} rows, {} bytes, parquet {}",
            out.paint(Style::Cyan, &line.dataset),
            line.version,
            copy.table,
            copy.index.rows,
            copy.index.bytes,
            &copy.index.parquet_hash[..12]
        ))?;
    }
    Ok(())
}
