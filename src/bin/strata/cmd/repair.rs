//! `strata repair`: the explicit salvage of a corrupt log, after a confirmation.

use crate::context::{self, Context};
use crate::display;
use crate::error::{CliError, CliResult, Failure};
use crate::output::{self, Style};
use strata::log::RepairReport;
use strata::report;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata repair\n  strata repair --yes --json\n  strata repair --cut-checkpointed --yes\n  strata repair --reappend --yes\n  strata repair --reappend-cut 12";

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
    /// After the cut, append again the dataset events found whole after the damage, each
    /// marked as salvaged (pointing at where it was first recorded), so that acknowledged
    /// uploads stay in the catalog; prints what was appended again and what was dropped.
    #[arg(long)]
    pub reappend: bool,
    /// Append again the events the repair recorded at REPAIR_SEQ cut (as --reappend does
    /// right after a cut); appends nothing twice. Cuts nothing.
    #[arg(long, value_name = "REPAIR_SEQ", conflicts_with_all = ["reappend", "cut_checkpointed"])]
    pub reappend_cut: Option<u64>,
}

/// Shows the first problem, confirms, cuts the log there and prints what it did.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    if let Some(repair_seq) = args.reappend_cut {
        return reappend(ctx, &mut ctx.printer(), repair_seq);
    }
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
    match done {
        RepairReport::Refused { .. } => Err(CliError::Reported(Failure::Refused)),
        RepairReport::Repaired { repair_seq, .. } if args.reappend => {
            reappend(ctx, &mut out, repair_seq)
        }
        RepairReport::Repaired { repair_seq, .. } => {
            out.line(out.paint(
                Style::Dim,
                format!(
                    "  the dataset events still whole after the damage can be appended again: \
                     `strata repair --reappend-cut {repair_seq}`"
                ),
            ))?;
            Ok(())
        }
        RepairReport::NothingToRepair { .. } => Ok(()),
    }
}

/// Appends again the events the repair at `repair_seq` cut, and prints what it did.
fn reappend(ctx: &Context, out: &mut output::Printer, repair_seq: u64) -> CliResult {
    let store = ctx.open_store()?;
    let report = store.reappend_salvaged(repair_seq)?;
    out.json(&report::Salvage::from(&report))?;
    out.line(format!(
        "{}: {} appended again, {} not (from {})",
        out.paint(Style::Green, "salvaged"),
        display::count(report.reappended.len() as u64, "event"),
        display::count(report.dropped.len() as u64, "record"),
        report.salvage_dir.display()
    ))?;
    for r in &report.reappended {
        out.line(format!(
            "  seq {} was seq {} (segment {}, offset {}, {}): {} {}",
            r.seq,
            r.from.seq,
            r.from.segment_number,
            r.from.offset,
            display::when(r.first_recorded_micros),
            r.event_type,
            r.detail
        ))?;
    }
    for d in &report.dropped {
        out.line(format!(
            "  {} seq {} (segment {}, offset {}) {}: {}",
            out.paint(Style::Yellow, "dropped"),
            d.from.seq,
            d.from.segment_number,
            d.from.offset,
            d.what,
            d.reason
        ))?;
    }
    if report.already_reappended > 0 {
        out.line(format!(
            "  {} appended again by an earlier run",
            display::count(report.already_reappended as u64, "record")
        ))?;
    }
    super::upload::print_post_commit_warnings(out, "repair", &report.post_commit_warnings)
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
