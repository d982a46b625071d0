//! `strata demo`: builds a store from sample data shipped in the binary and tells the story
//! of a dataset step by step: a first upload, an identical re-upload, a breaking overwrite
//! refused, the same with an override, an additive overwrite, a rollback, a re-activation
//! and a verification.

use super::{rollback, upload};
use crate::context::{self, Context};
use crate::display;
use crate::error::{CliError, CliResult};
use crate::output::{Printer, Style};
use std::path::{Path, PathBuf};
use strata::report::{self, DemoAction, DemoStep, UploadResult};
use strata::schema::SchemaDriftPolicy;
use strata::store::UploadStatus;
use strata::{Store, UploadFile, UploadOutcome, UploadRequest};

/// The raw Palmer penguins table (palmerpenguins 0.1.6, CC0): the first version.
const PENGUINS_RAW: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/penguins-raw.csv"
));

/// The same study, cleaned: renamed and removed columns (a breaking drift).
const PENGUINS_CLEAN: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/penguins.csv"
));

/// Every version is uploaded under this file name, so that it is the same table.
const TABLE_FILE: &str = "penguins-raw.csv";

/// The dataset's name.
const DATASET: &str = "penguins";

/// The number of steps, for the `[n/N]` headers.
const STEPS: usize = 8;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str =
    "  strata demo\n  strata demo ./penguins-demo\n  strata --store ./penguins-demo demo --json";

/// Options of `strata demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to build the store (must be new or empty). Default: the store of --store (or
    /// STRATA_DIR) if one was given, else a new temporary directory. The store is kept, and
    /// its path printed.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Runs the story; any step that does not turn out as expected is an error (exit 2).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let (dir, temporary) = demo_dir(
        args.dir
            .or_else(|| ctx.store_chosen.then(|| ctx.store_dir.clone())),
    )?;
    let mut out = ctx.printer();
    out.json(&DemoStep {
        step: 0,
        action: DemoAction::Init {
            store: dir.display().to_string(),
        },
    })?;
    out.line(format!(
        "strata demo: building a store at {}",
        out.paint(Style::Cyan, dir.display())
    ))?;
    let store = Store::create(&dir, ctx.store_options())?;
    let mut demo = Demo {
        out: &mut out,
        store: &store,
        actor: context::actor(None),
        step: 0,
    };
    demo.story()?;
    out.line("")?;
    out.lines(&closing_text(&dir, temporary, &strata_command()))
}

/// What the demo says at the end: where the store is, that it is kept, and commands to
/// explore it, spelled with `strata` as it can be run from here.
fn closing_text(dir: &Path, temporary: bool, strata: &str) -> String {
    let store = shell_word(&dir.display().to_string());
    let kept = if temporary {
        format!("The store is kept at {store} (a temporary directory: `rm -r {store}` removes it).")
    } else {
        format!("The store is kept at {store}.")
    };
    let mut text = format!("done. {kept} Look around with:");
    for command in [
        format!("history {DATASET} --events"),
        format!("diff {DATASET} 1 3"),
        "log".to_owned(),
    ] {
        text.push_str(&format!("\n  {strata} --store {store} {command}"));
    }
    text
}

/// How to run this very binary from the current directory: `strata` when the `strata` found
/// on the PATH is this binary, else this binary's path.
fn strata_command() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "strata".to_owned();
    };
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .filter_map(|dir| std::fs::canonicalize(dir.join("strata")).ok())
            .next()
            .is_some_and(|found| found == exe)
    });
    if on_path {
        "strata".to_owned()
    } else {
        shell_word(&exe.display().to_string())
    }
}

/// `word` quoted for a POSIX shell if it needs quoting.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,@%=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The directory to build in and whether it is a new temporary one: the one given (new or
/// empty), or a new temporary one.
fn demo_dir(given: Option<PathBuf>) -> CliResult<(PathBuf, bool)> {
    let Some(dir) = given else {
        let name = format!(
            "strata-demo-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        return Ok((std::env::temp_dir().join(name), true));
    };
    let io = strata::io::Io::os();
    if io.exists(&dir) {
        let empty = io
            .list_dir(&dir)
            .map_err(|e| CliError::io(format!("cannot use {} for the demo: {e}", dir.display())))?
            .is_empty();
        if !empty {
            return Err(CliError::error(format!(
                "{} is not empty: give the demo a new or empty directory (or none, for a temporary one)",
                dir.display()
            )));
        }
    }
    Ok((dir, false))
}

/// The cleaned table plus a derived column, `body_mass_kg` (from `body_mass_g`): an additive
/// change against the cleaned table.
fn with_body_mass_kg(csv: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(csv);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let grams = header.split(',').position(|c| c == "body_mass_g");
    let mut result = format!("{header},body_mass_kg\n");
    for line in lines.filter(|l| !l.is_empty()) {
        let kg = grams
            .and_then(|i| line.split(',').nth(i))
            .and_then(|g| g.parse::<f64>().ok())
            .map_or_else(|| "NA".to_string(), |g| format!("{:.3}", g / 1000.0));
        result.push_str(&format!("{line},{kg}\n"));
    }
    result.into_bytes()
}

struct Demo<'a> {
    out: &'a mut Printer,
    store: &'a Store,
    actor: String,
    step: usize,
}

