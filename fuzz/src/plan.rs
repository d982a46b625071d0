//! Fuzzer input read as a script: segments and records to encode, each field correct or
//! deliberately wrong, then a few mutations (flip a byte, truncate, zero a range, insert or
//! append bytes, append a copy of a record), so that valid, torn and corrupt segments are all
//! common. Random bytes almost never carry a valid CRC; a script always does unless it says
//! otherwise.
//!
//! Every choice reads a little of the input with [`Unstructured`]; once the input is used up
//! every remaining choice reads as zero, which always means "correct, no mutation". Records
//! are encoded here from FORMAT.md's table, not with `strata::format::encode_record`, so that
//! wrong fields can carry right CRCs.

use crate::spec::{
    crc, segment_name, FIRST_APPLICATION_TYPE, FIRST_SEQ, LOG_TYPES, MAX_BODY_LEN, READER_VERSION,
    SEAL, SEGMENT_HEADER_LEN,
};
use arbitrary::{Result, Unstructured};

/// The input being read as a script, and whether the script may make mistakes at all: a
/// quarter of scripts make none, so that valid segments and logs of every shape are common.
pub struct Dice<'a, 'b> {
    pub u: &'a mut Unstructured<'b>,
    faults: bool,
}

impl<'a, 'b> Dice<'a, 'b> {
    /// Reads the first byte: below 64, the script makes no mistakes and no mutations.
    pub fn new(u: &'a mut Unstructured<'b>) -> Result<Self> {
        let faults = u.arbitrary::<u8>()? >= 64;
        Ok(Dice { u, faults })
    }

    /// True with a chance of about `n` in 256 if the script makes mistakes; false once the
    /// input is used up.
    pub fn rarely(&mut self, n: u8) -> Result<bool> {
        let byte = self.u.arbitrary::<u8>()?;
        Ok(self.faults && u16::from(byte) + u16::from(n) >= 256)
    }
}

/// A record to encode. The CRCs are computed, then XORed with the given masks (0: correct).
#[derive(Debug, Clone)]
pub struct RecordPlan {
    pub seq: u64,
    pub record_type: u16,
    pub flags: u16,
    pub timestamp_micros: i64,
    pub body: Vec<u8>,
    /// The body length field, if it is to lie about the body.
    pub body_len_field: Option<u32>,
    pub header_crc_xor: u32,
    pub body_crc_xor: u32,
}

impl RecordPlan {
    /// Appends the record as FORMAT.md's "Record" table lays it out.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut h = [0u8; 32];
        let body_len = self.body_len_field.unwrap_or(self.body.len() as u32);
        h[4..8].copy_from_slice(&body_len.to_le_bytes());
        h[8..16].copy_from_slice(&self.seq.to_le_bytes());
        h[16..24].copy_from_slice(&self.timestamp_micros.to_le_bytes());
        h[24..26].copy_from_slice(&self.record_type.to_le_bytes());
        h[26..28].copy_from_slice(&self.flags.to_le_bytes());
        h[28..32].copy_from_slice(&(crc(&self.body) ^ self.body_crc_xor).to_le_bytes());
        let header_crc = crc(&h[4..32]) ^ self.header_crc_xor;
        h[0..4].copy_from_slice(&header_crc.to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(&self.body);
    }

    pub fn encoded_len(&self) -> usize {
        32 + self.body.len()
    }

    /// Whether the fields as encoded make a valid record (sequence order aside).
    fn is_faithful(&self) -> bool {
        self.seq != 0
            && self.record_type != 0
            && self.flags == 0
            && self.body_len_field.is_none()
            && self.header_crc_xor == 0
            && self.body_crc_xor == 0
    }
}

/// A segment header to encode, with each field as given (correct or not).
#[derive(Debug, Clone, Copy)]
pub struct HeaderPlan {
    /// The read version (offset 8).
    pub version: u16,
    /// The write version as stored (offset 64): `0` in a version-1 header.
    pub write_version: u16,
    pub header_len: u16,
    pub flags: u32,
    pub store_id: [u8; 16],
    pub segment_number: u64,
    pub base_seq: u64,
    pub prev_seal_offset: u64,
    pub created_at_micros: i64,
    /// A reserved byte (index into bytes 64..124) set to a non-zero value.
    pub reserved: Option<(usize, u8)>,
    pub crc_xor: u32,
}

