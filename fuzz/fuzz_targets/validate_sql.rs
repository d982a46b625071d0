//! Arbitrary text through the SQL path of query validation, against a three-version history
//! (`strata_fuzz::sql::history`) whose column types change between versions 2 and 3.
//!
//! Oracle: parsing never panics; a query that parses validates against each version without
//! panicking (no unbounded recursion: the parser's depth limit and `recursive` keep the stack
//! bounded); strict mode changes only the severity of the findings; and every finding's
//! position is inside the text, `1 <= line <= lines in the text` as `Location::Sql`
//! documents, with the column inside that line, and where the finding names a table or a
//! column (or a type mismatch starts with a word), the text at that line and column starts
//! with that name, ignoring case, quoted or not (`strata_fuzz::sql::check_location`); and an
//! unknown-table finding about a relation name (not a qualifier) names no table the version
//! has (`strata_fuzz::sql::check_unknown_table_is_unknown`), so a validator that refuses a
//! known table fails.
//!
//! Run from `fuzz/`: `mkdir -p corpus/validate_sql && cargo +nightly fuzz run validate_sql corpus/validate_sql seeds_sql -- -max_total_time=60`
//! (`seeds_sql/` holds queries that parse and name the history's tables, with joins, CTEs,
//! subqueries, set operations, window functions, CASE, casts and every kind of finding).

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use strata::query::{validate, Query, Severity, ValidateOptions, VersionSchemas};
use strata_fuzz::sql::{check_location, check_unknown_table_is_unknown, history};

fn versions() -> &'static [VersionSchemas<'static>] {
    static HISTORY: OnceLock<Vec<VersionSchemas<'static>>> = OnceLock::new();
    HISTORY.get_or_init(history)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = Query::sql(text) else {
        return;
    };
    let history = versions();
    // Each version against the one before it as the baseline of changed types.
    for (i, version) in history.iter().enumerate() {
        let since = i.checked_sub(1).map(|b| history[b].number);
        let lenient = ValidateOptions {
            strict: false,
            since,
        };
        let findings = validate(&query, version, history, &lenient);
        for finding in &findings {
            assert_eq!(finding.severity, Severity::Warning);
            if let Err(problem) = check_location(text, finding)
                .and_then(|()| check_unknown_table_is_unknown(text, finding, version))
            {
                panic!("version {}: {problem}", version.number);
            }
        }
        let strict = ValidateOptions {
            strict: true,
            since,
        };
        let strict_findings = validate(&query, version, history, &strict);
        assert_eq!(strict_findings.len(), findings.len());
        for (s, f) in strict_findings.iter().zip(&findings) {
            assert_eq!(s.severity, Severity::Error);
            assert_eq!(
                (&s.kind, &s.location, &s.reference),
                (&f.kind, &f.location, &f.reference)
            );
        }
    }
});
