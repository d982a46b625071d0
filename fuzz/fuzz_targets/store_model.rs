//! A model-based fuzz target for the store: the input is a script of operations (uploads,
//! overwrites under each drift policy, rollbacks, snapshots, reopens, and power cuts), run
//! against a real store through `strata::io::fault::FaultBackend` and against the in-memory
//! model of `tests/model/` (the property test's oracle, `tests/store_model.rs`). Every answer
//! is compared with the model's, and the store must show the model after every operation.
//!
//! A power cut interrupts the next write at one of its file operations, chosen by the input,
//! and leaves one of the crash states the backend's model allows, also chosen by the input:
//! the store must open there, and show either the model before the write or the model after
//! it (the write was in flight, never acknowledged), with every invariant holding and every
//! blob intact. The script then goes on in that crash state.
//!
//! Run from `fuzz/`: `mkdir -p corpus/store_model && cargo +nightly fuzz run store_model corpus/store_model seeds_store -- -max_total_time=60`

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use strata::io::fault::FaultBackend;
use strata::log::{LogOptions, OpenVerify};
use strata::store::SnapshotPolicy;
use strata::{Store, StoreOptions};

/// The model the property test checks the store against (`tests/store_model.rs`).
#[path = "../../tests/model/mod.rs"]
mod model;

use model::{
    model_rollback, model_upload, name, rollback_answer, upload_answer, upload_request, Model,
    Tables, CONTENTS, SECOND_TABLE,
};

const DATASETS: usize = 2;

#[derive(Debug, Clone, Copy)]
enum Op {
    Upload {
        ds: usize,
        tables: Tables,
        overwrite: bool,
        policy: u8,
        with_override: bool,
    },
    Rollback {
        ds: usize,
        version: u64,
    },
    Snapshot,
    Reopen,
    /// The next write is cut at its `at`th operation (modulo its count), leaving crash state
    /// `state` (an index into a seeded sample).
    PowerCut {
        at: u8,
        state: u8,
    },
}

/// Reads the script: three bytes an operation.
fn script(data: &[u8]) -> Vec<Op> {
    data.chunks_exact(3)
        .take(24)
        .map(|c| match c[0] % 8 {
            0..=2 => Op::Upload {
                ds: c[1] as usize % DATASETS,
                tables: (c[2] as usize % CONTENTS.len(), c[1] & 0x04 != 0),
                overwrite: c[1] & 0x10 != 0 || c[0] % 8 == 2,
                policy: (c[1] >> 5) % 3,
                with_override: c[1] & 0x08 != 0,
            },
            3 | 4 => Op::Rollback {
                ds: c[1] as usize % DATASETS,
                version: 1 + u64::from(c[2] % 4),
            },
            5 => Op::Snapshot,
            6 => Op::Reopen,
            _ => Op::PowerCut {
                at: c[1],
                state: c[2],
            },
        })
        .collect()
}

/// Whether the store shows the model: each dataset's versions (by their tables) and active
/// one.
fn shows(store: &Store, model: &Model) -> bool {
    model.iter().enumerate().all(|(i, d)| {
        let name = name(i);
        match (d, store.catalog().get(&name)) {
            (None, Err(_)) => true,
            (Some(d), Ok(ds)) => {
                ds.active == d.active
                    && ds.versions.len() == d.versions.len()
                    && d.versions.iter().enumerate().all(|(v, &tables)| {
                        let info = store.version(&name, &strata::VersionRef::Number(v as u64 + 1));
                        info.is_ok_and(|info| holds(&info.tables, tables))
                    })
            }
            _ => false,
        }
    })
}

/// Whether a version's tables are `tables`: `t` with its content, and the second table if
/// and only if the model has it.
fn holds(records: &[strata::store::TableRecord], (content, second): Tables) -> bool {
    let hash_of = |name: &str| {
        records
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.content_hash)
    };
    let second_hash = strata::digest::Digest::of(SECOND_TABLE.1);
    records.len() == 1 + usize::from(second)
        && hash_of("t") == Some(strata::digest::Digest::of(CONTENTS[content].0))
        && (!second || hash_of("sites") == Some(second_hash))
}

fn options(io: strata::io::Io) -> StoreOptions {
    StoreOptions {
        log: LogOptions {
            io,
            preallocate: 4096,
            segment_size: 4096,
            verify: OpenVerify::Tail,
            ..LogOptions::default()
        },
        check_invariants: false,
        snapshots: SnapshotPolicy {
            automatic: true,
            every_records: 5,
            keep: 2,
            ..SnapshotPolicy::default()
        },
        ..StoreOptions::default()
    }
}

