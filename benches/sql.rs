//! SQL over stored versions against DuckDB, the peer, in the same run over the same file:
//!
//! - `grouped_aggregate/first_query`: `strata`'s first query of a version (no columnar copy
//!   yet: the CSV blob is read, hashed and parsed as it streams) against DuckDB's `read_csv`
//!   over the same bytes. Target: within 1.5x of DuckDB.
//! - `grouped_aggregate/materialize`: making the version's columnar copy (`materialize`).
//! - `grouped_aggregate/repeated_query`: the same query again, now read from the verified
//!   columnar copy. Target: at least 5x faster than DuckDB's `read_csv`.
//! - `row_diff/1M_rows`: `diff --rows` of two versions of 1,000,000 rows keyed by their
//!   identifier column (1% of rows changed, 0.5% added, 0.5% removed), with the peak heap.
//!   Target: under 5 s, heap bounded by the engine's memory pool.
//!
//! The table is `id,grp,value,day,flag,note` (Int64, Utf8 with 1,000 groups, Float64, Date,
//! Boolean, Utf8) of `STRATA_BENCH_SQL_MB` MiB (default 1024); the query is
//! `SELECT grp, COUNT(*), SUM(value), AVG(value), MAX(day) FROM t GROUP BY grp ORDER BY grp`.
//! Each figure is the best of `STRATA_BENCH_SQL_RUNS` runs (default 3); strata and DuckDB use
//! the same number of threads (all cores). DuckDB runs through its Python package
//! (`python3 -c "import duckdb"` must work; `.ci/run` installs it), timed inside Python around
//! the query alone, so interpreter start-up is not counted against it. Both answers are
//! compared (group count and total row count) so a wrong result cannot pass as fast.
//!
//! Run: `cargo bench --bench sql` (a quiet machine, several GiB free under
//! `STRATA_BENCH_DIR`, else cargo's target tmp folder). `STRATA_BENCH_SQL_MB=64` for a quick
//! look. The figures are printed; nothing is asserted.

#[path = "support/dirs.rs"]
mod dirs;
#[path = "support/heap.rs"]
mod heap;

#[global_allocator]
static ALLOC: heap::CountingAlloc = heap::CountingAlloc;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use strata::schema::SchemaDriftPolicy;
use strata::sql::columnar::materialize_version;
use strata::sql::diff::{row_diff, RowDiffOptions};
use strata::sql::{ColumnarPolicy, Engine, SqlOptions};
use strata::{Store, StoreOptions, UploadFile, UploadRequest, VersionRef};

const QUERY: &str =
    "SELECT grp, COUNT(*), SUM(value), AVG(value), MAX(day) FROM t GROUP BY grp ORDER BY grp";
const GROUPS: u64 = 1_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One row of the benchmark table; `salt` changes the values of some rows (for the diff).
fn row(i: u64, salt: u64, out: &mut Vec<u8>) {
    let value = (i * 7_919 + salt) % 100_000;
    let day = 1 + (i % 28);
    let flag = if i.is_multiple_of(3) { "true" } else { "false" };
    writeln!(
        out,
        "{i},g{},{}.{:02},2024-{:02}-{day:02},{flag},note {}",
        i % GROUPS,
        value,
        i % 100,
        1 + i % 12,
        i * 31
    )
    .expect("write to memory");
}

/// Writes the benchmark table of about `bytes` bytes to `path`; its row count.
fn write_table(path: &Path, bytes: u64) -> u64 {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create csv"));
    let mut line = b"id,grp,value,day,flag,note\n".to_vec();
    let (mut written, mut rows) = (0u64, 0u64);
    while written < bytes {
        file.write_all(&line).expect("write csv");
        written += line.len() as u64;
        line.clear();
        row(rows, 0, &mut line);
        rows += 1;
    }
    file.flush().expect("flush csv");
    rows - 1
}

fn best_of<T>(runs: u64, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = f();
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, out));
        }
    }
    best.expect("at least one run")
}

/// strata's answer: (groups, total rows).
fn strata_query(engine: &Engine, store: &Store) -> (u64, u64) {
    let (_, batches) = engine
        .query_batches(store, Some("bench"), QUERY)
        .expect("strata query");
    let groups = batches.iter().map(|b| b.num_rows() as u64).sum();
    let total = batches
        .iter()
        .map(|b| {
            let counts = b.column(1).as_any();
            let counts = counts
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .expect("COUNT(*) is Int64");
            counts.values().iter().map(|c| *c as u64).sum::<u64>()
        })
        .sum();
    (groups, total)
}

