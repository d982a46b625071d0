//! `strata rollback`: make an earlier version the active one again, after showing what
//! queries written against the active version would lose.

use crate::context::{self, Context};
use crate::error::{CliError, CliResult};
use crate::output::{Printer, Style};
use serde_json::Value;
use strata::query::Query;
use strata::report;
use strata::store::RollbackOutcome;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata rollback trial-42 1 --reason \"bad export\"\n  strata rollback trial-42 v2 --reason \"revert\" --yes --json\n  strata rollback trial-42 1 --reason \"bad export\" --queries queries.json";

/// Options of `strata rollback`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,

    /// The version to make active (number, v3, hash prefix, or a time: the version active then).
    pub version: String,

    /// Why (required: recorded as the event's note).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long, short)]
    pub yes: bool,

    /// Who rolls back (default: USER or LOGNAME, else the process's OS account).
    #[arg(long, value_name = "WHO")]
    pub actor: Option<String>,

    /// Saved queries to check against the target version: a JSON array of
    /// `{"name": ..., "sql": "..."}` or `{"name": ..., "plan": {...}}`. The ones it could not
    /// run are added to the warnings (and to the recorded event).
    #[arg(long, value_name = "FILE.json")]
    pub queries: Option<std::path::PathBuf>,
}

/// Reads a saved-queries file (see `--queries`); a malformed entry is an input error naming it.
#[allow(
    clippy::disallowed_methods,
    reason = "a saved-queries file is the user's input, not a store file"
)]
pub fn read_saved_queries(path: &std::path::Path) -> CliResult<Vec<(String, Query)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("cannot read {}: {e}", path.display())))?;
    let entries: Vec<Value> = serde_json::from_str(&text).map_err(|e| {
        CliError::error(format!(
            "{}: not a JSON array of saved queries: {e}",
            path.display()
        ))
    })?;
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let bad =
                |what: String| CliError::error(format!("{} entry {i}: {what}", path.display()));
            let name = entry["name"]
                .as_str()
                .ok_or_else(|| bad("`name` must be a string".into()))?;
            let query = match (entry.get("sql"), entry.get("plan")) {
                (Some(Value::String(sql)), None) => Query::sql(sql),
                (None, Some(plan)) => Query::plan_json(&plan.to_string()),
                _ => {
                    return Err(bad(
                        "give exactly one of `sql` (a string) or `plan` (an object)".into(),
                    ))
                }
            };
            let query = query.map_err(|e| bad(format!("query `{name}` cannot be read: {e}")))?;
            Ok((name.to_owned(), query))
        })
        .collect()
}

/// Shows the plan, confirms, rolls back. Rolling back to the active version records nothing.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let saved = match &args.queries {
        Some(path) => read_saved_queries(path)?,
        None => Vec::new(),
    };
    let store = ctx.open_store()?;
    let plan = store.plan_rollback_with_queries(&args.name, &args.version, &saved)?;
    let mut out = ctx.printer();
    if plan.to == plan.from {
        return print_outcome(&mut out, &plan);
    }
    if !out.is_json() {
        print_plan(&mut out, &plan)?;
        out.flush()?;
    }
    context::confirm(
        "rollback",
        &format!(
            "Make version {} of `{}` the active version",
            plan.to, plan.dataset
        ),
        args.yes,
    )?;
    let outcome = store.rollback_with_queries(
        &args.name,
        &plan.to.to_string(),
        &context::actor(args.actor),
        &args.reason,
        &saved,
    );
    context::announce_torn_cuts(out.is_json(), &store);
    let outcome = outcome?;
    print_outcome(&mut out, &outcome)
}

/// Prints what a rollback would do and its compatibility warnings.
pub fn print_plan(out: &mut Printer, plan: &RollbackOutcome) -> CliResult {
    out.line(format!(
        "roll back {} from version {} to version {}",
        out.paint(Style::Cyan, format!("`{}`", plan.dataset)),
        plan.from,
        plan.to
    ))?;
    if plan.warnings.is_empty() {
        out.line("  no compatibility warnings")?;
    }
    for warning in &plan.warnings {
        out.line(format!(
            "  {} {warning}",
            out.paint(Style::Yellow, "warning:")
        ))?;
    }
    Ok(())
}

/// Prints what a rollback did.
pub fn print_outcome(out: &mut Printer, o: &RollbackOutcome) -> CliResult {
    out.json(&report::Rollback::from(o))?;
    print_outcome_text(out, o)
}

/// The text part of [`print_outcome`] (nothing in JSON mode).
pub fn print_outcome_text(out: &mut Printer, o: &RollbackOutcome) -> CliResult {
    let rolled_back = match o.seq {
        Some(seq) => out.line(format!(
            "{}: `{}` version {} is active (was version {}) {}",
            out.paint(Style::Green, "rolled back"),
            o.dataset,
            o.to,
            o.from,
            out.paint(Style::Dim, format!("[event {seq}]"))
        )),
        None => out.line(format!(
            "{}: version {} of `{}` is the active version; nothing was recorded",
            out.paint(Style::Green, "already active"),
            o.to,
            o.dataset
        )),
    };
    rolled_back?;
    super::upload::print_post_commit_warnings(out, "rollback", &o.post_commit_warnings)
}
