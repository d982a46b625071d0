//! `strata verify`: prints the library's whole-store check (`strata::check`): every
//! checksum and the sequence of the log, the store's invariants and snapshots, and with
//! `--deep` every blob. Works on a corrupt log.

use crate::context::Context;
use crate::display;
use crate::error::{CliError, CliResult, Failure};
use crate::output::{self, Printer, Style};
use indicatif::ProgressBar;
use std::path::Path;
use strata::check::{self, CheckOptions, CheckReport, Phase, Progress};
use strata::log::TornTail;
use strata::report::VerifyLine;

/// Options of `strata verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also read every blob of every version and check it against its hash.
    #[arg(long)]
    pub deep: bool,
}

/// Checks everything, prints every problem and a summary; exit 1 if there is a problem.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let mut bar: Option<ProgressBar> = None;
    let report = check::run(&ctx.store_dir, CheckOptions { deep: args.deep }, |p| {
        show_progress(&mut bar, p)
    })?;
    let mut out = ctx.printer();
    out.json_lines(&VerifyLine::all(&report))?;
    if !out.is_json() {
        print_text(&mut out, &ctx.store_dir, &report)?;
    }
    if report.is_healthy() {
        Ok(())
    } else {
        Err(CliError::Reported(Failure::Refused))
    }
}

/// A spinner over the log, a bar over the blobs (on a terminal only).
fn show_progress(bar: &mut Option<ProgressBar>, progress: Progress) {
    match progress {
        Progress::Started {
            phase: Phase::Log, ..
        } => *bar = Some(output::spinner("checking the log")),
        Progress::Started {
            phase: Phase::Blobs,
            total,
        } => *bar = Some(output::count_bar(total.unwrap_or(0), "checking blobs")),
        Progress::Advanced { done, .. } => {
            if let Some(bar) = bar {
                bar.set_position(done);
            }
        }
        Progress::Finished { .. } => {
            if let Some(bar) = bar.take() {
                bar.finish_and_clear();
            }
        }
        Progress::Started { .. } => {}
    }
}

fn segment_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A torn tail in words (also used by `stat` and `repair`).
pub fn torn_tail_text(t: &TornTail) -> String {
    format!(
        "segment {}, offset {}, {}: {} (not a problem: it is cut, with a copy kept, before the next append)",
        segment_name(&t.segment),
        t.offset,
        display::count(t.len, "byte"),
        t.defect
    )
}

fn print_text(out: &mut Printer, dir: &Path, report: &CheckReport) -> CliResult {
    let problem = out.paint(Style::Red, "problem:");
    let log = &report.log;
    out.line(format!(
        "log: {}, {}, {} valid, last seq {}",
        display::count(log.segments as u64, "segment"),
        display::count(log.records, "record"),
        display::count(log.bytes, "byte"),
        log.last_seq
    ))?;
    if let Some(t) = &log.torn_tail {
        out.line(format!("torn tail: {}", torn_tail_text(t)))?;
    }
    for p in &log.problems {
        out.line(format!(
            "{problem} segment {}, offset {}, seq {}: {}",
            segment_name(&p.position.segment),
            p.position.offset,
            p.position.seq,
            p.defect
        ))?;
    }
    if report.invariants_checked {
        let verdict = if report.store_problems.is_empty() {
            "ok"
        } else {
            "violated"
        };
        out.line(format!("invariants: {verdict}"))?;
    } else if !log.problems.is_empty() {
        out.line(format!(
            "invariants: not checked: the store cannot be opened until the log is repaired \
             (`strata --store {} repair`)",
            dir.display()
        ))?;
    }
    for p in &report.store_problems {
        out.line(format!("{problem} {}", p.detail))?;
    }
    if let Some(seq) = report.snapshot_checked {
        out.line(format!(
            "snapshot: the newest (at seq {seq}) compared with a replay of the log"
        ))?;
    }
    print_blobs(out, report, &problem)?;
    let verdict = match report.problem_count() {
        0 => out.paint(Style::Green, "ok"),
        n => out.paint(
            Style::Red,
            format!("{} found", display::count(n as u64, "problem")),
        ),
    };
    out.line(format!("verify: {verdict}"))
}

fn print_blobs(out: &mut Printer, report: &CheckReport, problem: &str) -> CliResult {
    if report.deep && report.invariants_checked {
        out.line(format!(
            "blobs: {} checked, {} damaged",
            report.blobs_checked,
            report.damaged_blob_count()
        ))?;
    }
    for b in &report.blob_problems {
        out.line(format!(
            "{problem} blob {} (table `{}` of `{}` version {}): {}",
            b.path.display(),
            b.table,
            b.dataset,
            b.version,
            b.detail
        ))?;
    }
    if !report.deep {
        out.line(out.paint(
            Style::Dim,
            "blobs: only their presence was checked; `strata verify --deep` reads every blob",
        ))?;
    }
    Ok(())
}
