//! `strata repair`: the explicit salvage of a corrupt log, after a confirmation.

use crate::context::{self, Context};
use crate::display;
use crate::error::CliResult;
use crate::output::{self, Style};
use strata::log::RepairReport;
use strata::report;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata repair\n  strata repair --yes --json";

/// Options of `strata repair`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

/// Shows the first problem, confirms, cuts the log there and prints what it did.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let spinner = output::spinner("checking the log");
    let report = strata::log::verify(&ctx.store_dir)?;
    spinner.finish_and_clear();
    let mut out = ctx.printer();
    let Some(problem) = report.problems.first() else {
        return print_report(
            &mut out,
            &RepairReport::NothingToRepair {
                torn_tail: report.torn_tail,
            },
        );
    };
    if !out.is_json() {
        out.line(format!(
            "the log is damaged at segment {}, offset {}, seq {}: {}",
            problem.position.segment.display(),
            problem.position.offset,
            problem.position.seq,
            problem.defect
        ))?;
        out.line(format!(
            "repair cuts the log there: records from seq {} on leave the live log (their bytes \
             are kept in a salvage folder under log/), and a repair record is appended",
            problem.position.seq
        ))?;
        out.flush()?;
    }
    context::confirm("repair", "Cut the log at the damage", args.yes)?;
    let done = strata::log::repair(&ctx.store_dir, ctx.log_options())?;
    print_report(&mut out, &done)
}

fn print_report(out: &mut output::Printer, done: &RepairReport) -> CliResult {
    out.json(&report::Repair::from(done))?;
    match done {
        RepairReport::NothingToRepair { torn_tail } => {
            out.line(format!(
                "{}: the log has no corruption; nothing was changed",
                out.paint(Style::Green, "nothing to repair")
            ))?;
            if let Some(t) = torn_tail {
                out.line(format!("torn tail: {}", super::verify::torn_tail_text(t)))?;
            }
            Ok(())
        }
        RepairReport::Repaired {
            problem,
            salvage_dir,
            bytes_cut,
            segments_removed,
            repair_seq,
            post_commit_warnings,
        } => {
            out.line(format!(
                "{}: cut segment {} at offset {} ({} moved out), {} moved out",
                out.paint(Style::Green, "repaired"),
                problem.position.segment.display(),
                problem.position.offset,
                display::count(*bytes_cut, "byte"),
                display::count(segments_removed.len() as u64, "later segment"),
            ))?;
            out.line(format!(
                "  a copy of everything cut is in {}",
                salvage_dir.display()
            ))?;
            out.line(format!(
                "  recorded as repair record {repair_seq}; run `strata verify` to check the result"
            ))?;
            super::upload::print_post_commit_warnings(out, "repair", post_commit_warnings)
        }
    }
}
