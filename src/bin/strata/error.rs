//! The command line's errors and how they map to exit codes.
//!
//! Exit codes: 0 success; 1 the operation was refused (drift policy, existing dataset,
//! duplicate content, existing store, a declined confirmation) or verification found
//! problems; 2 usage, input, IO or internal error. A library error's exit code comes from
//! its [`ErrorKind`] ([`failure_of`]), and its message gains a hint in shell terms
//! ([`hint`]).

use std::fmt;
use std::path::Path;
use std::process::ExitCode;
use strata::io::IoError;
use strata::log::Error as LogError;
use strata::ErrorKind;

/// The environment variable that sets `--lock-timeout`.
pub const LOCK_TIMEOUT_ENV: &str = "STRATA_LOCK_TIMEOUT";

/// Which exit code a failure ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Refused, or problems found: exit 1.
    Refused,
    /// Usage, input, IO or internal error: exit 2.
    Error,
    /// `verify --trusted`: the checksums hold but the hashes do not (tampering): exit 3.
    Tampered,
    /// `verify --trusted`: nothing to check the log against (no anchor): exit 4.
    Unverifiable,
}

impl Failure {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Failure::Refused => 1,
            Failure::Error => 2,
            Failure::Tampered => 3,
            Failure::Unverifiable => 4,
        }
    }
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// A failure to report as one `error: ...` line on standard error (one JSON object
    /// under `--json`).
    Failed {
        /// What kind of failure it is: the exit code and the JSON `kind` come from it.
        kind: ErrorKind,
        /// One line: what went wrong and, where there is something to do, what to do next.
        message: String,
    },
    /// A failure already reported on standard output (verify problems): nothing more to say.
    Reported(Failure),
    /// Standard output was closed by its reader (`strata log | head`): end quietly with 0.
    BrokenPipe,
}

/// The result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// An operation refused (exit 1).
    pub fn refused(message: impl Into<String>) -> CliError {
        CliError::of_kind(ErrorKind::Refused, message)
    }

    /// A usage or input error (exit 2).
    pub fn error(message: impl Into<String>) -> CliError {
        CliError::of_kind(ErrorKind::Invalid, message)
    }

    /// A failed read or write of a file that is not the store's, or of a standard stream
    /// (exit 2).
    pub fn io(message: impl Into<String>) -> CliError {
        CliError::of_kind(ErrorKind::Io, message)
    }

    /// A failure of `kind`.
    pub fn of_kind(kind: ErrorKind, message: impl Into<String>) -> CliError {
        CliError::Failed {
            kind,
            message: message.into(),
        }
    }

    /// There is no store at `dir`.
    pub fn no_store(dir: &Path) -> CliError {
        CliError::of_kind(
            ErrorKind::NotFound,
            format!(
                "no strata store at {}: run `strata init` to create one there, or pass --store DIR \
                 (or set STRATA_DIR) to use an existing store",
                dir.display()
            ),
        )
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Failed { kind, .. } => ExitCode::from(failure_of(*kind).code()),
            CliError::Reported(failure) => ExitCode::from(failure.code()),
            CliError::BrokenPipe => ExitCode::SUCCESS,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Failed { message, .. } => f.write_str(message),
            CliError::Reported(_) => f.write_str("problems were found (see above)"),
            CliError::BrokenPipe => f.write_str("standard output was closed"),
        }
    }
}

impl From<strata::Error> for CliError {
    /// The library's message, with what to type next (see [`hint`]) after it; the exit code
    /// from the error's kind (see [`failure_of`]).
    fn from(error: strata::Error) -> CliError {
        if let strata::Error::Log(LogError::NotFound { path }) = &error {
            return CliError::no_store(path);
        }
        let what = one_line(&error.to_string());
        let message = match hint(&error) {
            Some(hint) => format!("{what}; {hint}"),
            None => what,
        };
        CliError::Failed {
            kind: error.kind(),
            message,
        }
    }
}

impl From<LogError> for CliError {
    fn from(error: LogError) -> CliError {
        strata::Error::from(error).into()
    }
}

impl From<IoError> for CliError {
    fn from(error: IoError) -> CliError {
        strata::Error::from(error).into()
    }
}

/// The exit code's kind for an error of `kind`: refusals exit 1, everything else 2.
pub fn failure_of(kind: ErrorKind) -> Failure {
    match kind {
        ErrorKind::Refused => Failure::Refused,
        _ => Failure::Error,
    }
}