impl HeaderPlan {
    /// The 128 bytes, as FORMAT.md's "Segment header" table lays them out.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut h = [0u8; SEGMENT_HEADER_LEN];
        h[0..8].copy_from_slice(b"\x89SLG\r\n\x1a\n");
        h[8..10].copy_from_slice(&self.version.to_le_bytes());
        h[10..12].copy_from_slice(&self.header_len.to_le_bytes());
        h[12..16].copy_from_slice(&self.flags.to_le_bytes());
        h[16..32].copy_from_slice(&self.store_id);
        h[32..40].copy_from_slice(&self.segment_number.to_le_bytes());
        h[40..48].copy_from_slice(&self.base_seq.to_le_bytes());
        h[48..56].copy_from_slice(&self.prev_seal_offset.to_le_bytes());
        h[56..64].copy_from_slice(&self.created_at_micros.to_le_bytes());
        h[64..66].copy_from_slice(&self.write_version.to_le_bytes());
        if let Some((at, value)) = self.reserved {
            h[66 + at % 58] = value;
        }
        let header_crc = crc(&h[..124]) ^ self.crc_xor;
        h[124..128].copy_from_slice(&header_crc.to_le_bytes());
        h
    }

    /// Whether the records' append times must not go back (read version 2 or later).
    pub fn orders_times(&self) -> bool {
        self.version >= 2
    }

    /// Whether every record type below `0x0100` must be one the log defines (the write version
    /// is one the reader knows).
    pub fn knows_every_type(&self) -> bool {
        self.version == 1 || self.write_version <= READER_VERSION
    }

    fn is_faithful(&self) -> bool {
        let versions = match self.version {
            1 => self.write_version == 0,
            2 => self.write_version >= 2,
            _ => false,
        };
        versions
            && self.header_len == 128
            && self.flags == 0
            && self.base_seq != 0
            && self.reserved.is_none()
            && self.crc_xor == 0
    }
}

/// What a segment header should say to continue a log.
#[derive(Debug, Clone, Copy)]
pub struct Chain {
    pub store_id: [u8; 16],
    pub segment_number: u64,
    pub base_seq: u64,
    pub prev_seal_offset: u64,
}

/// A header for `chain`, each field rarely wrong.
pub fn header(d: &mut Dice<'_, '_>, chain: &Chain) -> Result<HeaderPlan> {
    // Mostly format 2; now and then a format-1 header (as a log written before the upgrade
    // holds) or one of a newer write version (which reads, read-only): all valid.
    let (version, write_version) = match d.u.int_in_range(0..=15u8)? {
        13 | 14 => (1, 0),
        15 => (2, READER_VERSION + 1),
        _ => (2, 2),
    };
    let mut plan = HeaderPlan {
        version,
        write_version,
        header_len: 128,
        flags: 0,
        store_id: chain.store_id,
        segment_number: chain.segment_number,
        base_seq: chain.base_seq,
        prev_seal_offset: chain.prev_seal_offset,
        created_at_micros: 1_700_000_000_000_000,
        reserved: None,
        crc_xor: 0,
    };
    if d.rarely(4)? {
        plan.version = *d.u.choose(&[0, READER_VERSION + 1, 0xFFFF])?;
    }
    if d.rarely(3)? {
        // A write version below the read version, or a non-zero one in a version-1 header.
        plan.write_version = if plan.version == 1 { 2 } else { 1 };
    }
    if d.rarely(3)? {
        plan.header_len = *d.u.choose(&[0, 64, 127, 129, 256])?;
    }
    if d.rarely(3)? {
        plan.flags = d.u.arbitrary::<u32>()? | 1;
    }
    if d.rarely(3)? {
        plan.reserved = Some((d.u.int_in_range(0..=59)?, d.u.arbitrary::<u8>()? | 1));
    }
    if d.rarely(4)? {
        plan.crc_xor = d.u.arbitrary::<u32>()? | 1;
    }
    if d.rarely(3)? {
        plan.base_seq = 0;
    }
    Ok(plan)
}

/// The records of one segment: what a writer would write, and whether every one of them (and
/// the order of their sequence numbers) is as FORMAT.md requires.
#[derive(Debug, Clone)]
pub struct Records {
    pub records: Vec<RecordPlan>,
    /// Offset of each record in the segment.
    pub offsets: Vec<usize>,
    /// Just past the last record.
    pub end: usize,
    /// The sequence number after the last record.
    pub next_seq: u64,
    /// Offset of the last record if it is a seal.
    pub seal_offset: Option<u64>,
    pub faithful: bool,
}

