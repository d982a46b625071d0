//! FORMAT.md is the normative spec: every constant the code uses for the layout must match
//! its tables and text.

use strata::format::layout::{record as rec, segment_header as seg};
use strata::format::{
    crc32, RecordType, FORMAT_VERSION, MAX_BODY_LEN, RECORD_HEADER_LEN, REPAIR_BODY_FIXED_LEN,
    SEAL_BODY_LEN, SEGMENT_HEADER_LEN, SEGMENT_MAGIC, TORN_CUT_BODY_LEN,
};

fn spec() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md")).unwrap()
}

/// The `(offset, size)` rows of the first table after the heading `heading`.
fn table(heading: &str) -> Vec<(usize, String)> {
    let spec = spec();
    let start = spec
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading}"));
    spec[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (cells[1].parse().unwrap(), cells[2].to_owned())
        })
        .collect()
}

fn offsets_and_sizes(rows: &[(usize, String)]) -> Vec<(usize, Option<usize>)> {
    rows.iter().map(|(o, s)| (*o, s.parse().ok())).collect()
}

#[test]
fn segment_header_offsets_and_sizes_match_the_spec() {
    let rows = offsets_and_sizes(&table("### Segment header"));
    let code = vec![
        (seg::MAGIC_OFFSET, Some(8)),
        (seg::VERSION_OFFSET, Some(2)),
        (seg::HEADER_LEN_OFFSET, Some(2)),
        (seg::FLAGS_OFFSET, Some(4)),
        (seg::STORE_ID_OFFSET, Some(16)),
        (seg::SEGMENT_NUMBER_OFFSET, Some(8)),
        (seg::BASE_SEQ_OFFSET, Some(8)),
        (seg::PREV_SEAL_OFFSET_OFFSET, Some(8)),
        (seg::CREATED_AT_OFFSET, Some(8)),
        (
            seg::RESERVED_OFFSET,
            Some(seg::HEADER_CRC_OFFSET - seg::RESERVED_OFFSET),
        ),
        (seg::HEADER_CRC_OFFSET, Some(4)),
    ];
    assert_eq!(rows, code);
    assert_eq!(seg::HEADER_CRC_OFFSET + 4, SEGMENT_HEADER_LEN);
    assert!(spec().contains(&format!("header length in bytes (`{SEGMENT_HEADER_LEN}`)")));
}

#[test]
fn record_header_offsets_and_sizes_match_the_spec() {
    let rows = offsets_and_sizes(&table("### Record"));
    let code = vec![
        (rec::HEADER_CRC_OFFSET, Some(4)),
        (rec::BODY_LEN_OFFSET, Some(4)),
        (rec::SEQ_OFFSET, Some(8)),
        (rec::TIMESTAMP_OFFSET, Some(8)),
        (rec::TYPE_OFFSET, Some(2)),
        (rec::FLAGS_OFFSET, Some(2)),
        (rec::BODY_CRC_OFFSET, Some(4)),
        (RECORD_HEADER_LEN, None), // the body: "body length" bytes
    ];
    assert_eq!(rows, code);
}

#[test]
fn seal_body_layout_matches_the_spec() {
    let rows = offsets_and_sizes(&table("### Seal record"));
    assert_eq!(
        rows,
        vec![(0, Some(8)), (8, Some(8)), (16, Some(8)), (24, Some(8))]
    );
    assert_eq!(SEAL_BODY_LEN, 32);
    assert!(spec().contains(&format!("Its body, {SEAL_BODY_LEN} bytes")));
    assert!(spec().contains(&format!("body {TORN_CUT_BODY_LEN} bytes")));
    assert!(spec().contains(&format!(
        "exactly {REPAIR_BODY_FIXED_LEN} plus the name length"
    )));
}

#[test]
fn magic_version_maximum_and_crc_match_the_spec() {
    let spec = spec();
    let hex: Vec<String> = SEGMENT_MAGIC.iter().map(|b| format!("{b:02X}")).collect();
    assert!(spec.contains(&format!("magic: `{}`", hex.join(" "))));
    assert!(spec.contains(&format!(
        "Format version described here: **{FORMAT_VERSION}**"
    )));
    assert!(spec.contains(&format!("(`{MAX_BODY_LEN}`)")));
    assert!(spec.contains("check value of the ASCII\n  string `123456789` is `0xCBF43926`"));
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0, "the spec says the CRC of an empty body is 0");
}

