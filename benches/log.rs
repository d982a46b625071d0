//! Benchmarks of the segment log, each beside the floor it is judged against.
//!
//! - `append_durable/*`: `Durability::Sync` appends of 256-byte bodies (one thread, then 8
//!   threads sharing one `Log`), beside a plain `write` + `fdatasync` of the same 288 bytes
//!   to a growing file. Targets: single writer >= 1.3x the plain rate; 8 writers >= 4x the
//!   single writer. `plain_pwrite_preallocated_fdatasync_256B` (informative) overwrites
//!   preallocated zeros in place, as the log does: the best a single writer can do.
//! - `append_buffered/*`: `Durability::Buffered` appends, beside a plain `write`.
//! - `scan/full_*`: a full zero-copy scan (`iter_from(1)` + `next_ref`, every checksum
//!   verified) of a log of `STRATA_BENCH_SCAN_BYTES` bytes (default 1 GiB) of 256-byte
//!   records. Target: >= 1 GB/s. After the measurement, the heap held while opening and while
//!   scanning that log is printed (a counting global allocator tracks current and peak bytes).
//!
//! Quick run: `cargo bench --bench log -- --warm-up-time 1 --measurement-time 5`.
//! The logs are built under `STRATA_BENCH_DIR` if set, else in cargo's target tmp folder
//! (so on the same disk as the build, not on a tmpfs).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::io::Write as _;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use strata::format::{encode_record, RecordType};
use strata::log::{Durability, Log, LogOptions, OpenVerify};

#[path = "support/dirs.rs"]
mod dirs;
#[path = "support/floor.rs"]
mod floor;
#[path = "support/heap.rs"]
mod heap;

use dirs::tempdir;

#[global_allocator]
static ALLOC: heap::CountingAlloc = heap::CountingAlloc;

// ---------------------------------------------------------------------------------------
// Setup helpers.

const BODY_LEN: usize = 256;
const RECORD_LEN: usize = BODY_LEN + strata::format::RECORD_HEADER_LEN;
const APP: RecordType = RecordType(0x100);

fn body() -> Vec<u8> {
    (0..BODY_LEN).map(|i| (i * 31 % 251) as u8).collect()
}

fn new_log(dir: &tempfile::TempDir, durability: Durability) -> Log {
    let options = LogOptions {
        durability,
        ..LogOptions::default()
    };
    Log::create(dir.path(), options).expect("create log")
}

/// A file opened for appending and the encoded 288-byte record written to it each time.
fn plain_file(dir: &tempfile::TempDir) -> (File, Vec<u8>) {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("plain.dat"))
        .expect("create plain file");
    let mut record = Vec::new();
    encode_record(&mut record, APP, 1, 0, &body());
    assert_eq!(record.len(), RECORD_LEN);
    (file, record)
}

// ---------------------------------------------------------------------------------------
// Appends.

fn append_durable(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_durable");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    let body = body();

    let dir = tempdir();
    let log = new_log(&dir, Durability::Sync);
    group.bench_function("single_writer_256B", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(log.append(APP, &body).expect("append"));
            }
            start.elapsed()
        })
    });
    drop(log);

    let dir = tempdir();
    let (mut file, record) = plain_file(&dir);
    group.bench_function("plain_write_fdatasync_256B", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                file.write_all(&record).expect("write");
                file.sync_data().expect("fdatasync");
            }
            start.elapsed()
        })
    });

    // Informative: the same bytes written in place over preallocated, synced zeros, which is
    // what the log does (no file-size change, so fdatasync has no metadata to commit).
    let dir = tempdir();
    let (_, record) = plain_file(&dir);
    let mut file = floor::PreallocatedFile::create(&dir.path().join("preallocated.dat"), 64 << 20);
    group.bench_function("plain_pwrite_preallocated_fdatasync_256B", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                file.write_durably(&record);
            }
            start.elapsed()
        })
    });

    const WRITERS: usize = 8;
    let dir = tempdir();
    let log = Arc::new(new_log(&dir, Durability::Sync));
    group.throughput(Throughput::Elements(WRITERS as u64));
    group.bench_function(format!("{WRITERS}_writers_256B"), |b| {
        b.iter_custom(|iters| concurrent_appends(&log, WRITERS, iters, &body))
    });
    group.finish();
}

/// `writers` threads each append `iters` records to `log`, one at a time; returns the time
/// from the moment all are ready until the last one is done.
fn concurrent_appends(log: &Arc<Log>, writers: usize, iters: u64, body: &[u8]) -> Duration {
    let ready = Arc::new(Barrier::new(writers + 1));
    let done = Arc::new(Barrier::new(writers + 1));
    std::thread::scope(|s| {
        for _ in 0..writers {
            let (log, ready, done) = (Arc::clone(log), Arc::clone(&ready), Arc::clone(&done));
            s.spawn(move || {
                ready.wait();
                for _ in 0..iters {
                    black_box(log.append(APP, body).expect("append"));
                }
                done.wait();
            });
        }
        ready.wait();
        let start = Instant::now();
        done.wait();
        start.elapsed()
    })
}

