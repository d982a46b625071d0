//! Every operation of every workload, failed in turn: the call that made it returns an error
//! naming the file and the operation (or, if it failed after the commit, a warning that does),
//! nothing acknowledged is lost, and the store opens and takes the next write.

use super::crash_states::check_state;
use super::workloads::{self, Ack, Run, Workload};
use super::Tally;
use strata::io::fault::{Fault, Injected, Op, OpKind};
use strata::log::Error as LogError;
use strata::ErrorKind;

/// The errnos an operation of this kind can fail with, to cycle through.
fn errnos(kind: OpKind) -> &'static [i32] {
    match kind {
        OpKind::Open => &[libc::EIO, libc::EINTR, libc::EROFS, libc::ENOSPC],
        OpKind::Lock => &[libc::EINTR, libc::EIO],
        OpKind::Write => &[libc::EIO, libc::ENOSPC, libc::EDQUOT],
        OpKind::SyncData | OpKind::SyncAll => &[libc::EIO, libc::ENOSPC],
        OpKind::CreateDir | OpKind::Rename => &[libc::EIO, libc::ENOSPC, libc::EROFS, libc::EDQUOT],
        OpKind::Remove => &[libc::EIO, libc::EROFS],
        OpKind::SyncDir => &[libc::EIO],
    }
}

/// The faults that fail operation `n` (of kind `kind`) of a run: one of its errnos in turn
/// (every other write torn), or in a sweep ([`super::sweep`]) every errno, and for a write
/// each both whole and torn.
fn faults_for(n: usize, kind: OpKind) -> Vec<Fault> {
    let choices = errnos(kind);
    let torn = |i: usize| kind == OpKind::Write && i % 2 == 1;
    let fault = |errno, torn: bool| {
        let fault = Fault::nth(n, errno);
        if torn {
            fault.torn()
        } else {
            fault
        }
    };
    if !super::sweep() {
        return vec![fault(choices[n % choices.len()], torn(n))];
    }
    let mut all = Vec::new();
    for &errno in choices {
        all.push(fault(errno, false));
        if kind == OpKind::Write {
            all.push(fault(errno, true));
        }
    }
    all
}

/// Whether a failure of `op` may go unreported: removing a temporary file is best effort (a
/// leftover one is never read, and is cleaned by a later write).
fn best_effort(op: &Op) -> bool {
    matches!(op, Op::Remove(path) if path.to_string_lossy().ends_with(".tmp"))
}

/// Whether the failed operation was an open or a lock tried again later in the run, as
/// opening the log does after a failed look at its tail. (A failed sync, write or metadata
/// operation must never count as retried: after a failed fsync the kernel may have dropped
/// the written pages, so a later successful sync proves nothing.)
fn retried(injected: &Injected, run: &Run) -> bool {
    if !matches!(injected.op.kind(), OpKind::Open | OpKind::Lock) || injected.op.mutates() {
        return false;
    }
    let same = |op: &Op| op.kind() == injected.op.kind() && op.path() == injected.op.path();
    run.backend.ops()[injected.index + 1..].iter().any(same)
}

/// The kind an error caused by a failed operation with `errno` has: a full device or quota
/// is `StorageFull`, a read-only file system `ReadOnly`, anything else `Io` (whether the
/// error is the IO seam's, a log handle stopped by it, or a failed write of an upload's bytes
/// while they were read).
fn kind_of(errno: i32) -> ErrorKind {
    match errno {
        libc::ENOSPC | libc::EDQUOT => ErrorKind::StorageFull,
        libc::EROFS => ErrorKind::ReadOnly,
        _ => ErrorKind::Io,
    }
}

/// Checks what one failed run reported; the error says what is wrong.
fn check_report(
    outcome: &strata::Result<()>,
    injected: &Injected,
    run: &Run,
) -> Result<(), String> {
    let path = injected.op.path().display().to_string();
    let errno_text = std::io::Error::from_raw_os_error(injected.errno).to_string();
    let names_it = |text: &str| {
        text.contains(&path) && text.contains(injected.op.verb()) && text.contains(&errno_text)
    };
    match outcome {
        Err(error) if error.kind() != kind_of(injected.errno) => Err(format!(
            "an error of kind {:?}, not {:?}: {error:?}",
            error.kind(),
            kind_of(injected.errno)
        )),
        Err(error) if names_it(&error.to_string()) => Ok(()),
        Err(error) => Err(format!(
            "the error does not name `{}`, `{path}` and `{errno_text}`: {error}",
            injected.op.verb()
        )),
        Ok(()) if best_effort(&injected.op) || retried(injected, run) => Ok(()),
        Ok(()) if run.warnings.iter().chain(&run.notices).any(|w| names_it(w)) => Ok(()),
        Ok(()) => Err(format!(
            "the failure was not reported (warnings: {:?})",
            run.warnings
        )),
    }
}

