//! The CSV record reader of the ingest scan: `csv-core`'s parser over a buffered source, with
//! the positions and the equal-length rule of the `csv` crate's `Reader` (`has_headers`,
//! `flexible(false)`), which it replaces.
//!
//! The reason is the parser's construction: `csv_core::ReaderBuilder::build` compiles the
//! parser's state machine, about 19 µs here, a tenth of the CPU an upload of a small table
//! costs. `csv::Reader` builds one per reader; this reader takes one built before from a pool
//! and returns it, reset, when done.

use super::sniff::Delimiter;
use csv_core::ReadRecordResult;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::{Mutex, OnceLock};

/// Where the parser is: the byte offset (of what the parser was given) and the 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub byte: u64,
    pub line: u64,
}

/// Why a record could not be read.
#[derive(Debug)]
pub(super) enum RecordError {
    /// The source failed.
    Io(io::Error),
    /// The record has another number of fields than the first record (the header).
    UnequalLengths {
        /// Where the record starts.
        start: Position,
        expected: u64,
        found: u64,
    },
}

/// One record: its fields' bytes back to back, and where each ends.
#[derive(Debug, Default)]
pub(super) struct Record {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
    /// Where the parser was when it started reading this record (before any blank lines
    /// it skipped, as the `csv` crate reports it).
    pub start: Option<Position>,
}

impl Record {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the record has no field.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The fields' bytes, back to back.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.ends[..self.len].last().copied().unwrap_or(0)]
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.ends[..self.len].iter().scan(0, |start, &end| {
            let field = &self.bytes[*start..end];
            *start = end;
            Some(field)
        })
    }
}

/// A parser with the default settings of `csv::ReaderBuilder` (quote `"`, doubled quotes, no
/// escape, no comments, CR, LF or CRLF ends a record) for one delimiter, taken from a pool of
/// parsers built before and returned to it, reset, when dropped.
///
/// A pool and not a clone of one parser built once: `csv_core::Reader`'s `Clone` (0.1.13)
/// copies only part of the state machine, and a clone parses nothing.
struct PooledParser {
    parser: Option<csv_core::Reader>,
    delimiter: usize,
}

/// Parsers kept per delimiter: as many as scans ran at once, up to this many.
const POOLED_PER_DELIMITER: usize = 16;

fn pool() -> &'static Mutex<[Vec<csv_core::Reader>; 3]> {
    static POOL: OnceLock<Mutex<[Vec<csv_core::Reader>; 3]>> = OnceLock::new();
    POOL.get_or_init(Default::default)
}

impl PooledParser {
    fn take(delimiter: Delimiter) -> PooledParser {
        let index = match delimiter {
            Delimiter::Comma => 0,
            Delimiter::Tab => 1,
            Delimiter::Semicolon => 2,
        };
        // A pool poisoned by a panic elsewhere still holds whole, reset parsers.
        let pooled = pool().lock().unwrap_or_else(|e| e.into_inner())[index].pop();
        let parser = pooled.unwrap_or_else(|| {
            csv_core::ReaderBuilder::new()
                .delimiter(delimiter.as_byte())
                .build()
        });
        PooledParser {
            parser: Some(parser),
            delimiter: index,
        }
    }

    fn get(&mut self) -> &mut csv_core::Reader {
        self.parser.as_mut().expect("taken until dropped")
    }
}

impl Drop for PooledParser {
    fn drop(&mut self) {
        if let Some(mut parser) = self.parser.take() {
            // Reset, the parser is as built: line 1, at the start of a record, a byte order
            // mark to strip.
            parser.reset();
            let mut pool = pool().lock().unwrap_or_else(|e| e.into_inner());
            if pool[self.delimiter].len() < POOLED_PER_DELIMITER {
                pool[self.delimiter].push(parser);
            }
        }
    }
}

/// Reads records from `R`, buffered.
pub(super) struct RecordReader<R> {
    parser: PooledParser,
    source: BufReader<R>,
    position: Position,
    /// The field count of the first record; every later record must have as many.
    first_len: Option<u64>,
    at_end: bool,
}

impl<R: Read> RecordReader<R> {
    pub fn new(source: R, delimiter: Delimiter, capacity: usize) -> Self {
        RecordReader {
            parser: PooledParser::take(delimiter),
            source: BufReader::with_capacity(capacity, source),
            position: Position { byte: 0, line: 1 },
            first_len: None,
            at_end: false,
        }
    }

