//! What a query's result becomes: CSV (also the canonical form the result hash is taken
//! over), JSON Lines, an aligned preview for people, or a Parquet file.
//!
//! # The canonical form and the result hash
//!
//! The result hash ([`ResultHasher`]) is the plain SHA-256 of the result as `strata query
//! --csv` prints it, so `strata query --csv … | sha256sum` shows the same hash:
//! - a header line of the column names, then one line per row in the order returned, each
//!   line ended by `\n`, fields separated by `,`;
//! - a field is quoted with `"` (a `"` inside doubled) when it is empty text or holds `,`,
//!   `"`, `\r` or `\n`; a NULL is an empty, unquoted field;
//! - booleans `true`/`false`; integers in decimal; floats as Rust's shortest round-trip
//!   decimal (`1`, `0.1`, `1e21` is `1000000000000000000000`, `NaN`, `inf`, `-inf`);
//!   dates `YYYY-MM-DD`; timestamps `YYYY-MM-DDTHH:MM:SS` plus `.` and 6 digits when the
//!   microseconds are not zero, plus `Z` for a timestamp with a time zone (shown in UTC);
//! - any other type as Arrow's display formatter writes it.
//!
//! A query without `ORDER BY` may return its rows in another order when run again (the
//! engine works in parallel): a query whose hash is to be reproduced should order its rows.

use crate::digest::{Digest, Hasher};
use crate::error::{Error, Result};
use crate::io::{Io, TempFile};
use crate::paths::tmp_path;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Int16Type, Int32Type, Int8Type, SchemaRef, TimeUnit, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::path::Path;

/// One cell as a value to render.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// Text.
    Text(String),
    /// Anything else, already rendered (dates, timestamps, other types).
    Rendered(String),
}

