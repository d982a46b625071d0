//! Proof files: an inclusion proof (`c2sp.org/tlog-proof@v1`) and a consistency proof (the
//! body of tlog-witness's `add-checkpoint`: `old <size>`, the proof, a blank line, the new
//! checkpoint).

use super::{
    b64, b64_decode, check_text, decode_decimal, decode_hash, error, Checkpoint, NoteError,
};
use crate::merkle::{Hash, MAX_PROOF_HASHES};

/// The first line of an inclusion proof file.
pub const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most consistency proof lines tlog-witness allows.
const MAX_CONSISTENCY_LINES: usize = 63;

/// An inclusion proof file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofFile {
    /// Unauthenticated extra data (strata: the leaf input of the record, which the verifier
    /// hashes into the leaf and so authenticates through the proof).
    pub extra: Option<Vec<u8>>,
    /// The leaf index (a record's sequence number minus one).
    pub index: u64,
    /// The inclusion proof, from the leaf's sibling up.
    pub proof: Vec<Hash>,
    /// The checkpoint the proof is against, verbatim.
    pub checkpoint: Checkpoint,
}

impl ProofFile {
    /// The file's bytes.
    pub fn encode(&self) -> String {
        let mut out = format!("{PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", b64(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        push_hashes(&mut out, &self.proof);
        out.push('\n');
        out.push_str(&self.checkpoint.encode());
        out
    }

    /// Parses a proof file strictly.
    pub fn parse(bytes: &[u8]) -> Result<ProofFile, NoteError> {
        let text = check_text(bytes)?;
        let mut lines = Lines::new(text);
        if lines.next_line()? != PROOF_HEADER {
            return Err(error(1, format!("the first line is not {PROOF_HEADER}")));
        }
        let mut line = lines.next_line()?;
        let mut extra = None;
        if let Some(data) = line.strip_prefix("extra ") {
            let bytes = b64_decode(data)
                .filter(|b| !b.is_empty())
                .ok_or_else(|| error(lines.number, "the extra data is not non-empty base64"))?;
            extra = Some(bytes);
            line = lines.next_line()?;
        }
        let index = line
            .strip_prefix("index ")
            .ok_or_else(|| error(lines.number, "expected `index <n>`"))?;
        let index = decode_decimal(index, lines.number)?;
        let proof = lines.hashes(MAX_PROOF_HASHES)?;
        let checkpoint = Checkpoint::parse(lines.rest().as_bytes()).map_err(|e| lines.shift(e))?;
        Ok(ProofFile {
            extra,
            index,
            proof,
            checkpoint,
        })
    }
}

/// A consistency proof file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyFile {
    /// The size of the older tree.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The newer checkpoint, verbatim.
    pub checkpoint: Checkpoint,
}

impl ConsistencyFile {
    /// The file's bytes.
    pub fn encode(&self) -> String {
        let mut out = format!("old {}\n", self.old);
        push_hashes(&mut out, &self.proof);
        out.push('\n');
        out.push_str(&self.checkpoint.encode());
        out
    }

    /// Parses a consistency proof file strictly.
    pub fn parse(bytes: &[u8]) -> Result<ConsistencyFile, NoteError> {
        let text = check_text(bytes)?;
        let mut lines = Lines::new(text);
        let line = lines.next_line()?;
        let old = line
            .strip_prefix("old ")
            .ok_or_else(|| error(1, "expected `old <size>`"))?;
        let old = decode_decimal(old, 1)?;
        let proof = lines.hashes(MAX_CONSISTENCY_LINES)?;
        let checkpoint = Checkpoint::parse(lines.rest().as_bytes()).map_err(|e| lines.shift(e))?;
        Ok(ConsistencyFile {
            old,
            proof,
            checkpoint,
        })
    }
}

fn push_hashes(out: &mut String, hashes: &[Hash]) {
    for hash in hashes {
        out.push_str(&b64(hash));
        out.push('\n');
    }
}

/// Newline-terminated lines, counted from 1.
struct Lines<'a> {
    rest: &'a str,
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            rest: text,
            number: 0,
        }
    }

    fn next_line(&mut self) -> Result<&'a str, NoteError> {
        self.number += 1;
        let (line, rest) = self
            .rest
            .split_once('\n')
            .ok_or_else(|| error(self.number, "the file ends before this line's newline"))?;
        self.rest = rest;
        Ok(line)
    }

    /// Hash lines up to (and consuming) the blank line.
    fn hashes(&mut self, max: usize) -> Result<Vec<Hash>, NoteError> {
        let mut hashes = Vec::new();
        loop {
            let line = self.next_line()?;
            if line.is_empty() {
                return Ok(hashes);
            }
            if hashes.len() == max {
                return Err(error(
                    self.number,
                    format!("a proof has at most {max} hashes"),
                ));
            }
            hashes.push(decode_hash(line, self.number)?);
        }
    }

    fn rest(&self) -> &'a str {
        self.rest
    }

    /// An error in the embedded checkpoint, renumbered to the file's lines.
    fn shift(&self, mut e: NoteError) -> NoteError {
        if e.line > 0 {
            e.line += self.number;
        }
        e.what = format!("in the checkpoint: {}", e.what);
        e
    }
}
