//! The whole-store check behind `strata verify`: every byte of the log, the store's
//! invariants, the snapshots and (deep) every blob, reported as a typed [`CheckReport`].
//!
//! The check never writes and works on a corrupt log: the log's problems are listed even
//! though the store cannot be opened (the invariants are then reported as not checked).
//! Progress is reported through a callback, so that any front end can draw it its own way.
//!
//! ```
//! use strata::check::{self, CheckOptions, Outcome};
//!
//! let dir = tempfile::tempdir()?;
//! strata::Store::create(dir.path(), strata::StoreOptions::default())?;
//! let report = check::run(dir.path(), CheckOptions { deep: true }, |_progress| {})?;
//! assert_eq!(report.outcome(), Outcome::Healthy);
//! assert_eq!(report.problem_count(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::Result;
use crate::log::VerifyReport;
use crate::store::snapshot::IgnoredKind;
use crate::store::{Digest, Leftovers, Store, StoreOptions};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What to check besides the log and the invariants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Read every blob of every version and check it against its hash (otherwise only that
    /// each exists).
    pub deep: bool,
}

/// The parts of a check, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Every segment, header, record, checksum and seal of the log.
    Log,
    /// Opening the store, its invariants and its snapshots.
    Store,
    /// Reading every blob (deep checks only).
    Blobs,
}

/// How far a check is, as reported to the callback of [`run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A phase starts; `total` is the number of steps when it is known.
    Started {
        /// The phase.
        phase: Phase,
        /// Its steps, if known (blob uses for [`Phase::Blobs`]).
        total: Option<u64>,
    },
    /// `done` steps of the phase are done.
    Advanced {
        /// The phase.
        phase: Phase,
        /// Steps done so far.
        done: u64,
    },
    /// A phase is over.
    Finished {
        /// The phase.
        phase: Phase,
    },
}

/// The verdict of a check.
///
/// Non-exhaustive: checks to come (of tampering, for example) may add outcomes such as a
/// store whose checksums hold but whose history was rewritten, or one that cannot be
/// verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// No problem was found (a torn tail is not a problem: it is cut before the next append).
    Healthy,
    /// Something is damaged: the log, an invariant, a snapshot or a blob.
    Corrupt,
    /// Something whose checksums hold was changed: a snapshot whose catalog is not the one
    /// the log's checkpoint record vouches for (forged), or one the log vouches for that
    /// disagrees with a replay (so the checkpoint record was forged with it).
    Tampered,
}

/// What kind of store-level problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreProblemKind {
    /// The store cannot be opened although the log check found nothing.
    Unopenable,
    /// The catalog broke an invariant (or a version's blob is missing).
    Invariant,
    /// A snapshot was ignored when the store was opened (damaged, foreign, stale...).
    IgnoredSnapshot,
    /// A snapshot was ignored because its CRCs hold but the checkpoint record it names does
    /// not carry its catalog's digest: it was forged or changed after it was taken.
    ForgedSnapshot,
    /// The newest usable snapshot disagrees with a replay of the log (its digest is the
    /// log's, so the checkpoint record that vouches for it was forged too).
    SnapshotMismatch,
    /// The snapshot could not be compared with the log.
    SnapshotUncheckable,
    /// The versions' tables could not be read from the log to check their blobs.
    TablesUnreadable,
}

/// A problem found above the log: in the store's invariants or its snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreProblem {
    /// What kind of problem.
    pub kind: StoreProblemKind,
    /// What is wrong, in a sentence.
    pub detail: String,
}

impl StoreProblem {
    /// Whether the problem is tampering (checksums hold, content was changed) rather than
    /// damage: a forged snapshot, or an anchored one that disagrees with the log.
    pub fn is_tampering(&self) -> bool {
        matches!(
            self.kind,
            StoreProblemKind::ForgedSnapshot | StoreProblemKind::SnapshotMismatch
        )
    }
}

