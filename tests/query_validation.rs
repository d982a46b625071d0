//! Query validation against versioned schemas: plans and SQL, every finding kind with its
//! location and suggestion, name resolution through aliases, joins, CTEs, derived tables,
//! subqueries, wildcards and set operations, the compatibility matrix over a real history,
//! and parser robustness.

use proptest::prelude::*;
use strata::query::{
    breaking_queries, compatibility_matrix, validate, Finding, FindingKind, Location, Query,
    QueryError, QueryPlan, Severity, SqlQuery, TableRef, ValidateOptions, VersionSchemas,
};
use strata::schema::{Column, ColumnType, Schema};

use ColumnType::{Boolean, Date, Float64, Int64, Utf8};

// ---- schemas of the sample CSV files, built by hand ----------------------------------------

fn column(name: &str, column_type: ColumnType, nullable: bool) -> Column {
    Column {
        name: name.to_string(),
        column_type,
        nullable,
        identifier: false,
    }
}

fn schema(columns: &[(&str, ColumnType, bool)]) -> Schema {
    Schema {
        columns: columns
            .iter()
            .map(|&(n, t, null)| column(n, t, null))
            .collect(),
    }
}

/// penguins-raw.csv
fn penguins_raw() -> Schema {
    schema(&[
        ("studyName", Utf8, false),
        ("Sample Number", Int64, false),
        ("Species", Utf8, false),
        ("Region", Utf8, false),
        ("Island", Utf8, false),
        ("Stage", Utf8, false),
        ("Individual ID", Utf8, false),
        ("Clutch Completion", Utf8, false),
        ("Date Egg", Date, false),
        ("Culmen Length (mm)", Float64, true),
        ("Culmen Depth (mm)", Float64, true),
        ("Flipper Length (mm)", Int64, true),
        ("Body Mass (g)", Int64, true),
        ("Sex", Utf8, true),
        ("Delta 15 N (o/oo)", Float64, true),
        ("Delta 13 C (o/oo)", Float64, true),
        ("Comments", Utf8, true),
    ])
}

/// penguins.csv
fn penguins() -> Schema {
    schema(&[
        ("species", Utf8, false),
        ("island", Utf8, false),
        ("bill_length_mm", Float64, true),
        ("bill_depth_mm", Float64, true),
        ("flipper_length_mm", Int64, true),
        ("body_mass_g", Int64, true),
        ("sex", Utf8, true),
        ("year", Int64, false),
    ])
}

/// seattle-weather.csv
fn seattle() -> Schema {
    schema(&[
        ("date", Date, false),
        ("precipitation", Float64, false),
        ("temp_max", Float64, false),
        ("temp_min", Float64, false),
        ("wind", Float64, false),
        ("weather", Utf8, false),
    ])
}

/// stocks.csv
fn stocks() -> Schema {
    schema(&[
        ("symbol", Utf8, false),
        ("date", Utf8, false),
        ("price", Float64, false),
    ])
}

/// airports.csv
fn airports() -> Schema {
    schema(&[
        ("iata", Utf8, false),
        ("name", Utf8, false),
        ("city", Utf8, false),
        ("state", Utf8, true),
        ("country", Utf8, false),
        ("latitude", Float64, false),
        ("longitude", Float64, false),
    ])
}

/// Owns the sample schemas so that versions can borrow them.
struct Samples {
    penguins: Schema,
    raw: Schema,
    seattle: Schema,
    stocks: Schema,
    airports: Schema,
}

impl Samples {
    fn new() -> Self {
        Samples {
            penguins: penguins(),
            raw: penguins_raw(),
            seattle: seattle(),
            stocks: stocks(),
            airports: airports(),
        }
    }

    /// One version holding all five sample tables.
    fn all_tables(&self) -> VersionSchemas<'_> {
        VersionSchemas {
            number: 1,
            hash_hex: "aa",
            tables: vec![
                table("table_0", "penguins", &self.penguins),
                table("table_1", "penguins-raw", &self.raw),
                table("table_2", "seattle-weather", &self.seattle),
                table("table_3", "stocks", &self.stocks),
                table("table_4", "airports", &self.airports),
            ],
        }
    }

    /// The real history of the penguins dataset: the raw upload (v1), then the clean one
    /// (v2) in its place, with the same stable table id.
    fn penguins_history(&self) -> Vec<VersionSchemas<'_>> {
        vec![
            VersionSchemas {
                number: 1,
                hash_hex: "11",
                tables: vec![table("table_0", "penguins-raw", &self.raw)],
            },
            VersionSchemas {
                number: 2,
                hash_hex: "22",
                tables: vec![table("table_0", "penguins", &self.penguins)],
            },
        ]
    }
}

fn table<'a>(id: &'a str, name: &'a str, schema: &'a Schema) -> TableRef<'a> {
    TableRef {
        table_id: id,
        display_name: name,
        schema,
    }
}

fn sql(text: &str) -> Query {
    Query::sql(text).unwrap_or_else(|e| panic!("{text}\n{e}"))
}

fn plan(json: &str) -> Query {
    Query::plan_json(json).unwrap_or_else(|e| panic!("{json}\n{e}"))
}

/// Findings of a query against the all-tables version.
fn check(query: &Query) -> Vec<Finding> {
    let samples = Samples::new();
    let version = samples.all_tables();
    validate(
        query,
        &version,
        std::slice::from_ref(&version),
        &ValidateOptions::default(),
    )
}

fn check_sql(text: &str) -> Vec<Finding> {
    check(&sql(text))
}

fn at(line: u64, column: u64) -> Location {
    Location::Sql { line, column }
}

