//! Streaming CSV ingest: one pass over the raw bytes that hands them to a sink (the caller's
//! blob writer, which hashes them), parses them, counts rows and infers the schema. Its first
//! step, the sniff (the header line read ahead, a byte order mark recognised, the delimiter
//! detected), is in the `sniff` module.
//!
//! # Memory
//!
//! Nothing here holds the whole input. The heap in use is bounded by:
//! * the header prefix used to detect the delimiter (at most [`HEADER_PREFIX_LIMIT`] plus one
//!   read chunk),
//! * the CSV reader's buffer ([`READ_CHUNK`]) and one record ([`MAX_RECORD_BYTES`] at most,
//!   enforced while reading so that an unclosed quote cannot swallow the file),
//! * the distinct-value sets of identifier detection ([`super::infer::DISTINCT_BUDGET`]).
//!
//! # Positions in errors
//!
//! Lines are 1-based physical lines where the record starts (a quoted value can span lines);
//! fields and columns are 1-based; byte offsets are 0-based offsets into the raw file,
//! including a UTF-8 byte order mark if there is one.

use super::infer::{ColumnInference, DateReading, DistinctBudget, DISTINCT_BUDGET};
use super::records::{Record, RecordError, RecordReader};
use super::sniff::{read_header_prefix, HeaderPrefix};
pub use super::sniff::{Delimiter, HEADER_PREFIX_LIMIT};
use super::strict::{StrictFailure, StrictReader};
use super::types::{Column, Schema};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{self, Chain, Cursor, Read};

/// Size of each read from the source, and of the CSV reader's buffer.
pub const READ_CHUNK: usize = 64 * 1024;

/// The largest raw size of one record (header or row), in bytes.
///
/// A larger record almost always means an unclosed quote; refusing it keeps memory bounded.
pub const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;

/// What one pass over a CSV file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableScan {
    /// Number of raw bytes read.
    pub byte_len: u64,
    /// Number of data rows (the header excluded; blank lines are not rows).
    pub row_count: u64,
    /// Number of columns in the header.
    pub column_count: usize,
    /// The inferred schema, columns in header order.
    pub schema: Schema,
    /// The delimiter detected from the header line.
    pub delimiter: Delimiter,
    /// How columns of spreadsheet-form dates were read (one line each, naming the column):
    /// the form chosen, or that the column stayed text because day first and month first
    /// both fit. Reported with the upload and recorded with its version.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Why a CSV file could not be ingested. Every message is one line naming the file, the place
