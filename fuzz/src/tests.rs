//! Checks of the fuzz crate's own parts: the seeds are what `gen_seeds.py` says they are, and
//! the restated rules accept what a faithful writer writes and refuse what it does not.

use crate::log_spec::{self, Mode, Opening};
use crate::plan::{self, Dice};
use crate::spec::{self, End, NotRecord, Why};
use crate::sql::history;
use arbitrary::Unstructured;
use std::path::PathBuf;
use strata::query::{validate, FindingKind, Query, ValidateOptions};

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// The SQL seeds, as (file stem, text).
fn sql_seeds() -> Vec<(String, String)> {
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(dir("seeds_sql"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    seeds.sort();
    seeds
}

fn kind_name(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::UnknownTable => "unknown_table",
        FindingKind::UnknownColumn => "unknown_column",
        FindingKind::AmbiguousColumn => "ambiguous_column",
        FindingKind::TypeMismatch => "type_mismatch",
        FindingKind::ChangedType => "changed_type",
    }
}

#[test]
fn every_sql_seed_parses_and_names_only_known_tables_unless_it_is_about_unknown_ones() {
    let history = history();
    let options = ValidateOptions {
        strict: false,
        since: Some(2),
    };
    let seeds = sql_seeds();
    assert!(seeds.len() >= 30, "{} seeds", seeds.len());
    for (stem, text) in &seeds {
        let query = Query::sql(text).unwrap_or_else(|e| panic!("{stem} does not parse: {e:?}"));
        let findings = validate(&query, &history[2], &history, &options);
        for finding in &findings {
            let named = stem.contains(kind_name(finding.kind));
            assert!(
                named || !finding.kind.blocks_execution(),
                "{stem}: unexpected {finding:?}"
            );
            assert_eq!(crate::sql::check_location(text, finding), Ok(()), "{stem}");
        }
        for kind in [
            FindingKind::UnknownTable,
            FindingKind::UnknownColumn,
            FindingKind::AmbiguousColumn,
            FindingKind::TypeMismatch,
            FindingKind::ChangedType,
        ] {
            if stem.contains(kind_name(kind)) {
                assert!(
                    findings.iter().any(|f| f.kind == kind),
                    "{stem} has no {kind:?} finding: {findings:?}"
                );
            }
        }
    }
}

#[test]
fn the_sql_seeds_cover_every_finding_kind_and_construct() {
    let stems: Vec<String> = sql_seeds().into_iter().map(|(stem, _)| stem).collect();
    let texts: String = sql_seeds()
        .into_iter()
        .map(|(_, t)| t.to_uppercase())
        .collect();
    for kind in [
        FindingKind::UnknownTable,
        FindingKind::UnknownColumn,
        FindingKind::AmbiguousColumn,
        FindingKind::TypeMismatch,
        FindingKind::ChangedType,
    ] {
        assert!(
            stems.iter().any(|s| s.contains(kind_name(kind))),
            "{kind:?}"
        );
    }
    for construct in [
        " JOIN ",
        "USING (",
        "WITH ",
        "(SELECT",
        "EXISTS",
        "UNION",
        "INTERSECT",
        "EXCEPT",
        " OVER (",
        "CASE WHEN",
        "CAST(",
    ] {
        assert!(texts.contains(construct), "no seed has {construct}");
    }
}

#[test]
fn the_segment_seeds_read_as_open_sealed_and_torn() {
    let read = |name: &str| std::fs::read(dir("seeds").join(name)).unwrap();
    let open = read("open.seg");
    let header = spec::segment_header(&open).unwrap();
    let scan = spec::scan(&open, &header, None);
    assert_eq!((scan.records.len(), scan.end), (3, End::Open));
    assert!(
        scan.records[1].1.body.is_empty(),
        "the second record has an empty body"
    );
    let sealed = read("sealed.seg");
    let scan = spec::scan(&sealed, &spec::segment_header(&sealed).unwrap(), None);
    assert_eq!(scan.records.len(), 3);
    assert!(matches!(scan.end, End::Sealed { .. }), "{:?}", scan.end);
    let torn = read("torn.seg");
    let scan = spec::scan(&torn, &spec::segment_header(&torn).unwrap(), None);
    let End::Damaged(damage) = scan.end else {
        panic!("{:?}", scan.end)
    };
    // 20 header bytes, then zeros: the header CRC fails.
    assert_eq!(damage.why, Why::NotRecord(NotRecord::HeaderCrc));
    assert!(damage.is_torn_tail(true) && !damage.is_torn_tail(false));
}

fn record(seq: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    plan::RecordPlan {
        seq,
        record_type: 0x0100,
        flags: 0,
        timestamp_micros: 7,
        body: body.to_vec(),
        body_len_field: None,
        header_crc_xor: 0,
        body_crc_xor: 0,
    }
    .encode(&mut out);
    out
}

#[test]
fn a_record_with_an_empty_body_is_valid_and_every_flipped_bit_is_not() {
    let bytes = record(5, b"");
    assert_eq!(spec::record(&bytes).map(|r| r.seq), Ok(5));
    let bytes = record(5, b"body");
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(spec::record(&flipped).is_err(), "bit {bit}");
    }
    assert_eq!(spec::record(&[0; 40]).map(|_| ()), Err(NotRecord::Zero));
    assert_eq!(
        spec::record(&bytes[..20]).map(|_| ()),
        Err(NotRecord::ShortHeader)
    );
}

