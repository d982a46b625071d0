//! SQL over stored versions (feature `sql`): answers checked against reference computations
//! made here from the CSV files, across versions with drift, time travel, joins across
//! datasets, refusals, typed reading, verification of blobs and columnar copies, exports,
//! row diffs and recorded provenance.
#![cfg(feature = "sql")]

mod common;

use common::*;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use std::collections::BTreeMap;
use strata::schema::SchemaDriftPolicy;
use strata::sql::columnar::{materialize_version, ColumnarCopy, CopyState};
use strata::sql::diff::{row_diff, KeySource, RowChange, RowDiffOptions};
use strata::sql::output::{cell, csv_header, csv_rows, Cell};
use strata::sql::{ColumnarPolicy, Engine, SqlError, SqlOptions};
use strata::store::VersionRef;
use strata::{Store, UploadFile, UploadRequest};

fn engine() -> Engine {
    Engine::new(SqlOptions {
        threads: 2,
        ..SqlOptions::default()
    })
    .unwrap()
}

fn csv_engine() -> Engine {
    Engine::new(SqlOptions {
        threads: 2,
        columnar: ColumnarPolicy::Ignore,
        ..SqlOptions::default()
    })
    .unwrap()
}

/// Every cell of the result, row by row.
fn cells(batches: &[RecordBatch]) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            rows.push(batch.columns().iter().map(|c| cell(c, row)).collect());
        }
    }
    rows
}

