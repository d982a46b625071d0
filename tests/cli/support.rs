//! Helpers shared by the command-line tests: running `strata` as a real process, reading its
//! output, building stores and damaging files.

pub use crate::common::{data, SMALL, SMALL_BREAKING, SMALL_MORE_ROWS, SMALL_PLUS_COLUMN};
pub use assert_cmd::Command;
pub use serde_json::Value;
pub use std::io::{BufRead, BufReader, Read};
pub use std::path::{Path, PathBuf};
pub use std::process::Stdio;
pub use std::sync::mpsc;
pub use std::time::Duration;

/// `strata --store <store>`, with a fixed actor and no inherited store location. Every table
/// is a blob file (`STRATA_INLINE_TABLE_MAX=0`): these tests examine and damage blob files;
/// [`strata_inline`] runs with the default threshold.
pub fn strata(store: &Path) -> Command {
    let mut cmd = strata_inline(store);
    cmd.env(INLINE_TABLE_MAX_ENV, "0");
    cmd
}

/// The environment variable of the inline threshold.
pub const INLINE_TABLE_MAX_ENV: &str = "STRATA_INLINE_TABLE_MAX";

/// `strata --store <store>` with the default inline threshold (small tables inside the log).
pub fn strata_inline(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("strata").unwrap();
    cmd.env_remove("STRATA_DIR")
        .env_remove(INLINE_TABLE_MAX_ENV)
        .env("USER", "tester")
        .arg("--store")
        .arg(store);
    cmd
}

/// A `std::process::Command` for the binary, for processes that outlive one call.
pub fn strata_process(store: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.env_remove("STRATA_DIR")
        .env(INLINE_TABLE_MAX_ENV, "0")
        .env("USER", "tester")
        .arg("--store")
        .arg(store);
    cmd
}

/// The output of a finished command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `strata --store <store> args...` and expects exit code `code`.
pub fn expect(store: &Path, args: &[&str], code: i32) -> Run {
    let r = run(strata(store).args(args));
    assert_eq!(
        r.code, code,
        "strata {args:?} exited {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
        r.code, r.stdout, r.stderr
    );
    r
}

/// Runs a command that must succeed and returns its standard output.
pub fn ok(store: &Path, args: &[&str]) -> String {
    expect(store, args, 0).stdout
}

/// Parses JSON Lines.
pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The single JSON object a command printed.
pub fn json_one(stdout: &str) -> Value {
    let mut lines = json_lines(stdout);
    assert_eq!(lines.len(), 1, "expected one JSON line, got:\n{stdout}");
    lines.remove(0)
}

/// A new store in a temporary directory (`<tmp>/store`).
pub fn new_store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    ok(&store, &["init"]);
    (tmp, store)
}

/// Writes `bytes` to `<dir>/<name>` and returns the path as a string.
pub fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let sub = dir.join(format!("files-{}", uuid_like()));
    std::fs::create_dir_all(&sub).unwrap();
    let path = sub.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

/// A unique suffix without extra dependencies.
pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Flips every bit of the byte at `offset` of `path`.
pub fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

pub fn segment_path(store: &Path) -> PathBuf {
    store.join("log").join("00000000000000000001.seg")
}

/// Where FORMAT.md puts the blob with this hex content hash.
pub fn blob_path(store: &Path, content_hash: &Value) -> PathBuf {
    let hash = content_hash.as_str().unwrap();
    store.join("blobs/sha256").join(&hash[..2]).join(&hash[2..])
}

/// Uploads penguins-raw.csv as `penguins` (version 1).
pub fn upload_penguins(store: &Path) -> Value {
    let raw = path_str(&data("penguins-raw.csv"));
    json_one(&ok(store, &["upload", "penguins", &raw, "--json"]))
}

/// A child process that is killed if the test ends (or fails) before it exits.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Child {
    pub fn spawn(cmd: &mut std::process::Command) -> Child {
        Child(cmd.spawn().unwrap())
    }

    /// Waits for the exit (failing after 20 s) and returns the exit code and standard error.
    pub fn finish(&mut self) -> (Option<i32>, String) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the process did not exit within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.0.stderr.take() {
            pipe.read_to_string(&mut stderr).unwrap();
        }
        (status.code(), stderr)
    }
}

