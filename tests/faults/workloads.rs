//! The workloads of the crash and fault tests, and what their acknowledgements promise.
//!
//! A workload runs against a store through a [`FaultBackend`], and after every call that
//! returns it notes an [`Ack`]: how many operations had been recorded, and the state the
//! store then showed. A crash after any operation must leave the state of the last call that
//! returned before it, or of the call in flight.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use strata::io::fault::{read_tree, write_tree, CrashTree, FaultBackend};
use strata::log::{Durability, LogOptions, OpenVerify};
use strata::schema::SchemaDriftPolicy;
use strata::store::{snapshot, SnapshotPolicy};
use strata::{Error, Result, Store, StoreOptions, UploadFile, UploadRequest};

/// What a store shows: per dataset its versions `(number, hash)` and its active version, and
/// the number of dataset events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub datasets: BTreeMap<String, (Vec<(u64, String)>, u64)>,
    pub events: u64,
}

impl Summary {
    pub fn of(store: &Store) -> Summary {
        let catalog = store.catalog();
        let datasets = catalog
            .datasets()
            .map(|ds| {
                let versions = ds
                    .versions
                    .iter()
                    .map(|v| (v.number, v.hash.hex()))
                    .collect();
                (ds.name.clone(), (versions, ds.active))
            })
            .collect();
        Summary {
            datasets,
            events: catalog.events,
        }
    }
}

/// The state a call left, as acknowledged to its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// There is no store yet.
    Absent,
    /// The log is corrupt (before a repair).
    Corrupt,
    /// The store opens and shows this.
    Open(Summary),
}

/// A call that returned: how many operations were recorded by then, and what it left.
#[derive(Debug, Clone)]
pub struct Ack {
    pub ops: usize,
    pub shown: Shown,
    /// The newest snapshot file's sequence number then.
    pub snapshot: Option<u64>,
}

/// A workload being run.
pub struct Run {
    pub backend: FaultBackend,
    pub dir: PathBuf,
    pub acks: Vec<Ack>,
    /// Every post-commit warning the calls returned.
    pub warnings: Vec<String>,
    /// Every other warning they returned (drift, duplicates, housekeeping).
    pub notices: Vec<String>,
    pub tweak: fn(&mut StoreOptions),
}

impl Run {
    /// Store options doing IO through the backend.
    pub fn options(&self) -> StoreOptions {
        let mut options = options_with(self.backend.io());
        (self.tweak)(&mut options);
        options
    }

    /// Notes what the store shows now that a call returned.
    pub fn ack(&mut self, store: &Store) {
        self.ack_shown(Shown::Open(Summary::of(store)));
    }

    pub fn ack_shown(&mut self, shown: Shown) {
        self.acks.push(Ack {
            ops: self.backend.op_count(),
            shown,
            snapshot: newest_snapshot(&self.dir),
        });
    }

    /// Notes a call that returned with these warnings and post-commit warnings.
    pub fn done(&mut self, store: &Store, warnings: &[String], post_commit_warnings: &[String]) {
        self.notices.extend_from_slice(warnings);
        self.warnings.extend_from_slice(post_commit_warnings);
        self.ack(store);
    }

    pub fn open(&self) -> Result<Store> {
        Store::open(&self.dir, self.options())
    }
}

/// Store options for the workloads: small preallocation (small crash images), no automatic
/// snapshots and no invariant check after writes unless a workload asks.
pub fn options_with(io: strata::io::Io) -> StoreOptions {
    StoreOptions {
        log: LogOptions {
            io,
            preallocate: 4096,
            verify: OpenVerify::Tail,
            ..LogOptions::default()
        },
        check_invariants: false,
        snapshots: SnapshotPolicy {
            automatic: false,
            ..SnapshotPolicy::default()
        },
        ..StoreOptions::default()
    }
}

pub fn newest_snapshot(dir: &Path) -> Option<u64> {
    snapshot::list(dir).ok()?.first().map(|s| s.seq)
}

