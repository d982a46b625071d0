//! Columnar copies: a table's rows as a Parquet file, derived from its CSV bytes.
//!
//! A copy is named by the SHA-256 of its own bytes (`derived/parquet/<hex>.parquet`) and
//! found through a small index file per table content hash (`derived/parquet/index/<table
//! hex>.json`, [`CopyIndex`]). It is never the source of truth: it can be deleted at any
//! time and is rebuilt from the table's bytes (read through the store, from a blob file or a
//! `table_bytes` record); before use its bytes are hashed and compared with the
//! index, and its row count and schema with the table's record, so a damaged, truncated or
//! stale copy is never read (the query reads the CSV instead, and the copy is rebuilt).
//!
//! A copy is written to `derived/parquet/tmp/`, fsynced, renamed under its hash and its folder
//! fsynced, all through the IO seam; then the index file is created durably.
//!
//! The copy holds no dataset name or version (one copy serves every dataset holding the same
//! content); its key-value metadata names the table's content hash, its schema and the
//! conversion ([`CONVERSION`]).

use super::csv_read::{arrow_schema, ChunkParser, Chunker, ReadError};
use super::scan::BatchResult;
use crate::blob::blob_read_error;
use crate::digest::{Digest, Hasher};
use crate::error::{Error, Result};
use crate::io::{Io, OpenMode, TempFile};
use crate::paths::{tmp_path, StorePaths};
use crate::store::TableBytesSource;
use crate::store::TableRecord;
use bytes::Bytes;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::sync::Arc;

/// The conversion rules of a copy: the CSV dialect and value recognisers of this strata,
/// the Arrow types of [`super::csv_read::arrow_type`]. A copy made by other rules is stale.
pub const CONVERSION: &str = "strata-columnar-v1";

/// Rows per Parquet row group: the unit decoded by one thread.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The index entry of a copy: which file holds the table with a content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyIndex {
    /// [`CONVERSION`] when the copy was made.
    pub conversion: String,
    /// The table's content hash (hex).
    pub table_hash: String,
    /// The SHA-256 of the Parquet file (hex): its name.
    pub parquet_hash: String,
    /// The Parquet file's length in bytes.
    pub bytes: u64,
    /// The rows it holds.
    pub rows: u64,
}

/// What [`materialize_table`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Materialized {
    /// The table's display name.
    pub table: String,
    /// The index entry of its copy (its fields are this object's in JSON).
    #[serde(flatten)]
    pub index: CopyIndex,
    /// Whether a valid copy was there already (nothing was written).
    pub already_present: bool,
}

/// One line of `strata materialize --json`: a table of a version and its copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterializedLine {
    /// The dataset's name.
    pub dataset: String,
    /// The version number.
    pub version: u64,
    /// The table and its copy.
    #[serde(flatten)]
    pub copy: Materialized,
}

/// A verified columnar copy, held in memory (mapped) for the scans of one query.
#[derive(Debug)]
pub struct ColumnarCopy {
    bytes: Bytes,
    metadata: ArrowReaderMetadata,
    /// The index entry it was verified against.
    pub index: CopyIndex,
}

/// Why a copy could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyState {
    /// No copy was made (or it was removed).
    Absent,
    /// A copy is there but cannot be used: why.
    Unusable(String),
}

struct MapOwner(crate::io::Map);

impl AsRef<[u8]> for MapOwner {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl ColumnarCopy {
    /// The verified copy of `table`, or why there is none to use. Reads only: a damaged copy
    /// is left for [`materialize_table`] to replace.
    pub fn open(
        io: &Io,
        paths: &StorePaths,
        table: &TableRecord,
    ) -> Result<ColumnarCopy, CopyState> {
        let index_path = paths.parquet_index(&table.content_hash.0);
        if !io.is_file(&index_path) {
            return Err(CopyState::Absent);
        }
        let unusable = |why: String| CopyState::Unusable(why);
        let index = io
            .read(&index_path)
            .map_err(|e| unusable(e.to_string()))
            .and_then(|bytes| {
                serde_json::from_slice::<CopyIndex>(&bytes).map_err(|e| {
                    unusable(format!("index {} is unreadable: {e}", index_path.display()))
                })
            })?;
        if index.conversion != CONVERSION || index.table_hash != table.content_hash.hex() {
            return Err(unusable(format!(
                "index {} is for another conversion or table",
                index_path.display()
            )));
        }
        let expected = crate::digest::parse_hex32(&index.parquet_hash)
            .ok_or_else(|| unusable("bad hash".into()))?;
        let path = paths.parquet_copy(&expected);
        let file = io
            .open(&path, OpenMode::Read)
            .map_err(|e| unusable(e.to_string()))?;
        let map = file.map().map_err(|e| unusable(e.to_string()))?;
        let actual = Digest::of(&map);
        if actual.0 != expected {
            return Err(unusable(format!(
                "{} hashes to {}, not {}",
                path.display(),
                actual.hex(),
                index.parquet_hash
            )));
        }
        let bytes = Bytes::from_owner(MapOwner(map));
        let metadata = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::default())
            .map_err(|e| unusable(format!("{} is not readable Parquet: {e}", path.display())))?;
        let rows = metadata.metadata().file_metadata().num_rows();
        let schema_fits = same_fields(metadata.schema(), &arrow_schema(&table.schema));
        if rows as u64 != table.row_count || !schema_fits {
            return Err(unusable(format!(
                "{} does not hold the table's {} rows of its schema",
                path.display(),
                table.row_count
            )));
        }
        Ok(ColumnarCopy {
            bytes,
            metadata,
            index,
        })
    }