/// The cell at `row` of `array`.
pub fn cell(array: &ArrayRef, row: usize) -> Cell {
    if array.is_null(row) {
        return Cell::Null;
    }
    match array.data_type() {
        DataType::Boolean => Cell::Bool(array.as_boolean().value(row)),
        DataType::Int64 => Cell::Int(
            array
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(row)
                .into(),
        ),
        DataType::Int32 => Cell::Int(array.as_primitive::<Int32Type>().value(row).into()),
        DataType::Int16 => Cell::Int(array.as_primitive::<Int16Type>().value(row).into()),
        DataType::Int8 => Cell::Int(array.as_primitive::<Int8Type>().value(row).into()),
        DataType::UInt64 => Cell::Int(array.as_primitive::<UInt64Type>().value(row).into()),
        DataType::UInt32 => Cell::Int(array.as_primitive::<UInt32Type>().value(row).into()),
        DataType::UInt16 => Cell::Int(array.as_primitive::<UInt16Type>().value(row).into()),
        DataType::UInt8 => Cell::Int(array.as_primitive::<UInt8Type>().value(row).into()),
        DataType::Float64 => Cell::Float(
            array
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(row),
        ),
        DataType::Float32 => Cell::Float(array.as_primitive::<Float32Type>().value(row).into()),
        DataType::Utf8 => Cell::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Cell::Text(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Cell::Text(array.as_string_view().value(row).to_string()),
        DataType::Date32 => {
            let days = array
                .as_primitive::<datafusion::arrow::datatypes::Date32Type>()
                .value(row);
            Cell::Rendered(date_text(days))
        }
        DataType::Timestamp(unit, tz) => {
            Cell::Rendered(timestamp_text(array, row, *unit, tz.is_some()))
        }
        _ => Cell::Rendered(formatted(array, row)),
    }
}

fn date_text(days: i32) -> String {
    chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0)
        .map_or_else(|| days.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

fn timestamp_text(array: &ArrayRef, row: usize, unit: TimeUnit, zoned: bool) -> String {
    use datafusion::arrow::datatypes::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    let nanos: i128 = match unit {
        TimeUnit::Second => {
            i128::from(array.as_primitive::<TimestampSecondType>().value(row)) * 1_000_000_000
        }
        TimeUnit::Millisecond => {
            i128::from(array.as_primitive::<TimestampMillisecondType>().value(row)) * 1_000_000
        }
        TimeUnit::Microsecond => {
            i128::from(array.as_primitive::<TimestampMicrosecondType>().value(row)) * 1_000
        }
        TimeUnit::Nanosecond => {
            i128::from(array.as_primitive::<TimestampNanosecondType>().value(row))
        }
    };
    let seconds = nanos.div_euclid(1_000_000_000) as i64;
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    let Some(t) = chrono::DateTime::from_timestamp(seconds, sub) else {
        return formatted(array, row);
    };
    let mut text = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if !sub.is_multiple_of(1000) {
        text.push_str(&format!(".{sub:09}"));
    } else if sub != 0 {
        text.push_str(&format!(".{:06}", sub / 1000));
    }
    if zoned {
        text.push('Z');
    }
    text
}

fn formatted(array: &ArrayRef, row: usize) -> String {
    let options = FormatOptions::default();
    ArrayFormatter::try_new(array.as_ref(), &options)
        .map(|f| f.value(row).to_string())
        .unwrap_or_else(|_| "?".to_string())
}

impl Cell {
    /// The cell as a canonical CSV field (see the module docs).
    pub fn csv_field(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Null => {}
            Cell::Text(text) => csv_text(text, out),
            other => csv_text(&other.plain_text(), out),
        }
    }

    /// The cell as text for people (`NULL` for a null).
    pub fn display(&self) -> String {
        match self {
            Cell::Null => "NULL".to_string(),
            other => other.plain_text(),
        }
    }

    fn plain_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Text(t) | Cell::Rendered(t) => t.clone(),
        }
    }

    /// The cell as a JSON value: numbers as numbers (a NaN or infinite float as null),
    /// text and rendered values as strings.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Bool(b) => serde_json::Value::Bool(*b),
            Cell::Int(i) => i64::try_from(*i)
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| serde_json::Value::String(i.to_string())),
            Cell::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Cell::Text(t) | Cell::Rendered(t) => serde_json::Value::String(t.clone()),
        }
    }
}

fn csv_text(text: &str, out: &mut Vec<u8>) {
    let needs_quotes = text.is_empty()
        || text
            .bytes()
            .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs_quotes {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// The canonical CSV header line of a result.
pub fn csv_header(schema: &SchemaRef, out: &mut Vec<u8>) {
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_text(field.name(), out);
    }
    out.push(b'\n');
}

/// The rows of `batch` as canonical CSV lines.
pub fn csv_rows(batch: &RecordBatch, out: &mut Vec<u8>) {
    for row in 0..batch.num_rows() {
        for (i, column) in batch.columns().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            cell(column, row).csv_field(out);
        }
        out.push(b'\n');
    }
}

/// The rows of `batch` as JSON Lines: one object per row, keys in column order.
pub fn json_rows(batch: &RecordBatch, out: &mut Vec<u8>) {
    let names: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| serde_json::to_string(f.name()).expect("a string serializes"))
        .collect();
    for row in 0..batch.num_rows() {
        out.push(b'{');
        for (i, (column, name)) in batch.columns().iter().zip(&names).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            let value = cell(column, row).json();
            out.extend_from_slice(
                serde_json::to_string(&value)
                    .expect("a value serializes")
                    .as_bytes(),
            );
        }
        out.extend_from_slice(b"}\n");
    }
}

/// The SHA-256 of a result's canonical form, fed batch by batch.
#[derive(Debug)]
pub struct ResultHasher {
    hasher: Hasher,
    buffer: Vec<u8>,
}

impl ResultHasher {
    /// Starts with the header line of `schema`.
    pub fn new(schema: &SchemaRef) -> Self {
        let mut buffer = Vec::new();
        csv_header(schema, &mut buffer);
        let mut hasher = Hasher::new();
        hasher.update(&buffer);
        buffer.clear();
        ResultHasher { hasher, buffer }
    }

