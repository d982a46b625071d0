//! `strata dump`: a record-level view of the log's segments for debugging the format. Reads
//! the segment files directly (never opens the store), so it works on a damaged log: a
//! damaged record is shown with what is wrong, and the dump continues at the next valid
//! record where there is one.

use crate::context::Context;
use crate::display;
use crate::error::{CliError, CliResult};
use crate::json;
use crate::output::{Printer, Style};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use strata::format::layout::record as field;
use strata::format::{
    crc32, decode_record, find_valid_record_after, parse_segment_file_name, RecordDecode,
    RecordHeader, RecordType, RepairBody, SealBody, SegmentHeader, TornCutBody, RECORD_HEADER_LEN,
    SEGMENT_HEADER_LEN,
};
use strata::store::{Event, EventKind, DATASET_EVENT};

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

/// A segment file: its base sequence number (from its name) and path.
struct SegmentFile {
    base_seq: u64,
    path: PathBuf,
}

impl SegmentFile {
    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Dumps the chosen segments.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let dir = strata::paths::StorePaths::new(&ctx.store_dir).log_dir();
    let segments = list_segments(&dir)?;
    let chosen = match &args.segment {
        Some(s) => vec![find_segment(&segments, s)?],
        None => (0..segments.len()).collect(),
    };
    let mut out = ctx.printer();
    if segments.is_empty() {
        return out.line(format!("no segment files in {}", dir.display()));
    }
    let mut dumper = Dumper {
        out: &mut out,
        from: args.from.unwrap_or(0),
        names: HashMap::new(),
    };
    for index in chosen {
        let next_base = segments.get(index + 1).map(|s| s.base_seq);
        if next_base.is_some_and(|next| next <= dumper.from) {
            continue;
        }
        dumper.segment(&segments[index], index)?;
    }
    Ok(())
}

/// The segment files of the log folder, by base sequence number.
fn list_segments(dir: &Path) -> CliResult<Vec<SegmentFile>> {
    let entries = strata::io::Io::os().list_dir(dir)?;
    let mut segments: Vec<SegmentFile> = entries
        .into_iter()
        .filter_map(|e| {
            let base_seq = parse_segment_file_name(&e.name.to_string_lossy())?;
            Some(SegmentFile {
                base_seq,
                path: dir.join(&e.name),
            })
        })
        .collect();
    segments.sort_by_key(|s| s.base_seq);
    Ok(segments)
}

/// The index of the segment `arg` names: a file name (with or without `.seg`) or a number.
fn find_segment(segments: &[SegmentFile], arg: &str) -> CliResult<usize> {
    let name = Path::new(arg)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let with_suffix = if name.ends_with(".seg") {
        name.clone()
    } else {
        format!("{name}.seg")
    };
    let by_name = parse_segment_file_name(&with_suffix)
        .and_then(|base| segments.iter().position(|s| s.base_seq == base));
    let by_number = arg
        .parse::<usize>()
        .ok()
        .filter(|_| name.len() < 20)
        .filter(|&n| n < segments.len());
    by_name.or(by_number).ok_or_else(|| {
        let names: Vec<String> = segments.iter().map(SegmentFile::name).collect();
        CliError::error(format!(
            "no segment `{arg}`: give a file name or a segment number (0..{}); the segments are {}",
            segments.len(),
            names.join(", ")
        ))
    })
}

/// Header fields read from bytes whose checksum may be wrong.
struct RawHeader {
    header_crc: u32,
    header_crc_computed: u32,
    body_len: u32,
    seq: u64,
    timestamp_micros: i64,
    record_type: u16,
    flags: u16,
    body_crc: u32,
    /// The checksum of the declared body, if it fits in the segment.
    body_crc_computed: Option<u32>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

impl RawHeader {
    /// Reads the header fields at the start of `rest`, if a whole header is there.
    fn read(rest: &[u8]) -> Option<RawHeader> {
        if rest.len() < RECORD_HEADER_LEN {
            return None;
        }
        let body_len = u32_at(rest, field::BODY_LEN_OFFSET);
        let body = rest
            .get(RECORD_HEADER_LEN..)
            .and_then(|b| b.get(..body_len as usize));
        Some(RawHeader {
            header_crc: u32_at(rest, field::HEADER_CRC_OFFSET),
            header_crc_computed: crc32(&rest[field::BODY_LEN_OFFSET..RECORD_HEADER_LEN]),
            body_len,
            seq: u64_at(rest, field::SEQ_OFFSET),
            timestamp_micros: u64_at(rest, field::TIMESTAMP_OFFSET) as i64,
            record_type: u16_at(rest, field::TYPE_OFFSET),
            flags: u16_at(rest, field::FLAGS_OFFSET),
            body_crc: u32_at(rest, field::BODY_CRC_OFFSET),
            body_crc_computed: body.map(crc32),
        })
    }

