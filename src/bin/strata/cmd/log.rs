//! `strata log`: the dataset events, the recorded query runs and the log's own records
//! (seals, torn-tail cuts, repairs), oldest first; `--follow` keeps printing new ones.

use crate::context::{self, Context};
use crate::display;
use crate::error::{CliError, CliResult};
use crate::output::{Printer, Style};
use chrono::{DateTime, Utc};
use std::time::Duration;
use strata::report;
use strata::store::{Event, EventFilter, LogEntry, QueryRun, SystemRecord, LOG_ENTRY_TYPES};
use strata::Store;

/// How long `--follow` waits for new records before it waits again (it is woken by the
/// first append of any process).
const FOLLOW_WAIT: Duration = Duration::from_secs(60);

/// How `log` shows times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeStyle {
    /// Relative (`3 minutes ago`) on a terminal, absolute (RFC 3339) otherwise.
    Auto,
    /// `3 minutes ago`.
    Relative,
    /// `2024-05-01T12:00:00Z`.
    Absolute,
}

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata log\n  strata log --dataset trial-42 -n 5\n  strata log --since \"2 hours ago\" --type rollback\n  strata log --type query_run\n  strata log --follow --dataset trial-43 --json";

/// Options of `strata log`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the events of this dataset (name or id). With --follow, the dataset may not exist
    /// yet: its events are printed once it is created.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,

    /// Only events of this type (`query_run`: the recorded query runs).
    #[arg(long = "type", value_name = "TYPE", value_parser = LOG_ENTRY_TYPES)]
    pub event_type: Option<String>,

    /// Only events at or after this time: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC), YYYY-MM-DD,
    /// `yesterday`, or a relative time such as "2 hours ago".
    #[arg(long, value_name = "TIME", value_parser = context::parse_since)]
    pub since: Option<DateTime<Utc>>,

    /// Only the last N matching events (then, with --follow, every new one).
    #[arg(short = 'n', long = "last", value_name = "N")]
    pub last: Option<usize>,

    /// How to show times.
    #[arg(long, value_name = "STYLE", value_enum, default_value_t = TimeStyle::Auto)]
    pub time: TimeStyle,

    /// Keep printing events appended by other processes until interrupted.
    #[arg(long, short)]
    pub follow: bool,

    /// Hide the log's own records (seals, torn-tail cuts, repairs). They are also hidden by
    /// --dataset and --type, which only dataset events match.
    #[arg(long)]
    pub no_system: bool,
}

/// Which events to print: the library's filter, and a dataset name that does not exist yet
/// (`--follow` waits for it: until it exists, nothing matches).
struct Filter {
    pending: Option<String>,
    events: EventFilter,
    /// Whether the log's own records are shown.
    system: bool,
}

impl Filter {
    /// Resolves a pending dataset name once the dataset exists.
    fn resolve(&mut self, store: &Store) {
        if let Some(name) = &self.pending {
            if let Some(ds) = store.catalog().find(name) {
                self.events.dataset_id = Some(ds.id);
                self.pending = None;
            }
        }
    }

    fn accepts(&self, entry: &LogEntry) -> bool {
        match entry {
            LogEntry::Event(event) => self.pending.is_none() && self.events.accepts(event),
            LogEntry::QueryRun(run) => self.pending.is_none() && self.events.accepts_run(run),
            LogEntry::System(record) => {
                self.system
                    && self
                        .events
                        .since_micros
                        .is_none_or(|since| record.timestamp_micros >= since)
            }
        }
    }
}

