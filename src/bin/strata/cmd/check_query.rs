//! `strata check-query`: validate a query (SQL or a structured plan) against the schema of a
//! dataset's active version, another version, the version active at a time, or every version.

use crate::context::{self, Context};
use crate::error::{CliError, CliResult};
use crate::output::{Printer, Style};
use std::path::{Path, PathBuf};
use strata::query::{Finding, Query, Severity, ValidateOptions, VersionCompatibility};
use strata::report::{CheckQueryLine, VersionFindings};
use strata::store::BareDate;
use strata::VersionRef;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata check-query trial-42 --sql \"SELECT site, AVG(score) FROM visits GROUP BY site\"\n  strata check-query trial-42 --sql-file report.sql --all-versions\n  strata check-query trial-42 --plan plan.json --at 2024-05-01 --strict";

/// Options of `strata check-query`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("query").required(true).args(["sql", "sql_file", "plan"])))]
#[command(group(clap::ArgGroup::new("against").args(["version", "at", "all_versions"])))]
pub struct Args {
    /// The dataset's name or id.
    pub name: String,
    /// The SQL text of the query.
    #[arg(long, value_name = "TEXT")]
    pub sql: Option<String>,
    /// A file holding the SQL text of the query.
    #[arg(long, value_name = "FILE")]
    pub sql_file: Option<PathBuf>,
    /// A JSON file holding a structured query plan (table, metrics, group_by, filters).
    #[arg(long, value_name = "FILE.json")]
    pub plan: Option<PathBuf>,
    /// Validate against this version (number, v3, hash prefix) instead of the active one.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Validate against the version that was active at this time (a bare date: at the end of
    /// that day, as in NAME@DATE).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Validate against every version: which versions can run the query.
    #[arg(long)]
    pub all_versions: bool,
    /// Findings are errors: exit 1 if there is any.
    #[arg(long)]
    pub strict: bool,
}

/// Validates and prints the findings; in strict mode a finding means exit 1.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let query = read_query(&args)?;
    let store = ctx.open_store()?;
    let options = ValidateOptions {
        strict: args.strict,
        since: None,
    };
    let mut out = ctx.printer();
    let found = if args.all_versions {
        let matrix = store.query_compatibility(&args.name, &query, &options)?;
        for version in &matrix {
            print_version(&mut out, version)?;
        }
        matrix.iter().map(|v| v.findings.len()).sum()
    } else {
        let against = against(&args)?;
        let number = store.resolve_version(&args.name, &against)?;
        let findings = store.validate_query(&args.name, &query, &against, &options)?;
        print_findings(&mut out, number, &findings)?;
        findings.len()
    };
    if args.strict && found > 0 {
        return Err(CliError::refused(format!(
            "{found} finding(s) in strict mode; fix the query or validate without --strict"
        )));
    }
    Ok(())
}

fn against(args: &Args) -> CliResult<VersionRef> {
    match (&args.version, &args.at) {
        (Some(v), _) => Ok(v.parse()?),
        (None, Some(t)) => {
            // As in `NAME@DATE`: a bare date is the end of that day.
            let at = context::parse_time(t, BareDate::EndOfDay).map_err(CliError::error)?;
            Ok(VersionRef::At(at))
        }
        (None, None) => Ok(VersionRef::Active),
    }
}

/// The query named by `--sql`, `--sql-file` or `--plan`; a parse error is an input error with
/// the parser's line and column, or the plan's field.
fn read_query(args: &Args) -> CliResult<Query> {
    let parsed = match (&args.sql, &args.sql_file, &args.plan) {
        (Some(sql), _, _) => Query::sql(sql),
        (None, Some(file), _) => Query::sql(&read(file)?),
        (None, None, Some(file)) => Query::plan_json(&read(file)?),
        (None, None, None) => unreachable!("clap requires one of --sql, --sql-file, --plan"),
    };
    parsed.map_err(|e| CliError::error(format!("the query cannot be read: {e}")))
}

#[allow(
    clippy::disallowed_methods,
    reason = "a query file is the user's input, not a store file"
)]
fn read(file: &Path) -> CliResult<String> {
    std::fs::read_to_string(file)
        .map_err(|e| CliError::io(format!("cannot read {}: {e}", file.display())))
}

fn print_findings(out: &mut Printer, version: u64, findings: &[Finding]) -> CliResult {
    out.json_lines(&CheckQueryLine::findings(version, findings))?;
    for finding in findings {
        out.line(finding_text(out, finding))?;
    }
    let verdict = if findings.is_empty() {
        out.paint(Style::Green, "no findings")
    } else {
        out.paint(Style::Yellow, format!("{} finding(s)", findings.len()))
    };
    out.line(format!("version {version}: {verdict}"))
}

fn print_version(out: &mut Printer, version: &VersionCompatibility) -> CliResult {
    out.json(&CheckQueryLine::Version(VersionFindings::from(version)))?;
    let verdict = if version.runnable {
        out.paint(Style::Green, "can run the query")
    } else {
        out.paint(Style::Red, "cannot run the query")
    };
    out.line(format!("version {}: {verdict}", version.number))?;
    for finding in &version.findings {
        out.line(format!("  {}", finding_text(out, finding)))?;
    }
    Ok(())
}

fn finding_text(out: &Printer, finding: &Finding) -> String {
    let label = match finding.severity {
        Severity::Error => out.paint(Style::Red, "error:"),
        Severity::Warning => out.paint(Style::Yellow, "warning:"),
    };
    format!("{label} {finding}")
}
