//! The tamper matrix (docs/AUDIT.md): deliberate edits of real segment files, each made the
//! way someone who read FORMAT.md would make it (fixing every CRC unless the case says
//! otherwise), each detected as the matrix says, naming the position or the records.
//!
//! Every case starts from the same store: a log of at least three segments, a checkpoint
//! signed with a key kept outside the store (held by the "auditor"), and events after it.

mod common;

use common::{options, overwrite, upload, SMALL};
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use strata::audit::{check_trusted, TrustedOutcome, TrustedReport};
use strata::check::{self, CheckOptions, Outcome, StoreProblemKind};
use strata::format::leaf::{record_leaf, CheckpointBody};
use strata::format::SnapshotHeader;
use strata::format::{encode_record, encoded_len, Defect, RecordType, SEGMENT_HEADER_LEN};
use strata::log::{Log, LogOptions};
use strata::merkle::Frontier;
use strata::note::{Checkpoint, SigningKey, VerifierKey};
use strata::schema::SchemaDriftPolicy;
use strata::store::snapshot::IgnoredKind;
use strata::{Store, StoreOptions};

const EVENT: RecordType = RecordType(0x0100);

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: SigningKey,
    /// The signed checkpoint the auditor holds.
    held: Checkpoint,
    /// Its record's seq in the log.
    held_seq: u64,
}

impl Fixture {
    fn vkeys(&self) -> Vec<VerifierKey> {
        vec![self.key.verifier()]
    }

    fn trusted(&self, held: bool) -> TrustedReport {
        let log = Log::open(&self.dir, LogOptions::default()).unwrap();
        check_trusted(&log, held.then_some(&self.held), &self.vkeys()).unwrap()
    }

    fn log_problems(&self) -> Vec<strata::log::Problem> {
        strata::log::verify(&self.dir).unwrap().problems
    }
}

/// Every table a blob file, so that each upload is one event record and the matrix's blob
/// attacks have files to swap (a forged `table_bytes` record fails its SHA-256 on every read
/// and on a deep check: `tests/store_inline.rs`).
fn store_options() -> StoreOptions {
    let mut options = options();
    options.inline_table_max = 0;
    options.log.segment_size = 16 * 1024;
    options.log.checkpoint_interval = 6;
    options
}

/// A store of at least three segments with events before and after a signed checkpoint,
/// whose last segment holds at least three events before that checkpoint.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = Store::create(&dir, store_options()).unwrap();
    let mut i = 0;
    let mut add = |store: &Store| {
        let content = format!("id,name,score\n{i},n{i},{i}\n");
        store
            .save_upload(upload(&format!("d{i}"), &[("t.csv", content.as_bytes())]))
            .unwrap();
        i += 1;
    };
    while store.log().segments().len() < 3 {
        add(&store);
    }
    for _ in 0..4 {
        add(&store);
    }
    let key = SigningKey::from_seed(
        &strata::note::origin_for_store(&store.log().store_id()),
        [42; 32],
    )
    .unwrap();
    let recorded = store.checkpoint(Some(&key)).unwrap();
    assert_eq!(recorded.post_commit_warnings, Vec::<String>::new());
    let (held_seq, held) = (recorded.seq, recorded.checkpoint);
    for _ in 0..2 {
        add(&store);
    }
    drop(store);
    let fixture = Fixture {
        _tmp: tmp,
        dir,
        key,
        held,
        held_seq,
    };
    let last = last_segment(&fixture.dir);
    let before: Vec<_> = records_of_segment(&fixture.dir, &last)
        .into_iter()
        .filter(|r| r.record_type == EVENT && r.seq < held_seq)
        .collect();
    assert!(
        before.len() >= 3,
        "the last segment holds events before the checkpoint"
    );
    assert!(
        Log::open(&fixture.dir, LogOptions::default())
            .unwrap()
            .segments()
            .len()
            >= 3
    );
    let report = fixture.trusted(true);
    assert_eq!(report.outcome, TrustedOutcome::Healthy, "{report:?}");
    fixture
}

/// A record as an editor sees it.
#[derive(Debug, Clone)]
struct Rec {
    seq: u64,
    record_type: RecordType,
    time: i64,
    body: Vec<u8>,
    offset: u64,
    segment: PathBuf,
}

fn all_records(dir: &Path) -> Vec<Rec> {
    let log = Log::open(dir, LogOptions::default()).unwrap();
    log.iter_from(1)
        .map(|r| {
            let r = r.unwrap();
            Rec {
                seq: r.seq,
                record_type: r.record_type,
                time: r.timestamp_micros,
                offset: r.offset,
                segment: r.segment().to_path_buf(),
                body: r.body,
            }
        })
        .collect()
}

