//! The command line's errors and how they map to exit codes.
//!
//! Exit codes: 0 success; 1 the operation was refused (drift policy, existing dataset,
//! duplicate content, existing store, a declined confirmation) or verification found
//! problems; 2 usage, input, IO or internal error.

use std::fmt;
use std::path::Path;
use std::process::ExitCode;

/// Which exit code a failure ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Refused, or problems found: exit 1.
    Refused,
    /// Usage, input, IO or internal error: exit 2.
    Error,
}

impl Failure {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Failure::Refused => 1,
            Failure::Error => 2,
        }
    }
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// A failure to report as one `error: ...` line on standard error.
    Failed {
        /// The exit code's kind.
        failure: Failure,
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
        CliError::Failed {
            failure: Failure::Refused,
            message: message.into(),
        }
    }

    /// A usage, input, IO or internal error (exit 2).
    pub fn error(message: impl Into<String>) -> CliError {
        CliError::Failed {
            failure: Failure::Error,
            message: message.into(),
        }
    }

    /// There is no store at `dir`.
    pub fn no_store(dir: &Path) -> CliError {
        CliError::error(format!(
            "no strata store at {}: run `strata init` to create one there, or pass --store DIR \
             (or set STRATA_DIR) to use an existing store",
            dir.display()
        ))
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Failed { failure, .. } | CliError::Reported(failure) => {
                ExitCode::from(failure.code())
            }
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
    fn from(error: strata::Error) -> CliError {
        use strata::Error as E;
        match error {
            E::NotFound { path } => CliError::no_store(&path),
            E::DriftRefused { .. }
            | E::DatasetExists { .. }
            | E::DuplicateContent { .. }
            | E::AlreadyExists { .. }
            | E::MissingBlob { .. } => CliError::refused(error.to_string()),
            other => CliError::error(one_line(&other.to_string())),
        }
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