pub fn files(tables: &[(&str, &str)]) -> Vec<UploadFile> {
    tables
        .iter()
        .map(|(name, body)| UploadFile::from_bytes(*name, body.as_bytes().to_vec()))
        .collect()
}

pub fn upload(dataset: &str, tables: &[(&str, &str)]) -> UploadRequest {
    UploadRequest {
        // The reason an upload needs when it makes an earlier version active again.
        note: "a workload's upload".into(),
        ..UploadRequest::new(dataset, files(tables), "tester")
    }
}

/// An overwrite of `dataset`, which creates it if no dataset has the name (after a repair
/// cut its first upload, the next write still succeeds).
pub fn overwrite(dataset: &str, tables: &[(&str, &str)]) -> UploadRequest {
    UploadRequest {
        overwrite: true,
        create: true,
        drift_policy: Some(SchemaDriftPolicy::Allow),
        ..upload(dataset, tables)
    }
}

pub const VISITS_1: &str = "patient,visit,score\nP1,2024-01-05,3.5\nP2,2024-01-06,4.0\n";
pub const VISITS_2: &str = "patient,visit,score\nP1,2024-01-05,3.5\nP3,2024-02-01,2.0\n";
pub const VISITS_BREAKING: &str = "patient,visit,score\nP1,2024-01-05,high\n";
pub const SITES_1: &str = "site,city\nS1,Oslo\n";
pub const SITES_2: &str = "site,city\nS1,Oslo\nS2,Bergen\n";

/// A workload: how its store is set up (on the real file system, then counted durable), and
/// what it does through the backend.
pub struct Workload {
    pub name: &'static str,
    pub setup: fn(&Path),
    pub run: fn(&mut Run) -> Result<()>,
    pub tweak: fn(&mut StoreOptions),
}

fn no_tweak(_: &mut StoreOptions) {}

fn setup_nothing(_: &Path) {}

fn setup_one_version(dir: &Path) {
    let store = Store::create(dir, options_with(Default::default())).unwrap();
    store
        .save_upload(upload(
            "trial",
            &[("visits.csv", VISITS_1), ("sites.csv", SITES_1)],
        ))
        .unwrap();
}

fn setup_two_versions(dir: &Path) {
    setup_one_version(dir);
    let store = Store::open(dir, options_with(Default::default())).unwrap();
    store
        .save_upload(overwrite(
            "trial",
            &[("visits.csv", VISITS_2), ("sites.csv", SITES_2)],
        ))
        .unwrap();
}

/// One version, then an upload whose event is torn: the second half of its record zeroed.
/// That upload is not synced, so its record lies beyond the durable mark: damage there is a
/// torn write (damage before the mark would be corruption of an acknowledged record).
fn setup_torn_tail(dir: &Path) {
    setup_one_version(dir);
    let mut options = options_with(Default::default());
    options.log.durability = Durability::Buffered;
    let store = Store::open(dir, options).unwrap();
    let outcome = store
        .save_upload(overwrite("trial", &[("visits.csv", VISITS_2)]))
        .unwrap();
    let record = store.log().read(outcome.seq.unwrap()).unwrap();
    let segment = store.log().segments().last().unwrap().path.clone();
    drop(store);
    let mut bytes = std::fs::read(&segment).unwrap();
    let end = record.offset as usize + 32 + record.body.len();
    let middle = record.offset as usize + 32 + record.body.len() / 2;
    bytes[middle..end].fill(0);
    std::fs::write(&segment, bytes).unwrap();
}

/// Three versions, then a flipped byte inside the second upload's event: corruption, with a
/// valid record after it.
fn setup_corrupt(dir: &Path) {
    setup_two_versions(dir);
    let store = Store::open(dir, options_with(Default::default())).unwrap();
    store
        .save_upload(overwrite("trial", &[("visits.csv", VISITS_1)]))
        .unwrap();
    let record = store.log().read(2).unwrap();
    let segment = store.log().segments()[0].path.clone();
    drop(store);
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[record.offset as usize + 40] ^= 0x5a;
    std::fs::write(&segment, bytes).unwrap();
}