/// and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file has no header row.
    #[error("{file}: the file is empty (no header row); upload a CSV whose first line names the columns")]
    Empty {
        /// The file name given to [`scan_csv`].
        file: String,
    },
    /// A header name is empty (or only whitespace).
    #[error("{file}: column {column} of the header has an empty name; give every column a name in the first line")]
    EmptyColumnName {
        /// The file name.
        file: String,
        /// 1-based column number.
        column: usize,
    },
    /// Two header names are identical.
    #[error("{file}: column name `{name}` appears twice in the header (columns {first} and {second}); make the column names unique")]
    DuplicateColumnName {
        /// The file name.
        file: String,
        /// The repeated name.
        name: String,
        /// 1-based number of its first occurrence.
        first: usize,
        /// 1-based number of the repeat.
        second: usize,
    },
    /// A field is not valid UTF-8.
    #[error("{file}: line {line}, field {field} (record starting at byte {byte}) is not valid UTF-8; save the file with UTF-8 encoding and upload it again")]
    InvalidUtf8 {
        /// The file name.
        file: String,
        /// 1-based line where the record starts.
        line: u64,
        /// 1-based field number.
        field: usize,
        /// 0-based byte offset of the record in the file.
        byte: u64,
    },
    /// A row has a different number of fields than the header.
    #[error("{file}: line {line} has {found} fields but the header has {expected}; fix that row (a missing value or an unquoted delimiter inside a value)")]
    WrongFieldCount {
        /// The file name.
        file: String,
        /// 1-based line where the row starts.
        line: u64,
        /// Number of header columns.
        expected: u64,
        /// Number of fields in the row.
        found: u64,
    },
    /// A single record is larger than [`MAX_RECORD_BYTES`].
    #[error("{file}: the record starting on line {line} is larger than {limit} bytes; look for an unclosed quote (\") on or after that line")]
    RecordTooLarge {
        /// The file name.
        file: String,
        /// 1-based line where the record starts.
        line: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Reading the source failed.
    #[error("{file}: reading the file failed: {source}; check the file is readable and try again")]
    Read {
        /// The file name.
        file: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The sink refused the raw bytes (a failure to store them, not a fault of the file: the
    /// store's error takes its kind from `source`).
    #[error("{file}: storing the uploaded bytes failed: {source}")]
    Sink {
        /// The file name.
        file: String,
        /// The sink's error.
        source: io::Error,
    },
    /// A quoted field is still open at the end of the file.
    #[error("{file}: the quote opened on line {line} (byte {byte}) is never closed; close it with a matching \" or remove it (a quote inside a value is written twice: \"\")")]
    UnterminatedQuote {
        /// The file name.
        file: String,
        /// 1-based line of the opening quote.
        line: u64,
        /// 0-based byte offset of the opening quote in the file.
        byte: u64,
    },
    /// Text follows the closing quote of a quoted field (`"ab"cd`).
    #[error("{file}: line {line}, byte {byte}: text follows the closing quote of a quoted value; quote the whole value and write a quote inside it twice (\"\")")]
    TextAfterQuote {
        /// The file name.
        file: String,
        /// 1-based line of the byte after the closing quote.
        line: u64,
        /// 0-based byte offset of the byte after the closing quote.
        byte: u64,
    },
    /// The file holds a NUL byte, which no text CSV has.
    #[error("{file}: line {line}, byte {byte} is a NUL byte: this looks like a binary or UTF-16 file, not a CSV text; export it again as CSV in UTF-8")]
    BinaryInput {
        /// The file name.
        file: String,
        /// 1-based line of the first NUL byte.
        line: u64,
        /// 0-based byte offset of the first NUL byte.
        byte: u64,
    },
    /// Any other CSV parser error.
    #[error("{file}: the CSV parser failed: {message}; check the file is a well-formed CSV")]
    Parse {
        /// The file name.
        file: String,
        /// The parser's message.
        message: String,
    },
}

/// Scans a CSV file in one streaming pass.
///
/// Reads `reader` to its end in chunks of [`READ_CHUNK`] bytes; every chunk goes to `sink` (in
/// order, so the sink receives exactly the file's bytes) before it is parsed. The scan does not
/// hash: the blob writer that is the sink names a blob by the SHA-256 of what it wrote.
/// `file_name` only names the file in errors. The delimiter (comma, tab or semicolon) is
/// the one occurring most often outside quotes in the header line; ties go to comma (then tab).
/// A UTF-8
/// byte order mark is not part of the first column name but is passed to the sink.
///
/// On error the sink may already have received part of the file; the caller discards it.
pub fn scan_csv<R: Read>(
    reader: R,
    file_name: &str,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> Result<TableScan, IngestError> {
    let mut tee = TeeReader::new(reader, sink);
    let prefix = match read_header_prefix(&mut tee) {
        Ok(prefix) => prefix,
        Err(error) => return Err(tee.failure_to_error(error, file_name, 1)),
    };
    let mut scan = CsvScan::new(prefix, tee, file_name);
    let names = scan.read_header()?;
    let (row_count, inferences) = scan.read_rows(names.len())?;
    let delimiter = scan.delimiter;
    let byte_len = scan.finish();
    let (schema, notes) = build_schema(names, inferences);
    Ok(TableScan {
        byte_len,
        row_count,
        column_count: schema.columns.len(),
        schema,
        delimiter,
        notes,
    })
}

fn build_schema(names: Vec<String>, inferences: Vec<ColumnInference>) -> (Schema, Vec<String>) {
    let mut notes = Vec::new();
    let columns: Vec<Column> = names
        .into_iter()
        .zip(inferences)
        .map(|(name, inference)| {
            let (column, reading) = inference.finish_reading(name);
            match reading {
                Some(DateReading::Form(form)) => notes.push(format!(
                    "column `{}` holds dates written {form}, the only form every value fits; read as {}",
                    column.name,
                    column.column_type.name()
                )),
                Some(DateReading::Ambiguous) => notes.push(format!(
                    "column `{}` holds dates that read both day first and month first; kept as text (a value with a day above 12 would decide it)",
                    column.name
                )),
                None => {}
            }
            column
        })
        .collect();
    (Schema { columns }, notes)
}

/// Why the tee stopped the stream; tells an I/O error from the CSV reader apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TeeFailure {
    Read,
    Sink,
    RecordTooLarge,
}

/// A reader that hands every byte it passes on to the sink first.
///
/// Invariant (until the first failure, which ends the scan): `sink` has seen exactly the bytes
/// returned so far, in order, and `bytes_read` counts them.
struct TeeReader<'s, R> {
    inner: R,
    sink: &'s mut dyn FnMut(&[u8]) -> io::Result<()>,
    bytes_read: u64,
    /// File offset where the record being parsed starts; bytes before it are fully parsed.
    record_start: u64,
    failure: Option<TeeFailure>,
}

impl<'s, R: Read> TeeReader<'s, R> {
    fn new(inner: R, sink: &'s mut dyn FnMut(&[u8]) -> io::Result<()>) -> Self {
        TeeReader {
            inner,
            sink,
            bytes_read: 0,
            record_start: 0,
            failure: None,
        }
    }

    /// Called when a record is complete: the next one starts at `offset` in the file.
    fn mark_record_start(&mut self, offset: u64) {
        self.record_start = offset;
    }

    fn fail(&mut self, failure: TeeFailure, error: io::Error) -> io::Error {
        self.failure = Some(failure);
        error
    }

    /// Maps an I/O error that came out of the stream to the error of the part that failed.
    fn failure_to_error(&self, error: io::Error, file: &str, line: u64) -> IngestError {
        let file = file.to_string();
        match self.failure {
            Some(TeeFailure::Sink) => IngestError::Sink {
                file,
                source: error,
            },
            Some(TeeFailure::RecordTooLarge) => IngestError::RecordTooLarge {
                file,
                line,
                limit: MAX_RECORD_BYTES,
            },
            Some(TeeFailure::Read) | None => IngestError::Read {
                file,
                source: error,
            },
        }
    }

    fn finish(self) -> u64 {
        self.bytes_read
    }
}

impl<R: Read> Read for TeeReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = loop {
            match self.inner.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.fail(TeeFailure::Read, e)),
            }
        };
        let chunk = &buf[..n];
        if n > 0 {
            if let Err(e) = (self.sink)(chunk) {
                return Err(self.fail(TeeFailure::Sink, e));
            }
            self.bytes_read += n as u64;
        }
        // Bounds the record the parser is building: it holds at most the bytes read since the
        // record's start. The extra chunk is the parser's read-ahead, so a record of exactly
        // MAX_RECORD_BYTES passes; the read that crosses the line is refused right here.
        if self.bytes_read - self.record_start > MAX_RECORD_BYTES + READ_CHUNK as u64 {
            let error = io::Error::other("record larger than the limit");
            return Err(self.fail(TeeFailure::RecordTooLarge, error));
        }
        Ok(n)
    }
}

