//! A full disk, for real: a small tmpfs is mounted (when the test runs as root and `mount`
//! works; otherwise it says so and checks nothing), filled, and uploaded to. The upload fails
//! with an error naming the file and ENOSPC, nothing acknowledged is lost, the store passes
//! the deep check, and once space is freed the same store handle continues, without repair.

use std::path::{Path, PathBuf};
use std::process::Command;
use strata::check::{self, CheckOptions};
use strata::schema::SchemaDriftPolicy;
use strata::{Store, StoreOptions, UploadFile, UploadRequest, VersionRef};

/// A mounted tmpfs, unmounted on drop.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    /// Mounts a tmpfs of `size` bytes, or says why it cannot.
    fn tmpfs(size: u64) -> Result<Mount, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not running as root".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Mount { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn table(rows: usize, tag: &str) -> Vec<u8> {
    let mut bytes = b"patient,visit,score\n".to_vec();
    for i in 0..rows {
        bytes.extend_from_slice(format!("P{i}-{tag},2024-01-05,{}.5\n", i % 9).as_bytes());
    }
    bytes
}

fn request(bytes: &[u8], overwrite: bool) -> UploadRequest {
    UploadRequest {
        overwrite,
        drift_policy: Some(SchemaDriftPolicy::Allow),
        ..UploadRequest::new(
            "trial",
            vec![UploadFile::from_bytes("visits.csv", bytes.to_vec())],
            "tester",
        )
    }
}

/// Fills the file system with `filler` until fewer than `leave` bytes are free.
fn fill(filler: &Path, leave: u64) {
    // SAFETY: statvfs writes into the struct it is given.
    let free = unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        let path = std::ffi::CString::new(filler.parent().unwrap().as_os_str().as_encoded_bytes())
            .unwrap();
        assert_eq!(libc::statvfs(path.as_ptr(), &mut stat), 0);
        stat.f_bavail * stat.f_frsize
    };
    let size = free.saturating_sub(leave) as usize;
    std::fs::write(filler, vec![b'x'; size]).unwrap();
}

fn read_version(store: &Store, version: u64) -> Vec<u8> {
    let (_, mut reader) = store
        .open_table("trial", &VersionRef::Number(version), None)
        .unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
    bytes
}

#[test]
fn a_full_disk_fails_the_upload_loses_nothing_and_the_store_continues_once_freed() {
    let mount = match Mount::tmpfs(8 << 20) {
        Ok(mount) => mount,
        Err(why) => {
            eprintln!("skipped: no small file system to fill ({why})");
            return;
        }
    };
    let store_dir: PathBuf = mount.path().join("store");
    let store = Store::create(&store_dir, StoreOptions::default()).unwrap();
    let v1 = table(100, "v1");
    store.save_upload(request(&v1, false)).unwrap();
    let filler = mount.path().join("filler");
    fill(&filler, 200 << 10);

    let big = table(60_000, "big");
    assert!(big.len() > 1 << 20);
    let error = store.save_upload(request(&big, true)).unwrap_err();
    assert_eq!(error.kind(), strata::ErrorKind::StorageFull, "{error}");
    let message = error.to_string();
    assert!(message.contains("No space left on device"), "{message}");
    assert!(
        message.contains(&store_dir.display().to_string()),
        "names the file: {message}"
    );

    // Nothing acknowledged is lost; the store is sound as it is.
    let report = check::run(&store_dir, CheckOptions { deep: true }, |_| {}).unwrap();
    assert!(report.is_healthy(), "{report:?}");
    assert_eq!(read_version(&store, 1), v1);

    // Space is freed: the same handle goes on, no repair.
    std::fs::remove_file(&filler).unwrap();
    let outcome = store.save_upload(request(&big, true)).unwrap();
    assert_eq!(outcome.version, 2);
    assert_eq!(read_version(&store, 2), big);
    drop(store);
    let report = check::run(&store_dir, CheckOptions { deep: true }, |_| {}).unwrap();
    assert!(report.is_healthy(), "{report:?}");
    let leftovers = report.leftovers.unwrap();
    assert!(leftovers.temp_files.is_empty(), "{leftovers:?}");
}

#[test]
fn on_a_full_disk_the_command_line_says_so_and_exits_2() {
    let mount = match Mount::tmpfs(8 << 20) {
        Ok(mount) => mount,
        Err(why) => {
            eprintln!("skipped: no small file system to fill ({why})");
            return;
        }
    };
    let store_dir = mount.path().join("store");
    let strata = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_strata"))
            .env_remove("STRATA_DIR")
            .arg("--store")
            .arg(&store_dir)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(strata(&["init"]).status.success());
    let outside = tempfile::tempdir().unwrap();
    let big_path = outside.path().join("visits.csv");
    std::fs::write(&big_path, table(60_000, "big")).unwrap();
    fill(&mount.path().join("filler"), 200 << 10);
    let output = strata(&["upload", "trial", big_path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    std::fs::remove_file(mount.path().join("filler")).unwrap();
    assert!(strata(&["upload", "trial", big_path.to_str().unwrap()])
        .status
        .success());
    assert!(strata(&["verify", "--deep"]).status.success());
}
