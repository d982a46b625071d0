//! `strata dump`: prints the library's record-level view of the log's segments
//! (`strata::inspect`), for debugging the format. Works on a damaged log: a damaged record
//! is shown with what is wrong, and the dump continues at the next valid record.

use crate::context::Context;
use crate::display;
use crate::error::CliResult;
use crate::output::{Printer, Style};
use strata::format::SEGMENT_HEADER_LEN;
use strata::inspect::{
    self, record_type_name, EndItem, InspectOptions, Inspector, Item, RecordItem, SegmentItem,
    SkipItem,
};
use strata::report::DumpItem;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str =
    "  strata dump\n  strata dump --from 40\n  strata dump 00000000000000000001.seg --json";

/// Options of `strata dump`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One segment: its file name (00000000000000000001.seg) or its segment number (0 is
    /// the first). Default: every segment.
    pub segment: Option<String>,

    /// Only records with this sequence number or later.
    #[arg(long, value_name = "SEQ")]
    pub from: Option<u64>,
}

/// Dumps the chosen segments.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let segments = inspect::segment_files(&ctx.store_dir)?;
    let segment = match &args.segment {
        Some(s) => Some(inspect::find_segment(&segments, s)?),
        None => None,
    };
    let mut out = ctx.printer();
    if segments.is_empty() {
        let dir = ctx.store_dir.join(strata::log::LOG_DIR);
        return out.line(format!("no segment files in {}", dir.display()));
    }
    let options = InspectOptions {
        segment,
        from_seq: args.from.unwrap_or(0),
    };
    for item in Inspector::new(segments, options) {
        let item = item?;
        out.json(&DumpItem::from(&item))?;
        match &item {
            Item::Segment(s) => print_segment(&mut out, s)?,
            Item::Record(r) => print_record(&mut out, r)?,
            Item::Skip(s) => print_skip(&mut out, s)?,
            Item::End(e) => print_end(&mut out, e)?,
        }
    }
    Ok(())
}

fn print_segment(out: &mut Printer, s: &SegmentItem) -> CliResult {
    out.line(format!(
        "{} {} ({}, {})",
        out.paint(Style::Bold, "segment"),
        out.paint(Style::Cyan, &s.name),
        s.path.display(),
        display::count(s.file_len, "byte")
    ))?;
    match &s.header {
        Ok(h) => out.line(format!(
            "  header: format {} (write {}), store {}, segment {}, base seq {}, prev seal offset {}, created {}",
            h.read_version,
            h.write_version,
            uuid::Uuid::from_bytes(h.store_id),
            h.segment_number,
            h.base_seq,
            h.prev_seal_offset,
            display::absolute(h.created_at_micros)
        )),
        Err(defect) => out.line(format!(
            "  header: {} {defect}; reading records from offset {SEGMENT_HEADER_LEN} with base seq {} (from the file name)",
            out.paint(Style::Red, "DAMAGED:"),
            s.base_seq_from_name
        )),
    }
}

/// A valid record on one line (and its body on the next); a damaged one with its defects
/// and the header fields as the bytes say.
fn print_record(out: &mut Printer, r: &RecordItem) -> CliResult {
    let at = out.paint(Style::Dim, format!("@{}", r.offset));
    if !r.is_ok() {
        let defects: Vec<String> = r.defects.iter().map(ToString::to_string).collect();
        out.line(format!(
            "  {at}  {} {}",
            out.paint(Style::Red, "DAMAGED:"),
            defects.join("; ")
        ))?;
    }
    let Some(h) = &r.header else {
        return Ok(());
    };
    let crc = |stored: u32, computed: Option<u32>| match computed {
        Some(c) if c == stored => format!("{stored:#010x} ok"),
        Some(c) => format!("{stored:#010x} (computed {c:#010x})"),
        None => format!("{stored:#010x} (body not available)"),
    };
    let fields = format!(
        "seq {}  {}  len {} (body {})  {}  header crc {}  body crc {}",
        h.seq,
        record_type_name(h.record_type),
        h.record_len(),
        h.body_len,
        display::absolute(h.timestamp_micros),
        crc(h.header_crc, Some(h.header_crc_computed)),
        crc(h.body_crc, r.body_crc_computed),
    );
    if r.is_ok() {
        out.line(format!("  {at}  {fields}"))?;
    } else {
        out.line(format!("        header says: {fields}"))?;
    }
    match &r.body {
        Some(body) => out.line(format!("        {}", display::record_body(body))),
        None => Ok(()),
    }
}

fn print_skip(out: &mut Printer, s: &SkipItem) -> CliResult {
    let text = match s.next {
        Some((at, seq)) => format!(
            "  skipped {}: the next valid record is at offset {at} (seq {seq})",
            display::count(s.len, "byte")
        ),
        None => format!(
            "  no valid record after offset {}: {} up to offset {} are not records",
            s.offset,
            display::count(s.len, "non-zero byte"),
            s.offset + s.len
        ),
    };
    out.line(out.paint(Style::Yellow, text))
}

fn print_end(out: &mut Printer, e: &EndItem) -> CliResult {
    let state = if e.sealed { "sealed" } else { "open" };
    out.line(format!(
        "  end of records at offset {} ({state}); {} follow",
        e.offset,
        display::count(e.zero_bytes, "zero byte")
    ))
}