fn query(engine: &Engine, store: &Store, default: &str, sql: &str) -> Vec<Vec<Cell>> {
    let (_, batches) = engine
        .query_batches(store, Some(default), sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    cells(&batches)
}

/// The records of a CSV file of `tests/data` as text fields, by header name.
fn reference_rows(file: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(data(file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn penguins_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = new_store();
    store
        .save_upload(upload_data("penguins", &["penguins.csv"]))
        .unwrap();
    (dir, store)
}

#[test]
fn a_grouped_aggregate_matches_a_reference_computation_over_the_csv() {
    let (_dir, store) = penguins_store();
    let mut expected: BTreeMap<String, (i64, f64, i64)> = BTreeMap::new();
    for row in reference_rows("penguins.csv") {
        let entry = expected.entry(row["species"].clone()).or_default();
        entry.0 += 1;
        if let Ok(mass) = row["body_mass_g"].parse::<f64>() {
            entry.1 += mass;
            entry.2 += 1;
        }
    }
    let rows = query(
        &engine(),
        &store,
        "penguins",
        "SELECT species, COUNT(*) AS n, SUM(body_mass_g) AS mass, COUNT(body_mass_g) AS weighed \
         FROM penguins GROUP BY species ORDER BY species",
    );
    let got: Vec<(String, i64, f64, i64)> = rows
        .iter()
        .map(|r| match r.as_slice() {
            [Cell::Text(s), Cell::Int(n), Cell::Int(m), Cell::Int(w)] => {
                (s.clone(), *n as i64, *m as f64, *w as i64)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let want: Vec<(String, i64, f64, i64)> = expected
        .into_iter()
        .map(|(s, (n, m, w))| (s, n, m, w))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_table_inside_the_log_and_the_same_table_as_a_blob_file_answer_alike() {
    let sql = "SELECT species, island, COUNT(*) AS n, SUM(body_mass_g) AS mass FROM penguins \
               GROUP BY species, island ORDER BY species, island";
    let (_dir, inline) = penguins_store();
    let blob_dir = tempfile::tempdir().unwrap();
    let blob_file = Store::create(blob_dir.path(), blob_file_options()).unwrap();
    blob_file
        .save_upload(upload_data("penguins", &["penguins.csv"]))
        .unwrap();
    let hash = inline
        .version("penguins", &VersionRef::Active)
        .unwrap()
        .tables[0]
        .content_hash;
    assert!(inline.table_bytes_source(&hash).unwrap().is_inline());
    assert!(
        !inline.blobs().contains(&hash.0),
        "no blob file: the bytes are in the log"
    );
    assert!(!blob_file.table_bytes_source(&hash).unwrap().is_inline());
    let from_log = query(&csv_engine(), &inline, "penguins", sql);
    assert_eq!(from_log.len(), 5, "{from_log:?}");
    assert_eq!(from_log, query(&csv_engine(), &blob_file, "penguins", sql));
    // The columnar copy of a table inside the log is made from the log's bytes.
    materialize_version(&inline, "penguins", &VersionRef::Active).unwrap();
    let prepared = engine().prepare(&inline, Some("penguins"), sql).unwrap();
    assert!(prepared.without_copy.is_empty(), "the copy is used");
    assert_eq!(query(&engine(), &inline, "penguins", sql), from_log);
}

#[test]
fn every_sample_table_reads_back_with_the_types_inference_gave_it() {
    let (_dir, store) = new_store();
    let files = [
        "penguins-raw.csv",
        "penguins.csv",
        "airports.csv",
        "seattle-weather.csv",
        "stocks.csv",
    ];
    for file in files {
        let name = file.trim_end_matches(".csv");
        store.save_upload(upload_data(name, &[file])).unwrap();
        let table = store.version(name, &VersionRef::Active).unwrap().tables[0].clone();
        let (schema, batches) = csv_engine()
            .query_batches(&store, Some(name), &format!("SELECT * FROM \"{name}\""))
            .unwrap();
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows as u64, table.row_count, "{file}");
        for (field, column) in schema.fields().iter().zip(&table.schema.columns) {
            assert_eq!(field.name(), &column.name);
            assert_eq!(
                field.data_type(),
                &strata::sql::csv_read::arrow_type(column.column_type),
                "{file}: {}",
                column.name
            );
        }
    }
}

#[test]
fn null_tokens_booleans_dates_and_timestamps_read_as_their_inferred_types() {
    let (_dir, store) = new_store();
    let csv = b"id,flag,day,at,score,label\n\
        1,yes,2024-01-31,2024-03-01T10:00:00+02:00,1.5,NA\n\
        2,No,2024/02/29,2024-03-01 09:00:00,NaN,x\n\
        3,NA,,2024-03-01,null,\n\
        4,t,2023-12-31,2024-03-01T08:00:00.25Z,7,N/A\n";
    store
        .save_upload(upload("typed", &[("t.csv", csv)]))
        .unwrap();
    let (schema, batches) = csv_engine()
        .query_batches(&store, Some("typed"), "SELECT * FROM t ORDER BY id")
        .unwrap();
    let types: Vec<DataType> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(
        types,
        [
            DataType::Int64,
            DataType::Boolean,
            DataType::Date32,
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Float64,
            DataType::Utf8
        ]
    );
    let batch = datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap();
    let flags = batch.column(1).as_boolean();
    assert_eq!(
        (0..4)
            .map(|i| flags.is_valid(i).then(|| flags.value(i)))
            .collect::<Vec<_>>(),
        [Some(true), Some(false), None, Some(true)]
    );
    let days: Vec<Cell> = (0..4).map(|i| cell(batch.column(2), i)).collect();
    assert_eq!(
        days,
        [
            Cell::Rendered("2024-01-31".into()),
            Cell::Rendered("2024-02-29".into()),
            Cell::Null,
            Cell::Rendered("2023-12-31".into())
        ]
    );
    let times: Vec<Cell> = (0..4).map(|i| cell(batch.column(3), i)).collect();
    assert_eq!(
        times,
        [
            Cell::Rendered("2024-03-01T08:00:00".into()),
            Cell::Rendered("2024-03-01T09:00:00".into()),
            Cell::Rendered("2024-03-01T00:00:00".into()),
            Cell::Rendered("2024-03-01T08:00:00.250000".into())
        ],
        "an offset is converted to UTC, a local time kept, a date is its midnight"
    );
    let scores = batch.column(4).as_primitive::<Float64Type>();
    assert_eq!(
        (0..4)
            .map(|i| scores.is_valid(i).then(|| scores.value(i)))
            .collect::<Vec<_>>(),
        [Some(1.5), None, None, Some(7.0)],
        "NaN and null are nulls of a number column"
    );
    assert_eq!(
        batch.column(5).null_count(),
        3,
        "NA, empty and N/A are nulls of text"
    );
    let rows = query(
        &csv_engine(),
        &store,
        "typed",
        "SELECT COUNT(*) FROM t WHERE day > DATE '2024-01-01' AND flag",
    );
    assert_eq!(rows, [[Cell::Int(1)]]);
}

/// penguins-raw as version 1, then penguins (other columns, another table name) as version 2.
fn drifting_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = new_store();
    store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    // Named, so that version 2's table is `penguins` (an unnamed single table would take the
    // name of the table it replaces, `penguins-raw`).
    let file = UploadFile::from_path(data("penguins.csv"))
        .unwrap()
        .as_table("penguins");
    let mut request = UploadRequest::new("penguins", vec![file], "tester");
    request.overwrite = true;
    request.drift_policy = Some(SchemaDriftPolicy::Allow);
    store.save_upload(request).unwrap();
    (dir, store)
}

#[test]
fn each_version_is_queried_with_its_own_tables_and_columns() {
    let (_dir, store) = drifting_store();
    let raw = reference_rows("penguins-raw.csv");
    let adelie_raw = raw
        .iter()
        .filter(|r| r["Species"].starts_with("Adelie"))
        .count() as i128;
    let rows = query(
        &engine(),
        &store,
        "penguins@1",
        "SELECT COUNT(*) FROM \"penguins-raw\" WHERE \"Species\" LIKE 'Adelie%'",
    );
    assert_eq!(rows, [[Cell::Int(adelie_raw)]]);
    let clean = reference_rows("penguins.csv");
    let adelie = clean.iter().filter(|r| r["species"] == "Adelie").count() as i128;
    let rows = query(
        &engine(),
        &store,
        "penguins",
        "SELECT COUNT(*) FROM penguins WHERE species = 'Adelie'",
    );
    assert_eq!(rows, [[Cell::Int(adelie)]]);
    // Both versions in one query, by qualifier and by table id.
    let rows = query(
        &engine(),
        &store,
        "penguins@2",
        "SELECT (SELECT COUNT(*) FROM \"penguins@1\".table_0) AS old, (SELECT COUNT(*) FROM penguins) AS new",
    );
    assert_eq!(
        rows,
        [[Cell::Int(raw.len() as i128), Cell::Int(clean.len() as i128)]]
    );
}

#[test]
fn a_column_of_another_version_is_refused_with_its_position_before_running() {
    let (_dir, store) = drifting_store();
    let error = engine()
        .prepare(
            &store,
            Some("penguins@2"),
            "SELECT species,\n  \"Body Mass (g)\" FROM penguins",
        )
        .unwrap_err();
    let SqlError::Findings(findings) = &error else {
        panic!("{error}");
    };
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].location,
        strata::query::Location::Sql { line: 2, column: 3 }
    );
}

#[test]
fn a_time_names_the_version_active_then() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let between = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Warn,
        ))
        .unwrap();
    let at = between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let rows = query(
        &engine(),
        &store,
        "d",
        &format!(
            "SELECT (SELECT COUNT(*) FROM \"d@{at}\".t) AS then, (SELECT COUNT(*) FROM t) AS now"
        ),
    );
    assert_eq!(rows, [[Cell::Int(2), Cell::Int(3)]]);
    let prepared = engine()
        .prepare(&store, Some(&format!("d@{at}")), "SELECT * FROM t")
        .unwrap();
    assert_eq!(prepared.resolved[0].number, 1);
}

