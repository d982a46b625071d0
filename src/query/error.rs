//! Errors from turning text into a [`super::Query`]: SQL that does not parse, plans with
//! the wrong shape.

use serde::{Deserialize, Serialize};

/// SQL text that could not be turned into one `SELECT` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct SqlError {
    /// The parser's message (it may itself end with "at Line: X, Column: Y").
    pub message: String,
    /// The 1-based line of the problem. `None` only when the parser gave no position and the
    /// problem is not at the end of the text (e.g. nesting too deep).
    pub line: Option<u64>,
    /// The 1-based column (in characters) of the problem, with the same caveat.
    pub column: Option<u64>,
}

/// A structured plan whose JSON does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("plan field `{path}`: {message}")]
pub struct PlanError {
    /// The path of the offending field, e.g. `filters[1].op` (`.` for the whole document).
    pub path: String,
    /// What is wrong with it.
    pub message: String,
    /// The 1-based line in the JSON text, when the problem was found while reading it.
    pub line: Option<usize>,
    /// The 1-based column in the JSON text, when the problem was found while reading it.
    pub column: Option<usize>,
}

/// A query text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The SQL did not parse, or is not a single `SELECT` query.
    #[error("SQL error: {0}")]
    Sql(#[from] SqlError),
    /// The plan JSON has the wrong shape.
    #[error("plan error: {0}")]
    Plan(#[from] PlanError),
}
