//! The Merkle leaf of a log record and the body of a checkpoint record (FORMAT.md, *The
//! Merkle tree*): pure functions over bytes.

use super::{get_u64, Defect, RecordType};
use crate::merkle::{Frontier, Hash, MAX_PROOF_HASHES};

/// The record type of a `table_bytes` record (the store's small tables inside the log),
/// whose leaf commits to its table bytes only through their SHA-256.
pub const TABLE_BYTES: RecordType = RecordType(0x0101);

/// The bytes of a `table_bytes` body a leaf commits to: version (1), SHA-256 (32) and
/// length (8). The table bytes that follow are committed through that hash, never as leaf
/// content, so that erasing them later leaves every checkpoint and proof valid.
pub const TABLE_BYTES_COMMITTED_LEN: usize = 41;

/// The bytes before the commitment in a leaf input: seq, time, type, flags.
pub const LEAF_PREFIX_LEN: usize = 20;

/// The part of a record's body its leaf commits to: the whole body, except for
/// `table_bytes` records (the first [`TABLE_BYTES_COMMITTED_LEN`] bytes, or the whole body
/// if shorter: such a body is refused by the store anyway).
pub fn leaf_commitment(record_type: RecordType, body: &[u8]) -> &[u8] {
    if record_type == TABLE_BYTES {
        &body[..body.len().min(TABLE_BYTES_COMMITTED_LEN)]
    } else {
        body
    }
}

/// The 20 bytes of a leaf input before the commitment: `seq` (u64), append time (i64),
/// record type (u16), flags (u16, zero in versions 1 and 2), little-endian. The CRCs and
/// the body length are framing and are not in the leaf.
pub fn leaf_prefix(seq: u64, time: i64, record_type: RecordType) -> [u8; LEAF_PREFIX_LEN] {
    let mut out = [0u8; LEAF_PREFIX_LEN];
    out[0..8].copy_from_slice(&seq.to_le_bytes());
    out[8..16].copy_from_slice(&time.to_le_bytes());
    out[16..18].copy_from_slice(&record_type.0.to_le_bytes());
    out
}

/// The whole leaf input of a record: [`leaf_prefix`] then [`leaf_commitment`].
pub fn leaf_input(seq: u64, time: i64, record_type: RecordType, body: &[u8]) -> Vec<u8> {
    let commitment = leaf_commitment(record_type, body);
    let mut out = Vec::with_capacity(LEAF_PREFIX_LEN + commitment.len());
    out.extend_from_slice(&leaf_prefix(seq, time, record_type));
    out.extend_from_slice(commitment);
    out
}

/// The Merkle leaf hash of a record: `SHA-256(0x00 ‖ leaf input)`.
pub fn record_leaf(seq: u64, time: i64, record_type: RecordType, body: &[u8]) -> Hash {
    crate::merkle::leaf_hash_parts(&[
        &leaf_prefix(seq, time, record_type),
        leaf_commitment(record_type, body),
    ])
}

/// A leaf input split back into its fields (what `strata verify-proof` decodes from a
/// proof's extra data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafInput<'a> {
    /// The record's sequence number (leaf index + 1).
    pub seq: u64,
    /// Its append time.
    pub time: i64,
    /// Its record type.
    pub record_type: RecordType,
    /// The committed bytes (the body, or a `table_bytes` head).
    pub commitment: &'a [u8],
}

impl<'a> LeafInput<'a> {
    /// Splits a leaf input; `None` if it is shorter than the prefix or its flags are set.
    pub fn parse(input: &'a [u8]) -> Option<LeafInput<'a>> {
        if input.len() < LEAF_PREFIX_LEN || input[18..20] != [0, 0] {
            return None;
        }
        Some(LeafInput {
            seq: get_u64(input, 0),
            time: get_u64(input, 8) as i64,
            record_type: RecordType(u16::from_le_bytes([input[16], input[17]])),
            commitment: &input[LEAF_PREFIX_LEN..],
        })
    }
}

/// The version of the checkpoint body this build writes and reads.
pub const CHECKPOINT_BODY_VERSION: u8 = 1;

/// The body of a checkpoint record (type `0x0004`): the tree of every record before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The tree size: the number of records before this one (its seq minus one).
    pub size: u64,
    /// The RFC 6962 root of those records' leaves.
    pub root: Hash,
    /// The compact frontier of that tree, largest subtree first.
    pub frontier: Vec<Hash>,
    /// The SHA-256 of the catalog image of the snapshot taken at this record, if any.
    pub catalog_digest: Option<Hash>,
    /// The C2SP checkpoint note (origin, size, root), signed or not, as UTF-8 text.
    pub note: String,
}

