//! `repair` never cuts checkpointed records silently: on real files, a cut that would remove
//! records a checkpoint record covers is refused, naming every such checkpoint, with the
//! store's bytes unchanged; with the explicit option it is made and the repair record lists
//! what was cut, so that a checkpoint held from before says the repair is why it no longer
//! matches.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use strata::audit::{check_trusted, TrustedOutcome};
use strata::format::leaf::CheckpointBody;
use strata::format::{CutCheckpoint, RecordType, RepairBody};
use strata::log::{self, Log, LogOptions, RepairOptions, RepairReport};
use strata::note::{Checkpoint, SigningKey};

const APP: RecordType = RecordType(0x100);

fn options() -> LogOptions {
    LogOptions {
        segment_size: 4096,
        preallocate: 8192,
        checkpoint_interval: 10,
        ..LogOptions::default()
    }
}

/// A log of 120 application records over several segments (automatic checkpoint records at
/// every segment start and every 10 records), then a signed checkpoint record, then 3 more
/// records. Returns the key and the signed checkpoint (which an auditor would hold).
fn build(dir: &Path) -> (SigningKey, Checkpoint) {
    let log = Log::create(dir, options()).unwrap();
    for i in 0..120u64 {
        log.append(APP, format!("record {i:03} {}", "x".repeat(40)).as_bytes())
            .unwrap();
    }
    let key =
        SigningKey::from_seed(&strata::note::origin_for_store(&log.store_id()), [9; 32]).unwrap();
    let mut writer = log.lock_writer().unwrap();
    let (_, held) = writer.append_checkpoint(Some(&key), None).unwrap();
    writer.commit().unwrap();
    for i in 0..3u64 {
        log.append(APP, format!("after {i}").as_bytes()).unwrap();
    }
    assert!(log.segments().len() >= 3);
    (key, held)
}

/// Every checkpoint record of the log, as a repair record lists a cut one.
fn checkpoint_records(dir: &Path) -> Vec<CutCheckpoint> {
    let log = Log::open(dir, options()).unwrap();
    log.iter_from(1)
        .map(Result::unwrap)
        .filter(|r| r.record_type == RecordType::CHECKPOINT)
        .map(|r| {
            let body = CheckpointBody::decode(&r.body).unwrap();
            let signed = !Checkpoint::parse(body.note.as_bytes())
                .unwrap()
                .note
                .signatures
                .is_empty();
            CutCheckpoint {
                seq: r.seq,
                size: body.size,
                root: body.root,
                signed,
            }
        })
        .collect()
}

/// Flips a byte of the body of record `seq`, as media damage would (CRCs not fixed).
fn damage(dir: &Path, seq: u64) {
    let log = Log::open(dir, options()).unwrap();
    let record = log.read(seq).unwrap();
    let segment = record.segment().to_path_buf();
    drop(log);
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&segment)
        .unwrap();
    let at = record.offset + 32 + 2;
    let mut b = [0u8];
    file.read_exact_at(&mut b, at).unwrap();
    file.write_all_at(&[b[0] ^ 0x20], at).unwrap();
}

/// Every file under `dir` and its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_cut_of_checkpointed_records_is_refused_naming_every_checkpoint_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let checkpoints = checkpoint_records(dir.path());
    let covering: Vec<CutCheckpoint> = checkpoints.iter().copied().filter(|c| c.seq > 5).collect();
    assert!(covering.len() >= 3, "{checkpoints:?}");
    assert!(covering.iter().any(|c| c.signed) && covering.iter().any(|c| !c.signed));
    damage(dir.path(), 5);
    let before = files(dir.path());

    let report = log::repair(dir.path(), options()).unwrap();
    let RepairReport::Refused {
        problem,
        checkpoints: named,
    } = report
    else {
        panic!("expected a refusal, got {report:?}");
    };
    assert_eq!(problem.position.seq, 5);
    assert_eq!(
        named, covering,
        "every checkpoint after the damage, in log order"
    );
    assert_eq!(
        files(dir.path()),
        before,
        "a refused repair changes no byte"
    );
    let plan = log::repair_plan(dir.path(), &options()).unwrap().unwrap();
    assert_eq!(plan.1, covering);
    assert_eq!(files(dir.path()), before);
}

#[test]
fn with_cut_checkpointed_the_cut_is_made_and_the_repair_record_lists_the_checkpoints_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (key, held) = build(dir.path());
    let covering: Vec<CutCheckpoint> = checkpoint_records(dir.path())
        .into_iter()
        .filter(|c| c.seq > 5)
        .collect();
    damage(dir.path(), 5);

    let flag = RepairOptions {
        cut_checkpointed: true,
    };
    let report = log::repair_with(dir.path(), options(), flag).unwrap();
    let RepairReport::Repaired {
        repair_seq,
        checkpoints_cut,
        ..
    } = report
    else {
        panic!("expected a repair, got {report:?}");
    };
    assert_eq!((repair_seq, &checkpoints_cut), (5, &covering));
    let log = Log::open(dir.path(), options()).unwrap();
    let record = log.read(repair_seq).unwrap();
    assert_eq!(record.record_type, RecordType::REPAIR);
    let body = RepairBody::decode(&record.body).unwrap();
    assert_eq!(body.checkpoints_cut, covering);
    assert!(log::verify(dir.path()).unwrap().problems.is_empty());

    // An auditor's checkpoint from before the repair: the report names the repair.
    let report = check_trusted(&log, Some(&held), &[key.verifier()]).unwrap();
    assert_eq!(report.outcome, TrustedOutcome::Tampered, "{report:#?}");
    let why = report
        .problems
        .iter()
        .find(|p| p.contains("repaired at seq 5"))
        .unwrap_or_else(|| panic!("the repair is not named: {:#?}", report.problems));
    assert!(why.contains(&body.salvage_dir), "{why}");
    assert!(
        why.contains(&format!("seq {} of {} records", held.size + 1, held.size)),
        "{why}"
    );
    assert!(why.contains("(the one held)"), "{why}");
}

#[test]
fn damage_after_the_last_checkpoint_is_cut_without_the_flag_and_the_repair_record_lists_none() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let last = Log::open(dir.path(), options()).unwrap().last_seq();
    let last_checkpoint = checkpoint_records(dir.path()).last().unwrap().seq;
    assert!(last_checkpoint < last - 1);
    damage(dir.path(), last - 1);
    let report = log::repair(dir.path(), options()).unwrap();
    let RepairReport::Repaired {
        repair_seq,
        checkpoints_cut,
        ..
    } = report
    else {
        panic!("expected a repair, got {report:?}");
    };
    assert!(checkpoints_cut.is_empty());
    let log = Log::open(dir.path(), options()).unwrap();
    let record = log.read(repair_seq).unwrap();
    let body = RepairBody::decode(&record.body).unwrap();
    assert!(body.checkpoints_cut.is_empty());
    assert_eq!(
        record.body.len(),
        32 + body.salvage_dir.len(),
        "no list after the name"
    );
}
