//! Query validation, each figure with the work it does named:
//!
//! - `validate_sql/50_lines_200_columns/*`: a 50-line SQL query with no findings against a
//!   200-column schema, one version (`parse_and_validate`: text to findings;
//!   `validate_parsed`: the parsed query). Target: under 1 ms for parsing and validating.
//! - `validate_sql/findings_50_versions/*`: the same query with findings (a misspelt column,
//!   a column removed in version 31, a type mismatch, a column whose type changed since
//!   version 1) against 50 versions of the table with drift (columns removed, added, a type
//!   changed): `active` validates against version 50 with the 49 others searched for
//!   suggestions, `all_versions` against each of the 50 (`compatibility_matrix`).
//! - `store_query/*_50_versions`: the same through a `Store` built in the bench by 50 uploads:
//!   `validate_query` (against the active version) and `query_compatibility` (what
//!   `strata check-query --all-versions` runs), both including the store's loading of every
//!   version's tables and schemas from the log.
//!
//! Run: `cargo bench --bench query -- --warm-up-time 1 --measurement-time 5`.

#[path = "support/dirs.rs"]
mod dirs;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use strata::query::{
    compatibility_matrix, validate, Finding, FindingKind, Query, TableRef, ValidateOptions,
    VersionSchemas,
};
use strata::schema::{Column, ColumnType, Schema, SchemaDriftPolicy};
use strata::{Store, UploadFile, UploadRequest, VersionRef};

/// The type of column `c<i>` in the 200-column table: Int64, Float64, Utf8, Date, Boolean,
/// in turn.
fn base_type(i: usize) -> ColumnType {
    const TYPES: [ColumnType; 5] = [
        ColumnType::Int64,
        ColumnType::Float64,
        ColumnType::Utf8,
        ColumnType::Date,
        ColumnType::Boolean,
    ];
    TYPES[i % TYPES.len()]
}

fn column(name: String, column_type: ColumnType) -> Column {
    Column {
        name,
        column_type,
        nullable: true,
        identifier: false,
    }
}

/// 200 columns cycling through the types: `c000` Int64, `c001` Float64, ...
fn wide_schema() -> Schema {
    let columns = (0..200)
        .map(|i| column(format!("c{i:03}"), base_type(i)))
        .collect();
    Schema { columns }
}

/// Versions in the drifting history.
const VERSIONS: u64 = 50;
/// From this version on, `c150` to `c159` are gone.
const REMOVED_FROM: u64 = 31;
/// From this version on, `c010` (Int64 before) holds decimals.
const RETYPED_FROM: u64 = 20;

/// The columns of `version` (1 to [`VERSIONS`]) of the drifting table: the 200 columns, with
/// `c150` to `c159` removed from version 31, `c010` a Float64 from version 20, and one more
/// column `added_<k>` every 5 versions.
fn drifting_columns(version: u64) -> Vec<(String, ColumnType)> {
    let mut columns: Vec<(String, ColumnType)> = (0..200)
        .filter(|i| version < REMOVED_FROM || !(150..160).contains(i))
        .map(|i| {
            let retyped = i == 10 && version >= RETYPED_FROM;
            let t = if retyped {
                ColumnType::Float64
            } else {
                base_type(i)
            };
            (format!("c{i:03}"), t)
        })
        .collect();
    columns.extend((0..version / 5).map(|k| (format!("added_{k}"), ColumnType::Utf8)));
    columns
}

/// The query of [`fifty_line_query`] with four problems against the last version: `c0o6` (a
/// misspelling of `c006`), `c150` (removed in version 31), `c002 > 5` (text against a number)
/// and `c010` (Int64 in version 1, Float64 since version 20).
fn query_with_findings() -> String {
    let text = fifty_line_query()
        .replace("  AVG(w.c001) AS avg_0,", "  AVG(w.c150) AS avg_0,")
        .replace("  AVG(w.c006) AS avg_1,", "  AVG(w.c0o6) AS avg_1,")
        .replace("  AND w.c012 <> 'excluded'", "  AND w.c002 > 5");
    assert_eq!(text.lines().count(), 50);
    text
}