/// Fails every operation of one workload in turn.
fn fail_each_operation(workload: &Workload, tally: &mut Tally) {
    let (_template_dir, template) = workloads::template(workload);
    let (_clean_dir, mut clean) = workloads::start(workload, &template);
    (workload.run)(&mut clean).unwrap();
    let kinds: Vec<OpKind> = clean.backend.ops().iter().map(Op::kind).collect();
    let faults = kinds
        .iter()
        .enumerate()
        .flat_map(|(n, &kind)| faults_for(n, kind).into_iter().map(move |f| (n, f)));
    for (n, fault) in faults {
        let (_dir, mut run) = workloads::start(workload, &template);
        run.backend.fail(fault);
        let outcome = (workload.run)(&mut run);
        let injected = run.backend.injected();
        let Some(injected) = injected.first() else {
            // The run took another path (it did fewer operations): nothing was failed.
            continue;
        };
        tally.failures += 1;
        let context = format!(
            "workload `{}`, operation {n} ({:?}) failed with {}",
            workload.name,
            injected.op,
            std::io::Error::from_raw_os_error(injected.errno)
        );
        if let Err(e) = check_report(&outcome, injected, &run) {
            panic!("{context}: {e}");
        }
        run.backend.stop_failing();
        let allowed: Vec<&Ack> = run
            .acks
            .last()
            .into_iter()
            .chain(clean.acks.get(run.acks.len()))
            .collect();
        if let Err(e) = check_state(&run.dir, &allowed, run.tweak) {
            panic!("{context}, then: {e}");
        }
    }
}

#[test]
fn every_failed_operation_of_every_workload_is_named_and_loses_nothing() {
    let mut tally = Tally::default();
    for workload in workloads::all() {
        fail_each_operation(&workload, &mut tally);
        tally.workloads += 1;
    }
    tally.print("failed operations");
    assert!(tally.failures > 200, "{tally:?}");
}

fn one_version_store() -> (tempfile::TempDir, Run, strata::Store) {
    one_version_store_with(|_| {})
}

/// [`one_version_store`], opened with `tweak` applied to its options.
fn one_version_store_with(
    tweak: fn(&mut strata::StoreOptions),
) -> (tempfile::TempDir, Run, strata::Store) {
    let workload = workloads::all()
        .into_iter()
        .find(|w| w.name == "overwrite with two tables")
        .unwrap();
    let (_template_dir, template) = workloads::template(&workload);
    let (dir, mut run) = workloads::start(&workload, &template);
    run.tweak = tweak;
    let store = run.open().unwrap();
    (dir, run, store)
}

/// Every table a blob file: an upload's blob operations are failures after which the same
/// handle carries on (a failed write of the log stops the handle).
fn blob_files_only(options: &mut strata::StoreOptions) {
    options.inline_table_max = 0;
}

fn overwrite_v2() -> strata::UploadRequest {
    workloads::overwrite(
        "trial",
        &[
            ("visits.csv", workloads::VISITS_2),
            ("sites.csv", workloads::SITES_2),
        ],
    )
}

#[test]
fn after_a_failed_fdatasync_the_handle_refuses_writes_and_a_reopen_recovers() {
    let (_dir, run, store) = one_version_store();
    run.backend
        .fail(Fault::nth_of(OpKind::SyncData, 0, libc::EIO));
    let error = store.save_upload(overwrite_v2()).unwrap_err();
    assert!(error.to_string().contains("fdatasync"), "{error}");
    let again = store
        .save_upload(workloads::overwrite(
            "trial",
            &[("visits.csv", workloads::VISITS_BREAKING)],
        ))
        .unwrap_err();
    assert!(
        matches!(again, strata::Error::Log(LogError::Poisoned { .. })),
        "{again}"
    );
    drop(store);
    let reopened =
        strata::Store::open(&run.dir, workloads::options_with(Default::default())).unwrap();
    reopened.assert_invariants(true).unwrap();
    let outcome = reopened.save_upload(overwrite_v2()).unwrap();
    assert_eq!(
        outcome.version, 2,
        "the unacknowledged version either survived or is written now"
    );
}

/// How an upload after a full disk was freed went.
#[derive(Debug, Default)]
struct AfterFull {
    same_handle: usize,
    reopened: usize,
    committed_with_a_warning: usize,
}

/// Whether `op` raises the durable mark: the 20-byte write at offset 8 of `log/LOCK`.
fn is_durable_mark_write(op: &Op) -> bool {
    matches!(op, Op::Write { path, offset: 8, bytes } if bytes.len() == 20 && path.ends_with("log/LOCK"))
}

