//! strata against the stores a user would pick instead, over the same workload: D datasets x
//! V versions of realistic `upload_created` events with a 10-column schema
//! (`benches/support/synthetic.rs`). The alternatives are in `benches/support/alternatives.rs`:
//! SQLite (WAL, an `events` table with one index, the catalog rebuilt with a query on open) and
//! one JSON metadata file per dataset rewritten atomically under a lock on every change.
//!
//! - `write/single/<system>`, `write/8_writers/<system>`: durable writes per second. A write is
//!   one dataset event (an `upload_created` event with a 10-column table) made durable:
//!   - `strata_store`: the path `Store::save_upload` and `Store::rollback_to_version` write
//!     through, `Log::lock_writer`, then `WriterGuard::append_batch(DATASET_EVENT,
//!     &event.encode())`, then `WriterGuard::commit`, on a store's log (`Durability::Sync`).
//!     Leaves out what the store does around it (catching up, deciding, the catalog update):
//!     `strata_rollback` has all of that.
//!   - `strata_append`: `Log::append(DATASET_EVENT, &event.encode())`, the queued path (a
//!     leader writes every queued append with one `pwrite` and one `fdatasync`), which no
//!     store operation uses.
//!   - `strata_rollback`: `Store::rollback_to_version`, end to end (see `rollbacks`).
//!   - SQLite: one INSERT of the same encoded event in its own transaction
//!     (`synchronous=FULL`, and `NORMAL`, which is not durable against power loss).
//!   - JSON: a read-modify-write of the dataset's file (`json_v1`: the first version,
//!     `json_v100`: the 100th, the file already holding 99).
//!
//!   Eight writers share one `Arc<Log>` (one `Store`), open one SQLite connection each, or
//!   write one JSON file each. `strata_store_buffered` and `strata_append_buffered`
//!   (`Durability::Buffered`) are the counterparts of SQLite `NORMAL`.
//!   Targets: strata >= 1.5x SQLite FULL single, >= 5x with 8 writers, >= 5x JSON at V=100.
//!   `write/single/floor_pwrite_fdatasync` and `write/single/floor_direct_dsync_4KiB` are the
//!   cheapest durable write a lone writer can make on this disk (see `device_floor`).
//! - `open_active/<events>/<system>`: open the store and get the active version of every
//!   dataset into a map, for 1k (10 x 100), 100k (1,000 x 100) and 1M (10,000 x 100) events.
//!   strata by full replay (no snapshot) and from a snapshot; SQLite with the skip-scan query
//!   (`sqlite`) and with `GROUP BY dataset_name` and `MAX(seq)` (`sqlite_group_by`). Targets at 1M: snapshot < 300 ms,
//!   full replay < 1.5 s.
//! - `lookup/<system>`: one dataset's active version in the 100k store: strata's
//!   `get_active_version` against SQLite's indexed query on a prepared statement. Target:
//!   strata >= 50x faster.
//!
//! - `upload/single/<system>`, `upload/8_uploaders/<system>`: uploads of small tables per
//!   second, end to end: `Store::save_upload` of a new version (50 to 300 rows, new content
//!   every upload, 20 datasets per uploader) against SQLite (the bytes as a BLOB keyed by
//!   their SHA-256, version and event rows, one transaction per upload, WAL, FULL) and the
//!   JSON design (a file per version written atomically, then the dataset's metadata
//!   rewritten atomically under a lock); both parse and hash the bytes once
//!   (`benches/support/uploads.rs`); `strata_files` is strata with every table a blob file
//!   (`inline_table_max` 0, the path before tables went into the log). Targets: strata at
//!   least 1.5x SQLite single; with 8 uploaders at least 4x strata single and 5x SQLite with
//!   8 connections. After them,
//!   `upload/read_back/<system>` reads a past version's table back whole (target: strata no
//!   slower than SQLite's SELECT), and the flushes per upload are counted and printed
//!   (`upload flushes: ...`). `upload/8_processes/strata` is eight processes (this binary
//!   re-run as a child) uploading to one store at once.
//!
//! Bytes on disk of every system are printed as each store is built.
//!
//! Run: `cargo bench --bench compare -- --warm-up-time 1 --measurement-time 3`.
//! `STRATA_BENCH_MAX_EVENTS=100000` skips the 1M cases. Every store is built by the run that
//! measures it, in a new temporary folder (outside the timing, only for the benchmarks the
//! filter selects), under `STRATA_BENCH_DIR` if set, else in cargo's target tmp folder.

