//! What validation reports: findings, their kinds, locations, severities and suggestions.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of problem a finding reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A table name that designates no table of the version (nor a CTE or alias in scope).
    UnknownTable,
    /// A column name that no table in scope has.
    UnknownColumn,
    /// An unqualified column name that several tables in scope have.
    AmbiguousColumn,
    /// A comparison or aggregate whose types do not fit (see [`super::type_rules`]).
    TypeMismatch,
    /// A column that exists but whose type differs from the one it had in the baseline
    /// version (`ValidateOptions::since`).
    ChangedType,
}

impl FindingKind {
    /// Whether a finding of this kind means the query cannot run on the version.
    /// [`FindingKind::ChangedType`] is informational: the query may run, with other results.
    pub fn blocks_execution(self) -> bool {
        !matches!(self, FindingKind::ChangedType)
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Reported, but does not stop the query (the default).
    Warning,
    /// Stops the query (`ValidateOptions::strict`).
    Error,
}

/// Where in the query a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "in", rename_all = "snake_case")]
pub enum Location {
    /// A position in SQL text, 1-based, counting characters.
    Sql {
        /// The line, from 1.
        line: u64,
        /// The column on that line, from 1.
        column: u64,
    },
    /// A field of a structured plan, e.g. `filters[1].column`.
    Plan {
        /// The field path.
        path: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sql { line, column } => write!(f, "line {line}, column {column}"),
            Location::Plan { path } => f.write_str(path),
        }
    }
}

/// A hint for fixing a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Suggestion {
    /// The closest existing name (edit distance, case-insensitive), if one is close enough.
    pub closest_name: Option<String>,
    /// The most recent other version of the dataset in which the name exists.
    pub last_seen_in_version: Option<u64>,
}

impl Suggestion {
    /// `None` when there is nothing to suggest.
    pub fn non_empty(self) -> Option<Suggestion> {
        if self.closest_name.is_none() && self.last_seen_in_version.is_none() {
            None
        } else {
            Some(self)
        }
    }
}

/// One problem found in a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// What is wrong.
    pub kind: FindingKind,
    /// Warning, or Error in strict mode.
    pub severity: Severity,
    /// The reference as written: SQL text (`p."Body Mass (g)"`) or a plan field's value.
    pub reference: String,
    /// Where it is.
    pub location: Location,
    /// A sentence for people.
    pub message: String,
    /// A hint, when there is one.
    pub suggestion: Option<Suggestion>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)?;
        if let Some(suggestion) = &self.suggestion {
            if let Some(name) = &suggestion.closest_name {
                write!(f, " (did you mean `{name}`?)")?;
            }
        }
        Ok(())
    }
}
