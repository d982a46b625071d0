//! `strata query`: run SQL over any version (and join versions of several datasets); print
//! the rows as an aligned table, JSON Lines, CSV or a Parquet file; optionally record what
//! ran as a `query_run` record.

use crate::context::{self, Context};
use crate::error::{CliError, CliResult};
use crate::output::{self, Printer, Style};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use strata::query::Finding;
use strata::sql::columnar::materialize_table;
use strata::sql::output::{csv_header, csv_rows, json_rows, ParquetFile, Preview, ResultHasher};
use strata::sql::{ColumnarPolicy, Engine, PreparedQuery, ScanProgress, SqlError, SqlOptions};
use strata::store::{QueryRun, QueryRunVersion};
use strata::Store;

/// Shown under `strata query --help`.
pub const EXAMPLES: &str = "  strata query trial-42 'SELECT site, count(*) FROM visits GROUP BY site'\n  strata query trial-42@3 'SELECT * FROM visits v JOIN \"sites@2024-05-01\".sites s ON v.site = s.id' --csv\n  strata query trial-42 'SELECT count(*) FROM visits' --record --note \"figure 2\"";

/// Rows printed as a table unless `--limit` says otherwise.
const DEFAULT_PRINTED_ROWS: usize = 100;

/// Options of `strata query`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version bare table names designate: `NAME`, `NAME@3`, `NAME@<hash prefix>` or
    /// `NAME@<time>` (the version active then).
    #[arg(value_name = "NAME[@VERSION|@TIME]")]
    pub target: String,

    /// The SQL query. Tables of other versions are named `"DATASET@VERSION".TABLE`.
    pub sql: String,

    /// Print the rows as CSV (the canonical form the result hash is taken over).
    #[arg(long, conflicts_with = "parquet")]
    pub csv: bool,

    /// Write the rows to this Parquet file instead of printing them.
    #[arg(long, value_name = "FILE")]
    pub parquet: Option<PathBuf>,

    /// How many rows the table on a terminal shows (the others are counted).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PRINTED_ROWS)]
    pub limit: usize,

    /// The memory the query's operators may use before spilling (e.g. 512M, 4G).
    #[arg(long, value_name = "SIZE", env = "STRATA_MEMORY_LIMIT", value_parser = parse_size)]
    pub memory_limit: Option<usize>,

    /// Worker threads (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Read the CSV blobs even where a columnar copy exists.
    #[arg(long)]
    pub no_columnar: bool,

    /// Do not make columnar copies of the tables read from CSV after the query.
    #[arg(long)]
    pub no_materialize: bool,

    /// Append a `query_run` record: the SQL, the versions, the row count and the result hash.
    #[arg(long)]
    pub record: bool,

    /// A note for the `query_run` record.
    #[arg(long, value_name = "TEXT", requires = "record")]
    pub note: Option<String>,

    /// Who ran it (default: the OS user).
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
}

/// Parses `512M`, `4G`, `1024` (bytes), `2GiB`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.trim_end_matches("IB").trim_end_matches('B');
    let (digits, shift) = match t.chars().last() {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1usize << shift))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a size: use a number of bytes, or 512M, 4G"))
}

/// The engine's options from the command line.
pub fn engine_options(
    memory_limit: Option<usize>,
    threads: Option<usize>,
    no_columnar: bool,
) -> SqlOptions {
    let defaults = SqlOptions::default();
    SqlOptions {
        memory_limit: memory_limit.unwrap_or(defaults.memory_limit),
        threads: threads.unwrap_or(defaults.threads).max(1),
        columnar: if no_columnar {
            ColumnarPolicy::Ignore
        } else {
            ColumnarPolicy::Use
        },
        spill: true,
    }
}

/// Maps the engine's errors to exit codes: a statement that would write and findings that
/// stop the query are refusals (1); the rest are input or IO errors (2).
pub fn sql_error(error: SqlError) -> CliError {
    match error {
        SqlError::Store(e) => CliError::from(e),
        e @ SqlError::NotReadOnly { .. } => CliError::refused(e.to_string()),
        e @ SqlError::Findings(_) => {
            CliError::refused(format!("{e}; `strata check-query` explains the findings"))
        }
        e @ SqlError::MemoryLimit { .. } => CliError::error(format!(
            "{e}; raise --memory-limit (or STRATA_MEMORY_LIMIT)"
        )),
        e => CliError::error(crate::error::one_line(&e.to_string())),
    }
}

