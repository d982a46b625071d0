//! Reading a stored CSV table as Arrow record batches, typed as strata inferred it.
//!
//! Two steps, so that parsing can run on several threads while the bytes are read, hashed
//! and handed out in file order by one:
//! - [`Chunker`] reads the table's bytes (through the store's verifying reader, so that damaged
//!   bytes end the stream with an error) and cuts them into [`Chunk`]s of whole records: it
//!   tracks the quote state, so a cut never falls inside a quoted value.
//! - [`ChunkParser`] turns one chunk into a [`RecordBatch`]: every field is trimmed, checked
//!   against the null tokens, and parsed by the same recognisers inference used
//!   ([`crate::schema::value`]), so a column inferred `Int64` reads as integers.
//!
//! The CSV dialect is the one ingest used: the recorded delimiter, `"` quoting with `""`
//! inside quotes, any of `\r`, `\n`, `\r\n` ending a record, blank lines skipped, a UTF-8 byte
//! order mark ignored.

use crate::schema::value::{
    is_null_token, parse_boolean, parse_number, parse_temporal, Number, Temporal, NAN_TOKEN,
};
use crate::schema::{ColumnType, Delimiter, Schema};
use crate::store::TableRecord;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use std::io::{self, Read};
use std::sync::Arc;

/// How many bytes the chunker reads at a time; a chunk holds about this much.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// The largest record the reader accepts, as ingest does
/// ([`crate::schema::ingest::MAX_RECORD_BYTES`]).
const MAX_RECORD_BYTES: usize = crate::schema::ingest::MAX_RECORD_BYTES as usize;

/// The Arrow type of each strata column type. Times are microseconds without a time zone:
/// a value written with an offset was converted to UTC, one without is kept as written.
pub fn arrow_type(column_type: ColumnType) -> DataType {
    match column_type {
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::Utf8 => DataType::Utf8,
    }
}

/// The Arrow schema of a strata schema: the same names, in order, with the inferred types.
/// Every field is nullable (the null tokens may appear in any column a later reader sees).
pub fn arrow_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .columns
        .iter()
        .map(|c| Field::new(&c.name, arrow_type(c.column_type), true))
        .collect();
    Arc::new(ArrowSchema::new(fields))
}

/// Whole records of a table's bytes.
#[derive(Debug)]
pub struct Chunk {
    /// The bytes: complete records only (the header excluded).
    pub bytes: Vec<u8>,
    /// Offset of the chunk's first byte in the table's file.
    pub offset: u64,
}

/// Cuts a table's bytes into chunks of whole records; the first call reads and checks the
/// header. Reading goes through `reader`, which for a stored table verifies the hash: its
/// error at the end surfaces as the last item.
pub struct Chunker<R> {
    reader: R,
    delimiter: u8,
    /// Bytes read but not handed out yet: the start of an incomplete record.
    carry: Vec<u8>,
    /// File offset of `carry[0]`.
    carry_offset: u64,
    header_done: bool,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    /// A chunker over a table's bytes.
    pub fn new(reader: R, delimiter: Delimiter) -> Self {
        Chunker {
            reader,
            delimiter: delimiter.as_byte(),
            carry: Vec::new(),
            carry_offset: 0,
            header_done: false,
            eof: false,
        }
    }

    /// Reads the header record and checks that it names `schema`'s columns in order.
    pub fn read_header(&mut self, schema: &Schema) -> Result<(), ReadError> {
        while self.carry.len() < 3 && !self.eof {
            self.fill()?;
        }
        let bom = if self.carry.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let end = loop {
            if let Some(end) = record_end(&self.carry[bom..], self.delimiter) {
                break bom + end;
            }
            if self.eof || !self.fill()? {
                break self.carry.len();
            }
        };
        let header: Vec<u8> = self.carry.drain(..end).collect();
        self.carry_offset = end as u64;
        self.header_done = true;
        let header = &header[bom..];
        let names = header_names(header, self.delimiter)?;
        let expected: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
        if names != expected {
            return Err(ReadError::Data(format!(
                "its header names the columns {names:?}, but its recorded schema has {expected:?}"
            )));
        }
        Ok(())
    }

