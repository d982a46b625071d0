//! `strata upload`: a new dataset, or a new version of one, from CSV files.

use crate::context::{self, Context};
use crate::display;
use crate::error::{CliError, CliResult};
use crate::output::{self, Printer, Style};
use serde_json::Value;
use std::path::{Path, PathBuf};
use strata::report;
use strata::schema::{SchemaDrift, SchemaDriftPolicy, WideningRule};
use strata::store::{UploadPlan, UploadRefusal, UploadStatus};
use strata::{Store, UploadFile, UploadOutcome, UploadRequest};

/// Files larger than this (in total) get a progress bar on a terminal.
const LARGE_UPLOAD_BYTES: u64 = 16 * 1024 * 1024;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata upload trial-42 visits.csv sites.csv\n  strata upload trial-42 visits=export-2024-05.csv --overwrite\n  strata upload trial-42 visits.csv --overwrite --note \"March export\"\n  strata upload trial-42 visits.csv --overwrite --override-drift --reason \"site column retired\"\n  strata upload trial-42 visits.csv --overwrite --metadata meta.json --json";

/// Options of `strata upload`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name (or id, for an existing dataset).
    pub name: String,

    /// CSV files, one table each: TABLE=FILE names the table, else the file's name without
    /// its extension does (a single file overwriting a single-table dataset is matched to
    /// that table).
    #[arg(required = true, value_name = "[TABLE=]FILE")]
    pub files: Vec<PathBuf>,

    /// The table's name, for a single file (the same as TABLE=FILE).
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,

    /// Add a new version to an existing dataset (earlier versions are kept).
    #[arg(long)]
    pub overwrite: bool,

    /// With --overwrite: create the dataset if no dataset has this name (without it, an
    /// overwrite of an unknown name is refused, naming the closest existing names).
    #[arg(long)]
    pub create: bool,

    /// How to treat breaking schema drift for this upload: reject, warn or allow (default:
    /// the policy in force, see `strata policy`; one weaker than a policy set there needs
    /// --reason). Recorded.
    #[arg(long, value_name = "POLICY")]
    pub drift_policy: Option<SchemaDriftPolicy>,

    /// How the policy treats widening drift (Int64 to Float64, Date to Timestamp): compatible
    /// (accepted and reported) or breaking (decided as breaking drift is). Default: as the
    /// policy in force says (compatible if none was set). Recorded.
    #[arg(long, value_name = "RULE")]
    pub widening: Option<WideningRule>,

    /// Accept breaking drift under the reject policy (needs --reason, which is recorded).
    #[arg(long, requires = "reason")]
    pub override_drift: bool,

    /// Why the breaking drift is accepted (with --override-drift), or why this upload uses a
    /// policy weaker than the one set (with --drift-policy or --widening). Recorded as the
    /// override reason.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// A note recorded with the event (required when the content is an earlier version's:
    /// the upload then makes it active again, a rollback, and the note is its reason).
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "",
        hide_default_value = true
    )]
    pub note: String,

    /// Who uploads (default: USER or LOGNAME, else the process's OS account).
    #[arg(long, value_name = "WHO")]
    pub actor: Option<String>,

    /// Version metadata: a file holding a JSON object.
    #[arg(long, value_name = "FILE.json")]
    pub metadata: Option<PathBuf>,

    /// Show what the upload would do (and why it would be refused) without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// Uploads; a refusal exits 1, a malformed file or an IO problem exits 2.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let explains = args.override_drift || args.drift_policy.is_some() || args.widening.is_some();
    if args.reason.is_some() && !explains {
        return Err(CliError::error(
            "--reason explains --override-drift, or a --drift-policy or --widening weaker than the policy set; give one of them",
        ));
    }
    let metadata = args.metadata.as_deref().map(read_metadata).transpose()?;
    let store = ctx.open_store()?;
    let files = open_files(&table_files(&args.files, args.table)?)?;
    let request = UploadRequest {
        dataset: args.name,
        files,
        overwrite: args.overwrite,
        create: args.create,
        drift_policy: args.drift_policy,
        widening: args.widening,
        override_reason: args.reason.clone().filter(|_| args.override_drift),
        policy_reason: args.reason,
        actor: context::actor(args.actor),
        note: args.note,
        metadata,
    };
    let mut out = ctx.printer();
    if args.dry_run {
        return print_plan(&mut out, &store.plan_upload(request)?);
    }
    let result = store.save_upload(request);
    context::announce_torn_cuts(ctx.json, &store);
    match result {
        Ok(outcome) => print_outcome(&mut out, &outcome),
        Err(error) => Err(report_refusal(&mut out, &store, error)),
    }
}

