//! Benchmarks of drift classification on wide tables: the part of an overwrite that runs
//! under the writer lock and used to grow with the square of the column count.
//!
//! - `drift/renamed/N`: `classify_drift` between two versions of one table of N columns
//!   (1,000, 4,000, 20,000) whose every column was renamed (`measure_00001` →
//!   `Measure 00001`): N removed, N added, and N rename candidates (past the pair budget,
//!   found by hashing normalized names).
//! - `drift/unchanged/N`: the same table against itself (no drift): the column matching alone.
//! - `drift/renamed_some/1000`: 1,000 columns of which 200 were renamed to similar names
//!   (under the pair budget: every removed/added pair is compared).
//!
//! Run (short, on a shared machine): `cargo bench --bench drift -- --warm-up-time 1
//! --measurement-time 3`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use strata::schema::{classify_drift, Column, ColumnType, Schema};

fn table(names: impl Iterator<Item = String>) -> Vec<(String, Schema)> {
    let columns = names
        .enumerate()
        .map(|(i, name)| Column {
            name,
            column_type: if i % 3 == 0 {
                ColumnType::Float64
            } else {
                ColumnType::Utf8
            },
            nullable: false,
            identifier: false,
        })
        .collect();
    vec![("visits".to_string(), Schema { columns })]
}

fn named(prefix: &str, n: usize) -> Vec<(String, Schema)> {
    table((0..n).map(|i| format!("{prefix}{i:05}")))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("drift");
    group.sample_size(10);
    for n in [1_000usize, 4_000, 20_000] {
        let (old, new) = (named("measure_", n), named("Measure ", n));
        group.bench_with_input(BenchmarkId::new("renamed", n), &n, |b, _| {
            b.iter(|| black_box(classify_drift(&old, &new)))
        });
        group.bench_with_input(BenchmarkId::new("unchanged", n), &n, |b, _| {
            b.iter(|| black_box(classify_drift(&old, &old)))
        });
    }
    let old = named("measure_", 1000);
    let new = table((0..1000).map(|i| {
        if i % 5 == 0 {
            format!("measure_{i:05}_v2")
        } else {
            format!("measure_{i:05}")
        }
    }));
    group.bench_function(BenchmarkId::new("renamed_some", 1000), |b| {
        b.iter(|| black_box(classify_drift(&old, &new)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