fn path(path: &str) -> Location {
    Location::Plan {
        path: path.to_string(),
    }
}

fn only(findings: Vec<Finding>) -> Finding {
    assert_eq!(
        findings.len(),
        1,
        "expected exactly one finding: {findings:#?}"
    );
    findings.into_iter().next().unwrap()
}

fn assert_clean(text: &str) {
    let findings = check_sql(text);
    assert!(findings.is_empty(), "{text}\n{findings:#?}");
}

// ---- plans: each finding kind, located by field path ---------------------------------------

#[test]
fn plan_unknown_table_is_reported_at_the_table_field_with_the_closest_name() {
    let finding = only(check(&plan(
        r#"{"table": "pengiuns", "metrics": [{"column": "*", "aggregate": "count"}]}"#,
    )));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
    assert_eq!(finding.location, path("table"));
    assert_eq!(finding.reference, "pengiuns");
    let suggestion = finding.suggestion.expect("a suggestion");
    assert_eq!(suggestion.closest_name.as_deref(), Some("penguins"));
}

#[test]
fn plan_unknown_column_is_reported_at_its_field_path_with_the_closest_name() {
    let json = r#"{"table": "penguins",
        "metrics": [{"column": "body_mass_g", "aggregate": "avg"}],
        "group_by": ["species"],
        "filters": [{"column": "year", "op": "eq", "value": 2008},
                    {"column": "bill_lenght_mm", "op": "gt", "value": 40}]}"#;
    let finding = only(check(&plan(json)));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, path("filters[1].column"));
    assert_eq!(finding.reference, "bill_lenght_mm");
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("bill_length_mm")
    );
}

#[test]
fn plan_column_gone_from_the_version_names_the_last_version_that_had_it() {
    let samples = Samples::new();
    let history = samples.penguins_history();
    let query = plan(
        r#"{"table": "penguins", "metrics": [{"column": "Culmen Length (mm)", "aggregate": "avg"}]}"#,
    );
    let finding = only(validate(
        &query,
        &history[1],
        &history,
        &ValidateOptions::default(),
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, path("metrics[0].column"));
    assert_eq!(finding.suggestion.unwrap().last_seen_in_version, Some(1));
    assert!(
        finding.message.contains("last present in version 1"),
        "{}",
        finding.message
    );
}

#[test]
fn plan_column_matching_only_case_variants_is_ambiguous() {
    let two_sexes = schema(&[("Sex", Utf8, true), ("sex", Utf8, true)]);
    let version = VersionSchemas {
        number: 1,
        hash_hex: "",
        tables: vec![table("table_0", "t", &two_sexes)],
    };
    let query = plan(r#"{"table": "t", "group_by": ["sex", "SEX"]}"#);
    let finding = only(validate(&query, &version, &[], &ValidateOptions::default()));
    assert_eq!(finding.kind, FindingKind::AmbiguousColumn);
    assert_eq!(finding.location, path("group_by[1]"));
}

#[test]
fn plan_average_of_a_text_column_is_a_type_mismatch_at_the_aggregate() {
    let query =
        plan(r#"{"table": "penguins", "metrics": [{"column": "species", "aggregate": "avg"}]}"#);
    let finding = only(check(&query));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
    assert_eq!(finding.location, path("metrics[0].aggregate"));
    assert_eq!(finding.reference, "avg(species)");
}

#[test]
fn plan_filter_values_are_checked_against_the_column_type_item_by_item() {
    let json = r#"{"table": "seattle-weather", "filters": [
        {"column": "date", "op": "between", "value": ["2012-01-01", 2013]},
        {"column": "weather", "op": "in", "value": ["rain", "snow"]},
        {"column": "temp_max", "op": "gt", "value": "hot"},
        {"column": "weather", "op": "contains", "value": "ra"},
        {"column": "wind", "op": "is_null"}]}"#;
    let findings = check(&plan(json));
    let locations: Vec<_> = findings.iter().map(|f| f.location.clone()).collect();
    assert_eq!(
        locations,
        vec![path("filters[0].value[1]"), path("filters[2].value")]
    );
    assert!(findings.iter().all(|f| f.kind == FindingKind::TypeMismatch));
}

#[test]
fn plan_valid_analysis_has_no_findings() {
    let json = r#"{"table": "table_0",
        "metrics": [{"column": "*", "aggregate": "count"}, {"column": "body_mass_g", "aggregate": "median"},
                    {"column": "Species", "aggregate": "count_distinct"}],
        "group_by": ["island", "sex"],
        "filters": [{"column": "year", "op": "in", "value": [2007, "2008"]},
                    {"column": "sex", "op": "is_not_null"}]}"#;
    let findings = check(&plan(json));
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn plan_json_with_a_wrong_shape_is_an_error_naming_the_field() {
    let cases = [
        (
            r#"{"table": "penguins", "metrics": [{"column": "x", "aggregate": "total"}]}"#,
            "metrics[0].aggregate",
            "total",
        ),
        (
            r#"{"table": "penguins", "filters": [{"column": "x", "value": 1}]}"#,
            "filters[0]",
            "op",
        ),
        (
            r#"{"table": "penguins", "filters": {}}"#,
            "filters",
            "sequence",
        ),
        (
            r#"{"table": "penguins", "group_by": ["a", 3]}"#,
            "group_by[1]",
            "string",
        ),
        (
            r#"{"table": "penguins", "metric": []}"#,
            "metric",
            "unknown field",
        ),
        (r#"{"metrics": []}"#, ".", "table"),
        (
            r#"{"table": "penguins", "filters": [{"column": "x", "op": "between", "value": [1]}]}"#,
            "filters[0].value",
            "between",
        ),
        (
            r#"{"table": "penguins", "metrics": [{"column": "*", "aggregate": "sum"}]}"#,
            "metrics[0].column",
            "counted",
        ),
    ];
    for (json, expected_path, expected_words) in cases {
        match Query::plan_json(json) {
            Err(QueryError::Plan(error)) => {
                assert_eq!(error.path, expected_path, "{json}: {error}");
                assert!(error.message.contains(expected_words), "{json}: {error}");
            }
            other => panic!("{json}: expected a plan error, got {other:?}"),
        }
    }
}

#[test]
fn plan_json_syntax_errors_carry_line_and_column() {
    let Err(QueryError::Plan(error)) =
        Query::plan_json("{\"table\": \"penguins\",\n  \"metrics\": [,]}")
    else {
        panic!("expected a plan error");
    };
    assert_eq!(error.line, Some(2));
    assert!(error.column.is_some());
}

#[test]
fn plans_round_trip_through_json() {
    let json = r#"{"table":"penguins","metrics":[{"column":"body_mass_g","aggregate":"count_distinct"}],"group_by":["species"],"filters":[{"column":"year","op":"is_not_null","value":null}]}"#;
    let parsed = QueryPlan::from_json(json).unwrap();
    assert_eq!(parsed.to_json(), json);
}

// ---- SQL: each finding kind, located by line and column -------------------------------------

#[test]
fn sql_unknown_table_is_reported_at_its_name_with_the_closest_name() {
    let finding = only(check_sql("SELECT species\nFROM pengiuns"));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
    assert_eq!(finding.location, at(2, 6));
    assert_eq!(finding.reference, "pengiuns");
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("penguins")
    );
}

#[test]
fn sql_unknown_column_is_reported_at_its_position_with_the_closest_name() {
    let text = "SELECT species,\n       AVG(p.bill_lenght_mm)\nFROM penguins p\nGROUP BY species";
    let finding = only(check_sql(text));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(2, 12));
    assert_eq!(finding.reference, "p.bill_lenght_mm");
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("bill_length_mm")
    );
}

