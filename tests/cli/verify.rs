//! `strata verify`: healthy stores, damaged segments and blobs.

use crate::support::*;

#[test]
fn verify_of_a_healthy_store_exits_0_with_an_ok_summary() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let text = ok(&store, &["verify", "--deep"]);
    assert!(text.contains("invariants: ok"), "{text}");
    assert!(text.contains("blobs: 1 checked, 0 damaged"), "{text}");
    assert!(text.trim_end().ends_with("verify: ok"), "{text}");
    let summary = json_one(&ok(&store, &["verify", "--deep", "--json"]));
    assert_eq!(summary["item"], "summary");
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["problems"], 0);
    assert_eq!(summary["segments"], 1);
    assert_eq!(summary["records"], 1);
    assert_eq!(summary["last_seq"], 1);
    assert_eq!(summary["torn_tail"], Value::Null);
    assert_eq!(summary["invariants_checked"], true);
    assert_eq!(summary["deep"], true);
    assert_eq!(summary["blobs_checked"], 1);
}

#[test]
fn verify_reports_a_flipped_segment_byte_with_its_position_and_exits_1() {
    let (tmp, store) = new_store();
    for name in ["a", "b", "c"] {
        ok(&store, &["upload", name, &file(tmp.path(), "t.csv", SMALL)]);
    }
    let records = json_lines(&ok(&store, &["dump", "--json"]));
    let second = records
        .iter()
        .find(|r| r["item"] == "record" && r["seq"] == 2)
        .unwrap();
    let offset = second["offset"].as_u64().unwrap();
    flip_byte(&segment_path(&store), offset + 40);

    let r = expect(&store, &["verify"], 1);
    let problem = r
        .stdout
        .lines()
        .find(|l| l.starts_with("problem:"))
        .unwrap_or_else(|| panic!("no problem line in:\n{}", r.stdout));
    assert!(
        problem.contains("segment 00000000000000000001.seg"),
        "{problem}"
    );
    assert!(problem.contains(&format!("offset {offset}")), "{problem}");
    assert!(problem.contains("seq 2"), "{problem}");
    assert!(problem.contains("checksum"), "{problem}");
    assert!(r.stdout.contains("verify: 1 problem found"), "{}", r.stdout);

    let lines = json_lines(&expect(&store, &["verify", "--json"], 1).stdout);
    let p = &lines[0];
    assert_eq!(p["item"], "problem");
    assert_eq!(p["kind"], "log");
    assert_eq!(p["segment"], "00000000000000000001.seg");
    assert_eq!(p["offset"], offset);
    assert_eq!(p["seq"], 2);
    let summary = lines.last().unwrap();
    assert_eq!(summary["ok"], false);
    assert_eq!(summary["invariants_checked"], false);

    // Other commands refuse a corrupt log with exit 2 and point at verify and repair.
    let refused = expect(&store, &["datasets"], 2);
    assert!(
        refused.stderr.contains("strata verify"),
        "{}",
        refused.stderr
    );
}

#[test]
fn verify_deep_reports_a_flipped_blob_byte_and_exits_1() {
    let (_tmp, store) = new_store();
    let v1 = upload_penguins(&store);
    let blob = blob_path(&store, &v1["tables"][0]["content_hash"]);
    flip_byte(&blob, 1000);
    ok(&store, &["verify"]);
    let r = expect(&store, &["verify", "--deep"], 1);
    let problem = r
        .stdout
        .lines()
        .find(|l| l.starts_with("problem:"))
        .unwrap();
    assert!(problem.contains(&path_str(&blob)), "{problem}");
    assert!(problem.contains("`penguins` version 1"), "{problem}");
    assert!(problem.contains("table `penguins-raw`"), "{problem}");
    assert!(
        r.stdout.contains("blobs: 1 checked, 1 damaged"),
        "{}",
        r.stdout
    );
    let lines = json_lines(&expect(&store, &["verify", "--deep", "--json"], 1).stdout);
    let p = &lines[0];
    assert_eq!(p["kind"], "blob");
    assert_eq!(p["path"], path_str(&blob));
    assert_eq!(p["hash"], v1["tables"][0]["content_hash"]);
    assert_eq!(p["dataset"], "penguins");
    assert_eq!(p["version"], 1);
    assert_eq!(p["table"], "penguins-raw");
}
