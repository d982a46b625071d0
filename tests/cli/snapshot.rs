//! `strata snapshot`, and `verify` comparing snapshots with the log.

use crate::support::*;

#[test]
fn snapshot_writes_one_and_verify_compares_it_with_the_log_and_reports_a_damaged_one() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let snap = json_one(&ok(&store, &["snapshot", "--json"]));
    assert_eq!(snap["seq"], 1);
    let path = PathBuf::from(snap["path"].as_str().unwrap());
    assert!(path.is_file());
    let summary = json_lines(&ok(&store, &["verify", "--json"]))
        .pop()
        .unwrap();
    assert_eq!(summary["snapshot_checked"], 1);
    flip_byte(&path, 70);
    let damaged = expect(&store, &["verify"], 1);
    assert!(
        damaged.stdout.contains("ignored snapshot"),
        "{}",
        damaged.stdout
    );
}

#[test]
fn verify_reports_a_forged_snapshot_as_tampering_naming_it_and_exits_3() {
    let (_tmp, store) = new_store();
    upload_penguins(&store);
    let snap = json_one(&ok(&store, &["snapshot", "--json"]));
    let path = PathBuf::from(snap["path"].as_str().unwrap());
    // A byte of the catalog image changed and the CRC fixed, as FORMAT.md allows anyone to.
    let bytes = std::fs::read(&path).unwrap();
    let (header, body) = strata::format::SnapshotHeader::decode_file(&bytes).unwrap();
    let mut body = body.to_vec();
    let last = body.len() - 1;
    body[last] ^= 0x01;
    std::fs::write(&path, header.encode_file(&body)).unwrap();

    let forged = expect(&store, &["verify"], 3);
    assert!(
        forged.stdout.contains("tamper: ignored snapshot"),
        "{}",
        forged.stdout
    );
    assert!(
        forged.stdout.contains(&path.display().to_string()),
        "{}",
        forged.stdout
    );
    assert!(forged.stdout.contains("TAMPERED"), "{}", forged.stdout);
    let lines = json_lines(&expect(&store, &["verify", "--json"], 3).stdout);
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "tampering" && l["detail"].as_str().unwrap().contains("forged")),
        "{lines:?}"
    );
    // Every reader ignores it: the catalog is replayed from the log.
    let names = json_lines(&ok(&store, &["datasets", "--json"]));
    assert_eq!(names.len(), 1);
}