/// Damaged or missing table bytes (a blob file, or a `table_bytes` record inside the log),
/// with one version and table that uses them (bytes used by several are reported once per
/// use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobProblem {
    /// The blob file, or the segment file holding the `table_bytes` record.
    pub path: PathBuf,
    /// The content hash it is stored under.
    pub hash: Digest,
    /// The dataset of the version that uses it.
    pub dataset: String,
    /// The version.
    pub version: u64,
    /// The table's display name.
    pub table: String,
    /// What is wrong.
    pub detail: String,
}

/// Everything a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The log check: counts, the torn tail, and every problem with its segment, offset and
    /// sequence number.
    pub log: VerifyReport,
    /// Problems with the invariants or the snapshots.
    pub store_problems: Vec<StoreProblem>,
    /// Whether the store could be opened so that its invariants were checked.
    pub invariants_checked: bool,
    /// Whether blobs were read (`CheckOptions::deep`).
    pub deep: bool,
    /// Distinct blobs read.
    pub blobs_checked: usize,
    /// Damaged or missing blobs, once per version and table that uses each.
    pub blob_problems: Vec<BlobProblem>,
    /// The sequence number of the snapshot compared with a replay of the log, if any.
    pub snapshot_checked: Option<u64>,
    /// The files nothing reads (orphan blobs, temporary files), if the store could be
    /// opened. Not problems: `strata gc` removes them.
    pub leftovers: Option<Leftovers>,
}

impl CheckReport {
    /// Problems of every kind (a torn tail is not one).
    pub fn problem_count(&self) -> usize {
        self.log.problems.len() + self.store_problems.len() + self.blob_problems.len()
    }

    /// Whether no problem was found.
    pub fn is_healthy(&self) -> bool {
        self.problem_count() == 0
    }

    /// The verdict: tampered if a snapshot was forged (whatever else is found), corrupt if
    /// anything else is wrong.
    pub fn outcome(&self) -> Outcome {
        if self.store_problems.iter().any(StoreProblem::is_tampering) {
            Outcome::Tampered
        } else if self.is_healthy() {
            Outcome::Healthy
        } else {
            Outcome::Corrupt
        }
    }

    /// Distinct damaged blobs.
    pub fn damaged_blob_count(&self) -> usize {
        self.blob_problems
            .iter()
            .map(|b| b.hash)
            .collect::<HashSet<_>>()
            .len()
    }
}

/// Checks the store in `store_dir`: the log ([`crate::log::verify`]), then (if the store
/// can be opened) its invariants, its snapshots and the files nothing reads, then with
/// `deep` every blob. Never writes.
/// Fails only if there is no log or it cannot be listed; damage is in the report.
pub fn run(
    store_dir: impl AsRef<Path>,
    options: CheckOptions,
    mut progress: impl FnMut(Progress),
) -> Result<CheckReport> {
    let store_dir = store_dir.as_ref();
    progress(Progress::Started {
        phase: Phase::Log,
        total: None,
    });
    let log = crate::log::verify(store_dir)?;
    progress(Progress::Finished { phase: Phase::Log });
    let mut report = CheckReport {
        log,
        store_problems: Vec::new(),
        invariants_checked: false,
        deep: options.deep,
        blobs_checked: 0,
        blob_problems: Vec::new(),
        snapshot_checked: None,
        leftovers: None,
    };
    progress(Progress::Started {
        phase: Phase::Store,
        total: None,
    });
    let store = open(store_dir, &mut report);
    progress(Progress::Finished {
        phase: Phase::Store,
    });
    if let (Some(store), true) = (store, options.deep) {
        check_blobs(&store, &mut report, &mut progress);
    }
    Ok(report)
}

/// Opens the store and checks its invariants and snapshots; `None` if it cannot be opened.
fn open(store_dir: &Path, report: &mut CheckReport) -> Option<Store> {
    let store = match Store::open(store_dir, StoreOptions::default()) {
        Ok(store) => store,
        Err(e) => {
            // A corrupt log is already listed by the log check.
            if report.log.problems.is_empty() {
                report.store_problems.push(StoreProblem {
                    kind: StoreProblemKind::Unopenable,
                    detail: format!("the store cannot be opened: {e}"),
                });
            }
            return None;
        }
    };
    report.invariants_checked = true;
    if let Err(e) = store.assert_invariants(false) {
        report.store_problems.push(StoreProblem {
            kind: StoreProblemKind::Invariant,
            detail: e.to_string(),
        });
    }
    check_snapshots(&store, report);
    match store.leftovers() {
        Ok(leftovers) => report.leftovers = Some(leftovers),
        Err(e) => report.store_problems.push(StoreProblem {
            kind: StoreProblemKind::TablesUnreadable,
            detail: e.to_string(),
        }),
    }
    Some(store)
}

