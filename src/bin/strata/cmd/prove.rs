//! `strata prove`: an inclusion proof (a C2SP `tlog-proof@v1` file) of one event, against a
//! checkpoint held outside the store or the newest recorded checkpoint covering it.

use super::audit_files::{read_checkpoint, write_out};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use std::path::PathBuf;
use strata::report::CheckpointLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata prove trial@3 > trial-v3.tlog-proof\n  strata prove --seq 42 --checkpoint held.checkpoint --out e42.tlog-proof";

/// Options of `strata prove`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version whose upload event to prove (NAME@VERSION, as elsewhere).
    #[arg(required_unless_present = "seq", conflicts_with = "seq")]
    pub version: Option<String>,
    /// The record to prove, by sequence number.
    #[arg(long)]
    pub seq: Option<u64>,
    /// Prove against this checkpoint (it must agree with the log).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Write the proof here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// JSON shape of `strata prove`.
#[derive(serde::Serialize)]
struct ProofLine {
    seq: u64,
    index: u64,
    hashes: usize,
    checkpoint: CheckpointLine,
    proof: String,
}

/// Proves the record and prints (or writes) the proof.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let seq = match (args.seq, &args.version) {
        (Some(seq), _) => seq,
        (None, Some(target)) => {
            let (name, version) = crate::context::parse_target(&store, target)?;
            let number = store.resolve_version(&name, &version)?;
            let catalog = store.catalog();
            let dataset = catalog.get(&name)?;
            dataset
                .version(number)
                .map(|meta| meta.created_seq)
                .ok_or_else(|| CliError::error(format!("{name} has no version {number}")))?
        }
        (None, None) => return Err(CliError::error("name a version or --seq")),
    };
    let held = args
        .checkpoint
        .as_deref()
        .map(read_checkpoint)
        .transpose()?;
    let proof = store.prove(seq, held.as_ref())?;
    let text = proof.encode();
    let mut out = ctx.printer();
    out.json(&ProofLine {
        seq,
        index: proof.index,
        hashes: proof.proof.len(),
        checkpoint: CheckpointLine::new(None, &proof.checkpoint),
        proof: text.clone(),
    })?;
    write_out(&mut out, args.out.as_deref(), &text)?;
    if let Some(path) = &args.out {
        out.line(format!(
            "proof of seq {seq} ({} hashes, against a checkpoint of {} records) written to {}",
            proof.proof.len(),
            proof.checkpoint.size,
            path.display()
        ))?;
    }
    Ok(())
}
