//! `strata repair`: the explicit salvage of a corrupt log, after a confirmation.

use crate::context::{self, Context};
use crate::display;
use crate::error::{CliError, CliResult, Failure};
use crate::output::{self, Style};
use strata::log::RepairReport;
use strata::report;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str =
    "  strata repair\n  strata repair --yes --json\n  strata repair --cut-checkpointed --yes";

/// Options of `strata repair`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// Cut even if records that checkpoints cover are cut (each such checkpoint, and any
    /// copy of it held outside the store, then disagrees with the log for good); the repair
    /// record lists them. Without it, such a repair is refused (exit 1) and nothing changes.
    #[arg(long)]
    pub cut_checkpointed: bool,
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
    if !args.cut_checkpointed {
        if let Some((problem, checkpoints)) =
            strata::log::repair_plan(&ctx.store_dir, &ctx.log_options())?
        {
            if !checkpoints.is_empty() {
                let refused = RepairReport::Refused {
                    problem,
                    checkpoints,
                };
                print_report(&mut out, &refused)?;
                return Err(CliError::Reported(Failure::Refused));
            }
        }
    }
    context::confirm("repair", "Cut the log at the damage", args.yes)?;
    let options = strata::log::RepairOptions {
        cut_checkpointed: args.cut_checkpointed,
    };
    let done = strata::log::repair_with(&ctx.store_dir, ctx.log_options(), options)?;
    print_report(&mut out, &done)?;
    if matches!(done, RepairReport::Refused { .. }) {
        return Err(CliError::Reported(Failure::Refused));
    }
    Ok(())
}

/// One line per checkpoint record a cut removes (or would remove).
fn print_checkpoints(
    out: &mut output::Printer,
    checkpoints: &[strata::format::CutCheckpoint],
) -> CliResult {
    for c in checkpoints {
        let root = strata::note::b64(&c.root);
        out.line(format!(
            "  checkpoint record seq {}: covers records 1 to {}, root {}..., {}",
            c.seq,
            c.size,
            &root[..12],
            if c.signed { "signed" } else { "unsigned" }
        ))?;
    }
    Ok(())
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
        RepairReport::Refused {
            problem,
            checkpoints,
        } => {
            out.line(format!(
                "{}: the cut at seq {} would remove records that {} cover; nothing was changed:",
                out.paint(Style::Red, "refused"),
                problem.position.seq,
                display::count(checkpoints.len() as u64, "checkpoint")
            ))?;
            print_checkpoints(out, checkpoints)?;
            out.line(
                "a checkpoint commits to every record up to its size, so after this cut it (and any \
                 copy held outside the store) can never match the log again; to cut anyway, \
                 recording these checkpoints in the repair record, run `strata repair \
                 --cut-checkpointed`",
            )
        }
        RepairReport::Repaired {
            problem,
            salvage_dir,
            bytes_cut,
            segments_removed,
            repair_seq,
            checkpoints_cut,
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
            if !checkpoints_cut.is_empty() {
                out.line(format!(
                    "  cut {} covering cut records (listed in the repair record):",
                    display::count(checkpoints_cut.len() as u64, "checkpoint")
                ))?;
                print_checkpoints(out, checkpoints_cut)?;
            }
            out.line(format!(
                "  recorded as repair record {repair_seq}; run `strata verify` to check the result"
            ))?;
            super::upload::print_post_commit_warnings(out, "repair", post_commit_warnings)
        }
    }
}
