//! `strata audit-export`: one self-contained file with every event of a dataset, each
//! with its inclusion proof against one checkpoint, for an auditor to check offline with
//! `strata verify-proof --export`.

use super::audit_files::{read_checkpoint, verifier_keys, write_out};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use std::path::PathBuf;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata audit-export trial --vkey lab.vkey --out trial.audit.json";

/// Options of `strata audit-export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset.
    pub dataset: String,
    /// Prove against this checkpoint (default: the newest recorded covering every event).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// The verifier key to include (the string, or a file holding it).
    #[arg(long, value_name = "VKEY")]
    pub vkey: Option<String>,
    /// Write the export here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Builds and writes the export.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let held = args
        .checkpoint
        .as_deref()
        .map(read_checkpoint)
        .transpose()?;
    let vkey = verifier_keys(args.vkey.as_slice())?.pop();
    let export = store.audit_export(&args.dataset, held.as_ref(), vkey.as_ref())?;
    let text = serde_json::to_string_pretty(&export)
        .map_err(|e| CliError::io(format!("internal error: cannot write JSON: {e}")))?;
    let mut out = ctx.printer();
    if ctx.json && args.out.is_none() {
        return out.json(&export);
    }
    write_out(&mut out, args.out.as_deref(), &format!("{text}\n"))?;
    if let Some(path) = &args.out {
        out.line(format!(
            "{} events of {} with their proofs written to {}",
            export.events.len(),
            args.dataset,
            path.display()
        ))?;
    }
    Ok(())
}
