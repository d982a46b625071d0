//! `strata query`: the CSV output is what the recorded result hash is taken over; a recorded
//! run is listed by `log --type query_run` and `history --events`; writing statements are
//! refused (exit code 1) and change nothing.
#![cfg(feature = "sql")]

use crate::support::*;

#[test]
fn a_recorded_query_is_listed_with_the_sha256_of_its_csv_output() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let sql = "SELECT \"Species\", COUNT(*) AS n FROM \"penguins-raw\" GROUP BY \"Species\" ORDER BY \"Species\"";
    let csv = ok(&store, &["query", "penguins", sql, "--csv"]);
    assert!(
        csv.starts_with("Species,n\nAdelie Penguin (Pygoscelis adeliae),152\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "a header and three species:\n{csv}");
    let recorded = ok(
        &store,
        &[
            "query",
            "penguins@1",
            sql,
            "--csv",
            "--record",
            "--note",
            "figure 2",
        ],
    );
    assert_eq!(recorded, csv, "recording does not change the output");
    let runs = json_lines(&ok(&store, &["log", "--type", "query_run", "--json"]));
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run["type"], "query_run");
    assert_eq!(run["sql"], sql);
    assert_eq!(run["note"], "figure 2");
    assert_eq!(run["rows"], 3);
    assert_eq!(
        run["result_sha256"],
        strata::digest::Digest::of(csv.as_bytes()).hex()
    );
    assert_eq!(run["versions"][0]["dataset"], "penguins");
    assert_eq!(run["versions"][0]["version"], 1);
    let history = json_lines(&ok(&store, &["history", "penguins", "--events", "--json"]));
    assert!(
        history.iter().any(|l| l["type"] == "query_run"),
        "{history:?}"
    );
}

#[test]
fn a_writing_statement_is_refused_and_changes_nothing() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let before = ok(&store, &["log", "--json"]);
    let refused = expect(
        &store,
        &["query", "penguins", "DROP TABLE \"penguins-raw\""],
        1,
    );
    assert!(
        refused.stderr.contains("not a read-only query"),
        "{}",
        refused.stderr
    );
    assert_eq!(ok(&store, &["log", "--json"]), before);
}
