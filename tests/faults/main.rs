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
//! Each test prints a summary line of its counts (`cargo test` shows them). In CI's
//! configuration (`STRATA_FAULT_CASES` unset: up to 8 states a crash point) they were: 16
//! workloads, 313 crash points (109 enumerated whole), 880 distinct crash states checked;
//! 577 failures injected; 2 bugs found and fixed ([`BUGS_FOUND_AND_FIXED`]).
//!
//! The longer sweep is opt-in: `STRATA_FAULT_CASES=N cargo test --release --test faults`
//! checks up to N states a crash point (points with at most N are enumerated whole) and fails
//! every operation with every errno it can fail with (writes both whole and torn);
//! `STRATA_FAULT_SEED` changes the sample.

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

/// Bugs these tests found, each fixed with a regression test of its own (named here).
pub const BUGS_FOUND_AND_FIXED: &[&str] = &[
    "failures::a_segment_that_cannot_be_read_is_an_io_error_for_verify_and_repair_not_damage",
    "durable_mark::repair_syncs_the_reset_of_the_durable_mark_before_it_cuts",
];

/// Whether a longer sweep was asked for (`STRATA_FAULT_CASES` set): the failure test then
/// fails every operation with every errno it can fail with, not one of them in turn.
pub fn sweep() -> bool {
    std::env::var_os("STRATA_FAULT_CASES").is_some()
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
    /// Prints the test-suite summary line of a test: what it checked, how many bugs these
    /// tests found, and the configuration.
    pub fn print(&self, what: &str) {
        let checked = if self.failures == 0 {
            format!(
                "{} crash points ({} enumerated whole), {} distinct crash states checked",
                self.crash_points, self.exhaustive_points, self.states
            )
        } else {
            format!("{} failures injected", self.failures)
        };
        summary(&format!(
            "faults, {what}: {} workloads, {checked}; {} bug{} found and fixed (budget {} states a crash point{}, seed {})",
            self.workloads,
            BUGS_FOUND_AND_FIXED.len(),
            if BUGS_FOUND_AND_FIXED.len() == 1 { "" } else { "s" },
            budget(),
            if sweep() { ", every errno" } else { "" },
            seed()
        ));
    }
}

/// Prints one summary line to the process's standard error directly, so that `cargo test`
/// shows it without `--nocapture`.
pub fn summary(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
