//! A record-level view of the log's segment files, for debugging the format.
//!
//! The inspector reads segment files directly and never opens the log or the store, so it
//! works on a damaged log: a damaged record is reported with what is wrong and the header
//! fields as its bytes say, and the walk goes on at the next valid record
//! ([`crate::format::SegmentWalk`]). Bodies of valid records are decoded: seal, torn-cut and
//! repair bodies field by field, dataset events whole. Reading never writes.
//!
//! ```
//! use strata::inspect::{segment_files, InspectOptions, Inspector, Item};
//!
//! let dir = tempfile::tempdir()?;
//! strata::Store::create(dir.path(), strata::StoreOptions::default())?;
//! let items: Vec<Item> = Inspector::new(segment_files(dir.path())?, InspectOptions::default())
//!     .collect::<strata::Result<_>>()?;
//! assert!(matches!(items[0], Item::Segment(_)));
//! assert!(matches!(items[1], Item::End(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use crate::format::{
    parse_segment_file_name, Defect, RawRecordHeader, RecordDefect, RecordType, RepairBody,
    SealBody, SegmentHeader, SegmentWalk, TornCutBody, WalkStep, WalkedRecord,
};
use crate::io::Io;
use crate::log::{self, Position, LOG_DIR};
use crate::store::{Event, EventKind, DATASET_EVENT};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A segment file of the log: the base sequence number its name says, and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFile {
    /// The sequence number in the file name.
    pub base_seq: u64,
    /// The file.
    pub path: PathBuf,
}

impl SegmentFile {
    /// The file name, e.g. `00000000000000000001.seg`.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The segment files of the log in `store_dir/log`, by base sequence number (files whose
/// names are not segment names are left out, as readers do).
pub fn segment_files(store_dir: impl AsRef<Path>) -> Result<Vec<SegmentFile>> {
    let store_dir = store_dir.as_ref();
    let dir = store_dir.join(LOG_DIR);
    let io = Io::os();
    if !io.is_dir(&dir) {
        return Err(log::Error::NotFound {
            path: store_dir.to_path_buf(),
        }
        .into());
    }
    let mut segments = Vec::new();
    for entry in io.list_dir(&dir)? {
        if let Some(base_seq) = entry.name.to_str().and_then(parse_segment_file_name) {
            segments.push(SegmentFile {
                base_seq,
                path: dir.join(&entry.name),
            });
        }
    }
    segments.sort_by_key(|s| s.base_seq);
    Ok(segments)
}

/// The index in `segments` of the segment `name_or_number` names: a file name (with or
/// without `.seg`, with or without a folder) or a segment number (0 is the first).
pub fn find_segment(segments: &[SegmentFile], name_or_number: &str) -> Result<usize> {
    let name = Path::new(name_or_number)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let with_suffix = if name.ends_with(crate::format::SEGMENT_SUFFIX) {
        name.clone()
    } else {
        format!("{name}{}", crate::format::SEGMENT_SUFFIX)
    };
    let by_name = parse_segment_file_name(&with_suffix)
        .and_then(|base| segments.iter().position(|s| s.base_seq == base));
    let by_number = name_or_number
        .parse::<usize>()
        .ok()
        .filter(|_| name.len() < crate::format::SEGMENT_NAME_DIGITS)
        .filter(|&n| n < segments.len());
    by_name.or(by_number).ok_or_else(|| {
        let names: Vec<String> = segments.iter().map(SegmentFile::name).collect();
        Error::InvalidRequest(format!(
            "no segment `{name_or_number}`: give a file name or a segment number (0..{}); the segments are {}",
            segments.len(),
            names.join(", ")
        ))
    })
}

/// What to inspect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InspectOptions {
    /// Only this segment (an index into the segment files); default every segment.
    pub segment: Option<usize>,
    /// Only valid records with this sequence number or later (and only segments that may
    /// hold one). Damage is always reported.
    pub from_seq: u64,
}

/// A segment file and its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentItem {
    /// The file name.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its position among the segment files (0 is the first).
    pub index: usize,
    /// The file's size, preallocated zeros included.
    pub file_len: u64,
    /// The base sequence number its name says (records are read with it when the header
    /// is damaged).
    pub base_seq_from_name: u64,
    /// The decoded header, or what is wrong with it.
    pub header: std::result::Result<SegmentHeader, Defect>,
}

