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
        text.contains("leftovers: 1 orphan blob (10 bytes), 1 temporary file (5 bytes)"),
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
        done.contains("gc: removed 1 orphan blob and 1 temporary file (15 bytes)"),
        "{done}"
    );
    assert!(!orphan.exists() && !temp.exists());
    let verify = ok(&store, &["verify", "--deep"]);
    assert!(verify.contains("verify: ok"), "{verify}");
    let again = ok(&store, &["gc"]);
    assert!(
        again.contains("removed 0 orphan blobs and 0 temporary files"),
        "{again}"
    );
}
