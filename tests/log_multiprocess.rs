//! Several real processes on one log. The test binary re-executes itself as the child
//! process: `child_process_entry`, an ignored test that runs only with `STRATA_CHILD` set.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use strata::format::RecordType;
use strata::log::Error;
use strata::log::{Log, LogOptions, WaitOutcome};

const APP: RecordType = RecordType(0x100);

fn options() -> LogOptions {
    LogOptions {
        segment_size: 16 * 1024,
        preallocate: 32 * 1024,
        // Checkpoints in the middle of segments too, written by whichever child is due.
        checkpoint_interval: 25,
        ..LogOptions::default()
    }
}

fn child_body(child: u32, i: u64) -> Vec<u8> {
    format!("child {child} record {i} {}", "p".repeat((i % 64) as usize)).into_bytes()
}

/// Entry point of child processes. Modes:
/// - `append N`: append N records, printing `ack SEQ I` after each acknowledgement;
/// - `append-forever`: the same, until killed;
/// - `hold-lock`: take the writer lock, print `locked`, hold it until stdin closes;
/// - `guard-then-append`: take a writer guard, print `locked`, wait for a line on stdin, then
///   append one record through the guard and commit, printing `appended SEQ` or
///   `refused ERROR`.
///
/// Ignored, so that it never counts as a passing test: the tests that spawn children run it
/// with `--ignored`, and run without `STRATA_CHILD` it fails.
#[test]
#[ignore = "the entry point of child processes, run by the tests that spawn them"]
fn child_process_entry() {
    let mode = std::env::var("STRATA_CHILD")
        .expect("STRATA_CHILD names the child's mode: this runs only as a spawned child");
    let dir = std::env::var("STRATA_CHILD_DIR").unwrap();
    let id: u32 = std::env::var("STRATA_CHILD_ID").unwrap().parse().unwrap();
    let mut out = std::io::stdout().lock();
    if mode == "hold-lock" {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(Path::new(&dir).join("log/LOCK"))
            .unwrap();
        fs2::FileExt::lock_exclusive(&file).unwrap();
        writeln!(out, "locked").unwrap();
        out.flush().unwrap();
        let _ = std::io::stdin().read_line(&mut String::new());
        return;
    }
    let log = Log::open(&dir, options()).unwrap();
    if mode == "guard-then-append" {
        let mut guard = log.lock_writer().unwrap();
        writeln!(out, "locked").unwrap();
        out.flush().unwrap();
        let _ = std::io::stdin().read_line(&mut String::new());
        let outcome = guard
            .append_batch(&[(APP, b"from the child".as_slice())])
            .and_then(|range| guard.commit().map(|()| range));
        match outcome {
            Ok(range) => writeln!(out, "appended {}", range.start()).unwrap(),
            Err(e) => writeln!(out, "refused {e}").unwrap(),
        }
        return;
    }
    let count: u64 = if mode == "append-forever" {
        u64::MAX
    } else {
        mode[7..].parse().unwrap()
    };
    for i in 0..count {
        let seq = log.append(APP, &child_body(id, i)).unwrap();
        writeln!(out, "ack {seq} {i}").unwrap();
        out.flush().unwrap();
    }
}

fn spawn_child(dir: &Path, mode: &str, id: u32) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STRATA_CHILD", mode)
        .env("STRATA_CHILD_DIR", dir)
        .env("STRATA_CHILD_ID", id.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Parses `ack SEQ I` lines from a child's output.
fn acks(output: &str) -> Vec<(u64, u64)> {
    output
        .lines()
        // libtest prints its own text on the child's stdout, sometimes on the same line.
        .filter_map(|l| l.find("ack ").map(|at| &l[at + 4..]))
        .map(|l| {
            let mut parts = l.split(' ').map(|p| p.parse::<u64>().unwrap());
            (parts.next().unwrap(), parts.next().unwrap())
        })
        .collect()
}

#[test]
fn concurrent_writer_processes_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), options()).unwrap();
    const CHILDREN: u32 = 4;
    const EACH: u64 = 150;
    let children: Vec<Child> = (0..CHILDREN)
        .map(|id| spawn_child(dir.path(), &format!("append {EACH}"), id))
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();

    let log = Log::open(dir.path(), options()).unwrap();
    let records: Vec<_> = log.iter_from(1).map(Result::unwrap).collect();
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (1..=records.len() as u64).collect::<Vec<_>>(),
        "gapless"
    );
    let app: Vec<_> = records
        .iter()
        .filter(|r| !r.record_type.is_system())
        .collect();
    assert_eq!(
        app.len() as u64,
        u64::from(CHILDREN) * EACH,
        "nothing lost or duplicated"
    );
    for (id, output) in outputs.iter().enumerate() {
        let acked = acks(output);
        assert_eq!(acked.len() as u64, EACH);
        for (seq, i) in acked {
            assert_eq!(log.read(seq).unwrap().body, child_body(id as u32, i));
        }
    }
    assert!(log.segments().len() > 2, "the children rolled segments");
    // Each child carried its tree on over the records the others appended since its last
    // write: every checkpoint one of them wrote commits to exactly the records before it.
    let tree = strata::audit::LogTree::rebuild(&log).unwrap();
    assert!(tree.checkpoints.len() > 10, "{}", tree.checkpoints.len());
    for checkpoint in &tree.checkpoints {
        assert!(
            checkpoint.matches_log,
            "checkpoint at seq {}",
            checkpoint.seq
        );
    }
}