/// A record, valid or damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordItem {
    /// The segment's file name.
    pub segment: String,
    /// Byte offset of the record in the segment.
    pub offset: u64,
    /// The header fields as the bytes say (`None` when fewer than 32 bytes remain or the
    /// header is zeroed).
    pub header: Option<RawRecordHeader>,
    /// The checksum of the declared body, when it fits in the segment.
    pub body_crc_computed: Option<u32>,
    /// What is wrong; empty for a valid record in its place.
    pub defects: Vec<RecordDefect>,
    /// The decoded body of a valid record; `None` for a damaged one.
    pub body: Option<RecordBody>,
}

impl RecordItem {
    /// Whether the record is valid and in its place.
    pub fn is_ok(&self) -> bool {
        self.defects.is_empty() && self.body.is_some()
    }
}

/// The decoded body of a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordBody {
    /// A seal.
    Seal(SealBody),
    /// A torn-tail cut.
    TornCut(TornCutBody),
    /// A repair.
    Repair(RepairBody),
    /// A dataset event.
    Event {
        /// The event.
        event: Box<Event>,
        /// The dataset's name, if an earlier `upload_created` of the walk named it.
        dataset: Option<String>,
    },
    /// A record of an application type this build does not know (opaque to the log).
    Application {
        /// Body length in bytes.
        len: u64,
    },
    /// A body its type's decoder refuses, and why.
    Undecodable(String),
}

/// Bytes skipped after damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipItem {
    /// The segment's file name.
    pub segment: String,
    /// Where the damage starts.
    pub offset: u64,
    /// Bytes skipped: up to the next valid record, or to the last non-zero byte.
    pub len: u64,
    /// The next valid record `(offset, seq)`; with none, the segment's walk ends here.
    pub next: Option<(u64, u64)>,
}

/// The end of a segment's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndItem {
    /// The segment's file name.
    pub segment: String,
    /// Offset just past the last record.
    pub offset: u64,
    /// Zero bytes from there to the end of the file.
    pub zero_bytes: u64,
    /// Whether the segment holds a seal record.
    pub sealed: bool,
}

/// One thing the inspector found, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A segment file begins.
    Segment(SegmentItem),
    /// A record.
    Record(RecordItem),
    /// Bytes skipped after damage.
    Skip(SkipItem),
    /// A segment's records end.
    End(EndItem),
}

/// A record type's name in inspection output: `seal`, `torn-cut`, `repair`,
/// `dataset-event`, `table-bytes`, `query-run`, or `type-0x....`.
pub fn record_type_name(record_type: RecordType) -> String {
    if record_type == DATASET_EVENT {
        "dataset-event".into()
    } else if record_type == crate::format::TABLE_BYTES {
        "table-bytes".into()
    } else if record_type == crate::store::QUERY_RUN {
        "query-run".into()
    } else {
        record_type.name()
    }
}

/// The segment being walked.
struct OpenSegment {
    name: String,
    number: u64,
    bytes: Vec<u8>,
    walk: SegmentWalk,
}

/// Walks segment files, yielding [`Item`]s in file order. An unreadable file is an error
/// item; the next call goes on with the next segment.
pub struct Inspector {
    segments: Vec<SegmentFile>,
    chosen: std::vec::IntoIter<usize>,
    current: Option<OpenSegment>,
    from_seq: u64,
    /// Dataset names learned from the `upload_created` events seen so far.
    names: HashMap<Uuid, String>,
}

impl Inspector {
    /// An inspector over `segments` (from [`segment_files`]) as `options` say.
    pub fn new(segments: Vec<SegmentFile>, options: InspectOptions) -> Inspector {
        let chosen: Vec<usize> = match options.segment {
            Some(index) => vec![index],
            None => (0..segments.len()).collect(),
        };
        Inspector {
            segments,
            chosen: chosen.into_iter(),
            current: None,
            from_seq: options.from_seq,
            names: HashMap::new(),
        }
    }

    /// Reads the segment at `index` and starts walking it.
    fn open(&mut self, index: usize) -> Result<Item> {
        let file = &self.segments[index];
        let bytes = Io::os().read(&file.path)?;
        let header = SegmentHeader::decode(&bytes).map(|(h, _)| h);
        let (number, base) = match &header {
            Ok(h) => (h.segment_number, h.base_seq),
            Err(_) => (index as u64, file.base_seq),
        };
        let item = SegmentItem {
            name: file.name(),
            path: file.path.clone(),
            index,
            file_len: bytes.len() as u64,
            base_seq_from_name: file.base_seq,
            header,
        };
        self.current = Some(OpenSegment {
            name: item.name.clone(),
            number,
            bytes,
            walk: SegmentWalk::new(base),
        });
        Ok(Item::Segment(item))
    }

