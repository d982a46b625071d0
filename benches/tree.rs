//! What the Merkle tree costs (docs/AUDIT.md, FORMAT.md "The Merkle tree"):
//! - `tree/work_per_append_256B`: the tree's share of an append (the leaf hash of a 256-byte
//!   record and the frontier push, plus a thousandth of a checkpoint record's body, the
//!   automatic policy's rate), beside `tree/durable_append_single_256B` and
//!   `tree/durable_append_8_writers_256B` measured in the same run: the ratio is the tree's
//!   share of a durable append (the writer does this work under its lock, serially, so for 8
//!   writers it is 8 times the work per group of 8); and both durable figures again with
//!   `tile_upkeep: false` (`_without_tile_upkeep`), in the same run, for what the upkeep
//!   thread's work beside the appends costs them;
//! - `tree/verify_<n>`: rebuilding the tree of an `n`-record log from its records and
//!   checking every recorded checkpoint (what `verify --trusted` adds), and `tree/log_check_<n>`:
//!   the log check `verify` already does, for the same log;
//! - `tree/prove_built_tree_<n>`: one inclusion proof from a built tree (the library's
//!   `audit::prove`), `tree/prove_command_<n>`: what `strata prove` did before the sidecar
//!   (rebuild the tree, then prove), and, in the same run, `tree/prove_command_tiles_<n>`:
//!   what it does now (`audit::prove_from_tiles`: the log's end from the last checkpoint
//!   record, the record, the tiles from `log/tree/`, both checks), with the tiles written;
//!   `tree/prove_tiles_after_1000_appends_<n>`: the same after 1,000 more records (the lazy
//!   extension's cost, the automatic checkpoint policy's interval); and
//!   `tree/prove_tiles_first_<n>`: the first proof on the sidecar as the writers left it (the
//!   full tiles of the last checkpoint's tree, which each writer adds after it commits a
//!   checkpoint, and no partial tile); `tree/prove_tiles_cold_<n>`: the first proof with no
//!   `log/tree/` (a store whose sidecar was deleted: every tile computed and written);
//! - `tree/buffered_1000_appends_{with,without}_tile_upkeep`: the writer's sidecar upkeep
//!   (on the handle's upkeep thread, beside the appends), with it and without in the same run
//!   (1,000 records and one automatic checkpoint per iteration): the difference over 1,000 is
//!   what the upkeep costs an append.
//! - `tree/first_append_of_a_new_handle_after_800_records_of_64KiB_{checkpoint_bytes_1MiB,
//!   checkpoint_bytes_4MiB,no_byte_bound}`: the first append of a handle just opened (what a
//!   `strata upload` process does, or the first write of each process of several), which
//!   finds the last checkpoint record (reading record headers) and the tree's frontier from
//!   it by hashing every record after it: with the automatic policy's byte bound (a checkpoint every 1 MiB of bodies, the
//!   default, or 4 MiB) and, in the same run, without it (the count bound alone, which 800
//!   records do not reach: 50 MiB after the checkpoint).
//!
//! `STRATA_BENCH_TREE_RECORDS` sets `n` (default 1,000,000).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use strata::audit::LogTree;
use strata::format::leaf::{record_leaf, CheckpointBody};
use strata::format::RecordType;
use strata::log::{Durability, Log, LogOptions};
use strata::merkle::Frontier;

#[path = "support/dirs.rs"]
mod dirs;

const APP: RecordType = RecordType(0x100);

fn body() -> Vec<u8> {
    (0..256).map(|i| (i * 31 % 251) as u8).collect()
}