    /// The next chunk of whole records, `None` at the end (after the reader's hash check).
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, ReadError> {
        debug_assert!(self.header_done, "read_header first");
        loop {
            if !self.eof && self.carry.len() < CHUNK_BYTES {
                self.fill()?;
                continue;
            }
            let cut = if self.eof {
                self.carry.len()
            } else {
                match last_record_end(&self.carry, self.delimiter) {
                    Some(cut) => cut,
                    None if self.carry.len() > MAX_RECORD_BYTES + CHUNK_BYTES => {
                        return Err(ReadError::Data(format!(
                            "the record at byte {} is larger than {MAX_RECORD_BYTES} bytes",
                            self.carry_offset
                        )));
                    }
                    None => {
                        self.fill()?;
                        continue;
                    }
                }
            };
            if cut == 0 {
                return Ok(None);
            }
            let rest = self.carry.split_off(cut);
            let bytes = std::mem::replace(&mut self.carry, rest);
            let chunk = Chunk {
                bytes,
                offset: self.carry_offset,
            };
            self.carry_offset += cut as u64;
            return Ok(Some(chunk));
        }
    }

    /// Reads up to [`CHUNK_BYTES`] more; `false` at the end of the input.
    fn fill(&mut self) -> Result<bool, ReadError> {
        let start = self.carry.len();
        self.carry.resize(start + CHUNK_BYTES, 0);
        let n = loop {
            match self.reader.read(&mut self.carry[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.carry.truncate(start);
                    return Err(ReadError::Io(e));
                }
            }
        };
        self.carry.truncate(start + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Reads (and so hashes) whatever was not read yet, discarding it: the verification of
    /// a scan that stopped early.
    pub fn drain(&mut self) -> Result<(), ReadError> {
        let mut buf = vec![0u8; CHUNK_BYTES];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }
}

/// Why a table could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Reading the bytes failed, or they do not match the table's hash.
    Io(io::Error),
    /// The bytes do not fit the table's recorded schema.
    Data(String),
}

/// The end (exclusive) of the first record: just after the first `\r` or `\n` outside a
/// quoted field (see [`last_record_end`] for what opens one).
fn record_end(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if in_quotes && bytes.get(i + 1) == Some(&b'"') => i += 1,
            b'"' if in_quotes => in_quotes = false,
            b'"' if opens_quoted_field(bytes, i, delimiter) => in_quotes = true,
            b'\n' | b'\r' if !in_quotes => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the `"` at `at` opens a quoted field, as the CSV parser reads it: only at the
/// start of a field (after a delimiter, a record end, or at the start of `bytes`, which is a
/// record boundary). Elsewhere a `"` is an ordinary character (`5'11"`).
fn opens_quoted_field(bytes: &[u8], at: usize, delimiter: u8) -> bool {
    at == 0 || matches!(bytes[at - 1], b'\n' | b'\r') || bytes[at - 1] == delimiter
}

/// The end (exclusive) of the last complete record of `bytes`, which start at a record
/// boundary: just after the last `\r` or `\n` outside quoted fields. The scan jumps from
/// quote to quote (`memchr`); between quoted fields it looks for the last record end of each
/// unquoted stretch, so every byte is looked at by one fast search only.
fn last_record_end(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut last = None;
    // Start of the current unquoted stretch, and where to look for the next opening quote.
    let (mut stretch, mut search) = (0, 0);
    loop {
        let open = loop {
            match memchr::memchr(b'"', &bytes[search..]) {
                None => break None,
                Some(i) if opens_quoted_field(bytes, search + i, delimiter) => {
                    break Some(search + i)
                }
                Some(i) => search += i + 1,
            }
        };
        let stretch_end = open.unwrap_or(bytes.len());
        if let Some(t) = memchr::memrchr2(b'\n', b'\r', &bytes[stretch..stretch_end]) {
            last = Some(stretch + t + 1);
        }
        let Some(open) = open else {
            return last;
        };
        let mut at = open + 1;
        loop {
            match memchr::memchr(b'"', &bytes[at..]) {
                // Inside a quoted field at the end: the last end found stands.
                None => return last,
                Some(i) if bytes.get(at + i + 1) == Some(&b'"') => at += i + 2,
                Some(i) => {
                    (stretch, search) = (at + i + 1, at + i + 1);
                    break;
                }
            }
        }
    }
}

fn header_names(header: &[u8], delimiter: u8) -> Result<Vec<String>, ReadError> {
    let mut reader = csv_reader(header, delimiter);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(_) => Ok(record.iter().map(str::to_string).collect()),
        Err(e) => Err(ReadError::Data(format!("its header cannot be read: {e}"))),
    }
}

/// The CSV reader ingest uses, over bytes without a header.
fn csv_reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

/// Parses chunks of one table into record batches of the columns `projection` selects.
#[derive(Debug, Clone)]
pub struct ChunkParser {
    delimiter: u8,
    columns: usize,
    /// `(field index, name, type)` of each output column, in output order.
    output: Vec<(usize, String, ColumnType)>,
    schema: SchemaRef,
}

impl ChunkParser {
    /// A parser for `table`, producing the columns at `projection` (all when `None`).
    pub fn new(table: &TableRecord, projection: Option<&[usize]>) -> Self {
        let full = arrow_schema(&table.schema);
        let indices: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..table.schema.columns.len()).collect(),
        };
        let output = indices
            .iter()
            .map(|&i| {
                let c = &table.schema.columns[i];
                (i, c.name.clone(), c.column_type)
            })
            .collect();
        let schema = Arc::new(
            full.project(&indices)
                .expect("projection within the schema"),
        );
        ChunkParser {
            delimiter: table.delimiter.as_byte(),
            columns: table.schema.columns.len(),
            output,
            schema,
        }
    }

    /// The schema of the batches produced.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// One record batch with every record of the chunk.
    pub fn parse(&self, chunk: &Chunk) -> Result<RecordBatch, ReadError> {
        let mut builders: Vec<ColumnBuilder> = self
            .output
            .iter()
            .map(|(_, _, t)| ColumnBuilder::new(*t))
            .collect();
        let mut reader = csv_reader(&chunk.bytes, self.delimiter);
        let mut record = csv::ByteRecord::new();
        let mut rows = 0usize;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(ReadError::Data(format!("the CSV parser failed: {e}"))),
            }
            let at = chunk.offset + record.position().map_or(0, |p| p.byte());
            if record.len() != self.columns {
                return Err(ReadError::Data(format!(
                    "the record at byte {at} has {} fields, not {}",
                    record.len(),
                    self.columns
                )));
            }
            for ((index, name, column_type), builder) in self.output.iter().zip(&mut builders) {
                let field = std::str::from_utf8(&record[*index]).map_err(|_| {
                    ReadError::Data(format!("column `{name}` at byte {at} is not UTF-8"))
                })?;
                builder.append(field).map_err(|()| {
                    ReadError::Data(format!(
                        "column `{name}` at byte {at} holds `{}`, which is not a {column_type} \
                         as inferred",
                        field.trim_ascii()
                    ))
                })?;
            }
            rows += 1;
        }
        let arrays: Vec<ArrayRef> = builders.into_iter().map(ColumnBuilder::finish).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema(), arrays, &options)
            .map_err(|e| ReadError::Data(format!("cannot build a record batch: {e}")))
    }
}