#[test]
fn record_types_match_the_spec() {
    let spec = spec();
    for (t, name) in [
        (RecordType::SEAL, "seal"),
        (RecordType::TORN_CUT, "torn-cut"),
        (RecordType::REPAIR, "repair"),
    ] {
        assert!(
            spec.contains(&format!("| `{:#06x}` | {name} |", t.0)),
            "{name}"
        );
        assert_eq!(t.name(), name);
    }
    assert!(spec.contains(&format!(
        "| `{:#06x}` | dataset event |",
        RecordType::FIRST_APPLICATION
    )));
    let first_free = RecordType::FIRST_APPLICATION + 1;
    assert!(spec.contains(&format!("`{first_free:#06x}`–`0xFFFF` | application")));
}

#[test]
fn a_dataset_event_body_is_encoded_as_the_spec_says() {
    use strata::store::{Event, EventKind, DATASET_EVENT, EVENT_ENCODING_VERSION};
    let spec = spec();
    assert!(spec.contains(&format!("| `{:#06x}` | dataset event |", DATASET_EVENT.0)));
    assert!(spec.contains(&format!(
        "event encoding version (`{EVENT_ENCODING_VERSION}`)"
    )));
    let (event_id, dataset_id) = (
        uuid::Uuid::from_bytes([1; 16]),
        uuid::Uuid::from_bytes([2; 16]),
    );
    let event = Event {
        event_id,
        timestamp_micros: -5,
        actor: "ana".into(),
        note: "n".into(),
        dataset_id,
        kind: EventKind::VersionActivated {
            version: 2,
            from: 3,
        },
    };
    // Written out field by field as FORMAT.md's "Dataset events" section lists them.
    let mut expected = vec![EVENT_ENCODING_VERSION];
    expected.extend(16u64.to_le_bytes());
    expected.extend([1u8; 16]);
    expected.extend((-5i64).to_le_bytes());
    expected.extend(16u64.to_le_bytes());
    expected.extend([2u8; 16]);
    expected.extend(1u32.to_le_bytes()); // variant index of version_activated
    expected.extend(2u64.to_le_bytes());
    expected.extend(3u64.to_le_bytes());
    expected.extend(3u64.to_le_bytes());
    expected.extend(b"ana");
    expected.extend(1u64.to_le_bytes());
    expected.extend(b"n");
    assert_eq!(event.encode(), expected);
}

#[test]
fn snapshot_header_offsets_and_sizes_match_the_spec() {
    use strata::format::layout::snapshot_header as snap;
    use strata::format::{SNAPSHOT_FORMAT_VERSION, SNAPSHOT_HEADER_LEN, SNAPSHOT_MAGIC};
    let rows = offsets_and_sizes(&table("## Snapshots"));
    let code = vec![
        (snap::SNAP_MAGIC_OFFSET, Some(8)),
        (snap::SNAP_VERSION_OFFSET, Some(2)),
        (snap::SNAP_HEADER_LEN_OFFSET, Some(2)),
        (snap::SNAP_FLAGS_OFFSET, Some(4)),
        (snap::SNAP_STORE_ID_OFFSET, Some(16)),
        (snap::SNAP_SEQ_OFFSET, Some(8)),
        (snap::SNAP_BODY_LEN_OFFSET, Some(8)),
        (snap::SNAP_CREATED_AT_OFFSET, Some(8)),
        (snap::SNAP_RESERVED_OFFSET, Some(4)),
        (snap::SNAP_CRC_OFFSET, Some(4)),
        (SNAPSHOT_HEADER_LEN, None),
    ];
    assert_eq!(rows, code);
    let spec = spec();
    let hex: Vec<String> = SNAPSHOT_MAGIC.iter().map(|b| format!("{b:02X}")).collect();
    assert!(spec.contains(&format!("magic: `{}`", hex.join(" "))));
    assert!(spec.contains(&format!(
        "snapshot format version (`{SNAPSHOT_FORMAT_VERSION}`)"
    )));
    assert!(spec.contains(&format!("header length in bytes (`{SNAPSHOT_HEADER_LEN}`)")));
    let catalog_version = strata::store::snapshot::CATALOG_ENCODING_VERSION;
    assert!(spec.contains(&format!(
        "one byte of catalog encoding version (`{catalog_version}`)"
    )));
}