fn run_first_upload(run: &mut Run) -> Result<()> {
    run.ack_shown(Shown::Absent);
    let store = Store::create(&run.dir, run.options())?;
    run.ack(&store);
    let tables = [("visits.csv", VISITS_1), ("sites.csv", SITES_1)];
    let outcome = store.save_upload(upload("trial", &tables))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

fn run_overwrite_two_tables(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let tables = [("visits.csv", VISITS_2), ("sites.csv", SITES_2)];
    let outcome = store.save_upload(overwrite("trial", &tables))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

fn run_identical_reupload(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let tables = [("visits.csv", VISITS_1), ("sites.csv", SITES_1)];
    let same = store.save_upload(overwrite("trial", &tables))?;
    assert_eq!(same.seq, None, "identical content records nothing");
    run.done(&store, &same.warnings, &same.post_commit_warnings);
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_2)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    let again = store.save_upload(overwrite("trial", &tables))?;
    assert_eq!(again.version, 1, "re-activated");
    run.done(&store, &again.warnings, &again.post_commit_warnings);
    Ok(())
}

fn run_refused_overwrite(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let refused = UploadRequest {
        drift_policy: Some(SchemaDriftPolicy::Reject),
        ..overwrite("trial", &[("visits.csv", VISITS_BREAKING)])
    };
    match store.save_upload(refused) {
        Err(Error::DriftRefused {
            post_commit_warnings,
            ..
        }) => run.done(&store, &[], &post_commit_warnings),
        Err(other) => return Err(other),
        Ok(outcome) => panic!("breaking drift was accepted: {outcome:?}"),
    }
    Ok(())
}

fn run_rollback(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let outcome = store.rollback_to_version("trial", "1", "tester", "bad export")?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

fn small_segments(options: &mut StoreOptions) {
    options.log.segment_size = 1024;
}

fn run_segment_roll(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    for body in [VISITS_2, VISITS_1, SITES_2] {
        let outcome = store.save_upload(overwrite("trial", &[("visits.csv", body)]))?;
        run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    }
    let segments = store.log().segments().len();
    assert!(segments >= 3, "the log rolled: {segments} segments");
    Ok(())
}

fn keep_one_snapshot(options: &mut StoreOptions) {
    options.snapshots.keep = 1;
}

fn run_checkpoint(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let key = strata::note::SigningKey::from_seed(
        &strata::note::origin_for_store(&store.log().store_id()),
        [7; 32],
    )
    .expect("a seed makes a key");
    let outcome = store.checkpoint(Some(&key))?;
    run.done(&store, &[], &outcome.post_commit_warnings);
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_2)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

/// A proof writes the `log/tree/` sidecar's tiles (not synced): a crash may leave them
/// missing, short or stale.
fn run_proof_with_tiles(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let outcome = store.checkpoint(None)?;
    run.done(&store, &[], &outcome.post_commit_warnings);
    let (_, report) = store.prove_reported(1, None)?;
    run.notices.extend(report.warnings);
    run.ack(&store);
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_2)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    let outcome = store.checkpoint(None)?;
    run.done(&store, &[], &outcome.post_commit_warnings);
    let (_, report) = store.prove_reported(2, None)?;
    run.notices.extend(report.warnings);
    run.ack(&store);
    Ok(())
}

fn run_snapshot(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    // A snapshot commits a checkpoint record first: its post-commit failures are reported.
    let taken = store.take_snapshot()?;
    run.done(&store, &[], &taken.post_commit_warnings);
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_2)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    let taken = store.take_snapshot()?;
    run.done(&store, &[], &taken.post_commit_warnings);
    Ok(())
}

fn snapshot_every_record(options: &mut StoreOptions) {
    options.snapshots = SnapshotPolicy {
        automatic: true,
        every_records: 1,
        keep: 1,
        ..SnapshotPolicy::default()
    };
}