fn last_segment(dir: &Path) -> PathBuf {
    let log = Log::open(dir, LogOptions::default()).unwrap();
    log.segments().last().unwrap().path.clone()
}

fn records_of_segment(dir: &Path, segment: &Path) -> Vec<Rec> {
    all_records(dir)
        .into_iter()
        .filter(|r| r.segment == segment)
        .collect()
}

fn encode(rec: &Rec) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_record(&mut bytes, rec.record_type, rec.seq, rec.time, &rec.body);
    bytes
}

/// Rewrites one record in place with valid CRCs (the edit must keep its length).
fn rewrite_in_place(dir: &Path, seq: u64, edit: impl FnOnce(&mut Rec)) -> Rec {
    let mut rec = all_records(dir).remove(seq as usize - 1);
    let len = encoded_len(rec.body.len());
    edit(&mut rec);
    let bytes = encode(&rec);
    assert_eq!(
        bytes.len(),
        len,
        "an in-place edit keeps the record's length"
    );
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&rec.segment)
        .unwrap();
    file.write_all_at(&bytes, rec.offset).unwrap();
    rec
}

/// Rewrites the last segment as an editor who knows FORMAT.md would: the records edited,
/// renumbered from the segment's base, every checkpoint record recomputed (unsigned, or
/// signed with `sign`) over the records as they now are, CRCs fixed, zeros after.
fn rewrite_last_segment(dir: &Path, sign: Option<&SigningKey>, edit: impl FnOnce(&mut Vec<Rec>)) {
    let segment = last_segment(dir);
    let records = all_records(dir);
    let base = records.iter().find(|r| r.segment == segment).unwrap().seq;
    let mut frontier = Frontier::new();
    for r in records.iter().filter(|r| r.seq < base) {
        frontier
            .push(record_leaf(r.seq, r.time, r.record_type, &r.body))
            .unwrap();
    }
    let mut tail: Vec<Rec> = records.into_iter().filter(|r| r.seq >= base).collect();
    edit(&mut tail);
    let origin = strata::note::origin_for_store(&store_id(dir));
    let mut bytes = fs::read(&segment).unwrap()[..SEGMENT_HEADER_LEN].to_vec();
    for (rec, seq) in tail.iter_mut().zip(base..) {
        rec.seq = seq;
        if rec.record_type == RecordType::CHECKPOINT {
            rec.body = forged_checkpoint(&frontier, &origin, sign).encode();
        }
        frontier
            .push(record_leaf(rec.seq, rec.time, rec.record_type, &rec.body))
            .unwrap();
        bytes.extend_from_slice(&encode(rec));
    }
    let len = fs::metadata(&segment).unwrap().len() as usize;
    bytes.resize(len.max(bytes.len()), 0);
    fs::write(&segment, bytes).unwrap();
}

fn forged_checkpoint(
    frontier: &Frontier,
    origin: &str,
    sign: Option<&SigningKey>,
) -> CheckpointBody {
    let mut note = Checkpoint::new(origin, frontier.size(), frontier.root());
    if let Some(key) = sign {
        note.note.sign(key);
    }
    CheckpointBody {
        size: frontier.size(),
        root: frontier.root(),
        frontier: frontier.hashes().to_vec(),
        catalog_digest: None,
        note: note.encode(),
    }
}

fn store_id(dir: &Path) -> uuid::Uuid {
    Log::open(dir, LogOptions::default()).unwrap().store_id()
}

/// An event of the last segment before the held checkpoint (not its first).
fn event_before_held(f: &Fixture) -> Rec {
    records_of_segment(&f.dir, &last_segment(&f.dir))
        .into_iter()
        .filter(|r| r.record_type == EVENT && r.seq < f.held_seq)
        .nth(1)
        .unwrap()
}

/// An event in a sealed segment (the first segment's second record).
fn event_in_sealed_segment(f: &Fixture) -> Rec {
    all_records(&f.dir)
        .into_iter()
        .find(|r| r.record_type == EVENT && r.seq == 2)
        .unwrap()
}

