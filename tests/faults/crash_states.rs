//! Power cuts at every operation of every workload: each crash state the persistence model of
//! `strata::io::fault` allows (all of them where there are few, a seeded sample otherwise)
//! is written to a fresh folder and must open, show what was acknowledged (or the call in
//! flight), pass the deep check, and take the next write.

use super::workloads::{self, upload, Ack, Run, Shown, Summary};
use super::{budget, Tally};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::Path;
use strata::check::{self, CheckOptions};
use strata::{ErrorKind, Store};

/// The acknowledgements a crash after operation `index` may show: the last call that returned
/// before it, and the call in flight.
pub fn allowed(acks: &[Ack], index: Option<usize>) -> Vec<&Ack> {
    let done = index.map_or(0, |i| i + 1);
    let last = acks.iter().rposition(|a| a.ops <= done).unwrap_or(0);
    acks[last..acks.len().min(last + 2)].iter().collect()
}

/// Opens the crash state in `dir` with the real file system and checks everything; the error
/// says what failed.
pub fn check_state(
    dir: &Path,
    allowed: &[&Ack],
    tweak: fn(&mut strata::StoreOptions),
) -> Result<(), String> {
    let mut options = workloads::options_with(Default::default());
    tweak(&mut options);
    let store = match Store::open(dir, options.clone()) {
        Ok(store) => store,
        Err(e)
            if e.kind() == ErrorKind::NotFound
                && allowed.iter().any(|a| a.shown == Shown::Absent) =>
        {
            // The store was never acknowledged: creating it now must work.
            Store::create(dir, options.clone())
                .map_err(|e| format!("create after the crash: {e}"))?
        }
        Err(e)
            if e.kind() == ErrorKind::Corrupt
                && allowed.iter().any(|a| a.shown == Shown::Corrupt) =>
        {
            // A crash during a repair: repairing again must work.
            strata::log::repair(dir, options.log.clone())
                .map_err(|e| format!("repair after the crash: {e}"))?;
            Store::open(dir, options.clone()).map_err(|e| format!("open after the repair: {e}"))?
        }
        Err(e) => return Err(format!("the store does not open: {e}")),
    };
    let summary = Summary::of(&store);
    let fits = allowed.iter().any(|a| match &a.shown {
        Shown::Open(s) => *s == summary,
        Shown::Absent => summary.datasets.is_empty() && summary.events == 0,
        Shown::Corrupt => false,
    });
    if !fits {
        return Err(format!(
            "the store shows {summary:?}, acknowledged: {:?}",
            allowed.iter().map(|a| &a.shown).collect::<Vec<_>>()
        ));
    }
    let snapshot = workloads::newest_snapshot(dir);
    let floor = allowed.first().and_then(|a| a.snapshot);
    if snapshot < floor {
        return Err(format!(
            "snapshot {floor:?} was acknowledged, the newest left is {snapshot:?}"
        ));
    }
    store
        .assert_invariants(true)
        .map_err(|e| format!("invariants: {e}"))?;
    drop(store);
    let report =
        check::run(dir, CheckOptions { deep: true }, |_| {}).map_err(|e| format!("check: {e}"))?;
    if !report.is_healthy() {
        return Err(format!("the deep check found problems: {report:?}"));
    }
    let store = Store::open(dir, options).map_err(|e| format!("reopen: {e}"))?;
    proofs_are_the_rebuilt_trees(&store)?;
    let left_before = temp_files_outside_log(&store, dir)?;
    let outcome = store
        .save_upload(upload("after-crash", &[("t.csv", "k,v\n1,after\n")]))
        .map_err(|e| format!("the next write failed: {e}"))?;
    let left_after = temp_files_outside_log(&store, dir)?;
    if !left_after.is_empty() {
        return Err(format!(
            "the next write left temporary files: {left_after:?}"
        ));
    }
    // The crash's temporary files are removed by the next write, which says so.
    let removed = format!(
        "removed {} temporary file{}",
        left_before.len(),
        if left_before.len() == 1 { "" } else { "s" }
    );
    if !left_before.is_empty() && !outcome.warnings.iter().any(|w| w.contains(&removed)) {
        return Err(format!(
            "the next write removed {left_before:?} without saying so: {:?}",
            outcome.warnings
        ));
    }
    store
        .assert_invariants(true)
        .map_err(|e| format!("invariants after the next write: {e}"))
}

