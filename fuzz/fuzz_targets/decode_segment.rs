//! Decodes segments and records and checks the library against FORMAT.md's rules restated
//! independently in `strata_fuzz::spec` (header fields read with `from_le_bytes`, CRCs with
//! `crc32fast`, no call into `strata::format`).
//!
//! Oracle, for the input as raw bytes and for the input read as a script (`strata_fuzz::plan`:
//! a segment of records with correct or deliberately wrong fields, then mutations):
//! - `decode_record` accepts the bytes if and only if they are a valid record by FORMAT.md,
//!   with the same fields; it reports "no record here" exactly for an all-zero header; and its
//!   defect is of the kind FORMAT.md's rules give, torn-write-like exactly when FORMAT.md's
//!   Recovery section says an interrupted write could have left such bytes.
//! - `SegmentHeader::decode` accepts a header if and only if it is valid by FORMAT.md.
//! - `scan_segment` yields exactly the valid, in-order records a reading of FORMAT.md yields,
//!   at the same offsets, and ends the same way (open, sealed, or damaged at the same offset,
//!   for the same kind of reason, with the same `after_seal` and `nonzero_end`). Its
//!   `valid_after` is checked by brute force: `None` only if no valid record (with any sequence
//!   number) starts at any later offset, `Some((offset, seq))` only if a valid record with
//!   `seq` starts at `offset` and none starts between the damage and it.
//! - A `SegmentCursor` resumed at any record boundary ends where the full scan ends.
//! - A script that made no mistake and no mutation reads back as exactly its records.
//!
//! Run from `fuzz/`: `mkdir -p corpus/decode_segment && cargo +nightly fuzz run decode_segment corpus/decode_segment seeds -- -max_total_time=60`
//! (new inputs go to the first folder; `seeds/` holds a few valid segments from `gen_seeds.py`).

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use strata::format::{
    decode_record, scan_segment, Defect, RecordDecode, RecordType, SealBody, SegmentCursor,
    SegmentEnd, SegmentHeader, Step, SEGMENT_HEADER_LEN,
};
use strata_fuzz::plan::{self, Dice};
use strata_fuzz::spec::{self, NotRecord, Why};

fuzz_target!(|data: &[u8]| {
    // The input as one record, and as a whole segment.
    check_record(data);
    check_segment(data);
    // Random bytes almost never carry a valid segment header (it is checksummed), so give the
    // fuzzer one: a fixed header in front of the input, and one whose base sequence number
    // and segment number are the input's first 16 bytes.
    if spec::segment_header(data).is_none() {
        check_segment(&prepend(&header(1, 0), data));
        if let Some((fields, rest)) = data.split_first_chunk::<16>() {
            let base_seq = u64::from_le_bytes(fields[..8].try_into().unwrap()).max(1);
            let segment_number = u64::from_le_bytes(fields[8..].try_into().unwrap());
            check_segment(&prepend(&header(base_seq, segment_number), rest));
        }
    }
    // The input as a script.
    let mut u = Unstructured::new(data);
    let Ok(mut dice) = Dice::new(&mut u) else {
        return;
    };
    let Ok(build) = plan::lone_segment(&mut dice) else {
        return;
    };
    let scan = check_segment(&build.bytes);
    for &offset in &build.records.offsets {
        if let Some(rest) = build.bytes.get(offset..) {
            check_record(rest);
        }
    }
    if build.faithful() {
        let scan = scan.expect("a faithful script has a valid header");
        assert_eq!(
            scan.records.len(),
            build.records.records.len(),
            "a faithful segment does not read back whole: {scan:?}"
        );
        assert!(
            matches!(scan.end, spec::End::Open | spec::End::Sealed { .. }),
            "a faithful segment ends in damage: {scan:?}"
        );
    }
});

fn header(base_seq: u64, segment_number: u64) -> SegmentHeader {
    SegmentHeader::current(
        [0x5A; 16],
        segment_number,
        base_seq,
        0,
        1_700_000_000_000_000,
    )
}

fn prepend(header: &SegmentHeader, data: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SEGMENT_HEADER_LEN + data.len());
    bytes.extend_from_slice(&header.encode());
    bytes.extend_from_slice(data);
    bytes
}

/// The kind of reason FORMAT.md gives for a record-level defect, if it is one.
fn record_defect_kind(defect: &Defect) -> Option<NotRecord> {
    Some(match defect {
        Defect::TruncatedHeader { .. } => NotRecord::ShortHeader,
        Defect::HeaderChecksum { .. } => NotRecord::HeaderCrc,
        Defect::BadField { .. } => NotRecord::BadField,
        Defect::BodyTooLong { .. } => NotRecord::TooLong,
        Defect::BodyPastEnd { .. } => NotRecord::PastEnd,
        Defect::BodyChecksum { .. } => NotRecord::BodyCrc,
        _ => return None,
    })
}