fn assert_tampered_naming(report: &TrustedReport, seq: u64) {
    assert_eq!(report.outcome, TrustedOutcome::Tampered, "{report:#?}");
    let named = report.problems.iter().any(|p| {
        // "records A to B were changed ..." with A <= seq <= B, or the held checkpoint.
        let range = p
            .split("records ")
            .nth(1)
            .and_then(|rest| {
                let mut words = rest.split_whitespace();
                let a = words.next()?.parse::<u64>().ok()?;
                let _to = words.next()?;
                let b = words.next()?.trim_end_matches(':').parse::<u64>().ok()?;
                Some(a..=b)
            })
            .is_some_and(|r| r.contains(&seq));
        range || p.contains("checkpoint held")
    });
    assert!(
        named,
        "no problem names record {seq}: {:#?}",
        report.problems
    );
}

fn flip_byte_of_body(rec: &Rec, at: usize) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&rec.segment)
        .unwrap();
    let offset = rec.offset + 32 + at as u64;
    let mut b = [0u8];
    file.read_exact_at(&mut b, offset).unwrap();
    file.write_all_at(&[b[0] ^ 0x01], offset).unwrap();
}

/// The actor's bytes inside an event body (bincode: its length, then the bytes, near the
/// end: actor then note).
fn actor_offset(body: &[u8]) -> usize {
    let event =
        strata::store::Event::decode(body, || strata::log::Position::new("x", 0, 0, 0)).unwrap();
    let needle = event.actor.as_bytes();
    body.windows(needle.len())
        .rposition(|w| w == needle)
        .expect("the actor is in the body")
}

/// The log check's one problem, which must be at `seq`: its defect, or the damage a
/// `ValidRecordAfterDamage` wraps (the valid record after it is what makes it damage).
fn only_problem_at(f: &Fixture, seq: u64) -> Defect {
    let problems = f.log_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].position.seq, seq);
    match &problems[0].defect {
        Defect::ValidRecordAfterDamage { damage, .. } => damage.as_ref().clone(),
        d => d.clone(),
    }
}

#[test]
fn attack_01_a_flipped_body_bit_without_a_crc_fix_is_media_corruption_at_its_record() {
    let f = fixture();
    let target = event_in_sealed_segment(&f);
    flip_byte_of_body(&target, 5);
    let defect = only_problem_at(&f, target.seq);
    assert!(matches!(defect, Defect::BodyChecksum { .. }), "{defect}");
}

#[test]
fn attack_02_a_flipped_body_bit_with_the_crc_fixed_is_tampering_within_the_checkpointed_range() {
    let f = fixture();
    let target = event_in_sealed_segment(&f);
    rewrite_in_place(&f.dir, target.seq, |r| {
        let at = actor_offset(&r.body);
        r.body[at] ^= 0x01;
    });
    assert!(f.log_problems().is_empty(), "the CRCs hold");
    assert_tampered_naming(&f.trusted(false), target.seq);
    assert_tampered_naming(&f.trusted(true), target.seq);
}

#[test]
fn attack_03_an_edited_actor_or_time_with_the_crc_fixed_is_tampering() {
    let f = fixture();
    let target = event_before_held(&f);
    let previous_time = all_records(&f.dir)[target.seq as usize - 2].time;
    assert!(previous_time < target.time, "the edit changes the time");
    rewrite_in_place(&f.dir, target.seq, |r| r.time = previous_time);
    assert!(f.log_problems().is_empty());
    assert_tampered_naming(&f.trusted(false), target.seq);

    let f = fixture();
    let target = event_before_held(&f);
    rewrite_in_place(&f.dir, target.seq, |r| {
        let at = actor_offset(&r.body);
        r.body[at..at + 3].copy_from_slice(b"eve");
    });
    assert!(f.log_problems().is_empty());
    assert_tampered_naming(&f.trusted(true), target.seq);
}

#[test]
fn attack_04_a_record_replaced_by_another_well_formed_event_is_tampering() {
    let f = fixture();
    let target = event_in_sealed_segment(&f);
    rewrite_in_place(&f.dir, target.seq, |r| {
        let mut event =
            strata::store::Event::decode(&r.body, || strata::log::Position::new("x", 0, 0, 0))
                .unwrap();
        event.event_id = uuid::Uuid::from_bytes([9; 16]);
        r.body = event.encode();
    });
    assert!(f.log_problems().is_empty());
    assert_tampered_naming(&f.trusted(false), target.seq);
}

