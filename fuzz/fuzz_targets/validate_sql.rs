//! Arbitrary text through the SQL path of query validation: parsing must never panic, and a
//! query that parses must validate (against a realistic version and history) without
//! panicking, with every finding located inside the text.
//!
//! Oracle: no panic, no unbounded recursion (the parser's depth limit and `recursive` keep the
//! stack bounded), and for each SQL finding `1 <= line <= lines in the text`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use strata::query::{validate, Location, Query, TableRef, ValidateOptions, VersionSchemas};
use strata::schema::{Column, ColumnType, Schema};

fn schema(columns: &[(&str, ColumnType)]) -> Schema {
    Schema {
        columns: columns
            .iter()
            .map(|(name, t)| Column { name: (*name).into(), column_type: *t, nullable: true, identifier: false })
            .collect(),
    }
}

/// penguins-raw (v1) and the cleaned penguins table (v2), as a dataset's history.
fn schemas() -> &'static (Schema, Schema, Schema) {
    static SCHEMAS: OnceLock<(Schema, Schema, Schema)> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        use ColumnType::*;
        let raw = schema(&[
            ("studyName", Utf8), ("Sample Number", Int64), ("Species", Utf8), ("Island", Utf8),
            ("Date Egg", Date), ("Culmen Length (mm)", Float64), ("Body Mass (g)", Int64), ("Sex", Utf8),
        ]);
        let clean = schema(&[
            ("species", Utf8), ("island", Utf8), ("bill_length_mm", Float64), ("body_mass_g", Int64),
            ("sex", Utf8), ("year", Int64),
        ]);
        let sites = schema(&[("island", Utf8), ("latitude", Float64), ("visited", Boolean), ("since", Timestamp)]);
        (raw, clean, sites)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(query) = Query::sql(text) else { return };
    let (raw, clean, sites) = schemas();
    let v1 = VersionSchemas {
        number: 1,
        hash_hex: "aa",
        tables: vec![TableRef { table_id: "table_0", display_name: "penguins", schema: raw }],
    };
    let v2 = VersionSchemas {
        number: 2,
        hash_hex: "bb",
        tables: vec![
            TableRef { table_id: "table_0", display_name: "penguins", schema: clean },
            TableRef { table_id: "table_1", display_name: "sites", schema: sites },
        ],
    };
    let history = [v1.clone(), v2.clone()];
    let lines = text.lines().count().max(1) as u64;
    for strict in [false, true] {
        let options = ValidateOptions { strict, since: Some(1) };
        for finding in validate(&query, &v2, &history, &options) {
            if let Location::Sql { line, .. } = finding.location {
                assert!(line >= 1 && line <= lines + 1, "finding at line {line} of {lines}: {finding:?}");
            }
        }
    }
});