/// Where the rows go.
enum Sink {
    Table(Preview),
    Csv,
    Json,
    /// Boxed: the writer is large, and there is one sink per query.
    Parquet(Box<ParquetFile>),
}

/// Runs the query and prints its rows; records it with `--record`.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let engine = Engine::new(engine_options(
        args.memory_limit,
        args.threads,
        args.no_columnar,
    ))
    .map_err(sql_error)?;
    let prepared = engine
        .prepare(&store, Some(&args.target), &args.sql)
        .map_err(sql_error)?;
    print_warnings(&prepared.warnings);
    let versions = run_versions(&prepared);
    let sql = prepared.sql.clone();
    let mut to_materialize: Vec<_> = prepared
        .without_copy
        .iter()
        .map(|(t, _)| t.clone())
        .collect();
    let mut out = ctx.printer();
    let machine = args.csv || ctx.json;
    let (rows, hash, sink) =
        stream_rows(ctx, &engine, prepared, &args, &mut out, &mut to_materialize)?;
    finish_sink(&mut out, sink, rows, &versions)?;
    if args.record {
        let run = QueryRun::new(
            &context::actor(args.actor.clone()),
            args.note.as_deref().unwrap_or(""),
            &sql,
            versions,
            rows,
            hash.expect("hashed when recording"),
        );
        let recorded = store.record_query_run(&run)?;
        for warning in &recorded.post_commit_warnings {
            output::print_error(&format!("warning: {warning}"));
        }
        status(
            &mut out,
            machine,
            format!(
                "recorded as query_run #{} (run {}, result sha256 {})",
                recorded.seq,
                run.run_id,
                run.result_sha256.short()
            ),
        )?;
    }
    if !args.no_materialize && !args.no_columnar {
        materialize(&store, &to_materialize);
    }
    Ok(())
}

/// The versions the query resolved to, as a `query_run` records them.
fn run_versions(prepared: &PreparedQuery) -> Vec<QueryRunVersion> {
    prepared
        .resolved
        .iter()
        .map(|v| QueryRunVersion {
            dataset_id: v.dataset_id,
            dataset_name: v.dataset.clone(),
            version: v.number,
            hash: v.hash,
        })
        .collect()
}

/// Pulls every batch into the sink, hashing the rows when recording; returns the row count,
/// the hash and the sink. Fails (after what was printed) if a blob turned out damaged.
fn stream_rows(
    ctx: &Context,
    engine: &Engine,
    prepared: PreparedQuery,
    args: &Args,
    out: &mut Printer,
    to_materialize: &mut Vec<strata::store::TableRecord>,
) -> CliResult<(u64, Option<strata::digest::Digest>, Sink)> {
    let mut stream = engine.run(prepared).map_err(sql_error)?;
    let schema = stream.schema();
    let mut sink = match (&args.parquet, args.csv, ctx.json) {
        (Some(path), _, _) => Sink::Parquet(Box::new(ParquetFile::create(
            &strata::io::Io::os(),
            path,
            schema.clone(),
            Vec::new(),
        )?)),
        (None, true, _) => Sink::Csv,
        (None, false, true) => Sink::Json,
        (None, false, false) => Sink::Table(Preview::new(&schema, args.limit)),
    };
    let mut hasher = args.record.then(|| ResultHasher::new(&schema));
    let mut buffer = Vec::new();
    if matches!(sink, Sink::Csv) {
        csv_header(&schema, &mut buffer);
        out.bytes(&buffer)?;
    }
    let bar = ScanBar::watch(stream.progress());
    while let Some(batch) = stream.next_batch() {
        let batch = batch.map_err(sql_error)?;
        if let Some(hasher) = &mut hasher {
            hasher.update(&batch);
        }
        buffer.clear();
        match &mut sink {
            Sink::Table(preview) => preview.push(&batch),
            Sink::Csv => csv_rows(&batch, &mut buffer),
            Sink::Json => json_rows(&batch, &mut buffer),
            Sink::Parquet(file) => file.write(&batch)?,
        }
        if !buffer.is_empty() {
            out.bytes(&buffer)?;
        }
        bar.returned(stream.rows());
    }
    drop(bar);
    for (table, why) in stream.damaged_copies() {
        output::print_error(&format!(
            "warning: the columnar copy of `{}` is damaged ({why}); it was read from its CSV bytes instead",
            table.name
        ));
        to_materialize.push(table);
    }
    let rows = stream.finish().map_err(sql_error)?;
    Ok((rows, hasher.map(ResultHasher::finish), sink))
}

