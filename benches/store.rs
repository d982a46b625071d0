//! Benchmarks of the dataset store.
//!
//! - `upload/streaming_*`: `save_upload` of one large CSV (`STRATA_BENCH_UPLOAD_BYTES`, default
//!   200 MB, made of the penguins-raw rows repeated) into a durable store: parse, infer, hash,
//!   blob write, fsync, rename, event. Target: >= 150 MB/s. After the measurement, the peak heap
//!   of one upload is printed (target: under 64 MiB whatever the file size).
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

use dirs::tempdir;
#[path = "support/synthetic.rs"]
mod synthetic;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use strata::{Store, UploadFile, UploadRequest};

#[global_allocator]
static ALLOC: heap::CountingAlloc = heap::CountingAlloc;

fn upload_bytes() -> u64 {
    std::env::var("STRATA_BENCH_UPLOAD_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000_000)
}

/// Writes a CSV of about `bytes` bytes: the penguins-raw header, then its rows repeated.
fn big_csv(dir: &tempfile::TempDir, bytes: u64) -> (PathBuf, u64) {
    let sample = include_str!("../tests/data/penguins-raw.csv");
    let (header, rows) = sample.split_once('\n').unwrap();
    let path = dir.path().join("penguins-raw.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(out, "{header}").unwrap();
    let mut written = header.len() as u64 + 1;
    while written < bytes {
        out.write_all(rows.as_bytes()).unwrap();
        written += rows.len() as u64;
    }
    out.flush().unwrap();
    (path, written)
}

fn upload(c: &mut Criterion) {
    let dir = tempdir();
    let (csv, len) = big_csv(&dir, upload_bytes());
    let store = Store::create(dir.path().join("store"), synthetic::release_options()).unwrap();
    let mut group = c.benchmark_group("upload");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .throughput(Throughput::Bytes(len));
    let mut n = 0u64;
    group.bench_function(format!("streaming_{}MB", len / 1_000_000), |b| {
        b.iter(|| {
            n += 1;
            let request = UploadRequest::new(
                format!("d{n}"),
                vec![UploadFile::from_path(&csv).unwrap()],
                "bench",
            );
            black_box(store.save_upload(request).unwrap())
        })
    });
    group.finish();
    let (_, peak) = heap::peak_during(|| {
        let request =
            UploadRequest::new("peak", vec![UploadFile::from_path(&csv).unwrap()], "bench");
        store.save_upload(request).unwrap()
    });
    eprintln!(
        "upload of {} bytes: peak heap {} (target < 64 MiB)",
        len,
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
