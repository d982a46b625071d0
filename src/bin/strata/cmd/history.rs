//! `strata history`: a dataset's versions and, with `--events`, its events.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::json;
use crate::output::{Printer, Style};
use serde_json::json;
use strata::store::{History, VersionSummary};

/// Options of `strata history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,

    /// Also list the dataset's events (uploads, re-activations, rollbacks, refusals).
    #[arg(long)]
    pub events: bool,
}

/// Prints the versions, oldest first, with the active one marked `*`.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let history = store.history(&args.name)?;
    let mut out = ctx.printer();
    for v in &history.versions {
        out.json(&version_json(&history, v))?;
    }
    if args.events {
        for (seq, event) in &history.events {
            let mut value = json::event(*seq, event, Some(&history.name));
            value["item"] = json!("event");
            out.json(&value)?;
        }
    }
    if out.is_json() {
        return Ok(());
    }
    print_versions(&mut out, &history)?;
    if args.events {
        out.line("")?;
        out.line(out.paint(Style::Bold, "events:"))?;
        for (seq, event) in &history.events {
            out.line(super::log::event_line(&out, *seq, event, &history.name))?;
        }
    }
    Ok(())
}

fn version_json(history: &History, v: &VersionSummary) -> serde_json::Value {
    json!({
        "item": "version",
        "dataset": history.name,
        "dataset_id": history.dataset_id.to_string(),
        "version": v.number,
        "hash": v.hash.hex(),
        "created": json::time(v.created_micros),
        "actor": v.actor,
        "note": v.note,
        "active": v.active,
        "rows": v.row_counts.iter().map(|(_, n)| n).sum::<u64>(),
        "row_counts": v.row_counts.iter().map(|(t, n)| json!({"table": t, "rows": n})).collect::<Vec<_>>(),
        "changes": json::optional_drift(v.changes.as_ref()),
        "change_summary": change_text(v),
        "override_reason": v.override_reason,
    })
}

/// The schema change of a version against the previous one, in words.
fn change_text(v: &VersionSummary) -> String {
    let mut text = match &v.changes {
        None => "initial version".to_string(),
        Some(drift) => display::change_summary(drift),
    };
    if let Some(reason) = &v.override_reason {
        text.push_str(&format!("; override: {reason}"));
    }
    text
}

fn print_versions(out: &mut Printer, history: &History) -> CliResult {
    let active = history.versions.iter().find(|v| v.active).map(|v| v.number);
    out.line(format!(
        "{} ({}): {}, version {} active",
        out.paint(Style::Cyan, &history.name),
        history.dataset_id,
        display::count(history.versions.len() as u64, "version"),
        active.unwrap_or(0)
    ))?;
    let mut rows = vec![[
        " ", "VERSION", "HASH", "CREATED", "ACTOR", "ROWS", "CHANGES",
    ]
    .map(String::from)
    .to_vec()];
    for v in &history.versions {
        rows.push(vec![
            if v.active { "*" } else { " " }.to_string(),
            format!("v{}", v.number),
            v.hash.short(),
            display::when(v.created_micros),
            v.actor.clone(),
            v.row_counts.iter().map(|(_, n)| n).sum::<u64>().to_string(),
            change_text(v),
        ]);
    }
    out.table(&rows, |row| row[0].starts_with('*').then_some(Style::Green))?;
    Ok(())
}