/// Whatever the crash left in the `log/tree/` sidecar, every proof `prove` makes (from the
/// tiles) is the rebuilt tree's.
fn proofs_are_the_rebuilt_trees(store: &Store) -> Result<(), String> {
    let tree = store.audit_tree().map_err(|e| format!("rebuild: {e}"))?;
    let Some(newest) = tree.checkpoints.last() else {
        return Ok(());
    };
    for seq in 1..=newest.body.size {
        let proof = store
            .prove(seq, None)
            .map_err(|e| format!("prove {seq}: {e}"))?;
        let expected = tree
            .tree
            .inclusion_proof(seq - 1, newest.body.size)
            .unwrap();
        if proof.proof != expected || proof.checkpoint != newest.checkpoint {
            return Err(format!("the proof of seq {seq} is not the rebuilt tree's"));
        }
    }
    Ok(())
}

/// The temporary files of blob and snapshot writes (the log's own are not the store's to
/// remove).
fn temp_files_outside_log(
    store: &Store,
    dir: &Path,
) -> Result<Vec<strata::store::Leftover>, String> {
    let leftovers = store.leftovers().map_err(|e| format!("leftovers: {e}"))?;
    Ok(leftovers
        .temp_files
        .into_iter()
        .filter(|l| !l.path.starts_with(dir.join("log")))
        .collect())
}

fn tree_digest(tree: &strata::io::fault::CrashTree) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    tree.hash(&mut hasher);
    hasher.finish()
}

/// Checks every crash point of one run; returns (crash points, distinct states checked).
pub fn check_run(name: &str, run: &Run, tally: &mut Tally) {
    let ops = run.backend.ops();
    let mut seen = HashSet::new();
    let points = std::iter::once(None).chain(
        ops.iter()
            .enumerate()
            .filter(|(_, op)| op.mutates())
            .map(|(i, _)| Some(i)),
    );
    let cases = budget();
    for index in points {
        let point = run.backend.crash_point(index);
        tally.crash_points += 1;
        let count = point.count();
        let states: Vec<_> = if count <= cases as u128 {
            tally.exhaustive_points += 1;
            point.states().collect()
        } else {
            let seed = seed_of(name, index);
            point.sample(seed, cases)
        };
        let acks = allowed(&run.acks, index);
        for state in states {
            let tree = point.tree(&state);
            if !seen.insert(tree_digest(&tree)) {
                continue;
            }
            tally.states += 1;
            let scratch = tempfile::tempdir().unwrap();
            strata::io::fault::write_tree(&tree, scratch.path()).unwrap();
            if let Err(e) = check_state(scratch.path(), &acks, run.tweak) {
                panic!("workload `{name}`, {}: {e}", point.describe(&state));
            }
        }
    }
}

fn seed_of(name: &str, index: Option<usize>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (name, index, super::seed()).hash(&mut hasher);
    hasher.finish()
}

#[test]
fn every_crash_state_of_every_workload_opens_with_what_was_acknowledged() {
    let mut tally = Tally::default();
    for workload in workloads::all() {
        let (_template_dir, template) = workloads::template(&workload);
        let (_dir, mut run) = workloads::start(&workload, &template);
        (workload.run)(&mut run).unwrap_or_else(|e| panic!("workload `{}`: {e}", workload.name));
        assert_eq!(
            run.warnings,
            Vec::<String>::new(),
            "workload `{}`",
            workload.name
        );
        tally.workloads += 1;
        check_run(workload.name, &run, &mut tally);
    }
    tally.print("crash states");
    assert_eq!(tally.workloads, 16);
    assert!(tally.states > 100, "{tally:?}");
}
