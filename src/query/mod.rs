//! Query validation: does a query fit the schema of a dataset version?
//!
//! A [`Query`] is either a structured [`QueryPlan`] (the analysis layer's JSON) or SQL text
//! ([`SqlQuery`], parsed once with `sqlparser`). [`validate`] checks it against one version's
//! schemas and returns [`Finding`]s: unknown tables and columns (with the closest existing
//! name and the last version that had the name), ambiguous columns, type mismatches (see
//! [`type_rules`]) and columns whose type changed since a baseline version.
//! [`compatibility_matrix`] runs that over a dataset's whole history, and
//! [`breaking_queries`] checks saved queries before a rollback.
//!
//! This module never touches the store: the caller passes the schemas in, as borrowed
//! [`VersionSchemas`].

mod catalog;
mod error;
mod finding;
mod plan;
mod report;
mod scope;
mod sql;
mod sql_validate;
pub(crate) mod suggest;
pub mod type_rules;

pub use catalog::{QualifiedVersion, TableRef, VersionSchemas};
pub use error::{PlanError, QueryError, SqlError};
pub use finding::{Finding, FindingKind, Location, Severity, Suggestion};
pub use plan::{Aggregate, Filter, FilterOp, Metric, QueryPlan};
pub use sql::SqlQuery;

use report::Reporter;
use serde::{Deserialize, Serialize};

/// A query to validate.
#[derive(Debug, Clone)]
pub enum Query {
    /// A structured analysis plan.
    Plan(QueryPlan),
    /// An SQL `SELECT` query.
    Sql(SqlQuery),
}

impl Query {
    /// Parses SQL text (see [`SqlQuery::parse`]).
    pub fn sql(text: &str) -> Result<Query, QueryError> {
        Ok(Query::Sql(SqlQuery::parse(text)?))
    }

    /// Reads a plan from JSON (see [`QueryPlan::from_json`]).
    pub fn plan_json(text: &str) -> Result<Query, QueryError> {
        Ok(Query::Plan(QueryPlan::from_json(text)?))
    }
}

/// How to validate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateOptions {
    /// Report findings as [`Severity::Error`] instead of [`Severity::Warning`].
    pub strict: bool,
    /// The baseline version: report columns whose type differs from their type there
    /// ([`FindingKind::ChangedType`]). Ignored when no version of `history` has that number.
    pub since: Option<u64>,
}

/// Validates a query against one version. `history` holds all versions of the dataset in
/// order (it may include `version`); it is searched for suggestions and for the `since`
/// baseline. SQL findings are ordered by position; plan findings follow the plan's fields.
pub fn validate(
    query: &Query,
    version: &VersionSchemas<'_>,
    history: &[VersionSchemas<'_>],
    options: &ValidateOptions,
) -> Vec<Finding> {
    validate_with_qualified(query, version, history, &[], options)
}

/// [`validate`] for a query that also names tables of other versions (of this dataset or
/// others) by a qualifier: `"trial-42@3".visits` designates table `visits` of the version
/// whose qualifier is `trial-42@3` in `qualified`. A qualified name whose qualifier is not
/// in `qualified` is looked up in `version`, as every name is by [`validate`].
pub fn validate_with_qualified(
    query: &Query,
    version: &VersionSchemas<'_>,
    history: &[VersionSchemas<'_>],
    qualified: &[QualifiedVersion<'_>],
    options: &ValidateOptions,
) -> Vec<Finding> {
    let mut reporter = Reporter::new(version, history, qualified, options);
    match query {
        Query::Plan(plan) => plan::validate_plan(plan, &mut reporter),
        Query::Sql(sql) => sql_validate::validate_sql(sql, &mut reporter),
    }
    let mut findings = reporter.into_findings();
    if matches!(query, Query::Sql(_)) {
        findings.sort_by_key(|f| match f.location {
            Location::Sql { line, column } => (line, column),
            Location::Plan { .. } => (u64::MAX, u64::MAX),
        });
    }
    findings
}

/// Whether a query can run on one version, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionCompatibility {
    /// The version number.
    pub number: u64,
    /// The version's content hash.
    pub hash_hex: String,
    /// True when no finding blocks execution (see [`FindingKind::blocks_execution`]).
    pub runnable: bool,
    /// All findings for that version.
    pub findings: Vec<Finding>,
}

/// Validates a query against every version of `history`, in order.
pub fn compatibility_matrix(
    query: &Query,
    history: &[VersionSchemas<'_>],
    options: &ValidateOptions,
) -> Vec<VersionCompatibility> {
    history
        .iter()
        .map(|version| {
            let findings = validate(query, version, history, options);
            VersionCompatibility {
                number: version.number,
                hash_hex: version.hash_hex.to_string(),
                runnable: !findings.iter().any(|f| f.kind.blocks_execution()),
                findings,
            }
        })
        .collect()
}

/// A saved query that would not run on a target version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenQuery {
    /// The saved query's name.
    pub name: String,
    /// All its findings against the target (at least one blocks execution).
    pub findings: Vec<Finding>,
}

/// The saved queries that would break if `target` became the active version (e.g. before a
/// rollback), in the order given. Pass the currently active version as `options.since` to
/// also list type changes.
pub fn breaking_queries<N: AsRef<str>>(
    saved: &[(N, Query)],
    target: &VersionSchemas<'_>,
    history: &[VersionSchemas<'_>],
    options: &ValidateOptions,
) -> Vec<BrokenQuery> {
    saved
        .iter()
        .filter_map(|(name, query)| {
            let findings = validate(query, target, history, options);
            findings
                .iter()
                .any(|f| f.kind.blocks_execution())
                .then(|| BrokenQuery {
                    name: name.as_ref().to_string(),
                    findings,
                })
        })
        .collect()
}
