//! `strata checkpoint`: records the Merkle tree of the whole log as a checkpoint record,
//! signed with a key kept outside the store if given, and prints the checkpoint (a C2SP
//! checkpoint note) to keep somewhere the store's writers cannot change.

use crate::context::Context;
use crate::error::CliResult;
use crate::output::Style;
use std::path::PathBuf;
use strata::report::CheckpointLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata checkpoint\n  strata checkpoint --sign ~/.strata/signing.key > held.checkpoint\n  strata checkpoint --json";

/// Options of `strata checkpoint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sign the checkpoint with this signing key (from `strata keygen`).
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
}

/// Records the checkpoint and prints its note (the note alone on standard output, so that
/// `> file` keeps it; the details on standard error).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let key = match &args.sign {
        Some(path) => Some(strata::audit::read_signing_key(
            &strata::io::Io::os(),
            path,
            &ctx.store_dir,
        )?),
        None => None,
    };
    let store = ctx.open_store()?;
    let strata::store::CheckpointOutcome {
        seq,
        checkpoint,
        post_commit_warnings,
    } = store.checkpoint(key.as_ref())?;
    let mut out = ctx.printer();
    out.json(&CheckpointLine::new(Some(seq), &checkpoint))?;
    out.raw(&checkpoint.encode())?;
    if !ctx.json {
        eprintln!(
            "{} at seq {seq}: {} records{}",
            out.paint(Style::Green, "checkpoint recorded"),
            checkpoint.size,
            if key.is_some() {
                ", signed"
            } else {
                ", unsigned"
            }
        );
    }
    // Standard output holds the note alone: what failed after the commit goes beside the
    // details.
    for warning in &post_commit_warnings {
        eprintln!("  {} {warning}", out.paint(Style::Yellow, "warning:"));
    }
    Ok(())
}
