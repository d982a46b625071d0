//! Helpers shared by the store tests.
#![allow(dead_code)]

use std::path::PathBuf;
use strata::schema::SchemaDriftPolicy;
use strata::{Store, StoreOptions, UploadFile, UploadRequest};

/// A small table, the same with one more column, with one more row, and with a column whose
/// type changed (breaking drift).
pub const SMALL: &[u8] = b"id,name,score\n1,ana,3.5\n2,bo,4\n";
pub const SMALL_PLUS_COLUMN: &[u8] = b"id,name,score,site\n1,ana,3.5,x\n2,bo,4,y\n";
pub const SMALL_MORE_ROWS: &[u8] = b"id,name,score\n1,ana,3.5\n2,bo,4\n3,cy,5\n";
pub const SMALL_BREAKING: &[u8] = b"id,name,score\n1,ana,high\n2,bo,low\n";

/// A file of `tests/data`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(name)
}

/// The bytes of a file of `tests/data`.
pub fn data_bytes(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap()
}

/// Store options for tests: invariants checked after every write.
pub fn options() -> StoreOptions {
    StoreOptions {
        check_invariants: true,
        ..StoreOptions::default()
    }
}

/// [`options`] with every table stored as a blob file (`inline_table_max` 0), for tests
/// that examine blob files, or count and number the log's records as one per event.
pub fn blob_file_options() -> StoreOptions {
    StoreOptions {
        inline_table_max: 0,
        ..options()
    }
}

/// A new store in a temporary directory.
pub fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    (dir, store)
}

/// An upload of in-memory files `(file name, bytes)`, with a note: the reason an upload
/// needs when its content is an earlier version's (it is then a rollback to it).
pub fn upload(dataset: &str, files: &[(&str, &[u8])]) -> UploadRequest {
    let files = files
        .iter()
        .map(|(n, b)| UploadFile::from_bytes(*n, b.to_vec()))
        .collect();
    UploadRequest {
        note: "a test upload".into(),
        ..UploadRequest::new(dataset, files, "tester")
    }
}

/// An overwrite of in-memory files under a policy.
pub fn overwrite(
    dataset: &str,
    files: &[(&str, &[u8])],
    policy: SchemaDriftPolicy,
) -> UploadRequest {
    UploadRequest {
        overwrite: true,
        drift_policy: Some(policy),
        ..upload(dataset, files)
    }
}

/// An upload of files of `tests/data`.
pub fn upload_data(dataset: &str, names: &[&str]) -> UploadRequest {
    let files = names
        .iter()
        .map(|n| UploadFile::from_path(data(n)).unwrap())
        .collect();
    UploadRequest::new(dataset, files, "tester")
}

/// Every file under the store's blob folder.
pub fn blob_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("blobs")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Reads a table of a version fully.
pub fn read_table(store: &Store, dataset: &str, version: &str, table: Option<&str>) -> Vec<u8> {
    let (_, mut reader) = store
        .open_table(dataset, &version.parse().unwrap(), table)
        .unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut out).unwrap();
    out
}

/// How many cases a property test runs: `PROPTEST_CASES` when set (for a longer run, as
/// proptest's own default reads it), else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The position (segment file, offset, seq) and defect of a corruption error; panics on any
/// other outcome.
pub fn corrupt<T: std::fmt::Debug, E: Into<strata::Error>>(
    result: Result<T, E>,
) -> (PathBuf, u64, u64, strata::format::Defect) {
    match result.map_err(Into::into) {
        Err(strata::Error::Log(strata::log::Error::Corrupt { position, defect })) => {
            (position.segment, position.offset, position.seq, defect)
        }
        other => panic!("expected corruption, got {other:?}"),
    }
}