/// The header prefix (BOM skipped) followed by the rest of the stream.
type Source<'s, R> = Chain<Cursor<Vec<u8>>, TeeReader<'s, R>>;

/// The CSV-parsing part of a scan.
struct CsvScan<'f, 's, R> {
    reader: RecordReader<StrictReader<Source<'s, R>>>,
    file_name: &'f str,
    /// The parser does not see the BOM; its byte positions are shifted by this much.
    bom_len: u64,
    delimiter: Delimiter,
    /// Line where the next record starts (for errors raised between records).
    next_record_line: u64,
}

impl<'f, 's, R: Read> CsvScan<'f, 's, R> {
    fn new(prefix: HeaderPrefix, tee: TeeReader<'s, R>, file_name: &'f str) -> Self {
        let mut head = Cursor::new(prefix.bytes);
        head.set_position(prefix.bom_len as u64);
        let source = StrictReader::new(
            head.chain(tee),
            prefix.delimiter.as_byte(),
            prefix.bom_len as u64,
        );
        let reader = RecordReader::new(source, prefix.delimiter, READ_CHUNK);
        CsvScan {
            reader,
            file_name,
            bom_len: prefix.bom_len as u64,
            delimiter: prefix.delimiter,
            next_record_line: 1,
        }
    }

    fn tee(&mut self) -> &mut TeeReader<'s, R> {
        self.reader.get_mut().get_mut().get_mut().1
    }

    /// A NUL byte read so far, as the error it is (checked after each record's UTF-8, so that
    /// a file that is not UTF-8 is reported as that first).
    fn check_no_nul(&self) -> Result<(), IngestError> {
        match self.reader.get_ref().first_nul() {
            Some(place) => Err(IngestError::BinaryInput {
                file: self.file_name.to_string(),
                line: place.line,
                byte: place.byte,
            }),
            None => Ok(()),
        }
    }

    /// Reads and checks the header names: UTF-8, non-empty, unique.
    fn read_header(&mut self) -> Result<Vec<String>, IngestError> {
        let mut header = Record::default();
        if let Err(error) = self.reader.read(&mut header) {
            return Err(self.csv_error(error));
        }
        self.record_finished();
        if header.is_empty() {
            return Err(IngestError::Empty {
                file: self.file_name.to_string(),
            });
        }
        let text = self.record_text(&header)?;
        self.check_no_nul()?;
        let names: Vec<String> = fields(text, &header).map(str::to_string).collect();
        check_header_names(&names, self.file_name)?;
        Ok(names)
    }

    /// Reads every data row, feeding each field to its column's inference.
    fn read_rows(&mut self, columns: usize) -> Result<(u64, Vec<ColumnInference>), IngestError> {
        let mut inferences: Vec<ColumnInference> =
            (0..columns).map(|_| ColumnInference::default()).collect();
        let mut budget = DistinctBudget::new(DISTINCT_BUDGET);
        let mut record = Record::default();
        let mut rows = 0u64;
        loop {
            match self.reader.read(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok((rows, inferences)),
                Err(error) => return Err(self.csv_error(error)),
            }
            self.record_finished();
            // The reader guarantees `record.len() == columns` (the header's count).
            let text = self.record_text(&record)?;
            self.check_no_nul()?;
            for (inference, field) in inferences.iter_mut().zip(fields(text, &record)) {
                inference.observe(field, &mut budget);
            }
            rows += 1;
        }
    }

    /// Moves the record-size window forward: everything before the parser's position is parsed.
    fn record_finished(&mut self) {
        let position = self.reader.position();
        let (line, offset) = (position.line, position.byte + self.bom_len);
        self.next_record_line = line;
        self.tee().mark_record_start(offset);
    }

    /// The record's fields as one text, or the position of its first invalid UTF-8 field.
    fn record_text<'r>(&self, record: &'r Record) -> Result<&'r str, IngestError> {
        utf8_text(record).map_err(|field_index| {
            let (line, byte) = record.start.map_or((self.next_record_line, 0), |p| {
                (p.line, p.byte + self.bom_len)
            });
            IngestError::InvalidUtf8 {
                file: self.file_name.to_string(),
                line,
                field: field_index + 1,
                byte,
            }
        })
    }

    fn csv_error(&mut self, error: RecordError) -> IngestError {
        match error {
            RecordError::Io(io_error) => {
                if let Some(failure) = self.reader.get_ref().failure() {
                    return strict_error(failure, self.file_name.to_string());
                }
                let (file_name, line) = (self.file_name, self.next_record_line);
                self.tee().failure_to_error(io_error, file_name, line)
            }
            RecordError::UnequalLengths {
                start,
                expected,
                found,
            } => IngestError::WrongFieldCount {
                file: self.file_name.to_string(),
                line: start.line,
                expected,
                found,
            },
        }
    }

    /// The byte length; the parser has read the source to its end.
    fn finish(self) -> u64 {
        let (_, tee) = self.reader.into_inner().into_inner().into_inner();
        tee.finish()
    }
}

