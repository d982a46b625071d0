//! On-disk format 1, frozen: complete store directories written by strata's format-1 code
//! are committed under `tests/fixtures/v1/`, and these tests read them with today's code and
//! compare everything they hold (catalog, history, table bytes, errors and warnings) with the
//! values written out in `tests/fixtures/expected.rs` and below. A change that makes any of
//! these tests fail reads format-1 bytes differently: it is a format break, and FORMAT.md's
//! version rules must say so. The fixtures are never regenerated to make a test pass (see
//! `tests/fixtures/README.md`).
//!
//! Each test copies its fixture to a temporary directory first, so that the committed files
//! stay pristine even when a test appends.
//!
//! The fixtures were written by [`write_fixtures`], which never runs in a normal test run. To
//! add a fixture, write only the new one (existing ones are never overwritten):
//!
//! ```sh
//! STRATA_WRITE_FIXTURES=1 cargo test --test fixtures -- --ignored
//! ```

#[path = "fixtures/expected.rs"]
mod expected;

use expected::{Fixture, HISTORY, REPAIRED, STALE_SNAPSHOT, TORN_CUT, TORN_TAIL};
use std::fs;
use std::io::Read as _;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use strata::format::{crc32, Defect, RecordType, RepairBody, TornCutBody};
use strata::log::LogOptions;
use strata::schema::{Delimiter, SchemaDriftPolicy};
use strata::store::SnapshotPolicy;
use strata::{Store, StoreOptions, UploadFile, UploadRequest, VersionRef};

/// The environment variable that lets [`write_fixtures`] write.
const WRITE_ENV: &str = "STRATA_WRITE_FIXTURES";