/// What to type (or do) next after `error`, in the command line's terms, if there is
/// something to suggest. The library's message says what is wrong and where; this adds the
/// commands and flags that help.
pub fn hint(error: &strata::Error) -> Option<String> {
    use strata::Error as E;
    let hint = match error {
        E::Log(LogError::Corrupt { .. }) => {
            "`strata verify` lists every problem and `strata repair` salvages the log \
             (keeping a copy of what it cuts)"
                .to_owned()
        }
        E::Log(LogError::ReadOnly { .. }) => {
            "install a newer strata to change this store (this one can still read it)".to_owned()
        }
        E::Log(LogError::LockReplaced { .. }) => {
            "never delete log/LOCK while the store is in use; run the command again".to_owned()
        }
        E::Audit(strata::audit::AuditError::NotCovered { .. }) => {
            "record one with `strata checkpoint` (--sign KEYFILE to sign it)".to_owned()
        }
        E::Audit(strata::audit::AuditError::LogDisagrees(_)) => {
            "`strata verify --trusted CHECKPOINT` reports what disagrees".to_owned()
        }
        E::UnknownDataset { .. } => "`strata datasets` lists them".to_owned(),
        E::OverwriteOfUnknownDataset { .. } => {
            "check the name (`strata datasets` lists them), or add --create to create it".to_owned()
        }
        E::UnknownVersion { dataset, .. } => format!("`strata history {dataset}` lists them"),
        E::DatasetExists { .. } => {
            "upload again with --overwrite to add a new version (earlier versions are kept)"
                .to_owned()
        }
        E::ReasonRequired { operation, .. } => match operation {
            strata::ReasonFor::Rollback => "give the reason with --reason TEXT".to_owned(),
            strata::ReasonFor::Reactivation => {
                "give the reason with --note TEXT (or `strata rollback NAME VERSION --reason TEXT`)"
                    .to_owned()
            }
            strata::ReasonFor::PolicySet => "give the reason with --reason TEXT".to_owned(),
        },
        E::PolicyWeakened { .. } => {
            "say why with --reason TEXT (recorded), or leave out --drift-policy and --widening              to use the policy in force (`strata policy show` shows it)"
                .to_owned()
        }
        E::MissingBlob { .. } => "`strata verify --deep` lists every missing blob".to_owned(),
        E::BlobMismatch { .. } => {
            "restore it from a backup (`strata verify --deep` lists every damaged blob)".to_owned()
        }
        E::Log(LogError::Poisoned { .. }) if error.kind() == ErrorKind::Io => {
            "`strata verify` checks the store; then run the command again".to_owned()
        }
        E::Log(LogError::LockTimeout { .. }) => format!(
            "run the command again once the other process is done, or wait longer with \
             --lock-timeout (or {LOCK_TIMEOUT_ENV}), e.g. --lock-timeout 2m"
        ),
        E::BadEvent { .. } | E::BadTableBytes { .. } | E::Invariant { .. } => {
            "`strata verify` lists every problem of the store".to_owned()
        }
        _ => return hint_for_kind(error.kind()).map(str::to_owned),
    };
    Some(hint)
}

/// The hint for an error of `kind` that [`hint`] has no more precise one for.
fn hint_for_kind(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::StorageFull => Some("free space and run the command again"),
        ErrorKind::Busy => Some("run the command again once the other process is done"),
        ErrorKind::ReadOnly => Some("the store must be on a writable file system to change it"),
        _ => None,
    }
}

/// Joins a multi-line message into one line.
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn no_space() -> IoError {
        let os = std::io::Error::from_raw_os_error(libc::ENOSPC);
        IoError::new("write", "/store/log/00000000000000000001.seg", os)
    }

    fn failed(error: impl Into<CliError>) -> (Failure, String) {
        match error.into() {
            CliError::Failed { kind, message } => (failure_of(kind), message),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn refusals_exit_1_and_every_other_kind_exits_2() {
        let kinds = [
            (ErrorKind::Refused, 1),
            (ErrorKind::NotFound, 2),
            (ErrorKind::Invalid, 2),
            (ErrorKind::TooLarge, 2),
            (ErrorKind::Busy, 2),
            (ErrorKind::Corrupt, 2),
            (ErrorKind::StorageFull, 2),
            (ErrorKind::ReadOnly, 2),
            (ErrorKind::Io, 2),
        ];
        for (kind, code) in kinds {
            assert_eq!(failure_of(kind).code(), code, "{kind:?}");
        }
    }

    #[test]
    fn a_full_device_says_to_free_space_and_run_the_command_again() {
        let stopped = strata::Error::from(LogError::Poisoned {
            file: "/store/log/00000000000000000001.seg".into(),
            op: "write",
            cause: std::sync::Arc::new(std::io::Error::from_raw_os_error(libc::ENOSPC)),
        });
        for error in [strata::Error::Io(no_space()), stopped] {
            let (failure, message) = failed(error);
            assert_eq!(failure, Failure::Error);
            assert!(message.contains("No space left on device"), "{message}");
            assert!(
                message.ends_with("; free space and run the command again"),
                "{message}"
            );
        }
    }

    #[test]
    fn the_command_line_adds_what_to_type_next_to_the_library_message() {
        let unknown = strata::Error::UnknownDataset {
            dataset: "nope".into(),
        };
        let (failure, message) = failed(unknown);
        assert_eq!(failure, Failure::Error);
        assert_eq!(
            message,
            "no dataset named `nope`; `strata datasets` lists them"
        );

        let exists = strata::Error::DatasetExists {
            dataset: "d".into(),
        };
        let (failure, message) = failed(exists);
        assert_eq!(failure, Failure::Refused);
        assert!(
            message.contains("upload again with --overwrite"),
            "{message}"
        );

        let busy = LogError::LockTimeout {
            lock_file: "/store/log/LOCK".into(),
            timeout: Duration::from_secs(10),
        };
        let (failure, message) = failed(busy);
        assert_eq!(failure, Failure::Error);
        assert!(
            message.starts_with("timed out after 10 s waiting for the writer lock"),
            "{message}"
        );
        assert!(
            message.contains("run the command again once the other process is done"),
            "{message}"
        );
        assert!(message.contains("--lock-timeout"), "{message}");
        assert!(message.contains("STRATA_LOCK_TIMEOUT"), "{message}");
    }
}
