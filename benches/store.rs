//! Benchmarks of the dataset store.
//!
//! - `upload/streaming_visits_*`: `save_upload` of one large CSV (`STRATA_BENCH_UPLOAD_BYTES`,
//!   default 200 MB) of generated clinical visits (`benches/support/visits.rs`: a unique id per
//!   row, integers, decimals, dates, timestamps, booleans, text, nulls) as a new dataset of a
//!   durable store: parse, infer, hash, blob write and fsync, blob rename and directory
//!   fsyncs, event. Before each iteration (not timed) one field of the first row is
//!   rewritten, so every upload stores new content and publishes its blob (checked: no other
//!   dataset holds it). The CSV is read from the page cache. Target: >= 150 MB/s. After the
//!   measurement, the peak heap of one more such upload is printed (target: under 64 MiB
//!   whatever the file size).
//! - `lookup/get_active_version`: a lookup by name in a store of 1,000 datasets. Target: < 1 us.
//! - `open/*_events`: opening a store whose log holds 100,000 upload events (1,000 datasets x
//!   100 versions, 10-column schemas), full replay. Target: < 1 s.
//! - `catalog_memory`: the heap the catalog of 10,000 datasets x 100 versions holds (printed).
//!
//! Run: `cargo bench --bench store -- --warm-up-time 1 --measurement-time 5`.
//! Stores are built under `STRATA_BENCH_DIR` if set, else in cargo's target tmp folder.

#[path = "support/dirs.rs"]
mod dirs;
#[path = "support/heap.rs"]
mod heap;

#[path = "support/synthetic.rs"]
mod synthetic;
#[path = "support/visits.rs"]
mod visits;

use dirs::tempdir;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use strata::store::UploadStatus;
use strata::{Store, UploadFile, UploadOutcome, UploadRequest};

#[global_allocator]
static ALLOC: heap::CountingAlloc = heap::CountingAlloc;

fn upload_bytes() -> u64 {
    std::env::var("STRATA_BENCH_UPLOAD_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000_000)
}

/// One upload of the visits file as a new dataset, with the file marked with `run` first
/// (not timed) so that its content is new; returns the time `save_upload` took. Checks the
/// upload stored new content.
fn timed_upload(store: &Store, csv: &visits::VisitsCsv, run: u64) -> (Duration, UploadOutcome) {
    csv.mark(run);
    let start = Instant::now();
    let request = UploadRequest::new(
        format!("visits-{run}"),
        vec![UploadFile::from_path(&csv.path).unwrap()],
        "bench",
    );
    let outcome = black_box(store.save_upload(request).unwrap());
    let elapsed = start.elapsed();
    assert_eq!(outcome.status, UploadStatus::NewDataset);
    assert!(
        outcome.duplicates.is_empty(),
        "run {run} uploaded new content"
    );
    assert_eq!(outcome.tables[0].row_count, csv.rows);
    (elapsed, outcome)
}

fn upload(c: &mut Criterion) {
    let dir = tempdir();
    let started = Instant::now();
    let csv = visits::VisitsCsv::write(&dir.path().join("visits.csv"), upload_bytes());
    eprintln!(
        "upload: wrote {} rows ({} bytes) of visits in {:.1?}",
        csv.rows,
        csv.len,
        started.elapsed()
    );
    let store = Store::create(dir.path().join("store"), synthetic::release_options()).unwrap();
    let mut group = c.benchmark_group("upload");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .throughput(Throughput::Bytes(csv.len));
    let mut run = 0u64;
    group.bench_function(format!("streaming_visits_{}MB", csv.len / 1_000_000), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run += 1;
                    timed_upload(&store, &csv, run).0
                })
                .sum()
        })
    });
    group.finish();
    run += 1;
    let ((_, outcome), peak) = heap::peak_during(|| timed_upload(&store, &csv, run));
    let columns: Vec<String> = outcome.tables[0]
        .schema
        .columns
        .iter()
        .map(|c| {
            format!(
                "{} {:?}{}",
                c.name,
                c.column_type,
                if c.nullable { "?" } else { "" }
            )
        })
        .collect();
    eprintln!(
        "upload of {} bytes ({} rows; columns {}): peak heap {} (target < 64 MiB)",
        csv.len,
        csv.rows,
        columns.join(", "),
        heap::mib(peak as f64)
    );
}

fn lookup(c: &mut Criterion) {
    let dir = tempdir();
    synthetic::build_store(dir.path(), 1000, 1);
    let store = Store::open(dir.path(), synthetic::release_options()).unwrap();
    let name = synthetic::dataset_name(500);
    c.bench_function("lookup/get_active_version", |b| {
        b.iter(|| black_box(store.get_active_version(black_box(name.as_str())).unwrap()))
    });
}

fn open(c: &mut Criterion) {
    let dir = tempdir();
    let started = Instant::now();
    synthetic::build_store(dir.path(), 1000, 100);
    eprintln!("built a 100,000-event store in {:.1?}", started.elapsed());
    let mut group = c.benchmark_group("open");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("100k_events_full_replay", |b| {
        b.iter(|| black_box(Store::open(dir.path(), synthetic::release_options()).unwrap()))
    });
    group.finish();
    let (store, peak) =
        heap::peak_during(|| Store::open(dir.path(), synthetic::release_options()).unwrap());
    eprintln!(
        "open of 100,000 events: peak heap {}, catalog of {} datasets",
        heap::mib(peak as f64),
        store.catalog().len()
    );
}

/// Not a timing: the heap a catalog of 10,000 datasets x 100 versions holds after a full
/// replay (target: well under 1 GiB), printed once.
fn catalog_memory(_c: &mut Criterion) {
    let dir = tempdir();
    synthetic::build_store(dir.path(), 10_000, 100);
    let before = heap::live();
    let (store, peak) =
        heap::peak_during(|| Store::open(dir.path(), synthetic::release_options()).unwrap());
    let held = heap::live().saturating_sub(before);
    eprintln!(
        "catalog of {} datasets x 100 versions ({} events): {} held, {} peak while opening",
        store.catalog().len(),
        store.catalog().events,
        heap::mib(held as f64),
        heap::mib(peak as f64)
    );
}

criterion_group!(benches, lookup, open, upload, catalog_memory);
criterion_main!(benches);