/// A folder removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("strata-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The store under test: its folder, the backend recording it, and the open handle.
struct Live {
    _scratch: Scratch,
    dir: PathBuf,
    backend: FaultBackend,
    store: Store,
}

impl Live {
    fn create() -> Live {
        let scratch = Scratch::new();
        let dir = scratch.0.join("store");
        let backend = FaultBackend::new(&scratch.0);
        let store = Store::create(&dir, options(backend.io())).unwrap();
        Live {
            _scratch: scratch,
            dir,
            backend,
            store,
        }
    }

    /// The store in `scratch` (a crash state), opened through a fresh backend.
    fn open(scratch: Scratch) -> Live {
        let dir = scratch.0.join("store");
        let backend = FaultBackend::new(&scratch.0);
        let store = Store::open(&dir, options(backend.io()))
            .unwrap_or_else(|e| panic!("a crash state does not open: {e}"));
        Live {
            _scratch: scratch,
            dir,
            backend,
            store,
        }
    }
}

/// Runs one operation against the store and the model; panics on any disagreement.
fn run(live: &Live, model: &mut Model, op: Op) {
    let answers = match op {
        Op::Upload {
            ds,
            tables,
            overwrite,
            policy,
            with_override,
        } => Some((
            model_upload(model, ds, tables, overwrite, policy, with_override),
            upload_answer(live.store.save_upload(upload_request(
                ds,
                tables,
                overwrite,
                policy,
                with_override,
                "fuzz",
            ))),
        )),
        Op::Rollback { ds, version } => Some((
            model_rollback(model, ds, version),
            rollback_answer(live.store.rollback_to_version(
                &name(ds),
                &version.to_string(),
                "fuzz",
                "the script rolls back",
            )),
        )),
        Op::Snapshot => {
            live.store.snapshot().unwrap();
            None
        }
        Op::Reopen | Op::PowerCut { .. } => return,
    };
    if let Some((expected, got)) = answers {
        assert_eq!(got, expected, "{op:?}");
    }
    assert!(
        shows(&live.store, model),
        "after {op:?}: the store differs from {model:?}"
    );
}

/// Runs `op` with a power cut at one of its operations; returns the store in the crash state
/// the input picks, and the model it shows (before or after `op`).
fn power_cut(live: Live, model: &mut Model, op: Op, at: u8, pick: u8) -> Live {
    let before_model = model.clone();
    let start = live.backend.op_count();
    run(&live, model, op);
    let end = live.backend.op_count();
    if end == start {
        return live; // nothing was written: nothing to cut
    }
    let index = start + usize::from(at) % (end - start);
    let point = live.backend.crash_point(Some(index));
    let states = point.sample(u64::from(pick), 4);
    let state = &states[usize::from(pick) % states.len()];
    let scratch = Scratch::new();
    point.materialize(state, &scratch.0).unwrap();
    drop(live);
    let crashed = Live::open(scratch);
    let after_model = std::mem::replace(model, before_model.clone());
    if shows(&crashed.store, &after_model) {
        *model = after_model;
    } else {
        assert!(
            shows(&crashed.store, &before_model),
            "{}: the store shows neither {before_model:?} nor {after_model:?}",
            point.describe(state)
        );
    }
    crashed.store.assert_invariants(true).unwrap();
    crashed
}

fuzz_target!(|data: &[u8]| {
    let ops = script(data);
    let mut live = Live::create();
    let mut model: Model = vec![None; DATASETS];
    let mut cut: Option<(u8, u8)> = None;
    for op in ops {
        match (op, cut.take()) {
            (Op::PowerCut { at, state }, _) => cut = Some((at, state)),
            (Op::Reopen, _) => {
                let Live {
                    _scratch,
                    dir,
                    backend,
                    store,
                } = live;
                drop(store);
                let store = Store::open(&dir, options(backend.io())).unwrap();
                live = Live {
                    _scratch,
                    dir,
                    backend,
                    store,
                };
                assert!(shows(&live.store, &model));
            }
            (op, Some((at, state))) => live = power_cut(live, &mut model, op, at, state),
            (op, None) => run(&live, &mut model, op),
        }
    }
    live.store.assert_invariants(true).unwrap();
    let report = strata::check::run(
        &live.dir,
        strata::check::CheckOptions { deep: true },
        |_| {},
    )
    .unwrap();
    assert!(report.is_healthy(), "{report:?}");
});
