//! After `repair` cuts a log at one damaged record, the dataset events still whole after it
//! are appended again (`Store::reappend_salvaged`), each marked `salvaged_from` with where it
//! was first recorded, translated to the log as the repair left it: no acknowledged upload
//! disappears from the catalog, what no longer means anything is dropped with its reason, and
//! a second run appends nothing twice. On real files.

mod common;

use common::{options, upload, SMALL, SMALL_MORE_ROWS, SMALL_PLUS_COLUMN};
use std::os::unix::fs::FileExt;
use strata::log::{LogOptions, RepairOptions, RepairReport};
use strata::schema::{DriftRule, SchemaDriftPolicy};
use strata::store::{EventKind, PolicyScope, SalvagedFrom};
use strata::{Store, StoreOptions, UploadRequest};

fn overwrite(bytes: &[u8]) -> UploadRequest {
    UploadRequest {
        overwrite: true,
        ..upload("d", &[("t.csv", bytes)])
    }
}

/// Flips a byte in the body of the record `seq`, and returns where it was.
fn damage(dir: &std::path::Path, seq: u64) -> SalvagedFrom {
    let store = Store::open(dir, options()).unwrap();
    let record = store.log().read(seq).unwrap();
    let path = store.log().segments()[record.segment_number as usize]
        .path
        .clone();
    drop(store);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let at = record.offset + 40;
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ 0x20], at).unwrap();
    SalvagedFrom {
        segment_number: record.segment_number,
        offset: record.offset,
        seq,
    }
}

fn repair(dir: &std::path::Path) -> u64 {
    let repair = RepairOptions {
        cut_checkpointed: true,
    };
    match strata::log::repair_with(dir, LogOptions::default(), repair).unwrap() {
        RepairReport::Repaired { repair_seq, .. } => repair_seq,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_events_after_a_damaged_record_are_appended_again_as_what_they_mean_now() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), options()).unwrap();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let damaged = store
        .save_upload(overwrite(SMALL_MORE_ROWS))
        .unwrap()
        .seq
        .unwrap();
    let v3 = store.save_upload(overwrite(SMALL_PLUS_COLUMN)).unwrap();
    // Back to version 2 (whose record is about to be damaged), then to version 1.
    store
        .rollback_to_version("d", "2", "bo", "compare")
        .unwrap();
    store
        .rollback_to_version("d", "1", "bo", "bad export")
        .unwrap();
    let warn = DriftRule::DEFAULT.with(Some(SchemaDriftPolicy::Warn), None);
    store
        .set_policy(PolicyScope::Store, warn, "ana", "pilot")
        .unwrap();
    store.save_upload(upload("e", &[("e.csv", SMALL)])).unwrap();
    let last_before = store.log().last_seq();
    drop(store);

    let at = damage(dir.path(), damaged);
    let repair_seq = repair(dir.path());
    let store = Store::open(dir.path(), options()).unwrap();
    // The repair alone: version 2 and everything after it are gone from the catalog.
    assert!(store.catalog().find("e").is_none());
    assert_eq!(store.catalog().get("d").unwrap().versions.len(), 1);

    let report = store.reappend_salvaged(repair_seq).unwrap();
    let types: Vec<&str> = report.reappended.iter().map(|r| r.event_type).collect();
    assert_eq!(
        types,
        ["upload_created", "rollback", "policy_set", "upload_created"],
        "{report:#?}"
    );
    assert_eq!(report.reappended[0].from.seq, v3.seq.unwrap());
    assert!(report.reappended[0]
        .detail
        .contains("version 2 of `d` (first recorded as version 3)"));
    // The rollback to version 2 has nothing to go back to: dropped, saying why.
    let dropped: Vec<(&str, u64)> = report
        .dropped
        .iter()
        .map(|d| (d.what.as_str(), d.from.seq))
        .collect();
    assert_eq!(dropped, [("rollback", v3.seq.unwrap() + 1)], "{report:#?}");
    assert!(
        report.dropped[0].reason.contains("version 2"),
        "{report:#?}"
    );
    assert!(report
        .reappended
        .iter()
        .all(|r| r.from.seq > at.seq && r.from.seq <= last_before));

    // Every event appended again says where it was first recorded.
    for r in &report.reappended {
        let event = store.read_event(r.seq).unwrap();
        assert_eq!(event.salvaged_from, Some(r.from));
    }
    let d = store.catalog().get("d").unwrap().clone();
    assert_eq!((d.versions.len(), d.active), (2, 1));
    let first = store.read_event(report.reappended[0].seq).unwrap();
    assert_eq!(
        (first.actor.as_str(), first.note.as_str()),
        ("tester", "a test upload")
    );
    let EventKind::UploadCreated {
        version,
        previous_active,
        ..
    } = first.kind
    else {
        panic!("{first:?}")
    };
    assert_eq!((version, previous_active), (2, Some(1)));
    // Its table's bytes were inside the log, in the cut: appended again with it.
    assert_eq!(
        common::read_table(&store, "d", "2", None),
        SMALL_PLUS_COLUMN
    );
    assert_eq!(store.catalog().get("e").unwrap().active, 1);
    assert_eq!(
        store.policy(PolicyScope::Store).unwrap().in_force.rule,
        warn
    );
    store.assert_invariants(true).unwrap();

    // Again: nothing twice.
    let again = store.reappend_salvaged(repair_seq).unwrap();
    assert!(again.reappended.is_empty(), "{again:#?}");
    assert_eq!(again.already_reappended, 4);
    drop(store);
    // What was appended again replays to the same catalog.
    let reopened = Store::open(dir.path(), options()).unwrap();
    assert_eq!(reopened.catalog().get("d").unwrap(), &d);
    let check = strata::check::run(
        dir.path(),
        strata::check::CheckOptions { deep: true },
        |_| {},
    )
    .unwrap();
    assert!(check.is_healthy(), "{check:#?}");
}

