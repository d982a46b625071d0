//! Query validation through the store: against the active version, any version or a time;
//! the compatibility matrix over a real history (penguins raw, then cleaned); and saved
//! queries checked before a rollback.

mod common;

use common::*;
use strata::query::{FindingKind, Query, ValidateOptions};
use strata::store::EventKind;
use strata::{Store, UploadFile, UploadRequest, VersionRef};

/// penguins-raw (v1), then the cleaned table uploaded as the same table with an override
/// (v2), as the clinical team did.
fn penguins_history() -> (tempfile::TempDir, Store) {
    let (dir, store) = new_store();
    store
        .save_upload(upload_data("penguins", &["penguins-raw.csv"]))
        .unwrap();
    let cleaned = UploadFile::from_bytes("penguins-raw.csv", data_bytes("penguins.csv"));
    let request = UploadRequest {
        overwrite: true,
        override_reason: Some("cleaned release".into()),
        ..UploadRequest::new("penguins", vec![cleaned], "tester")
    };
    store.save_upload(request).unwrap();
    (dir, store)
}

const RAW_QUERY: &str =
    "SELECT Species, AVG(\"Body Mass (g)\") FROM \"penguins-raw\" GROUP BY Species";
const CLEAN_QUERY: &str = "SELECT species, AVG(body_mass_g) FROM \"penguins-raw\" GROUP BY species";

#[test]
fn a_query_against_the_active_version_reports_a_vanished_column_and_where_it_last_existed() {
    let (_dir, store) = penguins_history();
    let query = Query::sql(RAW_QUERY).unwrap();
    let findings = store
        .validate_query(
            "penguins",
            &query,
            &VersionRef::Active,
            &ValidateOptions::default(),
        )
        .unwrap();
    let missing = findings
        .iter()
        .find(|f| f.reference.contains("Body Mass"))
        .expect("finding for Body Mass");
    assert_eq!(missing.kind, FindingKind::UnknownColumn);
    assert_eq!(
        missing.suggestion.as_ref().unwrap().last_seen_in_version,
        Some(1)
    );
    let on_v1 = store
        .validate_query(
            "penguins",
            &query,
            &VersionRef::Number(1),
            &ValidateOptions::default(),
        )
        .unwrap();
    assert!(on_v1.is_empty(), "{on_v1:?}");
}

/// Whether `query` validates without findings against the version active at `micros`.
fn clean_at(store: &Store, query: &Query, micros: i64) -> bool {
    let at = chrono::DateTime::from_timestamp_micros(micros).unwrap();
    store
        .validate_query(
            "penguins",
            query,
            &VersionRef::At(at),
            &ValidateOptions::default(),
        )
        .unwrap()
        .is_empty()
}

/// v1 (raw), v2 (clean), then a rollback to v1: at each instant the query is checked against
/// the version active then, from the instant it was activated to just before the next one.
#[test]
fn validation_against_a_time_uses_the_version_active_then() {
    let (_dir, store) = penguins_history();
    store
        .rollback_to_version("penguins", "1", "tester", "a test rollback")
        .unwrap();
    let activations = store
        .catalog()
        .find("penguins")
        .unwrap()
        .activations
        .clone();
    let times: Vec<i64> = activations.iter().map(|a| a.micros).collect();
    let versions: Vec<u64> = activations.iter().map(|a| a.version).collect();
    assert_eq!(versions, [1, 2, 1]);
    assert!(times[0] < times[1] && times[1] < times[2], "{times:?}");
    let (raw, clean) = (
        Query::sql(RAW_QUERY).unwrap(),
        Query::sql(CLEAN_QUERY).unwrap(),
    );
    let runs_raw_and_clean = |micros| {
        (
            clean_at(&store, &raw, micros),
            clean_at(&store, &clean, micros),
        )
    };
    assert_eq!(
        runs_raw_and_clean(times[0]),
        (true, false),
        "v1 from its upload"
    );
    assert_eq!(
        runs_raw_and_clean(times[1] - 1),
        (true, false),
        "v1 until v2"
    );
    assert_eq!(
        runs_raw_and_clean(times[1]),
        (false, true),
        "v2 from its upload"
    );
    assert_eq!(
        runs_raw_and_clean(times[2] - 1),
        (false, true),
        "v2 until the rollback"
    );
    assert_eq!(
        runs_raw_and_clean(times[2]),
        (true, false),
        "v1 from the rollback"
    );
    let now = chrono::Utc::now().timestamp_micros();
    assert_eq!(runs_raw_and_clean(now), (true, false), "v1 now");

    let before = chrono::DateTime::from_timestamp_micros(times[0] - 1).unwrap();
    let err = store
        .validate_query(
            "penguins",
            &raw,
            &VersionRef::At(before),
            &ValidateOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, strata::Error::UnknownVersion { .. }),
        "before the dataset existed: {err:?}"
    );
}

#[test]
fn the_compatibility_matrix_over_penguins_raw_then_clean_says_which_versions_run_a_query() {
    let (_dir, store) = penguins_history();
    let options = ValidateOptions::default();
    let raw = store
        .query_compatibility("penguins", &Query::sql(RAW_QUERY).unwrap(), &options)
        .unwrap();
    let clean = store
        .query_compatibility("penguins", &Query::sql(CLEAN_QUERY).unwrap(), &options)
        .unwrap();
    let runnable = |m: &[strata::query::VersionCompatibility]| {
        m.iter().map(|c| (c.number, c.runnable)).collect::<Vec<_>>()
    };
    assert_eq!(runnable(&raw), [(1, true), (2, false)]);
    assert_eq!(runnable(&clean), [(1, false), (2, true)]);
}

#[test]
fn a_rollback_lists_the_saved_queries_it_would_break_and_records_them() {
    let (_dir, store) = penguins_history();
    let saved = vec![
        (
            "mass by species".to_owned(),
            Query::sql(CLEAN_QUERY).unwrap(),
        ),
        ("raw mass".to_owned(), Query::sql(RAW_QUERY).unwrap()),
    ];
    let plan = store
        .plan_rollback_with_queries("penguins", "1", &saved)
        .unwrap();
    let broken: Vec<&String> = plan
        .warnings
        .iter()
        .filter(|w| w.starts_with("saved query"))
        .collect();
    assert_eq!(broken.len(), 1, "{:?}", plan.warnings);
    assert!(
        broken[0].contains("`mass by species`") && broken[0].contains("body_mass_g"),
        "{}",
        broken[0]
    );
    let done = store
        .rollback_with_queries("penguins", "1", "ana", "back to raw", &saved)
        .unwrap();
    assert_eq!(done.warnings, plan.warnings);
    let EventKind::Rollback { warnings, .. } = store.read_event(done.seq.unwrap()).unwrap().kind
    else {
        panic!()
    };
    assert_eq!(warnings, plan.warnings);
}