#[test]
fn attack_05_a_middle_record_deleted_without_renumbering_is_a_sequence_gap() {
    let f = fixture();
    let target = event_before_held(&f);
    let segment = fs::read(&target.segment).unwrap();
    let len = encoded_len(target.body.len());
    let at = target.offset as usize;
    let mut bytes = segment[..at].to_vec();
    bytes.extend_from_slice(&segment[at + len..]);
    bytes.resize(segment.len(), 0);
    fs::write(&target.segment, bytes).unwrap();
    let defect = only_problem_at(&f, target.seq);
    assert!(matches!(defect, Defect::SequenceGap { .. }), "{defect}");
}

#[test]
fn attack_06_a_middle_record_deleted_and_the_rest_renumbered_is_tampering() {
    let f = fixture();
    let target = event_before_held(&f);
    rewrite_last_segment(&f.dir, None, |records| {
        records.retain(|r| r.seq != target.seq)
    });
    assert!(
        f.log_problems().is_empty(),
        "renumbered and recomputed: the structure holds"
    );
    // The recorded checkpoints were recomputed by the editor, so only the signed one, held
    // outside, tells.
    let report = f.trusted(true);
    assert_tampered_naming(&report, target.seq);
    let with_key = f.trusted(false);
    assert_ne!(with_key.outcome, TrustedOutcome::Healthy, "{with_key:?}");
}

#[test]
fn attack_07_two_records_swapped_and_renumbered_is_tampering() {
    let f = fixture();
    let target = event_before_held(&f);
    rewrite_last_segment(&f.dir, None, |records| {
        let i = records.iter().position(|r| r.seq == target.seq).unwrap();
        // Swap the contents, keep the times in place (times never go back).
        let (a, b) = (records[i].clone(), records[i + 1].clone());
        assert_eq!(b.record_type, EVENT);
        records[i].body = b.body;
        records[i + 1].body = a.body;
    });
    assert!(f.log_problems().is_empty());
    assert_tampered_naming(&f.trusted(true), target.seq);
}

#[test]
fn attack_08_a_replayed_duplicate_record_is_tampering() {
    let f = fixture();
    let target = event_before_held(&f);
    rewrite_last_segment(&f.dir, None, |records| {
        let i = records.iter().position(|r| r.seq == target.seq).unwrap();
        let copy = records[i].clone();
        records.insert(i + 1, copy);
    });
    assert!(f.log_problems().is_empty());
    assert_tampered_naming(&f.trusted(true), target.seq + 1);
}

#[test]
fn attack_09_a_tail_truncated_below_the_held_checkpoint_is_truncation() {
    let f = fixture();
    let target = event_before_held(&f);
    rewrite_last_segment(&f.dir, None, |records| {
        records.retain(|r| r.seq < target.seq)
    });
    assert!(f.log_problems().is_empty(), "a shorter log is well formed");
    let report = f.trusted(true);
    assert_eq!(report.outcome, TrustedOutcome::Tampered);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("truncated or rolled back")),
        "{:?}",
        report.problems
    );
}

#[test]
fn attack_10_a_consistent_truncation_passes_locally_and_is_caught_by_the_held_checkpoint() {
    let f = fixture();
    // The last record the held checkpoint covers and everything after it are cut, the
    // checkpoints after the cut included: what is left is a valid, shorter log.
    rewrite_last_segment(&f.dir, None, |records| {
        records.retain(|r| r.seq < f.held.size)
    });
    assert!(f.log_problems().is_empty());
    let log = Log::open(&f.dir, LogOptions::default()).unwrap();
    let local = check_trusted(&log, None, &[]).unwrap();
    assert!(
        local.problems.iter().all(|p| !p.contains("does not match")),
        "{local:?}"
    );
    assert_ne!(
        local.outcome,
        TrustedOutcome::Tampered,
        "the documented limitation"
    );
    let held = f.trusted(true);
    assert_eq!(held.outcome, TrustedOutcome::Tampered);
    assert!(held
        .problems
        .iter()
        .any(|p| p.contains("truncated or rolled back")));
}

#[test]
fn attack_11_a_deleted_middle_segment_is_a_missing_segment() {
    let f = fixture();
    let log = Log::open(&f.dir, LogOptions::default()).unwrap();
    let middle = log.segments()[1].path.clone();
    drop(log);
    fs::remove_file(&middle).unwrap();
    let problems = f.log_problems();
    assert!(!problems.is_empty());
    assert!(
        problems.iter().any(|p| matches!(
            p.defect,
            Defect::MissingSegment { .. } | Defect::Misplaced { .. }
        )),
        "{problems:?}"
    );
}