    /// Whether no record of the segment at `index` can be at or after `from_seq`.
    fn before_from(&self, index: usize) -> bool {
        self.segments
            .get(index + 1)
            .is_some_and(|next| next.base_seq <= self.from_seq)
    }
}

impl Iterator for Inspector {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        loop {
            if let Some(segment) = &mut self.current {
                match segment.walk.step(&segment.bytes) {
                    Some(step) => {
                        let item = to_item(segment, step, self.from_seq, &mut self.names);
                        match item {
                            Some(item) => return Some(Ok(item)),
                            None => continue,
                        }
                    }
                    None => self.current = None,
                }
            }
            let index = self.chosen.next()?;
            if !self.before_from(index) {
                return Some(self.open(index));
            }
        }
    }
}

/// The item for a step of the walk; `None` for a valid record before `from_seq`.
fn to_item(
    segment: &OpenSegment,
    step: WalkStep<'_>,
    from_seq: u64,
    names: &mut HashMap<Uuid, String>,
) -> Option<Item> {
    let name = segment.name.clone();
    Some(match step {
        WalkStep::Record(record) => {
            if record.body.is_some() && record.header.is_some_and(|h| h.seq < from_seq) {
                return None;
            }
            Item::Record(record_item(name, segment.number, record, names))
        }
        WalkStep::Skip { offset, len, next } => Item::Skip(SkipItem {
            segment: name,
            offset,
            len,
            next,
        }),
        WalkStep::End {
            offset,
            zero_bytes,
            sealed,
        } => Item::End(EndItem {
            segment: name,
            offset,
            zero_bytes,
            sealed,
        }),
    })
}

fn record_item(
    segment: String,
    segment_number: u64,
    record: WalkedRecord<'_>,
    names: &mut HashMap<Uuid, String>,
) -> RecordItem {
    let body = match (record.body, record.header) {
        (Some(body), Some(header)) => {
            let at = || Position::new(&segment, segment_number, record.offset, header.seq);
            Some(decode_body(&header, body, at, names))
        }
        _ => None,
    };
    RecordItem {
        segment,
        offset: record.offset,
        header: record.header,
        body_crc_computed: record.body_crc_computed,
        defects: record.defects,
        body,
    }
}

/// Decodes the body of a valid record of one of the log's own types (seal, torn-tail cut,
/// repair); any other type is [`RecordBody::Application`].
pub fn system_body(record_type: RecordType, body: &[u8]) -> RecordBody {
    let undecodable = |d: Defect| RecordBody::Undecodable(d.to_string());
    match record_type {
        RecordType::SEAL => SealBody::decode(body).map_or_else(undecodable, RecordBody::Seal),
        RecordType::TORN_CUT => {
            TornCutBody::decode(body).map_or_else(undecodable, RecordBody::TornCut)
        }
        RecordType::REPAIR => RepairBody::decode(body).map_or_else(undecodable, RecordBody::Repair),
        _ => RecordBody::Application {
            len: body.len() as u64,
        },
    }
}

/// Decodes the body of a valid record by its type.
/// `at` names the record's place (its segment by file name) in an undecodable event's
/// message.
fn decode_body(
    header: &RawRecordHeader,
    body: &[u8],
    at: impl FnOnce() -> Position,
    names: &mut HashMap<Uuid, String>,
) -> RecordBody {
    let undecodable = |d: Defect| RecordBody::Undecodable(d.to_string());
    match header.record_type {
        RecordType::SEAL => SealBody::decode(body).map_or_else(undecodable, RecordBody::Seal),
        RecordType::TORN_CUT => {
            TornCutBody::decode(body).map_or_else(undecodable, RecordBody::TornCut)
        }
        RecordType::REPAIR => RepairBody::decode(body).map_or_else(undecodable, RecordBody::Repair),
        DATASET_EVENT => match Event::decode(body, at) {
            Ok(event) => {
                if let EventKind::UploadCreated { dataset_name, .. } = &event.kind {
                    names.insert(event.dataset_id, dataset_name.clone());
                }
                let dataset = names.get(&event.dataset_id).cloned();
                RecordBody::Event {
                    event: Box::new(event),
                    dataset,
                }
            }
            Err(e) => RecordBody::Undecodable(e.to_string()),
        },
        _ => RecordBody::Application {
            len: body.len() as u64,
        },
    }
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "the tests damage store files on purpose, beside the store's own IO"
)]
mod tests {
    use super::*;
    use crate::log::LogOptions;
    use crate::{Store, StoreOptions, UploadFile, UploadRequest};

