//! The engine's memory pool bounds what a query holds (feature `sql`): a row diff of two
//! versions in a pool smaller than their rows either finds every change or fails naming the
//! limit and the largest consumers, and its heap stays within the pool and a small margin;
//! a query whose operator cannot spill fails with the limit named instead of growing past it.
//!
//! The heap is measured by a counting global allocator (`benches/support/heap.rs`), so this
//! file is a test binary of its own.
#![cfg(feature = "sql")]

mod common;
#[path = "../benches/support/heap.rs"]
mod heap;

#[global_allocator]
static ALLOC: heap::CountingAlloc = heap::CountingAlloc;

use common::*;
use std::io::Write as _;
use strata::schema::SchemaDriftPolicy;
use strata::sql::diff::{row_diff, RowDiff, RowDiffOptions};
use strata::sql::{ColumnarPolicy, Engine, SqlError, SqlOptions};
use strata::store::VersionRef;
use strata::Store;

/// Rows of each version: about 20 MB of CSV each.
const ROWS: u64 = 400_000;
/// The small pool: less than the two versions' rows take in memory.
const SMALL_POOL: usize = 32 << 20;

/// A version of the table; `changed` rewrites every 100th row's value, drops every 200th
/// (shifted by 1) and appends `ROWS / 200` new rows.
fn version(changed: bool) -> Vec<u8> {
    let mut out = b"id,grp,value,day,note\n".to_vec();
    let mut row = |i: u64, salt: u64| {
        writeln!(
            out,
            "{i},g{},{}.{:02},2024-{:02}-{:02},note {}",
            i % 1_000,
            (i * 7_919 + salt) % 100_000,
            i % 100,
            1 + i % 12,
            1 + i % 28,
            i * 31
        )
        .unwrap();
    };
    for i in 0..ROWS {
        if changed && i % 200 == 1 {
            continue;
        }
        row(i, u64::from(changed && i % 100 == 0));
    }
    if changed {
        for i in ROWS..ROWS + ROWS / 200 {
            row(i, 0);
        }
    }
    out
}

/// A store whose dataset `d` has the two versions.
fn two_versions() -> (tempfile::TempDir, Store) {
    let (dir, store) = new_store();
    store
        .save_upload(upload("d", &[("t.csv", &version(false))]))
        .unwrap();
    let mut overwrite = upload("d", &[("t.csv", &version(true))]);
    overwrite.overwrite = true;
    overwrite.drift_policy = Some(SchemaDriftPolicy::Warn);
    store.save_upload(overwrite).unwrap();
    (dir, store)
}

fn engine(memory_limit: usize) -> Engine {
    Engine::new(SqlOptions {
        threads: 2,
        memory_limit,
        columnar: ColumnarPolicy::Ignore,
        ..SqlOptions::default()
    })
    .unwrap()
}

/// The diff of versions 1 and 2 keyed by `key` (no columns: rows compared as multisets).
fn diff(engine: &Engine, store: &Store, key: &[&str]) -> Result<RowDiff, SqlError> {
    let options = RowDiffOptions {
        key: Some(key.iter().map(|k| k.to_string()).collect()),
        details: 5,
        ..RowDiffOptions::default()
    };
    row_diff(
        engine,
        store,
        "d",
        &VersionRef::Number(1),
        &VersionRef::Number(2),
        &options,
    )
}

/// The heap a diff may use: its pool, and 8 MiB for what DataFusion's operators hold without
/// accounting for it (the scans' chunks, batches in flight between operators). Both
/// versions' rows held at once would take more.
const HEAP_BOUND: usize = SMALL_POOL + (8 << 20);

#[test]
fn a_row_diff_within_a_small_memory_pool_finds_every_change_or_names_the_limit() {
    let (_tmp, store) = two_versions();
    let keyed = (ROWS / 200, ROWS / 200, ROWS / 100);
    // Without a key a changed row is one removed and one added.
    let multiset = (ROWS / 200 + ROWS / 100, ROWS / 200 + ROWS / 100, 0);
    let roomy = diff(&engine(1 << 30), &store, &["id"]).unwrap();
    assert_eq!((roomy.added, roomy.removed, roomy.changed), keyed);
    let small = engine(SMALL_POOL);
    for (key, expected) in [(&["id"][..], keyed), (&[][..], multiset)] {
        let (outcome, peak) = heap::peak_during(|| diff(&small, &store, key));
        match outcome {
            Ok(found) => {
                assert_eq!(
                    (found.added, found.removed, found.changed),
                    expected,
                    "key {key:?}"
                );
            }
            Err(SqlError::MemoryLimit { limit, detail }) => {
                assert_eq!(limit, SMALL_POOL >> 20);
                assert!(
                    detail.contains("consumers"),
                    "names the largest consumers: {detail}"
                );
            }
            Err(other) => panic!("key {key:?}: neither a diff nor the memory limit: {other}"),
        }
        assert!(
            peak < HEAP_BOUND,
            "key {key:?}: the diff's peak heap was {} with a pool of {}",
            heap::mib(peak as f64),
            heap::mib(SMALL_POOL as f64),
        );
    }
}

#[test]
fn a_query_that_cannot_spill_fails_with_the_memory_limit_named() {
    let (_tmp, store) = two_versions();
    // A hash join holds its build side in memory: it cannot spill.
    let sql = "SELECT COUNT(*) FROM \"d@1\".t a JOIN \"d@2\".t b ON a.note = b.note";
    let error = engine(2 << 20)
        .query_batches(&store, None, sql)
        .expect_err("the build side does not fit in 2 MiB");
    match &error {
        SqlError::MemoryLimit { limit, .. } => assert_eq!(*limit, 2),
        other => panic!("not a memory limit error: {other:?}"),
    }
    assert!(error.to_string().contains("limit of 2 MiB"), "{error}");
    let (_, batches) = engine(1 << 30).query_batches(&store, None, sql).unwrap();
    let count = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(
        count as u64,
        ROWS - ROWS / 200,
        "the rows both versions hold"
    );
}