    /// Adds the rows of `batch`.
    pub fn update(&mut self, batch: &RecordBatch) {
        self.buffer.clear();
        csv_rows(batch, &mut self.buffer);
        self.hasher.update(&self.buffer);
    }

    /// The hash.
    pub fn finish(self) -> Digest {
        self.hasher.finish()
    }
}

/// The first rows of a result as text for an aligned table, and how many more there were.
#[derive(Debug)]
pub struct Preview {
    limit: usize,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    hidden: u64,
}

impl Preview {
    /// A preview of at most `limit` rows.
    pub fn new(schema: &SchemaRef, limit: usize) -> Self {
        Preview {
            limit,
            header: schema.fields().iter().map(|f| f.name().clone()).collect(),
            rows: Vec::new(),
            hidden: 0,
        }
    }

    /// Takes the rows of `batch` while there is room, counts the others.
    pub fn push(&mut self, batch: &RecordBatch) {
        for row in 0..batch.num_rows() {
            if self.rows.len() >= self.limit {
                self.hidden += (batch.num_rows() - row) as u64;
                return;
            }
            self.rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| cell(c, row).display())
                    .collect(),
            );
        }
    }

    /// The header then the rows kept.
    pub fn table(&self) -> Vec<Vec<String>> {
        std::iter::once(self.header.clone())
            .chain(self.rows.iter().cloned())
            .collect()
    }

    /// The rows kept.
    pub fn shown(&self) -> usize {
        self.rows.len()
    }

    /// The rows not kept.
    pub fn hidden(&self) -> u64 {
        self.hidden
    }
}

/// A Parquet file being written through the IO seam: to a temporary file beside the
/// target, fsynced and renamed over it by [`ParquetFile::finish`].
pub struct ParquetFile {
    writer: ArrowWriter<std::io::BufWriter<super::columnar::HashingFile>>,
    target: std::path::PathBuf,
}

impl std::fmt::Debug for ParquetFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetFile")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ParquetFile {
    /// Starts writing `target` (snappy-compressed) with `metadata` in its key-value metadata.
    pub fn create(
        io: &Io,
        target: &Path,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
    ) -> Result<ParquetFile> {
        let tmp = tmp_path(target);
        let file: TempFile = io.create_temp(&tmp).or_else(|_| {
            // A temporary file a crash left behind is never read: start it afresh.
            io.remove_file(&tmp)?;
            io.create_temp(&tmp)
        })?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(
                metadata
                    .into_iter()
                    .map(|(k, v)| KeyValue::new(k, v))
                    .collect(),
            ))
            .build();
        let sink =
            std::io::BufWriter::with_capacity(1 << 20, super::columnar::HashingFile::new(file));
        let writer = ArrowWriter::try_new(sink, schema, Some(properties)).map_err(|e| {
            Error::InvalidRequest(format!("cannot write {}: {e}", target.display()))
        })?;
        Ok(ParquetFile {
            writer,
            target: target.to_path_buf(),
        })
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch).map_err(|e| {
            Error::InvalidRequest(format!("cannot write {}: {e}", self.target.display()))
        })
    }

    /// Finishes the file and moves it under its name durably: its length and SHA-256.
    pub fn finish(self) -> Result<(u64, Digest)> {
        let target = self.target;
        let fail =
            |e: String| Error::InvalidRequest(format!("cannot write {}: {e}", target.display()));
        let sink = self.writer.into_inner().map_err(|e| fail(e.to_string()))?;
        let file = sink.into_inner().map_err(|e| fail(e.error().to_string()))?;
        file.check()?;
        let super::columnar::HashingFile { file, hasher, .. } = file;
        let len = file.bytes_written();
        file.persist(&target)?;
        Ok((len, hasher.finish()))
    }
}
