//! `dump`'s items: segments, records (valid or damaged), skipped bytes, ends.

use super::event::Event;
use super::{path_text, Time};
use crate::format;
use crate::inspect::{self, record_type_name, RecordBody};
use serde::Serialize;

/// A segment header's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentHeader {
    /// Its read version: the lowest format version a reader must implement to read it (the
    /// field version 1 called "format version").
    pub format_version: u16,
    /// Its write version: the lowest format version a writer must implement to append.
    pub write_version: u16,
    /// The store's id.
    pub store_id: uuid::Uuid,
    /// The segment number.
    pub segment_number: u64,
    /// The sequence number of its first record.
    pub base_seq: u64,
    /// The offset of the previous segment's seal.
    pub prev_seal_offset: u64,
    /// When it was created.
    pub created: Time,
}

impl From<&format::SegmentHeader> for SegmentHeader {
    fn from(h: &format::SegmentHeader) -> SegmentHeader {
        SegmentHeader {
            format_version: h.read_version,
            write_version: h.write_version,
            store_id: uuid::Uuid::from_bytes(h.store_id),
            segment_number: h.segment_number,
            base_seq: h.base_seq,
            prev_seal_offset: h.prev_seal_offset,
            created: Time(h.created_at_micros),
        }
    }
}

/// A segment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentLine {
    /// Its file name.
    pub segment: String,
    /// The file.
    pub path: String,
    /// Its position among the segment files.
    pub index: usize,
    /// Its size.
    pub file_len: u64,
    /// What is wrong with its header, if anything.
    pub defect: Option<String>,
    /// Its header, if valid.
    pub header: Option<SegmentHeader>,
}

/// A header checksum, stored and computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeaderCrc {
    /// As stored.
    pub stored: u32,
    /// As computed over the header bytes.
    pub computed: u32,
}

/// A body checksum, stored and computed (`null` when the declared body runs past the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BodyCrc {
    /// As stored.
    pub stored: u32,
    /// As computed over the declared body, if it fits.
    pub computed: Option<u32>,
}

/// A decoded record body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DumpBody {
    /// A dataset event.
    Event(Box<Event>),
    /// A seal.
    Seal {
        /// The segment it seals.
        segment_number: u64,
        /// The segment's first sequence number.
        first_seq: u64,
        /// Records before the seal.
        record_count: u64,
        /// The seal's own offset.
        seal_offset: u64,
    },
    /// A torn-tail cut.
    TornCut {
        /// The segment.
        segment_number: u64,
        /// Where the torn bytes started.
        offset: u64,
        /// Bytes cut.
        bytes_dropped: u64,
    },
    /// A repair.
    Repair {
        /// The segment cut.
        segment_number: u64,
        /// Where.
        offset: u64,
        /// Bytes cut.
        bytes_cut: u64,
        /// Later segments moved out.
        segments_removed: u32,
        /// The salvage folder (inside `log/`).
        salvage_dir: String,
    },
}

impl DumpBody {
    /// The JSON of a decoded body; `None` for an opaque or undecodable one.
    pub(crate) fn of(body: &RecordBody, seq: u64) -> Option<DumpBody> {
        Some(match body {
            RecordBody::Seal(s) => DumpBody::Seal {
                segment_number: s.segment_number,
                first_seq: s.first_seq,
                record_count: s.record_count,
                seal_offset: s.seal_offset,
            },
            RecordBody::TornCut(c) => DumpBody::TornCut {
                segment_number: c.segment_number,
                offset: c.offset,
                bytes_dropped: c.bytes_dropped,
            },
            RecordBody::Repair(r) => DumpBody::Repair {
                segment_number: r.segment_number,
                offset: r.offset,
                bytes_cut: r.bytes_cut,
                segments_removed: r.segments_removed,
                salvage_dir: r.salvage_dir.clone(),
            },
            RecordBody::Event { event, dataset } => {
                DumpBody::Event(Box::new(Event::new(seq, event, dataset.as_deref())))
            }
            RecordBody::Application { .. } | RecordBody::Undecodable(_) => return None,
        })
    }
}