/// The tables the fixtures were uploaded from, relative to the repository root.
const PENGUINS_RAW: &str = "tests/data/penguins-raw.csv";
const PENGUINS_CLEAN: &str = "tests/data/penguins.csv";
const ISLANDS_V1: &str = "tests/fixtures/tables/islands.csv";
const ISLANDS_V2: &str = "tests/fixtures/tables/islands-v2.csv";
const ISLANDS_V3: &str = "tests/fixtures/tables/islands-v3.csv";

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn source_bytes(relative: &str) -> Vec<u8> {
    fs::read(repo_path(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// The committed fixture `name` of format 1.
fn fixture_dir(name: &str) -> PathBuf {
    repo_path("tests/fixtures/v1").join(name)
}

// ---------------------------------------------------------------------------------------------
// The generator.
// ---------------------------------------------------------------------------------------------

/// The options the fixtures were written with: small segments, so that even a few events span
/// several segments, and small preallocation, so that the committed files stay small. (The
/// first segment file is created with `preallocate` zero bytes, later ones with at most
/// `segment_size`; an append that comes within `preallocate / 2` of a file's end grows it by
/// up to `preallocate`, never past `segment_size` unless one record is larger.) Snapshots are
/// taken only where a fixture takes one.
fn writing_options() -> StoreOptions {
    StoreOptions {
        log: LogOptions {
            segment_size: 2048,
            preallocate: 4096,
            ..StoreOptions::default().log
        },
        check_invariants: true,
        snapshots: SnapshotPolicy {
            automatic: false,
            ..SnapshotPolicy::default()
        },
        ..StoreOptions::default()
    }
}

/// An upload of `(file name, source)` pairs.
fn upload(dataset: &str, files: &[(&str, &str)], actor: &str, note: &str) -> UploadRequest {
    let files = files
        .iter()
        .map(|(name, source)| UploadFile::from_bytes(*name, source_bytes(source)))
        .collect();
    UploadRequest {
        note: note.into(),
        ..UploadRequest::new(dataset, files, actor)
    }
}

/// An overwrite of `(file name, source)` pairs under `policy`.
fn overwrite(
    dataset: &str,
    files: &[(&str, &str)],
    policy: SchemaDriftPolicy,
    actor: &str,
    note: &str,
) -> UploadRequest {
    UploadRequest {
        overwrite: true,
        drift_policy: Some(policy),
        ..upload(dataset, files, actor, note)
    }
}

/// The tables of the `penguins` versions of `history`: `(file name, source)`.
const PENGUINS_V1: [(&str, &str); 2] =
    [("penguins.csv", PENGUINS_RAW), ("islands.csv", ISLANDS_V1)];
const PENGUINS_V2: [(&str, &str); 2] = [
    ("penguins.csv", PENGUINS_CLEAN),
    ("islands.csv", ISLANDS_V2),
];
const PENGUINS_V3: [(&str, &str); 2] = [
    ("penguins.csv", PENGUINS_CLEAN),
    ("islands.csv", ISLANDS_V3),
];

/// `history`: every dataset event kind, two datasets sharing content, a snapshot with records
/// after it, several segments.
fn write_history(dir: &Path) {
    let store = Store::create(dir, writing_options()).unwrap();
    write_history_before_snapshot(&store);
    store.snapshot().unwrap();
    write_history_after_snapshot(&store);
}

/// `penguins` version 1 (with metadata), a refused overwrite, version 2 (an override reason),
/// `penguins-archive` with version 1's content, `penguins` version 3 (additive).
fn write_history_before_snapshot(store: &Store) {
    store
        .save_upload(UploadRequest {
            metadata: Some(serde_json::json!({"source": "palmerpenguins 0.1.6", "license": "CC0"})),
            ..upload("penguins", &PENGUINS_V1, "ana", "first export")
        })
        .unwrap();
    let cleaned = || {
        overwrite(
            "penguins",
            &PENGUINS_V2,
            SchemaDriftPolicy::Reject,
            "bo",
            "cleaned export",
        )
    };
    let refused = store.save_upload(cleaned());
    assert!(matches!(refused, Err(strata::Error::DriftRefused { .. })));
    store
        .save_upload(UploadRequest {
            override_reason: Some("the study switched to the cleaned table".into()),
            metadata: Some(serde_json::json!({"cleaned": true})),
            ..cleaned()
        })
        .unwrap();
    let archive = upload(
        "penguins-archive",
        &PENGUINS_V1,
        "cy",
        "archive of the first export",
    );
    store.save_upload(archive).unwrap();
    let areas = overwrite(
        "penguins",
        &PENGUINS_V3,
        SchemaDriftPolicy::Reject,
        "ana",
        "island areas",
    );
    store.save_upload(areas).unwrap();
}

/// A rollback of `penguins` to version 1, version 3 re-activated, `penguins-archive` version 2
/// (a removed table, under `warn`).
fn write_history_after_snapshot(store: &Store) {
    store
        .rollback_to_version("penguins", "1", "bo", "the cleaned table drops columns")
        .unwrap();
    let again = "back to the cleaned table";
    let v3 = overwrite(
        "penguins",
        &PENGUINS_V3,
        SchemaDriftPolicy::Reject,
        "ana",
        again,
    );
    store.save_upload(v3).unwrap();
    let islands = [("islands.csv", ISLANDS_V1)];
    let archive = overwrite(
        "penguins-archive",
        &islands,
        SchemaDriftPolicy::Warn,
        "cy",
        "islands only",
    );
    store.save_upload(archive).unwrap();
}

/// The small story the damaged fixtures start from: one dataset of small tables through a
/// type change, an addition, a rollback and a re-activation, and a second dataset with the
/// same content as the first's version 1.
fn write_islands(dir: &Path) -> Store {
    let store = Store::create(dir, writing_options()).unwrap();
    store
        .save_upload(UploadRequest {
            metadata: Some(serde_json::json!({"survey": "2007-2009"})),
            ..upload(
                "islands",
                &[("islands.csv", ISLANDS_V1)],
                "ana",
                "first survey",
            )
        })
        .unwrap();
    let v2 = [("islands.csv", ISLANDS_V2)];
    store
        .save_upload(overwrite(
            "islands",
            &v2,
            SchemaDriftPolicy::Warn,
            "bo",
            "mean nests",
        ))
        .unwrap();
    let v3 = [("islands.csv", ISLANDS_V3)];
    store
        .save_upload(overwrite(
            "islands",
            &v3,
            SchemaDriftPolicy::Reject,
            "ana",
            "areas",
        ))
        .unwrap();
    store
        .rollback_to_version("islands", "2", "bo", "areas are incomplete")
        .unwrap();
    store
        .save_upload(overwrite(
            "islands",
            &v3,
            SchemaDriftPolicy::Reject,
            "ana",
            "areas again",
        ))
        .unwrap();
    store
        .save_upload(upload(
            "islands-copy",
            &[("islands.csv", ISLANDS_V1)],
            "cy",
            "a copy",
        ))
        .unwrap();
    store
}

/// The upload whose record `torn-tail` tears and `torn-cut` appends again.
fn torn_upload() -> UploadRequest {
    overwrite(
        "islands-copy",
        &[("islands.csv", ISLANDS_V3)],
        SchemaDriftPolicy::Warn,
        "cy",
        "copy of the areas",
    )
}

/// Where the record with sequence number `seq` is: `(segment file, offset, encoded length)`.
fn locate(store: &Store, seq: u64) -> (PathBuf, u64, u64) {
    let record = store.log().read(seq).unwrap();
    let segment = store
        .log()
        .segments()
        .into_iter()
        .find(|s| s.number == record.segment_number)
        .unwrap();
    (segment.path, record.offset, 32 + record.body.len() as u64)
}

fn flip_byte(path: &Path, offset: u64) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).unwrap();
    file.write_all_at(&[byte[0] ^ 0xFF], offset).unwrap();
}

/// `torn-tail`: the small story, then an upload whose record's second half never reached the
/// disk (zeros, as a crash leaves preallocated space).
fn write_torn_tail(dir: &Path) {
    let store = write_islands(dir);
    let seq = store.save_upload(torn_upload()).unwrap().seq.unwrap();
    let (segment, offset, len) = locate(&store, seq);
    drop(store);
    let file = fs::OpenOptions::new().write(true).open(&segment).unwrap();
    file.write_all_at(&vec![0; (len / 2) as usize], offset + len - len / 2)
        .unwrap();
}

/// `torn-cut`: `torn-tail` after the next append, which cut the torn tail.
fn write_torn_cut(dir: &Path) {
    write_torn_tail(dir);
    let store = Store::open(dir, writing_options()).unwrap();
    assert!(store.log().torn_tail().is_some());
    store.save_upload(torn_upload()).unwrap();
    assert!(store.log().torn_tail().is_none());
}

/// The second record of segment 0 (a dataset event), which must be sealed.
fn record_to_damage(store: &Store) -> u64 {
    let sealed = &store.log().segments()[0];
    assert!(sealed.sealed, "segment 0 must be sealed");
    sealed.base_seq + 1
}

/// `corrupt-sealed`: the small story with one byte of an event's body flipped in segment 0,
/// which is sealed.
fn write_corrupt_sealed(dir: &Path) {
    let store = write_islands(dir);
    let (segment, offset, _) = locate(&store, record_to_damage(&store));
    drop(store);
    flip_byte(&segment, offset + 40);
}

/// `repaired`: `corrupt-sealed` after `strata::log::repair` and one more upload.
fn write_repaired(dir: &Path) {
    write_corrupt_sealed(dir);
    let report = strata::log::repair(dir, writing_options().log).unwrap();
    assert!(matches!(report, strata::log::RepairReport::Repaired { .. }));
    let store = Store::open(dir, writing_options()).unwrap();
    store
        .save_upload(overwrite(
            "islands",
            &[("islands.csv", ISLANDS_V3)],
            SchemaDriftPolicy::Warn,
            "ana",
            "after the repair",
        ))
        .unwrap();
}

/// `stale-snapshot`: the small story, a snapshot, then the record before the snapshot's
/// damaged, the log repaired, and one upload, which takes the snapshot's sequence number.
fn write_stale_snapshot(dir: &Path) {
    let store = write_islands(dir);
    let snapshot = store.snapshot().unwrap();
    let (segment, offset, _) = locate(&store, snapshot.seq - 1);
    drop(store);
    flip_byte(&segment, offset + 40);
    let report = strata::log::repair(dir, writing_options().log).unwrap();
    assert!(matches!(report, strata::log::RepairReport::Repaired { .. }));
    let store = Store::open(dir, writing_options()).unwrap();
    let seq = store
        .save_upload(upload(
            "islands-copy",
            &[("islands.csv", ISLANDS_V2)],
            "cy",
            "a copy, after the repair",
        ))
        .unwrap()
        .seq;
    assert_eq!(seq, Some(snapshot.seq));
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Removes the empty folders under `dir` (such as `blobs/tmp/`): git keeps no empty folder,
/// so a fixture must read the same without them.
fn remove_empty_dirs(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            remove_empty_dirs(&path);
            if fs::read_dir(&path).unwrap().next().is_none() {
                fs::remove_dir(&path).unwrap();
            }
        }
    }
}

