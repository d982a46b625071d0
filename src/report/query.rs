//! `check-query`'s findings.

use crate::query::{self, FindingKind, Location, Severity, Suggestion, VersionCompatibility};
use serde::Serialize;

/// A problem found in a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `unknown_table`, `unknown_column`, `ambiguous_column`, `type_mismatch` or
    /// `changed_type`.
    pub kind: FindingKind,
    /// `warning`, or `error` in strict mode.
    pub severity: Severity,
    /// The reference as written.
    pub reference: String,
    /// Where: `{"in": "sql", "line", "column"}` or `{"in": "plan", "path"}`.
    pub location: Location,
    /// A sentence for people.
    pub message: String,
    /// A hint, when there is one.
    pub suggestion: Option<Suggestion>,
}

impl From<&query::Finding> for Finding {
    fn from(f: &query::Finding) -> Finding {
        Finding {
            kind: f.kind,
            severity: f.severity,
            reference: f.reference.clone(),
            location: f.location.clone(),
            message: f.message.clone(),
            suggestion: f.suggestion.clone(),
        }
    }
}

/// A finding against one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingLine {
    /// The version validated against.
    pub version: u64,
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
}

/// Whether one version can run the query, and its findings (`--all-versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionFindings {
    /// The version.
    pub version: u64,
    /// Whether no finding but `changed_type` concerns it.
    pub runnable: bool,
    /// Its findings.
    pub findings: Vec<Finding>,
}

impl From<&VersionCompatibility> for VersionFindings {
    fn from(v: &VersionCompatibility) -> VersionFindings {
        VersionFindings {
            version: v.number,
            runnable: v.runnable,
            findings: v.findings.iter().map(Finding::from).collect(),
        }
    }
}

/// A line of `check-query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum CheckQueryLine {
    /// A finding against the version validated against.
    Finding(FindingLine),
    /// One version of the compatibility matrix.
    Version(VersionFindings),
}

impl CheckQueryLine {
    /// One line per finding against `version`.
    pub fn findings(version: u64, findings: &[query::Finding]) -> Vec<CheckQueryLine> {
        findings
            .iter()
            .map(|f| {
                CheckQueryLine::Finding(FindingLine {
                    version,
                    finding: Finding::from(f),
                })
            })
            .collect()
    }
}