/// A record, valid or damaged. For a damaged record the header fields are what the bytes
/// say, and `null` when fewer than 32 bytes remain (or the header is zeroed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordLine {
    /// The segment's file name.
    pub segment: String,
    /// The record's offset.
    pub offset: u64,
    /// Header plus declared body length.
    pub len: Option<u64>,
    /// The sequence number.
    pub seq: Option<u64>,
    /// The type's name (`seal`, `torn-cut`, `repair`, `dataset-event`, `type-0x....`).
    #[serde(rename = "type")]
    pub record_type: Option<String>,
    /// The type's code.
    pub type_code: Option<u16>,
    /// The flags.
    pub flags: Option<u16>,
    /// The append time.
    pub timestamp: Option<Time>,
    /// The declared body length.
    pub body_len: Option<u32>,
    /// The header checksum.
    pub header_crc: Option<HeaderCrc>,
    /// The body checksum.
    pub body_crc: Option<BodyCrc>,
    /// Whether the record is valid and in its place.
    pub ok: bool,
    /// What is wrong.
    pub defects: Vec<String>,
    /// The decoded body (`null` for a damaged record or an opaque type).
    pub body: Option<DumpBody>,
    /// Why a valid record's body cannot be decoded.
    pub body_error: Option<String>,
}

impl From<&inspect::RecordItem> for RecordLine {
    fn from(r: &inspect::RecordItem) -> RecordLine {
        let h = r.header.as_ref();
        let body_error = match &r.body {
            Some(RecordBody::Undecodable(e)) => Some(e.clone()),
            _ => None,
        };
        RecordLine {
            segment: r.segment.clone(),
            offset: r.offset,
            len: h.map(|h| h.record_len()),
            seq: h.map(|h| h.seq),
            record_type: h.map(|h| record_type_name(h.record_type)),
            type_code: h.map(|h| h.record_type.0),
            flags: h.map(|h| h.flags),
            timestamp: h.map(|h| Time(h.timestamp_micros)),
            body_len: h.map(|h| h.body_len),
            header_crc: h.map(|h| HeaderCrc {
                stored: h.header_crc,
                computed: h.header_crc_computed,
            }),
            body_crc: h.map(|h| BodyCrc {
                stored: h.body_crc,
                computed: r.body_crc_computed,
            }),
            ok: r.is_ok(),
            defects: r.defects.iter().map(ToString::to_string).collect(),
            body: match (&r.body, h) {
                (Some(body), Some(h)) => DumpBody::of(body, h.seq),
                _ => None,
            },
            body_error,
        }
    }
}

/// One item of `dump`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum DumpItem {
    /// A segment file begins.
    Segment(SegmentLine),
    /// A record.
    Record(RecordLine),
    /// Bytes skipped after damage.
    Skip {
        /// The segment's file name.
        segment: String,
        /// Where the damage starts.
        offset: u64,
        /// Bytes skipped.
        len: u64,
        /// The next valid record's offset.
        next_offset: Option<u64>,
        /// The next valid record's sequence number.
        next_seq: Option<u64>,
    },
    /// A segment's records end.
    End {
        /// The segment's file name.
        segment: String,
        /// Offset just past the last record.
        offset: u64,
        /// Zero bytes after it.
        zero_bytes: u64,
        /// Whether the segment is sealed.
        sealed: bool,
    },
}

impl From<&inspect::Item> for DumpItem {
    fn from(item: &inspect::Item) -> DumpItem {
        match item {
            inspect::Item::Segment(s) => DumpItem::Segment(SegmentLine {
                segment: s.name.clone(),
                path: path_text(&s.path),
                index: s.index,
                file_len: s.file_len,
                defect: s.header.as_ref().err().map(ToString::to_string),
                header: s.header.as_ref().ok().map(SegmentHeader::from),
            }),
            inspect::Item::Record(r) => DumpItem::Record(RecordLine::from(r)),
            inspect::Item::Skip(s) => DumpItem::Skip {
                segment: s.segment.clone(),
                offset: s.offset,
                len: s.len,
                next_offset: s.next.map(|n| n.0),
                next_seq: s.next.map(|n| n.1),
            },
            inspect::Item::End(e) => DumpItem::End {
                segment: e.segment.clone(),
                offset: e.offset,
                zero_bytes: e.zero_bytes,
                sealed: e.sealed,
            },
        }
    }
}
