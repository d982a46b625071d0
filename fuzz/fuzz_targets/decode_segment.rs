//! Decodes arbitrary bytes as a segment (and as a single record) and checks what the decoder
//! says against an independent oracle: every record it yields must re-encode to exactly the
//! input bytes at its offset, records must be contiguous and consecutively numbered from the
//! header's base sequence number, and the reported end of the segment must agree with the
//! bytes that follow it.
//!
//! Run from `fuzz/`: `mkdir -p corpus/decode_segment && cargo +nightly fuzz run decode_segment corpus/decode_segment seeds -- -max_total_time=60`
//! (new inputs go to the first folder; `seeds/` holds a few valid segments from `gen_seeds.py`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata::format::{
    crc32, decode_record, encode_record, scan_segment, Defect, RecordDecode, RecordType, SealBody,
    SegmentEnd, SegmentHeader, FORMAT_VERSION, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN,
};

fuzz_target!(|data: &[u8]| {
    // (b) The input as one record.
    check_record(data);
    // (a) The input as a whole segment.
    check_segment(data);
    // (c) Random bytes almost never carry a valid segment header (it is checksummed), so give
    // the fuzzer one: a fixed header in front of the input, and a header whose base sequence
    // number and segment number are taken from the input's first 16 bytes.
    if SegmentHeader::decode(data).is_err() {
        let fixed = header(1, 0);
        let summary = check_segment(&prepend(&fixed, data));
        assert!(summary.is_some(), "a valid header was rejected");
        if let Some((fields, rest)) = data.split_first_chunk::<16>() {
            let (base, number) = fields.split_at(8);
            let base_seq = u64::from_le_bytes(base.try_into().unwrap()).max(1);
            let segment_number = u64::from_le_bytes(number.try_into().unwrap());
            let chosen = header(base_seq, segment_number);
            assert!(
                check_segment(&prepend(&chosen, rest)).is_some(),
                "a valid header was rejected"
            );
        }
    }
});

fn header(base_seq: u64, segment_number: u64) -> SegmentHeader {
    SegmentHeader {
        format_version: FORMAT_VERSION,
        store_id: [0x5A; 16],
        segment_number,
        base_seq,
        prev_seal_offset: 0,
        created_at_micros: 1_700_000_000_000_000,
    }
}

fn prepend(header: &SegmentHeader, data: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SEGMENT_HEADER_LEN + data.len());
    bytes.extend_from_slice(&header.encode());
    bytes.extend_from_slice(data);
    bytes
}

fn encoded(record_type: RecordType, seq: u64, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_HEADER_LEN + body.len());
    encode_record(&mut out, record_type, seq, timestamp, body);
    out
}

fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Checks `decode_record` on `bytes` against re-encoding.
fn check_record(bytes: &[u8]) {
    match decode_record(bytes) {
        RecordDecode::Record { header, body, len } => {
            assert_eq!(len, RECORD_HEADER_LEN + body.len());
            assert!(len <= bytes.len());
            assert_eq!(header.body_len as usize, body.len());
            assert_eq!(
                body.as_ptr(),
                bytes[RECORD_HEADER_LEN..].as_ptr(),
                "body not borrowed in place"
            );
            assert!(header.seq != 0 && header.record_type.0 != 0);
            assert_eq!(header.body_crc, crc32(body));
            let again = encoded(
                header.record_type,
                header.seq,
                header.timestamp_micros,
                body,
            );
            assert_eq!(
                again,
                &bytes[..len],
                "record does not re-encode to its bytes"
            );
        }
        RecordDecode::Zero => assert!(all_zero(&bytes[..bytes.len().min(RECORD_HEADER_LEN)])),
        RecordDecode::Invalid(defect) => {
            assert!(!all_zero(&bytes[..bytes.len().min(RECORD_HEADER_LEN)]));
            if bytes.len() < RECORD_HEADER_LEN {
                assert!(
                    matches!(defect, Defect::TruncatedHeader { .. }),
                    "{defect:?}"
                );
            }
            let _ = defect.to_string();
        }
    }
}

/// A record the scan yielded: `(offset, seq, type, body)`.
type Seen<'a> = (u64, u64, RecordType, &'a [u8]);