#[path = "support/alternatives.rs"]
mod alternatives;
#[path = "support/dirs.rs"]
mod dirs;
#[path = "support/floor.rs"]
mod floor;
#[path = "support/synthetic.rs"]
mod synthetic;
#[path = "support/uploads.rs"]
mod uploads;

use alternatives::{disk_bytes, json, mb, sqlite};
use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use dirs::tempdir;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use strata::log::{Durability, Log};
use strata::schema::Schema;
use strata::store::{Event, DATASET_EVENT};
use strata::Store;

/// Concurrent writers in `write/8_writers`.
const WRITERS: usize = 8;
/// Versions per dataset in the `open_active` stores, and the history at which JSON is
/// measured.
const VERSIONS: u64 = 100;

fn max_events() -> u64 {
    std::env::var("STRATA_BENCH_MAX_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Flushes every dirty page of every file system, so that what a build or an earlier
/// benchmark left in the page cache is not written back during a measurement.
fn sync_all_files() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() }
}

/// A dataset some writer appends versions to.
struct Stream {
    id: uuid::Uuid,
    index: u64,
    name: String,
    next_version: u64,
}

impl Stream {
    fn new(index: u64) -> Stream {
        Stream {
            id: uuid::Uuid::new_v4(),
            index,
            name: synthetic::dataset_name(index),
            next_version: 1,
        }
    }

    /// The next `n` events of this dataset.
    fn take(&mut self, n: u64, schema: &Schema) -> Vec<(String, Event)> {
        (0..n)
            .map(|_| {
                let event = synthetic::upload_event(self.id, self.index, self.next_version, schema);
                self.next_version += 1;
                (self.name.clone(), event)
            })
            .collect()
    }
}

/// Runs each writer's writes (`batches[w]` with `states[w]`), all writers at once on their own
/// threads if there are several, and returns the time from the common start to the last
/// write's return.
fn run_writers<S: Send, T: Send>(
    states: &mut [S],
    batches: Vec<Vec<T>>,
    write: impl Fn(&mut S, T) + Sync,
) -> Duration {
    assert_eq!(states.len(), batches.len());
    if states.len() == 1 {
        let state = &mut states[0];
        let batch = batches.into_iter().next().expect("one batch");
        let started = Instant::now();
        for op in batch {
            write(state, op);
        }
        return started.elapsed();
    }
    let start = Barrier::new(states.len() + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = states
            .iter_mut()
            .zip(batches)
            .map(|(state, batch)| {
                let (start, write) = (&start, &write);
                scope.spawn(move || {
                    start.wait();
                    for op in batch {
                        write(state, op);
                    }
                })
            })
            .collect();
        start.wait();
        let started = Instant::now();
        for handle in handles {
            handle.join().unwrap();
        }
        started.elapsed()
    })
}

/// The two ways an event can be appended to strata's log.
#[derive(Debug, Clone, Copy)]
enum WritePath {
    /// What `Store::save_upload` and `Store::rollback_to_version` do: `Log::lock_writer`, then
    /// `WriterGuard::append_batch` under the locks, then `WriterGuard::commit` (locks released,
    /// then a sync covering the record, shared with concurrent writers).
    Guard,
    /// `Log::append`: the append is queued, and a leader writes every queued append with one
    /// `pwrite` and runs one `fdatasync` for them.
    Append,
}

impl WritePath {
    fn append(self, log: &Log, body: &[u8]) {
        match self {
            WritePath::Guard => {
                let mut guard = log.lock_writer().unwrap();
                guard.append_batch(&[(DATASET_EVENT, body)]).unwrap();
                guard.commit().unwrap();
            }
            WritePath::Append => {
                log.append(DATASET_EVENT, body).unwrap();
            }
        }
    }
}