/// Prints the table (or finishes the Parquet file) and the summary.
fn finish_sink(
    out: &mut Printer,
    sink: Sink,
    rows: u64,
    versions: &[QueryRunVersion],
) -> CliResult {
    let from: Vec<String> = versions
        .iter()
        .map(|v| format!("{}@{} ({})", v.dataset_name, v.version, v.hash.short()))
        .collect();
    let from = if from.is_empty() {
        String::new()
    } else {
        format!(" from {}", from.join(", "))
    };
    match sink {
        Sink::Table(preview) => {
            out.table(&preview.table(), |_| None)?;
            let hidden = if preview.hidden() > 0 {
                format!(
                    "; {} not shown (--limit N shows more, --csv or --json prints all)",
                    preview.hidden()
                )
            } else {
                String::new()
            };
            out.line(out.paint(Style::Dim, format!("{}{from}{hidden}", strata_count(rows))))?;
        }
        Sink::Parquet(file) => {
            let (bytes, hash) = file.finish()?;
            out.line(format!(
                "wrote {} ({bytes} bytes, sha256 {}){from}",
                strata_count(rows),
                hash.short()
            ))?;
        }
        Sink::Csv | Sink::Json => out.flush()?,
    }
    Ok(())
}

fn strata_count(rows: u64) -> String {
    crate::display::count(rows, "row")
}

/// A status line: on standard output for people, on standard error beside rows printed for
/// machines (CSV, JSON Lines).
fn status(out: &mut Printer, machine: bool, line: String) -> CliResult {
    if machine {
        eprintln!("{line}");
        Ok(())
    } else {
        out.line(line)
    }
}

/// The validator's warnings, with their positions, on standard error.
fn print_warnings(findings: &[Finding]) {
    for finding in findings {
        eprintln!("warning: {finding}");
    }
}

/// Makes the columnar copies the query lacked, for the next queries; a failure is a warning
/// (the copies are derived: the query's result stands).
fn materialize(store: &Store, tables: &[strata::store::TableRecord]) {
    for table in tables {
        let spinner = output::spinner(format!(
            "making a columnar copy of `{}` for later queries",
            table.name
        ));
        let outcome = materialize_table(store, table);
        spinner.finish_and_clear();
        if let Err(e) = outcome {
            output::print_error(&format!(
                "warning: the columnar copy of `{}` was not made: {e}",
                table.name
            ));
        }
    }
}

/// The progress of a running query on a terminal: the rows its scans have read of the rows
/// of the tables they scan, and the rows returned so far. A thread redraws it while the main
/// thread waits for the next batch (a grouped query returns nothing until its input is read).
/// Nothing is drawn off a terminal; dropping it clears the line.
struct ScanBar {
    stop: Arc<AtomicBool>,
    returned: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScanBar {
    fn watch(progress: Arc<ScanProgress>) -> ScanBar {
        let stop = Arc::new(AtomicBool::new(false));
        let returned = Arc::new(AtomicU64::new(0));
        let thread = output::progress_enabled().then(|| {
            let (stop, returned) = (Arc::clone(&stop), Arc::clone(&returned));
            std::thread::spawn(move || draw_scan_progress(&progress, &stop, &returned))
        });
        ScanBar {
            stop,
            returned,
            thread,
        }
    }

    fn returned(&self, rows: u64) {
        self.returned.store(rows, Ordering::Relaxed);
    }
}

impl Drop for ScanBar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Redraws the bar every 100 ms until `stop`.
fn draw_scan_progress(progress: &ScanProgress, stop: &AtomicBool, returned: &AtomicU64) {
    let bar = output::count_bar(0, "reading");
    while !stop.load(Ordering::Relaxed) {
        let total = progress.rows_total();
        bar.set_length(total.max(progress.rows_read()));
        bar.set_position(progress.rows_read());
        let tables = match progress.scans() {
            0 | 1 => "reading the table".to_string(),
            n => format!("reading {n} tables"),
        };
        let returned = crate::display::count(returned.load(Ordering::Relaxed), "row");
        bar.set_message(format!("{tables} ({returned} returned), rows read"));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