/// Reads lines of a child's output on a thread, so that the test can wait with a timeout.
pub fn line_reader(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Spawns `strata --store <store> args...` with its output piped, reads one line, closes the
/// pipe, runs `then` (which may make the process write again) and returns that first line,
/// the exit code and standard error.
pub fn read_one_line_then_close(
    store: &Path,
    args: &[&str],
    then: impl FnOnce(),
) -> (String, Option<i32>, String) {
    let mut child = Child::spawn(
        strata_process(store)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut reader = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    drop(reader);
    then();
    let (code, stderr) = child.finish();
    (line, code, stderr)
}

/// penguins-raw as version 1, the cleaned table (as the same table) as version 2.
pub fn penguins_raw_then_clean(store: &Path, tmp: &Path) {
    upload_penguins(store);
    let cleaned = file(
        tmp,
        "penguins-raw.csv",
        &std::fs::read(data("penguins.csv")).unwrap(),
    );
    let args = [
        "upload",
        "penguins",
        &cleaned,
        "--overwrite",
        "--override-drift",
        "--reason",
        "cleaned",
    ];
    ok(store, &args);
}

pub const CLEAN_SQL: &str =
    "SELECT species, AVG(body_mass_g) FROM \"penguins-raw\" GROUP BY species";
pub const RAW_SQL: &str =
    "SELECT Species,\n AVG(\"Body Mass (g)\") FROM \"penguins-raw\" GROUP BY Species";

/// The output of a command run with standard output and standard error on terminals.
pub struct TerminalRun {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// A new pseudo-terminal: its master end (what the terminal shows) and its slave end (what a
/// program writes to, for which `isatty` is true).
fn open_pty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the integers it is given; the name, the
    // terminal settings and the window size are optional (null).
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::os::fd::OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Everything written to a terminal's slave end, read from its master end until every slave
/// end is closed.
fn read_terminal(mut master: std::fs::File) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match master.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // Linux reports EIO on the master once no slave end is open: the end of the output.
            Err(e) if e.raw_os_error() == Some(libc::EIO) => return out,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reading a pseudo-terminal: {e}"),
        }
    }
}

/// Runs `cmd` with standard output and standard error each on its own pseudo-terminal (so
/// that the program sees terminals, as when a user runs it) and standard input closed.
pub fn run_on_terminal(mut cmd: std::process::Command) -> TerminalRun {
    let (out_master, out_slave) = open_pty();
    let (err_master, err_slave) = open_pty();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out_slave))
        .stderr(Stdio::from(err_slave));
    let mut child = cmd.spawn().unwrap();
    // The command holds this process's copies of the slave ends: close them, so that the
    // masters reach their end when the child exits.
    drop(cmd);
    let readers = [out_master, err_master].map(|m| std::thread::spawn(move || read_terminal(m)));
    let status = child.wait().unwrap();
    let [stdout, stderr] = readers.map(|r| r.join().unwrap());
    TerminalRun {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Whether `bytes` hold an SGR escape sequence (`ESC [ parameters m`): text colour or style.
pub fn has_sgr_sequence(bytes: &[u8]) -> bool {
    bytes.windows(2).enumerate().any(|(i, w)| {
        w == b"\x1b[" && {
            let rest = &bytes[i + 2..];
            let params = rest
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            rest.get(params) == Some(&b'm')
        }
    })
}

/// The subcommands clap defines, as `strata --help` lists them (without `help` itself): what
/// "every command" tests go through, so that a new command cannot be left out of them.
pub fn clap_commands() -> Vec<String> {
    let help = ok(Path::new("."), &["--help"]);
    let listing = help
        .split_once("Commands:\n")
        .expect("`strata --help` lists its commands")
        .1;
    let commands: Vec<String> = listing
        .lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(commands.len() > 10, "{commands:?} from:\n{help}");
    commands
}