fn append_buffered(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_buffered");
    group.throughput(Throughput::Elements(1));
    let body = body();

    let dir = tempdir();
    let log = new_log(&dir, Durability::Buffered);
    group.bench_function("single_writer_256B", |b| {
        b.iter(|| black_box(log.append(APP, &body).expect("append")))
    });
    drop(log);

    let dir = tempdir();
    let (mut file, record) = plain_file(&dir);
    group.bench_function("plain_write_256B", |b| {
        b.iter(|| file.write_all(black_box(&record)).expect("write"))
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------
// Scanning.

/// Bytes of log to scan: `STRATA_BENCH_SCAN_BYTES`, else 1 GiB under `cargo bench`, else
/// (`cargo test --benches`, which runs each benchmark once) 16 MiB.
fn scan_bytes() -> u64 {
    let env = std::env::var("STRATA_BENCH_SCAN_BYTES").ok();
    match env.and_then(|v| v.trim().parse().ok()) {
        Some(bytes) => bytes,
        None if std::env::args().any(|a| a == "--bench") => 1 << 30,
        None => 16 << 20,
    }
}

fn size_label(bytes: u64) -> String {
    match bytes {
        b if b % (1 << 30) == 0 => format!("{}GiB", b >> 30),
        b if b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b => format!("{b}B"),
    }
}

/// Appends 256-byte records with buffered `append_batch` calls until the log holds `bytes`.
fn build_log(dir: &tempfile::TempDir, bytes: u64) -> Log {
    const BATCH: usize = 4096;
    let log = new_log(dir, Durability::Buffered);
    let body = body();
    let batch: Vec<(RecordType, &[u8])> = vec![(APP, &body[..]); BATCH];
    let records = bytes.div_ceil(RECORD_LEN as u64) as usize;
    let started = Instant::now();
    let mut left = records;
    while left > 0 {
        let n = left.min(BATCH);
        log.append_batch(&batch[..n]).expect("append batch");
        left -= n;
    }
    eprintln!(
        "scan: built a log of {records} records in {} segments in {:.1?}",
        log.segments().len(),
        started.elapsed()
    );
    log
}

/// Reads every record from the first; returns (records, body bytes).
fn full_scan(log: &Log) -> (u64, u64) {
    let mut iter = log.iter_from(1);
    let (mut records, mut body_bytes) = (0u64, 0u64);
    while let Some(record) = iter.next_ref() {
        let record = record.expect("valid record");
        records += 1;
        body_bytes += black_box(record.body).len() as u64;
    }
    (records, body_bytes)
}

fn scan(c: &mut Criterion) {
    let bytes = scan_bytes();
    let dir = tempdir();
    // Built on first use, so that a filter excluding this benchmark skips the build.
    let mut built: Option<(Log, u64)> = None;

    let mut group = c.benchmark_group("scan");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    // Throughput is set before the log exists: use the bytes the build will write (records
    // only; the segment headers and seals are a few KiB more).
    let records = bytes.div_ceil(RECORD_LEN as u64);
    group.throughput(Throughput::Bytes(records * RECORD_LEN as u64));
    group.bench_function(format!("full_{}", size_label(bytes)), |b| {
        let (log, _) = built.get_or_insert_with(|| {
            let log = build_log(&dir, bytes);
            let on_disk = log.segments().iter().map(|s| s.end_offset).sum();
            (log, on_disk)
        });
        b.iter(|| full_scan(log))
    });
    group.finish();
    let Some((log, on_disk)) = built else { return };
    drop(log);

    // Heap: reopen the log as a new handle (a full verify reads every record), then scan it.
    let options = LogOptions {
        verify: OpenVerify::Full,
        ..LogOptions::default()
    };
    let (log, held, peak) = heap::usage_during(|| Log::open(dir.path(), options).expect("open"));
    let segments = log.segments().len();
    eprintln!(
        "heap: Log::open (full verify) of {} in {segments} segments: peak +{}, held afterwards +{}",
        heap::mib(on_disk as f64),
        heap::mib(peak as f64),
        heap::mib(held as f64)
    );
    let ((records, _), held, peak) = heap::usage_during(|| full_scan(&log));
    eprintln!(
        "heap: full scan of {records} records: peak +{} ({peak} bytes), held afterwards {held:+} bytes \
         (one segment is {})",
        heap::mib(peak as f64),
        heap::mib(LogOptions::default().segment_size as f64)
    );
}

criterion_group!(benches, append_durable, append_buffered, scan);
criterion_main!(benches);