fn write(c: &mut Criterion) {
    let schema = synthetic::ten_column_schema();
    for (group_name, writers) in [("write/single", 1), ("write/8_writers", WRITERS)] {
        let mut group = c.benchmark_group(group_name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .throughput(Throughput::Elements(writers as u64));
        let root = tempdir();

        for (system, durability, path) in [
            ("strata_store", Durability::Sync, WritePath::Guard),
            ("strata_append", Durability::Sync, WritePath::Append),
            (
                "strata_store_buffered",
                Durability::Buffered,
                WritePath::Guard,
            ),
            (
                "strata_append_buffered",
                Durability::Buffered,
                WritePath::Append,
            ),
        ] {
            let dir = root.path().join(system);
            let log = OnceCell::new();
            let mut streams: Vec<Stream> = (0..writers as u64).map(Stream::new).collect();
            group.bench_function(system, |b| {
                let log = log.get_or_init(|| {
                    let mut options = synthetic::release_options();
                    options.log.durability = durability;
                    drop(Store::create(&dir, options.clone()).unwrap());
                    Arc::new(Log::open(&dir, options.log).unwrap())
                });
                b.iter_custom(|iters| {
                    let batches = streams.iter_mut().map(|s| s.take(iters, &schema)).collect();
                    sync_all_files();
                    let mut handles = vec![Arc::clone(log); writers];
                    run_writers(&mut handles, batches, |log, (_, event): (String, Event)| {
                        path.append(log, &event.encode());
                    })
                })
            });
        }
        rollbacks(&mut group, root.path(), writers);

        for (system, synchronous) in [
            ("sqlite_full", sqlite::Synchronous::Full),
            ("sqlite_normal", sqlite::Synchronous::Normal),
        ] {
            let path = root.path().join(format!("{system}.db"));
            let conns = std::cell::RefCell::new(Vec::new());
            let mut streams: Vec<Stream> = (0..writers as u64).map(Stream::new).collect();
            group.bench_function(system, |b| {
                let mut conns = conns.borrow_mut();
                if conns.is_empty() {
                    conns.extend((0..writers).map(|_| sqlite::open(&path, synchronous)));
                }
                b.iter_custom(|iters| {
                    let batches = streams.iter_mut().map(|s| s.take(iters, &schema)).collect();
                    sync_all_files();
                    run_writers(&mut conns[..], batches, |conn, (name, event)| {
                        sqlite::insert(conn, &name, &event);
                    })
                })
            });
        }

        if writers == 1 {
            let event_len = Stream::new(0).take(1, &schema)[0].1.encode().len();
            device_floor(&mut group, root.path(), event_len);
        }

        // JSON: every write goes to a dataset whose file already holds `history` versions,
        // prebuilt (outside the timing) in a fresh folder for each sample.
        for (system, history) in [("json_v1", 0), ("json_v100", VERSIONS - 1)] {
            let dir = root.path().join(system);
            let mut next_index = 0;
            group.bench_function(system, |b| {
                b.iter_custom(|iters| {
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir).unwrap();
                    let batches = (0..writers)
                        .map(|_| {
                            (0..iters)
                                .flat_map(|_| {
                                    let mut stream = Stream::new(next_index);
                                    next_index += 1;
                                    let mut file = json::DatasetFile::new(stream.id, &stream.name);
                                    for (_, event) in stream.take(history, &schema) {
                                        file.apply(event);
                                    }
                                    if history > 0 {
                                        json::write_file(&dir, &file, false);
                                    }
                                    stream.take(1, &schema)
                                })
                                .collect()
                        })
                        .collect();
                    sync_all_files();
                    let mut states = vec![(); writers];
                    run_writers(&mut states, batches, |_, (name, event)| {
                        json::write_event(&dir, &name, event);
                    })
                })
            });
        }
        group.finish();
    }
}

