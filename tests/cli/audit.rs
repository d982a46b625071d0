//! The tamper-evidence commands end to end, as an operator and an auditor would run them:
//! keygen, a signed checkpoint handed over, proofs checked offline, and `verify --trusted`
//! telling healthy (0) from tampered (3) from unverifiable (4).

use crate::support::*;

struct Setup {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    key: String,
    vkey: String,
    origin: String,
    held: String,
    tmp: PathBuf,
}

fn setup() -> Setup {
    let (tmp, store) = new_store();
    let dir = tmp.path().to_path_buf();
    ok(&store, &["upload", "trial", &file(&dir, "t.csv", SMALL)]);
    ok(
        &store,
        &[
            "upload",
            "trial",
            &file(&dir, "t.csv", SMALL_MORE_ROWS),
            "--overwrite",
        ],
    );
    let key = path_str(&dir.join("signing.key"));
    let line = json_one(&ok(&store, &["--json", "keygen", &key]));
    let vkey = line["vkey"].as_str().unwrap().to_owned();
    let origin = line["name"].as_str().unwrap().to_owned();
    assert!(origin.starts_with("strata/"));
    let note = ok(&store, &["checkpoint", "--sign", &key]);
    let held = path_str(&dir.join("held.checkpoint"));
    std::fs::write(&held, &note).unwrap();
    Setup {
        _tmp: tmp,
        store,
        key,
        vkey,
        origin,
        held,
        tmp: dir,
    }
}

#[test]
fn a_signed_checkpoint_is_a_c2sp_note_and_the_key_file_is_owner_only() {
    let s = setup();
    let note = std::fs::read_to_string(&s.held).unwrap();
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], s.origin);
    assert!(lines[1].parse::<u64>().unwrap() >= 2);
    assert_eq!(lines[2].len(), 44);
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with(&format!("\u{2014} {} ", s.origin)));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&s.key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // A key path inside the store is refused, and nothing is written there.
    let inside = path_str(&s.store.join("signing.key"));
    let r = expect(&s.store, &["keygen", &inside], 2);
    assert!(r.stderr.contains("inside the store folder"), "{}", r.stderr);
    assert!(!s.store.join("signing.key").exists());
}

#[test]
fn a_proof_of_a_version_verifies_offline_and_prints_the_event() {
    let s = setup();
    let proof = path_str(&s.tmp.join("v1.tlog-proof"));
    ok(
        &s.store,
        &["prove", "trial@1", "--checkpoint", &s.held, "--out", &proof],
    );
    assert!(std::fs::read_to_string(&proof)
        .unwrap()
        .starts_with("c2sp.org/tlog-proof@v1\nextra "));
    // No store is needed: run it against a folder that holds none.
    let nowhere = s.tmp.join("nowhere");
    let out = ok(
        &nowhere,
        &[
            "verify-proof",
            &proof,
            "--vkey",
            &s.vkey,
            "--origin",
            &s.origin,
        ],
    );
    assert!(out.contains("verified: seq 1"), "{out}");
    // The decoded event names the dataset, the version, the type and the actor.
    assert!(
        out.contains("upload_created of dataset trial, version 1, by "),
        "{out}"
    );
    let line = json_one(&ok(
        &nowhere,
        &[
            "--json",
            "verify-proof",
            &proof,
            "--vkey",
            &s.vkey,
            "--origin",
            &s.origin,
        ],
    ));
    assert_eq!(line["seq"], 1);
    assert_eq!(line["event"]["type"], "upload_created");
    assert!(line["signed_by"].as_str().unwrap().starts_with(&s.origin));
    // Another origin pinned: refused (exit 1).
    let r = expect(
        &nowhere,
        &[
            "verify-proof",
            &proof,
            "--vkey",
            &s.vkey,
            "--origin",
            "strata/other",
        ],
        1,
    );
    assert!(
        r.stderr.contains("not of the pinned origin"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_log_grown_since_a_held_checkpoint_is_proven_consistent_offline() {
    let s = setup();
    ok(
        &s.store,
        &["upload", "other", &file(&s.tmp, "o.csv", SMALL)],
    );
    let newer = ok(&s.store, &["checkpoint", "--sign", &s.key]);
    let newer_path = path_str(&s.tmp.join("newer.checkpoint"));
    std::fs::write(&newer_path, newer).unwrap();
    let proof = path_str(&s.tmp.join("grew.consistency"));
    ok(
        &s.store,
        &["consistency", &s.held, &newer_path, "--out", &proof],
    );
    assert!(std::fs::read_to_string(&proof).unwrap().starts_with("old "));
    let out = ok(
        &s.tmp.join("nowhere"),
        &[
            "verify-consistency",
            &s.held,
            &proof,
            "--vkey",
            &s.vkey,
            "--origin",
            &s.origin,
        ],
    );
    assert!(out.contains("consistent"), "{out}");
}

#[test]
fn verify_trusted_exits_0_when_healthy_3_when_tampered_and_4_without_an_anchor() {
    let s = setup();
    let out = ok(
        &s.store,
        &["verify", "--trusted", &s.held, "--vkey", &s.vkey],
    );
    assert!(out.contains("trusted: healthy"), "{out}");
    // Without a held checkpoint or a pinned key, nothing vouches for the log.
    let other_key = path_str(&s.tmp.join("other.key"));
    let other = json_one(&ok(
        &s.store,
        &["--json", "keygen", &other_key, "--name", "x.example/k"],
    ));
    let r = expect(
        &s.store,
        &["verify", "--vkey", other["vkey"].as_str().unwrap()],
        4,
    );
    assert!(r.stdout.contains("unverifiable"), "{}", r.stdout);
    // An event rewritten with its CRCs fixed: the checksums hold, the tree does not.
    let log = strata::log::Log::open(&s.store, strata::log::LogOptions::default()).unwrap();
    let record = log.read(1).unwrap();
    let path = record.segment().to_path_buf();
    drop(log);
    let mut body = record.body.clone();
    let at = body.windows(6).rposition(|w| w == b"tester").unwrap();
    body[at] ^= 0x01;
    let mut bytes = Vec::new();
    strata::format::encode_record(
        &mut bytes,
        record.record_type,
        1,
        record.timestamp_micros,
        &body,
    );
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&bytes, record.offset).unwrap();
    let r = expect(
        &s.store,
        &["verify", "--trusted", &s.held, "--vkey", &s.vkey],
        3,
    );
    assert!(r.stdout.contains("TAMPERED"), "{}", r.stdout);
    let lines = json_lines(
        &expect(
            &s.store,
            &["--json", "verify", "--trusted", &s.held, "--vkey", &s.vkey],
            3,
        )
        .stdout,
    );
    let last = lines.last().unwrap();
    assert_eq!(last["outcome"], "tampered");
}
