//! `strata verify-consistency`: checks offline, with no store, that a log only grew from a
//! checkpoint held to the checkpoint a consistency proof carries (RFC 9162 §2.1.4.2, exact
//! proof length, pinned origin and key). A failure prints both checkpoints as evidence.

use super::audit_files::{read, Pins};
use crate::context::Context;
use crate::error::CliResult;
use crate::output::Style;
use std::path::PathBuf;
use strata::report::{CheckpointLine, VerifiedConsistencyLine};

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata verify-consistency held.checkpoint grew.consistency --vkey lab.vkey --origin strata/3f0c...";

/// Options of `strata verify-consistency`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older checkpoint, held outside the store.
    pub old: PathBuf,
    /// The consistency proof (`strata consistency`).
    pub proof: PathBuf,
    #[command(flatten)]
    pub pins: Pins,
}

/// Verifies and prints the two checkpoints.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let trusted = args.pins.trusted_keys()?;
    let verified = strata::audit::verify_consistency(
        &read(&args.old)?,
        &read(&args.proof)?,
        &trusted,
        &args.pins.origin,
        args.pins.allow_unsigned,
    )
    .map_err(strata::Error::from)?;
    let mut out = ctx.printer();
    out.json(&VerifiedConsistencyLine {
        verified: true,
        old: CheckpointLine::new(None, &verified.old),
        new: CheckpointLine::new(None, &verified.new),
    })?;
    out.line(format!(
        "{}: the log of {} grew from {} to {} records without changing any of the first {}",
        out.paint(Style::Green, "consistent"),
        verified.new.origin,
        verified.old.size,
        verified.new.size,
        verified.old.size
    ))
}