/// `strata_rollback`: `Store::rollback_to_version`, the store's public API end to end (catch
/// up, plan with its compatibility check, event, catalog update, commit, automatic snapshots
/// as by default), `Durability::Sync`. Each writer has a dataset of two versions with the
/// same schema and rolls it back to version 1, then to version 2, and so on; every call
/// records a `rollback` event (checked).
fn rollbacks(
    group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    root: &Path,
    writers: usize,
) {
    let dir = root.join("strata_rollback");
    let store = OnceCell::new();
    // Rollbacks each writer has made so far: even means version 2 is active.
    let mut done = 0u64;
    group.bench_function("strata_rollback", |b| {
        let store = store.get_or_init(|| rollback_store(&dir, writers));
        b.iter_custom(|iters| {
            let batches = (0..writers)
                .map(|_| {
                    (done..done + iters)
                        .map(|n| if n % 2 == 0 { "1" } else { "2" })
                        .collect()
                })
                .collect();
            done += iters;
            sync_all_files();
            let mut states: Vec<(&Store, String)> = (0..writers as u64)
                .map(|w| (store, synthetic::dataset_name(w)))
                .collect();
            run_writers(
                &mut states,
                batches,
                |(store, name): &mut (&Store, String), target| {
                    let outcome = store
                        .rollback_to_version(name, target, "bench", "rollback")
                        .unwrap();
                    assert!(outcome.seq.is_some(), "a rollback event was recorded");
                },
            )
        })
    });
}

/// A durable store with one dataset per writer, each with two versions of one table with the
/// same schema (version 2 active).
fn rollback_store(dir: &Path, writers: usize) -> Store {
    let store = Store::create(dir, synthetic::release_options()).unwrap();
    for w in 0..writers as u64 {
        for version in 1..=2 {
            let csv = format!("patient_id,visit,score\nP{w},2024-01-0{version},{version}.5\n");
            let request = strata::UploadRequest {
                overwrite: version > 1,
                ..strata::UploadRequest::new(
                    synthetic::dataset_name(w),
                    vec![strata::UploadFile::from_bytes(
                        "visits.csv",
                        csv.into_bytes(),
                    )],
                    "bench",
                )
            };
            assert_eq!(store.save_upload(request).unwrap().version, version);
        }
    }
    store
}

/// The cheapest durable write a lone writer can make on this disk, two ways, measured beside
/// strata and SQLite: `floor_pwrite_fdatasync` writes one encoded event's bytes into zeroed
/// space the file already has, then `fdatasync`s (what strata's append does, without the
/// log); `floor_direct_dsync_4KiB` writes one 4 KiB block with `O_DIRECT | O_DSYNC`, the write
/// and the flush in one call, bypassing the page cache.
fn device_floor(
    group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    root: &Path,
    event_len: usize,
) {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    const BLOCK: usize = 4096;
    const SLOTS: u64 = 16 * 1024;
    let path = root.join("device_floor");
    let mut file = floor::PreallocatedFile::create(&path, SLOTS * BLOCK as u64);
    let bytes = vec![7u8; event_len];
    group.bench_function("floor_pwrite_fdatasync", |b| {
        b.iter(|| file.write_durably(&bytes))
    });

    let direct = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT | libc::O_DSYNC)
        .open(&path);
    let Ok(direct) = direct else {
        println!("device floor: O_DIRECT is not supported here; skipped");
        return;
    };
    // O_DIRECT needs a buffer aligned to the logical block size.
    let backing = vec![7u8; 2 * BLOCK];
    let start = backing.as_ptr().align_offset(BLOCK);
    let block = &backing[start..start + BLOCK];
    let mut slot = 0u64;
    group.bench_function("floor_direct_dsync_4KiB", |b| {
        b.iter(|| {
            direct
                .write_all_at(block, (slot % SLOTS) * BLOCK as u64)
                .unwrap();
            slot += 1;
        })
    });
}

/// The active version of every dataset, from a freshly opened strata store.
fn strata_active(dir: &Path) -> HashMap<String, u64> {
    let store = Store::open(dir, synthetic::release_options()).unwrap();
    let catalog = store.catalog();
    catalog
        .datasets()
        .map(|d| (d.name.clone(), d.active))
        .collect()
}

/// The active version of every dataset, from a freshly opened SQLite connection.
fn sqlite_active(path: &Path) -> HashMap<String, u64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    sqlite::active_versions(&conn)
}

fn check_catalog(system: &str, catalog: &HashMap<String, u64>, datasets: u64) {
    assert_eq!(catalog.len() as u64, datasets, "{system}: datasets");
    assert!(
        catalog.values().all(|&v| v == VERSIONS),
        "{system}: active versions"
    );
}

