//! The tables of a version as DataFusion tables: a [`TableProvider`] per stored table, whose
//! scan streams record batches from the table's CSV bytes (a blob file or a `table_bytes`
//! record, verified as they are read) or from a verified columnar copy, in file order, parsing or decoding on several threads.
//!
//! # Verification
//!
//! Every scan that starts reading a blob registers with the query's [`Verifications`]. A scan
//! reads its blob to the end even when the query stops pulling early (a `LIMIT`): the rest is
//! hashed and discarded. The query reports success only after [`Verifications::wait`] has
//! seen every scan's hash match, so a damaged blob fails the query whatever the plan read.

use super::columnar::ColumnarCopy;
use super::csv_read::{arrow_schema, Chunk, ChunkParser, Chunker, ReadError};
use crate::blob::blob_read_error;
use crate::store::{TableBytesSource, TableRecord};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// How many chunks may wait between the reading thread and the parsers.
const CHANNEL_CHUNKS: usize = 4;

/// The verifications of one query's scans (see the module docs), and how far they have read.
#[derive(Debug, Default)]
pub struct Verifications {
    readers: Mutex<Vec<JoinHandle<Result<(), crate::Error>>>>,
    progress: Arc<ScanProgress>,
    damaged_copies: Mutex<Vec<(TableRecord, String)>>,
}

/// How far the scans of a running query have read, for a progress indication: read from
/// any thread while the query runs. Both counts grow: a scan adds its table's rows to the
/// total when it starts (a table scanned twice, as in a self-join, counts twice), and each
/// batch it yields adds its rows to those read. The rows read reach the total when every
/// scan started has yielded all its rows; a scan stopped early (a `LIMIT`) stays short.
#[derive(Debug, Default)]
pub struct ScanProgress {
    rows_read: AtomicU64,
    rows_total: AtomicU64,
    scans: AtomicU64,
}

impl ScanProgress {
    /// Rows the scans have yielded so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_read.load(Ordering::Relaxed)
    }

    /// Rows of the tables whose scans have started.
    pub fn rows_total(&self) -> u64 {
        self.rows_total.load(Ordering::Relaxed)
    }

    /// Scans started.
    pub fn scans(&self) -> u64 {
        self.scans.load(Ordering::Relaxed)
    }

    fn started(&self, rows: u64) {
        self.rows_total.fetch_add(rows, Ordering::Relaxed);
        self.scans.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self, rows: usize) {
        self.rows_read.fetch_add(rows as u64, Ordering::Relaxed);
    }
}

