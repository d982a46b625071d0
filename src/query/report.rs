//! The validation context shared by the plan and SQL validators: the version, the history,
//! the options, and the construction of findings with their suggestions.

use std::collections::HashMap;

use super::catalog::{BaseColumn, Catalog, QualifiedVersion, TableRef, VersionSchemas};
use super::finding::{Finding, FindingKind, Location, Severity, Suggestion};
use super::suggest::{closest_name, last_version_with_column, last_version_with_table};
use super::type_rules::{check_type_fit, TypedUse};
use super::ValidateOptions;

/// Everything a validator needs besides the query, and the findings collected so far.
pub(crate) struct Reporter<'v> {
    /// The version validated against, with its column indexes.
    pub catalog: Catalog<'v>,
    history: &'v [VersionSchemas<'v>],
    /// The baseline version for [`FindingKind::ChangedType`], when it is known.
    since: Option<&'v VersionSchemas<'v>>,
    severity: Severity,
    findings: Vec<Finding>,
    /// For each `(table id, column name)` reported as changed, the index of its finding:
    /// each column is reported once, at its earliest position in SQL text.
    changed_reported: HashMap<(&'v str, &'v str), usize>,
}

impl<'v> Reporter<'v> {
    /// A reporter for one validation of one query.
    pub fn new(
        version: &'v VersionSchemas<'v>,
        history: &'v [VersionSchemas<'v>],
        qualified: &'v [QualifiedVersion<'v>],
        options: &ValidateOptions,
    ) -> Self {
        let since = options.since.and_then(|number| {
            history
                .iter()
                .find(|v| v.number == number)
                .or((version.number == number).then_some(version))
        });
        Reporter {
            catalog: Catalog::new(version, qualified),
            history,
            since,
            severity: if options.strict {
                Severity::Error
            } else {
                Severity::Warning
            },
            findings: Vec::new(),
            changed_reported: HashMap::new(),
        }
    }

    /// The findings, in the order they were reported.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// Records a finding with the configured severity.
    fn push(
        &mut self,
        kind: FindingKind,
        reference: String,
        location: Location,
        message: String,
        suggestion: Option<Suggestion>,
    ) {
        self.findings.push(Finding {
            kind,
            severity: self.severity,
            reference,
            location,
            message,
            suggestion,
        });
    }

    /// Reports a table name that designates nothing; `extra_names` are other names in scope
    /// (CTEs) that may be the intended one.
    pub fn unknown_table(
        &mut self,
        reference: String,
        location: Location,
        name: &str,
        extra_names: &[&str],
    ) {
        let version = self.catalog.version();
        let candidates = version
            .tables
            .iter()
            .map(|t| t.display_name)
            .chain(extra_names.iter().copied());
        let suggestion = Suggestion {
            closest_name: closest_name(name, candidates).map(str::to_string),
            last_seen_in_version: last_version_with_table(self.history, version, name),
        };
        let message = format!("no table `{name}` in version {}", version.number);
        self.push(
            FindingKind::UnknownTable,
            reference,
            location,
            message,
            suggestion.non_empty(),
        );
    }

    /// Reports a column that no relation in scope has. `candidates` are the names that are
    /// visible there; `tables` the base tables in scope, searched in history.
    pub fn unknown_column(
        &mut self,
        reference: String,
        location: Location,
        name: &str,
        candidates: &[&str],
        tables: &[&TableRef<'_>],
        double_quoted: bool,
    ) {
        let version = self.catalog.version();
        let suggestion = Suggestion {
            closest_name: closest_name(name, candidates.iter().copied()).map(str::to_string),
            last_seen_in_version: last_version_with_column(self.history, version, tables, name),
        };
        let mut message = format!("no column `{name}` in scope in version {}", version.number);
        if let Some(last) = suggestion.last_seen_in_version {
            let when = if last > version.number {
                "is present in"
            } else {
                "was last present in"
            };
            message.push_str(&format!("; column `{name}` {when} version {last}"));
        }
        if double_quoted
            && suggestion.closest_name.is_none()
            && suggestion.last_seen_in_version.is_none()
        {
            message.push_str("; double quotes name a column, string values take single quotes");
        }
        self.push(
            FindingKind::UnknownColumn,
            reference,
            location,
            message,
            suggestion.non_empty(),
        );
    }

    /// Reports an unqualified column name that several relations in scope have.
    pub fn ambiguous_column(
        &mut self,
        reference: String,
        location: Location,
        name: &str,
        relations: &[String],
    ) {
        let message = if relations.is_empty() {
            format!("column name `{name}` matches several columns; qualify or quote it exactly")
        } else {
            format!(
                "column `{name}` is in several tables ({}); qualify it, e.g. `{}.{name}`",
                relations.join(", "),
                relations[0]
            )
        };
        self.push(
            FindingKind::AmbiguousColumn,
            reference,
            location,
            message,
            None,
        );
    }

    /// Checks one typed use with the type rules and reports a misfit. `reference` is the
    /// expression as written, formatted only for a finding (each item of a long `IN` list is
    /// checked against the same whole expression).
    pub fn check_type(
        &mut self,
        use_: TypedUse<'_>,
        reference: &dyn std::fmt::Display,
        location: Location,
    ) {
        if let Err(reason) = check_type_fit(use_) {
            let reference = reference.to_string();
            let message = format!("type mismatch in `{reference}`: {reason}");
            self.push(
                FindingKind::TypeMismatch,
                reference,
                location,
                message,
                None,
            );
        }
    }

    /// Reports a base column whose type differs from its type in the baseline version: once
    /// per table and column, at the earliest position among its references.
    pub fn check_changed_type(
        &mut self,
        base: BaseColumn<'v>,
        reference: &str,
        location: &Location,
    ) {
        let Some(since) = self.since else { return };
        let version = self.catalog.version();
        let Some(old) = since
            .counterpart(base.table, version.tables.len())
            .and_then(|t| t.column_named(&base.column.name))
        else {
            return;
        };
        if old.column_type == base.column.column_type {
            return;
        }
        let key = (base.table.table_id, base.column.name.as_str());
        if let Some(&index) = self.changed_reported.get(&key) {
            let earlier = &mut self.findings[index];
            if is_before(location, &earlier.location) {
                earlier.location = location.clone();
                earlier.reference = reference.to_string();
            }
            return;
        }
        self.changed_reported.insert(key, self.findings.len());
        let message = format!(
            "column `{}` was {} in version {} and is {} in version {}",
            base.column.name,
            old.column_type,
            since.number,
            base.column.column_type,
            version.number
        );
        self.push(
            FindingKind::ChangedType,
            reference.to_string(),
            location.clone(),
            message,
            None,
        );
    }
}

/// Whether an SQL position comes before another (plan paths keep their first occurrence).
fn is_before(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (
            Location::Sql {
                line: l1,
                column: c1,
            },
            Location::Sql {
                line: l2,
                column: c2,
            },
        ) => (l1, c1) < (l2, c2),
        _ => false,
    }
}
