//! Bodies of the records the log itself writes (seal, torn-tail cut, repair).
//! All fields are little-endian; every body has a fixed layout documented in FORMAT.md.

use super::{get_u32, get_u64, Defect, SegmentHeader};

/// Body of a [`super::RecordType::SEAL`] record: closes a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealBody {
    /// The segment being sealed.
    pub segment_number: u64,
    /// Sequence number of the segment's first record.
    pub first_seq: u64,
    /// Records in the segment before the seal.
    pub record_count: u64,
    /// Byte offset of the seal record itself.
    pub seal_offset: u64,
}

/// Length of an encoded [`SealBody`].
pub const SEAL_BODY_LEN: usize = 32;

impl SealBody {
    /// The only valid seal of the segment with `header` when the seal record has sequence
    /// number `seal_seq` and starts at `seal_offset`; `None` if `seal_seq` is before the
    /// segment's first record.
    pub fn for_segment(
        header: &SegmentHeader,
        seal_seq: u64,
        seal_offset: u64,
    ) -> Option<SealBody> {
        Some(SealBody {
            segment_number: header.segment_number,
            first_seq: header.base_seq,
            record_count: seal_seq.checked_sub(header.base_seq)?,
            seal_offset,
        })
    }

    /// Encodes the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SEAL_BODY_LEN);
        for v in [
            self.segment_number,
            self.first_seq,
            self.record_count,
            self.seal_offset,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes the body; valid if and only if it is exactly [`SEAL_BODY_LEN`] bytes.
    pub fn decode(body: &[u8]) -> Result<SealBody, Defect> {
        exact_len(body, SEAL_BODY_LEN, "seal body length")?;
        Ok(SealBody {
            segment_number: get_u64(body, 0),
            first_seq: get_u64(body, 8),
            record_count: get_u64(body, 16),
            seal_offset: get_u64(body, 24),
        })
    }
}

/// Body of a [`super::RecordType::TORN_CUT`] record: a torn tail was cut before an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornCutBody {
    /// Segment that held the torn tail.
    pub segment_number: u64,
    /// Byte offset where the torn tail started (where this record was written).
    pub offset: u64,
    /// Number of bytes that were cut (zeroed), counted up to the last non-zero byte.
    pub bytes_dropped: u64,
}

/// Length of an encoded [`TornCutBody`].
pub const TORN_CUT_BODY_LEN: usize = 24;

impl TornCutBody {
    /// Encodes the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TORN_CUT_BODY_LEN);
        for v in [self.segment_number, self.offset, self.bytes_dropped] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes the body; valid if and only if it is exactly [`TORN_CUT_BODY_LEN`] bytes.
    pub fn decode(body: &[u8]) -> Result<TornCutBody, Defect> {
        exact_len(body, TORN_CUT_BODY_LEN, "torn-cut body length")?;
        Ok(TornCutBody {
            segment_number: get_u64(body, 0),
            offset: get_u64(body, 8),
            bytes_dropped: get_u64(body, 16),
        })
    }
}

/// Body of a [`super::RecordType::REPAIR`] record: an explicit repair cut a corrupt log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairBody {
    /// Segment in which the log was cut.
    pub segment_number: u64,
    /// Byte offset at which it was cut (where this record was written).
    pub offset: u64,
    /// Bytes cut from that segment.
    pub bytes_cut: u64,
    /// Whole segments moved out of the log after the cut.
    pub segments_removed: u32,
    /// Name of the folder (inside `log/`) holding the copy of everything cut (UTF-8).
    pub salvage_dir: String,
    /// The checkpoint records the cut removed whose trees covered records it removed (so
    /// that a checkpoint of them held outside is known to disagree because of this repair).
    /// Empty when the cut removed no such checkpoint; then nothing follows the name.
    pub checkpoints_cut: Vec<CutCheckpoint>,
}

/// A checkpoint record that a repair cut out of the log, as the repair record lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutCheckpoint {
    /// The checkpoint record's sequence number.
    pub seq: u64,
    /// Its tree size (the records it covered: `1..=size`).
    pub size: u64,
    /// Its root.
    pub root: [u8; 32],
    /// Whether its note carried a signature.
    pub signed: bool,
}

/// Length of the fixed part of an encoded [`RepairBody`].
pub const REPAIR_BODY_FIXED_LEN: usize = 32;

/// Length of one encoded [`CutCheckpoint`].
pub const CUT_CHECKPOINT_LEN: usize = 49;

impl CutCheckpoint {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.root);
        out.push(u8::from(self.signed));
    }

    fn decode(bytes: &[u8]) -> Result<CutCheckpoint, Defect> {
        let signed = match bytes[48] {
            0 => false,
            1 => true,
            v => {
                return Err(Defect::BadField {
                    field: "repair cut checkpoint signed flag",
                    value: u64::from(v),
                })
            }
        };
        Ok(CutCheckpoint {
            seq: get_u64(bytes, 0),
            size: get_u64(bytes, 8),
            root: bytes[16..48].try_into().expect("32 bytes"),
            signed,
        })
    }
}

