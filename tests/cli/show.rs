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
