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
        (seg::WRITE_VERSION_OFFSET, Some(2)),
        (
            seg::RESERVED_OFFSET,
            Some(seg::HEADER_CRC_OFFSET - seg::RESERVED_OFFSET),
        ),
        (seg::HEADER_CRC_OFFSET, Some(4)),
    ];
    assert_eq!(rows, code);
    assert_eq!(seg::HEADER_CRC_OFFSET + 4, SEGMENT_HEADER_LEN);
    assert!(spec().contains(&format!("header length in bytes (`{SEGMENT_HEADER_LEN}`)")));
    assert!(spec().contains(&format!("| 8   | 2  | read version (`{FORMAT_VERSION}`;")));
    assert!(spec().contains(&format!(
        "| 64  | 2  | write version (`{FORMAT_VERSION}`; `0` in version 1"
    )));
}

/// A segment header written out field by field from FORMAT.md's "Segment header" table.
fn spec_segment_header(read_version: u16, stored_write_version: u16) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend([0x89, 0x53, 0x4C, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]); // magic
    h.extend(read_version.to_le_bytes()); // read version
    h.extend(128u16.to_le_bytes()); // header length
    h.extend(0u32.to_le_bytes()); // flags
    h.extend([0x11; 16]); // store UUID
    h.extend(3u64.to_le_bytes()); // segment number
    h.extend(700u64.to_le_bytes()); // base sequence number
    h.extend(1_999u64.to_le_bytes()); // offset of the previous seal
    h.extend(1_717_171_717_000_000i64.to_le_bytes()); // creation time
    h.extend(stored_write_version.to_le_bytes()); // write version (0 in version 1)
    h.extend([0u8; 58]); // reserved
    let crc = crc32(&h);
    h.extend(crc.to_le_bytes()); // CRC of bytes 0..124
    h
}

#[test]
fn a_version_2_segment_header_is_laid_out_as_the_spec_says() {
    use strata::format::SegmentHeader;
    let header = SegmentHeader::current([0x11; 16], 3, 700, 1_999, 1_717_171_717_000_000);
    let bytes = spec_segment_header(2, 2);
    assert_eq!(bytes.len(), SEGMENT_HEADER_LEN);
    assert_eq!(header.encode().to_vec(), bytes);
    assert_eq!(SegmentHeader::decode(&bytes).unwrap().0, header);
    assert_eq!((header.read_version, header.write_version), (2, 2));
}

#[test]
fn a_version_1_segment_header_reads_as_write_version_1() {
    use strata::format::SegmentHeader;
    let (header, _) = SegmentHeader::decode(&spec_segment_header(1, 0)).unwrap();
    assert_eq!((header.read_version, header.write_version), (1, 1));
    assert_eq!((header.segment_number, header.base_seq), (3, 700));
    // A version-1 header with a non-zero byte in what version 1 reserves is still refused.
    assert!(SegmentHeader::decode(&spec_segment_header(1, 1)).is_err());
    // A version-2 header whose write version is below its read version is invalid; one whose
    // write version is newer than this build's decodes (the log is then read-only).
    assert!(SegmentHeader::decode(&spec_segment_header(2, 1)).is_err());
    let (newer, _) = SegmentHeader::decode(&spec_segment_header(2, 3)).unwrap();
    assert!(!newer.appendable());
    // A read version newer than this build's is refused.
    assert!(SegmentHeader::decode(&spec_segment_header(3, 3)).is_err());
}

#[test]
fn the_segment_headers_of_the_format_1_fixtures_read_as_version_1() {
    use strata::format::SegmentHeader;
    let segment = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v1/history/log/00000000000000000001.seg"
    );
    let bytes = std::fs::read(segment).unwrap();
    let (header, _) = SegmentHeader::decode(&bytes).unwrap();
    assert_eq!((header.read_version, header.write_version), (1, 1));
    assert_eq!(
        &bytes[seg::WRITE_VERSION_OFFSET..seg::WRITE_VERSION_OFFSET + 2],
        [0, 0]
    );
}