    fn from_valid(h: &RecordHeader, rest: &[u8], body: &[u8]) -> RawHeader {
        RawHeader {
            header_crc: h.header_crc,
            header_crc_computed: crc32(&rest[field::BODY_LEN_OFFSET..RECORD_HEADER_LEN]),
            body_len: h.body_len,
            seq: h.seq,
            timestamp_micros: h.timestamp_micros,
            record_type: h.record_type.0,
            flags: 0,
            body_crc: h.body_crc,
            body_crc_computed: Some(crc32(body)),
        }
    }
}

/// A record type's name in the dump.
fn type_name(t: RecordType) -> String {
    if t == DATASET_EVENT {
        "dataset-event".into()
    } else {
        t.name()
    }
}

/// A decoded body: text, JSON, or why it cannot be decoded.
struct DecodedBody {
    text: String,
    json: Value,
    error: Option<String>,
}

impl DecodedBody {
    fn ok(text: String, json: Value) -> DecodedBody {
        DecodedBody {
            text,
            json,
            error: None,
        }
    }

    fn failed(error: String) -> DecodedBody {
        DecodedBody {
            text: format!("body cannot be decoded: {error}"),
            json: Value::Null,
            error: Some(error),
        }
    }
}

/// Walks segments, printing as it goes.
struct Dumper<'a> {
    out: &'a mut Printer,
    from: u64,
    /// Dataset names learned from `upload_created` events seen so far.
    names: HashMap<uuid::Uuid, String>,
}

