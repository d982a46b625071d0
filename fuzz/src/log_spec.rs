//! FORMAT.md's "The log" validity rule and its "Recovery" classification, restated over the
//! files of a log folder, for both open modes, on top of [`crate::spec`].

use crate::spec::{self, End, Header, Rec, FIRST_SEQ, SEAL, SEAL_BODY_LEN};

/// How much an open checks (FORMAT.md, "Open modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// "every record of every segment is checked on open".
    Full,
    /// "each sealed segment's seal is checked through its successor's previous-seal offset,
    /// and only the last segment is scanned".
    Tail,
}

/// A segment of a log that opens, as the reader leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOutcome {
    pub base_seq: u64,
    /// Records, a seal included.
    pub records: u64,
    /// Just past the last record taken in (the start of a torn tail).
    pub end_offset: u64,
    pub sealed: bool,
}

/// Where corruption is reported: the index of the segment file (in order of base sequence
/// number), the byte offset, and the sequence number expected there.
pub type Place = (usize, u64, u64);

/// What opening a log folder must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// There is no segment file.
    NotFound,
    /// The log opens, ending in a torn tail `(segment index, offset, bytes)` or not.
    Opens {
        segments: Vec<SegmentOutcome>,
        next_seq: u64,
        torn: Option<(usize, u64, u64)>,
    },
    /// Opening fails, reporting one of these places: every problem that holds where the log
    /// first stops being valid (FORMAT.md does not say which of several a reader names).
    Corrupt(Vec<Place>),
}

/// The segment files among `files` (name, bytes), in order of base sequence number, as
/// `(index into files, base sequence number in the name)`. Other files are ignored.
pub fn segment_files(files: &[(String, Vec<u8>)]) -> Vec<(usize, u64)> {
    let mut segments: Vec<(usize, u64)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, (name, _))| spec::segment_name_base(name).map(|base| (i, base)))
        .collect();
    segments.sort_by_key(|&(_, base)| base);
    segments
}

/// The state of the segments walked so far.
struct Walked {
    outcome: SegmentOutcome,
    header: Header,
    seal_offset: Option<u64>,
    next_seq: u64,
    /// The append time of its last record taken in (its seal's, in tail mode).
    last_time: Option<i64>,
}

/// The time the first record of a segment with `header` must not precede: the last record's
/// of the segment before it, "when that segment's read version is 2 or later too".
fn carried_time(prev: Option<&Walked>, header: &Header) -> Option<i64> {
    prev.filter(|p| spec::orders_times(&p.header) && spec::orders_times(header))
        .and_then(|p| p.last_time)
}

/// What [`open`] must do with `files` in `mode`.
///
/// The log is valid if and only if (FORMAT.md, "The log"): there is at least one segment
/// file; segment files, in order of their base sequence numbers, have segment numbers 0, 1,
/// 2, ... with no gap; segment 0 has base sequence number 1; every segment header is valid and
/// has the store UUID of segment 0; the base sequence number in each header equals the one in
/// its file name; every segment but the last is sealed by a valid seal; for every k > 0,
/// segment k's base sequence number is segment k-1's seal's sequence number plus one and its
/// previous-seal offset is that seal's offset; every record of every segment is valid and in
/// order; and in the last segment, after the last valid record, only zero bytes follow, or a
/// torn tail ([`spec::Damage::is_torn_tail`]).
///
/// Order of reporting, where several problems exist: a reader reads every segment header
/// before it walks the log (the first invalid one, in file order, is reported, at offset 0 and
/// the base sequence number of its name); then it walks the segments in order, checking each
/// one's place in the chain before its records.
pub fn open(files: &[(String, Vec<u8>)], mode: Mode) -> Opening {
    let segments = segment_files(files);
    if segments.is_empty() {
        return Opening::NotFound;
    }
    let mut headers = Vec::with_capacity(segments.len());
    for (k, &(file, name_base)) in segments.iter().enumerate() {
        match spec::segment_header(&files[file].1) {
            Some(header) => headers.push(header),
            None => return Opening::Corrupt(vec![(k, 0, name_base)]),
        }
    }
    let mut walked: Vec<Walked> = Vec::with_capacity(segments.len());
    let mut torn = None;
    for (k, &(file, name_base)) in segments.iter().enumerate() {
        let header = headers[k];
        let problems = chain_problems(k, name_base, &header, headers[0].store_id, walked.last());
        if !problems.is_empty() {
            return Opening::Corrupt(problems);
        }
        let bytes = &files[file].1;
        let is_last = k + 1 == segments.len();
        if let (Mode::Tail, Some(next)) = (mode, headers.get(k + 1)) {
            if let Some(trusted) = trusted_seal(bytes, &header, next) {
                walked.push(trusted);
                continue;
            }
        }
        let scan = spec::scan(bytes, &header, carried_time(walked.last(), &header));
        let (sealed, seal_offset) = match scan.end {
            End::Open => (false, None),
            End::Sealed { seal_offset } => (true, Some(seal_offset)),
            End::Damaged(damage) if damage.is_torn_tail(is_last) => {
                torn = Some((k, damage.offset, damage.nonzero_end - damage.offset));
                (false, None)
            }
            End::Damaged(damage) => {
                return Opening::Corrupt(vec![(k, damage.offset, damage.next_seq)]);
            }
        };
        walked.push(Walked {
            outcome: SegmentOutcome {
                base_seq: header.base_seq,
                records: scan.next_seq - header.base_seq,
                end_offset: scan.end_offset,
                sealed,
            },
            header,
            seal_offset,
            next_seq: scan.next_seq,
            last_time: scan.records.last().map(|(_, r)| r.timestamp_micros),
        });
    }
    Opening::Opens {
        next_seq: walked.last().map_or(FIRST_SEQ, |w| w.next_seq),
        segments: walked.iter().map(|w| w.outcome).collect(),
        torn,
    }
}

