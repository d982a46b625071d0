//! Builds a log folder of one to four segments from a script (`strata_fuzz::plan::log`:
//! headers, seals, previous-seal offsets, base sequence numbers and file names each correct or
//! deliberately wrong, unsealed or sealed segments, mutated bytes, a deleted segment, a file
//! that is not a segment), writes it to a temporary folder (in /dev/shm when there is one),
//! and opens it with `strata::log::Log::open` in both `OpenVerify::Full` and
//! `OpenVerify::Tail`.
//!
//! Oracle: the outcome equals what FORMAT.md's "The log" validity rule and its "Recovery"
//! torn-versus-corrupt rule give, as restated independently in `strata_fuzz::log_spec`:
//! - opens, with the same segments (base, records, end offset, sealed), the same next sequence
//!   number, and the same torn tail (segment, offset, bytes) or none;
//! - or fails as corrupt at one of the places (segment file, offset, expected sequence number)
//!   where the log first stops being valid, with a message that names the file;
//! - or fails as not found when no segment file is there.
//!
//! Then reading the opened log from its first record yields exactly the records FORMAT.md's
//! rules read (and fails exactly where a sealed segment tail mode did not read is damaged);
//! no file was changed, created or removed by opening and reading; and a script that made no
//! mistake opens in both modes with every record it wrote.
//!
//! Run from `fuzz/`: `mkdir -p corpus/decode_log && cargo +nightly fuzz run decode_log corpus/decode_log seeds_log -- -max_total_time=60`
//! (`seeds_log/` holds a few scripts from `gen_seeds.py`; `STRATA_FUZZ_STATS=1` prints how
//! often each outcome occurs).

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use strata::log::Error;
use strata::log::{Log, LogOptions, OpenVerify};
use strata_fuzz::log_spec::{self, Mode, Opening, ReadRecord};
use strata_fuzz::plan::{self, Dice, LogBuild};
use strata_fuzz::stats;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(mut dice) = Dice::new(&mut u) else {
        return;
    };
    let Ok(build) = plan::log(&mut dice) else {
        return;
    };
    let store = store_dir();
    write_log(store, &build);
    for mode in [Mode::Full, Mode::Tail] {
        let expected = log_spec::open(&build.files, mode);
        stats::note(|| outcome_label(&build, mode, &expected));
        if build.faithful {
            check_faithful(&build, &expected);
        }
        check_open(store, &build, mode, &expected);
    }
    check_unchanged(store, &build);
    stats::input_done();
});

/// A label for the statistics: the mode, the number of segments, and the outcome.
fn outcome_label(build: &LogBuild, mode: Mode, expected: &Opening) -> String {
    let faithful = if build.faithful { " faithful" } else { "" };
    let what = match expected {
        Opening::NotFound => "not found".to_string(),
        Opening::Opens { next_seq, torn, .. } => {
            let records = if *next_seq > 6 { "7+" } else { "0-6" };
            let torn = if torn.is_some() { " torn" } else { "" };
            format!("opens {records} records{torn}")
        }
        Opening::Corrupt(_) => "corrupt".to_string(),
    };
    format!("{mode:?} {} segments{faithful}: {what}", build.files.len())
}

const SCRATCH_PREFIX: &str = "strata-fuzz-decode_log-";

/// The store folder this process reuses for every input, named after the process. The folders
/// of earlier runs (whose process is gone) are removed first: libFuzzer exits without
/// running destructors.
fn store_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let can_tell_live_processes = Path::new("/proc/self").exists();
        let entries = std::fs::read_dir(&base).into_iter().flatten().flatten();
        for entry in entries.filter(|_| can_tell_live_processes) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix(SCRATCH_PREFIX);
            if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        base.join(format!("{SCRATCH_PREFIX}{}", std::process::id()))
    })
}

fn log_dir(store: &Path) -> PathBuf {
    store.join(strata::log::LOG_DIR)
}

/// Replaces the log folder with the script's files and an empty lock file (as a new store has).
fn write_log(store: &Path, build: &LogBuild) {
    let dir = log_dir(store);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clear the scratch log folder");
    }
    std::fs::create_dir_all(&dir).expect("create the scratch log folder");
    std::fs::write(dir.join(strata::log::LOCK_FILE), b"").expect("write LOCK");
    for (name, bytes) in &build.files {
        std::fs::write(dir.join(name), bytes).expect("write a segment file");
    }
}

/// The oracle itself must accept what a writer following FORMAT.md leaves.
fn check_faithful(build: &LogBuild, expected: &Opening) {
    let Opening::Opens {
        segments,
        next_seq,
        torn: None,
    } = expected
    else {
        panic!("FORMAT.md's rules refuse a faithful log: {expected:?}");
    };
    let got: Vec<(u64, u64, bool)> = segments
        .iter()
        .map(|s| (s.base_seq, s.records, s.sealed))
        .collect();
    assert_eq!(got, build.segments);
    assert_eq!(*next_seq, build.next_seq);
}