/// Reads `--metadata`: a JSON object.
#[allow(
    clippy::disallowed_methods,
    reason = "the metadata file is the user's input, not a store file"
)]
fn read_metadata(path: &Path) -> CliResult<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("cannot read metadata file {}: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::error(format!(
            "metadata file {} is not valid JSON: {e}",
            path.display()
        ))
    })?;
    if !value.is_object() {
        return Err(CliError::error(format!(
            "metadata file {} must hold a JSON object ({{\"key\": \"value\", ...}})",
            path.display()
        )));
    }
    Ok(value)
}

/// The files with the table names given for them: `TABLE=FILE` (unless a file of that whole
/// name exists: a file name may hold `=`), or `--table` for a single file.
#[allow(
    clippy::disallowed_methods,
    reason = "whether the user's argument names an existing input file"
)]
fn table_files(
    args: &[PathBuf],
    table: Option<String>,
) -> CliResult<Vec<(Option<String>, PathBuf)>> {
    let mut files: Vec<(Option<String>, PathBuf)> = args
        .iter()
        .map(|arg| {
            let split = arg
                .to_str()
                .filter(|_| !arg.exists())
                .and_then(|text| text.split_once('='))
                .filter(|(name, path)| !name.is_empty() && !name.contains('/') && !path.is_empty());
            match split {
                Some((name, path)) => (Some(name.to_owned()), PathBuf::from(path)),
                None => (None, arg.clone()),
            }
        })
        .collect();
    if let Some(table) = table {
        match files.as_mut_slice() {
            [(named @ None, _)] => *named = Some(table),
            [(Some(_), _)] => {
                return Err(CliError::error(
                    "--table and TABLE=FILE both name the table; give one of them".to_owned(),
                ))
            }
            _ => {
                return Err(CliError::error(
                    "--table names the table of a single file; with several files, name each as TABLE=FILE"
                        .to_owned(),
                ))
            }
        }
    }
    Ok(files)
}

/// Opens the files, with one progress bar over all of them when they are large.
#[allow(
    clippy::disallowed_methods,
    reason = "the sizes of the user's input files, for the progress bar"
)]
fn open_files(paths: &[(Option<String>, PathBuf)]) -> CliResult<Vec<UploadFile>> {
    let total: u64 = paths
        .iter()
        .filter_map(|(_, p)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = (total > LARGE_UPLOAD_BYTES).then(|| output::byte_bar(total, "uploading"));
    let mut files = Vec::with_capacity(paths.len());
    for (table, path) in paths {
        let mut file = UploadFile::from_path(path)?;
        file.table = table.clone();
        if let Some(bar) = &bar {
            file.reader = Box::new(bar.clone().wrap_read(file.reader));
        }
        files.push(file);
    }
    Ok(files)
}

/// Prints what an upload would do; a refusal it would meet exits 1, as the upload would.
fn print_plan(out: &mut Printer, plan: &UploadPlan) -> CliResult {
    out.json(&report::UploadPlan::from(plan))?;
    out.line(out.paint(Style::Dim, "dry run: nothing was written"))?;
    match plan {
        UploadPlan::Proceed(outcome) => {
            let verb = match outcome.status {
                UploadStatus::NewDataset => "create dataset",
                UploadStatus::NewVersion => "add version",
                UploadStatus::Reactivated => "re-activate version",
                UploadStatus::AlreadyActive => "record nothing: the active version is",
            };
            out.line(format!(
                "the upload would {verb} {} of `{}` ({})",
                outcome.version,
                outcome.dataset,
                outcome.hash.short()
            ))?;
            if let Some(drift) = &outcome.drift {
                out.line(format!(
                    "  schema drift: {}",
                    display::painted_summary(out, drift)
                ))?;
            }
            print_warnings(out, outcome.drift.as_ref(), &outcome.warnings)
        }
        UploadPlan::Refused(refusal) => {
            out.line(format!(
                "the upload would be {}: {}",
                out.paint(Style::Red, "refused"),
                refusal.reason
            ))?;
            if let Some(drift) = &refusal.drift {
                for line in drift.describe() {
                    out.line(format!("    {line}"))?;
                }
            }
            Err(CliError::Reported(crate::error::Failure::Refused))
        }
    }
}

/// The label shown for an outcome (`new dataset`, `new version`, ...).
pub fn status_label(status: UploadStatus) -> &'static str {
    match status {
        UploadStatus::NewDataset => "new dataset",
        UploadStatus::NewVersion => "new version",
        UploadStatus::Reactivated => "re-activated",
        UploadStatus::AlreadyActive => "already active",
    }
}

/// Prints a successful upload: the outcome, the version and hash, each table's counts, the
/// drift and the warnings.
pub fn print_outcome(out: &mut Printer, o: &UploadOutcome) -> CliResult {
    out.json(&report::Upload::from(o))?;
    print_outcome_text(out, o)
}