fn strict_error(failure: StrictFailure, file: String) -> IngestError {
    match failure {
        StrictFailure::UnterminatedQuote(at) => IngestError::UnterminatedQuote {
            file,
            line: at.line,
            byte: at.byte,
        },
        StrictFailure::TextAfterQuote(at) => IngestError::TextAfterQuote {
            file,
            line: at.line,
            byte: at.byte,
        },
    }
}

/// The record's fields (stored back to back) as one `&str`, or the 0-based index of the first
/// field that is not valid UTF-8.
///
/// The bytes are validated once as a whole (fast), then each field end is checked to fall
/// between characters: a field ending in half a character followed by a field starting with the
/// other half would be valid as a whole but not field by field. After this check every field
/// range of the record is a valid `&str` slice of the result (see [`fields`]).
fn utf8_text(record: &Record) -> Result<&str, usize> {
    let text = std::str::from_utf8(record.as_slice())
        .map_err(|e| field_at_offset(record, e.valid_up_to()))?;
    let mut end = 0;
    for (index, field) in record.iter().enumerate() {
        end += field.len();
        if !text.is_char_boundary(end) {
            return Err(index);
        }
    }
    Ok(text)
}

/// The fields of `record` as slices of `text`, the record's text checked by [`utf8_text`].
fn fields<'r>(text: &'r str, record: &'r Record) -> impl Iterator<Item = &'r str> + 'r {
    record.iter().scan(0, move |start, field| {
        let range = *start..*start + field.len();
        *start = range.end;
        Some(&text[range])
    })
}