/// `decode_record` against `spec::record`.
fn check_record(bytes: &[u8]) {
    let decoded = decode_record(bytes);
    match (&decoded, spec::record(bytes)) {
        (RecordDecode::Record { header, body, len }, Ok(valid)) => {
            assert_eq!(
                (header.seq, header.record_type.0, header.timestamp_micros),
                (valid.seq, valid.record_type, valid.timestamp_micros)
            );
            assert_eq!(header.body_len as usize, body.len());
            assert_eq!(*len, valid.encoded_len());
            assert_eq!(
                (body.as_ptr(), body.len()),
                (valid.body.as_ptr(), valid.body.len()),
                "body not borrowed in place"
            );
        }
        (RecordDecode::Zero, Err(NotRecord::Zero)) => {}
        (RecordDecode::Invalid(defect), Err(why)) if why != NotRecord::Zero => {
            assert_eq!(
                record_defect_kind(defect),
                Some(why),
                "decode_record reports {defect:?} where FORMAT.md's rules fail on {why:?}"
            );
            assert_eq!(
                defect.can_be_torn_write(),
                why.torn_write_could_leave(),
                "torn-write classification of {defect:?}"
            );
            let _ = defect.to_string();
        }
        (_, Ok(valid)) => panic!("a valid record was rejected: {decoded:?}, valid: {valid:?}"),
        (_, Err(why)) => panic!("decode_record says {decoded:?}, FORMAT.md's rules say {why:?}"),
    }
}

/// `scan_segment` on `bytes` against `spec::scan`; returns the spec's reading if the header
/// is valid.
fn check_segment(bytes: &[u8]) -> Option<spec::Scan<'_>> {
    let decoded = SegmentHeader::decode(bytes);
    let valid = spec::segment_header(bytes);
    let mut yielded = Vec::new();
    let result = scan_segment(bytes, |r| yielded.push(*r));
    let Some(h) = valid else {
        assert!(
            decoded.is_err(),
            "an invalid header was accepted: {decoded:?}"
        );
        assert_eq!(result.map(|_| ()), decoded.map(|_| ()));
        return None;
    };
    let (header, len) = decoded.unwrap_or_else(|d| panic!("a valid header was rejected: {d:?}"));
    assert_eq!(len, SEGMENT_HEADER_LEN);
    assert_eq!(
        (header.store_id, header.segment_number, header.base_seq),
        (h.store_id, h.segment_number, h.base_seq)
    );
    assert_eq!(
        (header.prev_seal_offset, header.created_at_micros),
        (h.prev_seal_offset, h.created_at_micros)
    );
    assert_eq!(
        (header.read_version, header.write_version),
        (h.read_version, h.write_version)
    );
    let summary = result.expect("scan_segment failed on a valid header");
    assert_eq!(summary.header, header);
    let expected = spec::scan(bytes, &h, None);
    assert_eq!(
        yielded.len(),
        expected.records.len(),
        "scan yielded {} records, FORMAT.md {}: {:?} vs {:?}",
        yielded.len(),
        expected.records.len(),
        summary.end,
        expected.end
    );
    for (got, (offset, want)) in yielded.iter().zip(&expected.records) {
        assert_eq!(got.offset, *offset);
        assert_eq!(
            (got.header.seq, got.header.record_type.0),
            (want.seq, want.record_type)
        );
        assert_eq!(got.header.timestamp_micros, want.timestamp_micros);
        assert_eq!(
            (got.body.as_ptr(), got.body.len()),
            (want.body.as_ptr(), want.body.len())
        );
    }
    assert_eq!(summary.records, expected.records.len() as u64);
    assert_eq!(summary.end_offset, expected.end_offset);
    check_end(bytes, &h, &summary.end, &expected);
    check_resumed(bytes, header, &summary.end, &expected);
    Some(expected)
}