#[test]
fn sql_column_gone_from_the_version_names_the_last_version_that_had_it() {
    let samples = Samples::new();
    let history = samples.penguins_history();
    let query = sql("SELECT species, \"Culmen Length (mm)\" FROM penguins");
    let finding = only(validate(
        &query,
        &history[1],
        &history,
        &ValidateOptions::default(),
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(1, 17));
    assert_eq!(finding.reference, "\"Culmen Length (mm)\"");
    let suggestion = finding.suggestion.unwrap();
    assert_eq!(suggestion.last_seen_in_version, Some(1));
    assert_eq!(suggestion.closest_name, None);
}

#[test]
fn sql_unqualified_column_present_in_two_joined_tables_is_ambiguous() {
    let text =
        "SELECT symbol, date\nFROM stocks s JOIN \"seattle-weather\" w ON s.price > w.temp_max";
    let finding = only(check_sql(text));
    assert_eq!(finding.kind, FindingKind::AmbiguousColumn);
    assert_eq!(finding.location, at(1, 16));
    assert!(finding.message.contains("s, w"), "{}", finding.message);
}

#[test]
fn sql_sum_of_a_text_column_is_a_type_mismatch_at_the_function() {
    let finding = only(check_sql(
        "SELECT island,\n  SUM(species) FROM penguins GROUP BY island",
    ));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
    assert_eq!(finding.location, at(2, 3));
    assert_eq!(finding.reference, "SUM(species)");
}

#[test]
fn sql_average_of_a_date_column_is_a_type_mismatch() {
    let finding = only(check_sql("SELECT AVG(date) FROM \"seattle-weather\""));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
}

#[test]
fn sql_date_column_compared_with_a_number_is_a_type_mismatch_at_the_column() {
    let finding = only(check_sql(
        "SELECT * FROM \"seattle-weather\"\nWHERE 2012 < date",
    ));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
    assert_eq!(finding.location, at(2, 14));
    assert_eq!(finding.reference, "2012 < date");
}

#[test]
fn sql_numeric_column_compared_with_a_word_is_a_type_mismatch() {
    let findings =
        check_sql("SELECT * FROM penguins WHERE body_mass_g = 'heavy' OR year IN (2007, 'late')");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings.iter().all(|f| f.kind == FindingKind::TypeMismatch));
    assert_eq!(findings[0].location, at(1, 30));
    assert_eq!(findings[1].location, at(1, 55));
}

#[test]
fn sql_boolean_column_compared_with_a_number_is_a_type_mismatch() {
    let flags = schema(&[("id", Int64, false), ("active", Boolean, false)]);
    let version = VersionSchemas {
        number: 1,
        hash_hex: "",
        tables: vec![table("table_0", "flags", &flags)],
    };
    let query = sql("SELECT id FROM flags WHERE active = 1 OR active = TRUE OR active = 't'");
    let finding = only(validate(&query, &version, &[], &ValidateOptions::default()));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
    assert_eq!(finding.location, at(1, 28));
}

#[test]
fn sql_text_column_compared_with_a_number_or_date_literal_is_a_type_mismatch() {
    let findings = check_sql("SELECT * FROM stocks WHERE symbol = 3 OR date > DATE '2005-01-01'");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings.iter().all(|f| f.kind == FindingKind::TypeMismatch));
}

#[test]
fn sql_type_mismatches_are_found_through_aliases_and_aggregates() {
    let text = "WITH s AS (SELECT species, AVG(body_mass_g) AS mean_mass FROM penguins GROUP BY species)\n\
                SELECT species FROM s WHERE mean_mass > 'heavy' AND species = 1";
    let findings = check_sql(text);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(findings[0].location, at(2, 29));
    assert_eq!(findings[1].location, at(2, 53));
}

