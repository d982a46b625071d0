//! `strata verify-proof`: checks a proof file (or an audit export) offline, with no store:
//! strict parse, the pinned origin and key, the leaf recomputed from the record the proof
//! carries, RFC 9162 inclusion with an exact proof length; prints the proven record.

use super::audit_files::{read, Pins};
use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use std::path::PathBuf;
use strata::audit::VerifiedRecord;
use strata::report::VerifiedProofLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata verify-proof trial-v3.tlog-proof --vkey lab.vkey --origin strata/3f0c...\n  strata verify-proof --export trial.audit.json --vkey lab.vkey --origin strata/3f0c... --json";

/// Options of `strata verify-proof`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proof file (`c2sp.org/tlog-proof@v1`), or with --export an audit export.
    pub file: PathBuf,
    /// The file is an audit export (`strata audit-export`): check every proof in it.
    #[arg(long)]
    pub export: bool,
    #[command(flatten)]
    pub pins: Pins,
}

/// Verifies and prints each proven record.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let trusted = args.pins.trusted_keys()?;
    let (origin, allow_unsigned) = (&args.pins.origin, args.pins.allow_unsigned);
    let bytes = read(&args.file)?;
    let records = if args.export {
        strata::audit::verify_export(&bytes, &trusted, origin, allow_unsigned)
    } else {
        strata::audit::verify_proof(&bytes, &trusted, origin, allow_unsigned).map(|r| vec![r])
    }
    .map_err(strata::Error::from)?;
    let mut out = ctx.printer();
    for record in &records {
        out.json(&VerifiedProofLine::new(record))?;
        print_record(&mut out, record)?;
    }
    Ok(())
}

fn print_record(out: &mut crate::output::Printer, record: &VerifiedRecord) -> CliResult {
    let line = VerifiedProofLine::new(record);
    let what = match &line.event {
        Some(event) => format!(
            "{} of dataset {}{} by {}",
            event.event_type,
            event
                .dataset
                .clone()
                .unwrap_or_else(|| event.dataset_id.to_string()),
            event
                .details
                .versions()
                .map_or_else(String::new, |v| format!(", {v},")),
            event.actor
        ),
        None => line.record_type.clone(),
    };
    out.line(format!(
        "{}: seq {} at {}: {what}",
        out.paint(Style::Green, "verified"),
        record.seq,
        display::absolute(record.time),
    ))?;
    out.line(format!(
        "  in {} at size {}{}",
        record.checkpoint.origin,
        record.checkpoint.size,
        record
            .signed_by
            .as_ref()
            .map_or_else(|| ", unsigned".to_owned(), |k| format!(", signed by {k}"))
    ))
}