/// Up to six records numbered from the header's base, then a seal if `seal`; each field rarely
/// wrong, bodies of 0 to 600 bytes.
pub fn records(d: &mut Dice<'_, '_>, header: &HeaderPlan, seal: bool) -> Result<Records> {
    let mut out = Records {
        records: Vec::new(),
        offsets: Vec::new(),
        end: SEGMENT_HEADER_LEN,
        next_seq: header.base_seq,
        seal_offset: None,
        faithful: true,
    };
    let count = d.u.int_in_range(0..=6)?;
    for _ in 0..count {
        let record_type = record_type(d)?;
        // A seal anywhere but last is a mistake; so is a type the log does not define, unless
        // a newer write version wrote the segment.
        let unknown = record_type < FIRST_APPLICATION_TYPE && !LOG_TYPES.contains(&record_type);
        // A checkpoint record in a segment of read version 2 or later is checked whatever the
        // write version, and a random body is no valid checkpoint.
        let checkpoint = record_type == crate::spec::CHECKPOINT && header.version >= 2;
        out.faithful &=
            record_type != SEAL && !checkpoint && !(unknown && header.knows_every_type());
        let body = body(d)?;
        push(d, header, &mut out, record_type, body)?;
    }
    if seal {
        let count = out.next_seq.wrapping_sub(header.base_seq);
        let mut fields = [
            header.segment_number,
            header.base_seq,
            count,
            out.end as u64,
        ];
        if d.rarely(12)? {
            let i = d.u.int_in_range(0..=3)?;
            fields[i] = fields[i].wrapping_add(*d.u.choose(&[1, u64::MAX, 32])?);
        }
        let correct = fields
            == [
                header.segment_number,
                header.base_seq,
                count,
                out.end as u64,
            ];
        let mut body: Vec<u8> = fields.iter().flat_map(|f| f.to_le_bytes()).collect();
        if d.rarely(4)? {
            body.truncate(d.u.int_in_range(0..=31)?);
        }
        out.faithful &= correct && body.len() == 32;
        out.seal_offset = Some(out.end as u64);
        push(d, header, &mut out, SEAL, body)?;
    }
    Ok(out)
}

/// The append time of the record numbered `seq` as a writer would give it: times that grow
/// with the sequence numbers, so they never go back within a segment or across segments.
pub fn append_time(seq: u64) -> i64 {
    1_700_000_000_000_000i64.wrapping_add(seq as i64)
}

/// Appends one record with sequence number `out.next_seq` (rarely another) and `record_type`,
/// each other field rarely wrong (its time rarely before the previous record's).
fn push(
    d: &mut Dice<'_, '_>,
    header: &HeaderPlan,
    out: &mut Records,
    record_type: u16,
    body: Vec<u8>,
) -> Result<()> {
    let expected = out.next_seq;
    let seq = if d.rarely(8)? {
        *d.u.choose(&[
            expected.wrapping_add(1),
            expected.wrapping_sub(1),
            0,
            u64::MAX,
            expected.wrapping_add(2),
        ])?
    } else {
        expected
    };
    let mut plan = RecordPlan {
        seq,
        record_type,
        flags: 0,
        timestamp_micros: append_time(expected),
        body,
        body_len_field: None,
        header_crc_xor: 0,
        body_crc_xor: 0,
    };
    if d.rarely(4)? {
        plan.flags = d.u.arbitrary::<u16>()? | 1;
    }
    if d.rarely(5)? {
        let len = plan.body.len() as u32;
        plan.body_len_field = Some(*d.u.choose(&[
            len + 1,
            len.wrapping_sub(1),
            len + 600,
            MAX_BODY_LEN as u32 + 1,
            u32::MAX,
        ])?);
    }
    if d.rarely(5)? {
        plan.header_crc_xor = d.u.arbitrary::<u32>()? | 1;
    }
    if d.rarely(5)? {
        plan.body_crc_xor = d.u.arbitrary::<u32>()? | 1;
    }
    let back = if d.rarely(5)? {
        // Before the previous record's time (or, for a first record, the time a previous
        // segment's last record would have).
        plan.timestamp_micros = append_time(expected).wrapping_sub(2);
        header.orders_times()
    } else {
        false
    };
    // A record numbered u64::MAX is refused by the library (no record could follow it; see
    // `spec::Why::LastPossibleSeq`), so a script that reaches it is not counted as faithful.
    out.faithful &= plan.is_faithful() && seq == expected && seq != u64::MAX && !back;
    out.offsets.push(out.end);
    out.end += plan.encoded_len();
    out.next_seq = seq.wrapping_add(1);
    out.records.push(plan);
    Ok(())
}

