//! Schema drift and the drift policy over real public tables (see tests/data/README.md).

use std::path::PathBuf;
use strata::schema::{
    classify_drift, decide, scan_csv, ColumnType, DriftDecision, Schema, SchemaDrift,
    SchemaDriftPolicy,
};

fn scan_schema(bytes: &[u8]) -> Schema {
    scan_csv(bytes, "upload.csv", &mut |_: &[u8]| Ok(()))
        .unwrap()
        .schema
}

fn data(file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn schema_of(file: &str) -> Schema {
    scan_schema(&data(file))
}

fn version(tables: &[(&str, &Schema)]) -> Vec<(String, Schema)> {
    tables
        .iter()
        .map(|(name, schema)| (name.to_string(), (*schema).clone()))
        .collect()
}

/// penguins-raw.csv as version 1 and penguins.csv as version 2 of the table `penguins`.
fn penguins_raw_to_clean() -> SchemaDrift {
    let raw = schema_of("penguins-raw.csv");
    let clean = schema_of("penguins.csv");
    classify_drift(
        &version(&[("penguins", &raw)]),
        &version(&[("penguins", &clean)]),
    )
}

/// penguins.csv with a `visit` column appended to every row.
fn penguins_with_visit_column() -> Vec<u8> {
    let text = String::from_utf8(data("penguins.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{},visit\n", lines.next().unwrap());
    for line in lines {
        out.push_str(line);
        out.push_str(",1\n");
    }
    out.into_bytes()
}

#[test]
fn penguins_raw_to_clean_is_breaking_drift() {
    let drift = penguins_raw_to_clean();
    assert!(drift.is_breaking());
    assert!(!drift.is_additive_only());
    assert!(drift.added_tables.is_empty() && drift.removed_tables.is_empty());
    assert_eq!(drift.changed_tables.len(), 1);
    let table = &drift.changed_tables[0];
    assert_eq!(table.table, "penguins");
    assert!(
        table.type_changes.is_empty(),
        "no column name is shared exactly"
    );

    let removed: Vec<&str> = table
        .removed_columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let raw = schema_of("penguins-raw.csv");
    let all_raw: Vec<&str> = raw.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(removed, all_raw, "every raw column, in old-schema order");

    let added: Vec<(&str, ColumnType)> = table
        .added_columns
        .iter()
        .map(|c| (c.name.as_str(), c.column_type))
        .collect();
    use ColumnType::*;
    assert_eq!(
        added,
        [
            ("species", Utf8),
            ("island", Utf8),
            ("bill_length_mm", Float64),
            ("bill_depth_mm", Float64),
            ("flipper_length_mm", Int64),
            ("body_mass_g", Int64),
            ("sex", Utf8),
            ("year", Int64),
        ]
    );
}

#[test]
fn penguins_raw_to_clean_rename_candidates_match_names_not_meanings() {
    let drift = penguins_raw_to_clean();
    let candidates: Vec<(&str, &str, ColumnType)> = drift.changed_tables[0]
        .rename_candidates
        .iter()
        .map(|r| (r.from.as_str(), r.to.as_str(), r.column_type))
        .collect();
    use ColumnType::*;
    // `Culmen Length (mm)` → `bill_length_mm` is the same measurement under another word: a
    // name rule cannot see it, and it is (rightly) not proposed.
    assert_eq!(
        candidates,
        [
            ("Species", "species", Utf8),
            ("Island", "island", Utf8),
            ("Flipper Length (mm)", "flipper_length_mm", Int64),
            ("Body Mass (g)", "body_mass_g", Int64),
            ("Sex", "sex", Utf8),
        ]
    );
    assert!(drift.changed_tables[0]
        .rename_candidates
        .iter()
        .all(|r| r.similarity_permille == 1000));
}

#[test]
fn penguins_raw_to_clean_is_refused_by_default_and_accepted_with_a_reason() {
    let drift = penguins_raw_to_clean();
    let refused = decide(SchemaDriftPolicy::default(), &drift, None);
    let DriftDecision::Refuse { reason } = &refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert!(
        reason.contains("column `Culmen Length (mm)` (Float64) removed"),
        "{reason}"
    );
    assert!(
        reason.contains("`Island` (Utf8) may have been renamed to `island`"),
        "{reason}"
    );

    let accepted = decide(
        SchemaDriftPolicy::Reject,
        &drift,
        Some("cleaned export of the same study"),
    );
    let DriftDecision::Proceed {
        warnings,
        override_reason,
    } = accepted
    else {
        panic!("expected to proceed");
    };
    assert_eq!(
        override_reason.as_deref(),
        Some("cleaned export of the same study")
    );
    assert!(warnings.contains(&"table `penguins`: column `year` (Int64) added".to_string()));
    assert_eq!(warnings.len(), drift.describe().len());
}

#[test]
fn penguins_plus_one_column_is_additive_only() {
    let before = schema_of("penguins.csv");
    let after = scan_schema(&penguins_with_visit_column());
    let drift = classify_drift(
        &version(&[("penguins", &before)]),
        &version(&[("penguins", &after)]),
    );
    assert!(drift.is_additive_only());
    assert!(!drift.is_breaking());
    let table = &drift.changed_tables[0];
    assert_eq!(table.added_columns.len(), 1);
    assert_eq!(table.added_columns[0].name, "visit");
    assert_eq!(table.added_columns[0].column_type, ColumnType::Int64);
    assert!(table.removed_columns.is_empty() && table.type_changes.is_empty());
    for policy in [
        SchemaDriftPolicy::Reject,
        SchemaDriftPolicy::Warn,
        SchemaDriftPolicy::Allow,
    ] {
        assert_eq!(
            decide(policy, &drift, None),
            DriftDecision::Proceed {
                warnings: vec!["table `penguins`: column `visit` (Int64) added".to_string()],
                override_reason: None,
            },
            "{policy}"
        );
    }
}

#[test]
fn replacing_a_table_is_a_table_level_add_and_remove() {
    let penguins = schema_of("penguins.csv");
    let weather = schema_of("seattle-weather.csv");
    let stocks = schema_of("stocks.csv");
    let old = version(&[("penguins", &penguins), ("weather", &weather)]);
    let new = version(&[("stocks", &stocks), ("penguins", &penguins)]);
    let drift = classify_drift(&old, &new);
    assert_eq!(drift.added_tables, ["stocks"]);
    assert_eq!(drift.removed_tables, ["weather"]);
    assert!(drift.changed_tables.is_empty());
    assert!(drift.is_breaking());
    assert!(!decide(SchemaDriftPolicy::Reject, &drift, None).proceeds());
    assert!(decide(SchemaDriftPolicy::Warn, &drift, None).proceeds());
}

#[test]
fn adding_a_table_alone_is_additive_only() {
    let penguins = schema_of("penguins.csv");
    let airports = schema_of("airports.csv");
    let drift = classify_drift(
        &version(&[("penguins", &penguins)]),
        &version(&[("penguins", &penguins), ("airports", &airports)]),
    );
    assert!(drift.is_additive_only());
    assert_eq!(drift.additive_notices(), ["table `airports` added"]);
}

#[test]
fn reuploading_the_same_file_has_no_drift() {
    let raw = schema_of("penguins-raw.csv");
    let drift = classify_drift(
        &version(&[("penguins", &raw)]),
        &version(&[("penguins", &raw)]),
    );
    assert!(drift.is_empty());
    assert_eq!(
        decide(SchemaDriftPolicy::Reject, &drift, None),
        DriftDecision::Proceed {
            warnings: vec![],
            override_reason: None
        }
    );
}

#[test]
fn penguins_drift_round_trips_through_json() {
    let drift = penguins_raw_to_clean();
    let json = serde_json::to_string(&drift).unwrap();
    assert_eq!(serde_json::from_str::<SchemaDrift>(&json).unwrap(), drift);
}