    /// The rows, in order, of the columns at `projection`: row groups decoded on up to
    /// `parallelism` blocking threads.
    pub fn stream(
        &self,
        projection: Option<&[usize]>,
        schema: SchemaRef,
        parallelism: usize,
    ) -> datafusion::common::Result<SendableRecordBatchStream> {
        let groups = self.metadata.metadata().num_row_groups();
        let mask = match projection {
            Some(p) => ProjectionMask::roots(self.metadata.parquet_schema(), p.iter().copied()),
            None => ProjectionMask::all(),
        };
        let (bytes, metadata) = (self.bytes.clone(), self.metadata.clone());
        let out_schema = Arc::clone(&schema);
        let batches = futures::stream::iter(0..groups)
            .map(move |group| {
                let (bytes, metadata, mask) = (bytes.clone(), metadata.clone(), mask.clone());
                let schema = Arc::clone(&out_schema);
                async move {
                    tokio::task::spawn_blocking(move || {
                        decode_group(bytes, metadata, mask, group, schema)
                    })
                    .await
                    .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?
                }
            })
            .buffered(parallelism.max(1))
            .flat_map(|result: datafusion::common::Result<Vec<RecordBatch>>| {
                let items: Vec<BatchResult> = match result {
                    Ok(batches) => batches.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
                futures::stream::iter(items)
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
    }
}

/// The batches of one row group, with the names of `schema` (the projection asked for).
fn decode_group(
    bytes: Bytes,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    group: usize,
    schema: SchemaRef,
) -> datafusion::common::Result<Vec<RecordBatch>> {
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata)
        .with_projection(mask)
        .with_row_groups(vec![group])
        .with_batch_size(ROW_GROUP_ROWS)
        .build()
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    reader
        .map(|batch| {
            let batch = batch?;
            // With the row count given: a projection of no column (`COUNT(*)`) has rows.
            let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
            Ok(RecordBatch::try_new_with_options(
                Arc::clone(&schema),
                batch.columns().to_vec(),
                &options,
            )?)
        })
        .collect()
}

/// Whether two schemas have the same field names and types, in order.
fn same_fields(a: &SchemaRef, b: &SchemaRef) -> bool {
    a.fields().len() == b.fields().len()
        && a.fields()
            .iter()
            .zip(b.fields())
            .all(|(x, y)| x.name() == y.name() && x.data_type() == y.data_type())
}

/// Makes the columnar copy of `table` (a table of `store`) unless a valid one exists;
/// replaces a damaged one.
pub fn materialize_table(store: &crate::Store, table: &TableRecord) -> Result<Materialized> {
    let (io, paths) = (&store.io(), &store.paths());
    if let Ok(copy) = ColumnarCopy::open(io, paths, table) {
        return Ok(Materialized {
            table: table.name.clone(),
            index: copy.index,
            already_present: true,
        });
    }
    let metadata = vec![
        KeyValue::new("strata.conversion".to_string(), CONVERSION.to_string()),
        KeyValue::new("strata.content_hash".to_string(), table.content_hash.hex()),
        KeyValue::new("strata.schema".to_string(), schema_json(table)),
    ];
    // Held from the temporary file until the index entry names the copy: `gc` removes
    // temporary files and copies no entry names only under the exclusive staging lock.
    let _staging = store.hold_staging_lock()?;
    let source = &store.table_bytes_source(&table.content_hash)?;
    io.ensure_dir_durably(&paths.parquet_tmp_dir())?;
    io.ensure_dir_durably(&paths.parquet_index_dir())?;
    let tmp = paths.parquet_tmp(uuid::Uuid::new_v4());
    let (file, rows) = write_parquet(io.create_temp(&tmp)?, source, table, metadata)?;
    let HashingFile { file, hasher, .. } = file;
    let hash = hasher.finish();
    let bytes = file.bytes_written();
    let target = paths.parquet_copy(&hash.0);
    file.persist(&target)?;
    let index = CopyIndex {
        conversion: CONVERSION.to_string(),
        table_hash: table.content_hash.hex(),
        parquet_hash: hash.hex(),
        bytes,
        rows,
    };
    let index_path = paths.parquet_index(&table.content_hash.0);
    let body = serde_json::to_vec_pretty(&index).expect("an index serializes");
    io.create_durably(&index_path, &tmp_path(&index_path), &body)?;
    Ok(Materialized {
        table: table.name.clone(),
        index,
        already_present: false,
    })
}

/// Makes the columnar copies of every table of a version (see [`materialize_table`]): the
/// version's number and one entry per table.
pub fn materialize_version(
    store: &crate::Store,
    dataset: &str,
    version: &crate::store::VersionRef,
) -> Result<Vec<MaterializedLine>> {
    let info = store.version(dataset, version)?;
    let name = store.catalog().get(dataset)?.name.clone();
    info.tables
        .iter()
        .map(|table| {
            Ok(MaterializedLine {
                dataset: name.clone(),
                version: info.number,
                copy: materialize_table(store, table)?,
            })
        })
        .collect()
}

/// The schema as JSON, for the files' metadata.
pub fn schema_json(table: &TableRecord) -> String {
    serde_json::to_string(&*table.schema).expect("a schema serializes")
}

/// Writes every row of `table`, read from `source` (its bytes), as Parquet into `file`: the
/// file and the number of rows.
pub fn write_parquet(
    file: TempFile,
    source: &TableBytesSource,
    table: &TableRecord,
    metadata: Vec<KeyValue>,
) -> Result<(HashingFile, u64)> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(metadata))
        .build();
    let sink = io::BufWriter::with_capacity(1 << 20, HashingFile::new(file));
    let schema = arrow_schema(&table.schema);
    let mut writer = ArrowWriter::try_new(sink, schema, Some(properties)).map_err(parquet_error)?;
    let mut rows = 0u64;
    for_each_batch(source, table, &mut |batch| {
        rows += batch.num_rows() as u64;
        writer.write(&batch).map_err(parquet_error)
    })?;
    let sink = writer.into_inner().map_err(parquet_error)?;
    let file = sink.into_inner().map_err(|e| {
        Error::InvalidRequest(format!("cannot write a Parquet file: {}", e.error()))
    })?;
    file.check()?;
    Ok((file, rows))
}

