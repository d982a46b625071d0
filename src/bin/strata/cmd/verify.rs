//! `strata verify`: prints the library's whole-store check (`strata::check`): every
//! checksum and the sequence of the log, the store's invariants and snapshots, and with
//! `--deep` every blob. Works on a corrupt log.

use crate::context::Context;
use crate::display;
use crate::error::{CliError, CliResult, Failure};
use crate::output::{self, Printer, Style};
use indicatif::ProgressBar;
use std::path::Path;
use strata::audit::{TrustedOutcome, TrustedReport};
use strata::check::{self, CheckOptions, CheckReport, Outcome, Phase, Progress};
use strata::log::TornTail;
use strata::report::VerifyLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata verify\n  strata verify --deep --json\n  strata verify --trusted held.checkpoint --vkey lab.vkey";

/// Options of `strata verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also read every blob of every version and check it against its hash.
    #[arg(long)]
    pub deep: bool,
    /// Also rebuild the Merkle tree, check every recorded checkpoint against it, and check
    /// this checkpoint held outside the store (exit 3: tampered, 4: unverifiable).
    #[arg(long, value_name = "CHECKPOINT")]
    pub trusted: Option<std::path::PathBuf>,
    /// A pinned verifier key (the string, or a file holding it) for the tree check; repeatable.
    #[arg(long = "vkey", value_name = "VKEY")]
    pub vkeys: Vec<String>,
}

/// Checks everything, prints every problem and a summary; exit 1 if there is a problem.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let mut bar: Option<ProgressBar> = None;
    let report = check::run(&ctx.store_dir, CheckOptions { deep: args.deep }, |p| {
        show_progress(&mut bar, p)
    })?;
    let audit = if args.trusted.is_some() || !args.vkeys.is_empty() {
        Some(trusted_check(ctx, &args, &report)?)
    } else {
        None
    };
    let mut out = ctx.printer();
    out.json_lines(&VerifyLine::all(&report))?;
    if !out.is_json() {
        print_text(&mut out, &ctx.store_dir, &report)?;
    }
    if let Some(audit) = &audit {
        out.json(audit)?;
        print_trusted(&mut out, audit)?;
    }
    let mut tampered = audit.as_ref().map(|a| a.outcome);
    if report.outcome() == Outcome::Tampered {
        // A forged snapshot is tampering with or without `--trusted`.
        tampered = Some(TrustedOutcome::Tampered);
    }
    match (
        report.log.problems.is_empty(),
        tampered,
        report.is_healthy(),
    ) {
        (false, _, _) => Err(CliError::Reported(Failure::Refused)),
        (true, Some(TrustedOutcome::Tampered), _) => Err(CliError::Reported(Failure::Tampered)),
        (true, _, false) => Err(CliError::Reported(Failure::Refused)),
        (true, Some(TrustedOutcome::Unverifiable), true) => {
            Err(CliError::Reported(Failure::Unverifiable))
        }
        _ => Ok(()),
    }
}

/// The tree check of `--trusted` / `--vkey`, when the log's structure holds (a corrupt log
/// is reported by the log check; its tree is not rebuilt).
fn trusted_check(ctx: &Context, args: &Args, report: &CheckReport) -> CliResult<TrustedReport> {
    let held = args
        .trusted
        .as_deref()
        .map(super::audit_files::read_checkpoint)
        .transpose()?;
    let keys = super::audit_files::verifier_keys(&args.vkeys)?;
    if !report.log.problems.is_empty() {
        return Ok(TrustedReport {
            origin: String::new(),
            size: report.log.records,
            root: String::new(),
            checkpoints_checked: 0,
            signed_checkpoints: 0,
            anchored_size: 0,
            unanchored_tail: 0,
            problems: vec![
                "the tree was not rebuilt: the log's checksums or structure fail".into(),
            ],
            outcome: TrustedOutcome::Corrupt,
        });
    }
    let log = strata::log::Log::open(&ctx.store_dir, ctx.log_options())?;
    Ok(strata::audit::check_trusted(&log, held.as_ref(), &keys)?)
}

fn print_trusted(out: &mut Printer, audit: &TrustedReport) -> CliResult {
    let problem = out.paint(Style::Red, "tamper:");
    out.line(format!(
        "tree: {} records, root {}, {} checked ({} signed by a pinned key)",
        audit.size,
        audit.root,
        display::count(audit.checkpoints_checked as u64, "checkpoint"),
        audit.signed_checkpoints
    ))?;
    for p in &audit.problems {
        out.line(format!("{problem} {p}"))?;
    }
    out.line(format!(
        "anchored: the first {} records; unanchored tail: {}",
        audit.anchored_size,
        display::count(audit.unanchored_tail, "record")
    ))?;
    let verdict = match audit.outcome {
        TrustedOutcome::Healthy => out.paint(Style::Green, "healthy"),
        TrustedOutcome::Corrupt => out.paint(Style::Red, "corrupt (media damage or unfixed CRCs)"),
        TrustedOutcome::Tampered => {
            out.paint(Style::Red, "TAMPERED (checksums hold, hashes do not)")
        }
        TrustedOutcome::Unverifiable => out.paint(Style::Yellow, "unverifiable (no anchor)"),
    };
    out.line(format!("trusted: {verdict}"))
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
    let unchecked = t
        .unchecked
        .as_ref()
        .map_or_else(String::new, |why| format!("; {why}"));
    format!(
        "segment {}, offset {}, {}: {} (not a problem: it is cut, with a copy kept, before the next append{unchecked})",
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
    let tamper = out.paint(Style::Red, "tamper:");
    for p in &report.store_problems {
        let label = if p.is_tampering() { &tamper } else { &problem };
        out.line(format!("{label} {}", p.detail))?;
    }
    if let Some(seq) = report.snapshot_checked {
        out.line(format!(
            "snapshot: the newest (at seq {seq}) compared with a replay of the log"
        ))?;
    }
    print_blobs(out, report, &problem)?;
    print_leftovers(out, report)?;
    let verdict = match report.problem_count() {
        0 => out.paint(Style::Green, "ok"),
        n if report.outcome() == Outcome::Tampered => out.paint(
            Style::Red,
            format!(
                "{} found, TAMPERED (checksums hold, content does not)",
                display::count(n as u64, "problem")
            ),
        ),
        n => out.paint(
            Style::Red,
            format!("{} found", display::count(n as u64, "problem")),
        ),
    };
    out.line(format!("verify: {verdict}"))
}

/// Orphan blobs, temporary files and stale columnar copies: not problems, but space
/// `strata gc` gives back.
fn print_leftovers(out: &mut Printer, report: &CheckReport) -> CliResult {
    let Some(leftovers) = &report.leftovers else {
        return Ok(());
    };
    for (what, files) in [
        ("orphan blob", &leftovers.orphan_blobs),
        ("temporary file", &leftovers.temp_files),
        ("stale columnar file", &leftovers.stale_copies),
    ] {
        for file in files {
            out.line(format!(
                "{what}: {} ({}), read by nothing",
                file.path.display(),
                display::count(file.bytes, "byte")
            ))?;
        }
    }
    let any = [
        &leftovers.orphan_blobs,
        &leftovers.temp_files,
        &leftovers.stale_copies,
    ]
    .iter()
    .any(|files| !files.is_empty());
    if any {
        out.line(out.paint(
            Style::Dim,
            "leftovers of failed or interrupted writes are not problems; `strata gc` removes them",
        ))?;
    }
    Ok(())
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