/// Snapshots ignored on open are problems; the newest usable one must equal the catalog
/// rebuilt from the log alone.
fn check_snapshots(store: &Store, report: &mut CheckReport) {
    let problem = |kind, detail| StoreProblem { kind, detail };
    // A format-1 snapshot is ignored by design (nothing in the log vouches for it): not a
    // problem. A forged one is tampering; any other ignored one is damage or staleness.
    report
        .store_problems
        .extend(store.ignored_snapshots().iter().filter_map(|i| {
            let kind = match i.kind {
                IgnoredKind::FormatOne => return None,
                IgnoredKind::Forged => StoreProblemKind::ForgedSnapshot,
                _ => StoreProblemKind::IgnoredSnapshot,
            };
            Some(problem(kind, i.warning()))
        }));
    match store.check_snapshot() {
        Ok(Some((info, differences))) => {
            report.snapshot_checked = Some(info.seq);
            report
                .store_problems
                .extend(differences.into_iter().map(|d| {
                    let detail = format!(
                        "snapshot {} disagrees with the log: {d}",
                        info.path.display()
                    );
                    problem(StoreProblemKind::SnapshotMismatch, detail)
                }));
        }
        Ok(None) => {}
        Err(e) => report.store_problems.push(problem(
            StoreProblemKind::SnapshotUncheckable,
            format!("the snapshot could not be checked: {e}"),
        )),
    }
}

/// Reads the bytes of every table content once, from its blob file or its `table_bytes`
/// record, and reports each version and table that uses damaged ones.
fn check_blobs(store: &Store, report: &mut CheckReport, progress: &mut impl FnMut(Progress)) {
    let uses = match store.all_tables() {
        Ok(tables) => tables,
        Err(e) => {
            report.store_problems.push(StoreProblem {
                kind: StoreProblemKind::TablesUnreadable,
                detail: e.to_string(),
            });
            return;
        }
    };
    progress(Progress::Started {
        phase: Phase::Blobs,
        total: Some(uses.len() as u64),
    });
    let mut results: HashMap<Digest, Option<String>> = HashMap::new();
    for (done, (dataset, version, table)) in uses.into_iter().enumerate() {
        let hash = table.content_hash;
        let result = results
            .entry(hash)
            .or_insert_with(|| store.verify_table_bytes(&hash).err().map(|e| e.to_string()));
        if let Some(detail) = result {
            report.blob_problems.push(BlobProblem {
                path: store.table_bytes_path(&hash),
                hash,
                dataset,
                version,
                table: table.name,
                detail: detail.clone(),
            });
        }
        progress(Progress::Advanced {
            phase: Phase::Blobs,
            done: done as u64 + 1,
        });
    }
    progress(Progress::Finished {
        phase: Phase::Blobs,
    });
    report.blobs_checked = results.len();
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "the tests damage store files on purpose, beside the store's own IO"
)]
mod tests {
    use super::*;
    use crate::{UploadFile, UploadRequest};

    const TABLE: &[u8] = b"id,name\n1,ana\n2,bo\n";

