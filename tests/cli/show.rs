//! `strata show`.

use crate::support::*;

#[test]
fn show_lists_tables_columns_types_flags_and_fingerprints() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let show = json_one(&ok(&store, &["show", "penguins@1", "--json"]));
    assert_eq!(show["dataset"], "penguins");
    assert_eq!(show["version"], 1);
    assert_eq!(show["active"], true);
    assert_eq!(show["created_seq"], 1);
    assert_eq!(show["metadata"], Value::Null);
    assert_eq!(show["override_reason"], Value::Null);
    let table = &show["tables"][0];
    assert_eq!(table["name"], "penguins-raw");
    let columns = table["columns"].as_array().unwrap();
    let delta = columns
        .iter()
        .find(|c| c["name"] == "Delta 15 N (o/oo)")
        .unwrap();
    assert_eq!(delta["type"], "Float64");
    assert_eq!(delta["nullable"], true);
    let text = ok(&store, &["show", "penguins"]);
    assert!(text.contains("penguins version 1 (active)"), "{text}");
    assert!(text.contains("fingerprint:"), "{text}");
    assert!(text.contains("from penguins-raw.csv"), "{text}");
    assert!(
        text.contains("Delta 15 N (o/oo)") && text.contains("nullable"),
        "{text}"
    );
}

#[test]
fn a_version_can_be_named_by_a_relative_time() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let plus = file(tmp.path(), "t.csv", SMALL_PLUS_COLUMN);
    ok(&store, &["upload", "d", &plus, "--overwrite"]);
    let now = json_one(&ok(&store, &["show", "d@now", "--json"]));
    assert_eq!(now["version"], 2);
    let r = expect(&store, &["show", "d@1 day ago"], 2);
    assert!(r.stderr.contains("no version `as of "), "{}", r.stderr);
    assert!(
        r.stderr.contains("the first one uploaded later"),
        "{}",
        r.stderr
    );
}
