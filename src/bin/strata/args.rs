//! The command line: global options and the subcommands (each subcommand's own options live
//! in its `cmd/<name>.rs`).

use crate::cmd;
use crate::context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Appended to every command's `--help`.
const SEE_DOCS: &str = "Output (text and --json shapes) and exit codes: see docs/CLI.md";

/// A command's `--help` epilogue: its examples, then where the output is documented.
fn help(examples: &str) -> String {
    format!("Examples:\n{examples}\n\n{SEE_DOCS}")
}

/// Exit codes, shown in the top-level help.
const EXIT_CODES: &str =
    "Exit codes: 0 success; 1 operation refused or verification found problems; \
2 usage, input, IO or internal error; verify --trusted: 3 tampered, 4 unverifiable.\nOutput (text and --json shapes): see docs/CLI.md";

/// strata: an embedded, audit-grade, event-sourced store for versioned CSV datasets.
#[derive(Debug, Parser)]
#[command(name = "strata", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The store directory [default: $STRATA_DIR if set and not empty, else ./strata-store].
    /// Given more than once, the last one counts.
    #[arg(long, global = true, value_name = "DIR", overrides_with = "store")]
    pub store: Option<PathBuf>,

    /// How long a write waits for another process's writer lock: `30s`, `2m`, `1h`
    /// [default: $STRATA_LOCK_TIMEOUT if set and not empty, else 10s].
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        value_parser = context::parse_lock_timeout,
        overrides_with = "lock_timeout"
    )]
    pub lock_timeout: Option<Duration>,

    /// Print JSON Lines (one object per line) instead of text; a failure is one JSON object
    /// on standard error.
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
    #[command(after_help = help(cmd::init::EXAMPLES))]
    Init(cmd::init::Args),
    /// Upload CSV files as a new dataset or a new version of one.
    #[command(after_help = help(cmd::upload::EXAMPLES))]
    Upload(cmd::upload::Args),
    /// List the datasets.
    #[command(after_help = help(cmd::datasets::EXAMPLES))]
    Datasets(cmd::datasets::Args),
    /// A dataset's versions (and, with --events, its events).
    #[command(after_help = help(cmd::history::EXAMPLES))]
    History(cmd::history::Args),
    /// A version's tables, columns, fingerprints and metadata.
    #[command(after_help = help(cmd::show::EXAMPLES))]
    Show(cmd::show::Args),
    /// The schema drift between two versions of a dataset; with --rows, the row changes.
    #[command(after_help = help(cmd::diff::EXAMPLES))]
    Diff(cmd::diff::Args),
    /// Make an earlier version the active one again (nothing is deleted).
    #[command(after_help = help(cmd::rollback::EXAMPLES))]
    Rollback(cmd::rollback::Args),
    /// Write the exact bytes of a table of any version, verified against its hash.
    #[command(after_help = help(cmd::cat::EXAMPLES))]
    Cat(cmd::cat::Args),
    /// The dataset events, oldest first; --follow keeps printing new ones.
    #[command(after_help = help(cmd::log::EXAMPLES))]
    Log(cmd::log::Args),
    /// Check every checksum, the sequence, the invariants and (--deep) every blob.
    #[command(after_help = help(cmd::verify::EXAMPLES))]
    Verify(cmd::verify::Args),
    /// Record-level view of the log's segments, for debugging the format.
    #[command(after_help = help(cmd::dump::EXAMPLES))]
    Dump(cmd::dump::Args),
    /// Counts and sizes of the store.
    #[command(after_help = help(cmd::stat::EXAMPLES))]
    Stat(cmd::stat::Args),
    /// Salvage a corrupt log: cut it at the first damage (keeping a copy of what is cut).
    #[command(after_help = help(cmd::repair::EXAMPLES))]
    Repair(cmd::repair::Args),
    /// Build a demonstration store from sample data shipped in the binary.
    #[command(after_help = help(cmd::demo::EXAMPLES))]
    Demo(cmd::demo::Args),
    /// Validate a query (SQL or a plan) against a version's schema, or every version's.
    #[command(after_help = help(cmd::check_query::EXAMPLES))]
    CheckQuery(cmd::check_query::Args),
    /// Show or set the drift policy the store holds (store-wide, or for one dataset).
    #[command(after_help = help(cmd::policy::EXAMPLES))]
    Policy(cmd::policy::Args),
    /// Write a snapshot of the catalog now (they are also taken automatically).
    #[command(after_help = help(cmd::snapshot::EXAMPLES))]
    Snapshot(cmd::snapshot::Args),
    /// Run SQL over any version (and join versions of several datasets).
    #[cfg(feature = "sql")]
    #[command(after_help = help(cmd::query::EXAMPLES))]
    Query(cmd::query::Args),
    /// Make the columnar (Parquet) copies of a version's tables that queries read.
    #[cfg(feature = "sql")]
    #[command(after_help = help(cmd::materialize::EXAMPLES))]
    Materialize(cmd::materialize::Args),
    /// Write a version's tables as Parquet, CSV or Arrow files, with strata's metadata.
    #[cfg(feature = "sql")]
    #[command(after_help = help(cmd::export::EXAMPLES))]
    Export(cmd::export::Args),
    /// Serve the HTTP API and the browser UI (loopback only without --users).
    #[cfg(feature = "server")]
    #[command(after_help = help(cmd::serve::EXAMPLES))]
    Serve(cmd::serve::Args),
    /// Manage the users file of `strata serve`: add, passwd, remove, list, token.
    #[cfg(feature = "server")]
    #[command(after_help = help(cmd::user::EXAMPLES))]
    User(cmd::user::Args),
    /// Write a new Ed25519 signing key for checkpoints (0600, outside the store) and print its vkey.
    #[command(after_help = help(cmd::keygen::EXAMPLES))]
    Keygen(cmd::keygen::Args),
    /// Record a checkpoint of the log's Merkle tree (signed with --sign) and print it.
    #[command(after_help = help(cmd::checkpoint::EXAMPLES))]
    Checkpoint(cmd::checkpoint::Args),
    /// An inclusion proof (c2sp.org/tlog-proof@v1) of an event, for offline checking.
    #[command(after_help = help(cmd::prove::EXAMPLES))]
    Prove(cmd::prove::Args),
    /// Check a proof file (or --export an audit export) offline, with no store.
    #[command(after_help = help(cmd::verify_proof::EXAMPLES))]
    VerifyProof(cmd::verify_proof::Args),
    /// The proof that the log only grew from a checkpoint held to a newer one.
    #[command(after_help = help(cmd::consistency::EXAMPLES))]
    Consistency(cmd::consistency::Args),
    /// Check a consistency proof offline against the checkpoint held.
    #[command(after_help = help(cmd::verify_consistency::EXAMPLES))]
    VerifyConsistency(cmd::verify_consistency::Args),
    /// Every event of a dataset with its proof, in one file an auditor takes away.
    #[command(after_help = help(cmd::audit_export::EXAMPLES))]
    AuditExport(cmd::audit_export::Args),
    /// Remove orphan blobs and temporary files left by failed or interrupted writes.
    #[command(after_help = help(cmd::gc::EXAMPLES))]
    Gc(cmd::gc::Args),
    /// Which datasets and versions hold the content of a file (by SHA-256).
    #[command(after_help = help(cmd::find::EXAMPLES))]
    Find(cmd::find::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = help(cmd::completions::EXAMPLES))]
    Completions(cmd::completions::Args),
    /// Print the man page (roff), of strata or of one command.
    #[command(after_help = help(cmd::man::EXAMPLES))]
    Man(cmd::man::Args),
}
