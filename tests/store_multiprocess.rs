//! Real processes overwriting the same dataset at once: every overwrite becomes its own
//! version (none is lost), because each write decides under the writer lock after catching
//! up. Each upload stores one table inside the log and one as a blob file. The test binary
//! re-executes itself as the child (`child_process_entry`).

mod common;

use common::{overwrite, upload};
use std::process::{Command, Stdio};
use strata::schema::SchemaDriftPolicy;
use strata::{Store, StoreOptions};

/// The small table of an upload (stored inside the log).
fn content(child: u32, i: u32) -> String {
    format!("id,name,score\n{child},c{child}-{i},1.5\n")
}

/// The large table of an upload (more than [`INLINE_MAX`] bytes: a blob file).
fn large(child: u32, i: u32) -> String {
    let rows: String = (0..8)
        .map(|r| format!("{r},c{child}-{i}-{r},2.5\n"))
        .collect();
    format!("id,name,score\n{rows}")
}

const INLINE_MAX: u64 = 64;

fn options() -> StoreOptions {
    StoreOptions {
        inline_table_max: INLINE_MAX,
        ..common::options()
    }
}

/// Ignored, so that it never counts as a passing test: the test that spawns children runs it
/// with `--ignored`, and run without `STRATA_STORE_CHILD_DIR` it fails.
#[test]
#[ignore = "the entry point of child processes, run by the test that spawns them"]
fn child_process_entry() {
    let dir = std::env::var("STRATA_STORE_CHILD_DIR")
        .expect("STRATA_STORE_CHILD_DIR names the store: this runs only as a spawned child");
    let child: u32 = std::env::var("STRATA_STORE_CHILD_ID")
        .unwrap()
        .parse()
        .unwrap();
    let store = Store::open(&dir, options()).unwrap();
    for i in 0..10 {
        let (body, big) = (content(child, i), large(child, i));
        assert!(body.len() as u64 <= INLINE_MAX && big.len() as u64 > INLINE_MAX);
        let request = overwrite(
            "d",
            &[("t.csv", body.as_bytes()), ("big.csv", big.as_bytes())],
            SchemaDriftPolicy::Reject,
        );
        store.save_upload(request).unwrap();
    }
}

#[test]
fn processes_overwriting_one_dataset_at_once_each_get_their_own_versions() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    store
        .save_upload(upload(
            "d",
            &[
                ("t.csv", b"id,name,score\n0,start,1.5\n"),
                ("big.csv", large(0, 0).as_bytes()),
            ],
        ))
        .unwrap();
    drop(store);
    let children: Vec<_> = (1..=3u32)
        .map(|id| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "child_process_entry",
                    "--test-threads=1",
                ])
                .env("STRATA_STORE_CHILD_DIR", dir.path())
                .env("STRATA_STORE_CHILD_ID", id.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let store = Store::open(dir.path(), options()).unwrap();
    let versions = store.catalog().get("d").unwrap().versions.clone();
    assert_eq!(
        versions.len(),
        31,
        "1 + 3 processes x 10 overwrites, none lost"
    );
    for child in 1..=3 {
        for i in 0..10 {
            let (expected, big) = (content(child, i), large(child, i));
            let found = versions.iter().any(|v| {
                let number = v.number.to_string();
                common::read_table(&store, "d", &number, Some("t")) == expected.as_bytes()
                    && common::read_table(&store, "d", &number, Some("big")) == big.as_bytes()
            });
            assert!(found, "child {child} overwrite {i} is missing");
        }
    }
    assert_eq!(
        store.catalog().inline_table_count(),
        31,
        "every small table inline"
    );
    assert_eq!(
        common::blob_files(dir.path()).len(),
        31,
        "every large one a file"
    );
    store.assert_invariants(true).unwrap();
}