#[test]
fn attack_12_a_segment_from_another_store_is_foreign() {
    let f = fixture();
    let other = fixture();
    let mine = Log::open(&f.dir, LogOptions::default()).unwrap().segments()[1]
        .path
        .clone();
    let theirs = Log::open(&other.dir, LogOptions::default())
        .unwrap()
        .segments()[1]
        .path
        .clone();
    fs::copy(&theirs, &mine).unwrap();
    let problems = f.log_problems();
    assert!(
        problems
            .iter()
            .any(|p| matches!(p.defect, Defect::ForeignSegment { .. })),
        "{problems:?}"
    );
}

#[test]
fn attack_13_a_rewritten_history_with_fresh_unsigned_checkpoints_has_no_trusted_signature() {
    let f = fixture();
    let target = event_before_held(&f);
    rewrite_last_segment(&f.dir, None, |records| {
        let i = records.iter().position(|r| r.seq == target.seq).unwrap();
        let at = actor_offset(&records[i].body);
        records[i].body[at] ^= 0x01;
    });
    assert!(f.log_problems().is_empty());
    let with_key = f.trusted(false);
    assert_eq!(with_key.signed_checkpoints, 0, "{with_key:?}");
    assert!(with_key.anchored_size < target.seq);
    assert_eq!(with_key.outcome, TrustedOutcome::Unverifiable);
    assert_tampered_naming(&f.trusted(true), target.seq);
}

#[test]
fn attack_14_checkpoints_signed_by_an_attacker_key_of_the_same_name_are_ignored() {
    let f = fixture();
    let target = event_before_held(&f);
    let attacker = SigningKey::from_seed(f.key.name(), [7; 32]).unwrap();
    assert_ne!(attacker.id(), f.key.id());
    rewrite_last_segment(&f.dir, Some(&attacker), |records| {
        let i = records.iter().position(|r| r.seq == target.seq).unwrap();
        let at = actor_offset(&records[i].body);
        records[i].body[at] ^= 0x01;
    });
    assert!(f.log_problems().is_empty());
    let with_key = f.trusted(false);
    assert_eq!(with_key.signed_checkpoints, 0, "{with_key:?}");
    assert_eq!(with_key.outcome, TrustedOutcome::Unverifiable);
}

#[test]
fn attack_15_another_stores_proof_is_refused_by_the_pinned_origin() {
    let f = fixture();
    let other = fixture();
    let store = Store::open(&other.dir, store_options()).unwrap();
    let proof = store.prove(2, Some(&other.held)).unwrap().encode();
    let mine = strata::note::origin_for_store(&store_id(&f.dir));
    let error =
        strata::audit::verify_proof(proof.as_bytes(), &other.vkeys(), &mine, false).unwrap_err();
    assert!(
        matches!(error, strata::audit::AuditError::WrongOrigin { .. }),
        "{error}"
    );
}

#[test]
fn attack_16_an_insider_with_the_key_who_rewrites_history_fails_consistency_with_the_held_checkpoint(
) {
    let f = fixture();
    let target = event_before_held(&f);
    // The insider rewrites an event the held checkpoint covers and re-signs every head.
    rewrite_last_segment(&f.dir, Some(&f.key), |records| {
        let i = records.iter().position(|r| r.seq == target.seq).unwrap();
        let at = actor_offset(&records[i].body);
        records[i].body[at] ^= 0x01;
    });
    assert!(f.log_problems().is_empty());
    // Locally everything is consistent and signed...
    let local = f.trusted(false);
    assert_eq!(local.outcome, TrustedOutcome::Healthy, "{local:?}");
    // ...but the held checkpoint tells, and no consistency proof links it to the new head.
    assert_tampered_naming(&f.trusted(true), target.seq);
    let store = Store::open(&f.dir, store_options()).unwrap();
    assert!(store.consistency(&f.held, None).is_err());
    let tree = store.audit_tree().unwrap();
    let newest = tree.checkpoints.last().unwrap().checkpoint.clone();
    let forged = strata::note::ConsistencyFile {
        old: f.held.size,
        proof: tree
            .tree
            .consistency_proof(f.held.size, newest.size)
            .unwrap(),
        checkpoint: newest,
    };
    let error = strata::audit::verify_consistency(
        f.held.encode().as_bytes(),
        forged.encode().as_bytes(),
        &f.vkeys(),
        &f.held.origin,
        false,
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&f.held.encode()),
        "the evidence holds the checkpoint held: {text}"
    );
}