/// The index (in order of base sequence number) of the segment file at `path`.
fn segment_index(build: &LogBuild, path: &Path) -> usize {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    log_spec::segment_files(&build.files)
        .iter()
        .position(|&(file, _)| build.files[file].0 == name)
        .unwrap_or_else(|| panic!("{} is not a segment file of the log", path.display()))
}

fn check_open(store: &Path, build: &LogBuild, mode: Mode, expected: &Opening) {
    let verify = match mode {
        Mode::Full => OpenVerify::Full,
        Mode::Tail => OpenVerify::Tail,
    };
    let options = LogOptions {
        verify,
        ..LogOptions::default()
    };
    let opened = Log::open(store, options);
    match (opened, expected) {
        (Err(Error::NotFound { .. }), Opening::NotFound) => {}
        (Err(Error::Corrupt { position, defect }), Opening::Corrupt(places)) => {
            let segment = position.segment.clone();
            let place = (
                segment_index(build, &segment),
                position.offset,
                position.seq,
            );
            assert!(
                places.contains(&place),
                "{mode:?}: corrupt at {place:?} ({defect:?}), FORMAT.md's rules give {places:?}"
            );
            let message = Error::Corrupt { position, defect }.to_string();
            let name = segment.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                message.contains(&name),
                "the message does not name the file: {message}"
            );
        }
        (
            Ok(log),
            Opening::Opens {
                segments,
                next_seq,
                torn,
            },
        ) => {
            check_opened(&log, build, mode, segments, *next_seq, *torn);
        }
        (Ok(log), _) => panic!(
            "{mode:?}: opened (next seq {}, torn {:?}), FORMAT.md's rules give {expected:?}",
            log.next_seq(),
            log.torn_tail()
        ),
        (Err(e), _) => panic!("{mode:?}: {e}; FORMAT.md's rules give {expected:?}"),
    }
}

fn check_opened(
    log: &Log,
    build: &LogBuild,
    mode: Mode,
    segments: &[log_spec::SegmentOutcome],
    next_seq: u64,
    torn: Option<(usize, u64, u64)>,
) {
    assert_eq!(log.next_seq(), next_seq, "{mode:?}");
    let got: Vec<(u64, u64, u64, bool)> = log
        .segments()
        .iter()
        .map(|s| (s.base_seq, s.records, s.end_offset, s.sealed))
        .collect();
    let want: Vec<(u64, u64, u64, bool)> = segments
        .iter()
        .map(|s| (s.base_seq, s.records, s.end_offset, s.sealed))
        .collect();
    assert_eq!(got, want, "{mode:?}: segments");
    let got_torn = log
        .torn_tail()
        .map(|t| (segment_index(build, &t.segment), t.offset, t.len));
    assert_eq!(got_torn, torn, "{mode:?}: torn tail {:?}", log.torn_tail());
    if let Some(t) = log.torn_tail() {
        assert!(t.defect.can_be_torn_write(), "{t:?}");
    }
    check_read_back(log, build, mode, segments);
}

/// Reading from the first record yields what FORMAT.md's rules read, then fails where they do.
fn check_read_back(log: &Log, build: &LogBuild, mode: Mode, segments: &[log_spec::SegmentOutcome]) {
    let (want, fails) = log_spec::read_back(&build.files, segments);
    assert!(
        !(fails && mode == Mode::Full),
        "a fully checked log fails to read"
    );
    let mut got = Vec::new();
    let mut failed = false;
    for item in log.iter_from(1) {
        match item {
            Ok(r) => got.push(ReadRecord {
                segment_number: r.segment_number,
                offset: r.offset,
                seq: r.seq,
                record_type: r.record_type.0,
                body: r.body,
            }),
            Err(Error::Corrupt { .. }) => failed = true,
            Err(e) => panic!("{mode:?}: reading fails with {e}"),
        }
    }
    assert_eq!(got, want, "{mode:?}: records read back");
    assert_eq!(failed, fails, "{mode:?}: reading fails");
}

/// Opening and reading never create, change or remove a file.
fn check_unchanged(store: &Path, build: &LogBuild) {
    let dir = log_dir(store);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list the log folder")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = build.files.iter().map(|f| f.0.clone()).collect();
    want.push(strata::log::LOCK_FILE.to_string());
    want.sort();
    assert_eq!(names, want, "opening changed the files in the log folder");
    for (name, bytes) in &build.files {
        let now = std::fs::read(dir.join(name)).expect("read back a file");
        assert!(now == *bytes, "opening changed {name}");
    }
    let lock = std::fs::read(dir.join(strata::log::LOCK_FILE)).expect("read LOCK");
    assert!(lock.is_empty(), "a reader wrote to LOCK");
}