/// Moves the store's snapshots aside (`on == false`) or back, taking one if there is none.
fn set_snapshots(dir: &Path, on: bool) {
    let (live, aside) = (dir.join("snapshots"), dir.join("snapshots.aside"));
    if on {
        if aside.exists() {
            std::fs::rename(&aside, &live).unwrap();
        }
        let store = Store::open(dir, synthetic::release_options()).unwrap();
        if store.loaded_snapshot().is_none() {
            let info = store.snapshot().unwrap();
            eprintln!(
                "strata snapshot of {} events: {} ({} bytes)",
                store.catalog().events,
                mb(info.bytes),
                info.bytes
            );
            sync_all_files();
        }
    } else if live.exists() {
        std::fs::rename(&live, &aside).unwrap();
    }
}

fn print_size(system: &str, events: u64, path: &Path) {
    let (apparent, allocated) = disk_bytes(path);
    eprintln!(
        "bytes on disk, {system}, {events} events: {} apparent ({apparent} bytes), {} allocated",
        mb(apparent),
        mb(allocated)
    );
}

fn build_strata(dir: &Path, datasets: u64) {
    let started = Instant::now();
    synthetic::build_store(dir, datasets, VERSIONS);
    sync_all_files();
    eprintln!(
        "built strata, {} events, in {:.1?}",
        datasets * VERSIONS,
        started.elapsed()
    );
    check_catalog("strata", &strata_active(dir), datasets);
    print_size("strata log", datasets * VERSIONS, &dir.join("log"));
}

/// The same history as `synthetic::build_store` (every dataset gets version 1, then 2, ...),
/// inserted in one transaction.
fn build_sqlite(path: &Path, datasets: u64) {
    let started = Instant::now();
    let schema = synthetic::ten_column_schema();
    let names: Vec<String> = (0..datasets).map(synthetic::dataset_name).collect();
    let ids: Vec<uuid::Uuid> = (0..datasets).map(|_| uuid::Uuid::new_v4()).collect();
    {
        let mut conn = sqlite::open(path, sqlite::Synchronous::Normal);
        conn.execute_batch("PRAGMA cache_size = -262144;").unwrap();
        let events = (1..=VERSIONS).flat_map(|version| {
            (0..datasets)
                .map(move |d| (d, version))
                .map(|(d, version)| {
                    let event = synthetic::upload_event(ids[d as usize], d, version, &schema);
                    (names[d as usize].as_str(), event)
                })
        });
        sqlite::insert_bulk(&mut conn, events);
        conn.execute_batch("ANALYZE;").unwrap();
    }
    sync_all_files();
    eprintln!(
        "built sqlite, {} events, in {:.1?}",
        datasets * VERSIONS,
        started.elapsed()
    );
    check_catalog("sqlite", &sqlite_active(path), datasets);
    let conn = rusqlite::Connection::open(path).unwrap();
    let by_group = sqlite::active_versions_with(&conn, sqlite::ACTIVE_VERSIONS_GROUP_BY);
    check_catalog("sqlite GROUP BY", &by_group, datasets);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = PathBuf::from(file);
        if file.exists() {
            print_size(&format!("sqlite{suffix}"), datasets * VERSIONS, &file);
        }
    }
}

fn build_json(dir: &Path, datasets: u64) {
    let started = Instant::now();
    let schema = synthetic::ten_column_schema();
    std::fs::create_dir_all(dir).unwrap();
    for d in 0..datasets {
        let mut stream = Stream::new(d);
        let mut file = json::DatasetFile::new(stream.id, &stream.name);
        for (_, event) in stream.take(VERSIONS, &schema) {
            file.apply(event);
        }
        json::write_file(dir, &file, false);
    }
    sync_all_files();
    eprintln!(
        "built json, {} events, in {:.1?}",
        datasets * VERSIONS,
        started.elapsed()
    );
    check_catalog("json", &json::active_versions(dir), datasets);
    print_size("json", datasets * VERSIONS, dir);
}