#[test]
fn a_valid_record_after_damage_is_found_by_brute_force() {
    let mut bytes = vec![0xAB; 13];
    bytes.extend(record(77, b"x"));
    assert_eq!(spec::first_valid_record_from(&bytes, 0), Some((13, 77)));
    assert_eq!(spec::first_valid_record_from(&bytes, 14), None);
}

#[test]
fn scripts_that_make_no_mistake_open_whole_in_both_modes() {
    // First byte below 64: no mistakes; the rest chooses shapes.
    for seed in 0u32..200 {
        let mut bytes = vec![0u8];
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        bytes.extend((0..600).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        }));
        let mut u = Unstructured::new(&bytes);
        let mut dice = Dice::new(&mut u).unwrap();
        let build = plan::log(&mut dice).unwrap();
        assert!(build.faithful, "seed {seed}");
        for mode in [Mode::Full, Mode::Tail] {
            let Opening::Opens {
                next_seq,
                torn: None,
                ..
            } = log_spec::open(&build.files, mode)
            else {
                panic!(
                    "seed {seed} {mode:?}: {:?}",
                    log_spec::open(&build.files, mode)
                );
            };
            assert_eq!(next_seq, build.next_seq);
        }
    }
}

#[test]
fn a_torn_last_segment_is_torn_and_the_same_damage_before_another_segment_is_corrupt() {
    let mut u = Unstructured::new(&[0u8; 0]);
    let mut dice = Dice::new(&mut u).unwrap();
    let mut build = plan::log(&mut dice).unwrap();
    assert_eq!(build.files.len(), 1);
    // Append one record, then tear its last byte off.
    let seg = &mut build.files[0].1;
    let end = 128
        + seg[128..]
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
    seg.truncate(end);
    let full = record(1, b"payload");
    seg.extend_from_slice(&full[..full.len() - 1]);
    let Opening::Opens {
        torn: Some((0, 128, len)),
        ..
    } = log_spec::open(&build.files, Mode::Full)
    else {
        panic!("{:?}", log_spec::open(&build.files, Mode::Full));
    };
    assert_eq!(len, full.len() as u64 - 1);
    // The same bytes followed by a valid record anywhere are corruption.
    build.files[0].1.extend(record(9, b""));
    assert_eq!(
        log_spec::open(&build.files, Mode::Full),
        Opening::Corrupt(vec![(0, 128, 1)])
    );
}

#[test]
fn the_log_seeds_are_scripts_of_several_segments_faithful_or_not_as_named() {
    let (mut segments, mut faulty) = (0, 0);
    for entry in std::fs::read_dir(dir("seeds_log")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let mut u = Unstructured::new(&bytes);
        let mut dice = Dice::new(&mut u).unwrap();
        let build = plan::log(&mut dice).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // A script allowed to make mistakes may make none.
        assert!(build.faithful || !name.contains("faithful"), "{name}");
        faulty += usize::from(!build.faithful);
        segments += build.segments.len();
    }
    assert!(segments >= 24, "{segments} segments in all");
    assert!(faulty >= 3, "only {faulty} scripts make mistakes");
}

#[test]
fn the_application_record_types_and_their_leaf_commitments_are_the_librarys() {
    use strata::format::leaf::leaf_commitment;
    use strata::format::RecordType;
    assert_eq!(spec::DATASET_EVENT, strata::store::DATASET_EVENT.0);
    assert_eq!(spec::TABLE_BYTES, strata::format::TABLE_BYTES.0);
    assert_eq!(spec::QUERY_RUN, strata::store::QUERY_RUN.0);
    assert_eq!(spec::FIRST_UNDEFINED_APPLICATION_TYPE, spec::QUERY_RUN + 1);
    let body = [7u8; 100];
    for t in [
        spec::DATASET_EVENT,
        spec::TABLE_BYTES,
        spec::QUERY_RUN,
        spec::FIRST_UNDEFINED_APPLICATION_TYPE,
    ] {
        for len in [0, 40, 41, 42, 100] {
            assert_eq!(
                leaf_commitment(RecordType(t), &body[..len]).len(),
                spec::leaf_commitment_len(t, len),
                "type {t:#06x}, body of {len} bytes"
            );
        }
    }
}