/// Calls `each` with every batch of `table`'s rows, in order, read (and verified) from
/// `source`, its bytes: parsed on a second thread while `each` runs.
pub fn for_each_batch(
    source: &TableBytesSource,
    table: &TableRecord,
    each: &mut dyn FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let reader = source.open()?;
    let path = reader.path.clone();
    let parser = ChunkParser::new(table, None);
    let to_error = |e: ReadError| match e {
        ReadError::Io(e) => blob_read_error(e, &path),
        ReadError::Data(message) => Error::invariant(format!(
            "table `{}` does not read back as ingested: {message}",
            table.name
        )),
    };
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<RecordBatch>>(2);
        scope.spawn(|| {
            let sender = sender;
            let mut chunker = Chunker::new(reader, table.delimiter);
            if let Err(e) = chunker.read_header(&table.schema) {
                let _ = sender.send(Err(to_error(e)));
                return;
            }
            loop {
                let item = match chunker.next_chunk() {
                    Ok(Some(chunk)) => parser.parse(&chunk).map_err(&to_error),
                    Ok(None) => return,
                    Err(e) => Err(to_error(e)),
                };
                let failed = item.is_err();
                if sender.send(item).is_err() || failed {
                    return;
                }
            }
        });
        for item in receiver {
            each(item?)?;
        }
        Ok(())
    })
}

fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    // The IO seam's errors come back through the writer as `io::Error`s carrying ours.
    if let parquet::errors::ParquetError::External(inner) = &e {
        if let Some(ours) = inner.downcast_ref::<Error>() {
            return ours.clone();
        }
    }
    Error::InvalidRequest(format!("cannot write a Parquet file: {e}"))
}

/// A temporary file that hashes what is written to it, as a `Write` for the Parquet writer.
/// The first IO error is kept, so that it is reported as the seam's error.
pub struct HashingFile {
    /// The file.
    pub file: TempFile,
    /// The SHA-256 of the bytes written so far.
    pub hasher: Hasher,
    failed: Option<Error>,
}

impl HashingFile {
    /// Wraps `file`.
    pub fn new(file: TempFile) -> Self {
        HashingFile {
            file,
            hasher: Hasher::new(),
            failed: None,
        }
    }

    /// The first write error, if there was one.
    pub fn check(&self) -> Result<()> {
        self.failed.clone().map_or(Ok(()), Err)
    }
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Err(e) = self.file.write(buf) {
            let message = e.to_string();
            self.failed = Some(e.into());
            return Err(io::Error::other(message));
        }
        self.hasher.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
