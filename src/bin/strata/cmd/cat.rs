//! `strata cat`: the exact bytes of a table of any version, streamed and verified against
//! the table's hash as they stream.

use crate::context::{self, Context};
use crate::error::{CliError, CliResult};
use crate::output::{self, Printer};
use std::io::Read;
use std::path::{Path, PathBuf};
use strata::report;
use strata::store::TableRecord;

/// Tables larger than this get a progress bar when written to a file on a terminal.
const LARGE_TABLE_BYTES: u64 = 16 * 1024 * 1024;

/// Size of the copy buffer.
const CHUNK: usize = 64 * 1024;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata cat trial-42 visits > visits.csv\n  strata cat trial-42@2 visits -o visits-v2.csv\n  strata cat trial-42@2024-05-01 visits";

/// Options of `strata cat`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset, optionally with a version: `NAME`, `NAME@3`, `NAME@<hash prefix>` or
    /// `NAME@<time>` (e.g. penguins@2024-05-01T12:00:00Z: the version active then).
    #[arg(value_name = "NAME[@VERSION|@TIME]")]
    pub target: String,

    /// The table (display name or table id); needed when the version has several.
    pub table: Option<String>,

    /// Write to this file instead of standard output (renamed into place only once the bytes
    /// are verified).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Streams the table; a hash mismatch is an error (exit 2).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let (name, version) = context::parse_target(&store, &args.target)?;
    let number = store.resolve_version(&name, &version)?;
    let (record, reader) = store.open_table(&name, &version, args.table.as_deref())?;
    let blob_path = reader.path.clone();
    let describe = || format!("table `{}` of `{name}` version {number}", record.name);
    match &args.output {
        None => {
            let mut out = Printer::new(false);
            copy(reader, &blob_path, |chunk| out.bytes(chunk), &describe)?;
            out.flush()
        }
        Some(path) => {
            write_verified_file(reader, &blob_path, path, &record, &describe)?;
            let mut out = ctx.printer();
            out.json(&report::Cat::new(&name, number, &record, path))?;
            out.line(format!(
                "wrote {} ({} bytes, verified against {}) to {}",
                describe(),
                record.byte_len,
                record.content_hash.short(),
                path.display()
            ))
        }
    }
}

/// Copies `reader` chunk by chunk into `sink`; the reader fails at the end if the bytes do
/// not hash to the table's hash.
fn copy(
    mut reader: impl Read,
    blob_path: &Path,
    mut sink: impl FnMut(&[u8]) -> CliResult,
    describe: &dyn Fn() -> String,
) -> CliResult {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let error = strata::blob::blob_read_error(e, blob_path);
                return Err(CliError::error(format!(
                    "{} is damaged, the bytes written are not the table: {error}",
                    describe()
                )));
            }
        };
        sink(&buf[..n])?;
    }
}

/// Writes to a temporary file beside `path`, and moves it into place durably (the library's
/// create-durably steps) only after the bytes were verified; on any failure the temporary
/// file is removed.
fn write_verified_file(
    reader: impl Read,
    blob_path: &Path,
    path: &Path,
    record: &TableRecord,
    describe: &dyn Fn() -> String,
) -> CliResult {
    let mut file = strata::io::Io::os().create_temp(&temporary_path(path))?;
    let bar =
        (record.byte_len > LARGE_TABLE_BYTES).then(|| output::byte_bar(record.byte_len, "writing"));
    copy(
        reader,
        blob_path,
        |chunk| {
            if let Some(bar) = &bar {
                bar.inc(chunk.len() as u64);
            }
            Ok(file.write(chunk)?)
        },
        describe,
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(file.persist(path)?)
}

/// `.<name>.strata-tmp-<pid>` beside `path`.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "table".into());
    path.with_file_name(format!(".{name}.strata-tmp-{}", std::process::id()))
}