#[test]
fn sql_double_quoted_string_value_is_an_unknown_column_with_a_quoting_hint() {
    let finding = only(check_sql(
        "SELECT * FROM penguins WHERE species = \"Adelie\"",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert!(
        finding.message.contains("single quotes"),
        "{}",
        finding.message
    );
}

#[test]
fn sql_unknown_qualifier_is_an_unknown_table_at_the_qualifier() {
    let finding = only(check_sql("SELECT q.species FROM penguins p"));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
    assert_eq!(finding.location, at(1, 8));
    assert_eq!(finding.reference, "q");
}

#[test]
fn sql_unknown_qualifier_of_a_three_part_name_is_located_at_that_qualifier() {
    let finding = only(check_sql(
        "SELECT p.species, p.island.species FROM penguins p",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
    assert_eq!(finding.reference, "island");
    assert_eq!(finding.location, at(1, 21), "at `island`, not at `p`");
    let spaced = only(check_sql(
        "SELECT p.species,\n  p .\n  \"Isle\" . species FROM penguins p",
    ));
    assert_eq!(spaced.reference, "\"Isle\"");
    assert_eq!(spaced.location, at(3, 3));
}

#[test]
fn sql_unknown_single_quoted_or_placeholder_qualifier_of_a_wildcard_is_located_at_it() {
    // The parser records no position for a single-quoted part of `q.*`, nor a placeholder.
    let finding = only(check_sql("SELECT p.'isle'.* FROM penguins p"));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
    assert_eq!(finding.reference, "p.'isle'");
    assert_eq!(finding.location, at(1, 10), "at `'isle'`, not at line 0");
    let spaced = only(check_sql(
        "SELECT *,\n  p . /* a comment */\n   'isle' . * FROM penguins p",
    ));
    assert_eq!(spaced.location, at(3, 4));
    let alone = only(check_sql("SELECT 'isle'.* FROM penguins p"));
    assert_eq!(alone.location, at(1, 8));
    // A placeholder as the qualifier has no span either.
    let placeholder = only(check_sql("SELECT p.  $ .* FROM penguins p"));
    assert_eq!(placeholder.reference, "p.$");
    assert_eq!(placeholder.location, at(1, 12));
}

#[test]
fn sql_unknown_table_does_not_cascade_into_unknown_columns() {
    let finding = only(check_sql(
        "SELECT x.a, b, c FROM missing_table x WHERE d > 3",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
}

#[test]
fn findings_serialize_to_json_with_kind_location_and_suggestion() {
    let finding = only(check_sql("SELECT bill_lenght_mm FROM penguins"));
    let json = serde_json::to_value(&finding).unwrap();
    assert_eq!(json["kind"], "unknown_column");
    assert_eq!(json["severity"], "warning");
    assert_eq!(
        json["location"],
        serde_json::json!({"in": "sql", "line": 1, "column": 8})
    );
    assert_eq!(json["suggestion"]["closest_name"], "bill_length_mm");
}

// ---- changed types since a baseline version --------------------------------------------------

/// v1: year as text; v2: year as Int64 and body_mass_g as Float64.
fn changed_history_schemas() -> (Schema, Schema) {
    let mut old = penguins();
    old.columns[7].column_type = Utf8;
    old.columns[5].column_type = Int64;
    let mut new = penguins();
    new.columns[5].column_type = Float64;
    (old, new)
}

#[test]
fn sql_column_whose_type_changed_since_the_baseline_is_reported_once() {
    let (old, new) = changed_history_schemas();
    let history = vec![
        VersionSchemas {
            number: 1,
            hash_hex: "",
            tables: vec![table("table_0", "penguins", &old)],
        },
        VersionSchemas {
            number: 2,
            hash_hex: "",
            tables: vec![table("table_0", "penguins", &new)],
        },
    ];
    let query = sql("SELECT species, year\nFROM penguins\nWHERE year > 2007 AND species = 'Adelie'\nORDER BY year");
    let options = ValidateOptions {
        strict: false,
        since: Some(1),
    };
    let finding = only(validate(&query, &history[1], &history, &options));
    assert_eq!(finding.kind, FindingKind::ChangedType);
    assert_eq!(finding.location, at(1, 17));
    assert!(
        finding
            .message
            .contains("Utf8 in version 1 and is Int64 in version 2"),
        "{}",
        finding.message
    );
    assert!(validate(&query, &history[1], &history, &ValidateOptions::default()).is_empty());
}

#[test]
fn plan_column_whose_type_changed_since_the_baseline_is_reported_at_its_field() {
    let (old, new) = changed_history_schemas();
    let history = vec![
        VersionSchemas {
            number: 1,
            hash_hex: "",
            tables: vec![table("table_0", "penguins", &old)],
        },
        VersionSchemas {
            number: 2,
            hash_hex: "",
            tables: vec![table("table_0", "penguins", &new)],
        },
    ];
    let query = plan(
        r#"{"table": "penguins", "metrics": [{"column": "body_mass_g", "aggregate": "avg"}]}"#,
    );
    let options = ValidateOptions {
        strict: false,
        since: Some(1),
    };
    let finding = only(validate(&query, &history[1], &history, &options));
    assert_eq!(finding.kind, FindingKind::ChangedType);
    assert_eq!(finding.location, path("metrics[0].column"));
}

#[test]
fn strict_option_turns_findings_into_errors() {
    let samples = Samples::new();
    let version = samples.all_tables();
    let query = sql("SELECT nope FROM penguins");
    let relaxed = validate(&query, &version, &[], &ValidateOptions::default());
    let strict = validate(
        &query,
        &version,
        &[],
        &ValidateOptions {
            strict: true,
            since: None,
        },
    );
    assert_eq!(only(relaxed).severity, Severity::Warning);
    assert_eq!(only(strict).severity, Severity::Error);
}

// ---- SQL name resolution ---------------------------------------------------------------------

#[test]
fn table_aliases_resolve_and_a_wrong_column_behind_an_alias_is_reported() {
    assert_clean("SELECT p.species, P.island FROM penguins AS p WHERE p.year = 2008");
    let finding = only(check_sql("SELECT p.species, p.weight FROM penguins AS p"));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(1, 19));
}

#[test]
fn table_names_match_display_name_or_id_case_insensitively() {
    assert_clean("SELECT species FROM PENGUINS");
    assert_clean("SELECT \"Species\" FROM TABLE_1");
    assert_clean("SELECT penguins.species FROM penguins");
    assert_clean("SELECT SPECIES, Island FROM penguins");
}

#[test]
fn joins_across_two_tables_resolve_qualified_and_unqualified_columns() {
    assert_clean(
        "SELECT p.species, r.\"Stage\", body_mass_g, \"Date Egg\"\n\
         FROM penguins p JOIN \"penguins-raw\" r ON p.island = r.\"Island\" AND p.year = r.\"Sample Number\"",
    );
    let finding = only(check_sql(
        "SELECT p.species FROM penguins p JOIN \"penguins-raw\" r ON p.island = r.island_name",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(1, 70));
}

#[test]
fn using_join_columns_are_not_ambiguous_and_must_exist_on_both_sides() {
    assert_clean("SELECT date, price, temp_max FROM stocks JOIN \"seattle-weather\" USING (date)");
    let finding = only(check_sql(
        "SELECT symbol FROM stocks JOIN airports USING (state)",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(1, 48));
}

#[test]
fn cte_output_columns_form_a_derived_table() {
    assert_clean(
        "WITH heavy AS (SELECT species, body_mass_g AS mass FROM penguins WHERE body_mass_g > 5000)\n\
         SELECT species, mass FROM heavy WHERE mass > 5500",
    );
    let finding = only(check_sql(
        "WITH heavy AS (SELECT species, body_mass_g AS mass FROM penguins)\nSELECT species, body_mass_g FROM heavy",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(2, 17));
    assert_eq!(finding.suggestion, None);
}

#[test]
fn cte_column_lists_rename_the_output_and_ctes_see_earlier_ctes() {
    assert_clean(
        "WITH a(s, m) AS (SELECT species, body_mass_g FROM penguins),\n\
         b AS (SELECT s, m * 2 AS double_mass FROM a)\n\
         SELECT s, double_mass FROM b",
    );
    let finding = only(check_sql(
        "WITH a(s) AS (SELECT species FROM penguins) SELECT species FROM a",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
}

#[test]
fn cte_names_shadow_tables_and_unknown_ones_are_suggested() {
    assert_clean("WITH penguins AS (SELECT 'x' AS label) SELECT label FROM penguins");
    let finding = only(check_sql(
        "WITH summary AS (SELECT species FROM penguins) SELECT species FROM sumary",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("summary")
    );
}

#[test]
fn derived_tables_expose_their_output_columns() {
    assert_clean("SELECT t.species, t.n FROM (SELECT species, COUNT(*) AS n FROM penguins GROUP BY species) t");
    let finding = only(check_sql(
        "SELECT t.island FROM (SELECT species FROM penguins) t",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(1, 8));
}

#[test]
fn derived_table_with_unnamed_expressions_stays_silent_about_missing_names() {
    assert_clean("SELECT t.avg FROM (SELECT AVG(body_mass_g) FROM penguins) t");
}

#[test]
fn correlated_subqueries_resolve_outer_references() {
    assert_clean(
        "SELECT p.species FROM penguins p\n\
         WHERE p.body_mass_g > (SELECT AVG(q.body_mass_g) FROM penguins q WHERE q.species = p.species)\n\
         AND EXISTS (SELECT 1 FROM \"penguins-raw\" r WHERE r.\"Island\" = island)\n\
         AND p.island IN (SELECT \"Island\" FROM \"penguins-raw\" WHERE \"Sample Number\" = p.year)",
    );
    let finding = only(check_sql(
        "SELECT p.species FROM penguins p\nWHERE EXISTS (SELECT 1 FROM airports a WHERE a.city = p.town)",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(2, 55));
}

#[test]
fn in_subquery_output_type_is_compared_with_the_tested_column() {
    let finding = only(check_sql("SELECT * FROM \"seattle-weather\" WHERE date IN (SELECT precipitation FROM \"seattle-weather\")"));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
}

#[test]
fn select_star_exposes_every_column_to_the_outer_query() {
    assert_clean(
        "SELECT t.\"Body Mass (g)\", t.\"Comments\" FROM (SELECT * FROM \"penguins-raw\") t",
    );
    assert_clean("SELECT * FROM penguins p, airports a WHERE p.island = a.city");
    let finding = only(check_sql(
        "SELECT t.body_mass FROM (SELECT * FROM penguins) t",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("body_mass_g")
    );
}

#[test]
fn qualified_star_expands_only_its_table() {
    assert_clean(
        "SELECT x.species, x.iata FROM (SELECT p.*, a.iata FROM penguins p, airports a) x",
    );
    let finding = only(check_sql(
        "SELECT x.city FROM (SELECT p.* FROM penguins p, airports a) x",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    let finding = only(check_sql("SELECT z.* FROM penguins p"));
    assert_eq!(finding.kind, FindingKind::UnknownTable);
}

#[test]
fn union_branches_are_each_validated_and_order_by_sees_the_output_names() {
    assert_clean(
        "SELECT species AS name, body_mass_g AS mass FROM penguins\n\
         UNION ALL\n\
         SELECT \"Species\", \"Body Mass (g)\" FROM \"penguins-raw\"\n\
         ORDER BY mass DESC",
    );
    let finding = only(check_sql(
        "SELECT species FROM penguins\nUNION\nSELECT \"Specie\" FROM \"penguins-raw\"",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.location, at(3, 8));
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("Species")
    );
    let finding = only(check_sql(
        "SELECT species FROM penguins UNION SELECT city FROM airports ORDER BY town",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
}

#[test]
fn order_by_resolves_output_aliases() {
    assert_clean("SELECT species, AVG(body_mass_g) AS mean_mass FROM penguins GROUP BY species ORDER BY mean_mass");
    let finding = only(check_sql("SELECT species AS s FROM penguins ORDER BY t"));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(
        finding.suggestion.unwrap().closest_name.as_deref(),
        Some("s")
    );
}

#[test]
fn order_by_prefers_output_columns_over_ambiguous_input_columns() {
    assert_clean(
        "SELECT a.species FROM penguins a JOIN penguins b ON a.year = b.year ORDER BY species",
    );
    let finding = only(check_sql(
        "SELECT a.island FROM penguins a JOIN penguins b ON a.year = b.year ORDER BY species",
    ));
    assert_eq!(finding.kind, FindingKind::AmbiguousColumn);
    let finding = only(check_sql(
        "SELECT species, COUNT(*) FROM penguins GROUP BY species ORDER BY specis",
    ));
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
}

#[test]
fn having_resolves_aggregate_aliases_with_their_types() {
    assert_clean("SELECT island, COUNT(*) AS n FROM penguins GROUP BY island HAVING n > 20");
    let finding = only(check_sql(
        "SELECT island, COUNT(*) AS n FROM penguins GROUP BY island HAVING n > 'many'",
    ));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
}

// ---- what is deliberately left alone ---------------------------------------------------------

#[test]
fn constructs_that_are_not_modelled_produce_no_findings() {
    let texts = [
        "SELECT g.x FROM generate_series(1, 10) AS g(x)",
        "SELECT value FROM penguins, UNNEST([1, 2]) AS value",
        "SELECT species, CURRENT_DATE, CURRENT_TIMESTAMP FROM penguins",
        "SELECT DATEADD(day, 1, date) FROM \"seattle-weather\"",
        "SELECT list_transform([1, 2], x -> x + 1)",
        "SELECT penguins FROM penguins",
        "SELECT some_function(species, body_mass_g) = 3 FROM penguins",
        "SELECT * FROM penguins p JOIN (airports a JOIN stocks s ON a.iata = s.symbol) AS j ON true WHERE j.iata = 'x'",
    ];
    for text in texts {
        assert_clean(text);
    }
}

// ---- the sample corpus -----------------------------------------------------------------------

fn valid_queries() -> Vec<String> {
    let text = include_str!("data/queries/valid.sql");
    let without_comments: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn realistic_sample_queries_produce_no_findings() {
    let queries = valid_queries();
    assert!(queries.len() >= 30, "only {} queries", queries.len());
    for text in &queries {
        assert_clean(text);
    }
}

// ---- compatibility across history ------------------------------------------------------------

#[test]
fn compatibility_matrix_over_penguins_raw_then_clean() {
    let samples = Samples::new();
    let history = samples.penguins_history();
    let options = ValidateOptions::default();
    let runnable = |text: &str| -> Vec<(u64, bool)> {
        compatibility_matrix(&sql(text), &history, &options)
            .iter()
            .map(|v| (v.number, v.runnable))
            .collect()
    };
    assert_eq!(
        runnable("SELECT species, AVG(body_mass_g) FROM penguins GROUP BY species"),
        vec![(1, false), (2, true)]
    );
    assert_eq!(
        runnable("SELECT \"Species\", AVG(\"Body Mass (g)\") FROM table_0 GROUP BY \"Species\""),
        vec![(1, true), (2, false)]
    );
    // Same table id in both versions: only the column decides.
    assert_eq!(
        runnable("SELECT AVG(body_mass_g) FROM table_0"),
        vec![(1, false), (2, true)]
    );
    let matrix = compatibility_matrix(
        &sql("SELECT AVG(body_mass_g) FROM table_0"),
        &history,
        &options,
    );
    let finding = &matrix[0].findings[0];
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(
        finding.suggestion.as_ref().unwrap().last_seen_in_version,
        Some(2)
    );
    assert_eq!(matrix[1].hash_hex, "22");
}

#[test]
fn changed_types_alone_do_not_make_a_version_unrunnable() {
    let (old, new) = changed_history_schemas();
    let history = vec![
        VersionSchemas {
            number: 1,
            hash_hex: "",
            tables: vec![table("table_0", "penguins", &old)],
        },
        VersionSchemas {
            number: 2,
            hash_hex: "",
            tables: vec![table("table_0", "penguins", &new)],
        },
    ];
    let options = ValidateOptions {
        strict: false,
        since: Some(1),
    };
    let matrix = compatibility_matrix(
        &sql("SELECT MAX(body_mass_g) FROM penguins"),
        &history,
        &options,
    );
    assert!(matrix.iter().all(|v| v.runnable));
    assert_eq!(matrix[1].findings[0].kind, FindingKind::ChangedType);
}

#[test]
fn breaking_queries_lists_the_saved_queries_a_rollback_would_break() {
    let samples = Samples::new();
    let history = samples.penguins_history();
    let saved = vec![
        (
            "mass by species",
            sql("SELECT species, AVG(body_mass_g) FROM table_0 GROUP BY species"),
        ),
        ("row count", sql("SELECT COUNT(*) FROM table_0")),
        (
            "plan",
            plan(
                r#"{"table": "table_0", "metrics": [{"column": "flipper_length_mm", "aggregate": "max"}]}"#,
            ),
        ),
    ];
    let broken = breaking_queries(&saved, &history[0], &history, &ValidateOptions::default());
    let names: Vec<&str> = broken.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, vec!["mass by species", "plan"]);
    // `species` still matches `Species` case-insensitively; `body_mass_g` does not exist.
    let finding = only(broken[0].findings.clone());
    assert_eq!(finding.kind, FindingKind::UnknownColumn);
    assert_eq!(finding.reference, "body_mass_g");
    assert_eq!(finding.suggestion.unwrap().last_seen_in_version, Some(2));
}

// ---- parsing -----------------------------------------------------------------------------------

#[test]
fn sql_that_does_not_parse_is_an_error_with_line_and_column() {
    let Err(QueryError::Sql(error)) =
        Query::sql("SELECT species,\n  AVG(body_mass_g\nFROM penguins")
    else {
        panic!("expected an SQL error");
    };
    assert_eq!((error.line, error.column), (Some(3), Some(1)), "{error}");
    assert!(error.message.contains("Expected"), "{error}");
    let Err(QueryError::Sql(error)) = Query::sql("SELECT 'unterminated FROM penguins") else {
        panic!("expected an SQL error");
    };
    assert_eq!((error.line, error.column), (Some(1), Some(8)), "{error}");
}

#[test]
fn truncated_valid_queries_never_panic() {
    let samples = Samples::new();
    let version = samples.all_tables();
    for text in valid_queries() {
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &end in &boundaries {
            if let Ok(query) = SqlQuery::parse(&text[..end]) {
                validate(
                    &Query::Sql(query),
                    &version,
                    &[],
                    &ValidateOptions::default(),
                );
            }
        }
    }
}

#[test]
fn long_operator_chains_and_unions_do_not_overflow_the_stack() {
    // The parser builds these trees without recursion, so their depth is not limited.
    assert_clean(&format!(
        "SELECT species FROM penguins WHERE {}year = 2007",
        "year = 2007 OR ".repeat(5000)
    ));
    assert_clean(&format!(
        "SELECT {}body_mass_g FROM penguins",
        "body_mass_g + ".repeat(5000)
    ));
    assert_clean(&format!(
        "SELECT species FROM penguins{}",
        " UNION SELECT species FROM penguins".repeat(3000)
    ));
    let deep_typo = format!(
        "SELECT species FROM penguins WHERE yeer = 1{}",
        " OR year = 2007".repeat(5000)
    );
    let finding = only(check_sql(&deep_typo));
    assert_eq!(finding.location, at(1, 36));
}

#[test]
fn nesting_beyond_the_parser_limit_is_an_error_not_a_crash() {
    let text = format!(
        "SELECT {}1{} FROM penguins",
        "(".repeat(500),
        ")".repeat(500)
    );
    let Err(QueryError::Sql(error)) = Query::sql(&text) else {
        panic!("expected an SQL error");
    };
    assert!(error.message.contains("recursion limit"), "{error}");
}

// ---- generated SQL: text that parses, with names known and unknown -------------------------

/// Picks from `choices`, each as often as its weight. (Plain `select`s, not weighted unions:
/// nesting unions in the tuples below overflows the test thread's stack in debug builds.)
fn weighted(choices: &[(u32, &'static str)]) -> impl Strategy<Value = &'static str> {
    let repeated = choices
        .iter()
        .flat_map(|&(weight, choice)| std::iter::repeat_n(choice, weight as usize))
        .collect::<Vec<_>>();
    prop::sample::select(repeated)
}

/// A column name of `penguins` or `seattle-weather`, or (less often) one neither has.
fn any_column_name() -> impl Strategy<Value = &'static str> {
    weighted(&[
        (3, "species"),
        (3, "island"),
        (3, "body_mass_g"),
        (3, "year"),
        (3, "sex"),
        (2, "date"),
        (2, "temp_max"),
        (2, "weather"),
        (1, "speceis"),
        (1, "mass"),
        (1, "Island"),
    ])
}

/// A column reference: bare, or qualified by one of the generated aliases, another name, or
/// a three-part name whose middle part is no table.
fn any_column_ref() -> impl Strategy<Value = String> {
    let qualifier = weighted(&[(8, ""), (8, "p."), (2, "w."), (2, "x."), (1, "p.x.")]);
    (qualifier, any_column_name()).prop_map(|(qualifier, name)| format!("{qualifier}{name}"))
}

fn any_literal() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "1",
        "2007",
        "4.5",
        "'Adelie'",
        "DATE '2012-01-01'",
        "NULL",
    ])
}

/// A condition: comparisons, IN, BETWEEN, IS NULL, LIKE, combined with AND, OR and NOT.
fn any_condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (
            any_column_ref(),
            prop::sample::select(vec!["=", "<>", "<", ">="]),
            any_literal()
        )
            .prop_map(|(c, op, l)| format!("{c} {op} {l}")),
        (any_column_ref(), any_column_ref()).prop_map(|(a, b)| format!("{a} = {b}")),
        (any_column_ref(), any_literal(), any_literal())
            .prop_map(|(c, a, b)| format!("{c} IN ({a}, {b})")),
        (any_column_ref(), any_literal(), any_literal())
            .prop_map(|(c, a, b)| format!("{c} BETWEEN {a} AND {b}")),
        any_column_ref().prop_map(|c| format!("{c} IS NOT NULL")),
        any_column_ref().prop_map(|c| format!("{c} LIKE 'A%'")),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

/// An item of a SELECT list.
fn any_select_item() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any_column_ref(),
        1 => (prop::sample::select(vec!["COUNT", "AVG", "MIN", "MAX", "SUM"]), any_column_ref())
            .prop_map(|(f, c)| format!("{f}({c})")),
        1 => (any_column_ref(), any_literal()).prop_map(|(c, l)| format!("{c} + {l} AS total")),
        1 => Just("*".to_owned()),
        1 => Just("COUNT(*) AS n".to_owned()),
    ]
}

/// What a SELECT reads: a table (known or not) under alias `p`, optionally joined with
/// another under `w`, or a CTE `c`.
fn any_from() -> impl Strategy<Value = String> {
    let table = || weighted(&[(6, "penguins"), (2, "\"seattle-weather\""), (1, "penguinz")]);
    prop_oneof![
        table().prop_map(|t| format!("{t} p")),
        (table(), table(), any_column_ref(), any_column_ref())
            .prop_map(|(a, b, l, r)| format!("{a} AS p JOIN {b} AS w ON {l} = {r}")),
        (table(), table(), any_column_ref())
            .prop_map(|(a, b, l)| format!("{a} p LEFT JOIN {b} w ON {l} = w.date")),
    ]
}

/// One SELECT: items, FROM, and optionally WHERE, GROUP BY and a subquery in WHERE.
fn any_select() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(any_select_item(), 1..4),
        any_from(),
        prop::option::of(any_condition()),
        prop::option::of(any_column_ref()),
        prop::option::of(any_column_name()),
    )
        .prop_map(|(items, from, condition, group_by, in_subquery)| {
            let mut text = format!("SELECT {} FROM {from}", items.join(", "));
            let mut conditions: Vec<String> = condition.into_iter().collect();
            if let Some(name) = in_subquery {
                conditions.push(format!("{name} IN (SELECT {name} FROM penguins)"));
            }
            if !conditions.is_empty() {
                text += &format!(" WHERE {}", conditions.join(" AND "));
            }
            if let Some(column) = group_by {
                text += &format!(" GROUP BY {column}");
            }
            text
        })
}

/// A query: a SELECT, a UNION of two, or a SELECT over a CTE named `c`.
fn any_generated_query() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any_select(),
        1 => (any_select(), any_select()).prop_map(|(a, b)| format!("{a} UNION ALL {b}")),
        1 => (any_select(), prop::collection::vec(any_column_ref(), 1..3)).prop_map(
            |(inner, columns)| format!("WITH c AS ({inner}) SELECT {} FROM c", columns.join(", "))
        ),
    ]
}

/// Whether the text at a 1-based `column` of one-line `text` starts with `name`.
fn text_at_column_starts_with(text: &str, column: u64, name: &str) -> bool {
    let skip = column as usize - 1;
    let rest: String = text.chars().skip(skip).collect();
    rest.starts_with(name)
}

fn any_valid_query() -> impl Strategy<Value = String> {
    prop::sample::select(valid_queries())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_valid_queries_never_panic(
        text in any_valid_query(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
            "", "(", ")", "'", "\"", ",", " SELECT ", " FROM ", " WHERE ", " JOIN ", " ON ", ".", "*",
            " UNION ", " AS ", "x", " GROUP BY ", " (SELECT 1) ", "--", ";", " IN ", " BETWEEN ",
        ])), 1..4),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        for (index, insert) in edits {
            let at = index.index(chars.len() + 1);
            if insert.is_empty() && at < chars.len() {
                chars.remove(at);
            } else {
                chars.splice(at..at, insert.chars());
            }
        }
        let mutated: String = chars.into_iter().collect();
        let samples = Samples::new();
        let version = samples.all_tables();
        match SqlQuery::parse(&mutated) {
            Ok(query) => {
                validate(&Query::Sql(query), &version, std::slice::from_ref(&version), &ValidateOptions::default());
            }
            Err(error) => prop_assert!(!error.message.is_empty()),
        }
    }

    /// Generated from a grammar, so every text parses (unlike mutated or arbitrary text,
    /// which mostly does not): validation then never panics, every finding is located
    /// inside the text, and an unknown column's or table's finding points at the reference
    /// it names.
    #[test]
    fn generated_queries_parse_and_every_finding_is_located_inside_the_text(
        text in any_generated_query(),
    ) {
        let query = SqlQuery::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let samples = Samples::new();
        let version = samples.all_tables();
        let findings = validate(&Query::Sql(query), &version, std::slice::from_ref(&version), &ValidateOptions::default());
        let width = text.chars().count() as u64;
        for finding in &findings {
            let Location::Sql { line, column } = finding.location else {
                return Err(TestCaseError::fail(format!("not an SQL location: {finding:?}")));
            };
            prop_assert_eq!(line, 1, "{}: {:?}", text, finding);
            prop_assert!((1..=width).contains(&column), "{}: {:?}", text, finding);
            if matches!(finding.kind, FindingKind::UnknownColumn | FindingKind::UnknownTable) {
                prop_assert!(
                    text_at_column_starts_with(&text, column, &finding.reference),
                    "{}: column {} does not start {:?}: {:?}", text, column, finding.reference, finding
                );
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        if let Ok(query) = SqlQuery::parse(&text) {
            let samples = Samples::new();
            let version = samples.all_tables();
            validate(&Query::Sql(query), &version, &[], &ValidateOptions::default());
        }
    }
}