impl Verifications {
    /// The tables whose columnar copy a scan found damaged (a column chunk that did not hash
    /// to its index entry) and read from the CSV instead, with why: a copy to make again.
    pub fn damaged_copies(&self) -> Vec<(TableRecord, String)> {
        self.damaged_copies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn copy_damaged(&self, table: &TableRecord, why: String) {
        let mut damaged = self
            .damaged_copies
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !damaged
            .iter()
            .any(|(t, _)| t.content_hash == table.content_hash)
        {
            damaged.push((table.clone(), why));
        }
    }

    /// How far the scans have read.
    pub fn progress(&self) -> Arc<ScanProgress> {
        Arc::clone(&self.progress)
    }

    fn register(&self, reader: JoinHandle<Result<(), crate::Error>>) {
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(reader);
    }

    /// Waits for every scan started so far to have read (and so verified) its whole blob;
    /// the first failure, if any.
    pub fn wait(&self) -> Result<(), crate::Error> {
        let readers = std::mem::take(&mut *self.readers.lock().unwrap_or_else(|e| e.into_inner()));
        let mut first_error = None;
        for reader in readers {
            let outcome = reader.join().unwrap_or_else(|_| {
                Err(crate::Error::invariant("a table reading thread panicked"))
            });
            if let (Err(e), None) = (outcome, &first_error) {
                first_error = Some(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Where a table's rows come from.
#[derive(Debug, Clone)]
pub enum TableSource {
    /// The table's CSV bytes, wherever the store keeps them, parsed as they are read.
    Csv(TableBytesSource),
    /// A columnar copy whose footer was verified; each scan verifies the column chunks it
    /// reads first, and reads the CSV bytes instead if one does not match.
    Columnar {
        /// The copy.
        copy: Arc<ColumnarCopy>,
        /// The table's CSV bytes, for a scan that finds the copy damaged.
        csv: TableBytesSource,
    },
}

/// One stored table of a version, as a DataFusion table.
#[derive(Debug)]
pub struct StrataTable {
    /// The table's record (schema, hash, delimiter).
    pub table: TableRecord,
    /// Where its rows come from.
    pub source: TableSource,
    schema: SchemaRef,
    verifications: Arc<Verifications>,
    parallelism: usize,
}

impl StrataTable {
    /// A table reading from `source`, registering its scans with `verifications`; up to
    /// `parallelism` chunks are parsed at once.
    pub fn new(
        table: TableRecord,
        source: TableSource,
        verifications: Arc<Verifications>,
        parallelism: usize,
    ) -> Self {
        StrataTable {
            schema: arrow_schema(&table.schema),
            table,
            source,
            verifications,
            parallelism: parallelism.max(1),
        }
    }
}

#[async_trait]
impl TableProvider for StrataTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let parser = ChunkParser::new(&self.table, projection.map(Vec::as_slice));
        let schema = parser.schema();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Arc::new(StrataScan {
            table: self.table.clone(),
            source: self.source.clone(),
            parser,
            projection: projection.cloned(),
            properties: Arc::new(properties),
            verifications: Arc::clone(&self.verifications),
            parallelism: self.parallelism,
        }))
    }
}

/// The scan of one table: one partition, batches in file order.
#[derive(Debug)]
struct StrataScan {
    table: TableRecord,
    source: TableSource,
    parser: ChunkParser,
    projection: Option<Vec<usize>>,
    properties: Arc<PlanProperties>,
    verifications: Arc<Verifications>,
    parallelism: usize,
}

impl DisplayAs for StrataScan {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let from = match self.source {
            TableSource::Csv(_) => "csv",
            TableSource::Columnar { .. } => "columnar copy",
        };
        write!(
            f,
            "StrataScan: table={} ({}), from={from}, projection={:?}",
            self.table.name,
            self.table.content_hash.short(),
            self.projection
        )
    }
}

impl ExecutionPlan for StrataScan {
    fn name(&self) -> &str {
        "StrataScan"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "a table scan has no children".into(),
            ))
        }
    }

    fn execute(
        &self,
        _partition: usize,
        _context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let batches = match &self.source {
            TableSource::Csv(bytes) => self.execute_csv(bytes)?,
            TableSource::Columnar { copy, csv } => {
                match copy.verify_columns(self.projection.as_deref(), self.parallelism) {
                    Ok(()) => copy.stream(
                        self.projection.as_deref(),
                        self.parser.schema(),
                        self.parallelism,
                    )?,
                    Err(why) => {
                        self.verifications.copy_damaged(&self.table, why);
                        self.execute_csv(csv)?
                    }
                }
            }
        };
        let progress = self.verifications.progress();
        progress.started(self.table.row_count);
        let counted = batches.inspect(move |batch| {
            if let Ok(batch) = batch {
                progress.read(batch.num_rows());
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.parser.schema(),
            counted,
        )))
    }
}

