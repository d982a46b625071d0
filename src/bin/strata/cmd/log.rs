//! `strata log`: the dataset events and recorded query runs, oldest first; `--follow` keeps
//! printing new ones.

use crate::context::{self, Context};
use crate::display;
use crate::error::{CliError, CliResult};
use crate::output::{Printer, Style};
use chrono::{DateTime, Utc};
use std::time::Duration;
use strata::report;
use strata::store::{Event, LogEntry, QueryRun};
use strata::Store;

/// How long `--follow` waits for new records before it waits again (it is woken by the
/// first append of any process).
const FOLLOW_WAIT: Duration = Duration::from_secs(60);

/// The event types `--type` accepts.
const EVENT_TYPES: [&str; 5] = [
    "upload_created",
    "version_activated",
    "rollback",
    "overwrite_blocked",
    "query_run",
];

/// Options of `strata log`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the events of this dataset (name or id).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,

    /// Only events of this type.
    #[arg(long = "type", value_name = "TYPE", value_parser = EVENT_TYPES)]
    pub event_type: Option<String>,

    /// Only events at or after this time (RFC 3339, `YYYY-MM-DD HH:MM:SS` UTC, or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = context::parse_since)]
    pub since: Option<DateTime<Utc>>,

    /// Keep printing events appended by other processes until interrupted.
    #[arg(long, short)]
    pub follow: bool,
}

/// Which events to print.
struct Filter {
    dataset_id: Option<uuid::Uuid>,
    event_type: Option<String>,
    since_micros: Option<i64>,
}

impl Filter {
    fn accepts_run(&self, run: &QueryRun) -> bool {
        self.dataset_id
            .is_none_or(|id| run.versions.iter().any(|v| v.dataset_id == id))
            && self.event_type.as_deref().is_none_or(|t| t == "query_run")
            && self.since_micros.is_none_or(|s| run.timestamp_micros >= s)
    }

    fn accepts(&self, event: &Event) -> bool {
        self.dataset_id.is_none_or(|id| event.dataset_id == id)
            && self
                .event_type
                .as_deref()
                .is_none_or(|t| event.kind.name() == t)
            && self
                .since_micros
                .is_none_or(|s| event.timestamp_micros >= s)
    }
}

/// Prints the matching events; with `--follow`, waits for new ones until interrupted (or
/// until standard output is closed).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let filter = Filter {
        dataset_id: match &args.dataset {
            Some(name) => Some(store.catalog().get(name)?.id),
            None => None,
        },
        event_type: args.event_type,
        since_micros: args.since.map(|t| t.timestamp_micros()),
    };
    let mut out = ctx.printer();
    let next = print_from(&store, &mut out, &filter, 1)?;
    if args.follow {
        follow(&store, &mut out, &filter, next)?;
    }
    Ok(())
}

/// Prints the events other processes append, as they arrive, forever (until interrupted,
/// or until standard output is closed, which ends the command quietly).
fn follow(store: &Store, out: &mut Printer, filter: &Filter, mut next: u64) -> CliResult {
    loop {
        if store.wait_past(next - 1, FOLLOW_WAIT)?.appended() {
            next = print_from(store, out, filter, next)?;
        }
    }
}

/// Prints the matching events from `from_seq` to the end of what the store has read; returns
/// the sequence number to continue from.
fn print_from(store: &Store, out: &mut Printer, filter: &Filter, from_seq: u64) -> CliResult<u64> {
    let end = store.log().next_seq();
    for item in store.log_entries(from_seq) {
        let (seq, entry) = item.map_err(CliError::from)?;
        match entry {
            LogEntry::Event(event) if filter.accepts(&event) => {
                let name = dataset_name(store, &event);
                out.json(&report::Event::new(seq, &event, Some(&name)))?;
                out.line(event_line(out, seq, &event, &name))?;
            }
            LogEntry::QueryRun(run) if filter.accepts_run(&run) => {
                out.json(&report::QueryRun::new(seq, &run))?;
                out.line(run_line(out, seq, &run))?;
            }
            _ => {}
        }
    }
    out.flush()?;
    Ok(end)
}

/// The dataset's current name (its id if it is unknown).
fn dataset_name(store: &Store, event: &Event) -> String {
    store
        .catalog()
        .by_id(&event.dataset_id)
        .map_or_else(|| event.dataset_id.to_string(), |d| d.name.clone())
}

/// One event as a line of text: sequence number, time, type, dataset, actor, details, note.
pub fn event_line(out: &Printer, seq: u64, event: &Event, dataset: &str) -> String {
    let kind = event.kind.name();
    let style = match kind {
        "overwrite_blocked" => Style::Red,
        "rollback" => Style::Yellow,
        _ => Style::Green,
    };
    let note = if event.note.is_empty() {
        String::new()
    } else {
        format!("  note: {}", event.note)
    };
    format!(
        "{}  {}  {}  {}  {}  {}{note}",
        out.paint(Style::Dim, format!("#{seq:<4}")),
        display::absolute(event.timestamp_micros),
        out.paint(style, format!("{kind:<17}")),
        out.paint(Style::Cyan, dataset),
        event.actor,
        display::event_details(event),
    )
}

/// One query run as a line of text: sequence number, time, type, versions, actor, result,
/// SQL, note.
pub fn run_line(out: &Printer, seq: u64, run: &QueryRun) -> String {
    let versions: Vec<String> = run
        .versions
        .iter()
        .map(|v| format!("{}@{}", v.dataset_name, v.version))
        .collect();
    let note = if run.note.is_empty() {
        String::new()
    } else {
        format!("  note: {}", run.note)
    };
    format!(
        "{}  {}  {}  {}  {}  {} rows, result {}  sql: {}{note}",
        out.paint(Style::Dim, format!("#{seq:<4}")),
        display::absolute(run.timestamp_micros),
        out.paint(Style::Cyan, format!("{:<17}", "query_run")),
        out.paint(Style::Cyan, versions.join(", ")),
        run.actor,
        run.row_count,
        run.result_sha256.short(),
        crate::error::one_line(&run.sql),
    )
}