    /// A store whose segments roll after about one upload, with `uploads` datasets.
    fn store(uploads: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            log: LogOptions {
                segment_size: 1024,
                preallocate: 0,
                ..StoreOptions::default().log
            },
            ..StoreOptions::default()
        };
        let store = Store::create(dir.path(), options).unwrap();
        for i in 0..uploads {
            let file = UploadFile::from_bytes("t.csv", format!("id\n{i}\n").into_bytes());
            let request = UploadRequest::new(format!("d{i}"), vec![file], "ana");
            store.save_upload(request).unwrap();
        }
        (dir, store)
    }

    fn items(dir: &Path, options: InspectOptions) -> Vec<Item> {
        Inspector::new(segment_files(dir).unwrap(), options)
            .collect::<Result<_>>()
            .unwrap()
    }

    fn records(items: &[Item]) -> Vec<&RecordItem> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Record(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_segment_is_shown_with_its_header_its_decoded_records_and_its_seal() {
        let (dir, _store) = store(3);
        let items = items(dir.path(), InspectOptions::default());
        let segments = items
            .iter()
            .filter(|i| matches!(i, Item::Segment(_)))
            .count();
        assert!(segments >= 2, "the small segment size makes the log roll");
        let records = records(&items);
        assert!(records.iter().all(|r| r.is_ok()));
        let seals = records
            .iter()
            .filter(|r| matches!(r.body, Some(RecordBody::Seal(_))))
            .count();
        assert_eq!(seals, segments - 1, "every segment but the last is sealed");
        let names: Vec<_> = records
            .iter()
            .filter_map(|r| match &r.body {
                Some(RecordBody::Event { dataset, .. }) => dataset.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["d0", "d1", "d2"]);
        let Some(Item::End(end)) = items.last() else {
            panic!("{items:?}")
        };
        assert!(!end.sealed);
    }

    #[test]
    fn from_seq_leaves_out_earlier_records_and_the_segments_that_hold_only_those() {
        let (dir, store) = store(3);
        let last = store.log().last_seq();
        let all = items(dir.path(), InspectOptions::default());
        let from = items(
            dir.path(),
            InspectOptions {
                segment: None,
                from_seq: last,
            },
        );
        let seqs: Vec<_> = records(&from)
            .iter()
            .map(|r| r.header.unwrap().seq)
            .collect();
        assert_eq!(seqs, [last]);
        let segments = |items: &[Item]| {
            items
                .iter()
                .filter(|i| matches!(i, Item::Segment(_)))
                .count()
        };
        assert!(segments(&from) < segments(&all));
    }

    #[test]
    fn a_damaged_record_is_shown_and_the_walk_goes_on_at_the_next_valid_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path(), StoreOptions::default()).unwrap();
        for name in ["a", "b", "c"] {
            let file = UploadFile::from_bytes("t.csv", b"id\n1\n".to_vec());
            store
                .save_upload(UploadRequest::new(name, vec![file], "ana"))
                .unwrap();
        }
        let second = store.log().read(2).unwrap();
        let path = store.log().segments()[0].path.clone();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[second.offset as usize + 40] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let items = items(dir.path(), InspectOptions::default());
        let records = records(&items);
        let damaged = records.iter().find(|r| !r.is_ok()).unwrap();
        assert_eq!(damaged.offset, second.offset);
        assert_eq!(damaged.header.unwrap().seq, 2);
        assert_eq!(damaged.body, None);
        assert!(damaged.defects[0].to_string().contains("body checksum"));
        assert!(items
            .iter()
            .any(|i| matches!(i, Item::Skip(s) if s.next.map(|n| n.1) == Some(3))));
        assert!(records
            .iter()
            .any(|r| r.is_ok() && r.header.unwrap().seq == 3));
    }

    #[test]
    fn a_segment_is_found_by_file_name_with_or_without_suffix_or_by_number() {
        let (dir, _store) = store(3);
        let segments = segment_files(dir.path()).unwrap();
        let second = segments[1].name();
        assert_eq!(find_segment(&segments, &second).unwrap(), 1);
        assert_eq!(
            find_segment(&segments, second.trim_end_matches(".seg")).unwrap(),
            1
        );
        assert_eq!(find_segment(&segments, "1").unwrap(), 1);
        let unknown = find_segment(&segments, "99").unwrap_err().to_string();
        assert!(unknown.contains("no segment `99`"), "{unknown}");
        assert!(unknown.contains(&segments[0].name()), "{unknown}");
    }

    #[test]
    fn inspecting_a_folder_without_a_log_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            segment_files(dir.path()),
            Err(Error::Log(log::Error::NotFound { .. }))
        ));
    }
}