#[test]
fn a_writer_waiting_on_the_lock_past_its_timeout_gets_lock_timeout() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), options()).unwrap();
    let mut holder = spawn_child(dir.path(), "hold-lock", 0);
    let mut reader = BufReader::new(holder.stdout.as_mut().unwrap());
    let mut line = String::new();
    while !line.contains("locked") {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the lock holder exited"
        );
    }

    let timeout = Duration::from_millis(300);
    let log = Log::open(
        dir.path(),
        LogOptions {
            lock_timeout: timeout,
            ..options()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = log.append(APP, b"blocked").unwrap_err();
    match &err {
        Error::LockTimeout {
            lock_file,
            timeout: named,
        } => {
            assert_eq!(lock_file, &dir.path().join("log/LOCK"));
            assert_eq!(*named, timeout);
        }
        other => panic!("expected LockTimeout, got {other}"),
    }
    assert!(started.elapsed() >= timeout);
    assert!(err.to_string().contains("LOCK"), "{err}");

    drop(holder.stdin.take());
    holder.wait().unwrap();
    assert_eq!(
        log.append(APP, b"now free").unwrap(),
        1,
        "a timeout does not poison the handle"
    );
}

/// Every record a writer process acknowledged survives when the process is killed (SIGKILL)
/// between appends, and the next process appends after them. (A kill cannot tear a record:
/// the page cache keeps every byte a `pwrite` wrote, and a signal does not interrupt one; torn
/// and power-loss states are built byte by byte in `tests/log_recovery.rs`.)
#[test]
fn every_acknowledged_record_survives_a_kill_of_the_writer_process() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), options()).unwrap();
    let mut all_acked = Vec::new();
    for (round, stop_after) in [(0u32, 37usize), (1, 211), (2, 5)] {
        let mut child = spawn_child(dir.path(), "append-forever", round);
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut acked = Vec::new();
        let mut line = String::new();
        while acked.len() < stop_after {
            line.clear();
            assert!(reader.read_line(&mut line).unwrap() > 0);
            acked.extend(acks(&line));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
        acked.extend(acks(&rest));
        all_acked.extend(acked.into_iter().map(|(seq, i)| (round, seq, i)));

        let log = Log::open(dir.path(), options()).unwrap();
        for &(child_id, seq, i) in &all_acked {
            assert_eq!(
                log.read(seq).unwrap().body,
                child_body(child_id, i),
                "seq {seq}"
            );
        }
    }
}

/// Waits for a child's `locked` line.
fn wait_locked(child: &mut Child) -> BufReader<std::process::ChildStdout> {
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("locked") {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the child exited before it locked"
        );
    }
    reader
}

#[test]
fn a_writer_process_whose_lock_file_was_deleted_writes_nothing_over_another_writers_records() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options()).unwrap();
    log.append(APP, b"before").unwrap();
    let mut child = spawn_child(dir.path(), "guard-then-append", 0);
    let mut reader = wait_locked(&mut child);

    // The child holds the writer lock; an operator deletes the lock file, and this process
    // (a second writer) gets a lock on the new one and appends.
    std::fs::remove_file(dir.path().join("log/LOCK")).unwrap();
    let acknowledged: Vec<u64> = (0..3)
        .map(|i| log.append(APP, format!("parent {i}").as_bytes()).unwrap())
        .collect();
    assert_eq!(acknowledged, [2, 3, 4]);

    writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let outcome = rest
        .lines()
        .find_map(|l| {
            l.find("appended ")
                .or(l.find("refused "))
                .map(|at| &l[at..])
        })
        .unwrap_or_else(|| panic!("no outcome in {rest:?}"));
    assert!(
        outcome.starts_with("refused") && outcome.contains("LOCK"),
        "{outcome}"
    );

    let reopened = Log::open(dir.path(), options()).unwrap();
    let bodies: Vec<Vec<u8>> = reopened.iter_from(1).map(|r| r.unwrap().body).collect();
    assert_eq!(
        bodies,
        [&b"before"[..], b"parent 0", b"parent 1", b"parent 2"]
    );
    assert!(reopened.verify().unwrap().is_ok());
}

#[test]
fn a_waiter_is_woken_by_an_append_of_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::create(dir.path(), options()).unwrap();
    log.append(APP, b"before").unwrap();
    let waiter = std::thread::spawn(move || {
        let outcome = log.wait_past(1, Duration::from_secs(60));
        (outcome, Instant::now(), log)
    });
    // Long enough for the waiter's back-off to reach its longest pause.
    std::thread::sleep(Duration::from_millis(300));
    let child = spawn_child(dir.path(), "append 1", 7);
    let out = child.wait_with_output().unwrap();
    let acknowledged = Instant::now();
    assert!(out.status.success());
    assert_eq!(acks(&String::from_utf8(out.stdout).unwrap()), [(2, 0)]);
    let (outcome, woken, log) = waiter.join().unwrap();
    assert_eq!(outcome.unwrap(), WaitOutcome::Appended { last_seq: 2 });
    let late = woken.saturating_duration_since(acknowledged);
    assert!(
        late < Duration::from_secs(2),
        "woken {late:?} after the child's append"
    );
    assert_eq!(log.read(2).unwrap().body, child_body(7, 0));
}