/// Scans `bytes` as a segment and checks the outcome; returns the number of records if the
/// header was valid.
fn check_segment(bytes: &[u8]) -> Option<u64> {
    let header = SegmentHeader::decode(bytes);
    let mut seen: Vec<Seen<'_>> = Vec::new();
    let mut expected_offset = SEGMENT_HEADER_LEN as u64;
    let mut expected_seq = header.as_ref().map_or(0, |(h, _)| h.base_seq);
    let result = scan_segment(bytes, |rec| {
        let (offset, seq) = (rec.offset, rec.header.seq);
        assert_eq!(offset, expected_offset, "records are not contiguous");
        assert_eq!(
            seq, expected_seq,
            "sequence numbers are not consecutive from base_seq"
        );
        assert!(
            seen.last().is_none_or(|last| last.2 != RecordType::SEAL),
            "a record was yielded after a seal"
        );
        let at = offset as usize;
        let again = encoded(
            rec.header.record_type,
            seq,
            rec.header.timestamp_micros,
            rec.body,
        );
        assert_eq!(
            bytes.get(at..at + again.len()),
            Some(&again[..]),
            "record at offset {at} does not re-encode to its bytes"
        );
        assert_eq!(rec.body.as_ptr(), bytes[at + RECORD_HEADER_LEN..].as_ptr());
        seen.push((offset, seq, rec.header.record_type, rec.body));
        expected_offset += again.len() as u64;
        expected_seq += 1;
    });
    let summary = match (header, result) {
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            return None;
        }
        (Ok((header, _)), Ok(summary)) => {
            assert_eq!(summary.header, header);
            summary
        }
        (a, b) => panic!("header decode {a:?} but scan {b:?}"),
    };
    let h = summary.header;
    assert_eq!(summary.records, seen.len() as u64);
    assert_eq!(summary.end_offset, expected_offset);
    assert!(
        summary.end_offset as usize <= bytes.len(),
        "end_offset past the input"
    );
    let end = summary.end_offset as usize;
    let sealed = seen.last().is_some_and(|r| r.2 == RecordType::SEAL);
    match &summary.end {
        SegmentEnd::Open => {
            assert!(!sealed);
            assert!(
                all_zero(&bytes[end..]),
                "open end with non-zero bytes after it"
            );
        }
        SegmentEnd::Sealed(seal) => {
            let &(offset, seq, _, body) = seen.last().expect("sealed without records");
            assert!(sealed);
            assert_eq!(body, &seal.encode()[..]);
            let expected = SealBody {
                segment_number: h.segment_number,
                first_seq: h.base_seq,
                record_count: seq - h.base_seq,
                seal_offset: offset,
            };
            assert_eq!(*seal, expected);
            assert!(
                all_zero(&bytes[end..]),
                "sealed end with non-zero bytes after it"
            );
        }
        SegmentEnd::Damaged(damage) => {
            let _ = damage.defect.to_string();
            assert_eq!(damage.offset, summary.end_offset);
            assert_eq!(damage.after_seal, sealed);
            let nonzero_end = damage.nonzero_end as usize;
            assert!(
                end < nonzero_end && nonzero_end <= bytes.len(),
                "{damage:?}"
            );
            assert!(bytes[nonzero_end - 1] != 0 && all_zero(&bytes[nonzero_end..]));
            if let Some((at, seq)) = damage.valid_after {
                assert!(
                    at > damage.offset || (sealed && at == damage.offset),
                    "{damage:?}"
                );
                match decode_record(&bytes[at as usize..]) {
                    RecordDecode::Record { header, .. } => assert_eq!(header.seq, seq),
                    other => panic!("valid_after {at} is not a record: {other:?}"),
                }
            }
            if sealed {
                assert!(
                    matches!(
                        damage.defect,
                        Defect::RecordAfterSeal { .. } | Defect::BytesAfterSeal { .. }
                    ),
                    "{damage:?}"
                );
            } else {
                match decode_record(&bytes[end..]) {
                    RecordDecode::Record { header, .. } => assert!(
                        header.seq != expected_seq || header.record_type == RecordType::SEAL,
                        "a valid next record was reported as damage: {damage:?}"
                    ),
                    RecordDecode::Zero => {
                        assert!(
                            matches!(damage.defect, Defect::ZeroedHeader { .. }),
                            "{damage:?}"
                        )
                    }
                    RecordDecode::Invalid(defect) => assert_eq!(defect, damage.defect),
                }
            }
        }
    }
    Some(summary.records)
}