/// Every rule of "The log" that segment `k` (with header `header`, named after `name_base`)
/// breaks by its place after the segments walked so far, `prev` being the last of them.
fn chain_problems(
    k: usize,
    name_base: u64,
    header: &Header,
    store_id: [u8; 16],
    prev: Option<&Walked>,
) -> Vec<Place> {
    let expected_seq = prev.map_or(FIRST_SEQ, |p| p.next_seq);
    let here = (k, 0, expected_seq);
    let mut problems = Vec::new();
    if header.base_seq != name_base {
        problems.push(here);
    }
    match prev {
        None => {
            if header.segment_number != 0 || header.base_seq != FIRST_SEQ {
                problems.push(here);
            }
        }
        Some(prev) => {
            if header.store_id != store_id {
                problems.push(here);
            }
            match prev.seal_offset {
                // "every segment but the last is sealed": reported where the unsealed one ends.
                None => problems.push((k - 1, prev.outcome.end_offset, prev.next_seq)),
                Some(seal_offset) => {
                    let follows = header.base_seq == prev.next_seq
                        && prev.header.segment_number.checked_add(1) == Some(header.segment_number)
                        && header.prev_seal_offset == seal_offset;
                    if !follows {
                        problems.push(here);
                    }
                }
            }
        }
    }
    problems.dedup();
    problems
}

/// Tail mode: the seal of a segment, found through its successor's previous-seal offset, if
/// it is a valid seal that the successor continues (its sequence number plus one is the
/// successor's base). Its records are then not read on open.
fn trusted_seal(bytes: &[u8], header: &Header, next: &Header) -> Option<Walked> {
    let at = usize::try_from(next.prev_seal_offset).ok()?;
    let seal: Rec<'_> = spec::record(bytes.get(at..)?).ok()?;
    let continues = seal.record_type == SEAL
        && seal.body.len() == SEAL_BODY_LEN
        && seal.seq.checked_add(1) == Some(next.base_seq)
        && spec::seal_is_valid(header, &seal, at as u64);
    continues.then(|| Walked {
        outcome: SegmentOutcome {
            base_seq: header.base_seq,
            records: next.base_seq - header.base_seq,
            end_offset: (at + seal.encoded_len()) as u64,
            sealed: true,
        },
        header: *header,
        seal_offset: Some(at as u64),
        next_seq: next.base_seq,
        last_time: Some(seal.timestamp_micros),
    })
}

/// One record read back from an opened log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecord {
    pub segment_number: u64,
    pub offset: u64,
    pub seq: u64,
    pub record_type: u16,
    pub body: Vec<u8>,
}

/// What reading an opened log from its first record yields: each segment's records up to
/// where the open left it (`segments`, from [`Opening::Opens`]), every one checked as it is
/// read (its time against the record read before it, across a boundary between segments that
/// order their times); and whether reading stops at damage (which only a sealed segment that
/// tail mode did not read can hold).
pub fn read_back(
    files: &[(String, Vec<u8>)],
    segments: &[SegmentOutcome],
) -> (Vec<ReadRecord>, bool) {
    let mut out = Vec::new();
    let mut previous: Option<(Header, Option<i64>)> = None;
    for (&(file, _), outcome) in segment_files(files).iter().zip(segments) {
        let bytes = &files[file].1;
        let header = spec::segment_header(bytes).expect("an opened log's headers are valid");
        let known = &bytes[..outcome.end_offset as usize];
        let carried = previous
            .filter(|(p, _)| spec::orders_times(p) && spec::orders_times(&header))
            .and_then(|(_, t)| t);
        let scan = spec::scan(known, &header, carried);
        let last = scan.records.last().map(|(_, r)| r.timestamp_micros);
        previous = Some((header, last));
        out.extend(scan.records.iter().map(|(offset, r)| ReadRecord {
            segment_number: header.segment_number,
            offset: *offset,
            seq: r.seq,
            record_type: r.record_type,
            body: r.body.to_vec(),
        }));
        if matches!(scan.end, End::Damaged(_)) {
            return (out, true);
        }
    }
    (out, false)
}