/// The 0-based index of the field containing byte `offset` of the record's concatenated fields.
fn field_at_offset(record: &Record, offset: usize) -> usize {
    let mut end = 0;
    for (index, field) in record.iter().enumerate() {
        end += field.len();
        if offset < end {
            return index;
        }
    }
    record.len().saturating_sub(1)
}

/// Rejects empty (or whitespace-only) and duplicate header names. Names are compared exactly.
fn check_header_names(names: &[String], file: &str) -> Result<(), IngestError> {
    let mut first_seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let column = index + 1;
        if name.trim().is_empty() {
            return Err(IngestError::EmptyColumnName {
                file: file.to_string(),
                column,
            });
        }
        if let Some(&first) = first_seen.get(name.as_str()) {
            return Err(IngestError::DuplicateColumnName {
                file: file.to_string(),
                name: name.clone(),
                first,
                second: column,
            });
        }
        first_seen.insert(name, column);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::types::ColumnType;

    /// Scans `bytes`, also returning what the sink received.
    fn scan_with_sink(bytes: &[u8]) -> (Result<TableScan, IngestError>, Vec<u8>) {
        let mut received = Vec::new();
        let result = scan_csv(bytes, "t.csv", &mut |chunk: &[u8]| {
            received.extend_from_slice(chunk);
            Ok(())
        });
        (result, received)
    }

    fn scan(bytes: &[u8]) -> TableScan {
        scan_with_sink(bytes).0.expect("scan should succeed")
    }

    fn scan_error(bytes: &[u8]) -> IngestError {
        scan_with_sink(bytes).0.expect_err("scan should fail")
    }

    fn names(scan: &TableScan) -> Vec<&str> {
        scan.schema
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    fn types(scan: &TableScan) -> Vec<ColumnType> {
        scan.schema.columns.iter().map(|c| c.column_type).collect()
    }

    /// A reader that returns at most one byte per read, to exercise chunk boundaries.
    struct OneByteAtATime<'a>(&'a [u8]);

    impl Read for OneByteAtATime<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&byte, rest)), Some(slot)) => {
                    *slot = byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn comma_separated_file_is_scanned() {
        let s = scan(b"id,name,score\n1,ann,2.5\n2,bob,3\n");
        assert_eq!(s.delimiter, Delimiter::Comma);
        assert_eq!((s.row_count, s.column_count), (2, 3));
        assert_eq!(names(&s), ["id", "name", "score"]);
        assert_eq!(
            types(&s),
            [ColumnType::Int64, ColumnType::Utf8, ColumnType::Float64]
        );
    }

    #[test]
    fn tab_separated_file_is_detected() {
        let s = scan(b"id\tname, with comma\tn\n1\tx\t2\n");
        assert_eq!(s.delimiter, Delimiter::Tab);
        assert_eq!(names(&s), ["id", "name, with comma", "n"]);
    }

    #[test]
    fn semicolon_separated_file_is_detected() {
        let s = scan(b"id;value\n1;2,5\n2;3,75\n");
        assert_eq!(s.delimiter, Delimiter::Semicolon);
        assert_eq!(
            types(&s),
            [ColumnType::Int64, ColumnType::Utf8],
            "2,5 is not a number"
        );
    }

    #[test]
    fn delimiter_tie_goes_to_comma() {
        assert_eq!(scan(b"a;b,c\n1;2,3\n").delimiter, Delimiter::Comma);
        assert_eq!(scan(b"single\n1\n").delimiter, Delimiter::Comma);
    }

    #[test]
    fn delimiters_inside_quotes_do_not_count() {
        let s = scan(b"\"a;b;c\",d\n1,2\n");
        assert_eq!(s.delimiter, Delimiter::Comma);
        assert_eq!(names(&s), ["a;b;c", "d"]);
    }

    #[test]
    fn delimiter_is_detected_from_a_header_longer_than_one_read() {
        let header: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
        let row = vec!["1"; 20_000];
        let text = format!("{}\n{}\n", header.join(";"), row.join(";"));
        assert!(text.len() > READ_CHUNK);
        let s = scan(text.as_bytes());
        assert_eq!(s.delimiter, Delimiter::Semicolon);
        assert_eq!((s.row_count, s.column_count), (1, 20_000));
    }

    #[test]
    fn quoted_fields_keep_embedded_newlines_delimiters_and_quotes() {
        let s = scan(b"id,text\n1,\"hello, world\nsecond line\"\n2,\"say \"\"hi\"\"\"\n");
        assert_eq!(s.row_count, 2);
        assert_eq!(types(&s), [ColumnType::Int64, ColumnType::Utf8]);
    }

    #[test]
    fn quoted_numbers_are_still_numbers() {
        let s = scan(b"a,b\n\"1\",\"2024-01-01\"\n");
        assert_eq!(types(&s), [ColumnType::Int64, ColumnType::Date]);
    }

    #[test]
    fn bom_is_stripped_from_first_column_name() {
        let bytes = b"\xEF\xBB\xBFid,name\n1,x\n";
        let (result, received) = scan_with_sink(bytes);
        let s = result.unwrap();
        assert_eq!(names(&s), ["id", "name"]);
        assert_eq!(s.byte_len, bytes.len() as u64);
        assert_eq!(received, bytes, "the sink (which hashes) gets the BOM");
    }

    #[test]
    fn bom_split_across_reads_is_stripped() {
        let bytes = b"\xEF\xBB\xBFid;name\n1;x\n";
        let mut received = Vec::new();
        let s = scan_csv(OneByteAtATime(bytes), "t.csv", &mut |c: &[u8]| {
            received.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(names(&s), ["id", "name"]);
        assert_eq!(s.delimiter, Delimiter::Semicolon);
        assert_eq!(received, bytes);
    }

    #[test]
    fn one_byte_reads_give_the_same_scan_as_one_big_read() {
        let bytes = b"id,text,when\n1,\"a\nb\",2024-01-01\n2,c,2024-01-02T10:00:00Z\n";
        let whole = scan(bytes);
        let bytewise = scan_csv(OneByteAtATime(bytes), "t.csv", &mut |_: &[u8]| Ok(())).unwrap();
        assert_eq!(whole, bytewise);
        assert_eq!(whole.schema.columns[2].column_type, ColumnType::Timestamp);
    }

    #[test]
    fn sink_receives_exactly_the_bytes() {
        let bytes = b"a,b\r\n1,2\r\n\r\n3,4";
        let (result, received) = scan_with_sink(bytes);
        let s = result.unwrap();
        assert_eq!(received, bytes);
        assert_eq!(s.byte_len, bytes.len() as u64);
    }

    #[test]
    fn blank_lines_and_crlf_are_not_rows() {
        let s = scan(b"\r\n\na,b\r\n1,2\r\n\r\n3,4\r\n\n");
        assert_eq!(names(&s), ["a", "b"]);
        assert_eq!(s.row_count, 2);
    }

    #[test]
    fn header_only_file_has_no_rows_and_text_columns() {
        let s = scan(b"a,b\n");
        assert_eq!(s.row_count, 0);
        assert_eq!(types(&s), [ColumnType::Utf8, ColumnType::Utf8]);
        assert!(!s.schema.columns[0].nullable);
    }

    #[test]
    fn null_tokens_in_a_file_make_columns_nullable() {
        let s = scan(b"a,b,c\n1,,NA\n2,x,NA\n");
        let nullable: Vec<bool> = s.schema.columns.iter().map(|c| c.nullable).collect();
        assert_eq!(nullable, [false, true, true]);
        assert_eq!(
            types(&s),
            [ColumnType::Int64, ColumnType::Utf8, ColumnType::Utf8]
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        assert!(matches!(scan_error(b""), IngestError::Empty { file } if file == "t.csv"));
        assert!(matches!(
            scan_error(b"\xEF\xBB\xBF"),
            IngestError::Empty { .. }
        ));
        assert!(matches!(scan_error(b"\n\r\n"), IngestError::Empty { .. }));
    }

    #[test]
    fn row_with_wrong_field_count_names_line_and_counts() {
        let error = scan_error(b"a,b\n1,2\n3,4,5\n");
        assert!(
            matches!(
                error,
                IngestError::WrongFieldCount {
                    line: 3,
                    expected: 2,
                    found: 3,
                    ..
                }
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with("t.csv: line 3 has 3 fields but the header has 2"),
            "{message}"
        );
    }

    #[test]
    fn wrong_field_count_after_a_multiline_value_names_the_physical_line() {
        let error = scan_error(b"a,b\n1,\"x\ny\"\n3\n");
        assert!(
            matches!(
                error,
                IngestError::WrongFieldCount {
                    line: 4,
                    found: 1,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn invalid_utf8_names_line_field_and_byte() {
        let error = scan_error(b"a,b\n1,2\n3,\xFFx\n");
        assert!(
            matches!(
                error,
                IngestError::InvalidUtf8 {
                    line: 3,
                    field: 2,
                    byte: 8,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("line 3, field 2"));
    }

    #[test]
    fn invalid_utf8_byte_offset_counts_the_bom() {
        let error = scan_error(b"\xEF\xBB\xBFa,b\n1,\xC3\n");
        assert!(
            matches!(
                error,
                IngestError::InvalidUtf8 {
                    line: 2,
                    field: 2,
                    byte: 7,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn invalid_utf8_in_the_header_is_reported_on_line_one() {
        let error = scan_error(b"a,\xFE\n1,2\n");
        assert!(
            matches!(
                error,
                IngestError::InvalidUtf8 {
                    line: 1,
                    field: 2,
                    byte: 0,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn utf16_file_is_reported_as_invalid_utf8() {
        let error = scan_error(b"\xFF\xFEa\0,\0b\0\n\0");
        assert!(
            matches!(
                error,
                IngestError::InvalidUtf8 {
                    line: 1,
                    field: 1,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn character_split_across_two_fields_is_invalid_utf8() {
        // "\xC3" + "\xA9" is "é" when glued together, but neither field is UTF-8 on its own.
        let error = scan_error(b"a,b\n\xC3,\xA9\n");
        assert!(
            matches!(
                error,
                IngestError::InvalidUtf8 {
                    line: 2,
                    field: 1,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn empty_column_name_is_an_error_naming_the_column() {
        let error = scan_error(b"a,,c\n1,2,3\n");
        assert!(
            matches!(error, IngestError::EmptyColumnName { column: 2, .. }),
            "{error:?}"
        );
        let error = scan_error(b"a,  \n1,2\n");
        assert!(
            matches!(error, IngestError::EmptyColumnName { column: 2, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn duplicate_column_name_is_an_error_naming_both_columns() {
        let error = scan_error(b"a,b,a\n1,2,3\n");
        assert!(
            matches!(&error, IngestError::DuplicateColumnName { name, first: 1, second: 3, .. } if name == "a"),
            "{error:?}"
        );
        assert!(error.to_string().contains("`a` appears twice"));
    }

    #[test]
    fn column_names_differing_in_case_are_distinct() {
        assert_eq!(scan(b"a,A\n1,2\n").column_count, 2);
    }

    #[test]
    fn unclosed_quote_is_stopped_at_the_record_size_limit() {
        let mut bytes = b"a,b\n1,2\n3,\"never closed\n".to_vec();
        bytes.resize(
            bytes.len() + MAX_RECORD_BYTES as usize + 2 * READ_CHUNK,
            b'x',
        );
        let error = scan_error(&bytes);
        assert!(
            matches!(error, IngestError::RecordTooLarge { line: 3, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("unclosed quote"));
    }

    #[test]
    fn an_unterminated_quote_is_refused_where_it_opened() {
        let error = scan_error(b"id,v\n1,\"unterminated\n2,3\n");
        assert!(
            matches!(
                error,
                IngestError::UnterminatedQuote {
                    line: 2,
                    byte: 7,
                    ..
                }
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.starts_with("t.csv: "), "{message}");
        assert!(message.contains("line 2 (byte 7)"), "{message}");
    }

    #[test]
    fn an_unterminated_quote_in_the_header_is_refused() {
        let error = scan_error(b"a,\"b\n1,2\n");
        assert!(
            matches!(
                error,
                IngestError::UnterminatedQuote {
                    line: 1,
                    byte: 2,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn an_unterminated_quote_counts_the_bom_in_its_byte_offset() {
        let error = scan_error(b"\xEF\xBB\xBFa\n\"x\n");
        assert!(
            matches!(
                error,
                IngestError::UnterminatedQuote {
                    line: 2,
                    byte: 5,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn text_after_a_closing_quote_is_refused_with_its_place() {
        let error = scan_error(b"a,b\n1,\"x\"y\n");
        assert!(
            matches!(
                error,
                IngestError::TextAfterQuote {
                    line: 2,
                    byte: 9,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_value_is_a_literal_character() {
        let s = scan(b"height,n\n5'10\",1\n");
        assert_eq!(s.row_count, 1);
    }

    #[test]
    fn a_file_of_nul_bytes_is_refused_as_binary() {
        let error = scan_error(&[0u8; 64]);
        assert!(
            matches!(
                error,
                IngestError::BinaryInput {
                    line: 1,
                    byte: 0,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("binary or UTF-16"), "{error}");
    }

    #[test]
    fn utf16_without_a_bom_is_refused_as_binary_at_its_first_nul() {
        let error = scan_error(b"\x00a\x00,\x00b\x00\n\x001\x00,\x002\x00\n");
        assert!(
            matches!(
                error,
                IngestError::BinaryInput {
                    line: 1,
                    byte: 0,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_nul_byte_in_a_later_row_is_refused_with_its_line_and_byte() {
        let error = scan_error(b"a,b\n1,2\n3,x\0y\n");
        assert!(
            matches!(
                error,
                IngestError::BinaryInput {
                    line: 3,
                    byte: 11,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn the_scan_says_which_spreadsheet_date_form_it_read_and_which_it_left_as_text() {
        let s = scan(b"visit,when,amb\n12/16/2005,2010/01/01 00:00,01/02/2003\n5/2/2008,2010/01/02 13:30,5/6/2007\n");
        assert_eq!(
            types(&s),
            [ColumnType::Date, ColumnType::Timestamp, ColumnType::Utf8]
        );
        assert_eq!(s.notes.len(), 3, "{:?}", s.notes);
        assert_eq!(
            s.notes[0],
            "column `visit` holds dates written M/D/YYYY (month first), the only form every value fits; read as Date"
        );
        assert!(
            s.notes[1].contains("YYYY/M/D with a time of day (H:MM)"),
            "{:?}",
            s.notes
        );
        assert!(s.notes[2].starts_with(
            "column `amb` holds dates that read both day first and month first; kept as text"
        ));
    }

    #[test]
    fn record_just_under_the_limit_is_accepted() {
        let mut bytes = b"a\n\"".to_vec();
        bytes.resize(bytes.len() + MAX_RECORD_BYTES as usize - 8, b'x');
        bytes.extend_from_slice(b"\"\n1\n");
        assert_eq!(scan(&bytes).row_count, 2);
    }

    #[test]
    fn sink_failure_is_reported_as_a_sink_error() {
        let result = scan_csv(&b"a\n1\n"[..], "t.csv", &mut |_: &[u8]| {
            Err(io::Error::other("disk full"))
        });
        let error = result.unwrap_err();
        assert!(matches!(error, IngestError::Sink { .. }), "{error:?}");
        assert!(error.to_string().contains("disk full"));
    }

    #[test]
    fn read_failure_is_reported_as_a_read_error() {
        struct FailsAfterHeader(usize);
        impl Read for FailsAfterHeader {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0 += 1;
                if self.0 == 1 {
                    buf[..4].copy_from_slice(b"a,b\n");
                    return Ok(4);
                }
                Err(io::Error::other("device gone"))
            }
        }
        let error = scan_csv(FailsAfterHeader(0), "t.csv", &mut |_: &[u8]| Ok(())).unwrap_err();
        assert!(matches!(error, IngestError::Read { .. }), "{error:?}");
        assert!(error.to_string().contains("device gone"));
    }

    #[test]
    fn error_messages_are_one_line_and_name_the_file() {
        let errors = [
            scan_error(b""),
            scan_error(b"a,a\n"),
            scan_error(b",\n"),
            scan_error(b"a\n\xFF\n"),
            scan_error(b"a,b\n1\n"),
        ];
        for error in errors {
            let message = error.to_string();
            assert!(message.starts_with("t.csv: "), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn identifier_flags_follow_names_and_distinct_values() {
        let s = scan(b"Subject ID,code2,kind,n\nA,x1,a,1\nA,x2,a,2\n");
        let flags: Vec<bool> = s.schema.columns.iter().map(|c| c.identifier).collect();
        assert_eq!(flags, [true, true, false, true]);
    }
}