#[test]
fn a_join_across_datasets_matches_the_expected_rows() {
    let (_dir, store) = new_store();
    let visits = b"visit_id,site_id,patient,visit_date\n1,S1,p1,2024-01-02\n2,S2,p2,2024-01-03\n3,S1,p3,2024-02-01\n4,S3,p4,2024-02-02\n";
    let sites = b"site_id,city\nS1,Oslo\nS2,Lima\n";
    store
        .save_upload(upload("trial-42", &[("visits.csv", visits)]))
        .unwrap();
    store
        .save_upload(upload("sites", &[("sites.csv", sites)]))
        .unwrap();
    let rows = query(
        &engine(),
        &store,
        "trial-42",
        "SELECT s.city, COUNT(*) AS n FROM visits v JOIN \"sites@1\".sites s ON v.site_id = s.site_id \
         GROUP BY s.city ORDER BY s.city",
    );
    assert_eq!(
        rows,
        [
            vec![Cell::Text("Lima".into()), Cell::Int(1)],
            vec![Cell::Text("Oslo".into()), Cell::Int(2)]
        ]
    );
    let prepared = engine()
        .prepare(
            &store,
            Some("trial-42"),
            "SELECT * FROM visits JOIN \"sites\".sites USING (site_id)",
        )
        .unwrap();
    let names: Vec<&str> = prepared
        .resolved
        .iter()
        .map(|v| v.dataset.as_str())
        .collect();
    assert_eq!(names, ["trial-42", "sites"], "the default target first");
}

