//! What every command needs: where the store is, opening it, who the actor is, confirming
//! destructive steps, and naming a version on the command line.

use crate::error::LOCK_TIMEOUT_ENV;
use crate::error::{CliError, CliResult};
use crate::output::{self, Printer};
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata::io::Io;
use strata::log::LogOptions;
use strata::paths::StorePaths;
use strata::store::BareDate;
use strata::{Store, StoreOptions, VersionRef};

/// A log bigger than this gets a spinner while it is replayed on open (on a terminal).
const LARGE_LOG_BYTES: u64 = 32 * 1024 * 1024;

/// Where the store is when neither `--store` nor `STRATA_DIR` says.
pub const DEFAULT_STORE: &str = "strata-store";

/// The environment variable that names the store directory.
pub const STORE_ENV: &str = "STRATA_DIR";

/// The environment variable that sets the largest table stored inside the log, in bytes
/// (`StoreOptions::inline_table_max`; `0` stores every table as a blob file).
pub const INLINE_TABLE_MAX_ENV: &str = "STRATA_INLINE_TABLE_MAX";

/// The global options every command runs with.
#[derive(Debug, Clone)]
pub struct Context {
    /// The store directory (`--store`, `STRATA_DIR`, or `./strata-store`).
    pub store_dir: PathBuf,
    /// Whether the store directory was chosen (`--store` or `STRATA_DIR`) rather than the
    /// default.
    pub store_chosen: bool,
    /// How long a write waits for the writer lock (`--lock-timeout`, `STRATA_LOCK_TIMEOUT`,
    /// or the library's default).
    pub lock_timeout: Option<Duration>,
    /// The largest table stored inside the log (`STRATA_INLINE_TABLE_MAX`, or the library's
    /// default).
    pub inline_table_max: Option<u64>,
    /// Whether to print JSON Lines.
    pub json: bool,
}

impl Context {
    /// The context of the global options: `--store`, else a non-empty `STRATA_DIR`, else
    /// `./strata-store`; `--lock-timeout`, else a non-empty `STRATA_LOCK_TIMEOUT` (which must
    /// be a duration). An empty variable counts as unset, as `NO_COLOR` does.
    pub fn new(
        store: Option<PathBuf>,
        lock_timeout: Option<Duration>,
        json: bool,
    ) -> CliResult<Context> {
        let store = store.or_else(|| non_empty_env(STORE_ENV).map(PathBuf::from));
        let lock_timeout = match lock_timeout {
            Some(timeout) => Some(timeout),
            None => match non_empty_env(LOCK_TIMEOUT_ENV) {
                Some(text) => Some(
                    parse_lock_timeout(&text)
                        .map_err(|e| CliError::error(format!("{LOCK_TIMEOUT_ENV}: {e}")))?,
                ),
                None => None,
            },
        };
        let inline_table_max = match non_empty_env(INLINE_TABLE_MAX_ENV) {
            Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
                CliError::error(format!(
                    "{INLINE_TABLE_MAX_ENV}: `{text}` is not a number of bytes (e.g. 262144)"
                ))
            })?),
            None => None,
        };
        Ok(Context {
            store_chosen: store.is_some(),
            store_dir: store.unwrap_or_else(|| PathBuf::from(DEFAULT_STORE)),
            lock_timeout,
            inline_table_max,
            json,
        })
    }

    /// The store's options: the library's defaults with the chosen lock timeout and inline
    /// threshold.
    pub fn store_options(&self) -> StoreOptions {
        let mut options = StoreOptions::default();
        options.log.lock_timeout = self.lock_timeout.unwrap_or(options.log.lock_timeout);
        options.inline_table_max = self.inline_table_max.unwrap_or(options.inline_table_max);
        options
    }

    /// The log's options for commands that work on the log alone (`repair`).
    pub fn log_options(&self) -> LogOptions {
        let mut options = LogOptions::default();
        options.lock_timeout = self.lock_timeout.unwrap_or(options.lock_timeout);
        options
    }

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
        let store = Store::open(&self.store_dir, self.store_options());
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

/// The actor: the one given, else the library's default (the OS user, else the process's
/// own account; never empty). Every event also records the process's OS account beside it.
pub fn actor(given: Option<String>) -> String {
    given
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(strata::store::names::default_actor)
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
        .map_err(|e| CliError::io(format!("cannot read the answer: {e}")))?;
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

/// Parses a time as RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD` (UTC, read as
/// `bare_date` says), `today`, `yesterday` or a relative time (`2 hours ago`), with a message
/// saying what is accepted.
pub fn parse_time(s: &str, bare_date: BareDate) -> Result<chrono::DateTime<chrono::Utc>, String> {
    strata::store::parse_time(s, bare_date).ok_or_else(|| {
        format!(
            "`{}` is not a time: use RFC 3339 (2024-05-01T12:00:00Z), `2024-05-01 12:00:00` (UTC), \
             2024-05-01, yesterday, or a relative time such as \"2 hours ago\"",
            s.trim()
        )
    })
}

/// [`parse_time`] for `--since`: a bare date means the start of that day.
pub fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    parse_time(s, BareDate::StartOfDay)
}

/// The value of the environment variable `name`, if it is set and not empty.
fn non_empty_env(name: &str) -> Option<String> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(|v| v.to_string_lossy().into_owned())
}

/// Parses `--lock-timeout`: a duration such as `30s`, `2m` or `1h30m`.
pub fn parse_lock_timeout(s: &str) -> Result<Duration, String> {
    strata::human::parse_duration(s).ok_or_else(|| {
        format!(
            "`{}` is not a duration: use a number and a unit, such as 30s, 2m or 1h30m",
            s.trim()
        )
    })
}

/// Says on standard error that this command cut a torn tail before its write (the cut is a
/// record of the log too: `strata log` lists it): `notice: ...`, or under `--json` one
/// object `{"notice": {"kind": "torn_tail_cut", "message", "seq"}}`.
pub fn announce_torn_cuts(json: bool, store: &Store) {
    for cut in store.log().take_torn_cuts() {
        let message = strata::human::escape_controls(&cut.to_string()).into_owned();
        if json {
            let line = serde_json::json!({
                "notice": {"kind": "torn_tail_cut", "message": message, "seq": cut.seq}
            });
            eprintln!("{line}");
        } else {
            eprintln!("notice: {message}");
        }
    }
}
