//! `strata init`.

use crate::support::*;

#[test]
fn init_creates_a_store_and_a_second_init_is_refused_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let created = json_one(&ok(&store, &["init", "--json"]));
    assert_eq!(created["store"], path_str(&store));
    assert_eq!(created["store_id"].as_str().unwrap().len(), 36);
    assert!(store.join("log").is_dir());
    let again = expect(&store, &["init"], 1);
    assert!(again.stderr.starts_with("error: "), "{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}
