//! `strata verify`: every checksum and the sequence of the log, the store's invariants and,
//! with `--deep`, every blob. Works on a corrupt log: the log's problems are listed even when
//! the store cannot be opened.

use crate::context::Context;
use crate::display;
use crate::error::{CliError, CliResult, Failure};
use crate::output::{self, Printer, Style};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use strata::log::{Problem, TornTail, VerifyReport};
use strata::store::Digest;
use strata::{Store, StoreOptions};

/// Options of `strata verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also read every blob of every version and check it against its hash.
    #[arg(long)]
    pub deep: bool,
}

/// A damaged or missing blob, with one of the versions that use it.
struct BlobProblem {
    path: PathBuf,
    hash: Digest,
    dataset: String,
    version: u64,
    table: String,
    detail: String,
}

/// What the store-level checks found.
#[derive(Default)]
struct StoreChecks {
    /// Why the store could not be opened or broke an invariant.
    store_problems: Vec<String>,
    /// Whether the invariants could be checked at all.
    invariants_checked: bool,
    blobs_checked: usize,
    blob_problems: Vec<BlobProblem>,
    /// The sequence number of the snapshot compared with a replay of the log, if any.
    snapshot_checked: Option<u64>,
}

/// Checks everything, prints a summary and every problem; exit 1 if there is one.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let spinner = output::spinner("checking the log");
    let report = strata::log::verify(&ctx.store_dir)?;
    spinner.finish_and_clear();
    let checks = check_store(&ctx.store_dir, &report, args.deep);
    let mut out = ctx.printer();
    print_report(&mut out, &ctx.store_dir, &report, &checks, args.deep)?;
    let problems = report.problems.len() + checks.store_problems.len() + checks.blob_problems.len();
    if problems == 0 {
        Ok(())
    } else {
        Err(CliError::Reported(Failure::Refused))
    }
}

/// Opens the store and checks its invariants and (deep) its blobs.
fn check_store(dir: &Path, report: &VerifyReport, deep: bool) -> StoreChecks {
    let mut checks = StoreChecks::default();
    let store = match Store::open(dir, StoreOptions::default()) {
        Ok(store) => store,
        Err(e) => {
            // A corrupt log is already listed by the log check.
            if report.problems.is_empty() {
                checks
                    .store_problems
                    .push(format!("the store cannot be opened: {e}"));
            }
            return checks;
        }
    };
    checks.invariants_checked = true;
    if let Err(e) = store.assert_invariants(false) {
        checks.store_problems.push(e.to_string());
    }
    check_snapshots(&store, &mut checks);
    if deep {
        check_blobs(&store, &mut checks);
    }
    checks
}

/// Snapshots ignored on open are problems; the newest usable one must equal the catalog
/// rebuilt from the log alone.
fn check_snapshots(store: &Store, checks: &mut StoreChecks) {
    checks
        .store_problems
        .extend(store.snapshot_warnings().iter().cloned());
    match store.check_snapshot() {
        Ok(Some((info, differences))) => {
            checks.snapshot_checked = Some(info.seq);
            checks
                .store_problems
                .extend(differences.into_iter().map(|d| {
                    format!(
                        "snapshot {} disagrees with the log: {d}",
                        info.path.display()
                    )
                }));
        }
        Ok(None) => {}
        Err(e) => checks
            .store_problems
            .push(format!("the snapshot could not be checked: {e}")),
    }
}

/// Reads every blob once and reports each version and table that uses a damaged one.
fn check_blobs(store: &Store, checks: &mut StoreChecks) {
    let uses: Vec<_> = match store.all_tables() {
        Ok(tables) => tables
            .into_iter()
            .map(|(dataset, version, t)| (t.content_hash, dataset, version, t.name))
            .collect(),
        Err(e) => {
            checks.store_problems.push(e.to_string());
            return;
        }
    };
    let mut results: HashMap<Digest, Option<String>> = HashMap::new();
    let bar = output::count_bar(uses.len() as u64, "checking blobs");
    for (hash, dataset, version, table) in uses {
        bar.inc(1);
        let result = results
            .entry(hash)
            .or_insert_with(|| store.blobs().verify(&hash.0).err().map(|e| e.to_string()));
        if let Some(detail) = result {
            checks.blob_problems.push(BlobProblem {
                path: store.blobs().path(&hash.0),
                hash,
                dataset,
                version,
                table,
                detail: detail.clone(),
            });
        }
    }
    bar.finish_and_clear();
    checks.blobs_checked = results.len();
}

fn segment_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn problem_json(p: &Problem) -> Value {
    json!({
        "item": "problem",
        "kind": "log",
        "segment": segment_name(&p.segment),
        "path": p.segment.display().to_string(),
        "offset": p.offset,
        "seq": p.seq,
        "defect": p.defect.to_string(),
    })
}

