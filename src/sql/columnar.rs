//! Columnar copies: a table's rows as a Parquet file, derived from its CSV bytes.
//!
//! A copy is named by the SHA-256 of its own bytes (`derived/parquet/<hex>.parquet`) and
//! found through a small index file per table content hash (`derived/parquet/index/<table
//! hex>.json`, [`CopyIndex`]). It is never the source of truth: it can be deleted at any
//! time and is rebuilt from the table's bytes (read through the store, from a blob file or a
//! `table_bytes` record). The index entry also holds the SHA-256 of the file's footer and of
//! each column chunk ([`PartHashes`]): opening a copy hashes its footer and compares its row
//! count and schema with the table's record, and each scan hashes the chunks of the columns
//! it reads, on every thread, before decoding any. So a damaged, truncated or stale copy is
//! never decoded (the scan reads the CSV instead, and the copy is rebuilt), and a query
//! hashes only what it reads, not the whole file.
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
/// `v2`: the index entry holds the hash of the footer and of every column chunk.
pub const CONVERSION: &str = "strata-columnar-v2";

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

/// The index file of a copy: its [`CopyIndex`] and the hashes that let a query verify only
/// what it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IndexFile {
    #[serde(flatten)]
    index: CopyIndex,
    #[serde(flatten)]
    parts: PartHashes,
}

/// The SHA-256 (hex) of a copy's footer and of each of its column chunks. Together they
/// cover every byte a reader reads: the footer (the Thrift metadata, its length and the
/// magic) to find the chunks, and the chunks themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartHashes {
    /// The file's last `8 + metadata length` bytes.
    pub footer_sha256: String,
    /// Row group by row group, one per column in schema order: the bytes from the chunk's
    /// first page (its dictionary page, if any) over its compressed length.
    pub chunk_sha256: Vec<Vec<String>>,
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

