//! `strata export`: write a version's tables as Parquet, CSV or Arrow files that DuckDB,
//! pandas, Spark or Polars read directly, with the strata version, hashes and schema in each
//! file's metadata and a manifest beside them.

use crate::context::{self, Context};
use crate::error::CliResult;
use crate::output::{self, Style};
use std::path::PathBuf;
use strata::sql::export::{export_version, ExportFormat};

/// Shown under `strata export --help`.
pub const EXAMPLES: &str = "  strata export trial-42 --format parquet --out exports/\n  strata export trial-42@3 --format csv --out v3/";

/// Options of `strata export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version: `NAME`, `NAME@3`, `NAME@<hash prefix>` or `NAME@<time>`.
    #[arg(value_name = "NAME[@VERSION|@TIME]")]
    pub target: String,

    /// The file format: parquet, csv (the stored bytes) or arrow (Arrow IPC file).
    #[arg(long, value_name = "FORMAT", default_value = "parquet")]
    pub format: ExportFormat,

    /// The folder to write into (created if missing); files are named `<table>.<format>`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Writes the files and the manifest, then lists them.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let (name, version) = context::parse_target(&store, &args.target)?;
    let spinner = output::spinner(format!("exporting {}", args.target));
    let outcome = export_version(&store, &name, &version, args.format, &args.out);
    spinner.finish_and_clear();
    let export = outcome?;
    let mut out = ctx.printer();
    out.json(&export)?;
    for file in &export.files {
        out.line(format!(
            "{}@{} table {}: {} rows -> {} ({} bytes, sha256 {})",
            out.paint(Style::Cyan, &export.dataset),
            export.version,
            file.table,
            file.rows,
            file.path.display(),
            file.bytes,
            &file.sha256[..12]
        ))?;
    }
    out.line(format!("manifest: {}", export.manifest.display()))
}