fn open_active(c: &mut Criterion) {
    let max = max_events();
    let sizes = [(1_000, "1k"), (100_000, "100k"), (1_000_000, "1M")];
    let lookup_events = if max >= 100_000 { 100_000 } else { 1_000 };
    for (events, label) in sizes.into_iter().filter(|(e, _)| *e <= max) {
        let datasets = events / VERSIONS;
        let root = tempdir();
        let strata_dir = root.path().join("strata");
        let sqlite_path = root.path().join("events.db");
        let json_dir = root.path().join("json");
        let (strata_built, sqlite_built, json_built) =
            (OnceCell::new(), OnceCell::new(), OnceCell::new());
        let strata = || {
            strata_built.get_or_init(|| build_strata(&strata_dir, datasets));
        };
        let sqlite = || {
            sqlite_built.get_or_init(|| build_sqlite(&sqlite_path, datasets));
        };

        let mut group = c.benchmark_group(format!("open_active/{label}"));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .throughput(Throughput::Elements(events));
        group.bench_function("strata_replay", |b| {
            strata();
            set_snapshots(&strata_dir, false);
            b.iter(|| black_box(strata_active(&strata_dir)))
        });
        group.bench_function("strata_snapshot", |b| {
            strata();
            set_snapshots(&strata_dir, true);
            b.iter(|| black_box(strata_active(&strata_dir)))
        });
        group.bench_function("sqlite", |b| {
            sqlite();
            b.iter(|| black_box(sqlite_active(&sqlite_path)))
        });
        group.bench_function("sqlite_group_by", |b| {
            sqlite();
            b.iter(|| {
                let conn = rusqlite::Connection::open(&sqlite_path).unwrap();
                black_box(sqlite::active_versions_with(
                    &conn,
                    sqlite::ACTIVE_VERSIONS_GROUP_BY,
                ))
            })
        });
        group.bench_function("json", |b| {
            json_built.get_or_init(|| build_json(&json_dir, datasets));
            b.iter(|| black_box(json::active_versions(&json_dir)))
        });
        group.finish();

        if events == lookup_events {
            lookup(c, datasets, &strata_dir, strata, &sqlite_path, sqlite);
        }
    }
}

fn lookup(
    c: &mut Criterion,
    datasets: u64,
    strata_dir: &Path,
    strata: impl Fn(),
    sqlite_path: &Path,
    sqlite: impl Fn(),
) {
    let name = synthetic::dataset_name(datasets / 2);
    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(1));
    let store = OnceCell::new();
    group.bench_function("strata", |b| {
        let store = store.get_or_init(|| {
            strata();
            Store::open(strata_dir, synthetic::release_options()).unwrap()
        });
        assert_eq!(store.get_active_version(&name).unwrap().version, VERSIONS);
        b.iter(|| black_box(store.get_active_version(black_box(&name)).unwrap()))
    });
    let conn = OnceCell::new();
    group.bench_function("sqlite", |b| {
        let conn = conn.get_or_init(|| {
            sqlite();
            rusqlite::Connection::open(sqlite_path).unwrap()
        });
        let mut stmt = conn.prepare_cached(sqlite::ACTIVE_VERSION).unwrap();
        assert_eq!(sqlite::active_version(&mut stmt, &name), Some(VERSIONS));
        b.iter(|| black_box(sqlite::active_version(&mut stmt, black_box(&name))))
    });
    group.finish();
}

/// Store options for the upload benchmarks, doing their IO through `io`.
fn upload_options(io: strata::io::Io) -> strata::StoreOptions {
    let mut options = synthetic::release_options();
    options.log.io = io;
    options
}

/// One upload through `Store::save_upload`, checked to have stored a new version.
fn strata_upload(store: &Store, upload: uploads::Upload) {
    // The workload's first upload of each name creates its dataset.
    let request = strata::UploadRequest {
        overwrite: true,
        create: true,
        ..strata::UploadRequest::new(
            upload.name,
            vec![strata::UploadFile::from_bytes(upload.file, upload.bytes)],
            "bench",
        )
    };
    let outcome = store.save_upload(request).unwrap();
    assert!(outcome.seq.is_some(), "the upload recorded a new version");
}

