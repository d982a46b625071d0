//! Query validation: a 50-line SQL query against a 200-column schema. Target: under 1 ms for
//! parsing and validating together.
//!
//! Run: `cargo bench --bench query -- --warm-up-time 1 --measurement-time 5`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use strata::query::{validate, Query, TableRef, ValidateOptions, VersionSchemas};
use strata::schema::{Column, ColumnType, Schema};

/// 200 columns cycling through the types: `c000` Int64, `c001` Float64, ...
fn wide_schema() -> Schema {
    let types = [
        ColumnType::Int64,
        ColumnType::Float64,
        ColumnType::Utf8,
        ColumnType::Date,
        ColumnType::Boolean,
    ];
    let columns = (0..200)
        .map(|i| Column {
            name: format!("c{i:03}"),
            column_type: types[i % types.len()],
            nullable: true,
            identifier: false,
        })
        .collect();
    Schema { columns }
}

/// A 50-line analysis query: a CTE, a join, filters, aggregates, grouping and ordering.
fn fifty_line_query() -> String {
    let mut lines = vec![
        "WITH recent AS (".to_owned(),
        "  SELECT c000, c001, c002, c003, c005, c006".to_owned(),
        "  FROM wide".to_owned(),
        "  WHERE c003 >= DATE '2020-01-01'".to_owned(),
        ")".to_owned(),
        "SELECT".to_owned(),
        "  w.c002,".to_owned(),
        "  r.c000,".to_owned(),
    ];
    for i in 0..30 {
        let col = i * 5 + 1; // Float64 columns
        lines.push(format!("  AVG(w.c{col:03}) AS avg_{i},"));
    }
    lines.extend([
        "  COUNT(*) AS n".to_owned(),
        "FROM wide AS w".to_owned(),
        "JOIN recent AS r ON r.c000 = w.c000".to_owned(),
        "WHERE w.c004 = TRUE".to_owned(),
        "  AND w.c010 > 5".to_owned(),
        "  AND w.c012 <> 'excluded'".to_owned(),
        "  AND w.c013 < DATE '2024-01-01'".to_owned(),
        "  AND w.c021 BETWEEN 0.5 AND 9.5".to_owned(),
        "GROUP BY w.c002, r.c000".to_owned(),
        "HAVING COUNT(*) > 10".to_owned(),
        "ORDER BY n DESC".to_owned(),
        "LIMIT 100".to_owned(),
    ]);
    assert_eq!(lines.len(), 50);
    lines.join("\n")
}

fn bench(c: &mut Criterion) {
    let schema = wide_schema();
    let version = VersionSchemas {
        number: 1,
        hash_hex: "00",
        tables: vec![TableRef {
            table_id: "table_0",
            display_name: "wide",
            schema: &schema,
        }],
    };
    let history = [version.clone()];
    let text = fifty_line_query();
    let options = ValidateOptions::default();
    let parsed = Query::sql(&text).unwrap();
    assert!(
        validate(&parsed, &version, &history, &options).is_empty(),
        "the bench query is valid"
    );
    c.bench_function(
        "validate_sql/50_lines_200_columns/parse_and_validate",
        |b| {
            b.iter(|| {
                let query = Query::sql(black_box(&text)).unwrap();
                black_box(validate(&query, &version, &history, &options))
            })
        },
    );
    c.bench_function("validate_sql/50_lines_200_columns/validate_parsed", |b| {
        b.iter(|| black_box(validate(black_box(&parsed), &version, &history, &options)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
