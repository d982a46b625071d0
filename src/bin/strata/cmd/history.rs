//! `strata history`: a dataset's versions and, with `--events`, its events.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::{Printer, Style};
use strata::report::{version_change_summary, HistoryLine, TimelineLine};
use strata::store::{History, Move};

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata history trial-42\n  strata history trial-42 --events\n  strata history trial-42 --timeline\n  strata history trial-42 --json";

/// Options of `strata history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,

    /// Also list the dataset's events (uploads, re-activations, rollbacks, refusals) and the
    /// recorded query runs that read it.
    #[arg(long, conflicts_with = "timeline")]
    pub events: bool,

    /// Instead of the versions, when each one was active: from which event to which, and who
    /// made each change.
    #[arg(long)]
    pub timeline: bool,
}

/// Prints the versions, oldest first, with the active one marked `*` (or, with `--timeline`,
/// the intervals during which each was active).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let history = store.history(&args.name)?;
    let runs = if args.events {
        store.query_runs_of(history.dataset_id)?
    } else {
        Vec::new()
    };
    let mut out = ctx.printer();
    if args.timeline {
        return print_timeline(&mut out, &history);
    }
    out.json_lines(&HistoryLine::with_runs(&history, args.events, &runs))?;
    if out.is_json() {
        return Ok(());
    }
    print_versions(&mut out, &history)?;
    if args.events {
        out.line("")?;
        out.line(out.paint(Style::Bold, "events:"))?;
        let relative = out.is_terminal();
        // The events and the runs, in log order: (seq, type name, cells).
        let mut rows: Vec<(u64, &str, Vec<String>)> = history
            .events
            .iter()
            .map(|(seq, event)| {
                let cells = super::log::event_cells(*seq, event, &history.name, relative);
                (*seq, event.kind.name(), cells)
            })
            .chain(runs.iter().map(|(seq, run)| {
                (
                    *seq,
                    "query_run",
                    super::log::run_cells(*seq, run, relative),
                )
            }))
            .collect();
        rows.sort_by_key(|(seq, _, _)| *seq);
        let cells: Vec<Vec<String>> = rows.iter().map(|(_, _, cells)| cells.clone()).collect();
        for (_, type_name, row) in &rows {
            out.line(super::log::entry_line(&out, row, type_name, &cells))?;
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

/// Prints each active interval: the version, from when and by whom, to when and by whom.
fn print_timeline(out: &mut Printer, history: &History) -> CliResult {
    let intervals = history.timeline();
    out.json_lines(&TimelineLine::all(&history.name, &intervals))?;
    if out.is_json() {
        return Ok(());
    }
    out.line(format!(
        "{}: when each version was active ({})",
        out.paint(Style::Cyan, &history.name),
        display::count(intervals.len() as u64, "interval")
    ))?;
    let relative = out.is_terminal();
    let time = |micros: i64| {
        if relative {
            display::relative(micros)
        } else {
            display::absolute(micros)
        }
    };
    let moved = |m: &Move| format!("#{} {} by {}", m.seq, m.event, m.actor);
    let mut rows = vec![["VERSION", "FROM", "TO", "MADE ACTIVE", "ENDED"]
        .map(String::from)
        .to_vec()];
    for interval in &intervals {
        let (to, ended) = match &interval.to {
            Some(m) => (time(m.micros), moved(m)),
            None => ("(active)".to_owned(), String::new()),
        };
        rows.push(vec![
            format!("v{}", interval.version),
            time(interval.from.micros),
            to,
            moved(&interval.from),
            ended,
        ]);
    }
    out.table(&rows, |row| {
        row[2].starts_with("(active)").then_some(Style::Green)
    })
}
