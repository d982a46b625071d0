//! `strata find`: which datasets and versions hold the content of a file.

use crate::context::Context;
use crate::display;
use crate::error::{CliError, CliResult};
use crate::output::Style;
use std::io::Read;
use std::path::PathBuf;
use strata::digest::{Digest, Hasher};
use strata::io::{Io, OpenMode};
use strata::report::FindLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata find visits.csv
  strata find export-2024-05.csv --json";

/// Options of `strata find`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file whose content to look for (its bytes, compared by SHA-256).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Prints every table of every version that holds the file's bytes. Finding none is not an
/// error (exit 0): the answer is "nowhere".
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let hash = hash_file(&args.file)?;
    let store = ctx.open_store()?;
    let matches = store.find_content(&hash)?;
    let mut out = ctx.printer();
    let lines: Vec<FindLine> = matches.iter().map(|m| FindLine::new(&hash, m)).collect();
    out.json_lines(&lines)?;
    if out.is_json() {
        return Ok(());
    }
    let file = args.file.display();
    if matches.is_empty() {
        return out.line(format!(
            "{file} ({}) is in no version of any dataset",
            hash.short()
        ));
    }
    out.line(format!(
        "{file} ({}) is {}:",
        hash.short(),
        display::count(matches.len() as u64, "table")
    ))?;
    let mut rows = vec![["DATASET", "VERSION", "TABLE", "UPLOADED AS", " "]
        .map(String::from)
        .to_vec()];
    for m in &matches {
        rows.push(vec![
            m.dataset.clone(),
            format!("v{}", m.version),
            m.table.clone(),
            m.source_file.clone(),
            if m.active { "active" } else { "" }.to_owned(),
        ]);
    }
    out.table(&rows, |row| {
        (row[4].trim() == "active").then_some(Style::Green)
    })
}

/// The SHA-256 of the file's bytes, read as a stream.
fn hash_file(path: &std::path::Path) -> CliResult<Digest> {
    let cannot =
        |e: &dyn std::fmt::Display| CliError::io(format!("cannot read {}: {e}", path.display()));
    let file = Io::os()
        .open(path, OpenMode::Read)
        .map_err(|e| cannot(&e))?;
    let mut reader = file.reader();
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| cannot(&e))?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}
