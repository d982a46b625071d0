//! Benchmarks of the segment log, each beside the floor it is judged against in the same run.
//!
//! - `append_durable/*`: `Durability::Sync` appends of 256-byte bodies (288 bytes on disk),
//!   by the two write paths the log has, one thread and then 8 threads sharing one `Log`:
//!   - `single_writer_256B`, `8_writers_256B`: `Log::append`, the queued path (a leader
//!     gathers queued appends, writes them with one `pwrite` and runs one `fdatasync`).
//!   - `guard_single_writer_256B`, `guard_8_writers_256B`: `Log::lock_writer`,
//!     `WriterGuard::append_batch`, `WriterGuard::commit`, the path `Store::save_upload` and
//!     `Store::rollback_to_version` take (each writer holds the locks for its own write; the
//!     `fdatasync`s after the locks are released are shared).
//!   - Floors, no log: `plain_pwrite_preallocated_fdatasync_256B` writes the same 288 bytes
//!     in place over preallocated, synced zeros and `fdatasync`s, as the log does (the
//!     like-for-like floor); `plain_write_fdatasync_256B` appends them to a growing file, whose
//!     `fdatasync` must also commit the new size (context only).
//!
//!   Targets: single writer >= 1.3x the plain append's rate (judged like for like, against the
//!   preallocated floor); 8 writers >= 4x the single writer.
//! - `append_buffered/*`: `Durability::Buffered` appends (queued path), beside a plain `write`.
//! - `scan/full_*`: a full zero-copy scan (`iter_from(1)` + `next_ref`, every checksum
//!   verified) of a log of `STRATA_BENCH_SCAN_BYTES` bytes (default 1 GiB) of 256-byte
//!   records, two ways. `full_<size>` scans a log that is in the page cache, through one
//!   handle (and so one set of mappings) reused for every iteration. `full_<size>_cold` drops
//!   the page cache before each iteration (not timed: `/proc/sys/vm/drop_caches`, else
//!   `posix_fadvise(DONTNEED)` on every segment), then times `Log::open` (tail verification:
//!   the last segment and every seal) and the scan, which reads the log from the disk; both
//!   assert the number of records. Target: >= 1 GB/s. After the measurement, the heap held
//!   while opening and while scanning that log is printed (a counting global allocator tracks
//!   current and peak bytes).
//!
//! Quick run: `cargo bench --bench log -- --warm-up-time 1 --measurement-time 5`.
//! The logs are built under `STRATA_BENCH_DIR` if set, else in cargo's target tmp folder
//! (so on the same disk as the build, not on a tmpfs).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::path::Path;
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
    let log = new_log(&dir, Durability::Sync);
    group.bench_function("guard_single_writer_256B", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(guarded_append(&log, &body));
            }
            start.elapsed()
        })
    });
    drop(log);

    // The like-for-like floor: the same bytes written in place over preallocated, synced
    // zeros, which is what the log does (no file-size change, so fdatasync has no metadata
    // to commit).
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

    // Context: an append to a growing file, whose fdatasync also commits the new size.
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

    const WRITERS: usize = 8;
    group.throughput(Throughput::Elements(WRITERS as u64));
    let dir = tempdir();
    let log = Arc::new(new_log(&dir, Durability::Sync));
    group.bench_function(format!("{WRITERS}_writers_256B"), |b| {
        b.iter_custom(|iters| {
            concurrent_appends(&log, WRITERS, iters, &|log| {
                log.append(APP, &body).expect("append");
            })
        })
    });
    drop(log);

    let dir = tempdir();
    let log = Arc::new(new_log(&dir, Durability::Sync));
    group.bench_function(format!("guard_{WRITERS}_writers_256B"), |b| {
        b.iter_custom(|iters| {
            concurrent_appends(&log, WRITERS, iters, &|log| {
                guarded_append(log, &body);
            })
        })
    });
    group.finish();
}

/// One append the way the store writes an event: take the writer guard (the in-process
/// writer mutex and the file lock, with the view caught up), write the record under it, then
/// commit (release the locks and wait for a sync covering the record). Returns its sequence
/// number.
fn guarded_append(log: &Log, body: &[u8]) -> u64 {
    let mut guard = log.lock_writer().expect("lock writer");
    let seq = *guard.append_batch(&[(APP, body)]).expect("append").start();
    guard.commit().expect("commit");
    seq
}

