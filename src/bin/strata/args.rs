//! The command line: global options and the subcommands (each subcommand's own options live
//! in its `cmd/<name>.rs`).

use crate::cmd;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Appended to every command's `--help`.
const SEE_DOCS: &str = "Output (text and --json shapes) and exit codes: see docs/CLI.md";

/// Exit codes, shown in the top-level help.
const EXIT_CODES: &str =
    "Exit codes: 0 success; 1 operation refused or verification found problems; \
2 usage, input, IO or internal error.\nOutput (text and --json shapes): see docs/CLI.md";

/// strata: an embedded, audit-grade, event-sourced store for versioned CSV datasets.
#[derive(Debug, Parser)]
#[command(name = "strata", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The store directory.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "STRATA_DIR",
        default_value = "strata-store"
    )]
    pub store: PathBuf,

    /// Print JSON Lines (one object per line) instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new, empty store.
    #[command(after_help = SEE_DOCS)]
    Init(cmd::init::Args),
    /// Upload CSV files as a new dataset or a new version of one.
    #[command(after_help = SEE_DOCS)]
    Upload(cmd::upload::Args),
    /// List the datasets.
    #[command(after_help = SEE_DOCS)]
    Datasets(cmd::datasets::Args),
    /// A dataset's versions (and, with --events, its events).
    #[command(after_help = SEE_DOCS)]
    History(cmd::history::Args),
    /// A version's tables, columns, fingerprints and metadata.
    #[command(after_help = SEE_DOCS)]
    Show(cmd::show::Args),
    /// The schema drift between two versions of a dataset; with --rows, the row changes.
    #[command(after_help = SEE_DOCS)]
    Diff(cmd::diff::Args),
    /// Make an earlier version the active one again (nothing is deleted).
    #[command(after_help = SEE_DOCS)]
    Rollback(cmd::rollback::Args),
    /// Write the exact bytes of a table of any version, verified against its hash.
    #[command(after_help = SEE_DOCS)]
    Cat(cmd::cat::Args),
    /// The dataset events, oldest first; --follow keeps printing new ones.
    #[command(after_help = SEE_DOCS)]
    Log(cmd::log::Args),
    /// Check every checksum, the sequence, the invariants and (--deep) every blob.
    #[command(after_help = SEE_DOCS)]
    Verify(cmd::verify::Args),
    /// Record-level view of the log's segments, for debugging the format.
    #[command(after_help = SEE_DOCS)]
    Dump(cmd::dump::Args),
    /// Counts and sizes of the store.
    #[command(after_help = SEE_DOCS)]
    Stat(cmd::stat::Args),
    /// Salvage a corrupt log: cut it at the first damage (keeping a copy of what is cut).
    #[command(after_help = SEE_DOCS)]
    Repair(cmd::repair::Args),
    /// Build a demonstration store from sample data shipped in the binary.
    #[command(after_help = SEE_DOCS)]
    Demo(cmd::demo::Args),
    /// Validate a query (SQL or a plan) against a version's schema, or every version's.
    #[command(after_help = SEE_DOCS)]
    CheckQuery(cmd::check_query::Args),
    /// Write a snapshot of the catalog now (they are also taken automatically).
    #[command(after_help = SEE_DOCS)]
    Snapshot(cmd::snapshot::Args),
    /// Run SQL over any version (and join versions of several datasets).
    #[cfg(feature = "sql")]
    #[command(after_help = SEE_DOCS)]
    Query(cmd::query::Args),
    /// Make the columnar (Parquet) copies of a version's tables that queries read.
    #[cfg(feature = "sql")]
    #[command(after_help = SEE_DOCS)]
    Materialize(cmd::materialize::Args),
    /// Write a version's tables as Parquet, CSV or Arrow files, with strata's metadata.
    #[cfg(feature = "sql")]
    #[command(after_help = SEE_DOCS)]
    Export(cmd::export::Args),
}