/// The text part of [`print_outcome`] (nothing in JSON mode).
pub fn print_outcome_text(out: &mut Printer, o: &UploadOutcome) -> CliResult {
    let label = out.paint(Style::Green, status_label(o.status));
    let name = out.paint(Style::Cyan, format!("`{}`", o.dataset));
    let hash = o.hash.short();
    let first = match o.status {
        UploadStatus::NewDataset => {
            format!("{label}: {name} version {} ({hash})", o.version)
        }
        UploadStatus::NewVersion => {
            format!("{label}: {name} version {} ({hash}) is active", o.version)
        }
        UploadStatus::Reactivated => format!(
            "{label}: {name} version {} ({hash}) is active again: it holds the uploaded content",
            o.version
        ),
        UploadStatus::AlreadyActive => format!(
            "{label}: {name} version {} ({hash}) already holds this content; nothing was recorded",
            o.version
        ),
    };
    let event = o.seq.map(|s| format!(" [event {s}]")).unwrap_or_default();
    out.line(format!("{first}{}", out.paint(Style::Dim, event)))?;
    for t in &o.tables {
        out.line(format!(
            "  table {} ({}): {}, {}, from {}",
            t.name,
            t.table_id,
            display::count(t.row_count, "row"),
            display::count(t.column_count, "column"),
            t.source_file
        ))?;
    }
    if let Some(drift) = &o.drift {
        out.line(format!(
            "  schema drift: {}",
            display::painted_summary(out, drift)
        ))?;
    }
    if let Some(reason) = &o.override_reason {
        out.line(format!("  override reason: {reason}"))?;
    }
    print_warnings(out, o.drift.as_ref(), &o.warnings)?;
    print_post_commit_warnings(out, "upload", &o.post_commit_warnings)
}

/// Prints what failed after a write was committed, and what to type next.
pub fn print_post_commit_warnings(
    out: &mut Printer,
    write: &str,
    warnings: &[String],
) -> CliResult {
    for warning in warnings {
        out.line(format!(
            "  {} {warning}",
            out.paint(Style::Yellow, "warning:")
        ))?;
    }
    if !warnings.is_empty() {
        out.line(format!(
            "  the {write} is recorded; `strata verify` checks the store, `strata snapshot` takes the snapshot again"
        ))?;
    }
    Ok(())
}

/// Prints warnings; additions are shown as notices.
fn print_warnings(
    out: &mut Printer,
    drift: Option<&SchemaDrift>,
    warnings: &[String],
) -> CliResult {
    let notices = drift.map(SchemaDrift::additive_notices).unwrap_or_default();
    for warning in warnings {
        let label = if notices.contains(warning) {
            out.paint(Style::Dim, "notice:")
        } else {
            out.paint(Style::Yellow, "warning:")
        };
        out.line(format!("  {label} {warning}"))?;
    }
    Ok(())
}

/// Prints an upload the store refused (with its drift) and returns the error to end with
/// (exit 1); other errors pass through (exit 2).
pub fn report_refusal(out: &mut Printer, store: &Store, error: strata::Error) -> CliError {
    let Some(refusal) = store.upload_refusal(&error) else {
        return error.into();
    };
    if let Err(e) = print_refusal(out, &refusal) {
        return e;
    }
    match (&refusal.drift, refusal.seq) {
        (Some(_), Some(seq)) => CliError::refused(format!(
            "overwrite of `{}` refused by the drift policy (recorded as event {seq}); to accept \
             the breaking change, upload again with --override-drift --reason TEXT",
            refusal.dataset
        )),
        _ => error.into(),
    }
}

fn print_refusal(out: &mut Printer, refusal: &UploadRefusal) -> CliResult {
    out.json(&report::UploadRefused::from(refusal))?;
    print_refusal_text(out, refusal)
}

/// Prints a drift refusal: the drift and how to accept it (nothing in JSON mode, or for other
/// refusals, whose one-line error says it all).
pub fn print_refusal_text(out: &mut Printer, refusal: &UploadRefusal) -> CliResult {
    let Some(drift) = &refusal.drift else {
        return print_post_commit_warnings(out, "refusal", &refusal.post_commit_warnings);
    };
    let active = refusal
        .active_version
        .map(|v| format!("; version {v} stays active"))
        .unwrap_or_default();
    let event = refusal
        .seq
        .map(|s| format!("recorded as event {s}"))
        .unwrap_or_default();
    out.line(format!(
        "{}: overwrite of {} ({event}{active})",
        out.paint(Style::Red, "refused"),
        out.paint(Style::Cyan, format!("`{}`", refusal.dataset)),
    ))?;
    let against = refusal
        .active_version
        .map(|v| format!(" against version {v}"))
        .unwrap_or_default();
    out.line(format!(
        "  schema drift{against}: {}",
        display::painted_summary(out, drift)
    ))?;
    for line in drift.describe() {
        out.line(format!("    {line}"))?;
    }
    out.line(
        "  to accept it: upload again with --override-drift --reason TEXT (or --drift-policy warn)",
    )?;
    print_post_commit_warnings(out, "refusal", &refusal.post_commit_warnings)
}