impl StrataScan {
    /// Starts the thread that reads, verifies and cuts the blob, and parses its chunks on up
    /// to `parallelism` blocking threads, yielding the batches in order.
    fn execute_csv(&self, bytes: &TableBytesSource) -> DfResult<SendableRecordBatchStream> {
        let reader = bytes.open().map_err(external)?;
        let (sender, receiver) =
            tokio::sync::mpsc::channel::<Result<Chunk, crate::Error>>(CHANNEL_CHUNKS);
        let table = self.table.clone();
        let thread = std::thread::Builder::new()
            .name(format!("strata-read-{}", table.name))
            .spawn(move || read_chunks(reader, &table, &sender))
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        self.verifications.register(thread);
        let parser = Arc::new(self.parser.clone());
        let name = self.table.name.clone();
        let chunks = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        });
        let batches = chunks
            .map(move |item| {
                let parser = Arc::clone(&parser);
                let name = name.clone();
                async move {
                    let chunk = item.map_err(external)?;
                    tokio::task::spawn_blocking(move || {
                        parser.parse(&chunk).map_err(|e| data_error(&name, e))
                    })
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)))?
                }
            })
            .buffered(self.parallelism);
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.parser.schema(),
            batches.map_err(|e| e),
        )))
    }
}

/// The reading thread: the header, then every chunk, sent in order; when the receiver is
/// gone (the query stopped early), the rest of the blob is read and hashed anyway. Returns
/// the verification's outcome.
fn read_chunks<R: std::io::Read>(
    reader: crate::blob::VerifiedReader<R>,
    table: &TableRecord,
    sender: &tokio::sync::mpsc::Sender<Result<Chunk, crate::Error>>,
) -> Result<(), crate::Error> {
    let path = reader.path.clone();
    let mut chunker = Chunker::new(reader, table.delimiter);
    let to_error = |e: ReadError| match e {
        ReadError::Io(e) => blob_read_error(e, &path),
        ReadError::Data(message) => table_error(table, &message),
    };
    let outcome = chunker.read_header(&table.schema).map_err(&to_error);
    if let Err(e) = outcome {
        let _ = sender.blocking_send(Err(e.clone()));
        return Err(e);
    }
    loop {
        match chunker.next_chunk() {
            Ok(Some(chunk)) => {
                if sender.blocking_send(Ok(chunk)).is_err() {
                    return chunker.drain().map_err(&to_error);
                }
            }
            Ok(None) => return Ok(()),
            Err(e) => {
                let e = to_error(e);
                let _ = sender.blocking_send(Err(e.clone()));
                return Err(e);
            }
        }
    }
}

fn table_error(table: &TableRecord, message: &str) -> crate::Error {
    crate::Error::invariant(format!(
        "table `{}` (blob {}) does not read back as ingested: {message}",
        table.name,
        table.content_hash.short()
    ))
}

fn data_error(name: &str, e: ReadError) -> DataFusionError {
    match e {
        ReadError::Io(e) => DataFusionError::External(Box::new(e)),
        ReadError::Data(message) => external(crate::Error::invariant(format!(
            "table `{name}` does not read back as ingested: {message}"
        ))),
    }
}

/// A strata error inside DataFusion's, to be found again by [`super::error`].
pub fn external(e: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The tables of one version (or several names for them): by display name and by table id,
/// an exact match first, then a case-insensitive one (DataFusion lowercases unquoted names).
#[derive(Debug, Default)]
pub struct VersionSchema {
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
}

impl VersionSchema {
    /// Adds `provider` under each of `names`.
    pub fn add(&mut self, names: &[&str], provider: Arc<dyn TableProvider>) {
        for name in names {
            self.tables
                .insert((*name).to_string(), Arc::clone(&provider));
        }
    }

    fn lookup(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        if let Some(table) = self.tables.get(name) {
            return Some(Arc::clone(table));
        }
        let mut matches = self
            .tables
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        match (matches.next(), matches.next()) {
            (Some((_, table)), None) => Some(Arc::clone(table)),
            _ => None,
        }
    }
}

#[async_trait]
impl SchemaProvider for VersionSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        Ok(self.lookup(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }
}

/// A record batch stream's item type, for the columnar reader.
pub type BatchResult = DfResult<RecordBatch>;
