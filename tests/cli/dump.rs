//! `strata dump`: the record-level view, of healthy and damaged segments.

use crate::support::*;

#[test]
fn dump_shows_segment_headers_records_checksums_and_decoded_events() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    ok(
        &store,
        &["rollback", "d", "1", "--reason", "a test rollback", "--yes"],
    );
    let items = json_lines(&ok(&store, &["dump", "--json"]));
    let segment = &items[0];
    assert_eq!(segment["item"], "segment");
    assert_eq!(segment["segment"], "00000000000000000001.seg");
    assert_eq!(segment["header"]["segment_number"], 0);
    assert_eq!(segment["header"]["base_seq"], 1);
    // A new store's segments are of format version 2 (read version 2, write version 2).
    assert_eq!(segment["header"]["format_version"], 2);
    assert_eq!(segment["header"]["write_version"], 2);
    assert_eq!(segment["defect"], Value::Null);
    let record = &items[1];
    assert_eq!(record["item"], "record");
    assert_eq!(record["offset"], 128);
    assert_eq!(record["seq"], 1);
    assert_eq!(record["type"], "dataset-event");
    assert_eq!(record["type_code"], 256);
    assert_eq!(record["ok"], true);
    assert_eq!(
        record["header_crc"]["stored"],
        record["header_crc"]["computed"]
    );
    assert_eq!(record["body_crc"]["stored"], record["body_crc"]["computed"]);
    assert_eq!(
        record["len"].as_u64().unwrap(),
        32 + record["body_len"].as_u64().unwrap()
    );
    assert_eq!(record["body"]["type"], "upload_created");
    assert_eq!(record["body"]["dataset"], "d");
    let end = items.last().unwrap();
    assert_eq!(end["item"], "end");
    assert_eq!(end["sealed"], false);
    assert_eq!(items.len(), 3, "one segment, one record, one end");

    let from_two = json_lines(&ok(&store, &["dump", "0", "--from", "2", "--json"]));
    assert!(from_two
        .iter()
        .all(|i| i["item"] != "record" || i["seq"] == 2));
    let by_name = ok(&store, &["dump", "00000000000000000001.seg"]);
    assert!(by_name.contains("header: format 2 (write 2)"), "{by_name}");
    assert!(by_name.contains("upload_created `d`"), "{by_name}");
    let unknown = expect(&store, &["dump", "7"], 2);
    assert!(
        unknown.stderr.contains("no segment `7`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn dump_shows_a_damaged_record_and_continues_at_the_next_valid_one() {
    let (tmp, store) = new_store();
    for name in ["a", "b", "c"] {
        ok(&store, &["upload", name, &file(tmp.path(), "t.csv", SMALL)]);
    }
    let before = json_lines(&ok(&store, &["dump", "--json"]));
    let offset = before[2]["offset"].as_u64().unwrap();
    flip_byte(&segment_path(&store), offset + 40);
    let items = json_lines(&ok(&store, &["dump", "--json"]));
    let damaged = items
        .iter()
        .find(|i| i["item"] == "record" && i["ok"] == false)
        .unwrap();
    assert_eq!(damaged["offset"], offset);
    assert_eq!(damaged["seq"], 2);
    assert_ne!(
        damaged["body_crc"]["stored"],
        damaged["body_crc"]["computed"]
    );
    assert!(damaged["defects"][0]
        .as_str()
        .unwrap()
        .contains("body checksum"));
    let skip = items.iter().find(|i| i["item"] == "skip").unwrap();
    assert_eq!(skip["next_seq"], 3);
    assert!(items
        .iter()
        .any(|i| i["item"] == "record" && i["seq"] == 3 && i["ok"] == true));
    let text = ok(&store, &["dump"]);
    assert!(text.contains("DAMAGED: body checksum mismatch"), "{text}");
}