impl CheckpointBody {
    /// Encodes the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(90 + 32 * self.frontier.len() + self.note.len());
        out.push(CHECKPOINT_BODY_VERSION);
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.root);
        out.push(self.frontier.len() as u8);
        for hash in &self.frontier {
            out.extend_from_slice(hash);
        }
        match &self.catalog_digest {
            Some(digest) => {
                out.push(1);
                out.extend_from_slice(digest);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&(self.note.len() as u32).to_le_bytes());
        out.extend_from_slice(self.note.as_bytes());
        out
    }

    /// Decodes the body, checking what the body alone can say: the layout, the frontier
    /// count (one hash per set bit of the size) and that the frontier hashes to the root.
    /// The note's agreement with the fields and the size's with the record's seq are
    /// checked by [`CheckpointBody::check`].
    pub fn decode(body: &[u8]) -> Result<CheckpointBody, Defect> {
        let mut r = Reader { body, at: 0 };
        let version = r.take(1, "checkpoint body length")?[0];
        if version != CHECKPOINT_BODY_VERSION {
            return Err(bad("checkpoint body version", version as u64));
        }
        let size = get_u64(r.take(8, "checkpoint body length")?, 0);
        let root: Hash = r
            .take(32, "checkpoint body length")?
            .try_into()
            .expect("32");
        let count = r.take(1, "checkpoint body length")?[0] as usize;
        if count > MAX_PROOF_HASHES {
            return Err(bad("checkpoint frontier count", count as u64));
        }
        let mut frontier = Vec::with_capacity(count);
        for _ in 0..count {
            frontier.push(
                r.take(32, "checkpoint body length")?
                    .try_into()
                    .expect("32"),
            );
        }
        let catalog_digest = match r.take(1, "checkpoint body length")?[0] {
            0 => None,
            1 => Some(
                r.take(32, "checkpoint body length")?
                    .try_into()
                    .expect("32"),
            ),
            flag => return Err(bad("checkpoint catalog digest flag", flag as u64)),
        };
        let note_len = super::get_u32(r.take(4, "checkpoint body length")?, 0) as usize;
        let note = r.take(note_len, "checkpoint body length")?;
        if r.at != body.len() {
            return Err(bad("checkpoint body length", body.len() as u64));
        }
        let note = std::str::from_utf8(note)
            .map_err(|_| bad("checkpoint note (not UTF-8)", 0))?
            .to_owned();
        let parsed = Frontier::from_parts(size, frontier.clone())
            .map_err(|_| bad("checkpoint frontier count", count as u64))?;
        if parsed.root() != root {
            return Err(bad("checkpoint frontier (does not hash to the root)", size));
        }
        Ok(CheckpointBody {
            size,
            root,
            frontier,
            catalog_digest,
            note,
        })
    }

    /// The frontier as a [`Frontier`] (decode checked its count).
    pub fn frontier(&self) -> Frontier {
        Frontier::from_parts(self.size, self.frontier.clone()).expect("checked on decode")
    }

    /// Checks the body against the record that holds it: its size is `seq - 1`, and its
    /// note is a checkpoint of `origin` with the body's size and root.
    pub fn check(&self, seq: u64, origin: &str) -> Result<crate::note::Checkpoint, Defect> {
        if self.size != seq - 1 {
            return Err(bad(
                "checkpoint tree size (not the record's seq minus one)",
                self.size,
            ));
        }
        let note = crate::note::Checkpoint::parse(self.note.as_bytes()).map_err(|e| {
            Defect::BadCheckpoint {
                detail: format!("checkpoint note: {e}"),
            }
        })?;
        if note.origin != origin || note.size != self.size || note.root != self.root {
            return Err(Defect::BadCheckpoint {
                detail: format!(
                    "checkpoint note says {} at size {}, the record {origin} at size {}",
                    note.origin, note.size, self.size
                ),
            });
        }
        Ok(note)
    }
}