/// Writes every fixture that does not exist yet. Never overwrites one: a committed fixture is
/// the frozen format, and rewriting it would hide the very change the tests exist to catch.
#[test]
#[ignore = "writes tests/fixtures/v1; run with STRATA_WRITE_FIXTURES=1 (see the top of this file)"]
fn write_fixtures() {
    assert!(
        std::env::var_os(WRITE_ENV).is_some_and(|v| v == "1"),
        "set {WRITE_ENV}=1 to write the fixtures (see tests/fixtures/README.md)"
    );
    type Writer = fn(&Path);
    let writers: [(&str, Writer); 6] = [
        ("history", write_history),
        ("torn-tail", write_torn_tail),
        ("torn-cut", write_torn_cut),
        ("corrupt-sealed", write_corrupt_sealed),
        ("repaired", write_repaired),
        ("stale-snapshot", write_stale_snapshot),
    ];
    for (name, write) in writers {
        let target = fixture_dir(name);
        if target.exists() {
            eprintln!("kept {} (fixtures are never rewritten)", target.display());
            continue;
        }
        let scratch = tempfile::tempdir().unwrap();
        write(scratch.path());
        remove_empty_dirs(scratch.path());
        copy_tree(scratch.path(), &target);
        eprintln!("wrote {}", target.display());
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: helpers.
// ---------------------------------------------------------------------------------------------

/// A copy of the fixture in a temporary directory (the committed files are never opened for
/// writing) and the path of the copy.
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_tree(&fixture_dir(name), &dir);
    (tmp, dir)
}

/// Every file under `dir` with its bytes, sorted by path.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Opens a copy of the fixture with the default options, checking that opening changed no
/// file.
fn open_copy(name: &str) -> (tempfile::TempDir, PathBuf, Store) {
    let (tmp, dir) = copy_of(name);
    let before = tree(&dir);
    let store = Store::open(&dir, StoreOptions::default()).unwrap();
    assert_eq!(tree(&dir), before, "opening {name} changed a file");
    (tmp, dir, store)
}

fn file_name(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

/// A schema as `name Type [null] [id]; ...`.
fn schema_text(schema: &strata::schema::Schema) -> String {
    let columns: Vec<String> = schema
        .columns
        .iter()
        .map(|c| {
            let mut text = format!("{} {}", c.name, c.column_type);
            if c.nullable {
                text.push_str(" null");
            }
            if c.identifier {
                text.push_str(" id");
            }
            text
        })
        .collect();
    columns.join("; ")
}

/// A drift as `+tables [..] -tables [..] | table: +[..] -[..] ~[..] ?[..]`.
fn drift_text(drift: &strata::schema::SchemaDrift) -> String {
    let columns = |list: &[strata::schema::ColumnSummary]| {
        let items: Vec<String> = list
            .iter()
            .map(|c| format!("{} {}", c.name, c.column_type))
            .collect();
        items.join(", ")
    };
    let mut text = format!(
        "+tables [{}] -tables [{}]",
        drift.added_tables.join(", "),
        drift.removed_tables.join(", ")
    );
    for table in &drift.changed_tables {
        let changes: Vec<String> = table
            .type_changes
            .iter()
            .map(|t| format!("{} {}->{}", t.name, t.old_type, t.new_type))
            .collect();
        let renames: Vec<String> = table
            .rename_candidates
            .iter()
            .map(|r| {
                format!(
                    "{}->{} {} {}",
                    r.from, r.to, r.column_type, r.similarity_permille
                )
            })
            .collect();
        text.push_str(&format!(
            " | {}: +[{}] -[{}] ~[{}] ?[{}]",
            table.table,
            columns(&table.added_columns),
            columns(&table.removed_columns),
            changes.join(", "),
            renames.join(", ")
        ));
    }
    text
}

/// Everything an event's kind holds except the tables of an upload (checked through the
/// versions) and the warnings (checked one by one).
fn kind_text(kind: &strata::store::EventKind) -> String {
    use strata::store::EventKind::*;
    match kind {
        UploadCreated {
            dataset_name,
            version,
            hash,
            previous_active,
            tables,
            metadata,
            drift,
            policy,
            override_reason,
            duplicate_of,
            ..
        } => {
            let holders: Vec<String> = duplicate_of
                .iter()
                .map(|h| format!("{} {} v{}", h.dataset_id, h.dataset_name, h.version))
                .collect();
            format!(
                "upload_created {dataset_name} v{version} {hash} previous {previous_active:?} \
                 tables {} metadata {metadata:?} drift {} policy {policy} override \
                 {override_reason:?} duplicate_of [{}]",
                tables.len(),
                drift.as_ref().map_or("none".into(), drift_text),
                holders.join(", ")
            )
        }
        VersionActivated { version, from } => format!("version_activated v{version} from v{from}"),
        Rollback { from, to, .. } => format!("rollback from v{from} to v{to}"),
        OverwriteBlocked {
            active,
            attempted_hash,
            source_files,
            drift,
            policy,
            reason,
            ..
        } => format!(
            "overwrite_blocked active v{active} attempted {attempted_hash} files [{}] drift {} \
             policy {policy} reason {reason}",
            source_files.join(", "),
            drift_text(drift)
        ),
        PolicySet { rule, previous } => format!("policy_set {rule} previous {previous:?}"),
    }
}

fn warnings_of(kind: &strata::store::EventKind) -> &[String] {
    use strata::store::EventKind::*;
    match kind {
        UploadCreated { warnings, .. } | Rollback { warnings, .. } => warnings,
        VersionActivated { .. } | OverwriteBlocked { .. } | PolicySet { .. } => &[],
    }
}

/// Checks the log record by record: segments, framing, times and body checksums.
fn assert_log(store: &Store, fixture: &Fixture) {
    let log = store.log();
    assert_eq!(log.store_id().to_string(), fixture.store_id);
    let segments: Vec<_> = log
        .segments()
        .iter()
        .map(|s| {
            let name = file_name(&s.path).to_owned();
            (
                name,
                s.number,
                s.base_seq,
                s.records,
                s.end_offset,
                s.file_len,
                s.sealed,
            )
        })
        .collect();
    let expected: Vec<_> = fixture
        .segments
        .iter()
        .map(|&(name, n, base, records, end, len, sealed)| {
            (name.to_owned(), n, base, records, end, len, sealed)
        })
        .collect();
    assert_eq!(segments, expected);
    let records: Vec<_> = log
        .iter_from(1)
        .map(Result::unwrap)
        .map(|r| {
            let crc = crc32(&r.body);
            let (seq, kind, time) = (r.seq, r.record_type.0, r.timestamp_micros);
            (
                seq,
                kind,
                time,
                r.segment_number,
                r.offset,
                r.body.len(),
                crc,
            )
        })
        .collect();
    assert_eq!(records, fixture.records);
    let report = log.verify().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// Checks the in-memory catalog: datasets in order, versions, activations, event numbers.
fn assert_catalog(store: &Store, fixture: &Fixture) {
    let catalog = store.catalog();
    let last = fixture.records.last().map_or(0, |r| r.0);
    let events: usize = fixture.datasets.iter().map(|d| d.events.len()).sum();
    assert_eq!((catalog.last_seq, catalog.events), (last, events as u64));
    let names: Vec<&str> = catalog.datasets().map(|d| d.name.as_str()).collect();
    let expected: Vec<&str> = fixture.datasets.iter().map(|d| d.name).collect();
    assert_eq!(names, expected);
    for (ds, want) in catalog.datasets().zip(fixture.datasets) {
        assert_eq!(ds.id.to_string(), want.id, "{}", want.name);
        assert_eq!(
            (ds.active, ds.updated_micros),
            (want.active, want.updated_micros),
            "{}",
            want.name
        );
        let versions: Vec<_> = ds
            .versions
            .iter()
            .map(|v| (v.number, v.hash.hex(), v.created_seq, v.created_micros))
            .collect();
        let expected: Vec<_> = want
            .versions
            .iter()
            .map(|v| (v.number, v.hash.to_owned(), v.created_seq, v.created_micros))
            .collect();
        assert_eq!(versions, expected, "{}", want.name);
        let activations: Vec<_> = ds
            .activations
            .iter()
            .map(|a| (a.micros, a.seq, a.version))
            .collect();
        assert_eq!(activations, want.activations, "{}", want.name);
        let seqs: Vec<u64> = want.events.iter().map(|e| e.seq).collect();
        assert_eq!(ds.event_seqs, seqs, "{}", want.name);
    }
}

/// Checks every event of every dataset (`Store::history`) and every version's details.
fn assert_history(store: &Store, fixture: &Fixture) {
    for want in fixture.datasets {
        let history = store.history(want.name).unwrap();
        assert_eq!(history.dataset_id.to_string(), want.id);
        assert_eq!(history.events.len(), want.events.len(), "{}", want.name);
        for ((seq, event), expected) in history.events.iter().zip(want.events) {
            let found = (
                *seq,
                event.event_id.to_string(),
                event.timestamp_micros,
                event.dataset_id.to_string(),
                event.actor.as_str(),
                event.note.as_str(),
            );
            let id = (expected.id.to_owned(), want.id.to_owned());
            assert_eq!(
                found,
                (
                    expected.seq,
                    id.0,
                    expected.micros,
                    id.1,
                    expected.actor,
                    expected.note
                )
            );
            assert_eq!(kind_text(&event.kind), expected.kind, "event {seq}");
            // Format-1 events are of event encoding version 1, which has no OS account, and
            // decided every type change as breaking.
            assert_eq!(event.os_account, None, "event {seq}");
            if let strata::store::EventKind::UploadCreated { widening, .. }
            | strata::store::EventKind::OverwriteBlocked { widening, .. } = &event.kind
            {
                assert_eq!(
                    *widening,
                    strata::schema::WideningRule::Breaking,
                    "event {seq}"
                );
            }
            assert_eq!(event.salvaged_from, None, "event {seq}");
            assert_eq!(warnings_of(&event.kind), expected.warnings, "event {seq}");
        }
        assert_eq!(history.versions.len(), want.versions.len(), "{}", want.name);
        for (summary, expected) in history.versions.iter().zip(want.versions) {
            let rows: Vec<(String, u64)> = expected
                .tables
                .iter()
                .map(|t| (t.name.to_owned(), t.rows))
                .collect();
            assert_eq!(
                (
                    summary.number,
                    summary.hash.hex(),
                    summary.created_micros,
                    summary.actor.as_str(),
                    summary.note.as_str(),
                    summary.active,
                    summary.override_reason.as_deref(),
                    &summary.row_counts
                ),
                (
                    expected.number,
                    expected.hash.to_owned(),
                    expected.created_micros,
                    expected.actor,
                    expected.note,
                    expected.number == want.active,
                    expected.override_reason,
                    &rows
                )
            );
        }
        assert_versions(store, want);
    }
}

/// Checks what each version's `upload_created` event holds: metadata and every table.
fn assert_versions(store: &Store, want: &expected::Dataset) {
    let ds = store.catalog().get(want.name).unwrap().clone();
    let infos = store.version_infos(&ds).unwrap();
    assert_eq!(infos.len(), want.versions.len());
    for (info, expected) in infos.iter().zip(want.versions) {
        let context = format!("{} version {}", want.name, expected.number);
        assert_eq!(info.created_seq, expected.created_seq, "{context}");
        assert_eq!(info.metadata.as_deref(), expected.metadata, "{context}");
        assert_eq!(info.tables.len(), expected.tables.len(), "{context}");
        for (table, t) in info.tables.iter().zip(expected.tables) {
            let found = (
                table.table_id.as_str(),
                table.name.as_str(),
                table.source_file.as_str(),
                table.content_hash.hex(),
                table.byte_len,
                table.row_count,
                table.column_count,
                table.fingerprint.hex(),
                table.delimiter,
            );
            let hashes = (t.content_hash.to_owned(), t.fingerprint.to_owned());
            assert_eq!(
                found,
                (
                    t.id,
                    t.name,
                    t.source_file,
                    hashes.0,
                    t.byte_len,
                    t.rows,
                    t.columns,
                    hashes.1,
                    Delimiter::Comma
                ),
                "{context}"
            );
            assert_eq!(schema_text(&table.schema), t.schema, "{context}");
        }
    }
}

/// Reads every table of every version back and compares it with the file it was uploaded
/// from.
fn assert_tables_read_back(store: &Store, fixture: &Fixture) {
    for ds in fixture.datasets {
        for version in ds.versions {
            for table in version.tables {
                let number = VersionRef::Number(version.number);
                let (record, mut reader) = store
                    .open_table(ds.name, &number, Some(table.name))
                    .unwrap();
                assert_eq!(record.content_hash.hex(), table.content_hash);
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes).unwrap();
                assert!(
                    bytes == source_bytes(table.source),
                    "{} version {} table {} differs from {}",
                    ds.name,
                    version.number,
                    table.name,
                    table.source
                );
            }
        }
    }
}

/// Everything a readable fixture is checked for.
fn assert_fixture(store: &Store, fixture: &Fixture) {
    assert_log(store, fixture);
    assert_catalog(store, fixture);
    assert_history(store, fixture);
    assert_tables_read_back(store, fixture);
    store.assert_invariants(true).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Reading: the fixtures.
// ---------------------------------------------------------------------------------------------

/// The body CRC the torn record of `torn-tail` declares, and the CRC of what is left of its
/// body (its second half is zeros).
const TORN_BODY_CRC: u32 = 0xcd98_c89f;
const TORN_BODY_CRC_COMPUTED: u32 = 0x8050_9e5d;
/// The CRC of the copy `torn-cut` kept of the torn bytes it cut.
const TORN_COPY_CRC: u32 = 0x1e2e_432e;
/// The body CRC record 2 of `corrupt-sealed` declares, and the CRC of its body with one byte
/// flipped.
const CORRUPT_BODY_CRC: u32 = 0xb4a5_2edb;
const CORRUPT_BODY_CRC_COMPUTED: u32 = 0x55cd_e691;
/// The folders the repairs moved the cut bytes to.
const REPAIRED_SALVAGE_DIR: &str = "salvage-20261201T094810.089398Z";
const STALE_SNAPSHOT_SALVAGE_DIR: &str = "salvage-20261201T094810.322781Z";

#[test]
fn the_history_fixture_reads_back_exactly_as_written() {
    let (_tmp, _dir, store) = open_copy("history");
    assert_fixture(&store, &HISTORY);
}

/// Format 1 snapshots are read but never used since snapshot format 2 (FORMAT.md, "Version
/// compatibility"): no checkpoint record vouches for their catalog, so the fixture's snapshot
/// is ignored with a warning and the whole log replayed to the same catalog; `verify` does not
/// count it as a problem.
#[test]
fn the_history_fixture_ignores_its_format_1_snapshot_and_replays_its_log_to_the_same_catalog() {
    let (_tmp, dir, store) = open_copy("history");
    assert!(store.loaded_snapshot().is_none());
    let snapshot = dir.join("snapshots/00000000000000000009.snap");
    assert_eq!(fs::metadata(&snapshot).unwrap().len(), 638);
    assert_eq!(
        store.snapshot_warnings(),
        [format!(
            "ignored snapshot {}: it is snapshot format 1, which no checkpoint record anchors; the log is replayed instead (the next snapshot is format 2)",
            snapshot.display()
        )]
    );
    assert_eq!(
        store.ignored_snapshots()[0].kind,
        strata::store::snapshot::IgnoredKind::FormatOne
    );
    assert_catalog(&store, &HISTORY);
    assert!(store.check_snapshot().unwrap().is_none());
    let report = strata::check::run(&dir, strata::check::CheckOptions::default(), |_| {}).unwrap();
    assert_eq!(
        report.outcome(),
        strata::check::Outcome::Healthy,
        "{report:?}"
    );
}

#[test]
fn the_history_fixture_replays_to_the_same_catalog_without_its_snapshot() {
    let (_tmp, dir, from_snapshot) = open_copy("history");
    fs::remove_dir_all(dir.join("snapshots")).unwrap();
    let replayed = Store::open(&dir, StoreOptions::default()).unwrap();
    assert!(replayed.loaded_snapshot().is_none());
    assert_catalog(&replayed, &HISTORY);
    assert!(*replayed.catalog() == *from_snapshot.catalog());
}

#[test]
fn the_torn_tail_fixture_opens_with_the_torn_record_reported_and_left_in_place() {
    let (_tmp, _dir, store) = open_copy("torn-tail");
    let torn = store.log().torn_tail().expect("the torn tail is reported");
    assert_eq!(
        (
            file_name(&torn.segment),
            torn.segment_number,
            torn.offset,
            torn.len
        ),
        ("00000000000000000009.seg", 2, 128, 610)
    );
    assert_eq!(
        torn.defect,
        Defect::BodyChecksum {
            stored: TORN_BODY_CRC,
            computed: TORN_BODY_CRC_COMPUTED
        }
    );
    assert_fixture(&store, &TORN_TAIL);
}

#[test]
fn the_torn_tail_of_the_fixture_is_cut_and_recorded_before_the_next_append() {
    let (_tmp, dir, store) = open_copy("torn-tail");
    let segment = dir.join("log/00000000000000000009.seg");
    let torn_bytes = fs::read(&segment).unwrap()[128..128 + 610].to_vec();
    let outcome = store.save_upload(torn_upload()).unwrap();
    // The first append by a format-2 build to a format-1 log cuts the torn tail (seq 9, in
    // the format-1 segment, as format 1 did), then seals that segment (seq 10) and appends in
    // a new format-2 segment (see FORMAT.md, "Version compatibility"), which starts with a
    // checkpoint record of every earlier record (seq 11, "Checkpoint record").
    assert_eq!((outcome.version, outcome.seq), (2, Some(12)));
    let appended = store.log().read(12).unwrap();
    assert_eq!(
        appended.body[0],
        strata::store::EVENT_ENCODING_VERSION,
        "the event a format-2 build appends is of the event encoding it writes"
    );
    let checkpoint = store.log().read(11).unwrap();
    assert_eq!(
        (checkpoint.record_type, checkpoint.segment_number),
        (RecordType::CHECKPOINT, 3)
    );
    let seal = store.log().read(10).unwrap();
    assert_eq!(
        (seal.record_type, seal.segment_number),
        (RecordType::SEAL, 2)
    );
    let upgraded = &store.log().segments()[3];
    assert_eq!(
        (
            upgraded.read_version,
            upgraded.write_version,
            upgraded.base_seq
        ),
        (2, 2, 11)
    );
    assert!(store.log().torn_tail().is_none());
    let cut = store.log().read(9).unwrap();
    assert_eq!(
        (cut.record_type, cut.segment_number, cut.offset),
        (RecordType::TORN_CUT, 2, 128)
    );
    assert_eq!(
        TornCutBody::decode(&cut.body).unwrap(),
        TornCutBody {
            segment_number: 2,
            offset: 128,
            bytes_dropped: 610
        }
    );
    let copy = fs::read(dir.join("log/torn/00000000000000000009.seg.128.torn")).unwrap();
    assert_eq!(copy, torn_bytes, "the copy holds the bytes that were cut");
    drop(store);
    let reopened = Store::open(&dir, StoreOptions::default()).unwrap();
    assert!(reopened.log().torn_tail().is_none());
    assert_eq!(
        reopened.get_active_version("islands-copy").unwrap().version,
        2
    );
}

#[test]
fn the_torn_cut_fixture_reads_its_torn_cut_record_and_the_copy_it_kept() {
    let (_tmp, dir, store) = open_copy("torn-cut");
    assert!(store.log().torn_tail().is_none());
    assert_fixture(&store, &TORN_CUT);
    let cut = TornCutBody::decode(&store.log().read(9).unwrap().body).unwrap();
    assert_eq!(
        cut,
        TornCutBody {
            segment_number: 2,
            offset: 128,
            bytes_dropped: 610
        }
    );
    let copy = fs::read(dir.join("log/torn/00000000000000000009.seg.128.torn")).unwrap();
    assert_eq!((copy.len(), crc32(&copy)), (610, TORN_COPY_CRC));
    // The copy starts with the torn record's header (FORMAT.md, "Record"): sequence number 9
    // at offset 8, record type 0x0100 at offset 24.
    assert_eq!(u64::from_le_bytes(copy[8..16].try_into().unwrap()), 9);
    assert_eq!(u16::from_le_bytes(copy[24..26].try_into().unwrap()), 0x0100);
}

#[test]
fn the_corrupt_sealed_fixture_refuses_to_open_naming_segment_offset_and_sequence() {
    let (_tmp, dir) = copy_of("corrupt-sealed");
    let before = tree(&dir);
    let damage = Defect::BodyChecksum {
        stored: CORRUPT_BODY_CRC,
        computed: CORRUPT_BODY_CRC_COMPUTED,
    };
    let (segment, offset, seq, defect) = corrupt(Store::open(&dir, StoreOptions::default()));
    assert_eq!(
        (file_name(&segment), offset, seq, &defect),
        ("00000000000000000001.seg", 653, 2, &damage)
    );
    // Checking every record on open finds the valid seal after the damage: not a torn write.
    let after_damage = Defect::ValidRecordAfterDamage {
        offset: 1643,
        seq: 3,
        damage: Box::new(damage),
    };
    let full = strata::log::Log::open(&dir, LogOptions::default())
        .map(|_| ())
        .map_err(strata::Error::from);
    let (segment, offset, seq, defect) = corrupt(full);
    assert_eq!(
        (file_name(&segment), offset, seq, &defect),
        ("00000000000000000001.seg", 653, 2, &after_damage)
    );
    let report = strata::log::verify(&dir).unwrap();
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|p| {
            let at = &p.position;
            (file_name(&at.segment), at.offset, at.seq, &p.defect)
        })
        .collect();
    assert_eq!(
        problems,
        [("00000000000000000001.seg", 653, 2, &after_damage)]
    );
    assert_eq!(
        (report.segments, report.records, report.last_seq),
        (2, 7, 7)
    );
    assert_eq!(tree(&dir), before, "nothing was changed");
}

#[test]
fn the_repaired_fixture_reads_its_repair_record_and_keeps_what_was_cut() {
    let (_tmp, dir, store) = open_copy("repaired");
    assert_fixture(&store, &REPAIRED);
    let repair = RepairBody::decode(&store.log().read(2).unwrap().body).unwrap();
    assert_eq!(
        repair,
        RepairBody {
            segment_number: 0,
            offset: 653,
            bytes_cut: 1048,
            segments_removed: 1,
            salvage_dir: REPAIRED_SALVAGE_DIR.into(),
            checkpoints_cut: Vec::new(),
        }
    );
    let salvage = dir.join("log").join(REPAIRED_SALVAGE_DIR);
    let mut kept: Vec<(String, u64)> = fs::read_dir(&salvage)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            ("00000000000000000001.seg.from-653".to_owned(), 1048),
            ("00000000000000000004.seg".to_owned(), 2048)
        ]
    );
}

