//! Exporting a version: each table as a file that DuckDB, pandas, Spark or Polars read
//! directly, with the strata dataset, version, hashes and schema in the file's key-value
//! metadata (Parquet, Arrow IPC), and a manifest beside them (`strata-export.json`).
//!
//! CSV exports are the stored bytes themselves (so `sha256sum` of the file is the table's
//! content hash); Parquet and Arrow files hold the rows typed as strata inferred them
//! ([`super::csv_read::arrow_type`]). Every file is written to a temporary name, fsynced and
//! renamed through the IO seam; a table whose bytes turn out damaged leaves no file.

use super::columnar::{for_each_batch, schema_json, HashingFile, CONVERSION};
use super::output::ParquetFile;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::io::Io;
use crate::paths::tmp_path;
use crate::store::{TableRecord, VersionRef};
use crate::Store;
use datafusion::arrow::ipc::writer::FileWriter;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Parquet, snappy-compressed.
    Parquet,
    /// The stored CSV bytes.
    Csv,
    /// Arrow IPC file format (Feather v2).
    Arrow,
}

impl ExportFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
            ExportFormat::Arrow => "arrow",
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ExportFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Ok(ExportFormat::Parquet),
            "csv" => Ok(ExportFormat::Csv),
            "arrow" | "ipc" | "feather" => Ok(ExportFormat::Arrow),
            other => Err(Error::InvalidRequest(format!(
                "`{other}` is not an export format: use parquet, csv or arrow"
            ))),
        }
    }
}

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedFile {
    /// The table's display name.
    pub table: String,
    /// The table's id.
    pub table_id: String,
    /// Where it was written.
    pub path: PathBuf,
    /// The file's length in bytes.
    pub bytes: u64,
    /// The SHA-256 of the file (hex).
    pub sha256: String,
    /// The table's content hash (hex).
    pub content_hash: String,
    /// Rows.
    pub rows: u64,
}

/// What an export wrote: the manifest `strata-export.json` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Export {
    /// The dataset's name.
    pub dataset: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The version number.
    pub version: u64,
    /// The version's content hash (hex).
    pub version_hash: String,
    /// The format.
    pub format: ExportFormat,
    /// One entry per table.
    pub files: Vec<ExportedFile>,
    /// The manifest's path.
    pub manifest: PathBuf,
}

/// The manifest's file name.
pub const MANIFEST: &str = "strata-export.json";

/// Writes every table of a version into `out_dir` (created if missing) as
/// `<table>.<extension>`, replacing files of those names, then the manifest.
pub fn export_version(
    store: &Store,
    dataset: &str,
    version: &VersionRef,
    format: ExportFormat,
    out_dir: &Path,
) -> Result<Export> {
    let info = store.version(dataset, version)?;
    let (dataset_id, name) = {
        let catalog = store.catalog();
        let ds = catalog.get(dataset)?;
        (ds.id, ds.name.clone())
    };
    let io = store.io();
    io.ensure_dir_durably(out_dir)?;
    let mut files = Vec::with_capacity(info.tables.len());
    for table in &info.tables {
        let path = out_dir.join(format!("{}.{}", table.name, format.extension()));
        let metadata = file_metadata(&name, dataset_id, info.number, &info.hash, table);
        let (bytes, sha256, rows) = match format {
            ExportFormat::Csv => copy_blob(store, &io, table, &path)?,
            ExportFormat::Parquet => write_parquet(store, &io, table, &path, metadata)?,
            ExportFormat::Arrow => write_arrow(store, &io, table, &path, metadata)?,
        };
        files.push(ExportedFile {
            table: table.name.clone(),
            table_id: table.table_id.clone(),
            path,
            bytes,
            sha256: sha256.hex(),
            content_hash: table.content_hash.hex(),
            rows,
        });
    }
    let manifest = out_dir.join(MANIFEST);
    let export = Export {
        dataset: name,
        dataset_id,
        version: info.number,
        version_hash: info.hash.hex(),
        format,
        files,
        manifest: manifest.clone(),
    };
    let body = serde_json::to_vec_pretty(&export).expect("an export serializes");
    io.create_durably(&manifest, &tmp_path(&manifest), &body)?;
    Ok(export)
}