/// A torn tail as JSON (also used by `stat`).
pub fn torn_tail_json(t: &TornTail) -> Value {
    json!({
        "segment": segment_name(&t.segment),
        "path": t.segment.display().to_string(),
        "offset": t.offset,
        "len": t.len,
        "defect": t.defect.to_string(),
    })
}

/// A torn tail in words (also used by `stat`).
pub fn torn_tail_text(t: &TornTail) -> String {
    format!(
        "segment {}, offset {}, {}: {} (not a problem: it is cut, with a copy kept, before the next append)",
        segment_name(&t.segment),
        t.offset,
        display::count(t.len, "byte"),
        t.defect
    )
}

fn print_report(
    out: &mut Printer,
    dir: &Path,
    report: &VerifyReport,
    checks: &StoreChecks,
    deep: bool,
) -> CliResult {
    for p in &report.problems {
        out.json(&problem_json(p))?;
    }
    for detail in &checks.store_problems {
        out.json(&json!({"item": "problem", "kind": "store", "detail": detail}))?;
    }
    for b in &checks.blob_problems {
        out.json(&json!({
            "item": "problem",
            "kind": "blob",
            "path": b.path.display().to_string(),
            "hash": b.hash.hex(),
            "dataset": b.dataset,
            "version": b.version,
            "table": b.table,
            "detail": b.detail,
        }))?;
    }
    let problems = report.problems.len() + checks.store_problems.len() + checks.blob_problems.len();
    out.json(&json!({
        "item": "summary",
        "ok": problems == 0,
        "problems": problems,
        "segments": report.segments,
        "records": report.records,
        "bytes": report.bytes,
        "last_seq": report.last_seq,
        "torn_tail": report.torn_tail.as_ref().map(torn_tail_json),
        "invariants_checked": checks.invariants_checked,
        "deep": deep,
        "blobs_checked": checks.blobs_checked,
        "snapshot_checked": checks.snapshot_checked,
    }))?;
    if out.is_json() {
        return Ok(());
    }
    print_text(out, dir, report, checks, deep, problems)
}

fn print_text(
    out: &mut Printer,
    dir: &Path,
    report: &VerifyReport,
    checks: &StoreChecks,
    deep: bool,
    problems: usize,
) -> CliResult {
    let problem = out.paint(Style::Red, "problem:");
    out.line(format!(
        "log: {}, {}, {} valid, last seq {}",
        display::count(report.segments as u64, "segment"),
        display::count(report.records, "record"),
        display::count(report.bytes, "byte"),
        report.last_seq
    ))?;
    if let Some(t) = &report.torn_tail {
        out.line(format!("torn tail: {}", torn_tail_text(t)))?;
    }
    for p in &report.problems {
        out.line(format!(
            "{problem} segment {}, offset {}, seq {}: {}",
            segment_name(&p.segment),
            p.offset,
            p.seq,
            p.defect
        ))?;
    }
    if checks.invariants_checked {
        out.line(format!(
            "invariants: {}",
            if checks.store_problems.is_empty() {
                "ok"
            } else {
                "violated"
            }
        ))?;
    } else if !report.problems.is_empty() {
        out.line(format!(
            "invariants: not checked: the store cannot be opened until the log is repaired \
             (`strata --store {} repair`)",
            dir.display()
        ))?;
    }
    for detail in &checks.store_problems {
        out.line(format!("{problem} {detail}"))?;
    }
    if let Some(seq) = checks.snapshot_checked {
        out.line(format!(
            "snapshot: the newest (at seq {seq}) compared with a replay of the log"
        ))?;
    }
    if deep && checks.invariants_checked {
        out.line(format!(
            "blobs: {} checked, {} damaged",
            checks.blobs_checked,
            checks
                .blob_problems
                .iter()
                .map(|b| b.hash)
                .collect::<std::collections::HashSet<_>>()
                .len()
        ))?;
    }
    for b in &checks.blob_problems {
        out.line(format!(
            "{problem} blob {} (table `{}` of `{}` version {}): {}",
            b.path.display(),
            b.table,
            b.dataset,
            b.version,
            b.detail
        ))?;
    }
    if !deep {
        out.line(out.paint(
            Style::Dim,
            "blobs: only their presence was checked; `strata verify --deep` reads every blob",
        ))?;
    }
    if problems == 0 {
        out.line(format!("verify: {}", out.paint(Style::Green, "ok")))
    } else {
        out.line(format!(
            "verify: {}",
            out.paint(
                Style::Red,
                format!("{} found", display::count(problems as u64, "problem"))
            )
        ))
    }
}
