//! `strata gc`, and the leftovers `stat` and `verify` report.

use crate::support::*;

/// A store with an upload, an orphan blob and a temporary file of an interrupted upload.
fn store_with_leftovers() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let orphan = store.join("blobs/sha256/ff/orphan-of-a-failed-upload");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"0123456789").unwrap();
    let temp = store.join("blobs/tmp/killed-upload.tmp");
    std::fs::write(&temp, b"01234").unwrap();
    (tmp, store, orphan, temp)
}

#[test]
fn stat_and_verify_report_orphan_blobs_and_temporary_files_without_failing() {
    let (_tmp, store, orphan, temp) = store_with_leftovers();
    let stat = json_one(&ok(&store, &["stat", "--json"]));
    assert_eq!(
        (
            stat["orphan_blobs"].as_u64(),
            stat["orphan_blob_bytes"].as_u64()
        ),
        (Some(1), Some(10))
    );
    assert_eq!(
        (
            stat["temp_files"].as_u64(),
            stat["temp_file_bytes"].as_u64()
        ),
        (Some(1), Some(5))
    );
    let text = ok(&store, &["stat"]);
    assert!(
        text.contains("leftovers: 1 orphan blob (10 bytes), 1 temporary file (5 bytes), 0 stale columnar files (0 bytes)"),
        "{text}"
    );
    let verify = ok(&store, &["verify"]);
    assert!(
        verify.contains(&format!("orphan blob: {}", orphan.display())),
        "{verify}"
    );
    assert!(
        verify.contains(&format!("temporary file: {}", temp.display())),
        "{verify}"
    );
    assert!(
        verify.contains("`strata gc` removes them") && verify.contains("verify: ok"),
        "{verify}"
    );
    assert!(orphan.exists() && temp.exists(), "reading changes nothing");
}

#[test]
fn gc_dry_run_lists_and_gc_removes_the_leftovers_but_no_blob_in_use() {
    let (_tmp, store, orphan, temp) = store_with_leftovers();
    let dry = ok(&store, &["gc", "--dry-run"]);
    assert!(
        dry.contains("would remove orphan blob") && dry.contains("without --dry-run"),
        "{dry}"
    );
    assert!(orphan.exists() && temp.exists());
    let done = ok(&store, &["gc"]);
    assert!(
        done.contains(
            "gc: removed 1 orphan blob, 1 temporary file and 0 stale columnar files (15 bytes)"
        ),
        "{done}"
    );
    assert!(!orphan.exists() && !temp.exists());
    let verify = ok(&store, &["verify", "--deep"]);
    assert!(verify.contains("verify: ok"), "{verify}");
    let again = ok(&store, &["gc"]);
    assert!(
        again.contains("removed 0 orphan blobs, 0 temporary files and 0 stale columnar files"),
        "{again}"
    );
}

/// The files under `derived/parquet/`, by name relative to it.
#[cfg(feature = "sql")]
fn derived_files(store: &Path) -> Vec<String> {
    let dir = store.join("derived/parquet");
    let mut names = Vec::new();
    for sub in ["", "index", "tmp"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                names.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    names.sort();
    names
}

#[cfg(feature = "sql")]
#[test]
fn gc_removes_stale_columnar_files_and_keeps_the_copy_a_table_uses() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    ok(&store, &["materialize", "d"]);
    let kept = derived_files(&store);
    assert_eq!(kept.len(), 2, "one copy and its index entry: {kept:?}");
    let parquet = store.join("derived/parquet");
    // A copy no entry names (a killed materialize between its rename and its entry), an
    // entry of a table the store does not hold (cut by a repair), an interrupted copy.
    let unnamed = parquet.join(format!("{}.parquet", "ab".repeat(32)));
    std::fs::write(&unnamed, b"PAR1 not named by any index").unwrap();
    let foreign = parquet.join(format!("index/{}.json", "cd".repeat(32)));
    std::fs::write(&foreign, br#"{"parquet_hash":"x"}"#).unwrap();
    std::fs::create_dir_all(parquet.join("tmp")).unwrap();
    let interrupted = parquet.join("tmp/killed-materialize.tmp");
    std::fs::write(&interrupted, b"0123").unwrap();

    let stat = json_one(&ok(&store, &["stat", "--json"]));
    assert_eq!(
        (stat["stale_copies"].as_u64(), stat["temp_files"].as_u64()),
        (Some(2), Some(1))
    );
    let verify = ok(&store, &["verify"]);
    assert!(
        verify.contains(&format!("stale columnar file: {}", unnamed.display()))
            && verify.contains(&format!("stale columnar file: {}", foreign.display()))
            && verify.contains("verify: ok"),
        "{verify}"
    );
    let lines = json_lines(&ok(&store, &["gc", "--json"]));
    let kinds: Vec<&str> = lines.iter().filter_map(|l| l["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["temp_file", "stale_copy", "stale_copy"],
        "{lines:?}"
    );
    let summary = lines.last().unwrap();
    assert_eq!(
        (
            summary["stale_copies"].as_u64(),
            summary["temp_files"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(derived_files(&store), kept, "only the stale files are gone");
    let query = ok(
        &store,
        &["query", "d", "SELECT COUNT(*) AS n FROM t", "--json"],
    );
    assert!(query.contains("\"n\""), "{query}");
    assert_eq!(
        derived_files(&store),
        kept,
        "the query used the copy kept, and made none"
    );
}
