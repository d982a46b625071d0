//! What the fuzz targets share: FORMAT.md's rules restated independently of the library
//! ([`spec`], [`log_spec`]), and scripts that turn fuzzer input into segments and logs
//! ([`plan`]); the SQL target's history and position checks ([`sql`]).

pub mod log_spec;
pub mod plan;
pub mod spec;
pub mod sql;

/// Counts of what the inputs exercised, printed to stderr every 4096 inputs when the
/// environment variable `STRATA_FUZZ_STATS` is set: a way to see that the scripts reach valid,
/// torn and corrupt cases in useful proportions (`STRATA_FUZZ_STATS=1 cargo +nightly fuzz run
/// decode_log ...`).
pub mod stats {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    static COUNTS: Mutex<(u64, BTreeMap<String, u64>)> = Mutex::new((0, BTreeMap::new()));

    fn enabled() -> bool {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| std::env::var_os("STRATA_FUZZ_STATS").is_some())
    }

    /// Counts one occurrence of `what`.
    pub fn note(what: impl FnOnce() -> String) {
        if enabled() {
            let mut counts = COUNTS.lock().unwrap();
            *counts.1.entry(what()).or_default() += 1;
        }
    }

    /// Ends one input; prints the counts every 4096 inputs.
    pub fn input_done() {
        if enabled() {
            let mut counts = COUNTS.lock().unwrap();
            counts.0 += 1;
            if counts.0.is_multiple_of(4096) {
                eprintln!("stats after {} inputs: {:?}", counts.0, counts.1);
            }
        }
    }
}

#[cfg(test)]
mod tests;
