//! `strata stat`: counts and sizes of the store.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use serde_json::json;
use std::collections::HashSet;

/// Options of `strata stat` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints segments, records, events, datasets, versions, bytes in the log and in blobs, and
/// the torn tail found on open.
pub fn run(ctx: &Context, _args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let segments = store.log().segments();
    let record_bytes: u64 = segments.iter().map(|s| s.end_offset).sum();
    let file_bytes: u64 = segments.iter().map(|s| s.file_len).sum();
    let sealed = segments.iter().filter(|s| s.sealed).count();
    let catalog = store.catalog();
    let versions = catalog.version_count();
    let tables: HashSet<_> = store
        .all_tables()?
        .into_iter()
        .map(|(_, _, t)| t.content_hash)
        .collect();
    let blobs = store.blobs().usage()?;
    let torn = store.log().torn_tail();
    let mut out = ctx.printer();
    out.json(&json!({
        "store": store.dir().display().to_string(),
        "store_id": store.log().store_id().to_string(),
        "segments": segments.len(),
        "sealed_segments": sealed,
        "records": store.log().last_seq(),
        "last_seq": store.log().last_seq(),
        "events": catalog.events,
        "datasets": catalog.len(),
        "versions": versions,
        "distinct_tables": tables.len(),
        "log_record_bytes": record_bytes,
        "log_file_bytes": file_bytes,
        "blob_files": blobs.files,
        "blob_bytes": blobs.bytes,
        "torn_tail": torn.as_ref().map(super::verify::torn_tail_json),
    }))?;
    let label = |text: &str| format!("{:<10}", format!("{text}:"));
    out.line(format!(
        "{} {} (id {})",
        out.paint(Style::Bold, label("store")),
        store.dir().display(),
        store.log().store_id()
    ))?;
    out.line(format!(
        "{} {} ({sealed} sealed), {} of records, {} on disk",
        label("segments"),
        segments.len(),
        display::count(record_bytes, "byte"),
        display::count(file_bytes, "byte")
    ))?;
    out.line(format!(
        "{} {} (last seq {}), {}",
        label("records"),
        store.log().last_seq(),
        store.log().last_seq(),
        display::count(catalog.events, "dataset event")
    ))?;
    out.line(format!(
        "{} {}, {}, {}",
        label("datasets"),
        catalog.len(),
        display::count(versions as u64, "version"),
        display::count(tables.len() as u64, "distinct table")
    ))?;
    out.line(format!(
        "{} {}, {}",
        label("blobs"),
        display::count(blobs.files, "file"),
        display::count(blobs.bytes, "byte")
    ))?;
    out.line(format!(
        "{} {}",
        label("torn tail"),
        torn.as_ref()
            .map_or_else(|| "none".to_string(), super::verify::torn_tail_text)
    ))
}