/// Checks that validating against the last version reports each of the four problems.
fn check_findings(findings: &[Finding]) {
    let of = |kind: FindingKind, reference: &str| {
        findings
            .iter()
            .find(|f| f.kind == kind && f.reference.contains(reference))
            .unwrap_or_else(|| panic!("no {kind:?} finding for {reference}: {findings:#?}"))
    };
    let removed = of(FindingKind::UnknownColumn, "c150");
    let last_seen = removed
        .suggestion
        .as_ref()
        .and_then(|s| s.last_seen_in_version);
    assert_eq!(
        last_seen,
        Some(REMOVED_FROM - 1),
        "c150 was last seen in version 30"
    );
    of(FindingKind::UnknownColumn, "c0o6");
    of(FindingKind::TypeMismatch, "c002");
    of(FindingKind::ChangedType, "c010");
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

fn no_findings(c: &mut Criterion) {
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

/// The drifting history as schemas, borrowed the way the validator takes them.
struct History {
    schemas: Vec<Schema>,
    hashes: Vec<String>,
}

impl History {
    fn new() -> History {
        let schemas = (1..=VERSIONS)
            .map(|v| Schema {
                columns: drifting_columns(v)
                    .into_iter()
                    .map(|(name, t)| column(name, t))
                    .collect(),
            })
            .collect();
        let hashes = (1..=VERSIONS).map(|v| format!("{v:064x}")).collect();
        History { schemas, hashes }
    }

    fn versions(&self) -> Vec<VersionSchemas<'_>> {
        self.schemas
            .iter()
            .zip(&self.hashes)
            .zip(1..)
            .map(|((schema, hash_hex), number)| VersionSchemas {
                number,
                hash_hex,
                tables: vec![TableRef {
                    table_id: "table_0",
                    display_name: "wide",
                    schema,
                }],
            })
            .collect()
    }
}

/// Findings are reported against version 1 as the baseline, for the changed type.
fn since_first() -> ValidateOptions {
    ValidateOptions {
        since: Some(1),
        ..ValidateOptions::default()
    }
}

fn with_findings(c: &mut Criterion) {
    let history = History::new();
    let versions = history.versions();
    let last = versions.last().expect("50 versions");
    let query = Query::sql(&query_with_findings()).unwrap();
    let options = since_first();
    check_findings(&validate(&query, last, &versions, &options));
    let matrix = compatibility_matrix(&query, &versions, &options);
    assert_eq!(matrix.len(), VERSIONS as usize);
    assert!(
        matrix.iter().all(|v| !v.runnable),
        "every version has a blocking finding"
    );

    let mut group = c.benchmark_group("validate_sql/findings_50_versions");
    group.sample_size(20);
    group.bench_function("active", |b| {
        b.iter(|| black_box(validate(black_box(&query), last, &versions, &options)))
    });
    group.bench_function("all_versions", |b| {
        b.iter(|| black_box(compatibility_matrix(black_box(&query), &versions, &options)))
    });
    group.finish();
}

/// A CSV holding `version` of the drifting table: its header and three rows, the first
/// carrying the version number so that every version's content differs.
fn drifting_csv(version: u64) -> Vec<u8> {
    let columns = drifting_columns(version);
    let header: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    let mut csv = header.join(",") + "\n";
    for row in 0..3u64 {
        let fields: Vec<String> = columns
            .iter()
            .map(|(name, t)| match t {
                _ if name == "c000" => (version * 10 + row).to_string(),
                ColumnType::Int64 => (row + 7).to_string(),
                ColumnType::Float64 => format!("{row}.5"),
                ColumnType::Date => format!("2024-0{}-1{row}", row + 1),
                ColumnType::Boolean => (row % 2 == 0).to_string(),
                _ => format!("text {row}"),
            })
            .collect();
        csv += &(fields.join(",") + "\n");
    }
    csv.into_bytes()
}

/// A durable store holding the drifting table's 50 versions, uploaded as dataset `wide`.
fn drifting_store(dir: &std::path::Path) -> Store {
    let store = Store::create(dir, strata::StoreOptions::default()).unwrap();
    for version in 1..=VERSIONS {
        let file = UploadFile::from_bytes("wide.csv", drifting_csv(version));
        let request = UploadRequest {
            overwrite: version > 1,
            drift_policy: Some(SchemaDriftPolicy::Allow),
            ..UploadRequest::new("wide", vec![file], "bench")
        };
        assert_eq!(store.save_upload(request).unwrap().version, version);
    }
    store
}

fn through_store(c: &mut Criterion) {
    let dir = dirs::tempdir();
    let store = drifting_store(dir.path());
    let query = Query::sql(&query_with_findings()).unwrap();
    let options = since_first();
    let validate_active = || {
        store
            .validate_query("wide", &query, &VersionRef::Active, &options)
            .unwrap()
    };
    check_findings(&validate_active());
    let all_versions = || store.query_compatibility("wide", &query, &options).unwrap();
    assert_eq!(all_versions().len(), VERSIONS as usize);

    let mut group = c.benchmark_group("store_query");
    group.sample_size(20);
    group.bench_function("validate_query_50_versions", |b| {
        b.iter(|| black_box(validate_active()))
    });
    group.bench_function("query_compatibility_50_versions", |b| {
        b.iter(|| black_box(all_versions()))
    });
    group.finish();
}

criterion_group!(benches, no_findings, with_findings, through_store);
criterion_main!(benches);