fn records() -> u64 {
    std::env::var("STRATA_BENCH_TREE_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn append_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("tree");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    let body = body();

    let mut frontier = Frontier::new();
    let mut seq = 0u64;
    group.bench_function("work_per_append_256B", |b| {
        b.iter(|| {
            seq += 1;
            frontier
                .push(record_leaf(
                    seq,
                    1_700_000_000_000_000,
                    APP,
                    black_box(&body),
                ))
                .unwrap();
            if seq.is_multiple_of(1000) {
                let body = CheckpointBody {
                    size: frontier.size(),
                    root: frontier.root(),
                    frontier: frontier.hashes().to_vec(),
                    catalog_digest: None,
                    note: strata::note::Checkpoint::new(
                        "strata/x",
                        frontier.size(),
                        frontier.root(),
                    )
                    .encode(),
                };
                black_box(body.encode());
            }
        })
    });

    upkeep_cost(&mut group, &body);

    // Durable appends as the store makes them (the upkeep on, the default), and without the
    // upkeep, in the same run: what the upkeep thread's work costs the appends beside it.
    for (suffix, tile_upkeep) in [("", true), ("_without_tile_upkeep", false)] {
        let options = || LogOptions {
            tile_upkeep,
            ..LogOptions::default()
        };
        group.throughput(Throughput::Elements(1));
        let dir = dirs::tempdir();
        let log = Log::create(dir.path(), options()).unwrap();
        group.bench_function(format!("durable_append_single_256B{suffix}"), |b| {
            b.iter(|| black_box(log.append(APP, &body).unwrap()))
        });
        drop(log);

        const WRITERS: usize = 8;
        group.throughput(Throughput::Elements(WRITERS as u64));
        let dir = dirs::tempdir();
        let log = Arc::new(Log::create(dir.path(), options()).unwrap());
        group.bench_function(
            format!("durable_append_{WRITERS}_writers_256B{suffix}"),
            |b| b.iter_custom(|iters| concurrent(&log, WRITERS, iters, &body)),
        );
    }
    group.finish();
}

/// The writer's sidecar upkeep, in the same run with it and without: 1,000 buffered records
/// per iteration, so one automatic checkpoint each and the tiles it completes (about 4 at
/// level 0), written by the handle's upkeep thread beside the appends. The difference,
/// divided by 1,000, is what the upkeep costs an append.
fn upkeep_cost(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    body: &[u8],
) {
    group.throughput(Throughput::Elements(1000));
    let batch: Vec<(RecordType, &[u8])> = (0..1000).map(|_| (APP, body)).collect();
    for (label, tile_upkeep) in [("with", true), ("without", false)] {
        let dir = dirs::tempdir();
        let options = LogOptions {
            durability: Durability::Buffered,
            tile_upkeep,
            ..LogOptions::default()
        };
        let log = Log::create(dir.path(), options).unwrap();
        group.bench_function(format!("buffered_1000_appends_{label}_tile_upkeep"), |b| {
            b.iter(|| black_box(log.append_batch(&batch).unwrap()))
        });
        log.flush_tile_upkeep();
        // (Nothing ran if a filter left the bench out.)
        let tiles = dir.path().join("log").join("tree").exists();
        let ran = log.last_seq() >= 1000;
        assert_eq!(
            tiles,
            tile_upkeep && ran,
            "the upkeep wrote tiles iff it was on"
        );
    }
    group.throughput(Throughput::Elements(1));
}

fn concurrent(log: &Arc<Log>, writers: usize, iters: u64, body: &[u8]) -> Duration {
    let ready = Arc::new(Barrier::new(writers + 1));
    let done = Arc::new(Barrier::new(writers + 1));
    std::thread::scope(|s| {
        for _ in 0..writers {
            let (log, ready, done) = (Arc::clone(log), Arc::clone(&ready), Arc::clone(&done));
            s.spawn(move || {
                ready.wait();
                for _ in 0..iters {
                    log.append(APP, body).unwrap();
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

/// A log of `n` 256-byte records (and its automatic checkpoints), written buffered in
/// batches, outside the timing.
fn build(n: u64) -> (tempfile::TempDir, Log) {
    let dir = dirs::tempdir();
    let options = LogOptions {
        durability: Durability::Buffered,
        ..LogOptions::default()
    };
    let log = Log::create(dir.path(), options).unwrap();
    let body = body();
    let batch: Vec<(RecordType, &[u8])> = (0..1000).map(|_| (APP, body.as_slice())).collect();
    while log.last_seq() < n {
        let take = ((n - log.last_seq()) as usize).min(batch.len());
        log.append_batch(&batch[..take]).unwrap();
    }
    log.flush_tile_upkeep();
    (dir, log)
}

fn verify_and_prove(c: &mut Criterion) {
    let n = records();
    let label = if n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1000)
    };
    let (dir, log) = build(n);
    let mut group = c.benchmark_group("tree");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(log.last_seq()));
    group.bench_function(format!("verify_{label}"), |b| {
        b.iter(|| {
            let tree = LogTree::rebuild(&log).unwrap();
            assert!(tree.first_mismatch().is_none());
            black_box(tree.size())
        })
    });
    group.bench_function(format!("log_check_{label}"), |b| {
        b.iter(|| black_box(strata::log::verify(dir.path()).unwrap().records))
    });
    let tree = LogTree::rebuild(&log).unwrap();
    let covered = tree.checkpoints.last().unwrap().body.size;
    let mut seq = 0;
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("prove_built_tree_{label}"), |b| {
        b.iter(|| {
            seq = seq % covered + 1;
            let proof = strata::audit::prove(&log, &tree, seq, None).unwrap();
            assert!(proof.proof.len() <= 64);
            black_box(proof.proof.len())
        })
    });
    group.bench_function(format!("prove_command_{label}"), |b| {
        b.iter(|| {
            let tree = LogTree::rebuild(&log).unwrap();
            black_box(strata::audit::prove(&log, &tree, covered / 2, None).unwrap())
        })
    });
    drop(tree);
    prove_from_tiles(&mut group, &log, dir.path(), covered, &label);
    group.finish();
}

fn prove_from_tiles(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    log: &Log,
    dir: &std::path::Path,
    covered: u64,
    label: &str,
) {
    let tree_dir = dir.join("log").join("tree");
    let prove = |seq: u64| {
        let (proof, report) = strata::audit::prove_from_tiles(log, seq, None).unwrap();
        assert!(report.rebuilt.is_none() && proof.proof.len() <= 64);
        black_box(proof)
    };
    // The sidecar as the writers left it (every full tile of the last checkpoint's tree,
    // and no partial tile): what the first proof on a store finds.
    assert!(
        partial_tiles(&tree_dir).is_empty(),
        "the writer wrote no partial tile"
    );
    group.bench_function(format!("prove_tiles_first_{label}"), |b| {
        b.iter_batched(
            || {
                for partial in partial_tiles(&tree_dir) {
                    std::fs::remove_dir_all(partial).unwrap();
                }
            },
            |()| prove(covered / 2),
            BatchSize::PerIteration,
        )
    });
    group.bench_function(format!("prove_tiles_cold_{label}"), |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(&tree_dir);
            },
            |()| prove(covered / 2),
            BatchSize::PerIteration,
        )
    });
    // The tiles are written now; each proof reads its own (a different record each time).
    let mut seq = 0;
    group.bench_function(format!("prove_command_tiles_{label}"), |b| {
        b.iter(|| {
            seq = (seq + 7919) % covered + 1;
            prove(seq)
        })
    });
    let body = body();
    let batch: Vec<(RecordType, &[u8])> = (0..1000).map(|_| (APP, body.as_slice())).collect();
    group.bench_function(format!("prove_tiles_after_1000_appends_{label}"), |b| {
        b.iter_batched(
            || {
                log.append_batch(&batch).unwrap();
            },
            |()| prove(log.last_seq() / 3),
            BatchSize::PerIteration,
        )
    });
}

/// The folders of partial tiles (`<N>.p/`) below `dir`.
fn partial_tiles(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "p") {
                found.push(path);
            } else if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found
}

fn first_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("tree");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    let body = vec![7u8; 64 * 1024];
    for (label, bytes) in [
        ("checkpoint_bytes_1MiB", 1 << 20),
        ("checkpoint_bytes_4MiB", 4 << 20),
        ("no_byte_bound", 0),
    ] {
        let dir = dirs::tempdir();
        let options = LogOptions {
            durability: Durability::Buffered,
            // Never by count: each iteration's append keeps the log as it was for the next.
            checkpoint_interval: 0,
            checkpoint_bytes: bytes,
            ..LogOptions::default()
        };
        let log = Log::create(dir.path(), options.clone()).unwrap();
        // 50 MiB: one segment (with room for the appends timed), so that no segment start
        // brings a checkpoint.
        for _ in 0..800 {
            log.append(APP, &body).unwrap();
        }
        assert_eq!(log.segments().len(), 1);
        drop(log);
        let name = format!("first_append_of_a_new_handle_after_800_records_of_64KiB_{label}");
        group.bench_function(name, |b| {
            b.iter_batched(
                || Log::open(dir.path(), options.clone()).unwrap(),
                |log| {
                    log.append(APP, &body).unwrap();
                    log
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, append_cost, verify_and_prove, first_append);
criterion_main!(benches);