/// `writers` threads each make `iters` appends with `append`, one at a time; returns the time
/// from the moment all are ready until the last one is done.
fn concurrent_appends(
    log: &Arc<Log>,
    writers: usize,
    iters: u64,
    append: &(dyn Fn(&Log) + Sync),
) -> Duration {
    let ready = Arc::new(Barrier::new(writers + 1));
    let done = Arc::new(Barrier::new(writers + 1));
    std::thread::scope(|s| {
        for _ in 0..writers {
            let (log, ready, done) = (Arc::clone(log), Arc::clone(&ready), Arc::clone(&done));
            s.spawn(move || {
                ready.wait();
                for _ in 0..iters {
                    append(&log);
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
    // Written back now, so that no measurement shares the disk with the build's writeback.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
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

/// What the scan benchmarks check each scan against.
struct BuiltLog {
    /// Records in the log (every sequence number, seals included).
    records: u64,
    /// Bytes of segment headers and records, excluding preallocated zeros.
    on_disk: u64,
}

impl BuiltLog {
    fn of(log: &Log) -> BuiltLog {
        BuiltLog {
            records: log.last_seq(),
            on_disk: log.len_bytes(),
        }
    }
}

/// Scans `log` from its first record and checks it held `expected` records, so that no
/// benchmark can time a scan that read nothing.
fn checked_scan(log: &Log, expected: u64) -> u64 {
    let (records, _) = full_scan(log);
    assert_eq!(records, expected, "the scan read every record");
    records
}

/// How the cold scan empties the page cache.
#[derive(Debug, Clone, Copy)]
enum CacheDrop {
    /// `echo 3 > /proc/sys/vm/drop_caches`: the whole page cache (needs root).
    DropCaches,
    /// `posix_fadvise(POSIX_FADV_DONTNEED)` on every file of the log.
    Fadvise,
}

/// Writes back every dirty page, then evicts the log's pages from the page cache. The log
/// must not be mapped by any live handle (mapped pages stay resident).
fn evict_log(store_dir: &Path) -> CacheDrop {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    if std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok() {
        return CacheDrop::DropCaches;
    }
    let log_dir = store_dir.join(strata::log::LOG_DIR);
    for entry in std::fs::read_dir(&log_dir).expect("read log folder") {
        let path = entry.expect("read log folder").path();
        if !path.is_file() {
            continue;
        }
        let file = File::open(&path).expect("open segment");
        // SAFETY: a valid open descriptor; offset 0 and length 0 mean the whole file.
        let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0, "posix_fadvise({})", path.display());
    }
    CacheDrop::Fadvise
}

/// Builds the scanned log once (on first use, so that a filter excluding both scans skips the
/// build) and returns its counts, with the building handle if it is still open.
fn ensure_built<'a>(
    built: &'a mut Option<BuiltLog>,
    warm: &mut Option<Log>,
    dir: &tempfile::TempDir,
    bytes: u64,
) -> &'a BuiltLog {
    built.get_or_insert_with(|| {
        let log = build_log(dir, bytes);
        let counts = BuiltLog::of(&log);
        *warm = Some(log);
        counts
    })
}

fn scan(c: &mut Criterion) {
    let bytes = scan_bytes();
    let dir = tempdir();
    let mut built: Option<BuiltLog> = None;
    // The handle the warm scan reuses (its mappings stay in place between iterations).
    let mut warm: Option<Log> = None;
    let mut reported_eviction = false;
    let tail_open = LogOptions {
        verify: OpenVerify::Tail,
        ..LogOptions::default()
    };

    let mut group = c.benchmark_group("scan");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    // Throughput is set before the log exists: use the bytes the build will write (records
    // only; the segment headers and seals are a few KiB more).
    let records = bytes.div_ceil(RECORD_LEN as u64);
    group.throughput(Throughput::Bytes(records * RECORD_LEN as u64));
    let label = size_label(bytes);
    group.bench_function(format!("full_{label}"), |b| {
        let expected = ensure_built(&mut built, &mut warm, &dir, bytes).records;
        let log = warm.get_or_insert_with(|| Log::open(dir.path(), tail_open.clone()).unwrap());
        b.iter(|| checked_scan(log, expected))
    });
    group.bench_function(format!("full_{label}_cold"), |b| {
        let expected = ensure_built(&mut built, &mut warm, &dir, bytes).records;
        warm = None;
        let method = evict_log(dir.path());
        if !reported_eviction {
            eprintln!("scan: cold iterations evict the log with {method:?}");
            reported_eviction = true;
        }
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                evict_log(dir.path());
                let start = Instant::now();
                let log = Log::open(dir.path(), tail_open.clone()).expect("open");
                let records = checked_scan(&log, expected);
                timed += start.elapsed();
                black_box(records);
            }
            timed
        })
    });
    group.finish();
    let Some(built) = built else { return };
    drop(warm);

    // Heap: reopen the log as a new handle (a full verify reads every record), then scan it.
    let options = LogOptions {
        verify: OpenVerify::Full,
        ..LogOptions::default()
    };
    let (log, held, peak) = heap::usage_during(|| Log::open(dir.path(), options).expect("open"));
    let segments = log.segments().len();
    eprintln!(
        "heap: Log::open (full verify) of {} in {segments} segments: peak +{}, held afterwards +{}",
        heap::mib(built.on_disk as f64),
        heap::mib(peak as f64),
        heap::mib(held as f64)
    );
    let (records, held, peak) = heap::usage_during(|| checked_scan(&log, built.records));
    eprintln!(
        "heap: full scan of {records} records: peak +{} ({peak} bytes), held afterwards {held:+} bytes \
         (one segment is {})",
        heap::mib(peak as f64),
        heap::mib(LogOptions::default().segment_size as f64)
    );
}

criterion_group!(benches, append_durable, append_buffered, scan);
criterion_main!(benches);