#[test]
fn statements_that_would_write_are_refused_and_change_nothing() {
    let (_dir, store) = penguins_store();
    let before = store.log().last_seq();
    for (sql, keyword) in [
        ("INSERT INTO penguins VALUES (1)", "INSERT INTO"),
        ("UPDATE penguins SET year = 1", "UPDATE"),
        ("DELETE FROM penguins", "DELETE FROM"),
        ("CREATE TABLE x (a INT)", "CREATE TABLE"),
        ("DROP TABLE penguins", "DROP TABLE"),
        ("COPY penguins TO 'out.csv'", "COPY"),
        ("SET datafusion.execution.batch_size = 1", "SET"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
    ] {
        match engine().prepare(&store, Some("penguins"), sql) {
            Err(SqlError::NotReadOnly { statement }) => assert_eq!(statement, keyword, "{sql}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
    assert_eq!(store.log().last_seq(), before);
}

/// A table of several MiB (many chunks), and its blob's path.
fn large_store() -> (tempfile::TempDir, Store, std::path::PathBuf, u64) {
    let (dir, store) = new_store();
    let mut csv = b"id,group,value,note\n".to_vec();
    let rows = 120_000u64;
    for i in 0..rows {
        csv.extend_from_slice(format!("{i},g{},{}.5,\"note, {i}\"\n", i % 7, i % 1000).as_bytes());
    }
    store
        .save_upload(upload("big", &[("t.csv", &csv)]))
        .unwrap();
    let table = store.version("big", &VersionRef::Active).unwrap().tables[0].clone();
    let path = store.blobs().path(&table.content_hash.0);
    (dir, store, path, rows)
}

fn damage(path: &std::path::Path, at_from_end: u64) {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    permissions.set_mode(0o644);
    std::fs::set_permissions(path, permissions).unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() - at_from_end as usize;
    // A digit for another digit: the CSV still parses, only the hash can tell.
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_blob_fails_the_query_even_when_the_plan_stops_early() {
    let (_dir, store, path, rows) = large_store();
    let all = query(
        &csv_engine(),
        &store,
        "big",
        "SELECT COUNT(*), SUM(value) FROM t",
    );
    assert_eq!(all[0][0], Cell::Int(rows as i128));
    damage(&path, 20);
    for sql in ["SELECT COUNT(*) FROM t", "SELECT * FROM t LIMIT 3"] {
        let engine = csv_engine();
        let prepared = engine.prepare(&store, Some("big"), sql).unwrap();
        let mut stream = engine.run(prepared).unwrap();
        let mut failed = false;
        while let Some(batch) = stream.next_batch() {
            failed |= batch.is_err();
        }
        let finished = stream.finish();
        let error = finished.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            failed || error.contains("is damaged"),
            "{sql}: the damage went unnoticed ({error})"
        );
    }
}

/// The file of the copy `made` names.
fn copy_file(store: &Store, made: &strata::sql::columnar::MaterializedLine) -> std::path::PathBuf {
    store
        .paths()
        .parquet_copy(&hex32(&made.copy.index.parquet_hash))
}

/// Runs `sql` to its end: the result's cells, and the tables whose copy a scan found damaged.
fn run_noting_damage(
    engine: &Engine,
    store: &Store,
    sql: &str,
) -> (Vec<Vec<Cell>>, Vec<(strata::store::TableRecord, String)>) {
    let mut stream = engine
        .run(engine.prepare(store, Some("big"), sql).unwrap())
        .unwrap();
    let mut batches = Vec::new();
    while let Some(batch) = stream.next_batch() {
        batches.push(batch.unwrap());
    }
    let damaged = stream.damaged_copies();
    stream.finish().unwrap();
    (cells(&batches), damaged)
}

#[test]
fn a_deleted_or_damaged_columnar_copy_is_not_used_and_is_rebuilt() {
    let (_dir, store, _blob, rows) = large_store();
    let sql = "SELECT \"group\", COUNT(*), SUM(value) FROM t GROUP BY \"group\" ORDER BY \"group\"";
    let from_csv = query(&csv_engine(), &store, "big", sql);
    let made = materialize_version(&store, "big", &VersionRef::Active).unwrap();
    assert!(!made[0].copy.already_present);
    assert_eq!(made[0].copy.index.rows, rows);
    let table = store.version("big", &VersionRef::Active).unwrap().tables[0].clone();
    let copy_path = copy_file(&store, &made[0]);
    let prepared = engine().prepare(&store, Some("big"), sql).unwrap();
    assert!(prepared.without_copy.is_empty(), "the copy is used");
    assert_eq!(query(&engine(), &store, "big", sql), from_csv);

    std::fs::remove_file(&copy_path).unwrap();
    let prepared = engine().prepare(&store, Some("big"), sql).unwrap();
    assert_eq!(prepared.without_copy.len(), 1);
    assert_eq!(query(&engine(), &store, "big", sql), from_csv);
    let again = materialize_version(&store, "big", &VersionRef::Active).unwrap();
    assert!(
        !again[0].copy.already_present && copy_path.exists(),
        "rebuilt"
    );

    // A byte in the middle: inside a column chunk, which the footer check does not read.
    let mut bytes = std::fs::read(&copy_path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    std::fs::write(&copy_path, &bytes).unwrap();
    assert!(ColumnarCopy::open(&store.io(), &store.paths(), &table).is_ok());
    match ColumnarCopy::open_whole(&store.io(), &store.paths(), &table) {
        Err(CopyState::Unusable(why)) => assert!(why.contains("hashes to"), "{why}"),
        other => panic!("{:?}", other.map(|c| c.index)),
    }
    let engine = engine();
    let prepared = engine.prepare(&store, Some("big"), sql).unwrap();
    assert!(prepared.without_copy.is_empty(), "the footer is whole");
    let (answer, damaged) = run_noting_damage(&engine, &store, sql);
    assert_eq!(answer, from_csv, "read from the CSV");
    assert_eq!(
        damaged.len(),
        1,
        "the scan found the damaged chunk: {damaged:?}"
    );
    assert!(
        damaged[0].1.contains("does not hash to its index entry"),
        "{damaged:?}"
    );
    let rebuilt = materialize_version(&store, "big", &VersionRef::Active).unwrap();
    assert!(!rebuilt[0].copy.already_present);
    assert!(ColumnarCopy::open_whole(&store.io(), &store.paths(), &table).is_ok());

    // A byte of the footer: the copy is not used at all.
    let copy_path = copy_file(&store, &rebuilt[0]);
    let mut bytes = std::fs::read(&copy_path).unwrap();
    let in_footer = bytes.len() - 20;
    bytes[in_footer] ^= 0x01;
    std::fs::write(&copy_path, &bytes).unwrap();
    match ColumnarCopy::open(&store.io(), &store.paths(), &table) {
        Err(CopyState::Unusable(why)) => assert!(why.contains("footer"), "{why}"),
        other => panic!("{:?}", other.map(|c| c.index)),
    }
    assert_eq!(query(&engine, &store, "big", sql), from_csv);
}

#[test]
fn a_damaged_chunk_of_a_column_the_query_does_not_read_leaves_the_copy_in_use() {
    let (_dir, store, _blob, _rows) = large_store();
    let sql = "SELECT COUNT(*), SUM(value) FROM t";
    let from_csv = query(&csv_engine(), &store, "big", sql);
    let made = materialize_version(&store, "big", &VersionRef::Active).unwrap();
    let copy_path = copy_file(&store, &made[0]);
    // The first byte of the first row group's `note` chunk (the fourth column).
    let bytes = std::fs::read(&copy_path).unwrap();
    let metadata = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&bytes::Bytes::from(bytes.clone()))
        .unwrap();
    let (note_start, _) = metadata.row_group(0).column(3).byte_range();
    let mut damaged = bytes;
    damaged[note_start as usize] ^= 0xFF;
    std::fs::write(&copy_path, &damaged).unwrap();
    let engine = engine();
    let (answer, damaged) = run_noting_damage(&engine, &store, sql);
    assert!(damaged.is_empty(), "only `value` was read and verified");
    assert_eq!(answer, from_csv);
    let sql = "SELECT COUNT(*), MAX(note) FROM t";
    let (_, damaged) = run_noting_damage(&engine, &store, sql);
    assert_eq!(damaged.len(), 1, "reading `note` finds the damage");
}

fn hex32(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// A changed cell as text: column, old value, new value.
type ChangedCell = (String, String, String);

#[test]
fn a_keyed_row_diff_finds_the_added_removed_and_changed_rows() {
    let (_dir, store) = new_store();
    let v1 = b"patient_id,site,weight\np1,A,70.5\np2,A,80\np3,B,65\np4,B,NA\n";
    let v2 = b"patient_id,site,weight\np1,A,70.5\np2,C,80\np4,B,66\np5,B,90\n";
    store.save_upload(upload("w", &[("t.csv", v1)])).unwrap();
    store
        .save_upload(overwrite("w", &[("t.csv", v2)], SchemaDriftPolicy::Warn))
        .unwrap();
    let options = RowDiffOptions {
        details: 10,
        ..RowDiffOptions::default()
    };
    let diff = row_diff(
        &engine(),
        &store,
        "w",
        &VersionRef::Number(1),
        &VersionRef::Number(2),
        &options,
    )
    .unwrap();
    assert_eq!(diff.key_source, KeySource::Identifier);
    assert_eq!(diff.key, ["patient_id"]);
    assert_eq!((diff.added, diff.removed, diff.changed), (1, 1, 2));
    let mut changed: Vec<(String, Vec<ChangedCell>)> = diff
        .details
        .iter()
        .filter_map(|c| match c {
            RowChange::Changed { key, cells } => Some((
                key[0].to_string(),
                cells
                    .iter()
                    .map(|c| (c.column.clone(), c.old.to_string(), c.new.to_string()))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            (
                "\"p2\"".to_string(),
                vec![("site".to_string(), "\"A\"".to_string(), "\"C\"".to_string())]
            ),
            (
                "\"p4\"".to_string(),
                vec![("weight".to_string(), "null".to_string(), "66.0".to_string())]
            ),
        ]
    );
    assert!(diff
        .details
        .iter()
        .any(|c| matches!(c, RowChange::Added { key, .. } if key[0] == "p5")));
    assert!(diff
        .details
        .iter()
        .any(|c| matches!(c, RowChange::Removed { key, .. } if key[0] == "p3")));
}

#[test]
fn without_a_key_rows_are_compared_as_multisets() {
    let (_dir, store) = new_store();
    let v1 = b"site,weight\nA,1\nA,1\nB,2\n";
    let v2 = b"site,weight\nA,1\nB,2\nB,2\nC,3\n";
    store.save_upload(upload("m", &[("t.csv", v1)])).unwrap();
    store
        .save_upload(overwrite("m", &[("t.csv", v2)], SchemaDriftPolicy::Warn))
        .unwrap();
    let diff = row_diff(
        &engine(),
        &store,
        "m",
        &VersionRef::Number(1),
        &VersionRef::Number(2),
        &RowDiffOptions::default(),
    )
    .unwrap();
    assert_eq!(diff.key_source, KeySource::None);
    assert_eq!((diff.added, diff.removed, diff.changed), (2, 1, 0));
    let key = Some(vec!["site".to_string()]);
    let error = row_diff(
        &engine(),
        &store,
        "m",
        &VersionRef::Number(1),
        &VersionRef::Number(2),
        &RowDiffOptions {
            key,
            ..RowDiffOptions::default()
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("is not unique"), "{error}");
}

#[test]
fn the_penguins_drift_diff_compares_the_shared_columns_by_key() {
    let (_dir, store) = new_store();
    let rows = reference_rows("penguins.csv");
    let mut v1 = b"id,species,year\n".to_vec();
    let mut v2 = b"id,species,year,island\n".to_vec();
    for (i, row) in rows.iter().enumerate() {
        v1.extend_from_slice(format!("{i},{},{}\n", row["species"], row["year"]).as_bytes());
        let year: i64 = row["year"].parse().unwrap();
        let year = if i % 10 == 0 { year + 1 } else { year };
        if i % 50 != 1 {
            v2.extend_from_slice(
                format!("{i},{},{year},{}\n", row["species"], row["island"]).as_bytes(),
            );
        }
    }
    store.save_upload(upload("p", &[("t.csv", &v1)])).unwrap();
    store
        .save_upload(overwrite("p", &[("t.csv", &v2)], SchemaDriftPolicy::Allow))
        .unwrap();
    let options = RowDiffOptions {
        key: Some(vec!["id".into()]),
        ..RowDiffOptions::default()
    };
    let diff = row_diff(
        &engine(),
        &store,
        "p",
        &VersionRef::Number(1),
        &VersionRef::Number(2),
        &options,
    )
    .unwrap();
    let removed = (0..rows.len()).filter(|i| i % 50 == 1).count() as u64;
    let changed = (0..rows.len())
        .filter(|i| i % 10 == 0 && i % 50 != 1)
        .count() as u64;
    assert_eq!(
        diff.columns,
        ["species", "year"],
        "island is not in version 1"
    );
    assert_eq!(
        (diff.added, diff.removed, diff.changed),
        (0, removed, changed)
    );
}

#[test]
fn a_recorded_run_names_the_versions_and_the_hash_of_the_csv_result() {
    let (dir, store) = drifting_store();
    let engine = engine();
    let sql = "SELECT species, COUNT(*) AS n FROM penguins GROUP BY species ORDER BY species";
    let prepared = engine.prepare(&store, Some("penguins"), sql).unwrap();
    let versions: Vec<_> = prepared
        .resolved
        .iter()
        .map(|v| strata::store::QueryRunVersion {
            dataset_id: v.dataset_id,
            dataset_name: v.dataset.clone(),
            version: v.number,
            hash: v.hash,
        })
        .collect();
    let (schema, batches) = engine.query_batches(&store, Some("penguins"), sql).unwrap();
    let mut hasher = strata::sql::output::ResultHasher::new(&schema);
    let mut csv = Vec::new();
    csv_header(&schema, &mut csv);
    for batch in &batches {
        hasher.update(batch);
        csv_rows(batch, &mut csv);
    }
    let hash = hasher.finish();
    assert_eq!(hash, strata::digest::Digest::of(&csv));
    assert!(String::from_utf8(csv)
        .unwrap()
        .starts_with("species,n\nAdelie,152\n"));
    let run = strata::store::QueryRun::new("ann", "fig 2", sql, versions, 3, hash);
    let recorded = store.record_query_run(&run).unwrap();
    drop(store);
    let store = Store::open(dir.path(), options()).unwrap();
    let runs: Vec<_> = store.query_runs(1).collect::<Result<_, _>>().unwrap();
    assert_eq!(runs, [(recorded.seq, run.clone())]);
    assert_eq!(run.versions[0].version, 2);
    let id = store.catalog().get("penguins").unwrap().id;
    assert_eq!(store.query_runs_of(id).unwrap().len(), 1);
    assert_eq!(
        store.history("penguins").unwrap().versions.len(),
        2,
        "the catalog is unchanged"
    );
    store.assert_invariants(true).unwrap();
}

/// Python with DuckDB, or `None` (then the test says it skipped; CI installs it).
fn duckdb() -> Option<()> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the duckdb Python package (.ci/run installs it)"
        );
        eprintln!("skipped: python3 -c 'import duckdb' fails (pip install duckdb)");
    }
    ok.then_some(())
}

/// Runs a DuckDB query in Python and returns its rows as JSON.
fn duckdb_json(sql: &str) -> serde_json::Value {
    let script = format!(
        "import duckdb, json\nrows = duckdb.sql({sql:?}).fetchall()\nprint(json.dumps([[str(v) if v is not None else None for v in r] for r in rows]))"
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn exports_read_back_in_duckdb_with_the_same_rows_types_and_metadata() {
    let Some(()) = duckdb() else { return };
    let (_dir, store) = drifting_store();
    let out = tempfile::tempdir().unwrap();
    let export = strata::sql::export::export_version(
        &store,
        "penguins",
        &VersionRef::Number(2),
        strata::sql::export::ExportFormat::Parquet,
        out.path(),
    )
    .unwrap();
    let file = export.files[0].path.display().to_string();
    let ours = query(
        &engine(),
        &store,
        "penguins@2",
        "SELECT COUNT(*), COUNT(sex), SUM(body_mass_g), MIN(bill_length_mm) FROM penguins",
    );
    let theirs = duckdb_json(&format!(
        "SELECT count(*), count(sex), sum(body_mass_g), min(bill_length_mm), any_value(typeof(body_mass_g)), any_value(typeof(year)), any_value(typeof(bill_length_mm)) FROM '{file}'"
    ));
    let ours: Vec<String> = ours[0].iter().map(Cell::display).collect();
    assert_eq!(theirs[0][0], ours[0].as_str());
    assert_eq!(theirs[0][1], ours[1].as_str());
    assert_eq!(theirs[0][2], ours[2].as_str());
    assert_eq!(theirs[0][3], ours[3].as_str());
    assert_eq!(theirs[0][4], "BIGINT");
    assert_eq!(theirs[0][5], "BIGINT");
    assert_eq!(theirs[0][6], "DOUBLE");
    let metadata = duckdb_json(&format!(
        "SELECT decode(value) FROM parquet_kv_metadata('{file}') WHERE decode(key) = 'strata.version'"
    ));
    assert_eq!(metadata[0][0], "2");
    // The CSV export is the stored bytes.
    let csv = strata::sql::export::export_version(
        &store,
        "penguins",
        &VersionRef::Number(1),
        strata::sql::export::ExportFormat::Csv,
        out.path(),
    )
    .unwrap();
    let bytes = std::fs::read(&csv.files[0].path).unwrap();
    assert_eq!(
        strata::digest::Digest::of(&bytes).hex(),
        csv.files[0].content_hash
    );
}

#[test]
fn query_answers_match_duckdb_reading_the_same_csv() {
    let Some(()) = duckdb() else { return };
    let (_dir, store) = new_store();
    store
        .save_upload(upload_data("weather", &["seattle-weather.csv"]))
        .unwrap();
    let ours = query(
        &engine(),
        &store,
        "weather",
        "SELECT weather, COUNT(*), ROUND(SUM(precipitation), 3), MAX(temp_max), MIN(date) FROM \"seattle-weather\" \
         GROUP BY weather ORDER BY weather",
    );
    let file = data("seattle-weather.csv").display().to_string();
    let theirs = duckdb_json(&format!(
        "SELECT weather, count(*), round(sum(precipitation), 3), max(temp_max), min(date)::DATE FROM read_csv('{file}') \
         GROUP BY weather ORDER BY weather"
    ));
    let ours: Vec<Vec<String>> = ours
        .iter()
        .map(|r| r.iter().map(Cell::display).collect())
        .collect();
    let theirs: Vec<Vec<String>> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap_or("NULL").to_string())
                .collect()
        })
        .collect();
    // Python writes the float 1 as `1.0`, strata as `1`: numbers compare by value.
    let by_value = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| v.parse::<f64>().map_or(v, |f| f.to_string()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(by_value(ours), by_value(theirs));
}

#[test]
fn int64_columns_are_integers_in_arithmetic() {
    let (_dir, store) = penguins_store();
    let (schema, batches) = engine()
        .query_batches(
            &store,
            Some("penguins"),
            "SELECT MAX(year) - MIN(year) AS span FROM penguins",
        )
        .unwrap();
    assert_eq!(schema.field(0).data_type(), &DataType::Int64);
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 2);
}

#[test]
fn a_running_query_reports_the_rows_its_scans_read_of_the_rows_they_scan() {
    let (_tmp, store) = penguins_store();
    let rows = reference_rows("penguins.csv").len() as u64;
    materialize_version(&store, "penguins", &VersionRef::Active).unwrap();
    // The columnar copy, then the CSV bytes.
    for engine in [engine(), csv_engine()] {
        let sql = "SELECT COUNT(*) FROM penguins a JOIN penguins b ON a.species = b.species";
        let prepared = engine.prepare(&store, Some("penguins"), sql).unwrap();
        let mut stream = engine.run(prepared).unwrap();
        let progress = stream.progress();
        // (A join may start reading its build side as soon as the plan runs.)
        assert!(progress.rows_read() <= 2 * rows);
        while let Some(batch) = stream.next_batch() {
            batch.unwrap();
        }
        stream.finish().unwrap();
        // A self-join scans the table twice: both scans count, each to its end.
        assert_eq!(progress.scans(), 2);
        assert_eq!(progress.rows_total(), 2 * rows);
        assert_eq!(progress.rows_read(), 2 * rows);
    }
}

#[test]
fn a_count_of_rows_that_reads_no_column_answers_from_the_columnar_copy_as_from_the_csv() {
    let (_tmp, store) = penguins_store();
    let rows = reference_rows("penguins.csv").len() as i128;
    materialize_version(&store, "penguins", &VersionRef::Active).unwrap();
    let prepared = engine()
        .prepare(&store, Some("penguins"), "SELECT COUNT(*) FROM penguins")
        .unwrap();
    assert!(prepared.without_copy.is_empty(), "the copy is used");
    for engine in [engine(), csv_engine()] {
        let answer = query(&engine, &store, "penguins", "SELECT COUNT(*) FROM penguins");
        assert_eq!(answer, vec![vec![Cell::Int(rows)]]);
    }
}
