//! The sniff step of CSV ingest: the start of a file read up to the end of its header line,
//! a UTF-8 byte order mark recognised, and the field delimiter detected from the header.
//!
//! The bytes read here are not lost: the scan parses them first, then the rest of the stream
//! (see [`super::ingest`]).

use super::ingest::READ_CHUNK;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{self, Read};

/// The UTF-8 byte order mark some tools (Excel) write before the first header name.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much of the file's start may be buffered to find the end of the header line.
pub const HEADER_PREFIX_LIMIT: usize = 1024 * 1024;

/// The field delimiter of a CSV file.
///
/// On disk: a `u32` variant index in declaration order (FORMAT.md, "Dataset events",
/// `TableRecord`), so reordering, inserting or removing a variant is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `\t`
    Tab,
    /// `;`
    Semicolon,
}

impl Delimiter {
    /// Candidates in tie-breaking order: comma wins ties.
    const CANDIDATES: [Delimiter; 3] = [Delimiter::Comma, Delimiter::Tab, Delimiter::Semicolon];

    /// The delimiter byte.
    pub fn as_byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Tab => b'\t',
            Delimiter::Semicolon => b';',
        }
    }
}

impl fmt::Display for Delimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Delimiter::Comma => "comma",
            Delimiter::Tab => "tab",
            Delimiter::Semicolon => "semicolon",
        })
    }
}

/// The start of the file, read up to the end of the header line to detect the delimiter.
pub(super) struct HeaderPrefix {
    pub(super) bytes: Vec<u8>,
    /// Bytes of the UTF-8 byte order mark at the start (0 or 3).
    pub(super) bom_len: usize,
    pub(super) delimiter: Delimiter,
}

/// Reads until the header line is complete (or end of file, or [`HEADER_PREFIX_LIMIT`]).
pub(super) fn read_header_prefix<R: Read>(source: &mut R) -> io::Result<HeaderPrefix> {
    let mut bytes = Vec::new();
    let mut line = HeaderLineScan::default();
    let mut bom_len = None;
    loop {
        let scanned = bytes.len();
        let at_end = read_chunk_into(source, &mut bytes)? == 0;
        // The BOM is known only once three bytes (or the whole file) are in.
        if bom_len.is_none() && (bytes.len() >= UTF8_BOM.len() || at_end) {
            bom_len = Some(if bytes.starts_with(UTF8_BOM) {
                UTF8_BOM.len()
            } else {
                0
            });
            line.feed(&bytes[bom_len.unwrap_or(0)..]);
        } else if let Some(bom) = bom_len {
            line.feed(&bytes[scanned.max(bom)..]);
        }
        if at_end || line.complete || bytes.len() >= HEADER_PREFIX_LIMIT {
            return Ok(HeaderPrefix {
                bytes,
                bom_len: bom_len.unwrap_or(0),
                delimiter: line.delimiter(),
            });
        }
    }
}

/// Appends one read of at most [`READ_CHUNK`] bytes; returns how many were read.
fn read_chunk_into<R: Read>(source: &mut R, bytes: &mut Vec<u8>) -> io::Result<usize> {
    let start = bytes.len();
    bytes.resize(start + READ_CHUNK, 0);
    let result = source.read(&mut bytes[start..]);
    let n = *result.as_ref().unwrap_or(&0);
    bytes.truncate(start + n);
    result
}

/// Counts delimiter candidates outside quotes in the first non-blank line, fed incrementally.
#[derive(Debug, Default)]
struct HeaderLineScan {
    in_quotes: bool,
    seen_content: bool,
    complete: bool,
    /// Occurrences of each of [`Delimiter::CANDIDATES`].
    counts: [u64; 3],
}

impl HeaderLineScan {
    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if self.complete {
                return;
            }
            self.feed_byte(byte);
        }
    }

    fn feed_byte(&mut self, byte: u8) {
        match byte {
            b'"' => self.in_quotes = !self.in_quotes,
            // Blank lines before the header are skipped, as the CSV reader skips them.
            b'\n' | b'\r' if !self.in_quotes => {
                self.complete = self.seen_content;
                return;
            }
            _ if self.in_quotes => {}
            _ => {
                if let Some(i) = Delimiter::CANDIDATES
                    .iter()
                    .position(|d| d.as_byte() == byte)
                {
                    self.counts[i] += 1;
                }
            }
        }
        self.seen_content = true;
    }

    /// The most frequent candidate; the earliest in [`Delimiter::CANDIDATES`] wins ties.
    fn delimiter(&self) -> Delimiter {
        let mut best = 0;
        for i in 1..self.counts.len() {
            if self.counts[i] > self.counts[best] {
                best = i;
            }
        }
        Delimiter::CANDIDATES[best]
    }
}