#[test]
fn attack_17_a_forged_event_after_the_last_checkpoint_is_an_unanchored_tail() {
    let f = fixture();
    let before = f.trusted(true);
    let mut records = all_records(&f.dir);
    let last = records.pop().unwrap();
    let forged = Rec {
        seq: last.seq + 1,
        offset: last.offset + encoded_len(last.body.len()) as u64,
        time: last.time,
        ..last.clone()
    };
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&last.segment)
        .unwrap();
    file.write_all_at(&encode(&forged), forged.offset).unwrap();
    drop(file);
    assert!(f.log_problems().is_empty());
    let after = f.trusted(true);
    assert_eq!(after.unanchored_tail, before.unanchored_tail + 1);
    assert_eq!(after.anchored_size, f.held.size);
}

/// Rewrites the snapshot at `path` as a forger who read FORMAT.md would: in its catalog,
/// dataset `name` (two versions) has version 1 active (its `active` field and its last
/// activation), the file's CRC fixed. Returns the forged catalog image (body from 48 on).
fn forge_version_1_active(path: &Path, name: &str) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    let (header, body) = SnapshotHeader::decode_file(&bytes).unwrap();
    let mut body = body.to_vec();
    // bincode: the name as a u64 length and its bytes, then `versions` (a u64 count, each
    // number u64, hash 32 bytes, created_seq u64, created_micros i64), then `active` u64,
    // then `activations` (a u64 count, each micros i64, seq u64, version u64).
    let needle = [&(name.len() as u64).to_le_bytes()[..], name.as_bytes()].concat();
    let at = body
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the dataset is in the catalog")
        + needle.len();
    let u64_at = |body: &[u8], i: usize| u64::from_le_bytes(body[i..i + 8].try_into().unwrap());
    assert_eq!(u64_at(&body, at), 2, "two versions");
    let active = at + 8 + 2 * 56;
    assert_eq!(u64_at(&body, active), 2, "version 2 is active");
    assert_eq!(u64_at(&body, active + 8), 2, "two activations");
    let last_activation_version = active + 8 + 8 + 24 + 16;
    assert_eq!(u64_at(&body, last_activation_version), 2);
    body[active..active + 8].copy_from_slice(&1u64.to_le_bytes());
    body[last_activation_version..last_activation_version + 8].copy_from_slice(&1u64.to_le_bytes());
    fs::write(path, header.encode_file(&body)).unwrap();
    body[48..].to_vec()
}

#[test]
fn attack_18_a_forged_snapshot_is_believed_by_no_reader_and_verify_names_it_as_tampering() {
    let f = fixture();
    let store = Store::open(&f.dir, store_options()).unwrap();
    store
        .save_upload(overwrite(
            "d0",
            &[("t.csv", b"id,name,score\n0,n0,1\n")],
            SchemaDriftPolicy::Warn,
        ))
        .unwrap();
    let snapshot = store.snapshot().unwrap();
    // A later signed checkpoint covers the snapshot's checkpoint record.
    let later = store.checkpoint(Some(&f.key)).unwrap();
    drop(store);
    let image = forge_version_1_active(&snapshot.path, "d0");

    // Every reader ignores it (the checkpoint record does not carry its digest) and replays.
    let store = Store::open(&f.dir, store_options()).unwrap();
    assert_eq!(store.get_active_version("d0").unwrap().version, 2);
    assert!(store.loaded_snapshot().is_none());
    let ignored = &store.ignored_snapshots()[0];
    assert_eq!(
        (ignored.kind, &ignored.path),
        (IgnoredKind::Forged, &snapshot.path)
    );
    assert!(
        ignored
            .reason
            .contains(&format!("checkpoint record at seq {}", snapshot.seq + 1)),
        "{}",
        ignored.reason
    );
    drop(store);
    // verify: tampering, naming the file; the log itself is intact.
    let report = check::run(&f.dir, CheckOptions::default(), |_| {}).unwrap();
    assert_eq!(report.outcome(), Outcome::Tampered, "{report:#?}");
    assert!(report.log.problems.is_empty());
    let named = format!("{}", snapshot.path.display());
    assert!(report
        .store_problems
        .iter()
        .any(|p| p.kind == StoreProblemKind::ForgedSnapshot && p.detail.contains(&named)));
    assert_eq!(f.trusted(true).outcome, TrustedOutcome::Healthy);

    // The forger who also gives the checkpoint record the forged digest (CRCs fixed) gets
    // the snapshot used, but has forged the log: the later checkpoint no longer matches it,
    // and the snapshot disagrees with a replay.
    rewrite_in_place(&f.dir, snapshot.seq + 1, |rec| {
        let mut body = CheckpointBody::decode(&rec.body).unwrap();
        body.catalog_digest = Some(strata::digest::Digest::of(&image).0);
        rec.body = body.encode();
    });
    let store = Store::open(&f.dir, store_options()).unwrap();
    assert_eq!(store.loaded_snapshot().map(|s| s.seq), Some(snapshot.seq));
    drop(store);
    let report = f.trusted(true);
    assert_tampered_naming(&report, snapshot.seq + 1);
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains(&format!("seq {}", later.seq))));
    let report = check::run(&f.dir, CheckOptions::default(), |_| {}).unwrap();
    assert_eq!(report.outcome(), Outcome::Tampered, "{report:#?}");
    assert!(report
        .store_problems
        .iter()
        .any(|p| p.kind == StoreProblemKind::SnapshotMismatch));
}