fn run_auto_snapshot(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    for body in [VISITS_2, VISITS_1] {
        let outcome = store.save_upload(overwrite("trial", &[("visits.csv", body)]))?;
        run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    }
    Ok(())
}

fn run_torn_tail_cut(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    assert!(store.log().torn_tail().is_some(), "the setup tore the tail");
    run.ack(&store);
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_BREAKING)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

/// Repairs the setup's damaged log and opens the store; returns it and the repair record's
/// sequence number.
fn repair_and_open(run: &mut Run) -> Result<(Store, u64)> {
    run.ack_shown(Shown::Corrupt);
    let options = run.options();
    let report = strata::log::repair(&run.dir, options.log.clone())?;
    let strata::log::RepairReport::Repaired {
        repair_seq,
        post_commit_warnings,
        ..
    } = report
    else {
        panic!("the setup damaged the log, so repair cuts it: {report:?}");
    };
    let store = run.open()?;
    run.done(&store, &[], &post_commit_warnings);
    Ok((store, repair_seq))
}

fn run_repair(run: &mut Run) -> Result<()> {
    let (store, _) = repair_and_open(run)?;
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_BREAKING)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

/// Repair, then append again what it cut: the events after the damaged record come back,
/// each in the one commit of the re-append (a crash before it leaves the repaired log as it
/// was, after it the events appended again).
fn run_repair_and_reappend(run: &mut Run) -> Result<()> {
    let (store, repair_seq) = repair_and_open(run)?;
    let salvage = store.reappend_salvaged(repair_seq)?;
    assert!(
        !salvage.reappended.is_empty(),
        "the setup's later events come back: {salvage:?}"
    );
    run.done(&store, &[], &salvage.post_commit_warnings);
    Ok(())
}

/// Tables of at most 32 bytes inside the log: `SITES_1` and `SITES_2` are, the visits tables
/// are blob files.
fn small_inline_threshold(options: &mut StoreOptions) {
    options.inline_table_max = 32;
}