/// How the scan ended, against how FORMAT.md says the segment ends.
fn check_end(bytes: &[u8], h: &spec::Header, end: &SegmentEnd, expected: &spec::Scan<'_>) {
    match (end, &expected.end) {
        (SegmentEnd::Open, spec::End::Open) => {}
        (SegmentEnd::Sealed(seal), spec::End::Sealed { seal_offset }) => {
            let (_, last) = expected.records.last().expect("a seal was read");
            let want = SealBody {
                segment_number: h.segment_number,
                first_seq: h.base_seq,
                record_count: last.seq - h.base_seq,
                seal_offset: *seal_offset,
            };
            assert_eq!(*seal, want);
        }
        (SegmentEnd::Damaged(damage), spec::End::Damaged(want)) => {
            let _ = damage.defect.to_string();
            assert_eq!(damage.offset, want.offset, "{damage:?} vs {want:?}");
            assert_eq!(
                damage.nonzero_end, want.nonzero_end,
                "{damage:?} vs {want:?}"
            );
            assert_eq!(
                damage.valid_after, want.valid_after,
                "valid_after disagrees with a brute-force search: {damage:?} vs {want:?}"
            );
            assert_eq!(damage.after_seal, want.after_seal, "{damage:?} vs {want:?}");
            assert!(
                damage_kind_matches(bytes, &damage.defect, want),
                "the scan reports {damage:?} where FORMAT.md's rules give {want:?}"
            );
            assert_eq!(
                damage.defect.can_be_torn_write(),
                want.why.torn_write_could_leave(),
                "torn-write classification of {damage:?} vs {want:?}"
            );
        }
        (got, want) => panic!("the scan ends {got:?}, FORMAT.md's rules say {want:?}"),
    }
}

/// Whether the library's defect is the kind of damage FORMAT.md's rules found.
fn damage_kind_matches(bytes: &[u8], defect: &Defect, want: &spec::Damage) -> bool {
    // The record at the damage, for the defects of a valid record.
    let at = want.offset as usize;
    let field = |from: usize, len: usize| bytes.get(at + from..at + from + len);
    match (defect, want.why) {
        (_, Why::NotRecord(not)) => record_defect_kind(defect) == Some(not),
        (Defect::ZeroedHeader { nonzero_at }, Why::ZeroedHeader) => *nonzero_at > want.offset,
        (Defect::SequenceGap { expected, found }, Why::OutOfOrder) => {
            *expected == want.next_seq && found > expected
        }
        (Defect::SequenceRepeat { expected, found }, Why::OutOfOrder) => {
            *expected == want.next_seq && found < expected
        }
        (
            Defect::BadField {
                field: "sequence number",
                value,
            },
            Why::LastPossibleSeq,
        ) => *value == u64::MAX,
        (
            Defect::UnknownRecordType {
                record_type,
                write_version,
            },
            Why::UnknownType,
        ) => {
            field(24, 2) == Some(&record_type.to_le_bytes()[..])
                && *write_version <= spec::READER_VERSION
        }
        (Defect::TimeWentBackwards { previous, found }, Why::TimeBack) => {
            field(16, 8) == Some(&found.to_le_bytes()[..]) && found < previous
        }
        (Defect::BadSeal { .. }, Why::BadSeal) => true,
        (Defect::BadCheckpoint { .. }, Why::BadCheckpoint) => true,
        (
            Defect::BadField {
                field: "seal body length",
                ..
            },
            Why::BadSeal,
        ) => true,
        (Defect::RecordAfterSeal { seq }, Why::AfterSeal) => {
            want.valid_after.map(|(_, s)| s) == Some(*seq)
        }
        (Defect::BytesAfterSeal { len }, Why::AfterSeal) => {
            want.valid_after.is_none() && *len == want.nonzero_end - want.offset
        }
        _ => false,
    }
}

/// A cursor resumed at each record boundary the full scan passed (as a refresh resumes at a
/// segment's known end) yields the remaining records and ends the same way.
fn check_resumed(bytes: &[u8], header: SegmentHeader, end: &SegmentEnd, expected: &spec::Scan<'_>) {
    for (i, (offset, record)) in expected.records.iter().enumerate() {
        if record.record_type == RecordType::SEAL.0 {
            continue; // A resumed cursor does not know the segment was sealed.
        }
        // A refresh resumes knowing the last record's time, as the full scan did there.
        let previous_time = i
            .checked_sub(1)
            .map(|p| expected.records[p].1.timestamp_micros);
        let mut cursor =
            SegmentCursor::resume(bytes, header, *offset, record.seq).after_time(previous_time);
        let mut seen = i;
        loop {
            match cursor.step() {
                Step::Record(r) => {
                    assert_eq!(r.offset, expected.records[seen].0);
                    seen += 1;
                }
                Step::End(resumed) => {
                    assert_eq!(&resumed, end, "resumed at {offset}");
                    break;
                }
            }
        }
        assert_eq!(seen, expected.records.len());
    }
}