/// Prints the matching events; with `--follow`, waits for new ones until interrupted (or
/// until standard output is closed).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let (dataset_id, pending) = match &args.dataset {
        None => (None, None),
        Some(name) => match store.catalog().get(name) {
            Ok(ds) => (Some(ds.id), None),
            Err(_) if args.follow => (None, Some(name.clone())),
            Err(e) => return Err(e.into()),
        },
    };
    if let Some(name) = &pending {
        if !ctx.json {
            eprintln!(
                "no dataset named `{}` yet: waiting for it to be created",
                strata::human::escape_controls(name)
            );
        }
    }
    let system = !args.no_system && args.dataset.is_none() && args.event_type.is_none();
    let mut filter = Filter {
        pending,
        system,
        events: EventFilter {
            dataset_id,
            event_type: args.event_type,
            since_micros: args.since.map(|t| t.timestamp_micros()),
        },
    };
    let mut out = ctx.printer();
    let relative = match args.time {
        TimeStyle::Auto => out.is_terminal(),
        TimeStyle::Relative => true,
        TimeStyle::Absolute => false,
    };
    let mut lines = Lines {
        relative,
        widths: Vec::new(),
    };
    let (events, next) = matching_from(&store, &filter, 1, args.last)?;
    lines.print(&store, &mut out, &events)?;
    if args.follow {
        follow(&store, &mut out, &mut filter, &mut lines, next)?;
    }
    Ok(())
}

/// Prints the events other processes append, as they arrive, forever (until interrupted,
/// or until standard output is closed, which ends the command quietly).
fn follow(
    store: &Store,
    out: &mut Printer,
    filter: &mut Filter,
    lines: &mut Lines,
    mut next: u64,
) -> CliResult {
    loop {
        if store.wait_past(next - 1, FOLLOW_WAIT)?.appended() {
            filter.resolve(store);
            let (events, end) = matching_from(store, filter, next, None)?;
            lines.print(store, out, &events)?;
            next = end;
        }
    }
}

/// The matching events from `from_seq` to the end of what the store has read (only the last
/// `last` of them if given), and the sequence number to continue from.
fn matching_from(
    store: &Store,
    filter: &Filter,
    from_seq: u64,
    last: Option<usize>,
) -> CliResult<(Vec<(u64, LogEntry)>, u64)> {
    let end = store.log().next_seq();
    let mut events = std::collections::VecDeque::new();
    for item in store.entries_from(from_seq) {
        let (seq, event) = item.map_err(CliError::from)?;
        if seq >= end {
            break;
        }
        if filter.accepts(&event) {
            events.push_back((seq, event));
            if last.is_some_and(|n| events.len() > n) {
                events.pop_front();
            }
        }
    }
    Ok((events.into(), end))
}

/// Prints events as aligned lines: each column is as wide as the widest cell printed so far
/// in it (lines printed while following keep the columns of the lines before them, and widen
/// them when a cell is wider).
struct Lines {
    relative: bool,
    widths: Vec<usize>,
}

impl Lines {
    fn print(
        &mut self,
        store: &Store,
        out: &mut Printer,
        entries: &[(u64, LogEntry)],
    ) -> CliResult {
        let names: Vec<String> = entries
            .iter()
            .map(|(_, entry)| match entry {
                LogEntry::Event(e) => dataset_name(store, e),
                LogEntry::QueryRun(_) | LogEntry::System(_) => String::new(),
            })
            .collect();
        let rows: Vec<Vec<String>> = entries
            .iter()
            .zip(&names)
            .map(|((seq, entry), name)| match entry {
                LogEntry::Event(event) => event_cells(*seq, event, name, self.relative),
                LogEntry::QueryRun(run) => run_cells(*seq, run, self.relative),
                LogEntry::System(record) => system_cells(*seq, record, self.relative),
            })
            .collect();
        for cells in &rows {
            for (i, cell) in cells.iter().enumerate() {
                let width = cell.chars().count();
                match self.widths.get_mut(i) {
                    Some(w) => *w = (*w).max(width),
                    None => self.widths.push(width),
                }
            }
        }
        for ((cells, (seq, entry)), name) in rows.iter().zip(entries).zip(&names) {
            match entry {
                LogEntry::Event(event) => {
                    let json_name = (!event.dataset_id.is_nil()).then_some(name.as_str());
                    out.json(&report::Event::new(*seq, event, json_name))?;
                    out.line(paint_cells(out, cells, event.kind.name(), &self.widths))?;
                }
                LogEntry::QueryRun(run) => {
                    out.json(&report::QueryRun::new(*seq, run))?;
                    out.line(paint_cells(out, cells, "query_run", &self.widths))?;
                }
                LogEntry::System(record) => {
                    out.json(&report::SystemEntry::new(*seq, record))?;
                    out.line(paint_cells(out, cells, record.type_name(), &self.widths))?;
                }
            }
        }
        out.flush()
    }
}