/// A new dataset whose upload stores one table inside the log and one as a blob file, then an
/// overwrite that does the same with new content, then one whose visits are new and whose
/// sites are the first version's (stored once: nothing new for them).
fn run_mixed_inline_and_file(run: &mut Run) -> Result<()> {
    assert!(SITES_2.len() <= 32 && VISITS_1.len() > 32);
    run.ack_shown(Shown::Absent);
    let store = Store::create(&run.dir, run.options())?;
    run.ack(&store);
    let outcome = store.save_upload(upload(
        "trial",
        &[("visits.csv", VISITS_1), ("sites.csv", SITES_1)],
    ))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    let outcome = store.save_upload(overwrite(
        "trial",
        &[("visits.csv", VISITS_2), ("sites.csv", SITES_2)],
    ))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    let outcome = store.save_upload(overwrite(
        "trial",
        &[("visits.csv", VISITS_BREAKING), ("sites.csv", SITES_1)],
    ))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

fn run_two_writers(run: &mut Run) -> Result<()> {
    let a = run.open()?;
    let b = run.open()?;
    run.ack(&a);
    let outcome = a.save_upload(upload("one", &[("t.csv", SITES_1)]))?;
    run.done(&a, &outcome.warnings, &outcome.post_commit_warnings);
    let outcome = b.save_upload(upload("two", &[("t.csv", SITES_2)]))?;
    run.done(&b, &outcome.warnings, &outcome.post_commit_warnings);
    let outcome = a.save_upload(overwrite("two", &[("t.csv", VISITS_1)]))?;
    run.done(&a, &outcome.warnings, &outcome.post_commit_warnings);
    let outcome = b.rollback_to_version("two", "1", "tester", "a test rollback")?;
    run.done(&b, &outcome.warnings, &outcome.post_commit_warnings);
    a.refresh()?;
    assert_eq!(Summary::of(&a), Summary::of(&b));
    Ok(())
}

/// A recorded query run (`strata query --record`'s write: a `query_run` record, which changes
/// no dataset), then an upload after it.
fn run_query_run(run: &mut Run) -> Result<()> {
    let store = run.open()?;
    run.ack(&store);
    let active = store.get_active_version("trial")?;
    let versions = vec![strata::store::QueryRunVersion {
        dataset_id: active.dataset_id,
        dataset_name: "trial".into(),
        version: active.version,
        hash: active.hash,
    }];
    let result = strata::digest::Digest::of(b"n\n2\n");
    let query = strata::store::QueryRun::new(
        "tester",
        "figure 2",
        "SELECT count(*) AS n FROM visits",
        versions,
        1,
        result,
    );
    let recorded = store.record_query_run(&query)?;
    run.done(&store, &[], &recorded.post_commit_warnings);
    let outcome = store.save_upload(overwrite("trial", &[("visits.csv", VISITS_2)]))?;
    run.done(&store, &outcome.warnings, &outcome.post_commit_warnings);
    Ok(())
}

/// Every workload of the crash and fault tests.
pub fn all() -> Vec<Workload> {
    let w = |name, setup, run, tweak| Workload {
        name,
        setup,
        run,
        tweak,
    };
    vec![
        w("first upload", setup_nothing, run_first_upload, no_tweak),
        w(
            "overwrite with two tables",
            setup_one_version,
            run_overwrite_two_tables,
            no_tweak,
        ),
        w(
            "identical re-upload",
            setup_one_version,
            run_identical_reupload,
            no_tweak,
        ),
        w(
            "refused overwrite",
            setup_one_version,
            run_refused_overwrite,
            no_tweak,
        ),
        w("rollback", setup_two_versions, run_rollback, no_tweak),
        w(
            "segment roll",
            setup_one_version,
            run_segment_roll,
            small_segments,
        ),
        w(
            "snapshot",
            setup_one_version,
            run_snapshot,
            keep_one_snapshot,
        ),
        w(
            "automatic snapshot",
            setup_one_version,
            run_auto_snapshot,
            snapshot_every_record,
        ),
        w(
            "torn-tail cut",
            setup_torn_tail,
            run_torn_tail_cut,
            no_tweak,
        ),
        w("repair", setup_corrupt, run_repair, no_tweak),
        w(
            "repair and re-append",
            setup_corrupt,
            run_repair_and_reappend,
            no_tweak,
        ),
        w("two writers", setup_one_version, run_two_writers, no_tweak),
        w(
            "signed checkpoint",
            setup_one_version,
            run_checkpoint,
            no_tweak,
        ),
        w(
            "recorded query run",
            setup_one_version,
            run_query_run,
            no_tweak,
        ),
        w(
            "proof with tiles",
            setup_one_version,
            run_proof_with_tiles,
            no_tweak,
        ),
        w(
            "mixed inline and file upload",
            setup_nothing,
            run_mixed_inline_and_file,
            small_inline_threshold,
        ),
    ]
}

/// A workload's setup, done once on the real file system and copied for every run.
pub fn template(workload: &Workload) -> (tempfile::TempDir, CrashTree) {
    let dir = tempfile::tempdir().unwrap();
    (workload.setup)(dir.path());
    let tree = read_tree(dir.path()).unwrap();
    (dir, tree)
}

/// A fresh copy of a workload's setup in a new folder, with a fresh backend that counts it
/// durable, ready to run the workload.
pub fn start(workload: &Workload, template: &CrashTree) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    std::fs::create_dir(&store_dir).unwrap();
    write_tree(template, &store_dir).unwrap();
    let backend = FaultBackend::new(&store_dir);
    let run = Run {
        backend,
        dir: store_dir,
        acks: Vec::new(),
        warnings: Vec::new(),
        notices: Vec::new(),
        tweak: workload.tweak,
    };
    (dir, run)
}
