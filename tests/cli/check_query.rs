//! `strata check-query`.

use crate::support::*;

#[test]
fn check_query_reports_findings_with_position_and_strict_mode_exits_1() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let clean = expect(
        &store,
        &["check-query", "penguins", "--sql", CLEAN_SQL, "--strict"],
        0,
    );
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);
    let warn = expect(&store, &["check-query", "penguins", "--sql", RAW_SQL], 0);
    assert!(warn.stdout.contains("line 2, column"), "{}", warn.stdout);
    let strict = expect(
        &store,
        &["check-query", "penguins", "--sql", RAW_SQL, "--strict"],
        1,
    );
    assert!(strict.stderr.contains("strict"), "{}", strict.stderr);
    let json = expect(
        &store,
        &["check-query", "penguins", "--sql", RAW_SQL, "--json"],
        0,
    );
    let findings = json_lines(&json.stdout);
    let body_mass = findings
        .iter()
        .find(|f| f["reference"].as_str().unwrap().contains("Body Mass"))
        .unwrap();
    assert_eq!(body_mass["kind"], "unknown_column");
    assert_eq!(body_mass["location"]["line"], 2);
    assert_eq!(body_mass["suggestion"]["last_seen_in_version"], 1);
    assert_eq!(body_mass["version"], 2);
    // Against version 1 the raw query is fine.
    let v1 = expect(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            RAW_SQL,
            "--version",
            "1",
            "--strict",
        ],
        0,
    );
    assert!(
        v1.stdout.contains("version 1: no findings"),
        "{}",
        v1.stdout
    );
}

/// `--at DATE` reads a bare date as `NAME@DATE` does: the version active at the end of that
/// day. At the start of today no version existed yet.
#[test]
fn check_query_at_a_bare_date_means_the_end_of_that_day_like_name_at_date() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let at = ok(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            CLEAN_SQL,
            "--at",
            &today,
        ],
    );
    assert!(at.contains("version 2: no findings"), "{at}");
    let show = json_one(&ok(
        &store,
        &["show", &format!("penguins@{today}"), "--json"],
    ));
    assert_eq!(show["version"], 2);
    let bad = expect(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            CLEAN_SQL,
            "--at",
            "May 1st",
        ],
        2,
    );
    assert!(bad.stderr.contains("is not a time"), "{}", bad.stderr);
}

#[test]
fn check_query_all_versions_gives_the_compatibility_matrix() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    let out = ok(
        &store,
        &[
            "check-query",
            "penguins",
            "--sql",
            CLEAN_SQL,
            "--all-versions",
            "--json",
        ],
    );
    let rows: Vec<(u64, bool)> = json_lines(&out)
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["runnable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(1, false), (2, true)]);
}

#[test]
fn check_query_with_sql_that_does_not_parse_or_a_bad_plan_exits_2_saying_where() {
    let (tmp, store) = new_store();
    upload_penguins(&store);
    let bad = expect(
        &store,
        &["check-query", "penguins", "--sql", "SELECT FROM WHERE"],
        2,
    );
    assert!(bad.stderr.contains("Line: 1"), "{}", bad.stderr);
    let plan = file(
        tmp.path(),
        "plan.json",
        br#"{"table": "penguins-raw", "metrics": [{"column": 5, "aggregate": "sum"}]}"#,
    );
    let bad_plan = expect(&store, &["check-query", "penguins", "--plan", &plan], 2);
    assert!(
        bad_plan.stderr.contains("metrics[0].column"),
        "{}",
        bad_plan.stderr
    );
    let good_plan = file(tmp.path(), "plan.json", br#"{"table": "penguins-raw", "metrics": [{"column": "Body Mass (g)", "aggregate": "avg"}], "group_by": ["Species"], "filters": []}"#);
    let good = expect(
        &store,
        &["check-query", "penguins", "--plan", &good_plan, "--strict"],
        0,
    );
    assert!(good.stdout.contains("no findings"), "{}", good.stdout);
}