fn bad(field: &'static str, value: u64) -> Defect {
    Defect::BadCheckpoint {
        detail: format!("{field} {value}"),
    }
}

struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Defect> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.body.len());
        let end = end.ok_or(bad(field, self.body.len() as u64))?;
        let out = &self.body[self.at..end];
        self.at = end;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    fn sample(size: u64) -> CheckpointBody {
        let mut frontier = Frontier::new();
        for i in 0..size {
            frontier.push(leaf_hash(&i.to_le_bytes())).unwrap();
        }
        let root = frontier.root();
        CheckpointBody {
            size,
            root,
            frontier: frontier.hashes().to_vec(),
            catalog_digest: Some([7; 32]),
            note: crate::note::Checkpoint::new("strata/o", size, root).encode(),
        }
    }

    #[test]
    fn a_checkpoint_body_round_trips_and_checks_against_its_record() {
        for size in [0, 1, 5, 64, 1000] {
            let body = sample(size);
            let decoded = CheckpointBody::decode(&body.encode()).unwrap();
            assert_eq!(decoded, body);
            assert_eq!(decoded.frontier().root(), body.root);
            decoded.check(size + 1, "strata/o").unwrap();
            assert!(decoded.check(size + 2, "strata/o").is_err());
            assert!(decoded.check(size + 1, "strata/other").is_err());
        }
    }

    #[test]
    fn a_checkpoint_body_whose_frontier_or_length_is_wrong_is_refused() {
        let bytes = sample(5).encode();
        // Every truncation and every extension.
        for cut in 0..bytes.len() {
            assert!(
                CheckpointBody::decode(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(CheckpointBody::decode(&longer).is_err());
        // A frontier hash changed: it no longer hashes to the root.
        let mut flipped = bytes.clone();
        flipped[42] ^= 1;
        assert!(CheckpointBody::decode(&flipped).is_err());
        // The root changed.
        let mut root = bytes;
        root[9] ^= 1;
        assert!(CheckpointBody::decode(&root).is_err());
    }

    #[test]
    fn a_table_bytes_leaf_commits_to_the_head_only() {
        let mut body = vec![1u8];
        body.extend_from_slice(&[9; 32]);
        body.extend_from_slice(&5u64.to_le_bytes());
        let head = body.clone();
        body.extend_from_slice(b"hello");
        let erased = {
            let mut b = head.clone();
            b.extend_from_slice(b"\0\0\0\0\0");
            b
        };
        assert_eq!(
            record_leaf(3, 10, TABLE_BYTES, &body),
            record_leaf(3, 10, TABLE_BYTES, &erased)
        );
        assert_eq!(leaf_commitment(TABLE_BYTES, &body), &head[..]);
        // Any other type commits to its whole body.
        let event = RecordType(0x0100);
        assert_ne!(
            record_leaf(3, 10, event, &body),
            record_leaf(3, 10, event, &erased)
        );
        // The prefix binds seq, time and type.
        let base = record_leaf(3, 10, event, b"x");
        assert_ne!(base, record_leaf(4, 10, event, b"x"));
        assert_ne!(base, record_leaf(3, 11, event, b"x"));
        assert_ne!(base, record_leaf(3, 10, RecordType(0x0102), b"x"));
        let input = leaf_input(3, 10, event, b"x");
        assert_eq!(crate::merkle::leaf_hash(&input), base);
        let parsed = LeafInput::parse(&input).unwrap();
        assert_eq!(
            (
                parsed.seq,
                parsed.time,
                parsed.record_type,
                parsed.commitment
            ),
            (3, 10, event, &b"x"[..])
        );
    }
}
