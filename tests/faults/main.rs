//! Crash and fault injection, by enumeration (the ALICE, SQLite and redb way): every
//! workload of `workloads` runs through `strata::io::fault::FaultBackend`, then
//!
//! - `crash_states`: a power cut after every operation, in every state the persistence model
//!   allows (exhaustively where a crash point has few, by a seeded sample otherwise): the
//!   store opens, shows what was acknowledged (or the call in flight), passes the deep check,
//!   and takes the next write;
//! - `failures`: every operation of every workload failed in turn, with EIO, ENOSPC, EDQUOT,
//!   EROFS or EINTR: the call returns an error naming the file and the operation (or, after
//!   its commit, a warning), nothing acknowledged is lost, and a reopen (or, after a full
//!   disk is freed, the same handle) carries on.
//!
//! The counts of the last run in CI's configuration (debug build, `STRATA_FAULT_CASES`
//! unset: 8 states a crash point): 11 workloads, COUNTS. `cargo test --test faults --
//! --nocapture` prints them. `STRATA_FAULT_CASES=N` checks up to N states a crash point
//! (points with at most N are enumerated whole), `STRATA_FAULT_SEED` changes the sample.

mod crash_states;
mod failures;
mod workloads;

/// States checked per crash point (all of them when there are at most this many).
pub fn budget() -> usize {
    std::env::var("STRATA_FAULT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

/// The seed of the samples (`STRATA_FAULT_SEED`, default 0).
pub fn seed() -> u64 {
    std::env::var("STRATA_FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// What a test checked.
#[derive(Debug, Default)]
pub struct Tally {
    pub workloads: usize,
    pub crash_points: usize,
    pub exhaustive_points: usize,
    pub states: usize,
    pub failures: usize,
}

impl Tally {
    pub fn print(&self, what: &str) {
        eprintln!(
            "faults, {what}: {} workloads, {} crash points ({} enumerated whole), {} distinct crash states checked, {} failures injected (budget {} a point, seed {})",
            self.workloads,
            self.crash_points,
            self.exhaustive_points,
            self.states,
            self.failures,
            budget(),
            seed()
        );
    }
}