/// Mostly dataset events and application types; rarely a log type, a stray seal, a type
/// below `0x0100` the log does not define, or zero.
fn record_type(d: &mut Dice<'_, '_>) -> Result<u16> {
    let top = if d.faults { 32 } else { 29 };
    Ok(match d.u.int_in_range(0..=top)? {
        0..=23 => 0x0100,
        24..=27 => 0x0100 | d.u.arbitrary::<u16>()?,
        28 => 0x0002,
        29 => 0x0003,
        30 => SEAL,
        31 => d.u.int_in_range(0x0004..=0x00FF)?,
        _ => 0,
    })
}

/// A body of 0 to 600 bytes: empty a quarter of the time, then zeros or a pattern.
fn body(d: &mut Dice<'_, '_>) -> Result<Vec<u8>> {
    if d.u.int_in_range(0..=3u8)? == 0 {
        return Ok(Vec::new());
    }
    let len = d.u.int_in_range(0..=600usize)?;
    let seed = d.u.arbitrary::<u8>()?;
    Ok(if seed == 0 {
        vec![0; len]
    } else {
        (0..len)
            .map(|i| seed ^ (i as u8).wrapping_mul(0x9D))
            .collect()
    })
}

/// A change to a segment's bytes after it was encoded.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip { at: usize, mask: u8 },
    /// Cut the file to `len` bytes (as a torn write may).
    Truncate { len: usize },
    /// Zero `len` bytes from `at` (as a torn write may).
    Zero { at: usize, len: usize },
    /// Insert bytes at `at`, shifting what follows.
    Insert { at: usize, bytes: Vec<u8> },
    /// Append bytes to the file.
    Append { bytes: Vec<u8> },
    /// Append a copy of `bytes[from..from + len]` (a record, say) after the last record.
    Copy { from: usize, len: usize, to: usize },
}

impl Mutation {
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        match self {
            Mutation::Flip { at, mask } => {
                if let Some(b) = bytes.get_mut(*at) {
                    *b ^= mask;
                }
            }
            Mutation::Truncate { len } => bytes.truncate(*len),
            Mutation::Zero { at, len } => {
                let from = (*at).min(bytes.len());
                let to = at.saturating_add(*len).min(bytes.len());
                bytes[from..to].fill(0);
            }
            Mutation::Insert { at, bytes: new } => {
                let at = (*at).min(bytes.len());
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Append { bytes: new } => bytes.extend_from_slice(new),
            Mutation::Copy { from, len, to } => {
                let from = (*from).min(bytes.len());
                let piece = bytes[from..from.saturating_add(*len).min(bytes.len())].to_vec();
                let to = (*to).min(bytes.len());
                let end = to.saturating_add(piece.len());
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[to..end].copy_from_slice(&piece);
            }
        }
    }
}

/// Zero to three mutations (none half of the time) of a segment whose records start at
/// `offsets` and end at `end`; positions are mostly near a record's start.
pub fn mutations(
    d: &mut Dice<'_, '_>,
    offsets: &[usize],
    end: usize,
    file_len: usize,
) -> Result<Vec<Mutation>> {
    let count = match d.u.arbitrary::<u8>()? {
        _ if !d.faults => 0,
        0..=127 => 0,
        128..=223 => 1,
        224..=247 => 2,
        _ => 3,
    };
    (0..count)
        .map(|_| mutation(d, offsets, end, file_len))
        .collect()
}

fn mutation(
    d: &mut Dice<'_, '_>,
    offsets: &[usize],
    end: usize,
    file_len: usize,
) -> Result<Mutation> {
    let at = position(d, offsets, end, file_len)?;
    Ok(match d.u.int_in_range(0..=6u8)? {
        0 | 1 => Mutation::Flip {
            at,
            mask: d.u.arbitrary::<u8>()? | 1,
        },
        2 => Mutation::Truncate { len: at },
        3 => Mutation::Zero {
            at,
            len: d.u.int_in_range(1..=64)?,
        },
        4 => Mutation::Insert {
            at,
            bytes: small_bytes(d)?,
        },
        5 => Mutation::Append {
            bytes: small_bytes(d)?,
        },
        _ => {
            let i = d.u.choose_index(offsets.len().max(1))?;
            let from = offsets.get(i).copied().unwrap_or(0);
            let next = offsets.get(i + 1).copied().unwrap_or(end);
            Mutation::Copy {
                from,
                len: next.saturating_sub(from),
                to: if d.u.ratio(1, 2)? { end } else { at },
            }
        }
    })
}