impl Dumper<'_> {
    fn segment(&mut self, file: &SegmentFile, index: usize) -> CliResult {
        let bytes = strata::io::Io::os().read(&file.path)?;
        let header = SegmentHeader::decode(&bytes).map(|(h, _)| h);
        self.segment_header(file, index, &bytes, &header)?;
        let number = header.as_ref().map_or(index as u64, |h| h.segment_number);
        let base = header.as_ref().map_or(file.base_seq, |h| h.base_seq);
        self.records(file, number, base, &bytes)
    }

    fn segment_header(
        &mut self,
        file: &SegmentFile,
        index: usize,
        bytes: &[u8],
        header: &Result<SegmentHeader, strata::format::Defect>,
    ) -> CliResult {
        let name = file.name();
        let header_json = header.as_ref().ok().map(|h| {
            json!({
                "format_version": h.format_version,
                "store_id": uuid::Uuid::from_bytes(h.store_id).to_string(),
                "segment_number": h.segment_number,
                "base_seq": h.base_seq,
                "prev_seal_offset": h.prev_seal_offset,
                "created": json::time(h.created_at_micros),
            })
        });
        self.out.json(&json!({
            "item": "segment",
            "segment": name,
            "path": file.path.display().to_string(),
            "index": index,
            "file_len": bytes.len(),
            "header": header_json,
            "defect": header.as_ref().err().map(ToString::to_string),
        }))?;
        self.out.line(format!(
            "{} {} ({}, {})",
            self.out.paint(Style::Bold, "segment"),
            self.out.paint(Style::Cyan, &name),
            file.path.display(),
            display::count(bytes.len() as u64, "byte")
        ))?;
        match header {
            Ok(h) => self.out.line(format!(
                "  header: format {}, store {}, segment {}, base seq {}, prev seal offset {}, created {}",
                h.format_version,
                uuid::Uuid::from_bytes(h.store_id),
                h.segment_number,
                h.base_seq,
                h.prev_seal_offset,
                display::absolute(h.created_at_micros)
            )),
            Err(defect) => self.out.line(format!(
                "  header: {} {defect}; reading records from offset {SEGMENT_HEADER_LEN} with base seq {} (from the file name)",
                self.out.paint(Style::Red, "DAMAGED:"),
                file.base_seq
            )),
        }
    }

    /// Walks the records after the header, resynchronising after damage.
    fn records(&mut self, file: &SegmentFile, number: u64, base: u64, bytes: &[u8]) -> CliResult {
        let name = file.name();
        let mut offset = SEGMENT_HEADER_LEN;
        let mut expected = base;
        let mut sealed = false;
        while offset < bytes.len() {
            let rest = &bytes[offset..];
            match decode_record(rest) {
                RecordDecode::Record { header, body, len } => {
                    let mut defects = Vec::new();
                    if header.seq != expected {
                        defects.push(format!(
                            "sequence: expected {expected}, found {}",
                            header.seq
                        ));
                    }
                    if sealed {
                        defects.push("record follows the seal of this segment".to_string());
                    }
                    if header.seq >= self.from {
                        let raw = RawHeader::from_valid(&header, rest, body);
                        let decoded = self.decode_body(
                            header.record_type,
                            body,
                            header.seq,
                            number,
                            offset as u64,
                        );
                        self.record(&name, offset, Some(&raw), &defects, Some(decoded))?;
                    }
                    sealed |= header.record_type == RecordType::SEAL;
                    expected = header.seq + 1;
                    offset += len;
                }
                RecordDecode::Zero => match rest.iter().position(|&b| b != 0) {
                    None => return self.end(&name, offset, bytes.len() - offset, sealed),
                    Some(at) => {
                        let defect = format!(
                            "zeroed record header followed by non-zero bytes (at offset {})",
                            offset + at
                        );
                        self.record(&name, offset, None, &[defect], None)?;
                        match self.resync(&name, bytes, offset)? {
                            Some((at, seq)) => (offset, expected) = (at, seq),
                            None => return Ok(()),
                        }
                    }
                },
                RecordDecode::Invalid(defect) => {
                    let raw = RawHeader::read(rest);
                    self.record(&name, offset, raw.as_ref(), &[defect.to_string()], None)?;
                    match self.resync(&name, bytes, offset)? {
                        Some((at, seq)) => (offset, expected) = (at, seq),
                        None => return Ok(()),
                    }
                }
            }
        }
        self.end(&name, offset, 0, sealed)
    }

    /// Finds the next valid record after damage at `offset`, printing what is skipped.
    fn resync(
        &mut self,
        name: &str,
        bytes: &[u8],
        offset: usize,
    ) -> CliResult<Option<(usize, u64)>> {
        let next = find_valid_record_after(bytes, offset + 1);
        let end = next.map_or_else(
            || {
                bytes
                    .iter()
                    .rposition(|&b| b != 0)
                    .map_or(offset, |i| i + 1)
                    .max(offset)
            },
            |(at, _)| at,
        );
        self.out.json(&json!({
            "item": "skip",
            "segment": name,
            "offset": offset,
            "len": end - offset,
            "next_offset": next.map(|n| n.0),
            "next_seq": next.map(|n| n.1),
        }))?;
        let text = match next {
            Some((at, seq)) => format!(
                "  skipped {}: the next valid record is at offset {at} (seq {seq})",
                display::count((at - offset) as u64, "byte")
            ),
            None => format!(
                "  no valid record after offset {offset}: {} up to offset {end} are not records",
                display::count((end - offset) as u64, "non-zero byte")
            ),
        };
        self.out.line(self.out.paint(Style::Yellow, text))?;
        Ok(next)
    }

    fn end(&mut self, name: &str, offset: usize, zero_bytes: usize, sealed: bool) -> CliResult {
        self.out.json(&json!({
            "item": "end",
            "segment": name,
            "offset": offset,
            "zero_bytes": zero_bytes,
            "sealed": sealed,
        }))?;
        let state = if sealed { "sealed" } else { "open" };
        self.out.line(format!(
            "  end of records at offset {offset} ({state}); {} follow",
            display::count(zero_bytes as u64, "zero byte")
        ))
    }

    /// Prints one record, valid (`decoded` is set) or damaged.
    fn record(
        &mut self,
        segment: &str,
        offset: usize,
        raw: Option<&RawHeader>,
        defects: &[String],
        decoded: Option<DecodedBody>,
    ) -> CliResult {
        let ok = defects.is_empty() && decoded.is_some();
        let (body, body_error, body_text) = match decoded {
            Some(d) => (d.json, d.error, Some(d.text)),
            None => (Value::Null, None, None),
        };
        self.out.json(&json!({
            "item": "record",
            "segment": segment,
            "offset": offset,
            "len": raw.map(|r| RECORD_HEADER_LEN as u64 + u64::from(r.body_len)),
            "seq": raw.map(|r| r.seq),
            "type": raw.map(|r| type_name(RecordType(r.record_type))),
            "type_code": raw.map(|r| r.record_type),
            "flags": raw.map(|r| r.flags),
            "timestamp": raw.map(|r| json::time(r.timestamp_micros)),
            "body_len": raw.map(|r| r.body_len),
            "header_crc": raw.map(|r| json!({"stored": r.header_crc, "computed": r.header_crc_computed})),
            "body_crc": raw.map(|r| json!({"stored": r.body_crc, "computed": r.body_crc_computed})),
            "ok": ok,
            "defects": defects,
            "body": body,
            "body_error": body_error,
        }))?;
        let at = self.out.paint(Style::Dim, format!("@{offset}"));
        if !ok {
            self.out.line(format!(
                "  {at}  {} {}",
                self.out.paint(Style::Red, "DAMAGED:"),
                defects.join("; ")
            ))?;
        }
        let Some(raw) = raw else {
            return Ok(());
        };
        let crc = |stored: u32, computed: Option<u32>| match computed {
            Some(c) if c == stored => format!("{stored:#010x} ok"),
            Some(c) => format!("{stored:#010x} (computed {c:#010x})"),
            None => format!("{stored:#010x} (body not available)"),
        };
        let fields = format!(
            "seq {}  {}  len {} (body {})  {}  header crc {}  body crc {}",
            raw.seq,
            type_name(RecordType(raw.record_type)),
            RECORD_HEADER_LEN as u64 + u64::from(raw.body_len),
            raw.body_len,
            display::absolute(raw.timestamp_micros),
            crc(raw.header_crc, Some(raw.header_crc_computed)),
            crc(raw.body_crc, raw.body_crc_computed),
        );
        if ok {
            self.out.line(format!("  {at}  {fields}"))?;
        } else {
            self.out.line(format!("        header says: {fields}"))?;
        }
        if let Some(text) = body_text {
            self.out.line(format!("        {text}"))?;
        }
        Ok(())
    }

    /// Decodes the body of a valid record.
    fn decode_body(
        &mut self,
        t: RecordType,
        body: &[u8],
        seq: u64,
        segment: u64,
        offset: u64,
    ) -> DecodedBody {
        match t {
            RecordType::SEAL => match SealBody::decode(body) {
                Ok(s) => DecodedBody::ok(
                    format!(
                        "seal: segment {}, first seq {}, {} before the seal, seal at offset {}",
                        s.segment_number,
                        s.first_seq,
                        display::count(s.record_count, "record"),
                        s.seal_offset
                    ),
                    json!({"segment_number": s.segment_number, "first_seq": s.first_seq, "record_count": s.record_count, "seal_offset": s.seal_offset}),
                ),
                Err(d) => DecodedBody::failed(d.to_string()),
            },
            RecordType::TORN_CUT => match TornCutBody::decode(body) {
                Ok(c) => DecodedBody::ok(
                    format!(
                        "torn tail cut: segment {}, offset {}, {} dropped",
                        c.segment_number,
                        c.offset,
                        display::count(c.bytes_dropped, "byte")
                    ),
                    json!({"segment_number": c.segment_number, "offset": c.offset, "bytes_dropped": c.bytes_dropped}),
                ),
                Err(d) => DecodedBody::failed(d.to_string()),
            },
            RecordType::REPAIR => {
                match RepairBody::decode(body) {
                    Ok(r) => DecodedBody::ok(
                        format!(
                        "repair: segment {} cut at offset {}, {} cut, {} removed, copy in log/{}",
                        r.segment_number, r.offset, display::count(r.bytes_cut, "byte"),
                        display::count(u64::from(r.segments_removed), "segment"), r.salvage_dir
                    ),
                        json!({"segment_number": r.segment_number, "offset": r.offset, "bytes_cut": r.bytes_cut, "segments_removed": r.segments_removed, "salvage_dir": r.salvage_dir}),
                    ),
                    Err(d) => DecodedBody::failed(d.to_string()),
                }
            }
            DATASET_EVENT => match Event::decode(body, seq, segment, offset) {
                Ok(event) => self.event_body(seq, &event),
                Err(e) => DecodedBody::failed(e.to_string()),
            },
            _ => DecodedBody::ok(
                format!(
                    "{} of an application record type this build does not know",
                    display::count(body.len() as u64, "byte")
                ),
                Value::Null,
            ),
        }
    }

    fn event_body(&mut self, seq: u64, event: &Event) -> DecodedBody {
        if let EventKind::UploadCreated { dataset_name, .. } = &event.kind {
            self.names.insert(event.dataset_id, dataset_name.clone());
        }
        let name = self.names.get(&event.dataset_id).cloned();
        let shown = name.clone().unwrap_or_else(|| event.dataset_id.to_string());
        DecodedBody::ok(
            format!(
                "{} `{shown}` by {}: {}",
                event.kind.name(),
                event.actor,
                display::event_details(event)
            ),
            json::event(seq, event, name.as_deref()),
        )
    }
}
