//! `strata cat`: exact bytes, damaged blobs, closed pipes.

use crate::support::*;

#[test]
fn cat_returns_bytes_identical_to_the_uploaded_file_for_any_version() {
    let (tmp, store) = new_store();
    let v1 = upload_penguins(&store);
    let clean = file(
        tmp.path(),
        "penguins-raw.csv",
        &std::fs::read(data("penguins.csv")).unwrap(),
    );
    ok(
        &store,
        &[
            "upload",
            "penguins",
            &clean,
            "--overwrite",
            "--drift-policy",
            "allow",
        ],
    );
    let raw = std::fs::read(data("penguins-raw.csv")).unwrap();
    let cleaned = std::fs::read(data("penguins.csv")).unwrap();
    let bytes = |args: &[&str]| {
        let output = strata(&store).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        output.stdout
    };
    assert_eq!(bytes(&["cat", "penguins"]), cleaned);
    assert_eq!(bytes(&["cat", "penguins@1"]), raw);
    assert_eq!(bytes(&["cat", "penguins@v2", "penguins-raw"]), cleaned);
    assert_eq!(bytes(&["cat", "penguins@1", "table_0"]), raw);
    let prefix = &v1["hash"].as_str().unwrap()[..8];
    assert_eq!(bytes(&["cat", &format!("penguins@{prefix}")]), raw);
    let created = json_lines(&ok(&store, &["history", "penguins", "--json"]))[0]["created"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(bytes(&["cat", &format!("penguins@{created}")]), raw);
    let before = expect(&store, &["cat", "penguins@2001-01-01T00:00:00Z"], 2);
    assert!(before.stderr.contains("no version"), "{}", before.stderr);

    let target = tmp.path().join("out.csv");
    let written = json_one(&ok(
        &store,
        &[
            "cat",
            "penguins@1",
            "--output",
            &path_str(&target),
            "--json",
        ],
    ));
    assert_eq!(std::fs::read(&target).unwrap(), raw);
    assert_eq!(written["version"], 1);
    assert_eq!(written["byte_len"], raw.len());
    let missing_table = expect(&store, &["cat", "penguins", "nope"], 2);
    assert!(
        missing_table.stderr.contains("no table `nope`"),
        "{}",
        missing_table.stderr
    );
}

#[test]
fn cat_of_a_damaged_blob_exits_2_and_leaves_no_output_file() {
    let (tmp, store) = new_store();
    let v1 = upload_penguins(&store);
    let blob = blob_path(&store, &v1["tables"][0]["content_hash"]);
    flip_byte(&blob, 100);
    let target = tmp.path().join("out.csv");
    let r = expect(
        &store,
        &["cat", "penguins", "--output", &path_str(&target)],
        2,
    );
    assert!(r.stderr.contains("is damaged"), "{}", r.stderr);
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("strata-tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let to_stdout = expect(&store, &["cat", "penguins"], 2);
    assert!(
        to_stdout.stderr.contains("is damaged"),
        "{}",
        to_stdout.stderr
    );
}

#[test]
fn cat_into_a_reader_that_closes_early_exits_0() {
    let (_tmp, store) = new_store();
    // 210 kB: more than a pipe buffer, so the writer meets the closed pipe.
    let airports = path_str(&data("airports.csv"));
    ok(&store, &["upload", "airports", &airports]);
    let (line, code, stderr) = read_one_line_then_close(&store, &["cat", "airports"], || {});
    assert!(line.starts_with("iata,"), "{line}");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn tables_stored_inside_the_log_by_default_read_back_verify_and_show_in_dump() {
    let (tmp, store) = new_store();
    let csv = file(tmp.path(), "sites.csv", b"site,city\nS1,Oslo\n");
    let uploaded = run(strata_inline(&store).args(["upload", "trial", &csv]));
    assert_eq!(uploaded.code, 0, "{}", uploaded.stderr);
    assert!(
        blob_files(&store).is_empty(),
        "no blob file for a small table"
    );
    let cat = strata_inline(&store)
        .args(["cat", "trial"])
        .output()
        .unwrap();
    assert!(cat.status.success());
    assert_eq!(cat.stdout, b"site,city\nS1,Oslo\n");
    let dump = run(strata_inline(&store).args(["dump"]));
    assert!(dump.stdout.contains("table-bytes"), "{}", dump.stdout);
    let verify = run(strata_inline(&store).args(["verify", "--deep"]));
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}

/// Every file under the store's blob folder.
fn blob_files(store: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![store.join("blobs")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}