/// A columnar copy whose footer was verified, held in memory (mapped) for the scans of one
/// query; each scan verifies the column chunks it reads ([`ColumnarCopy::verify_columns`]).
#[derive(Debug)]
pub struct ColumnarCopy {
    bytes: Bytes,
    metadata: ArrowReaderMetadata,
    /// The index entry it was verified against.
    pub index: CopyIndex,
    parts: PartHashes,
    path: std::path::PathBuf,
    /// One flag per column chunk (row group major), set once it hashed right: the scans of
    /// one query that read the same columns (a self-join, a table named twice) hash them once.
    verified: Vec<std::sync::atomic::AtomicBool>,
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
    /// The copy of `table` with its footer verified, or why there is none to use: its
    /// index entry is this conversion's and this table's, the file has the recorded length,
    /// its footer hashes to the recorded hash, and it holds the table's rows of its schema.
    /// Its column chunks are verified by the scans that read them. Reads only: a damaged
    /// copy is left for [`materialize_table`] to replace.
    pub fn open(
        io: &Io,
        paths: &StorePaths,
        table: &TableRecord,
    ) -> Result<ColumnarCopy, CopyState> {
        let (file, map, path) = Self::map_indexed(io, paths, table)?;
        let unusable = CopyState::Unusable;
        let footer = footer_range(&map)
            .ok_or_else(|| unusable(format!("{} has no Parquet footer", path.display())))?;
        if Digest::of(&map[footer]).hex() != file.parts.footer_sha256 {
            return Err(unusable(format!(
                "the footer of {} does not hash to its index entry",
                path.display()
            )));
        }
        let bytes = Bytes::from_owner(MapOwner(map));
        let metadata = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::default())
            .map_err(|e| unusable(format!("{} is not readable Parquet: {e}", path.display())))?;
        let rows = metadata.metadata().file_metadata().num_rows();
        let schema_fits = same_fields(metadata.schema(), &arrow_schema(&table.schema));
        let shape_fits = chunk_shape(&metadata) == shape(&file.parts.chunk_sha256);
        if rows as u64 != table.row_count || !schema_fits || !shape_fits {
            return Err(unusable(format!(
                "{} does not hold the table's {} rows of its schema",
                path.display(),
                table.row_count
            )));
        }
        let chunks = file.parts.chunk_sha256.iter().map(Vec::len).sum();
        Ok(ColumnarCopy {
            bytes,
            metadata,
            index: file.index,
            parts: file.parts,
            path,
            verified: (0..chunks).map(|_| Default::default()).collect(),
        })
    }

    /// [`ColumnarCopy::open`], and the whole file hashed against the index's
    /// `parquet_hash` (its name): what `materialize` checks before it keeps a copy.
    pub fn open_whole(
        io: &Io,
        paths: &StorePaths,
        table: &TableRecord,
    ) -> Result<ColumnarCopy, CopyState> {
        let copy = Self::open(io, paths, table)?;
        let actual = Digest::of(&copy.bytes);
        if actual.hex() != copy.index.parquet_hash {
            return Err(CopyState::Unusable(format!(
                "{} hashes to {}, not {}",
                copy.path.display(),
                actual.hex(),
                copy.index.parquet_hash
            )));
        }
        Ok(copy)
    }

    /// The index entry of `table`'s copy and the copy's file, mapped, if its length is the
    /// recorded one.
    fn map_indexed(
        io: &Io,
        paths: &StorePaths,
        table: &TableRecord,
    ) -> Result<(IndexFile, crate::io::Map, std::path::PathBuf), CopyState> {
        let index_path = paths.parquet_index(&table.content_hash.0);
        if !io.is_file(&index_path) {
            return Err(CopyState::Absent);
        }
        let unusable = CopyState::Unusable;
        let file = io
            .read(&index_path)
            .map_err(|e| unusable(e.to_string()))
            .and_then(|bytes| {
                serde_json::from_slice::<IndexFile>(&bytes).map_err(|e| {
                    unusable(format!("index {} is unreadable: {e}", index_path.display()))
                })
            })?;
        if file.index.conversion != CONVERSION || file.index.table_hash != table.content_hash.hex()
        {
            return Err(unusable(format!(
                "index {} is for another conversion or table",
                index_path.display()
            )));
        }
        let expected = crate::digest::parse_hex32(&file.index.parquet_hash)
            .ok_or_else(|| unusable(format!("index {} names no copy", index_path.display())))?;
        let path = paths.parquet_copy(&expected);
        let map = io
            .open(&path, OpenMode::Read)
            .and_then(|f| f.map())
            .map_err(|e| unusable(e.to_string()))?;
        if map.len() as u64 != file.index.bytes {
            return Err(unusable(format!(
                "{} is {} bytes, not the {} its index entry records",
                path.display(),
                map.len(),
                file.index.bytes
            )));
        }
        Ok((file, map, path))
    }

    /// Hashes the chunks of the columns at `projection` (every column with `None`) in every
    /// row group, on up to `parallelism` threads, against the index entry; the first that
    /// does not match, as the reason not to read this copy. A projection of no column (a
    /// `COUNT(*)`) reads no chunk: the row counts come from the verified footer.
    pub fn verify_columns(
        &self,
        projection: Option<&[usize]>,
        parallelism: usize,
    ) -> Result<(), String> {
        let meta = self.metadata.metadata();
        let columns: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..meta.file_metadata().schema_descr().num_columns()).collect(),
        };
        let chunks: Vec<(usize, usize)> = (0..meta.num_row_groups())
            .flat_map(|g| columns.iter().map(move |&c| (g, c)))
            .collect();
        let per_thread = chunks.len().div_ceil(parallelism.max(1)).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = chunks
                .chunks(per_thread)
                .map(|part| {
                    scope.spawn(move || part.iter().try_for_each(|&(g, c)| self.verify_chunk(g, c)))
                })
                .collect();
            workers.into_iter().try_for_each(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("a hashing thread panicked".into()))
            })
        })
    }

    /// Hashes the chunk of column `column` in row group `group` against the index entry,
    /// unless a scan of this query already did.
    fn verify_chunk(&self, group: usize, column: usize) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        let meta = self.metadata.metadata();
        // A Parquet row group has every column of the schema.
        let columns = meta.file_metadata().schema_descr().num_columns();
        let flag = self.verified.get(group * columns + column);
        if flag.is_some_and(|f| f.load(Ordering::Acquire)) {
            return Ok(());
        }
        let chunk = meta.row_group(group).column(column);
        let expected = self
            .parts
            .chunk_sha256
            .get(group)
            .and_then(|g| g.get(column));
        match (chunk_bytes(&self.bytes, chunk), expected) {
            (Some(bytes), Some(expected)) if Digest::of(bytes).hex() == *expected => {
                if let Some(flag) = flag {
                    flag.store(true, Ordering::Release);
                }
                Ok(())
            }
            _ => Err(format!(
                "{}: row group {group}, column `{}` does not hash to its index entry",
                self.path.display(),
                chunk.column_descr().name()
            )),
        }
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