#[test]
fn a_snapshot_taken_before_a_repair_is_ignored_with_a_warning() {
    let (_tmp, dir, store) = open_copy("stale-snapshot");
    assert!(store.loaded_snapshot().is_none());
    let snapshot = dir.join("snapshots/00000000000000000007.snap");
    assert_eq!(
        store.snapshot_warnings(),
        [format!(
            "ignored snapshot {}: the log's record 7 is not the one the snapshot was taken after (was the log repaired?)",
            snapshot.display()
        )]
    );
    assert_fixture(&store, &STALE_SNAPSHOT);
    assert!(store.check_snapshot().unwrap().is_none());
    let repair = RepairBody::decode(&store.log().read(6).unwrap().body).unwrap();
    assert_eq!(
        repair,
        RepairBody {
            segment_number: 1,
            offset: 1068,
            bytes_cut: 752,
            segments_removed: 0,
            salvage_dir: STALE_SNAPSHOT_SALVAGE_DIR.into(),
            checkpoints_cut: Vec::new(),
        }
    );
}

/// The position and defect of a [`strata::log::Error::Corrupt`].
fn corrupt<T>(result: strata::Result<T>) -> (PathBuf, u64, u64, Defect) {
    match result {
        Err(strata::Error::Log(strata::log::Error::Corrupt {
            position:
                strata::log::Position {
                    segment,
                    offset,
                    seq,
                    ..
                },
            defect,
        })) => (segment, offset, seq, defect),
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("expected corruption, it opened"),
    }
}