impl RepairBody {
    /// Encodes the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(REPAIR_BODY_FIXED_LEN + self.salvage_dir.len());
        for v in [self.segment_number, self.offset, self.bytes_cut] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.segments_removed.to_le_bytes());
        out.extend_from_slice(&(self.salvage_dir.len() as u32).to_le_bytes());
        out.extend_from_slice(self.salvage_dir.as_bytes());
        if !self.checkpoints_cut.is_empty() {
            out.extend_from_slice(&(self.checkpoints_cut.len() as u32).to_le_bytes());
            for cut in &self.checkpoints_cut {
                cut.encode(&mut out);
            }
        }
        out
    }

    /// Decodes the body; valid if and only if the name length fits the bytes that follow
    /// the fixed part, the name is UTF-8, and either nothing follows the name or a count
    /// (at least 1) of cut checkpoints and exactly that many follow (FORMAT.md, *Repair
    /// record*).
    pub fn decode(body: &[u8]) -> Result<RepairBody, Defect> {
        let bad_len = || Defect::BadField {
            field: "repair body length",
            value: body.len() as u64,
        };
        if body.len() < REPAIR_BODY_FIXED_LEN {
            return Err(bad_len());
        }
        let name_len = get_u32(body, 28) as usize;
        let name_end = REPAIR_BODY_FIXED_LEN + name_len;
        if body.len() < name_end {
            return Err(bad_len());
        }
        let checkpoints_cut =
            Self::decode_cut_checkpoints(&body[name_end..]).ok_or_else(bad_len)??;
        let salvage_dir = std::str::from_utf8(&body[REPAIR_BODY_FIXED_LEN..name_end])
            .map_err(|_| Defect::BadField {
                field: "repair salvage folder name",
                value: 0,
            })?
            .to_owned();
        Ok(RepairBody {
            segment_number: get_u64(body, 0),
            offset: get_u64(body, 8),
            bytes_cut: get_u64(body, 16),
            segments_removed: get_u32(body, 24),
            salvage_dir,
            checkpoints_cut,
        })
    }

    /// The list of cut checkpoints after the name: `None` if its length is wrong.
    fn decode_cut_checkpoints(rest: &[u8]) -> Option<Result<Vec<CutCheckpoint>, Defect>> {
        if rest.is_empty() {
            return Some(Ok(Vec::new()));
        }
        if rest.len() < 4 {
            return None;
        }
        let count = get_u32(rest, 0) as usize;
        let list = &rest[4..];
        if count == 0 || list.len() != count.checked_mul(CUT_CHECKPOINT_LEN)? {
            return None;
        }
        Some(
            list.chunks_exact(CUT_CHECKPOINT_LEN)
                .map(CutCheckpoint::decode)
                .collect(),
        )
    }
}

fn exact_len(body: &[u8], expected: usize, field: &'static str) -> Result<(), Defect> {
    if body.len() == expected {
        Ok(())
    } else {
        Err(Defect::BadField {
            field,
            value: body.len() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_bodies_round_trip() {
        let seal = SealBody {
            segment_number: 1,
            first_seq: 2,
            record_count: 3,
            seal_offset: 4,
        };
        assert_eq!(SealBody::decode(&seal.encode()), Ok(seal));
        let cut = TornCutBody {
            segment_number: 5,
            offset: 6,
            bytes_dropped: 7,
        };
        assert_eq!(TornCutBody::decode(&cut.encode()), Ok(cut));
        let repair = RepairBody {
            segment_number: 8,
            offset: 9,
            bytes_cut: 10,
            segments_removed: 2,
            salvage_dir: "salvage-1".into(),
            checkpoints_cut: Vec::new(),
        };
        assert_eq!(RepairBody::decode(&repair.encode()), Ok(repair.clone()));
        let with_cuts = RepairBody {
            checkpoints_cut: vec![
                CutCheckpoint {
                    seq: 11,
                    size: 10,
                    root: [3; 32],
                    signed: false,
                },
                CutCheckpoint {
                    seq: 20,
                    size: 19,
                    root: [4; 32],
                    signed: true,
                },
            ],
            ..repair.clone()
        };
        let encoded = with_cuts.encode();
        assert_eq!(
            encoded.len(),
            repair.encode().len() + 4 + 2 * CUT_CHECKPOINT_LEN
        );
        assert_eq!(RepairBody::decode(&encoded), Ok(with_cuts));
        for len in repair.encode().len() + 1..encoded.len() {
            assert!(RepairBody::decode(&encoded[..len]).is_err(), "cut to {len}");
        }
        let mut zero_count = repair.encode();
        zero_count.extend_from_slice(&0u32.to_le_bytes());
        assert!(RepairBody::decode(&zero_count).is_err());
        let mut bad_flag = encoded.clone();
        *bad_flag.last_mut().unwrap() = 2;
        assert!(RepairBody::decode(&bad_flag).is_err());
    }

    #[test]
    fn truncated_system_bodies_are_rejected() {
        let seal = SealBody {
            segment_number: 1,
            first_seq: 2,
            record_count: 3,
            seal_offset: 4,
        };
        assert!(SealBody::decode(&seal.encode()[..31]).is_err());
        assert!(RepairBody::decode(&[0u8; 31]).is_err());
    }
}