#[test]
fn attack_19_a_swapped_blob_is_found_by_a_deep_verify() {
    let f = fixture();
    let blobs = f.dir.join("blobs/sha256");
    let sub = fs::read_dir(&blobs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let blob = fs::read_dir(&sub).unwrap().next().unwrap().unwrap().path();
    fs::write(&blob, b"id,name,score\n9,forged,9\n").unwrap();
    let report =
        strata::check::run(&f.dir, strata::check::CheckOptions { deep: true }, |_| {}).unwrap();
    assert!(!report.blob_problems.is_empty());
    assert!(report.blob_problems.iter().any(|b| b.path == blob));
}

#[test]
fn attack_20_a_torn_final_write_after_the_last_checkpoint_is_cut_and_nothing_checkpointed_is_lost()
{
    let f = fixture();
    let records = all_records(&f.dir);
    let last = records.last().unwrap();
    let torn = Rec {
        seq: last.seq + 1,
        offset: last.offset + encoded_len(last.body.len()) as u64,
        ..last.clone()
    };
    let bytes = encode(&torn);
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&last.segment)
        .unwrap();
    file.write_all_at(&bytes[..bytes.len() / 2], torn.offset)
        .unwrap();
    drop(file);
    let log = Log::open(&f.dir, LogOptions::default()).unwrap();
    assert!(log.torn_tail().is_some());
    assert_eq!(log.last_seq(), last.seq);
    drop(log);
    let store = Store::open(&f.dir, store_options()).unwrap();
    store
        .save_upload(upload("after-tear", &[("t.csv", SMALL)]))
        .unwrap();
    drop(store);
    assert!(f.log_problems().is_empty());
    let report = f.trusted(true);
    assert_eq!(report.outcome, TrustedOutcome::Healthy, "{report:?}");
}

#[test]
fn damage_to_a_checkpointed_record_at_the_tail_is_corruption_not_a_torn_tail() {
    // A record covered by a checkpoint has that checkpoint after it: a valid record after
    // the damage, so crash recovery never cuts it.
    let f = fixture();
    let target = event_before_held(&f);
    // Without the durable mark (a power loss may lose it), only what follows tells.
    let lock = f.dir.join("log/LOCK");
    let generation = fs::read(&lock).unwrap()[..8].to_vec();
    fs::write(&lock, generation).unwrap();
    flip_byte_of_body(&target, 3);
    let error = Log::open(&f.dir, LogOptions::default()).unwrap_err();
    assert_eq!(error.kind(), strata::ErrorKind::Corrupt, "{error}");
    assert_eq!(error.position().unwrap().seq, target.seq);
}

#[test]
fn a_proof_of_every_event_verifies_against_the_held_checkpoint_and_decodes_the_event() {
    let f = fixture();
    let store = Store::open(&f.dir, store_options()).unwrap();
    for rec in all_records(&f.dir)
        .into_iter()
        .filter(|r| r.seq <= f.held.size)
    {
        let proof = store.prove(rec.seq, Some(&f.held)).unwrap();
        assert!(proof.proof.len() <= 64);
        let verified = strata::audit::verify_proof(
            proof.encode().as_bytes(),
            &f.vkeys(),
            &f.held.origin,
            false,
        )
        .unwrap();
        assert_eq!(
            (verified.seq, verified.record_type),
            (rec.seq, rec.record_type)
        );
        assert_eq!(verified.commitment, rec.body);
        assert!(verified.signed_by.is_some());
    }
}

