//! `strata gc`: removes what nothing reads, the library's `Store::collect_garbage`: blob files
//! no event refers to (left by failed uploads), temporary files of interrupted writes, and
//! columnar copies nothing uses (derived files: a query remakes what it needs).

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use strata::report::GcLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata gc --dry-run\n  strata gc\n  strata gc --json";

/// Options of `strata gc`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only list what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Removes (or lists) orphan blobs and temporary files, one line each, then a summary.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let report = store.collect_garbage(args.dry_run)?;
    let mut out = ctx.printer();
    out.json_lines(&GcLine::all(&report))?;
    if out.is_json() {
        return Ok(());
    }
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for (what, files) in [
        ("orphan blob", &report.orphan_blobs),
        ("temporary file", &report.temp_files),
        ("stale columnar file", &report.stale_copies),
    ] {
        for file in files {
            out.line(format!(
                "{verb} {what} {} ({})",
                file.path.display(),
                display::count(file.bytes, "byte")
            ))?;
        }
    }
    if report.writes_in_progress {
        out.line(out.paint(
            Style::Dim,
            "temporary files, orphan blobs and stale columnar files were left alone: another process is writing; run `strata gc` again later",
        ))?;
    }
    out.line(format!(
        "gc: {verb} {}, {} and {} ({})",
        display::count(report.orphan_blobs.len() as u64, "orphan blob"),
        display::count(report.temp_files.len() as u64, "temporary file"),
        display::count(report.stale_copies.len() as u64, "stale columnar file"),
        display::count(report.bytes(), "byte")
    ))?;
    if report.dry_run && report.bytes() > 0 {
        out.line(out.paint(
            Style::Dim,
            "run `strata gc` without --dry-run to remove them",
        ))?;
    }
    Ok(())
}