#[test]
fn the_events_of_whole_segments_moved_out_are_appended_again_too() {
    let dir = tempfile::tempdir().unwrap();
    let small_segments = StoreOptions {
        log: LogOptions {
            segment_size: 4096,
            preallocate: 4096,
            ..LogOptions::default()
        },
        inline_table_max: 0,
        ..options()
    };
    let store = Store::create(dir.path(), small_segments.clone()).unwrap();
    let rows = |n: usize| {
        let mut text = String::from("id,score\n");
        for i in 0..n {
            text.push_str(&format!("{i},{}.5\n", i % 7));
        }
        text
    };
    for i in 0..30 {
        let name = format!("d{i}");
        let table = rows(i + 1);
        store
            .save_upload(upload(&name, &[("t.csv", table.as_bytes())]))
            .unwrap();
    }
    assert!(store.log().segments().len() >= 3, "several segments");
    let damaged = store.catalog().get("d1").unwrap().versions[0].created_seq;
    drop(store);
    damage(dir.path(), damaged);
    let repair_seq = repair(dir.path());
    let store = Store::open(dir.path(), small_segments).unwrap();
    let report = store.reappend_salvaged(repair_seq).unwrap();
    // d1's upload is the damaged record; d2 to d29 come back, from every segment cut.
    let names: Vec<String> = report
        .reappended
        .iter()
        .filter_map(|r| r.dataset.clone())
        .collect();
    let expected: Vec<String> = (2..30).map(|i| format!("d{i}")).collect();
    assert_eq!(names, expected, "{report:#?}");
    assert!(report.reappended.iter().any(|r| r.from.segment_number > 0));
    assert!(
        report.dropped.iter().all(|d| d.what != "upload_created"),
        "only the log's own records are left: {report:#?}"
    );
    assert!(store.catalog().find("d1").is_none());
    store.assert_invariants(true).unwrap();
}

#[test]
fn a_record_that_is_not_a_repair_is_refused_and_nothing_is_appended() {
    let (_dir, store) = common::new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let last = store.log().last_seq();
    let err = store.reappend_salvaged(last).unwrap_err();
    assert!(err.to_string().contains("not a repair record"), "{err}");
    assert_eq!(store.log().last_seq(), last);
}

#[test]
fn the_copy_of_a_cut_holds_its_last_record_whole_though_it_ends_in_zero_bytes() {
    use strata::format::{valid_records, RecordType};
    use strata::log::Log;
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), LogOptions::default()).unwrap();
    let app = RecordType(0x0100);
    log.append(app, b"first").unwrap();
    log.append(app, b"second").unwrap();
    log.append(app, b"ends in zeros\0\0\0").unwrap();
    let second = log.read(2).unwrap();
    let segment = log.segments()[0].path.clone();
    drop(log);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap();
    file.write_all_at(b"X", second.offset + 33).unwrap();
    let report = strata::log::repair(dir.path(), LogOptions::default()).unwrap();
    let RepairReport::Repaired { salvage_dir, .. } = report else {
        panic!("{report:?}")
    };
    let copy = std::fs::read_dir(&salvage_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(copy).unwrap();
    let found = valid_records(&bytes, 0);
    assert_eq!(found.len(), 1, "the third record, after the damaged second");
    assert_eq!(found[0].body, b"ends in zeros\0\0\0");
}