/// A byte position: near a record's start (or the end of the records) three times in four,
/// anywhere in the file otherwise.
fn position(d: &mut Dice<'_, '_>, offsets: &[usize], end: usize, file_len: usize) -> Result<usize> {
    if d.u.int_in_range(0..=3u8)? < 3 {
        let i = d.u.choose_index(offsets.len() + 1)?;
        let anchor = offsets.get(i).copied().unwrap_or(end);
        Ok(anchor + d.u.int_in_range(0..=40usize)?)
    } else {
        Ok(d.u.int_in_range(0..=file_len)?)
    }
}

fn small_bytes(d: &mut Dice<'_, '_>) -> Result<Vec<u8>> {
    let len = d.u.int_in_range(1..=48usize)?;
    let fill = d.u.arbitrary::<u8>()?;
    (0..len)
        .map(|_| {
            if fill == 0 {
                d.u.arbitrary::<u8>()
            } else {
                Ok(fill)
            }
        })
        .collect()
}

/// One segment file built from a script.
#[derive(Debug, Clone)]
pub struct SegmentBuild {
    pub header: HeaderPlan,
    pub records: Records,
    pub bytes: Vec<u8>,
    pub mutations: Vec<Mutation>,
}

impl SegmentBuild {
    /// Whether the file is exactly what a writer following FORMAT.md would have written.
    pub fn faithful(&self) -> bool {
        self.header.is_faithful() && self.records.faithful && self.mutations.is_empty()
    }
}

/// A segment continuing `chain` (sealed if `seal`), with up to 64 zero bytes after the
/// records, then its mutations.
pub fn segment(d: &mut Dice<'_, '_>, chain: &Chain, seal: bool) -> Result<SegmentBuild> {
    let header = header(d, chain)?;
    let records = records(d, &header, seal)?;
    let mut bytes = header.encode().to_vec();
    for record in &records.records {
        record.encode(&mut bytes);
    }
    let zeros = d.u.int_in_range(0..=64usize)?;
    bytes.resize(bytes.len() + zeros, 0);
    let mutations = mutations(d, &records.offsets, records.end, bytes.len())?;
    for m in &mutations {
        m.apply(&mut bytes);
    }
    Ok(SegmentBuild {
        header,
        records,
        bytes,
        mutations,
    })
}

/// A stand-alone segment: any segment number, a base sequence number of 1, a small one, or
/// one near `u64::MAX`, sealed half of the time.
pub fn lone_segment(d: &mut Dice<'_, '_>) -> Result<SegmentBuild> {
    let base_seq = match d.u.int_in_range(0..=3u8)? {
        0 => FIRST_SEQ,
        1 => u64::from(d.u.arbitrary::<u16>()?) + 1,
        2 => u64::MAX - d.u.int_in_range(0..=8)?,
        _ => d.u.arbitrary::<u64>()?.max(1),
    };
    let chain = Chain {
        store_id: [0x5A; 16],
        segment_number: u64::from(d.u.arbitrary::<u8>()?),
        base_seq,
        prev_seal_offset: u64::from(d.u.arbitrary::<u16>()?),
    };
    let seal = d.u.ratio(1, 2)?;
    segment(d, &chain, seal)
}

/// The store UUID of the scripted logs, and the one of a foreign store.
pub const STORE_ID: [u8; 16] = [0x5A; 16];
pub const FOREIGN_STORE_ID: [u8; 16] = [0xA5; 16];

/// A log folder's files built from a script.
#[derive(Debug, Clone)]
pub struct LogBuild {
    /// `(file name, bytes)`, segments and decoys.
    pub files: Vec<(String, Vec<u8>)>,
    /// Whether the segments are exactly what a writer following FORMAT.md would have left
    /// (decoy files aside, which readers must ignore).
    pub faithful: bool,
    /// For a faithful log: each segment's base sequence number, records (a seal included) and
    /// whether it is sealed; and the next sequence number of the log.
    pub segments: Vec<(u64, u64, bool)>,
    pub next_seq: u64,
}