/// The key-value metadata of an exported file (FORMAT.md, *Exports*).
pub fn file_metadata(
    dataset: &str,
    dataset_id: uuid::Uuid,
    version: u64,
    version_hash: &Digest,
    table: &TableRecord,
) -> Vec<(String, String)> {
    [
        ("strata.dataset", dataset.to_string()),
        ("strata.dataset_id", dataset_id.to_string()),
        ("strata.version", version.to_string()),
        ("strata.version_hash", version_hash.hex()),
        ("strata.table", table.name.clone()),
        ("strata.table_id", table.table_id.clone()),
        ("strata.content_hash", table.content_hash.hex()),
        ("strata.schema", schema_json(table)),
        ("strata.conversion", CONVERSION.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The stored bytes, verified as they are copied.
fn copy_blob(
    store: &Store,
    io: &Io,
    table: &TableRecord,
    path: &Path,
) -> Result<(u64, Digest, u64)> {
    let mut reader = store.table_bytes_reader(&table.content_hash)?;
    let blob_path = reader.path.clone();
    let mut file = HashingFile::new(fresh_temp(io, path)?);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| crate::blob::blob_read_error(e, &blob_path))?;
        if n == 0 {
            break;
        }
        std::io::Write::write_all(&mut file, &buf[..n]).map_err(|e| Error::io("write", path, e))?;
    }
    file.check()?;
    let HashingFile { file, hasher, .. } = file;
    let len = file.bytes_written();
    file.persist(path)?;
    Ok((len, hasher.finish(), table.row_count))
}

fn fresh_temp(io: &Io, path: &Path) -> Result<crate::io::TempFile> {
    let tmp = tmp_path(path);
    if io.exists(&tmp) {
        // A temporary file a crash left behind is never read: start it afresh.
        io.remove_file(&tmp)?;
    }
    Ok(io.create_temp(&tmp)?)
}

fn write_parquet(
    store: &Store,
    io: &Io,
    table: &TableRecord,
    path: &Path,
    metadata: Vec<(String, String)>,
) -> Result<(u64, Digest, u64)> {
    let schema = super::csv_read::arrow_schema(&table.schema);
    let mut file = ParquetFile::create(io, path, schema, metadata)?;
    let mut rows = 0;
    let source = store.table_bytes_source(&table.content_hash)?;
    for_each_batch(&source, table, &mut |batch| {
        rows += batch.num_rows() as u64;
        file.write(&batch)
    })?;
    let (len, hash) = file.finish()?;
    Ok((len, hash, rows))
}

fn write_arrow(
    store: &Store,
    io: &Io,
    table: &TableRecord,
    path: &Path,
    metadata: Vec<(String, String)>,
) -> Result<(u64, Digest, u64)> {
    let fail = |e: String| Error::InvalidRequest(format!("cannot write {}: {e}", path.display()));
    let metadata: HashMap<String, String> = metadata.into_iter().collect();
    let schema = super::csv_read::arrow_schema(&table.schema);
    let schema = Arc::new(schema.as_ref().clone().with_metadata(metadata));
    let sink = std::io::BufWriter::with_capacity(1 << 20, HashingFile::new(fresh_temp(io, path)?));
    let mut writer = FileWriter::try_new(sink, &schema).map_err(|e| fail(e.to_string()))?;
    let mut rows = 0;
    let source = store.table_bytes_source(&table.content_hash)?;
    for_each_batch(&source, table, &mut |batch| {
        rows += batch.num_rows() as u64;
        let batch = batch
            .with_schema(Arc::clone(&schema))
            .map_err(|e| fail(e.to_string()))?;
        writer.write(&batch).map_err(|e| fail(e.to_string()))
    })?;
    writer.finish().map_err(|e| fail(e.to_string()))?;
    let sink = writer.into_inner().map_err(|e| fail(e.to_string()))?;
    let file = sink.into_inner().map_err(|e| fail(e.error().to_string()))?;
    file.check()?;
    let HashingFile { file, hasher, .. } = file;
    let len = file.bytes_written();
    file.persist(path)?;
    Ok((len, hasher.finish(), rows))
}