    /// Where the parser is: after the last record read.
    pub fn position(&self) -> Position {
        self.position
    }

    pub fn get_ref(&self) -> &R {
        self.source.get_ref()
    }

    pub fn get_mut(&mut self) -> &mut R {
        self.source.get_mut()
    }

    pub fn into_inner(self) -> R {
        self.source.into_inner()
    }

    /// Reads the next record into `record`; `false` at the end of the input.
    pub fn read(&mut self, record: &mut Record) -> Result<bool, RecordError> {
        record.len = 0;
        record.start = Some(self.position);
        if self.at_end {
            return Ok(false);
        }
        if record.bytes.is_empty() {
            record.bytes.resize(1024, 0);
            record.ends.resize(16, 0);
        }
        let (mut out, mut ends) = (0, 0);
        loop {
            let input = self.source.fill_buf().map_err(RecordError::Io)?;
            let (result, read, wrote, ended) = self.parser.get().read_record(
                input,
                &mut record.bytes[out..],
                &mut record.ends[ends..],
            );
            self.source.consume(read);
            self.position.byte += read as u64;
            self.position.line = self.parser.get().line();
            // `csv-core` gives each end as an offset into the whole record, whatever slice
            // of the output it was handed.
            out += wrote;
            ends += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let grown = record.bytes.len() * 2;
                    record.bytes.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = record.ends.len() * 2;
                    record.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    record.len = ends;
                    self.check_length(record)?;
                    return Ok(true);
                }
                ReadRecordResult::End => {
                    self.at_end = true;
                    return Ok(false);
                }
            }
        }
    }

    fn check_length(&mut self, record: &Record) -> Result<(), RecordError> {
        let found = record.len() as u64;
        match self.first_len {
            None => self.first_len = Some(found),
            Some(expected) if expected != found => {
                return Err(RecordError::UnequalLengths {
                    start: record.start.unwrap_or(self.position),
                    expected,
                    found,
                })
            }
            Some(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &[u8]) -> Vec<(Vec<Vec<u8>>, Position)> {
        let mut reader = RecordReader::new(input, Delimiter::Comma, 4);
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut record).unwrap() {
            let fields = record.iter().map(<[u8]>::to_vec).collect();
            out.push((fields, record.start.unwrap()));
        }
        out
    }

    #[test]
    fn a_parser_from_the_pool_parses_as_a_new_one_from_line_1_and_strips_a_bom_again() {
        let input = b"\xef\xbb\xbfab,cd\n\nx,\"y\nz\"\n";
        let first = records(input);
        let want = vec![
            (
                vec![b"ab".to_vec(), b"cd".to_vec()],
                Position { byte: 0, line: 1 },
            ),
            (
                vec![b"x".to_vec(), b"y\nz".to_vec()],
                Position { byte: 9, line: 2 },
            ),
        ];
        assert_eq!(first, want);
        // The same thread takes the parser the first scan returned to the pool.
        assert_eq!(records(input), want);
    }

    #[test]
    fn a_record_longer_than_the_buffers_is_read_whole() {
        let long = "v".repeat(5000);
        let input = format!("a,b\n{long},x\n");
        let got = records(input.as_bytes());
        assert_eq!(got[1].0, vec![long.into_bytes(), b"x".to_vec()]);
        let many: String = (0..100)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let got = records(format!("{many}\n").as_bytes());
        assert_eq!(got[0].0.len(), 100);
        assert_eq!(got[0].0[99], b"c99");
    }

    #[test]
    fn a_record_of_another_length_than_the_header_is_refused_with_its_start() {
        let mut reader = RecordReader::new(&b"a,b\n1,2\n3\n"[..], Delimiter::Comma, 64);
        let mut record = Record::default();
        assert!(reader.read(&mut record).unwrap());
        assert!(reader.read(&mut record).unwrap());
        match reader.read(&mut record) {
            Err(RecordError::UnequalLengths {
                start,
                expected,
                found,
            }) => assert_eq!(
                (start, expected, found),
                (Position { byte: 8, line: 3 }, 2, 1)
            ),
            other => panic!("{other:?}"),
        }
    }
}