/// `chain` with each field rarely wrong.
fn misplaced(d: &mut Dice<'_, '_>, chain: Chain) -> Result<Chain> {
    let mut this = chain;
    if d.rarely(5)? {
        this.store_id = FOREIGN_STORE_ID;
    }
    if d.rarely(5)? {
        this.segment_number = this
            .segment_number
            .wrapping_add(*d.u.choose(&[1, u64::MAX])?);
    }
    if d.rarely(5)? {
        this.base_seq = this.base_seq.wrapping_add(*d.u.choose(&[1, u64::MAX])?);
    }
    if d.rarely(5)? {
        this.prev_seal_offset = this.prev_seal_offset.wrapping_add(*d.u.choose(&[1, 32])?);
    }
    Ok(this)
}

/// A torn write: the segment cut or zeroed from somewhere inside its last record on.
fn tear(d: &mut Dice<'_, '_>, seg: &mut SegmentBuild) -> Result<()> {
    if let Some(&start) = seg.records.offsets.last() {
        let at = start + d.u.int_in_range(0..=seg.records.end - start)?;
        let tear = if d.u.ratio(1, 2)? {
            Mutation::Truncate { len: at }
        } else {
            Mutation::Zero {
                at,
                len: seg.records.end - at,
            }
        };
        tear.apply(&mut seg.bytes);
        seg.mutations.push(tear);
    }
    Ok(())
}

/// One to four segments chained as FORMAT.md's "The log" requires: every header field, every
/// seal and every file name rarely wrong, a non-last segment rarely left unsealed, the last one
/// rarely sealed; then mutations of the files' bytes, rarely a deleted segment file, and rarely
/// a file that is not a segment (which readers ignore).
pub fn log(d: &mut Dice<'_, '_>) -> Result<LogBuild> {
    let count = d.u.int_in_range(1..=4usize)?;
    let mut chain = Chain {
        store_id: STORE_ID,
        segment_number: 0,
        base_seq: FIRST_SEQ,
        prev_seal_offset: 0,
    };
    let mut build = LogBuild {
        files: Vec::new(),
        faithful: true,
        segments: Vec::new(),
        next_seq: FIRST_SEQ,
    };
    for k in 0..count {
        let is_last = k + 1 == count;
        let correct = chain;
        let this = misplaced(d, chain)?;
        // A sealed last segment is valid (a writer stopped between sealing and creating the
        // next one), so it is not a fault.
        let seal = if is_last {
            d.u.int_in_range(0..=7u8)? == 7
        } else {
            !d.rarely(8)?
        };
        let mut seg = segment(d, &this, seal)?;
        if is_last && d.rarely(64)? {
            tear(d, &mut seg)?;
        }
        let name_base = if d.rarely(4)? {
            seg.header.base_seq.wrapping_add(1)
        } else {
            seg.header.base_seq
        };
        let chained = this.store_id == correct.store_id
            && this.segment_number == correct.segment_number
            && this.base_seq == correct.base_seq
            && (k == 0 || this.prev_seal_offset == correct.prev_seal_offset);
        build.faithful &=
            seg.faithful() && chained && (seal || is_last) && name_base == seg.header.base_seq;
        let records = seg.records.next_seq.wrapping_sub(seg.header.base_seq);
        build.segments.push((seg.header.base_seq, records, seal));
        build.next_seq = seg.records.next_seq;
        chain = Chain {
            store_id: STORE_ID,
            segment_number: correct.segment_number + 1,
            base_seq: seg.records.next_seq,
            prev_seal_offset: seg.records.seal_offset.unwrap_or(0),
        };
        // Two segments with one name (a wrong one) are one file: the later write.
        let name = segment_name(name_base);
        build.files.retain(|(n, _)| *n != name);
        build.files.push((name, seg.bytes));
    }
    if d.rarely(6)? {
        let i = d.u.choose_index(build.files.len())?;
        build.files.remove(i);
        build.faithful = false;
    }
    if d.u.int_in_range(0..=15u8)? == 15 {
        let decoy = match d.u.int_in_range(0..=2u8)? {
            0 => format!("{}.tmp", segment_name(build.next_seq)),
            1 => format!("{}.seg", build.next_seq),
            _ => "LOCK.seg".to_string(),
        };
        let bytes = build.files.first().map(|f| f.1.clone()).unwrap_or_default();
        build.files.push((decoy, bytes));
    }
    Ok(build)
}