/// `upload/single/*` and `upload/8_uploaders/*`: uploads of small tables per second, end to
/// end (`benches/support/uploads.rs` has the workload and the alternatives). Eight uploaders
/// are eight threads sharing one `Store`, eight SQLite connections, or eight threads on one
/// JSON folder; each uploader has datasets of its own.
fn upload(c: &mut Criterion) {
    for (group_name, writers) in [("upload/single", 1), ("upload/8_uploaders", WRITERS)] {
        let mut group = c.benchmark_group(group_name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .throughput(Throughput::Elements(writers as u64));
        let root = tempdir();

        // `strata_files`: every table a blob file (`inline_table_max` 0), the write path as
        // it was before small tables went into the log.
        for (system, inline_table_max) in [
            ("strata", strata::store::DEFAULT_INLINE_TABLE_MAX),
            ("strata_files", 0),
        ] {
            let dir = root.path().join(system);
            let store = OnceCell::new();
            let mut work: Vec<_> = (0..writers as u64).map(uploads::Workload::new).collect();
            group.bench_function(system, |b| {
                let store = store.get_or_init(|| {
                    let mut options = upload_options(Default::default());
                    options.inline_table_max = inline_table_max;
                    Store::create(&dir, options).unwrap()
                });
                b.iter_custom(|iters| {
                    let batches = work.iter_mut().map(|w| w.take(iters)).collect();
                    sync_all_files();
                    let mut states = vec![store; writers];
                    run_writers(&mut states, batches, |store, upload| {
                        strata_upload(store, upload)
                    })
                })
            });
        }

        let path = root.path().join("uploads.db");
        let conns = std::cell::RefCell::new(Vec::new());
        let mut work: Vec<_> = (0..writers as u64).map(uploads::Workload::new).collect();
        group.bench_function("sqlite_full", |b| {
            let mut conns = conns.borrow_mut();
            if conns.is_empty() {
                conns.extend((0..writers).map(|_| uploads::sqlite_uploads::open(&path)));
            }
            b.iter_custom(|iters| {
                let batches = work.iter_mut().map(|w| w.take(iters)).collect();
                sync_all_files();
                run_writers(&mut conns[..], batches, |conn, upload| {
                    uploads::sqlite_uploads::upload(conn, &upload)
                })
            })
        });

        let json_dir = root.path().join("json");
        uploads::json_uploads::init(&json_dir);
        let mut work: Vec<_> = (0..writers as u64).map(uploads::Workload::new).collect();
        group.bench_function("json", |b| {
            b.iter_custom(|iters| {
                let batches = work.iter_mut().map(|w| w.take(iters)).collect();
                sync_all_files();
                let mut states = vec![(); writers];
                run_writers(&mut states, batches, |_, upload| {
                    uploads::json_uploads::upload(&json_dir, &upload)
                })
            })
        });
        group.finish();
    }
    upload_read_back(c);
    count_upload_flushes();
}

/// `upload/read_back/*`: reading a past version's table back whole, verified: strata's
/// `Store::open_table` and a read to the end, against SQLite's SELECT of the BLOB.
fn upload_read_back(c: &mut Criterion) {
    const UPLOADS: u64 = 200;
    let root = tempdir();
    let store = Store::create(
        root.path().join("strata"),
        upload_options(Default::default()),
    )
    .unwrap();
    let mut conn = uploads::sqlite_uploads::open(&root.path().join("uploads.db"));
    for upload in uploads::Workload::new(0).take(UPLOADS) {
        uploads::sqlite_uploads::upload(&mut conn, &upload);
        strata_upload(&store, upload);
    }
    let name = uploads::Workload::new(0).take(1).remove(0).name;
    let mut group = c.benchmark_group("upload/read_back");
    group.throughput(Throughput::Elements(1));
    group.bench_function("strata", |b| {
        let version = strata::VersionRef::Number(3);
        b.iter(|| {
            let (_, mut reader) = store.open_table(&name, &version, None).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
            black_box(bytes)
        })
    });
    group.bench_function("sqlite", |b| {
        b.iter(|| black_box(uploads::sqlite_uploads::read(&conn, &name, 3)))
    });
    group.finish();
}

/// Prints how many flushes (`fdatasync`, file and directory `fsync`) an upload of a small
/// table makes, counted by a counting IO backend over 100 uploads by a lone uploader, with
/// small tables inside the log (the default) and with every table a blob file.
fn count_upload_flushes() {
    for (how, inline_table_max) in [
        ("inside the log", strata::store::DEFAULT_INLINE_TABLE_MAX),
        ("as blob files", 0),
    ] {
        count_upload_flushes_with(how, inline_table_max);
    }
}

fn count_upload_flushes_with(how: &str, inline_table_max: u64) {
    const UPLOADS: u64 = 100;
    let root = tempdir();
    let backend = Arc::new(uploads::CountingBackend::default());
    let io = strata::io::Io::from_arc(backend.clone());
    let mut options = upload_options(io);
    options.inline_table_max = inline_table_max;
    let store = Store::create(root.path().join("strata"), options).unwrap();
    let mut work = uploads::Workload::new(0);
    // The first upload of each dataset, and the folders every store creates once, are left
    // out: what is counted is the steady state.
    for upload in work.take(uploads::DATASETS) {
        strata_upload(&store, upload);
    }
    let before = backend.flushes();
    for upload in work.take(UPLOADS) {
        strata_upload(&store, upload);
    }
    let flushes = backend.flushes() - before;
    eprintln!(
        "upload flushes, tables {how}: {flushes} in {UPLOADS} uploads of small tables by one uploader ({:.2} per upload)",
        flushes as f64 / UPLOADS as f64
    );
}

/// `upload/8_processes/strata`: eight processes (this binary, re-run as
/// [`upload_child`]) uploading at once to one store, each to datasets of its own. Each child
/// opens the store, then waits for the start file; the time runs from its creation to the
/// last child's exit.
fn upload_processes(c: &mut Criterion) {
    let mut group = c.benchmark_group("upload/8_processes");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .throughput(Throughput::Elements(WRITERS as u64));
    let root = tempdir();
    let dir = root.path().join("strata");
    drop(Store::create(&dir, upload_options(Default::default())).unwrap());
    let mut round = 0u64;
    group.bench_function("strata", |b| {
        b.iter_custom(|iters| {
            round += 1;
            let start = root.path().join(format!("start-{round}"));
            let children: Vec<_> = (0..WRITERS)
                .map(|w| {
                    std::process::Command::new(std::env::current_exe().unwrap())
                        .env(UPLOAD_CHILD_ENV, &dir)
                        .env(
                            "STRATA_BENCH_UPLOAD_UPLOADER",
                            format!("{}", w as u64 + round * 100),
                        )
                        .env("STRATA_BENCH_UPLOAD_COUNT", iters.to_string())
                        .env("STRATA_BENCH_UPLOAD_START", &start)
                        .spawn()
                        .unwrap()
                })
                .collect();
            // Let every child open the store before the start.
            std::thread::sleep(Duration::from_millis(300));
            sync_all_files();
            let started = Instant::now();
            std::fs::write(&start, b"go").unwrap();
            for mut child in children {
                assert!(child.wait().unwrap().success(), "an upload child failed");
            }
            started.elapsed()
        })
    });
    group.finish();
}

/// Set in the environment of a child of [`upload_processes`]: the store it uploads to.
const UPLOAD_CHILD_ENV: &str = "STRATA_BENCH_UPLOAD_CHILD";

/// A child of [`upload_processes`]: opens the store, waits for the start file, uploads.
fn upload_child(dir: &Path) {
    let var = |name: &str| std::env::var(name).unwrap();
    let uploader: u64 = var("STRATA_BENCH_UPLOAD_UPLOADER").parse().unwrap();
    let count: u64 = var("STRATA_BENCH_UPLOAD_COUNT").parse().unwrap();
    let start = PathBuf::from(var("STRATA_BENCH_UPLOAD_START"));
    let store = Store::open(dir, upload_options(Default::default())).unwrap();
    let uploads = uploads::Workload::new(uploader).take(count);
    while !start.exists() {
        std::thread::sleep(Duration::from_micros(200));
    }
    for upload in uploads {
        strata_upload(&store, upload);
    }
}

criterion_group!(benches, write, open_active, upload, upload_processes);

fn main() {
    if let Some(dir) = std::env::var_os(UPLOAD_CHILD_ENV) {
        upload_child(Path::new(&dir));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
