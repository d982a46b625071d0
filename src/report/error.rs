//! A failed command under `--json`: one object on standard error.

use crate::error::ErrorKind;
use serde::Serialize;

/// `{"error":{"kind":...,"message":...}}`: what a front end prints, as one JSON line on
/// standard error, when a command fails under `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorLine {
    /// The failure.
    pub error: ErrorBody,
}

/// The failure of an [`ErrorLine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// [`ErrorKind::name`] (`refused`, `not_found`, `invalid`, `too_large`, `busy`,
    /// `corrupt`, `storage_full`, `read_only`, `io`), or `internal` for a bug
    /// ([`ErrorLine::internal`]).
    pub kind: &'static str,
    /// One line: what went wrong and, where there is something to do, what to do next.
    pub message: String,
}

impl ErrorLine {
    /// A failure of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ErrorLine {
        ErrorLine {
            error: ErrorBody {
                kind: kind.name(),
                message: message.into(),
            },
        }
    }

    /// A bug in the front end or the library (a panic): kind `internal`.
    pub fn internal(message: impl Into<String>) -> ErrorLine {
        ErrorLine {
            error: ErrorBody {
                kind: "internal",
                message: message.into(),
            },
        }
    }
}

impl From<&crate::Error> for ErrorLine {
    /// The error's kind and message (on one line).
    fn from(error: &crate::Error) -> ErrorLine {
        let message = error.to_string();
        let one_line: Vec<&str> = message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        ErrorLine::new(error.kind(), one_line.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_line_nests_kind_and_message_under_error() {
        let unknown = crate::Error::UnknownDataset {
            dataset: "d".into(),
        };
        assert_eq!(
            serde_json::to_string(&ErrorLine::from(&unknown)).unwrap(),
            r#"{"error":{"kind":"not_found","message":"no dataset named `d`"}}"#
        );
        assert_eq!(ErrorLine::internal("x").error.kind, "internal");
    }
}
