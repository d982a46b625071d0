//! What every command needs: where the store is, opening it, who the actor is, confirming
//! destructive steps, and naming a version on the command line.

use crate::error::{CliError, CliResult};
use crate::output::{self, Printer};
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use strata::io::Io;
use strata::paths::StorePaths;
use strata::store::BareDate;
use strata::{Store, StoreOptions, VersionRef};

/// A log bigger than this gets a spinner while it is replayed on open (on a terminal).
const LARGE_LOG_BYTES: u64 = 32 * 1024 * 1024;

/// The global options every command runs with.
#[derive(Debug, Clone)]
pub struct Context {
    /// The store directory (`--store`, `STRATA_DIR`, or `./strata-store`).
    pub store_dir: PathBuf,
    /// Whether to print JSON Lines.
    pub json: bool,
}

impl Context {
    /// A printer for standard output in the chosen mode.
    pub fn printer(&self) -> Printer {
        Printer::new(self.json)
    }

    /// Fails with a hint to run `strata init` when there is no store (never creates one).
    pub fn require_store(&self) -> CliResult {
        let log_dir = StorePaths::new(&self.store_dir).log_dir();
        if Io::os().is_dir(&log_dir) {
            Ok(())
        } else {
            Err(CliError::no_store(&self.store_dir))
        }
    }

    /// Opens the store, replaying its log (with a spinner when the log is large).
    pub fn open_store(&self) -> CliResult<Store> {
        self.require_store()?;
        let log_bytes = log_file_bytes(&self.store_dir);
        let spinner = (log_bytes > LARGE_LOG_BYTES).then(|| {
            output::spinner(format!(
                "replaying {} MiB of log",
                log_bytes / (1024 * 1024)
            ))
        });
        let store = Store::open(&self.store_dir, StoreOptions::default());
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
        }
        Ok(store?)
    }
}

/// Total size of the segment files of the store in `store_dir`.
pub fn log_file_bytes(store_dir: &Path) -> u64 {
    let (io, log_dir) = (Io::os(), StorePaths::new(store_dir).log_dir());
    let Ok(entries) = io.list_dir(&log_dir) else {
        return 0;
    };
    entries
        .iter()
        .filter(|e| {
            e.name
                .to_string_lossy()
                .ends_with(strata::format::SEGMENT_SUFFIX)
        })
        .filter_map(|e| io.metadata(&log_dir.join(&e.name)).ok().flatten())
        .map(|m| m.len)
        .sum()
}

/// The actor: the one given, else the OS user (`USER`, then `LOGNAME`), else `unknown`.
pub fn actor(given: Option<String>) -> String {
    given
        .filter(|a| !a.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .or_else(|| std::env::var("LOGNAME").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Asks for confirmation of `action` on a terminal; without a terminal, `--yes` is required.
/// `yes` skips the question.
pub fn confirm(command: &str, action: &str, yes: bool) -> CliResult {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::error(format!(
            "`strata {command}` needs a confirmation and standard input is not a terminal; \
             run it again with --yes to confirm"
        )));
    }
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{action}? [y/N] ");
    let _ = stderr.flush();
    drop(stderr);
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::error(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(CliError::refused(format!(
            "cancelled: nothing was changed (`strata {command}` was not confirmed)"
        )))
    }
}

/// Splits `NAME[@VERSION]` into the dataset and the version (`active` when none is given).
/// A name that is itself a dataset's name wins, so names containing `@` still work.
pub fn parse_target(store: &Store, target: &str) -> CliResult<(String, VersionRef)> {
    Ok(store.parse_target(target)?)
}

/// Parses a time as RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or `YYYY-MM-DD` (UTC, read as
/// `bare_date` says), with a message saying what is accepted.
pub fn parse_time(s: &str, bare_date: BareDate) -> Result<chrono::DateTime<chrono::Utc>, String> {
    strata::store::parse_time(s, bare_date).ok_or_else(|| {
        format!(
            "`{}` is not a time: use RFC 3339 (2024-05-01T12:00:00Z), `2024-05-01 12:00:00` (UTC) or 2024-05-01",
            s.trim()
        )
    })
}

/// [`parse_time`] for `--since`: a bare date means the start of that day.
pub fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_time(s, BareDate::StartOfDay)
}