#[test]
fn lock_file_offsets_and_sizes_match_the_spec() {
    use strata::format::lock_file::{
        decode_durable_mark, decode_generation, DURABLE_MARK_OFFSET, GENERATION_OFFSET,
        LOCK_FILE_LEN,
    };
    let rows = offsets_and_sizes(&table("### The lock file"));
    assert_eq!(
        rows,
        vec![
            (GENERATION_OFFSET, Some(8)),
            (DURABLE_MARK_OFFSET, Some(8)),
            (DURABLE_MARK_OFFSET + 8, Some(8)),
            (DURABLE_MARK_OFFSET + 16, Some(4)),
        ]
    );
    assert_eq!(LOCK_FILE_LEN, 28);
    // Written out as the table says: generation 5, mark (segment 2, offset 4096), its CRC.
    let mut bytes = 5u64.to_le_bytes().to_vec();
    bytes.extend(2u64.to_le_bytes());
    bytes.extend(4096u64.to_le_bytes());
    let crc = strata::format::crc32(&bytes[8..24]);
    bytes.extend(crc.to_le_bytes());
    assert_eq!(decode_generation(&bytes), 5);
    assert_eq!(decode_durable_mark(&bytes), Some((2, 4096)));
    // "A shorter file reads as write generation 0 when it holds fewer than 8 bytes ..., and
    // as no durable mark when it holds fewer than 28"; "a durable mark of zero is no mark";
    // "a mark whose CRC does not match is no mark".
    assert_eq!(decode_generation(&bytes[..7]), 0);
    assert_eq!(decode_durable_mark(&bytes[..27]), None);
    assert_eq!(decode_durable_mark(&[0; 28]), None);
    let mut flipped = bytes.clone();
    flipped[16] ^= 1;
    assert_eq!(decode_durable_mark(&flipped), None);
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
    use strata::format::CUT_CHECKPOINT_LEN;
    assert_eq!(CUT_CHECKPOINT_LEN, 8 + 8 + 32 + 1);
    assert!(spec().contains(&format!(
        "| {CUT_CHECKPOINT_LEN}·*C* | per checkpoint record cut, in log order: its sequence number (`u64`), its tree size (`u64`), its root (32 bytes), signed (`u8`"
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
        (RecordType::CHECKPOINT, "checkpoint"),
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
    assert!(spec.contains("| `0x0005`–`0x00FF` | reserved |"));
    assert!(spec.contains(&format!(
        "| `{:#06x}` | table bytes |",
        strata::format::TABLE_BYTES.0
    )));
    assert!(spec.contains(&format!(
        "| `{:#06x}` | query run |",
        strata::store::QUERY_RUN.0
    )));
    assert_eq!(
        strata::store::QUERY_RUN.0,
        strata::format::TABLE_BYTES.0 + 1
    );
    let first_free = strata::store::QUERY_RUN.0 + 1;
    assert!(spec.contains(&format!("`{first_free:#06x}`–`0xFFFF` | application")));
}

#[test]
fn a_table_bytes_body_is_laid_out_as_the_spec_says() {
    use strata::format::{
        decode_table_bytes, encode_table_bytes, MAX_INLINE_TABLE_LEN, TABLE_BYTES_HEAD_LEN,
        TABLE_BYTES_VERSION,
    };
    let rows = offsets_and_sizes(&table("## Table bytes records"));
    assert_eq!(
        rows,
        vec![(0, Some(1)), (1, Some(32)), (33, Some(8)), (41, None)]
    );
    assert_eq!(TABLE_BYTES_HEAD_LEN, 41);
    let spec = spec();
    assert!(spec.contains(&format!("table bytes version (`{TABLE_BYTES_VERSION}`)")));
    assert!(spec.contains(&format!("16 MiB − 41 =\n`{MAX_INLINE_TABLE_LEN}`")));
    assert!(spec.contains(&format!(
        "default 256 KiB = `{}`",
        strata::store::DEFAULT_INLINE_TABLE_MAX
    )));
    // Written out from the table: version, SHA-256, length, bytes.
    let bytes = b"site,city\nS1,Oslo\n";
    let hash = strata::digest::Digest::of(bytes).0;
    let mut expected = vec![1u8];
    expected.extend_from_slice(&hash);
    expected.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    expected.extend_from_slice(bytes);
    assert_eq!(encode_table_bytes(&hash, bytes), expected);
    let (head, back) = decode_table_bytes(&expected).unwrap();
    assert_eq!(
        (head.hash, head.len, back),
        (hash, bytes.len() as u64, &bytes[..])
    );
}

#[test]
fn a_dataset_event_body_is_encoded_as_the_spec_says() {
    use strata::store::{Event, EventKind, DATASET_EVENT, EVENT_ENCODING_V1};
    let spec = spec();
    assert!(spec.contains(&format!("| `{:#06x}` | dataset event |", DATASET_EVENT.0)));
    assert!(spec.contains(&format!("event encoding version (`{EVENT_ENCODING_V1}`")));
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
        os_account: None,
        salvaged_from: None,
    };
    // Written out field by field as FORMAT.md's "Dataset events" section lists them.
    let mut expected = vec![EVENT_ENCODING_V1];
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
    assert_eq!(event.encode_v1().unwrap(), expected);
}

#[test]
fn a_version_2_event_body_is_encoded_as_the_spec_says() {
    use strata::store::{Event, EventKind, OsAccount, SalvagedFrom, EVENT_ENCODING_VERSION};
    let spec = spec();
    assert_eq!(EVENT_ENCODING_VERSION, 2);
    assert!(spec.contains(&format!(
        "writes event encoding version (`{EVENT_ENCODING_VERSION}`)"
    )));
    let event = Event {
        event_id: uuid::Uuid::from_bytes([1; 16]),
        timestamp_micros: -5,
        actor: "ana".into(),
        note: "n".into(),
        dataset_id: uuid::Uuid::from_bytes([2; 16]),
        kind: EventKind::VersionActivated {
            version: 2,
            from: 3,
        },
        os_account: Some(OsAccount {
            uid: 1001,
            name: Some("svc".into()),
        }),
        salvaged_from: Some(SalvagedFrom {
            segment_number: 4,
            offset: 640,
            seq: 9,
        }),
    };
    // Written out field by field as FORMAT.md's "Dataset events" section lists them: version
    // 1's fields, then `os_account` and `salvaged_from`.
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
    expected.push(1); // os_account: some
    expected.extend(1001u32.to_le_bytes()); // uid
    expected.push(1); // name: some
    expected.extend(3u64.to_le_bytes());
    expected.extend(b"svc");
    expected.push(1); // salvaged_from: some
    expected.extend(4u64.to_le_bytes()); // segment_number
    expected.extend(640u64.to_le_bytes()); // offset
    expected.extend(9u64.to_le_bytes()); // seq
    assert_eq!(event.encode(), expected);
    assert_eq!(event.encode_v1(), None, "version 1 has no OS account");
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

// ---------------------------------------------------------------------------------------------
// Dataset events, pinned byte for byte.
//
// Each vector below was written out field by field from FORMAT.md's "Dataset events" section
// (bincode 1.3's legacy configuration: fixed-width little-endian integers, a `u64` length
// before every string, sequence and UUID, a `u32` variant index before every enum value, one
// byte before an `Option`), not from the code's output; the comment on each line names the
// field. The events cover every kind, every column type, delimiter and policy, `Some` and
// `None` of every `Option`, and empty and non-empty sequences. A change that alters any byte
// is a format break (see FORMAT.md's version rules).
// ---------------------------------------------------------------------------------------------

const UPLOAD_CREATED: &str = concat!(
    "01",                                                               // event encoding version
    "1000000000000000",                                                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081", // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                 // timestamp_micros: 1717171717171717
    "1000000000000000",                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f", // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "00000000",                         // kind: upload_created
    "0800000000000000",                 // dataset_name: u64 length 8
    "747269616c2d3432",                 // "trial-42"
    "0300000000000000",                 // version: 3
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // hash
    "01",                               // previous_active: Some
    "0200000000000000",                 // value: 2
    "0200000000000000",                 // tables: count 2
    "0700000000000000",                 // table_id: u64 length 7
    "7461626c655f30",                   // "table_0"
    "0500000000000000",                 // name: u64 length 5
    "7369746573",                       // "sites"
    "0900000000000000",                 // source_file: u64 length 9
    "73697465732e637376",               // "sites.csv"
    "1111111111111111111111111111111111111111111111111111111111111111", // content_hash
    "6000000000000000",                 // byte_len: 96
    "0300000000000000",                 // row_count
    "0300000000000000",                 // column_count
    "0300000000000000",                 // schema.columns: count 3
    "0400000000000000",                 // column name: u64 length 4
    "73697465",                         // "site"
    "05000000",                         // column_type Utf8
    "00",                               // nullable
    "01",                               // identifier
    "0600000000000000",                 // column name: u64 length 6
    "6f70656e6564",                     // "opened"
    "03000000",                         // column_type Date
    "01",                               // nullable
    "00",                               // identifier
    "0600000000000000",                 // column name: u64 length 6
    "616374697665",                     // "active"
    "00000000",                         // column_type Boolean
    "00",                               // nullable
    "00",                               // identifier
    "2222222222222222222222222222222222222222222222222222222222222222", // fingerprint
    "02000000",                         // delimiter semicolon
    "0700000000000000",                 // table_id: u64 length 7
    "7461626c655f31",                   // "table_1"
    "0600000000000000",                 // name: u64 length 6
    "766973697473",                     // "visits"
    "0a00000000000000",                 // source_file: u64 length 10
    "7669736974732e747376",             // "visits.tsv"
    "3333333333333333333333333333333333333333333333333333333333333333", // content_hash
    "0008000000000000",                 // byte_len: 2048
    "2800000000000000",                 // row_count
    "0300000000000000",                 // column_count
    "0300000000000000",                 // schema.columns: count 3
    "0700000000000000",                 // column name: u64 length 7
    "70617469656e74",                   // "patient"
    "01000000",                         // column_type Int64
    "00",                               // nullable
    "01",                               // identifier
    "0500000000000000",                 // column name: u64 length 5
    "73636f7265",                       // "score"
    "02000000",                         // column_type Float64
    "01",                               // nullable
    "00",                               // identifier
    "0700000000000000",                 // column name: u64 length 7
    "7365656e5f6174",                   // "seen_at"
    "04000000",                         // column_type Timestamp
    "00",                               // nullable
    "00",                               // identifier
    "4444444444444444444444444444444444444444444444444444444444444444", // fingerprint
    "01000000",                         // delimiter tab
    "01",                               // metadata: Some
    "1400000000000000",                 // text: u64 length 20
    "7b226578706f7274223a22323032342d3035227d", // "{\"export\":\"2024-05\"}"
    "01",                               // drift: Some
    "0100000000000000",                 // added_tables: count 1
    "0500000000000000",                 // table: u64 length 5
    "7369746573",                       // "sites"
    "0100000000000000",                 // removed_tables: count 1
    "0400000000000000",                 // table: u64 length 4
    "6c616273",                         // "labs"
    "0100000000000000",                 // changed_tables: count 1
    "0600000000000000",                 // table: u64 length 6
    "766973697473",                     // "visits"
    "0100000000000000",                 // added_columns: count 1
    "0700000000000000",                 // name: u64 length 7
    "7365656e5f6174",                   // "seen_at"
    "04000000",                         // column_type Timestamp
    "0100000000000000",                 // removed_columns: count 1
    "0700000000000000",                 // name: u64 length 7
    "7365656e206174",                   // "seen at"
    "04000000",                         // column_type Timestamp
    "0100000000000000",                 // type_changes: count 1
    "0500000000000000",                 // name: u64 length 5
    "73636f7265",                       // "score"
    "01000000",                         // old_type Int64
    "02000000",                         // new_type Float64
    "0100000000000000",                 // rename_candidates: count 1
    "0700000000000000",                 // from: u64 length 7
    "7365656e206174",                   // "seen at"
    "0700000000000000",                 // to: u64 length 7
    "7365656e5f6174",                   // "seen_at"
    "04000000",                         // column_type Timestamp
    "e803",                             // similarity_permille: 1000
    "00000000",                         // policy reject
    "01",                               // override_reason: Some
    "0e00000000000000",                 // text: u64 length 14
    "6c616273206d6f766564206f7574",     // "labs moved out"
    "0200000000000000",                 // warnings: count 2
    "1400000000000000",                 // warning: u64 length 20
    "7461626c6520606c616273602072656d6f766564", // "table `labs` removed"
    "2500000000000000",                 // warning: u64 length 37
    "636f6c756d6e206073636f726560206f6620607669736974", // "column `score` of `visits` is Float64"
    "736020697320466c6f61743634",
    "0100000000000000",                 // duplicate_of: count 1
    "1000000000000000",                 // dataset_id: u64 length 16
    "0a0b0c0d0e0f4a1b8c1d1e1f2a2b2c2d", // 0a0b0c0d-0e0f-4a1b-8c1d-1e1f2a2b2c2d
    "0800000000000000",                 // dataset_name: u64 length 8
    "747269616c2d3431",                 // "trial-41"
    "0700000000000000",                 // version: 7
    "0300000000000000",                 // actor: u64 length 3
    "616e61",                           // "ana"
    "0a00000000000000",                 // note: u64 length 10
    "4d6179206578706f7274",             // "May export"
);

const FIRST_UPLOAD: &str = concat!(
    "01",                                                               // event encoding version
    "1000000000000000",                                                 // event_id: u64 length 16
    "00000000000040008000000000000001", // 00000000-0000-4000-8000-000000000001
    "ffffffffffffffff",                 // timestamp_micros: -1
    "1000000000000000",                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f", // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "00000000",                         // kind: upload_created
    "0800000000000000",                 // dataset_name: u64 length 8
    "747269616c2d3432",                 // "trial-42"
    "0100000000000000",                 // version: 1
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", // hash
    "00",                               // previous_active: None
    "0100000000000000",                 // tables: count 1
    "0700000000000000",                 // table_id: u64 length 7
    "7461626c655f30",                   // "table_0"
    "0400000000000000",                 // name: u64 length 4
    "6c616273",                         // "labs"
    "0800000000000000",                 // source_file: u64 length 8
    "6c6162732e637376",                 // "labs.csv"
    "5555555555555555555555555555555555555555555555555555555555555555", // content_hash
    "0a00000000000000",                 // byte_len: 10
    "0100000000000000",                 // row_count
    "0100000000000000",                 // column_count
    "0100000000000000",                 // schema.columns: count 1
    "0300000000000000",                 // column name: u64 length 3
    "6c6162",                           // "lab"
    "05000000",                         // column_type Utf8
    "00",                               // nullable
    "00",                               // identifier
    "6666666666666666666666666666666666666666666666666666666666666666", // fingerprint
    "00000000",                         // delimiter comma
    "00",                               // metadata: None
    "00",                               // drift: None
    "02000000",                         // policy allow
    "00",                               // override_reason: None
    "0000000000000000",                 // warnings: count 0
    "0000000000000000",                 // duplicate_of: count 0
    "0000000000000000",                 // actor: u64 length 0
    "0000000000000000",                 // note: u64 length 0
);

const VERSION_ACTIVATED: &str = concat!(
    "01",                               // event encoding version
    "1000000000000000",                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081", // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                 // timestamp_micros: 1717171717171717
    "1000000000000000",                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f", // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "01000000",                         // kind: version_activated
    "0200000000000000",                 // version: 2
    "0300000000000000",                 // from: 3
    "0200000000000000",                 // actor: u64 length 2
    "626f",                             // "bo"
    "0000000000000000",                 // note: u64 length 0
);

const ROLLBACK: &str = concat!(
    "01",                                               // event encoding version
    "1000000000000000",                                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081",                 // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                                 // timestamp_micros: 1717171717171717
    "1000000000000000",                                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f",                 // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "02000000",                                         // kind: rollback
    "0300000000000000",                                 // from: 3
    "0100000000000000",                                 // to: 1
    "0100000000000000",                                 // warnings: count 1
    "2100000000000000",                                 // warning: u64 length 33
    "7461626c652060736974657360206973206e6f7420696e20", // "table `sites` is not in version 1"
    "76657273696f6e2031",
    "0200000000000000",     // actor: u64 length 2
    "6379",                 // "cy"
    "0a00000000000000",     // note: u64 length 10
    "626164206578706f7274", // "bad export"
);

const OVERWRITE_BLOCKED: &str = concat!(
    "01",                                                               // event encoding version
    "1000000000000000",                                                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081", // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                 // timestamp_micros: 1717171717171717
    "1000000000000000",                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f", // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "03000000",                         // kind: overwrite_blocked
    "0300000000000000",                 // active: 3
    "7777777777777777777777777777777777777777777777777777777777777777", // attempted_hash
    "0100000000000000",                 // source_files: count 1
    "0a00000000000000",                 // file: u64 length 10
    "7669736974732e637376",             // "visits.csv"
    "0000000000000000",                 // added_tables: count 0
    "0000000000000000",                 // removed_tables: count 0
    "0100000000000000",                 // changed_tables: count 1
    "0600000000000000",                 // table: u64 length 6
    "766973697473",                     // "visits"
    "0000000000000000",                 // added_columns: count 0
    "0100000000000000",                 // removed_columns: count 1
    "0500000000000000",                 // name: u64 length 5
    "73636f7265",                       // "score"
    "02000000",                         // column_type Float64
    "0000000000000000",                 // type_changes: count 0
    "0000000000000000",                 // rename_candidates: count 0
    "01000000",                         // policy warn
    "1600000000000000",                 // reason: u64 length 22
    "636f6c756d6e206073636f7265602072656d6f766564", // "column `score` removed"
    "0300000000000000",                 // actor: u64 length 3
    "616e61",                           // "ana"
    "0000000000000000",                 // note: u64 length 0
);

/// The bytes of a hex literal.
fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex length");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

mod pinned {
    //! The events the byte vectors encode, built from fixed ids, times and contents.

    use std::sync::Arc;
    use strata::schema::{
        Column, ColumnSummary, ColumnType, Delimiter, RenameCandidate, Schema, SchemaDrift,
        SchemaDriftPolicy, TableDrift, TypeChange, WideningRule,
    };
    use strata::store::{
        ContentHolder, Digest, Event, EventHead, EventKind, KindHead, TableRecord,
    };

    pub const EVENT_ID: uuid::Uuid = uuid::Uuid::from_u128(0xa1b2c3d4_e5f6_4718_9a2b_3c4d5e6f7081);
    pub const DATASET_ID: uuid::Uuid =
        uuid::Uuid::from_u128(0x0f1e2d3c_4b5a_4968_8776_65544332211f);
    pub const TIME: i64 = 1_717_171_717_171_717;

    fn event(kind: EventKind, actor: &str, note: &str) -> Event {
        Event {
            event_id: EVENT_ID,
            timestamp_micros: TIME,
            dataset_id: DATASET_ID,
            kind,
            actor: actor.into(),
            note: note.into(),
            os_account: None,
            salvaged_from: None,
        }
    }

    fn column(name: &str, column_type: ColumnType, nullable: bool, identifier: bool) -> Column {
        Column {
            name: name.into(),
            column_type,
            nullable,
            identifier,
        }
    }

    fn summary(name: &str, column_type: ColumnType) -> ColumnSummary {
        ColumnSummary {
            name: name.into(),
            column_type,
        }
    }

    fn table(
        names: [&str; 3],
        content: u8,
        byte_len: u64,
        row_count: u64,
        columns: Vec<Column>,
        fingerprint: u8,
        delimiter: Delimiter,
    ) -> TableRecord {
        TableRecord {
            table_id: names[0].into(),
            name: names[1].into(),
            source_file: names[2].into(),
            content_hash: Digest([content; 32]),
            byte_len,
            row_count,
            column_count: columns.len() as u64,
            schema: Arc::new(Schema { columns }),
            fingerprint: Digest([fingerprint; 32]),
            delimiter,
        }
    }

    /// A new version with two tables, drift of every kind, an override and a duplicate.
    pub fn upload_created() -> Event {
        use ColumnType::*;
        let sites = table(
            ["table_0", "sites", "sites.csv"],
            0x11,
            96,
            3,
            vec![
                column("site", Utf8, false, true),
                column("opened", Date, true, false),
                column("active", Boolean, false, false),
            ],
            0x22,
            Delimiter::Semicolon,
        );
        let visits = table(
            ["table_1", "visits", "visits.tsv"],
            0x33,
            2048,
            40,
            vec![
                column("patient", Int64, false, true),
                column("score", Float64, true, false),
                column("seen_at", Timestamp, false, false),
            ],
            0x44,
            Delimiter::Tab,
        );
        let drift = SchemaDrift {
            added_tables: vec!["sites".into()],
            removed_tables: vec!["labs".into()],
            changed_tables: vec![TableDrift {
                table: "visits".into(),
                added_columns: vec![summary("seen_at", Timestamp)],
                removed_columns: vec![summary("seen at", Timestamp)],
                type_changes: vec![TypeChange {
                    name: "score".into(),
                    old_type: Int64,
                    new_type: Float64,
                }],
                rename_candidates: vec![RenameCandidate {
                    from: "seen at".into(),
                    to: "seen_at".into(),
                    column_type: Timestamp,
                    similarity_permille: 1000,
                }],
            }],
        };
        let kind = EventKind::UploadCreated {
            dataset_name: "trial-42".into(),
            version: 3,
            hash: Digest([0xaa; 32]),
            previous_active: Some(2),
            tables: vec![sites, visits],
            metadata: Some(r#"{"export":"2024-05"}"#.into()),
            drift: Some(drift),
            policy: SchemaDriftPolicy::Reject,
            override_reason: Some("labs moved out".into()),
            warnings: vec![
                "table `labs` removed".into(),
                "column `score` of `visits` is Float64".into(),
            ],
            duplicate_of: vec![ContentHolder {
                dataset_id: uuid::Uuid::from_u128(0x0a0b0c0d_0e0f_4a1b_8c1d_1e1f2a2b2c2d),
                dataset_name: "trial-41".into(),
                version: 7,
            }],
            // Version 1 decided every type change as breaking: its events read so.
            widening: WideningRule::Breaking,
        };
        event(kind, "ana", "May export")
    }

    /// A first version: every `Option` none, every list empty, a negative time.
    pub fn first_upload() -> Event {
        let labs = table(
            ["table_0", "labs", "labs.csv"],
            0x55,
            10,
            1,
            vec![column("lab", ColumnType::Utf8, false, false)],
            0x66,
            Delimiter::Comma,
        );
        let kind = EventKind::UploadCreated {
            dataset_name: "trial-42".into(),
            version: 1,
            hash: Digest([0xbb; 32]),
            previous_active: None,
            tables: vec![labs],
            metadata: None,
            drift: None,
            policy: SchemaDriftPolicy::Allow,
            override_reason: None,
            warnings: Vec::new(),
            duplicate_of: Vec::new(),
            widening: WideningRule::Breaking,
        };
        Event {
            event_id: uuid::Uuid::from_u128(0x00000000_0000_4000_8000_000000000001),
            timestamp_micros: -1,
            ..event(kind, "", "")
        }
    }

    pub fn version_activated() -> Event {
        event(
            EventKind::VersionActivated {
                version: 2,
                from: 3,
            },
            "bo",
            "",
        )
    }

    pub fn rollback() -> Event {
        let kind = EventKind::Rollback {
            from: 3,
            to: 1,
            warnings: vec!["table `sites` is not in version 1".into()],
        };
        event(kind, "cy", "bad export")
    }

    pub fn overwrite_blocked() -> Event {
        let drift = SchemaDrift {
            changed_tables: vec![TableDrift {
                table: "visits".into(),
                removed_columns: vec![summary("score", ColumnType::Float64)],
                ..TableDrift::default()
            }],
            ..SchemaDrift::default()
        };
        let kind = EventKind::OverwriteBlocked {
            active: 3,
            attempted_hash: Digest([0x77; 32]),
            source_files: vec!["visits.csv".into()],
            drift,
            policy: SchemaDriftPolicy::Warn,
            reason: "column `score` removed".into(),
            widening: WideningRule::Breaking,
        };
        event(kind, "ana", "")
    }

    /// The head replay decodes from each vector, written out by hand.
    pub fn head(kind: KindHead<'static>) -> EventHead<'static> {
        EventHead {
            event_id: EVENT_ID,
            timestamp_micros: TIME,
            dataset_id: DATASET_ID,
            kind,
        }
    }
}

/// Every pinned event: its name, the event, its vector, and the head replay decodes from it.
fn pinned_events() -> Vec<(
    &'static str,
    strata::store::Event,
    &'static str,
    strata::store::EventHead<'static>,
)> {
    use strata::store::{Digest, EventHead, KindHead};
    vec![
        (
            "upload_created",
            pinned::upload_created(),
            UPLOAD_CREATED,
            pinned::head(KindHead::UploadCreated {
                dataset_name: "trial-42",
                version: 3,
                hash: Digest([0xaa; 32]),
                previous_active: Some(2),
            }),
        ),
        (
            "first upload_created",
            pinned::first_upload(),
            FIRST_UPLOAD,
            EventHead {
                event_id: uuid::Uuid::from_u128(0x00000000_0000_4000_8000_000000000001),
                timestamp_micros: -1,
                ..pinned::head(KindHead::UploadCreated {
                    dataset_name: "trial-42",
                    version: 1,
                    hash: Digest([0xbb; 32]),
                    previous_active: None,
                })
            },
        ),
        (
            "version_activated",
            pinned::version_activated(),
            VERSION_ACTIVATED,
            pinned::head(KindHead::VersionActivated {
                version: 2,
                from: 3,
            }),
        ),
        (
            "rollback",
            pinned::rollback(),
            ROLLBACK,
            pinned::head(KindHead::Rollback { from: 3, to: 1 }),
        ),
        (
            "overwrite_blocked",
            pinned::overwrite_blocked(),
            OVERWRITE_BLOCKED,
            pinned::head(KindHead::OverwriteBlocked { active: 3 }),
        ),
    ]
}

#[test]
fn every_dataset_event_kind_encodes_to_its_pinned_bytes() {
    for (name, event, hex, _) in pinned_events() {
        assert_eq!(event.encode_v1().unwrap(), unhex(hex), "{name}");
    }
}

/// A place for a decoded record, named only in errors.
fn at_seq_7() -> strata::log::Position {
    strata::log::Position::new("log/00000000000000000005.seg", 1, 128, 7)
}

#[test]
fn every_pinned_event_vector_decodes_to_its_event() {
    use strata::store::Event;
    for (name, event, hex, _) in pinned_events() {
        let bytes = unhex(hex);
        assert_eq!(Event::decode(&bytes, at_seq_7).unwrap(), event, "{name}");
        let mut trailing = bytes.clone();
        trailing.push(0);
        let err = Event::decode(&trailing, at_seq_7).unwrap_err();
        assert!(
            matches!(err, strata::Error::BadEvent { .. }),
            "{name}: FORMAT.md says a reader refuses trailing bytes: {err}"
        );
        assert_eq!(err.position(), Some(&at_seq_7()), "{name}: {err}");
    }
}

#[test]
fn every_pinned_event_vector_decodes_to_its_head() {
    use strata::store::EventHead;
    for (name, event, hex, head) in pinned_events() {
        let bytes = unhex(hex);
        assert_eq!(EventHead::decode(&bytes, at_seq_7).unwrap(), head, "{name}");
        assert_eq!(event.head(), head, "{name}");
    }
}

/// Event encoding version 2: version 1's fields, then the OS account and the salvage origin.
const VERSION_ACTIVATED_V2: &str = concat!(
    "02",                               // event encoding version
    "1000000000000000",                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081", // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                 // timestamp_micros: 1717171717171717
    "1000000000000000",                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f", // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "01000000",                         // kind: version_activated
    "0200000000000000",                 // version: 2
    "0300000000000000",                 // from: 3
    "0200000000000000",                 // actor: u64 length 2
    "626f",                             // "bo"
    "0000000000000000",                 // note: u64 length 0
    "01",                               // os_account: some
    "e8030000",                         // uid: 1000
    "01",                               // name: some
    "0400000000000000",                 // u64 length 4
    "626f6232",                         // "bob2"
    "00",                               // salvaged_from: none
);

/// A version-2 `policy_set` of the store's rule (the nil dataset id): `warn` with widening
/// breaking, replacing `reject` with widening compatible.
const POLICY_SET_V2: &str = concat!(
    "02",                               // event encoding version
    "1000000000000000",                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081", // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                 // timestamp_micros: 1717171717171717
    "1000000000000000",                 // dataset_id: u64 length 16
    "00000000000000000000000000000000", // the nil UUID: the store
    "04000000",                         // kind: policy_set
    "01000000",                         // rule.policy: warn
    "01000000",                         // rule.widening: breaking
    "01",                               // previous: some
    "00000000",                         // previous.policy: reject
    "00000000",                         // previous.widening: compatible
    "0200000000000000",                 // actor: u64 length 2
    "6479",                             // "dy"
    "0300000000000000",                 // note: u64 length 3
    "676370",                           // "gcp"
    "01",                               // os_account: some
    "e8030000",                         // uid: 1000
    "00",                               // name: none
    "00",                               // salvaged_from: none
);

/// A version-2 rollback by an account the user database does not name, re-appended by repair.
const ROLLBACK_V2: &str = concat!(
    "02",                                               // event encoding version
    "1000000000000000",                                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081",                 // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                                 // timestamp_micros: 1717171717171717
    "1000000000000000",                                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f",                 // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "02000000",                                         // kind: rollback
    "0300000000000000",                                 // from: 3
    "0100000000000000",                                 // to: 1
    "0100000000000000",                                 // warnings: count 1
    "2100000000000000",                                 // warning: u64 length 33
    "7461626c652060736974657360206973206e6f7420696e20", // "table `sites` is not in version 1"
    "76657273696f6e2031",
    "0200000000000000",     // actor: u64 length 2
    "6379",                 // "cy"
    "0a00000000000000",     // note: u64 length 10
    "626164206578706f7274", // "bad export"
    "01",                   // os_account: some
    "39300000",             // uid: 12345
    "00",                   // name: none
    "01",                   // salvaged_from: some
    "0200000000000000",     // segment_number: 2
    "8002000000000000",     // offset: 640
    "0900000000000000",     // seq: 9
);

/// A version-2 refusal under a policy that counts widening as breaking: `widening` (1,
/// breaking) follows `reason`, before the actor.
const OVERWRITE_BLOCKED_V2: &str = concat!(
    "02",                                                               // event encoding version
    "1000000000000000",                                                 // event_id: u64 length 16
    "a1b2c3d4e5f647189a2b3c4d5e6f7081", // a1b2c3d4-e5f6-4718-9a2b-3c4d5e6f7081
    "056a3832c2190600",                 // timestamp_micros: 1717171717171717
    "1000000000000000",                 // dataset_id: u64 length 16
    "0f1e2d3c4b5a4968877665544332211f", // 0f1e2d3c-4b5a-4968-8776-65544332211f
    "03000000",                         // kind: overwrite_blocked
    "0300000000000000",                 // active: 3
    "7777777777777777777777777777777777777777777777777777777777777777", // attempted_hash
    "0100000000000000",                 // source_files: count 1
    "0a00000000000000",                 // file: u64 length 10
    "7669736974732e637376",             // "visits.csv"
    "0000000000000000",                 // added_tables: count 0
    "0000000000000000",                 // removed_tables: count 0
    "0100000000000000",                 // changed_tables: count 1
    "0600000000000000",                 // table: u64 length 6
    "766973697473",                     // "visits"
    "0000000000000000",                 // added_columns: count 0
    "0100000000000000",                 // removed_columns: count 1
    "0500000000000000",                 // name: u64 length 5
    "73636f7265",                       // "score"
    "02000000",                         // column_type Float64
    "0000000000000000",                 // type_changes: count 0
    "0000000000000000",                 // rename_candidates: count 0
    "01000000",                         // policy warn
    "1600000000000000",                 // reason: u64 length 22
    "636f6c756d6e206073636f7265602072656d6f766564", // "column `score` removed"
    "01000000",                         // widening: breaking
    "0300000000000000",                 // actor: u64 length 3
    "616e61",                           // "ana"
    "0000000000000000",                 // note: u64 length 0
    "01",                               // os_account: some
    "e8030000",                         // uid: 1000
    "00",                               // name: none
    "00",                               // salvaged_from: none
);

/// A version-2 `upload_created` ends its kind with `widening` (0, compatible).
#[test]
fn a_version_2_upload_records_its_widening_rule_after_duplicate_of() {
    use strata::schema::WideningRule;
    use strata::store::{Event, EventKind, OsAccount};
    let v1 = pinned::first_upload();
    let mut kind = v1.kind.clone();
    if let EventKind::UploadCreated { widening, .. } = &mut kind {
        *widening = WideningRule::Compatible;
    }
    let v2 = Event {
        kind,
        os_account: Some(OsAccount {
            uid: 1000,
            name: None,
        }),
        ..v1.clone()
    };
    // Version 1's body, with the version byte 2, `00000000` (compatible) after the kind, and
    // the account after the note.
    let body_v1 = v1.encode_v1().unwrap();
    let tail_v1 = 8 + 8; // actor and note: two empty strings
    let kind_end = body_v1.len() - tail_v1;
    let mut expected = vec![2];
    expected.extend(&body_v1[1..kind_end]);
    expected.extend(0u32.to_le_bytes());
    expected.extend(&body_v1[kind_end..]);
    expected.extend([1, 0xe8, 0x03, 0, 0, 0, 0]);
    assert_eq!(v2.encode(), expected);
    assert_eq!(v2.encode_v1(), None, "version 1 cannot say `compatible`");
    let at = || strata::log::Position::new("log/00000000000000000005.seg", 1, 128, 7);
    assert_eq!(Event::decode(&expected, at).unwrap(), v2);
}

/// The pinned version-2 events: name, event, vector, head.
fn pinned_v2_events() -> Vec<(
    &'static str,
    strata::store::Event,
    &'static str,
    strata::store::EventHead<'static>,
)> {
    use strata::store::{Event, EventHead, KindHead, OsAccount, SalvagedFrom};
    vec![
        (
            "version_activated v2",
            Event {
                os_account: Some(OsAccount {
                    uid: 1000,
                    name: Some("bob2".into()),
                }),
                ..pinned::version_activated()
            },
            VERSION_ACTIVATED_V2,
            pinned::head(KindHead::VersionActivated {
                version: 2,
                from: 3,
            }),
        ),
        (
            "rollback v2",
            Event {
                os_account: Some(OsAccount {
                    uid: 12345,
                    name: None,
                }),
                salvaged_from: Some(SalvagedFrom {
                    segment_number: 2,
                    offset: 640,
                    seq: 9,
                }),
                ..pinned::rollback()
            },
            ROLLBACK_V2,
            pinned::head(KindHead::Rollback { from: 3, to: 1 }),
        ),
        (
            "overwrite_blocked v2",
            Event {
                os_account: Some(OsAccount {
                    uid: 1000,
                    name: None,
                }),
                ..pinned::overwrite_blocked()
            },
            OVERWRITE_BLOCKED_V2,
            pinned::head(KindHead::OverwriteBlocked { active: 3 }),
        ),
        {
            use strata::schema::{DriftRule, SchemaDriftPolicy, WideningRule};
            let rule = DriftRule {
                policy: SchemaDriftPolicy::Warn,
                widening: WideningRule::Breaking,
            };
            let previous = Some(DriftRule::DEFAULT);
            let event = Event {
                event_id: pinned::EVENT_ID,
                timestamp_micros: pinned::TIME,
                dataset_id: uuid::Uuid::nil(),
                kind: strata::store::EventKind::PolicySet { rule, previous },
                actor: "dy".into(),
                note: "gcp".into(),
                os_account: Some(OsAccount {
                    uid: 1000,
                    name: None,
                }),
                salvaged_from: None,
            };
            let head = EventHead {
                dataset_id: uuid::Uuid::nil(),
                ..pinned::head(KindHead::PolicySet { rule, previous })
            };
            ("policy_set v2", event, POLICY_SET_V2, head)
        },
    ]
}

#[test]
fn a_policy_set_cannot_be_written_in_or_read_from_event_encoding_1() {
    use strata::store::{Event, EventHead};
    let (_, event, hex, _) = pinned_v2_events().pop().unwrap();
    assert_eq!(event.kind.name(), "policy_set");
    let no_account = Event {
        os_account: None,
        ..event
    };
    assert_eq!(no_account.encode_v1(), None, "version 1 defines four kinds");
    // The version-2 bytes without the two fields version 2 appends, under version byte 1.
    let bytes = unhex(hex);
    let mut v1 = bytes[..bytes.len() - 7].to_vec();
    v1[0] = 1;
    let head = EventHead::decode(&v1, at_seq_7).unwrap_err().to_string();
    assert!(
        head.contains("policy_set is not defined in event encoding version 1"),
        "{head}"
    );
    let full = Event::decode(&v1, at_seq_7).unwrap_err().to_string();
    assert!(full.contains("variant index"), "{full}");
}

#[test]
fn version_2_events_encode_to_and_decode_from_their_pinned_bytes() {
    use strata::store::{Event, EventHead};
    for (name, event, hex, head) in pinned_v2_events() {
        let bytes = unhex(hex);
        assert_eq!(event.encode(), bytes, "{name}");
        assert_eq!(event.encoded_len(), bytes.len(), "{name}");
        assert_eq!(Event::decode(&bytes, at_seq_7).unwrap(), event, "{name}");
        assert_eq!(EventHead::decode(&bytes, at_seq_7).unwrap(), head, "{name}");
        let mut trailing = bytes.clone();
        trailing.push(0);
        let err = Event::decode(&trailing, at_seq_7).unwrap_err();
        assert_eq!(err.position(), Some(&at_seq_7()), "{name}: {err}");
    }
}

#[test]
fn version_1_vectors_decode_with_no_os_account_and_version_3_is_refused() {
    use strata::store::Event;
    for (name, _, hex, _) in pinned_events() {
        let event = Event::decode(&unhex(hex), at_seq_7).unwrap();
        assert_eq!(
            (event.os_account, event.salvaged_from),
            (None, None),
            "{name}"
        );
    }
    let mut v3 = unhex(VERSION_ACTIVATED_V2);
    v3[0] = 3;
    let err = Event::decode(&v3, at_seq_7).unwrap_err().to_string();
    assert!(
        err.contains("event encoding version 3") && err.contains("upgrade"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Snapshots: the snapshot of the `history` fixture, byte for byte.
//
// No public function builds a snapshot body from a catalog, so the test reads the snapshot the
// format-1 code wrote in `tests/fixtures/v1/history` (whose events `tests/fixtures.rs` pins)
// and rebuilds the whole file from FORMAT.md's "Snapshots" section, field by field.
// ---------------------------------------------------------------------------------------------

/// Bytes written the way FORMAT.md describes them.
#[derive(Default)]
struct Spec(Vec<u8>);

impl Spec {
    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes(&[v])
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    fn i64(&mut self, v: i64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    /// A UUID in the bincode configuration: a `u64` length 16, then its 16 bytes.
    fn uuid(&mut self, id: &str) -> &mut Self {
        let id = uuid::Uuid::parse_str(id).unwrap();
        self.u64(16).bytes(id.as_bytes())
    }
    /// A string: a `u64` length, then its bytes.
    fn string(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).bytes(s.as_bytes())
    }
    /// A `Digest`: its 32 bytes, no length.
    fn digest(&mut self, hex: &str) -> &mut Self {
        let bytes = unhex(hex);
        assert_eq!(bytes.len(), 32);
        self.bytes(&bytes)
    }
}

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1/history/snapshots/00000000000000000009.snap"
);
const HISTORY_STORE_ID: &str = "82951432-9462-4db1-b038-c3376a4c6551";
/// The log record the snapshot was taken after: sequence number, append time, body CRC.
const HISTORY_ANCHOR: (u64, i64, u32) = (9, 1_796_118_489_164_407, 0xf5a6_05be);
const PENGUINS_V1: &str = "06272d00e9ea19ba8d3795c4edfbf1fcc4076f261664053d170a9b795b780c19";
const PENGUINS_V2: &str = "3676a63a86e638e708037969b598c4601d3c61d18bd5e0a1fee0acf457553531";
const PENGUINS_V3: &str = "a6055903133041a5a8f3e3e2a4991e77116788ff1ef43f4692f9183fbc83fcc4";

/// The body of the `history` snapshot, as FORMAT.md lays it out.
fn history_snapshot_body() -> Vec<u8> {
    let mut body = Spec::default();
    body.u8(1); // catalog encoding version
    let (seq, micros, crc) = HISTORY_ANCHOR;
    body.u8(1).u64(seq).i64(micros).u32(crc); // anchor: Some(seq, timestamp_micros, body_crc)
    body.u64(9).u64(5); // last_seq, events (dataset events applied: seqs 1, 3, 5, 7, 9)
    body.u64(2); // datasets, in order of creation
    let (v1, v2, v3) = (
        1_796_118_489_000_276,
        1_796_118_489_072_269,
        1_796_118_489_164_289,
    );
    body.uuid("71d51394-dbce-4db1-991b-d8bd17b3089d")
        .string("penguins");
    body.u64(3); // versions: number, hash, created_seq, created_micros
    body.u64(1).digest(PENGUINS_V1).u64(1).i64(v1);
    body.u64(2).digest(PENGUINS_V2).u64(5).i64(v2);
    body.u64(3).digest(PENGUINS_V3).u64(9).i64(v3);
    body.u64(3); // active
    body.u64(3); // activations: micros, seq, version
    body.i64(v1).u64(1).u64(1);
    body.i64(v2).u64(5).u64(2);
    body.i64(v3).u64(9).u64(3);
    body.u64(4).u64(1).u64(3).u64(5).u64(9); // event_seqs
    body.i64(v3); // updated_micros
    let archive = 1_796_118_489_119_842;
    body.uuid("0858d80e-bb50-48e5-8164-d0c5fc5aaf86")
        .string("penguins-archive");
    body.u64(1).u64(1).digest(PENGUINS_V1).u64(7).i64(archive); // versions
    body.u64(1); // active
    body.u64(1).i64(archive).u64(7).u64(1); // activations
    body.u64(1).u64(7); // event_seqs
    body.i64(archive); // updated_micros
    body.0
}

#[test]
fn a_snapshot_file_is_laid_out_as_the_spec_says() {
    let file = std::fs::read(SNAPSHOT).unwrap();
    let body = history_snapshot_body();
    let mut header = Spec::default();
    header
        .bytes(&[0x89, 0x53, 0x4E, 0x50, 0x0D, 0x0A, 0x1A, 0x0A]) // magic
        .u16(1) // snapshot format version
        .u16(64) // header length
        .u32(0) // flags
        .bytes(uuid::Uuid::parse_str(HISTORY_STORE_ID).unwrap().as_bytes()) // store UUID
        .u64(9) // sequence number of the last log record included
        .u64(body.len() as u64) // body length
        .i64(1_796_118_489_180_258) // creation time
        .u32(0); // reserved
    assert_eq!(
        file.len(),
        64 + body.len(),
        "the file is 64 + body length bytes"
    );
    assert_eq!(file[..60], header.0[..], "header bytes 0..60");
    let crc = u32::from_le_bytes(file[60..64].try_into().unwrap());
    let covered = [&file[..60], &file[64..]].concat();
    assert_eq!(crc, crc32(&covered), "CRC of bytes 0..60, then the body");
    assert_eq!(crc, 0x2a5d_ad7c);
    assert_eq!(file[64..], body[..], "the body, field by field");
}

#[test]
fn the_snapshot_anchor_is_the_log_record_it_was_taken_after() {
    let log_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1/history/log");
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("log")).unwrap();
    for entry in std::fs::read_dir(log_dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            copy.path().join("log").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    let log = strata::log::Log::open(copy.path(), strata::log::LogOptions::default()).unwrap();
    let (seq, micros, body_crc) = HISTORY_ANCHOR;
    let record = log.read(seq).unwrap();
    assert_eq!(
        (record.timestamp_micros, crc32(&record.body)),
        (micros, body_crc)
    );
    assert_eq!(log.store_id().to_string(), HISTORY_STORE_ID);
}

// ---------------------------------------------------------------------------------------------
// Query runs, pinned byte for byte: written out field by field from FORMAT.md's "Query runs"
// section (bincode 1.3's legacy configuration, as for dataset events), not from the code.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_query_run_body_is_encoded_as_the_spec_says() {
    use strata::digest::Digest;
    use strata::store::query_run::QUERY_RUN_ENCODING_VERSION;
    use strata::store::{QueryRun, QueryRunVersion, QUERY_RUN};
    let spec = spec();
    assert!(spec.contains(&format!("| `{:#06x}` | query run |", QUERY_RUN.0)));
    assert!(spec.contains(&format!(
        "query run encoding version (`{QUERY_RUN_ENCODING_VERSION}`)"
    )));
    let sql = "SELECT 1";
    let run = QueryRun {
        run_id: uuid::Uuid::from_bytes([3; 16]),
        timestamp_micros: 7,
        actor: "ana".into(),
        note: "".into(),
        sql: sql.into(),
        sql_sha256: Digest::of(sql.as_bytes()),
        versions: vec![QueryRunVersion {
            dataset_id: uuid::Uuid::from_bytes([4; 16]),
            dataset_name: "d".into(),
            version: 2,
            hash: Digest([5; 32]),
        }],
        row_count: 1,
        result_sha256: Digest([6; 32]),
    };
    let sql_sha256 = unhex("e004ebd5b5532a4b85984a62f8ad48a81aa3460c1ca07701f386135d72cdecf5");
    assert_eq!(
        sql_sha256,
        Digest::of(sql.as_bytes()).0,
        "SHA-256 of `SELECT 1`"
    );
    let mut expected = vec![1u8]; // encoding version
    expected.extend(16u64.to_le_bytes()); // run_id: a 16-byte sequence
    expected.extend([3u8; 16]);
    expected.extend(7i64.to_le_bytes()); // timestamp_micros
    expected.extend(3u64.to_le_bytes()); // actor
    expected.extend(b"ana");
    expected.extend(0u64.to_le_bytes()); // note: empty
    expected.extend(8u64.to_le_bytes()); // sql
    expected.extend(b"SELECT 1");
    expected.extend(&sql_sha256); // sql_sha256
    expected.extend(1u64.to_le_bytes()); // versions: one
    expected.extend(16u64.to_le_bytes()); // dataset_id
    expected.extend([4u8; 16]);
    expected.extend(1u64.to_le_bytes()); // dataset_name
    expected.extend(b"d");
    expected.extend(2u64.to_le_bytes()); // version
    expected.extend([5u8; 32]); // hash
    expected.extend(1u64.to_le_bytes()); // row_count
    expected.extend([6u8; 32]); // result_sha256
    assert_eq!(run.encode(), expected);
    assert_eq!(
        QueryRun::decode(&expected, || strata::log::Position::new("s", 1, 128, 1)).unwrap(),
        run
    );
    // A query run is an application record: its leaf commits to its whole body.
    let input = strata::format::leaf::leaf_input(9, 7, QUERY_RUN, &expected);
    assert_eq!(&input[20..], &expected[..]);
}

/// The rows of FORMAT.md's format-2 snapshot body table, the second table of "## Snapshots".
fn snapshot_body_rows() -> Vec<(usize, String)> {
    let spec = spec();
    let start = spec.find("\n## Snapshots\n").unwrap();
    let after = spec[start..].find("the body is:\n").unwrap();
    spec[start + after..]
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

#[test]
fn a_format_2_snapshot_file_is_laid_out_as_the_spec_says() {
    use strata::store::snapshot::CHECKPOINT_ANCHOR_LEN;
    let rows = snapshot_body_rows();
    assert_eq!(
        offsets_and_sizes(&rows),
        [(0, Some(8)), (8, Some(8)), (16, Some(32)), (48, None)]
    );
    assert_eq!(rows[3].0, CHECKPOINT_ANCHOR_LEN);
    let dir = tempfile::tempdir().unwrap();
    let store = strata::Store::create(dir.path(), strata::StoreOptions::default()).unwrap();
    let files = vec![strata::UploadFile::from_bytes("t.csv", b"a\n1\n".to_vec())];
    let event_seq = store
        .save_upload(strata::UploadRequest::new("d", files, "ana"))
        .unwrap()
        .seq
        .unwrap();
    // A rule for the store, then one for the dataset: catalog encoding 3 lists both.
    use strata::schema::{DriftRule, SchemaDriftPolicy, WideningRule};
    use strata::store::PolicyScope;
    let warn = DriftRule::DEFAULT.with(Some(SchemaDriftPolicy::Warn), None);
    let strict = DriftRule::DEFAULT.with(None, Some(WideningRule::Breaking));
    let store_rule_seq = store
        .set_policy(PolicyScope::Store, warn, "ana", "lab default")
        .unwrap()
        .seq
        .unwrap();
    let dataset_rule_seq = store
        .set_policy(PolicyScope::Dataset("d"), strict, "ana", "typed exports")
        .unwrap()
        .seq
        .unwrap();
    let time_of = |seq| store.log().read(seq).unwrap().timestamp_micros;
    let info = store.snapshot().unwrap();
    let s = info.seq + 1; // the checkpoint record, after every record the snapshot includes
    let checkpoint = {
        let record = store.log().read(s).unwrap();
        assert_eq!(record.record_type, RecordType::CHECKPOINT);
        strata::format::leaf::CheckpointBody::decode(&record.body).unwrap()
    };
    let catalog = store.catalog();
    let ds = catalog.get("d").unwrap();
    let version = ds.active_version();
    let table_seq = event_seq - 1; // the table_bytes record of the same commit
    let content = strata::digest::Digest::of(b"a\n1\n");
    assert_eq!(catalog.inline_table(&content), Some(table_seq));
    let mut image = Spec::default();
    image.u8(3); // catalog encoding version
    image.u64(s - 1).u64(3).u64(1); // last_seq (the record before the checkpoint), events, datasets
    image.u64(16).bytes(ds.id.as_bytes()).string("d");
    image
        .u64(1)
        .u64(1)
        .bytes(&version.hash.0)
        .u64(event_seq)
        .i64(version.created_micros);
    image.u64(1); // active
    image
        .u64(1)
        .i64(version.created_micros)
        .u64(event_seq)
        .u64(1); // activations
    image.u64(2).u64(event_seq).u64(dataset_rule_seq); // event_seqs
    image.i64(time_of(dataset_rule_seq)); // updated_micros: the dataset's last event
    image.u64(1).u64(table_seq).bytes(&content.0); // the tables inside the log
    image.u64(2); // the drift rules: the store's first, then the dataset's
    image.u64(16).bytes(&[0; 16]); // the nil UUID: the store
    image.u32(1).u32(0); // warn, widening compatible
    image.u64(store_rule_seq).i64(time_of(store_rule_seq));
    image.u64(16).bytes(ds.id.as_bytes());
    image.u32(0).u32(1); // reject, widening breaking
    image.u64(dataset_rule_seq).i64(time_of(dataset_rule_seq));
    let mut body = Spec::default();
    body.u64(s)
        .u64(s - 1)
        .bytes(&checkpoint.root)
        .bytes(&image.0);
    let file = std::fs::read(&info.path).unwrap();
    let mut header = Spec::default();
    header
        .bytes(&[0x89, 0x53, 0x4E, 0x50, 0x0D, 0x0A, 0x1A, 0x0A]) // magic
        .u16(2) // snapshot format version
        .u16(64) // header length
        .u32(0) // flags
        .bytes(store.log().store_id().as_bytes())
        .u64(s - 1) // the last record included: the checkpoint's tree size
        .u64(body.0.len() as u64)
        .bytes(&file[48..56]) // creation time
        .u32(0); // reserved
    assert_eq!(file[..60], header.0[..], "header bytes 0..60");
    assert_eq!(file[64..], body.0[..], "the body, field by field");
    let crc = u32::from_le_bytes(file[60..64].try_into().unwrap());
    assert_eq!(crc, crc32(&[&file[..60], &file[64..]].concat()));
    // The checkpoint record carries the SHA-256 of the catalog image.
    use sha2::Digest as _;
    let digest: [u8; 32] = sha2::Sha256::digest(&image.0).into();
    assert_eq!(checkpoint.catalog_digest, Some(digest));
    assert_eq!((checkpoint.size, s), (s - 1, event_seq + 3));
    assert_eq!(
        (store_rule_seq, dataset_rule_seq),
        (event_seq + 1, event_seq + 2)
    );
}

#[test]
fn a_checkpoint_record_body_and_a_leaf_input_are_laid_out_as_the_spec_says() {
    use strata::format::leaf::{leaf_input, CheckpointBody, TABLE_BYTES_COMMITTED_LEN};
    let spec = spec();
    for row in [
        "| 0 | 1 | checkpoint body version (`1`) |",
        "| 1 | 8 | tree size *n* (`u64`)",
        "| 9 | 32 | root:",
        "| 41 | 1 | frontier count *F* (`u8`)",
        "| 42 | 32·*F* | the frontier:",
        "| 0 | 8 | sequence number |",
        "| 8 | 8 | append time (`i64` microseconds) |",
        "| 16 | 2 | record type |",
        "| 18 | 2 | record flags (`0` in versions 1 and 2) |",
        "| 20 | rest | the commitment |",
    ] {
        assert!(spec.contains(row), "{row}");
    }
    assert!(spec.contains("whose commitment is the first 41 bytes"));
    assert_eq!(TABLE_BYTES_COMMITTED_LEN, 41);
    // A checkpoint of 3 records: frontier of 2 hashes (3 = 0b11), no digest, a note.
    let a = strata::merkle::leaf_hash(b"a");
    let b = strata::merkle::leaf_hash(b"b");
    let c = strata::merkle::leaf_hash(b"c");
    let ab = strata::merkle::node_hash(&a, &b);
    let root = strata::merkle::node_hash(&ab, &c);
    let note = strata::note::Checkpoint::new("strata/x", 3, root).encode();
    let body = CheckpointBody {
        size: 3,
        root,
        frontier: vec![ab, c],
        catalog_digest: None,
        note: note.clone(),
    }
    .encode();
    let mut expected = vec![1u8];
    expected.extend_from_slice(&3u64.to_le_bytes());
    expected.extend_from_slice(&root);
    expected.push(2);
    expected.extend_from_slice(&ab);
    expected.extend_from_slice(&c);
    expected.push(0);
    expected.extend_from_slice(&(note.len() as u32).to_le_bytes());
    expected.extend_from_slice(note.as_bytes());
    assert_eq!(body, expected);
    let input = leaf_input(7, -2, RecordType(0x0100), b"body");
    let mut expected = 7u64.to_le_bytes().to_vec();
    expected.extend_from_slice(&(-2i64).to_le_bytes());
    expected.extend_from_slice(&0x0100u16.to_le_bytes());
    expected.extend_from_slice(&[0, 0]);
    expected.extend_from_slice(b"body");
    assert_eq!(input, expected);
}

#[test]
fn tile_paths_and_lengths_match_the_spec() {
    use strata::format::tile::{index_path, tiles_of_tree, TileId, FULL_TILE_LEN, TILE_WIDTH};
    let spec = spec();
    assert!(spec.contains("index 1,234,067\n  is `x001/x234/067`"));
    assert_eq!(index_path(1_234_067), "x001/x234/067");
    assert!(spec.contains("a full tile is exactly\n  8,192 bytes"));
    assert_eq!((FULL_TILE_LEN, TILE_WIDTH), (8192, 256));
    // The spec's example: the tiles of a tree of 70,000 leaves.
    let example = "A tree of 70,000 leaves has the full tiles `tile/0/000` to `tile/0/272`\n  \
                   and `tile/1/000`, and the partial tiles `tile/0/273.p/112`, `tile/1/001.p/17`, \
                   `tile/2/000.p/1`.";
    assert!(spec.contains(example), "FORMAT.md's tile example moved");
    let tiles: Vec<TileId> = tiles_of_tree(70_000).collect();
    let paths: Vec<String> = tiles.iter().map(TileId::path).collect();
    let mut expected: Vec<String> = (0..=272).map(|i| format!("tile/0/{i:03}")).collect();
    expected.push("tile/0/273.p/112".into());
    expected.extend(["tile/1/000".into(), "tile/1/001.p/17".into()]);
    expected.push("tile/2/000.p/1".into());
    assert_eq!(paths, expected);
    for tile in &tiles {
        assert_eq!(tile.byte_len(), 32 * tile.width as usize);
    }
}

/// SHA-256 of `parts`, concatenated.
fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[test]
fn the_tiles_a_proof_writes_hold_the_hashes_the_spec_defines() {
    use strata::log::{Durability, Log, LogOptions};
    let dir = tempfile::tempdir().unwrap();
    let options = LogOptions {
        durability: Durability::Buffered,
        checkpoint_interval: 0,
        ..LogOptions::default()
    };
    let log = Log::create(dir.path(), options).unwrap();
    let bodies: Vec<Vec<u8>> = (0..599).map(|i| format!("body {i}").into_bytes()).collect();
    let batch: Vec<(RecordType, &[u8])> = bodies
        .iter()
        .map(|b| (RecordType(0x0102), b.as_slice()))
        .collect();
    log.append_batch(&batch).unwrap();
    let mut writer = log.lock_writer().unwrap();
    writer.append_checkpoint(None, None).unwrap();
    writer.commit().unwrap();
    log.flush_tile_upkeep();
    strata::audit::prove_from_tiles(&log, 1, None).unwrap();
    // Leaf hashes by FORMAT.md alone: SHA-256(0x00 ‖ seq ‖ time ‖ type ‖ flags ‖ body).
    let leaves: Vec<[u8; 32]> = (1..=600)
        .map(|seq| {
            let r = log.read(seq).unwrap();
            let (seq, time, kind) = (
                r.seq.to_le_bytes(),
                r.timestamp_micros.to_le_bytes(),
                r.record_type.0.to_le_bytes(),
            );
            sha256(&[&[0x00], &seq, &time, &kind, &[0, 0], &r.body])
        })
        .collect();
    let root = |hashes: &[[u8; 32]]| -> [u8; 32] {
        let mut level = hashes.to_vec();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|p| sha256(&[&[0x01], &p[0], &p[1]]))
                .collect();
        }
        level[0]
    };
    let read = |path: &str| std::fs::read(dir.path().join("log/tree").join(path)).unwrap();
    assert_eq!(read("tile/0/000"), leaves[..256].concat());
    assert_eq!(read("tile/0/001"), leaves[256..512].concat());
    assert_eq!(read("tile/0/002.p/88"), leaves[512..600].concat());
    let level1 = [root(&leaves[..256]), root(&leaves[256..512])];
    assert_eq!(read("tile/1/000.p/2"), level1.concat());
}