#[test]
fn after_a_full_disk_is_freed_the_store_continues_without_repair() {
    let (_dir, clean, store) = one_version_store_with(blob_files_only);
    let start = clean.backend.op_count();
    store.save_upload(overwrite_v2()).unwrap();
    let ops = clean.backend.ops()[start..].to_vec();
    drop(store);
    let mut after = AfterFull::default();
    for (n, op) in ops.iter().enumerate() {
        let fills = matches!(op.kind(), OpKind::Write | OpKind::CreateDir)
            || matches!(op, Op::Open { created: true, .. });
        if !fills {
            continue;
        }
        let (_dir, run, store) = one_version_store_with(blob_files_only);
        run.backend.fail(Fault::nth(n, libc::ENOSPC).sticky());
        let context = format!("operation {n} ({op:?})");
        match store.save_upload(overwrite_v2()) {
            Ok(outcome) => {
                // Only the durable mark is written after the commit: its failure is a
                // warning of the committed upload, which the next one then overwrites.
                assert!(
                    is_durable_mark_write(op),
                    "{context}: committed: {outcome:?}"
                );
                let warned = outcome.post_commit_warnings.iter();
                assert!(
                    warned
                        .filter(|w| w.contains("No space left on device"))
                        .count()
                        == 1,
                    "{context}: {:?}",
                    outcome.post_commit_warnings
                );
                run.backend.stop_failing();
                store.assert_invariants(true).unwrap();
                after.committed_with_a_warning += 1;
                continue;
            }
            Err(error) => assert_eq!(error.kind(), ErrorKind::StorageFull, "{context}: {error}"),
        }
        let error = store.save_upload(overwrite_v2()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::StorageFull, "{context}: {error}");
        assert!(
            error.to_string().contains("No space left on device"),
            "{context}: {error}"
        );
        run.backend.stop_failing();
        match store.save_upload(overwrite_v2()) {
            Ok(outcome) => {
                assert_eq!(outcome.version, 2, "{context}");
                store.assert_invariants(true).unwrap();
                after.same_handle += 1;
            }
            Err(strata::Error::Log(LogError::Poisoned { .. })) => {
                // The log's handle stops after a failed write of the log itself; the store
                // reopens without repair.
                let in_log = op
                    .path()
                    .strip_prefix(&clean.dir)
                    .unwrap()
                    .starts_with("log");
                assert!(in_log, "{context}: {}", op.path().display());
                drop(store);
                let reopened = run.open().unwrap();
                assert_eq!(reopened.save_upload(overwrite_v2()).unwrap().version, 2);
                reopened.assert_invariants(true).unwrap();
                after.reopened += 1;
            }
            Err(e) => panic!("{context}: after freeing space: {e}"),
        }
    }
    super::summary(&format!(
        "faults, full disk freed: {} uploads continued on the same handle, {} after a reopen (the log's own write failed), {} committed with a warning (the durable mark's write failed), none needed a repair",
        after.same_handle, after.reopened, after.committed_with_a_warning
    ));
    assert!(after.same_handle >= 5, "{after:?}");
    assert_eq!(after.committed_with_a_warning, 1, "{after:?}");
}

/// Found by `every_failed_operation_of_every_workload_is_named_and_loses_nothing`: a segment
/// that could not be opened was reported by the log check as corruption (with no segment
/// named), which `repair` then tried to salvage. An IO error is not damage: the check and
/// the repair fail with it, and nothing is cut.
#[test]
fn a_segment_that_cannot_be_read_is_an_io_error_for_verify_and_repair_not_damage() {
    let (_dir, run, store) = one_version_store();
    let segment = store.log().segments()[0].path.clone();
    drop(store);
    // The segment is the first file verify opens, and the second repair does (after the lock).
    for (attempt, nth) in [("verify", 0), ("repair", 1)] {
        run.backend
            .fail(Fault::nth_of(OpKind::Open, nth, libc::EIO));
        let options = run.options();
        let error = match attempt {
            "verify" => strata::log::verify_with(&run.dir, &options.log.io).map(|_| ()),
            _ => strata::log::repair(&run.dir, options.log.clone()).map(|_| ()),
        }
        .unwrap_err();
        assert_eq!(run.backend.injected().last().unwrap().op.path(), segment);
        match &error {
            LogError::Io(e) if e.path == segment => {}
            other => panic!("{attempt}: expected an IO error naming the segment: {other:?}"),
        }
        assert!(segment.exists(), "{attempt} cut nothing");
    }
    let report = strata::log::verify(&run.dir).unwrap();
    assert!(report.is_ok(), "{report:?}");
    run.open().unwrap().assert_invariants(true).unwrap();
}