/// The footer of a Parquet file: its last `8 + metadata length` bytes (the metadata, its
/// 4-byte little-endian length, the magic `PAR1`); `None` if the file cannot hold one.
fn footer_range(file: &[u8]) -> Option<std::ops::Range<usize>> {
    let tail = file.len().checked_sub(8)?;
    if &file[tail + 4..] != b"PAR1" {
        return None;
    }
    let length = u32::from_le_bytes(file[tail..tail + 4].try_into().ok()?) as usize;
    Some(tail.checked_sub(length)?..file.len())
}

/// The bytes of a column chunk in `file`: from its first page over its compressed length;
/// `None` if the metadata puts them beyond the file.
fn chunk_bytes<'f>(
    file: &'f [u8],
    chunk: &parquet::file::metadata::ColumnChunkMetaData,
) -> Option<&'f [u8]> {
    let (start, len) = chunk.byte_range();
    let start = usize::try_from(start).ok()?;
    file.get(start..start.checked_add(usize::try_from(len).ok()?)?)
}

/// The number of column chunks of each row group.
fn chunk_shape(metadata: &ArrowReaderMetadata) -> Vec<usize> {
    metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_columns())
        .collect()
}

fn shape(chunks: &[Vec<String>]) -> Vec<usize> {
    chunks.iter().map(Vec::len).collect()
}

/// The hashes of a written copy's footer and column chunks (see [`PartHashes`]).
fn part_hashes(file: &[u8]) -> Result<PartHashes> {
    let unreadable = |why: String| Error::invariant(format!("a columnar copy just written {why}"));
    let footer = footer_range(file).ok_or_else(|| unreadable("has no footer".into()))?;
    let bytes = Bytes::copy_from_slice(&file[footer.start..]);
    // The metadata alone, parsed from the footer: its offsets are the file's.
    let metadata =
        parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&bytes[..bytes.len() - 8])
            .map_err(|e| unreadable(format!("does not read back: {e}")))?;
    let mut chunk_sha256 = Vec::with_capacity(metadata.num_row_groups());
    for group in metadata.row_groups() {
        let hashes = group
            .columns()
            .iter()
            .map(|chunk| {
                chunk_bytes(file, chunk)
                    .map(|b| Digest::of(b).hex())
                    .ok_or_else(|| unreadable("names a chunk beyond its end".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        chunk_sha256.push(hashes);
    }
    Ok(PartHashes {
        footer_sha256: Digest::of(&file[footer]).hex(),
        chunk_sha256,
    })
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
    if let Ok(copy) = ColumnarCopy::open_whole(io, paths, table) {
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
    let parts = part_hashes(&io.open(&target, OpenMode::Read)?.map()?)?;
    let index = CopyIndex {
        conversion: CONVERSION.to_string(),
        table_hash: table.content_hash.hex(),
        parquet_hash: hash.hex(),
        bytes,
        rows,
    };
    let index_path = paths.parquet_index(&table.content_hash.0);
    let entry = IndexFile {
        index: index.clone(),
        parts,
    };
    let body = serde_json::to_vec_pretty(&entry).expect("an index serializes");
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