#[test]
fn every_single_byte_change_of_a_proof_file_is_rejected() {
    let f = fixture();
    let store = Store::open(&f.dir, store_options()).unwrap();
    let original = store.prove(3, Some(&f.held)).unwrap().encode().into_bytes();
    let (vkeys, origin) = (f.vkeys(), f.held.origin.clone());
    strata::audit::verify_proof(&original, &vkeys, &origin, false).unwrap();
    let parsed = strata::note::ProofFile::parse(&original).unwrap();
    for i in 0..original.len() {
        for delta in [0x01u8, 0x20, 0x80] {
            let mut mutated = original.clone();
            mutated[i] ^= delta;
            let accepted = strata::audit::verify_proof(&mutated, &vkeys, &origin, false).is_ok();
            let same = strata::note::ProofFile::parse(&mutated).ok() == Some(parsed.clone());
            assert!(!accepted || same, "byte {i} ^ {delta:#04x} was accepted");
        }
    }
    for cut in 0..original.len() {
        assert!(strata::audit::verify_proof(&original[..cut], &vkeys, &origin, false).is_err());
    }
}

#[test]
fn every_single_byte_change_of_a_consistency_file_is_rejected() {
    let f = fixture();
    let store = Store::open(&f.dir, store_options()).unwrap();
    // A held checkpoint in the middle of the log, and a proof to the newest.
    let old = store.audit_tree().unwrap().checkpoints[1]
        .checkpoint
        .clone();
    let original = store
        .consistency(&old, Some(&f.held))
        .unwrap()
        .encode()
        .into_bytes();
    let old_bytes = old.encode().into_bytes();
    let (vkeys, origin) = (f.vkeys(), f.held.origin.clone());
    let verify = |bytes: &[u8]| {
        strata::audit::verify_consistency(&old_bytes, bytes, &vkeys, &origin, false).is_ok()
    };
    // That old checkpoint is an automatic one, unsigned: with a key pinned it is not
    // trusted. The auditor's copy is the same checkpoint signed with the store's key.
    let signed_old = {
        let mut c = old.clone();
        c.note.sign(&f.key);
        c
    };
    let signed_old_bytes = signed_old.encode().into_bytes();
    let verify_signed = |bytes: &[u8]| {
        strata::audit::verify_consistency(&signed_old_bytes, bytes, &vkeys, &origin, false).is_ok()
    };
    assert!(
        !verify(&original),
        "an unsigned old checkpoint is not trusted with a key pinned"
    );
    assert!(verify_signed(&original));
    let parsed = strata::note::ConsistencyFile::parse(&original).unwrap();
    for i in 0..original.len() {
        for delta in [0x01u8, 0x20, 0x80] {
            let mut mutated = original.clone();
            mutated[i] ^= delta;
            let same = strata::note::ConsistencyFile::parse(&mutated).ok() == Some(parsed.clone());
            assert!(
                !verify_signed(&mutated) || same,
                "byte {i} ^ {delta:#04x} was accepted"
            );
        }
    }
}

#[test]
fn a_signing_key_inside_the_store_folder_is_refused() {
    let f = fixture();
    let io = strata::io::Io::os();
    let inside = f.dir.join("log").join("key");
    let error = strata::audit::write_signing_key(&io, &inside, &f.key, &f.dir).unwrap_err();
    assert!(
        error.to_string().contains("inside the store folder"),
        "{error}"
    );
    let outside = f.dir.parent().unwrap().join("signing.key");
    strata::audit::write_signing_key(&io, &outside, &f.key, &f.dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&outside).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let read = strata::audit::read_signing_key(&io, &outside, &f.dir).unwrap();
    assert_eq!(read.verifier(), f.key.verifier());
}

#[test]
fn an_audit_export_verifies_offline_and_a_dropped_or_foreign_event_is_refused() {
    let f = fixture();
    let store = Store::open(&f.dir, store_options()).unwrap();
    let export = store
        .audit_export("d1", Some(&f.held), Some(&f.key.verifier()))
        .unwrap();
    let bytes = serde_json::to_vec(&export).unwrap();
    let verified = strata::audit::verify_export(&bytes, &f.vkeys(), &f.held.origin, false).unwrap();
    assert_eq!(verified.len(), export.events.len());
    // An event of another dataset slipped in.
    let mut foreign = export.clone();
    let other = store.audit_export("d2", Some(&f.held), None).unwrap();
    foreign.events.push(other.events[0].clone());
    foreign.events.sort_by_key(|e| e.seq);
    let bytes = serde_json::to_vec(&foreign).unwrap();
    assert!(strata::audit::verify_export(&bytes, &f.vkeys(), &f.held.origin, false).is_err());
}