/// An Arrow builder per strata column type; `append` parses one raw field.
enum ColumnBuilder {
    Boolean(BooleanBuilder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Utf8(StringBuilder),
}

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl ColumnBuilder {
    fn new(column_type: ColumnType) -> Self {
        match column_type {
            ColumnType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::new()),
            ColumnType::Int64 => ColumnBuilder::Int64(Int64Builder::new()),
            ColumnType::Float64 => ColumnBuilder::Float64(Float64Builder::new()),
            ColumnType::Date => ColumnBuilder::Date(Date32Builder::new()),
            ColumnType::Timestamp => ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new()),
            ColumnType::Utf8 => ColumnBuilder::Utf8(StringBuilder::new()),
        }
    }

    /// Appends the value of a raw field: a null for a null token (and for `NaN` in a numeric
    /// column), else the value the recognisers read; `Err` when the field is not of the
    /// column's type. Text is kept as written (untrimmed); other values are trimmed first,
    /// as inference trims them.
    fn append(&mut self, raw: &str) -> Result<(), ()> {
        let value = raw.trim_ascii();
        if is_null_token(value) {
            self.append_null();
            return Ok(());
        }
        match self {
            ColumnBuilder::Utf8(b) => b.append_value(raw),
            ColumnBuilder::Boolean(b) => b.append_value(parse_boolean(value).ok_or(())?),
            ColumnBuilder::Int64(b) if value == NAN_TOKEN => b.append_null(),
            ColumnBuilder::Float64(b) if value == NAN_TOKEN => b.append_null(),
            ColumnBuilder::Int64(b) => match parse_number(value) {
                Some(Number::Int(i)) => b.append_value(i),
                _ => return Err(()),
            },
            ColumnBuilder::Float64(b) => b.append_value(parse_number(value).ok_or(())?.as_f64()),
            ColumnBuilder::Date(b) => match parse_temporal(value) {
                Some(Temporal::Date(day)) => b.append_value(
                    chrono::Datelike::num_days_from_ce(&day) - UNIX_EPOCH_DAYS_FROM_CE,
                ),
                _ => return Err(()),
            },
            ColumnBuilder::Timestamp(b) => {
                let t = parse_temporal(value).ok_or(())?.as_timestamp();
                b.append_value(t.and_utc().timestamp_micros());
            }
        }
        Ok(())
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Boolean(b) => b.append_null(),
            ColumnBuilder::Int64(b) => b.append_null(),
            ColumnBuilder::Float64(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Utf8(b) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColumnBuilder::Boolean(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Float64(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Date(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Utf8(mut b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_never_falls_inside_quotes() {
        let bytes = b"1,\"a\nb\"\n2,\"c\n";
        assert_eq!(last_record_end(bytes, b','), Some(8));
        assert_eq!(last_record_end(b"1,\"x\"\"\ny\"\n", b','), Some(10));
        assert_eq!(last_record_end(b"1,\"open\n", b','), None);
        assert_eq!(record_end(b"a,\"b\nc\"\r\nx", b','), Some(8));
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_an_ordinary_character() {
        assert_eq!(last_record_end(b"1,5'11\"\n2,x\n", b','), Some(12));
        assert_eq!(last_record_end(b"1;\"a\n\";x\"\n", b';'), Some(10));
        assert_eq!(record_end(b"h\"1,h2\nrest", b','), Some(7));
    }

    #[test]
    fn chunks_hold_whole_records_across_reads() {
        let mut csv = b"id,text\n".to_vec();
        for i in 0..100_000 {
            csv.extend_from_slice(format!("{i},\"line\nwith \"\"quotes\"\"\"\n").as_bytes());
        }
        let mut chunker = Chunker::new(&csv[..], Delimiter::Comma);
        let schema = Schema {
            columns: ["id", "text"]
                .iter()
                .map(|n| crate::schema::Column {
                    name: n.to_string(),
                    column_type: ColumnType::Utf8,
                    nullable: false,
                    identifier: false,
                })
                .collect(),
        };
        chunker.read_header(&schema).unwrap();
        let (mut rows, mut chunks) = (0, 0);
        while let Some(chunk) = chunker.next_chunk().unwrap() {
            let mut reader = csv_reader(&chunk.bytes, b',');
            for record in reader.records() {
                assert_eq!(&record.unwrap()[1], "line\nwith \"quotes\"");
                rows += 1;
            }
            chunks += 1;
        }
        assert_eq!(rows, 100_000);
        assert!(chunks > 1, "{chunks}");
    }
}