/// DuckDB's best time (seconds, measured in Python around the query) and answer.
fn duckdb_query(csv: &Path, runs: u64) -> Option<(Duration, (u64, u64))> {
    let sql = QUERY.replace(
        "FROM t",
        &format!("FROM read_csv('{}', header = true)", csv.display()),
    );
    let script = format!(
        "import duckdb, time\n\
         con = duckdb.connect()\n\
         con.execute('SET threads TO {threads}')\n\
         con.execute('SET enable_progress_bar = false')\n\
         best = None\n\
         for _ in range({runs}):\n\
         \x20   start = time.perf_counter()\n\
         \x20   rows = con.execute({sql:?}).fetchall()\n\
         \x20   took = time.perf_counter() - start\n\
         \x20   best = took if best is None or took < best else best\n\
         print(best, len(rows), sum(r[1] for r in rows))\n",
        threads = threads(),
        runs = runs.max(1),
    );
    let output = match Command::new("python3").args(["-c", &script]).output() {
        Ok(output) => output,
        Err(e) => {
            eprintln!("duckdb: cannot run python3: {e}");
            return None;
        }
    };
    if !output.status.success() {
        eprintln!(
            "duckdb: {}",
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed = (|| {
        // The last line: DuckDB may print other lines (a progress bar) before it.
        let mut words = text.lines().last()?.split_whitespace();
        let seconds: f64 = words.next()?.parse().ok()?;
        let groups: u64 = words.next()?.parse().ok()?;
        let total: u64 = words.next()?.parse().ok()?;
        Some((Duration::from_secs_f64(seconds), (groups, total)))
    })();
    if parsed.is_none() {
        eprintln!("duckdb: unexpected output: {}", text.trim_end());
    }
    parsed
}

fn engine(columnar: ColumnarPolicy) -> Engine {
    Engine::new(SqlOptions {
        threads: threads(),
        columnar,
        ..SqlOptions::default()
    })
    .expect("engine")
}

fn grouped_aggregate(root: &Path, runs: u64) {
    let bytes = env_u64("STRATA_BENCH_SQL_MB", 1024) << 20;
    let csv = root.join("t.csv");
    let rows = write_table(&csv, bytes);
    let store = Store::create(root.join("store"), StoreOptions::default()).expect("store");
    let upload = UploadRequest::new(
        "bench",
        vec![UploadFile::from_path(&csv).expect("open csv")],
        "bench",
    );
    store.save_upload(upload).expect("upload");
    println!("grouped_aggregate: {rows} rows, {} MiB", bytes >> 20);

    let ignore = engine(ColumnarPolicy::Ignore);
    let (first, ours) = best_of(runs, || strata_query(&ignore, &store));
    let (made, _) = best_of(1, || {
        materialize_version(&store, "bench", &VersionRef::Active).expect("materialize")
    });
    let using = engine(ColumnarPolicy::Use);
    let (repeated, again) = best_of(runs, || strata_query(&using, &store));
    assert_eq!(ours, again, "the copy answers as the CSV does");
    assert_eq!(ours, (GROUPS.min(rows), rows), "strata's answer");
    println!("  strata first_query (CSV)      {first:>10.3?}");
    println!("  strata materialize            {made:>10.3?}");
    println!("  strata repeated_query (copy)  {repeated:>10.3?}");
    match duckdb_query(&csv, runs) {
        Some((theirs, answer)) => {
            assert_eq!(answer, ours, "DuckDB's answer");
            let s = theirs.as_secs_f64();
            println!("  duckdb read_csv               {theirs:>10.3?}");
            println!(
                "  first / duckdb = {:.2} (target <= 1.5); duckdb / repeated = {:.2} (target >= 5)",
                first.as_secs_f64() / s,
                s / repeated.as_secs_f64()
            );
        }
        None => println!("  duckdb: no figure (see the line above)"),
    }
}

/// A version of `rows` rows as CSV; `changed` rewrites every 100th row's values, drops
/// every 200th (shifted by 1) and appends `rows / 200` new ones.
fn diff_version(rows: u64, changed: bool) -> Vec<u8> {
    let mut out = b"id,grp,value,day,flag,note\n".to_vec();
    for i in 0..rows {
        if changed && i % 200 == 1 {
            continue;
        }
        row(i, if changed && i % 100 == 0 { 1 } else { 0 }, &mut out);
    }
    if changed {
        for i in rows..rows + rows / 200 {
            row(i, 0, &mut out);
        }
    }
    out
}

fn diff_million(root: &Path, runs: u64) {
    let rows = 1_000_000;
    let store = Store::create(root.join("diff"), StoreOptions::default()).expect("store");
    let v1 = UploadFile::from_bytes("t.csv", diff_version(rows, false));
    store
        .save_upload(UploadRequest::new("d", vec![v1], "bench"))
        .expect("v1");
    let v2 = UploadFile::from_bytes("t.csv", diff_version(rows, true));
    let mut overwrite = UploadRequest::new("d", vec![v2], "bench");
    overwrite.overwrite = true;
    overwrite.drift_policy = Some(SchemaDriftPolicy::Warn);
    store.save_upload(overwrite).expect("v2");
    let engine = engine(ColumnarPolicy::Ignore);
    let options = RowDiffOptions {
        key: Some(vec!["id".to_string()]),
        details: 20,
        ..RowDiffOptions::default()
    };
    let ((took, diff), peak) = heap::peak_during(|| {
        best_of(runs, || {
            row_diff(
                &engine,
                &store,
                "d",
                &VersionRef::Number(1),
                &VersionRef::Number(2),
                &options,
            )
            .expect("diff")
        })
    });
    assert_eq!(
        (diff.added, diff.removed, diff.changed),
        (rows / 200, rows / 200, rows / 100),
        "the diff's counts"
    );
    println!(
        "row_diff/1M_rows: {took:.3?} (target < 5 s), peak heap {} (pool {})",
        heap::mib(peak as f64),
        heap::mib(engine.options().memory_limit as f64)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects one case.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let selected = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let runs = env_u64("STRATA_BENCH_SQL_RUNS", 3);
    let dir = dirs::tempdir();
    if selected("grouped_aggregate") {
        grouped_aggregate(dir.path(), runs);
    }
    if selected("row_diff") {
        diff_million(dir.path(), runs);
    }
}