/// The dataset's current name (its id if it is unknown; `(store)` for an event about the
/// store, whose dataset id is the nil UUID).
fn dataset_name(store: &Store, event: &Event) -> String {
    if event.dataset_id.is_nil() {
        return STORE_EVENT.into();
    }
    store
        .catalog()
        .by_id(&event.dataset_id)
        .map_or_else(|| event.dataset_id.to_string(), |d| d.name.clone())
}

/// What the dataset column shows for an event about the store (a store-wide `policy_set`).
const STORE_EVENT: &str = "(store)";

/// The cells of one event's line: sequence number, time, type, dataset, actor, the OS account
/// beside it (empty where it says nothing more), details (with the note).
pub fn event_cells(seq: u64, event: &Event, dataset: &str, relative: bool) -> Vec<String> {
    let note = if event.note.is_empty() {
        String::new()
    } else {
        format!("  note: {}", event.note)
    };
    let time = if relative {
        display::relative(event.timestamp_micros)
    } else {
        display::absolute(event.timestamp_micros)
    };
    vec![
        format!("#{seq}"),
        time,
        event.kind.name().to_owned(),
        dataset.to_owned(),
        event.actor.clone(),
        event.os_account_note().unwrap_or_default(),
        format!("{}{note}", display::event_details(event)),
    ]
}

/// The cells of a recorded query run: sequence number, time, type, the versions it read, the
/// actor, and its result and SQL (with the note).
pub fn run_cells(seq: u64, run: &QueryRun, relative: bool) -> Vec<String> {
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
    let time = if relative {
        display::relative(run.timestamp_micros)
    } else {
        display::absolute(run.timestamp_micros)
    };
    vec![
        format!("#{seq}"),
        time,
        "query_run".to_owned(),
        versions.join(", "),
        run.actor.clone(),
        format!(
            "{} rows, result {}  sql: {}{note}",
            run.row_count,
            run.result_sha256.short(),
            crate::error::one_line(&run.sql)
        ),
    ]
}

/// The cells of one of the log's own records: sequence number, time, type, `-` for the
/// dataset and the actor (it has neither), no OS account, and what the record says.
fn system_cells(seq: u64, record: &SystemRecord, relative: bool) -> Vec<String> {
    let time = if relative {
        display::relative(record.timestamp_micros)
    } else {
        display::absolute(record.timestamp_micros)
    };
    vec![
        format!("#{seq}"),
        time,
        record.type_name().to_owned(),
        "-".to_owned(),
        "-".to_owned(),
        String::new(),
        format!("(log) {}", display::record_body(&record.body)),
    ]
}

/// The cells padded to `widths` (all but the last), painted by the record's type name, and
/// joined by two spaces.
fn paint_cells(out: &Printer, cells: &[String], type_name: &str, widths: &[usize]) -> String {
    let kind_style = match type_name {
        "overwrite_blocked" | "torn_cut" | "repair" => Style::Red,
        "rollback" => Style::Yellow,
        "seal" => Style::Dim,
        _ => Style::Green,
    };
    let styles = [
        Some(Style::Dim),
        None,
        Some(kind_style),
        Some(Style::Cyan),
        None,
        Some(Style::Dim),
        None,
    ];
    cells
        .iter()
        .enumerate()
        // A column empty on every line so far (no OS account says more than its actor) is
        // left out rather than printed as blanks.
        .filter(|&(i, cell)| i + 1 == cells.len() || !cell.is_empty() || widths.get(i) != Some(&0))
        .map(|(i, cell)| {
            let padded = if i + 1 == cells.len() {
                cell.clone()
            } else {
                let width = widths.get(i).copied().unwrap_or(0);
                format!("{cell:<width$}")
            };
            match styles.get(i).copied().flatten() {
                Some(style) => out.paint(style, padded),
                None => padded,
            }
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// One line of text (an event's or a query run's, whose type is `type_name`), its columns as
/// wide as the widest of `rows` (from [`event_cells`] and [`run_cells`]).
pub fn entry_line(
    out: &Printer,
    cells: &[String],
    type_name: &str,
    rows: &[Vec<String>],
) -> String {
    let widths: Vec<usize> = (0..cells.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    paint_cells(out, cells, type_name, &widths)
}