impl Demo<'_> {
    fn story(&mut self) -> CliResult {
        let additive = with_body_mass_kg(PENGUINS_CLEAN);
        self.begin("upload penguins-raw.csv as the new dataset `penguins`")?;
        self.expect_upload(PENGUINS_RAW, false, None, UploadStatus::NewDataset)?;

        self.begin("upload the same file again, as an overwrite")?;
        self.expect_upload(PENGUINS_RAW, true, None, UploadStatus::AlreadyActive)?;

        self.begin(
            "overwrite with the cleaned table (penguins.csv, same table name): breaking drift",
        )?;
        self.expect_refusal(PENGUINS_CLEAN)?;

        self.begin("the same overwrite with --override-drift and a reason")?;
        let reason = "the study switched to the cleaned palmerpenguins table";
        self.expect_upload(PENGUINS_CLEAN, true, Some(reason), UploadStatus::NewVersion)?;

        self.begin("an additive overwrite: the cleaned table plus a derived body_mass_kg column")?;
        self.expect_upload(&additive, true, None, UploadStatus::NewVersion)?;

        self.begin("roll back to version 1")?;
        self.rollback("1")?;

        self.begin("upload the table with body_mass_kg again: its version is re-activated")?;
        self.expect_upload(&additive, true, None, UploadStatus::Reactivated)?;

        self.begin("verify the log, the invariants and every blob")?;
        self.verify()
    }

    fn begin(&mut self, title: &str) -> CliResult {
        self.step += 1;
        self.out.line("")?;
        self.out.line(
            self.out
                .paint(Style::Bold, format!("[{}/{STEPS}] {title}", self.step)),
        )
    }

    fn emit(&mut self, action: DemoAction) -> CliResult {
        self.out.json(&DemoStep {
            step: self.step,
            action,
        })
    }

    fn request(&self, bytes: &[u8], overwrite: bool, reason: Option<&str>) -> UploadRequest {
        UploadRequest {
            overwrite,
            drift_policy: Some(SchemaDriftPolicy::Reject),
            override_reason: reason.map(str::to_string),
            note: format!("strata demo step {}", self.step),
            ..UploadRequest::new(
                DATASET,
                vec![UploadFile::from_bytes(TABLE_FILE, bytes.to_vec())],
                self.actor.clone(),
            )
        }
    }

    fn expect_upload(
        &mut self,
        bytes: &[u8],
        overwrite: bool,
        reason: Option<&str>,
        expected: UploadStatus,
    ) -> CliResult<UploadOutcome> {
        let outcome = self
            .store
            .save_upload(self.request(bytes, overwrite, reason))?;
        let result = UploadResult::Done(Box::new(report::Upload::from(&outcome)));
        self.emit(DemoAction::Upload { result })?;
        upload::print_outcome_text(self.out, &outcome)?;
        if outcome.status != expected {
            return Err(self.unexpected(
                upload::status_label(expected),
                upload::status_label(outcome.status),
            ));
        }
        Ok(outcome)
    }

    fn expect_refusal(&mut self, bytes: &[u8]) -> CliResult {
        let error = match self.store.save_upload(self.request(bytes, true, None)) {
            Ok(outcome) => {
                return Err(self.unexpected("refused", upload::status_label(outcome.status)))
            }
            Err(error) => error,
        };
        let Some(refusal) = self.store.upload_refusal(&error) else {
            return Err(error.into());
        };
        let result = UploadResult::Refused(Box::new(report::UploadRefused::from(&refusal)));
        self.emit(DemoAction::Upload { result })?;
        upload::print_refusal_text(self.out, &refusal)
    }

    fn rollback(&mut self, version: &str) -> CliResult {
        let plan = self.store.plan_rollback(DATASET, version)?;
        rollback::print_plan(self.out, &plan)?;
        let outcome = self.store.rollback_to_version(
            DATASET,
            version,
            &self.actor,
            "strata demo: back to the raw table",
        )?;
        self.emit(DemoAction::Rollback {
            result: report::Rollback::from(&outcome),
        })?;
        rollback::print_outcome_text(self.out, &outcome)?;
        if outcome.seq.is_none() {
            return Err(self.unexpected("rolled back", "already active"));
        }
        Ok(())
    }

    fn verify(&mut self) -> CliResult {
        let log = strata::log::verify(self.store.dir())?;
        self.store.assert_invariants(true)?;
        self.emit(DemoAction::Verify {
            result: report::DemoVerify::from(&log),
        })?;
        if !log.is_ok() {
            return Err(self.unexpected("verify: ok", "problems"));
        }
        self.out.line(format!(
            "verify: {} ({}, {}; invariants and every blob checked)",
            self.out.paint(Style::Green, "ok"),
            display::count(log.segments as u64, "segment"),
            display::count(log.records, "record")
        ))
    }

    fn unexpected(&self, expected: &str, got: &str) -> CliError {
        CliError::error(format!(
            "demo step {}: expected `{expected}`, got `{got}`; the library does not behave as the demo expects",
            self.step
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closing_hints_quote_paths_and_say_whether_the_store_is_temporary() {
        let strata = shell_word("/opt/my bin/strata");
        let text = closing_text(Path::new("/tmp/a b"), true, &strata);
        assert!(text.contains("kept at '/tmp/a b' (a temporary directory: `rm -r '/tmp/a b'`"));
        assert!(
            text.contains("\n  '/opt/my bin/strata' --store '/tmp/a b' log"),
            "{text}"
        );
        let text = closing_text(Path::new("demo"), false, "strata");
        assert!(text.starts_with("done. The store is kept at demo. Look around with:"));
        assert!(text.contains("\n  strata --store demo history penguins --events"));
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn the_derived_column_is_the_mass_in_kilograms() {
        let csv = b"species,body_mass_g\nAdelie,3750\nAdelie,NA\n";
        assert_eq!(
            String::from_utf8(with_body_mass_kg(csv)).unwrap(),
            "species,body_mass_g,body_mass_kg\nAdelie,3750,3.750\nAdelie,NA,NA\n"
        );
    }
}
