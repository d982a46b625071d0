//! `strata history`: a dataset's versions and, with `--events`, its events.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::{Printer, Style};
use strata::report::{version_change_summary, HistoryLine};
use strata::store::History;

/// Options of `strata history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,

    /// Also list the dataset's events (uploads, re-activations, rollbacks, refusals) and the
    /// recorded query runs that read it.
    #[arg(long)]
    pub events: bool,
}

/// Prints the versions, oldest first, with the active one marked `*`.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let history = store.history(&args.name)?;
    let runs = if args.events {
        store.query_runs_of(history.dataset_id)?
    } else {
        Vec::new()
    };
    let mut out = ctx.printer();
    out.json_lines(&HistoryLine::with_runs(&history, args.events, &runs))?;
    if out.is_json() {
        return Ok(());
    }
    print_versions(&mut out, &history)?;
    if args.events {
        out.line("")?;
        out.line(out.paint(Style::Bold, "events:"))?;
        let mut lines: Vec<(u64, String)> = history
            .events
            .iter()
            .map(|(seq, event)| {
                (
                    *seq,
                    super::log::event_line(&out, *seq, event, &history.name),
                )
            })
            .chain(
                runs.iter()
                    .map(|(seq, run)| (*seq, super::log::run_line(&out, *seq, run))),
            )
            .collect();
        lines.sort_by_key(|(seq, _)| *seq);
        for (_, line) in lines {
            out.line(line)?;
        }
    }
    Ok(())
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
            version_change_summary(v),
        ]);
    }
    out.table(&rows, |row| row[0].starts_with('*').then_some(Style::Green))?;
    Ok(())
}