    /// A store that keeps every table in a blob file (these tests damage blob files).
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            inline_table_max: 0,
            ..StoreOptions::default()
        };
        let store = Store::create(dir.path(), options).unwrap();
        (dir, store)
    }

    fn upload(store: &Store, dataset: &str, bytes: &[u8]) -> u64 {
        let file = UploadFile::from_bytes("t.csv", bytes.to_vec());
        let request = UploadRequest::new(dataset, vec![file], "ana");
        store.save_upload(request).unwrap().seq.unwrap()
    }

    fn flip_byte(path: &Path, at: u64) {
        let mut bytes = std::fs::read(path).unwrap();
        bytes[at as usize] ^= 0xff;
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn a_healthy_store_is_healthy_and_progress_goes_through_every_phase_in_order() {
        let (dir, store) = store();
        upload(&store, "d", TABLE);
        let mut seen = Vec::new();
        let report = run(dir.path(), CheckOptions { deep: true }, |p| seen.push(p)).unwrap();
        assert_eq!(report.outcome(), Outcome::Healthy);
        assert!(report.invariants_checked && report.deep);
        assert_eq!((report.blobs_checked, report.problem_count()), (1, 0));
        let started = |phase, total| Progress::Started { phase, total };
        let finished = |phase| Progress::Finished { phase };
        assert_eq!(
            seen,
            [
                started(Phase::Log, None),
                finished(Phase::Log),
                started(Phase::Store, None),
                finished(Phase::Store),
                started(Phase::Blobs, Some(1)),
                Progress::Advanced {
                    phase: Phase::Blobs,
                    done: 1
                },
                finished(Phase::Blobs),
            ]
        );
    }

    #[test]
    fn a_damaged_blob_is_reported_once_per_version_and_table_that_uses_it() {
        let (dir, store) = store();
        upload(&store, "first", TABLE);
        upload(&store, "second", TABLE);
        let hash = store.all_tables().unwrap()[0].2.content_hash;
        flip_byte(&store.blobs().path(&hash.0), 3);
        let shallow = run(dir.path(), CheckOptions::default(), |_| {}).unwrap();
        assert!(shallow.is_healthy(), "only the blob's presence is checked");
        let deep = run(dir.path(), CheckOptions { deep: true }, |_| {}).unwrap();
        assert_eq!(deep.outcome(), Outcome::Corrupt);
        assert_eq!((deep.blobs_checked, deep.damaged_blob_count()), (1, 1));
        let uses: Vec<_> = deep
            .blob_problems
            .iter()
            .map(|b| (b.dataset.as_str(), b.version, b.table.as_str(), b.hash))
            .collect();
        assert_eq!(uses, [("first", 1, "t", hash), ("second", 1, "t", hash)]);
        assert!(deep.blob_problems[0].detail.contains("is damaged"));
        assert_eq!(deep.problem_count(), 2);
    }

    #[test]
    fn a_corrupt_log_is_listed_and_the_invariants_are_reported_as_not_checked() {
        let (dir, store) = store();
        for name in ["a", "b", "c"] {
            upload(&store, name, TABLE);
        }
        let second = store.log().read(2).unwrap();
        let segment = store.log().segments()[0].path.clone();
        drop(store);
        flip_byte(&segment, second.offset + 40);
        let report = run(dir.path(), CheckOptions { deep: true }, |_| {}).unwrap();
        assert_eq!(report.outcome(), Outcome::Corrupt);
        let problem = &report.log.problems[..];
        assert_eq!(problem.len(), 1);
        assert_eq!(
            (problem[0].position.offset, problem[0].position.seq),
            (second.offset, 2)
        );
        assert!(!report.invariants_checked);
        assert!(report.store_problems.is_empty(), "listed once, by the log");
        assert_eq!(report.blobs_checked, 0);
    }

    #[test]
    fn a_snapshot_is_compared_with_the_log_and_an_ignored_one_is_a_store_problem() {
        let (dir, store) = store();
        upload(&store, "d", TABLE);
        let info = store.snapshot().unwrap();
        let checked = run(dir.path(), CheckOptions::default(), |_| {}).unwrap();
        assert_eq!(checked.snapshot_checked, Some(info.seq));
        assert!(checked.is_healthy());
        flip_byte(&info.path, 70);
        let ignored = run(dir.path(), CheckOptions::default(), |_| {}).unwrap();
        assert_eq!(ignored.snapshot_checked, None);
        let kinds: Vec<_> = ignored.store_problems.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [StoreProblemKind::IgnoredSnapshot]);
    }
}
