//! `strata consistency`: the proof that the log only grew between a checkpoint held
//! outside the store and a newer one (the body of C2SP tlog-witness's `add-checkpoint`).

use super::audit_files::{read_checkpoint, write_out};
use crate::context::Context;
use crate::error::CliResult;
use std::path::PathBuf;
use strata::report::CheckpointLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata consistency held.checkpoint > grew.consistency\n  strata consistency old.checkpoint new.checkpoint --out grew.consistency";

/// Options of `strata consistency`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older checkpoint (held outside the store).
    pub old: PathBuf,
    /// The newer checkpoint (default: the newest recorded in the log).
    pub new: Option<PathBuf>,
    /// Write the proof here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// JSON shape of `strata consistency`.
#[derive(serde::Serialize)]
struct ConsistencyLine {
    old_size: u64,
    hashes: usize,
    new: CheckpointLine,
    proof: String,
}

/// Builds and prints (or writes) the proof.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let old = read_checkpoint(&args.old)?;
    let new = args.new.as_deref().map(read_checkpoint).transpose()?;
    let file = store.consistency(&old, new.as_ref())?;
    let text = file.encode();
    let mut out = ctx.printer();
    out.json(&ConsistencyLine {
        old_size: file.old,
        hashes: file.proof.len(),
        new: CheckpointLine::new(None, &file.checkpoint),
        proof: text.clone(),
    })?;
    write_out(&mut out, args.out.as_deref(), &text)
}
