//! SQL over any version (feature `sql`): the tables of stored versions as the tables of a
//! query run by Apache DataFusion, typed as strata inferred them.
//!
//! # Naming tables
//!
//! A query runs against a *default* version (`strata query NAME[@VERSION|@TIME] "SQL"`),
//! whose tables it names bare, by display name or table id (`FROM penguins`, `FROM
//! table_0`). Tables of other versions, of this dataset or others, are named with the version
//! as a quoted schema: `FROM "trial-42@3".visits v JOIN "sites@2024-05-01".sites s`. The
//! qualifier is `NAME[@VERSION]` as on the command line: a number (`3`, `v3`), a hash
//! prefix, `active`, or a time (the version active then; a bare date is the end of that day).
//! The names are resolved against the store before planning, and the validator
//! ([`crate::query`]) checks the query against the same versions.
//!
//! # What runs
//!
//! Only read-only queries (`SELECT`, `WITH`, `VALUES`, set operations). Any other statement
//! (`INSERT`, `UPDATE`, `DELETE`, `CREATE`, `DROP`, `COPY`, `SET`, …) is refused with
//! [`SqlError::NotReadOnly`] before anything is planned. The validator runs first; findings
//! that block execution refuse the query ([`SqlError::Findings`]), the others are returned as
//! warnings with the prepared query.
//!
//! # Reading and verification
//!
//! Each table is read from its columnar copy when a valid one exists
//! ([`columnar`], [`ColumnarPolicy`]), else from its CSV bytes, parsed as they stream: the
//! store's verifying reader gives them, from a blob file or from a `table_bytes` record inside
//! the log ([`crate::Store::table_bytes_source`]); SQL never opens a blob file by its path. Both
//! are verified: a copy's footer is hashed when it is opened and each scan hashes the column
//! chunks it reads before decoding them; the CSV bytes are hashed as they are read, and the
//! query succeeds only once every table it started reading hashed right (see
//! [`ResultStream::finish`]).
//!
//! # Memory
//!
//! The engine's operators draw from a pool of [`SqlOptions::memory_limit`] bytes: sorts,
//! aggregates and joins spill to temporary files when it is full, and a query that still
//! cannot fit fails with [`SqlError::MemoryLimit`] instead of growing without bound. Reading
//! holds a few chunks of a megabyte per scan.

pub mod columnar;
pub mod csv_read;
pub mod diff;
pub mod export;
pub mod output;
mod scan;

pub use scan::{ScanProgress, Verifications};

use crate::digest::Digest;
use crate::query::{Finding, QualifiedVersion, Query, ValidateOptions, VersionSchemas};
use crate::store::TableRecord;
use crate::Store;
use columnar::{ColumnarCopy, CopyState};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemoryCatalogProvider;
use datafusion::common::config::Dialect;
use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use futures::StreamExt;
use scan::{StrataTable, TableSource, VersionSchema};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The name of the catalog holding the versions' schemas.
const CATALOG: &str = "strata";

/// The default memory pool: 2 GiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 2 << 30;

/// Whether queries read columnar copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnarPolicy {
    /// Read a table's valid copy when there is one, else its CSV (default). Which tables had
    /// none is reported ([`PreparedQuery::without_copy`]), so that the caller can make them.
    #[default]
    Use,
    /// Always read the tables' CSV bytes.
    Ignore,
}

/// How queries run.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// The memory pool of the engine's operators, in bytes.
    pub memory_limit: usize,
    /// Worker threads (and the engine's partitions); at least 1.
    pub threads: usize,
    /// Whether to read columnar copies.
    pub columnar: ColumnarPolicy,
    /// Whether operators may spill to temporary files when the pool is full.
    pub spill: bool,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            memory_limit: DEFAULT_MEMORY_LIMIT,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            columnar: ColumnarPolicy::Use,
            spill: true,
        }
    }
}

/// Why a query did not run.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The store refused or failed (an unknown dataset or version, a damaged blob, IO).
    #[error("{0}")]
    Store(#[from] crate::Error),
    /// The SQL text cannot be parsed.
    #[error("the SQL cannot be parsed{}: {message}", position(*line, *column))]
    Parse {
        /// The parser's message.
        message: String,
        /// 1-based line, when known.
        line: Option<u64>,
        /// 1-based column, when known.
        column: Option<u64>,
    },
    /// The statement is not a read-only query.
    #[error("`{statement}` is not a read-only query: strata runs SELECT queries only (a stored version never changes)")]
    NotReadOnly {
        /// The statement's leading keywords, e.g. `INSERT INTO`.
        statement: String,
    },
    /// The validator found problems that stop the query.
    #[error("the query does not fit the version{}: {}", if .0.len() > 1 { "s" } else { "" }, findings_text(.0))]
    Findings(Vec<Finding>),
    /// A table name cannot be resolved.
    #[error("{0}")]
    Name(String),
    /// The query needs more memory than the pool holds, even spilling.
    #[error("the query needs more memory than the limit of {limit} MiB allows: {detail}")]
    MemoryLimit {
        /// The limit in MiB.
        limit: usize,
        /// The engine's message.
        detail: String,
    },
    /// The engine refused the query (an unknown function, a type error) or failed.
    #[error("{0}")]
    Engine(String),
}

fn position(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

fn findings_text(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(Finding::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The result of this module's operations.
pub type SqlResult<T> = Result<T, SqlError>;

/// A version a query resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedVersion {
    /// How the query named it: the qualifier as written, or the default target.
    pub qualifier: String,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name.
    pub dataset: String,
    /// The version number.
    pub number: u64,
    /// The version's content hash.
    pub hash: Digest,
    /// Its tables.
    #[serde(skip)]
    pub tables: Vec<TableRecord>,
}

/// The query engine: a thread pool and the options every query runs with.
#[derive(Debug)]
pub struct Engine {
    runtime: tokio::runtime::Runtime,
    options: SqlOptions,
}

/// A query checked and planned, ready to run.
pub struct PreparedQuery {
    /// The SQL text.
    pub sql: String,
    /// The versions it reads, the default target first.
    pub resolved: Vec<ResolvedVersion>,
    /// The validator's findings that do not stop it (warnings).
    pub warnings: Vec<Finding>,
    /// Tables it reads from CSV because they have no usable columnar copy: `(table, why)`.
    pub without_copy: Vec<(TableRecord, CopyState)>,
    plan: LogicalPlan,
    ctx: SessionContext,
    verifications: Arc<Verifications>,
}

impl std::fmt::Debug for PreparedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedQuery")
            .field("sql", &self.sql)
            .field("resolved", &self.resolved)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with `options`.
    pub fn new(options: SqlOptions) -> SqlResult<Engine> {
        let threads = options.threads.max(1);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("strata-sql")
            .enable_all()
            .build()
            .map_err(|e| SqlError::Engine(format!("cannot start the query threads: {e}")))?;
        Ok(Engine { runtime, options })
    }

    /// The options.
    pub fn options(&self) -> &SqlOptions {
        &self.options
    }

    /// A session whose default schema is `default_schema`.
    fn session(&self, default_schema: &str) -> SqlResult<SessionContext> {
        let mut config = SessionConfig::new()
            .with_target_partitions(self.options.threads.max(1))
            .with_default_catalog_and_schema(CATALOG, default_schema)
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false);
        // A sort sets aside this much of the pool to merge its spilled runs (DataFusion's
        // default is 10 MB): an eighth of the pool at most, so that a sort that spills fits
        // a small pool instead of failing on its reservation.
        let execution = &mut config.options_mut().execution;
        execution.sort_spill_reservation_bytes = execution
            .sort_spill_reservation_bytes
            .min(self.options.memory_limit / 8);
        let disk = if self.options.spill {
            DiskManagerBuilder::default()
        } else {
            DiskManagerBuilder::default()
                .with_mode(datafusion::execution::disk_manager::DiskManagerMode::Disabled)
        };
        let runtime = RuntimeEnvBuilder::new()
            // Tracking names the largest consumers in the error of a query that does not fit.
            .with_memory_pool(Arc::new(TrackConsumersPool::new(
                FairSpillPool::new(self.options.memory_limit),
                std::num::NonZeroUsize::new(3).expect("3 is not zero"),
            )))
            .with_disk_manager_builder(disk)
            .build_arc()
            .map_err(|e| self.error(e))?;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .build();
        let ctx = SessionContext::new_with_state(state);
        ctx.register_catalog(CATALOG, Arc::new(MemoryCatalogProvider::new()));
        Ok(ctx)
    }

    /// Parses, checks, resolves, validates and plans `sql`. `default` is the version bare
    /// table names designate (`NAME[@VERSION]`), if any.
    pub fn prepare(
        &self,
        store: &Store,
        default: Option<&str>,
        sql: &str,
    ) -> SqlResult<PreparedQuery> {
        let ctx = self.session(default.unwrap_or(""))?;
        let statement = parse(&ctx, sql)?;
        let references = ctx
            .state()
            .resolve_table_references(&statement)
            .map_err(|e| self.error(e))?;
        let mut resolver = Resolver::new(store, default);
        for reference in &references {
            resolver.reference(reference)?;
        }
        let warnings = validate(store, &resolver, sql)?;
        let verifications = Arc::new(Verifications::default());
        let without_copy = self.register(store, &ctx, &resolver, &verifications)?;
        let plan = self
            .runtime
            .block_on(ctx.state().statement_to_plan(statement))
            .map_err(|e| self.error(e))?;
        Ok(PreparedQuery {
            sql: sql.to_string(),
            resolved: resolver.into_resolved(),
            warnings,
            without_copy,
            plan,
            ctx,
            verifications,
        })
    }

    /// Registers every resolved version as a schema of the session; returns the tables that
    /// will be read from CSV for want of a usable columnar copy.
    fn register(
        &self,
        store: &Store,
        ctx: &SessionContext,
        resolver: &Resolver<'_>,
        verifications: &Arc<Verifications>,
    ) -> SqlResult<Vec<(TableRecord, CopyState)>> {
        let catalog = ctx
            .catalog(CATALOG)
            .ok_or_else(|| SqlError::Engine("the session has no strata catalog".into()))?;
        let mut without_copy = Vec::new();
        let mut sources: BTreeMap<Digest, TableSource> = BTreeMap::new();
        for (qualifier, version) in resolver.schemas() {
            let mut schema = VersionSchema::default();
            for table in &version.tables {
                let source = match sources.get(&table.content_hash) {
                    Some(source) => source.clone(),
                    None => {
                        let (source, missing) = self.source(store, table)?;
                        if let Some(why) = missing {
                            without_copy.push((table.clone(), why));
                        }
                        sources.insert(table.content_hash, source.clone());
                        source
                    }
                };
                let provider = StrataTable::new(
                    table.clone(),
                    source,
                    Arc::clone(verifications),
                    self.options.threads,
                );
                schema.add(&[&table.name, &table.table_id], Arc::new(provider));
            }
            catalog
                .register_schema(qualifier, Arc::new(schema))
                .map_err(|e| self.error(e))?;
        }
        Ok(without_copy)
    }

    /// Where `table`'s rows come from, and why not from a copy when they don't. Its CSV
    /// bytes are read through the store ([`Store::table_bytes_source`]), wherever it keeps
    /// them (a blob file, or a `table_bytes` record inside the log).
    fn source(
        &self,
        store: &Store,
        table: &TableRecord,
    ) -> SqlResult<(TableSource, Option<CopyState>)> {
        let csv = || -> SqlResult<TableSource> {
            Ok(TableSource::Csv(
                store.table_bytes_source(&table.content_hash)?,
            ))
        };
        if self.options.columnar == ColumnarPolicy::Ignore {
            return Ok((csv()?, None));
        }
        match ColumnarCopy::open(&store.io(), &store.paths(), table) {
            Ok(copy) => Ok((
                TableSource::Columnar {
                    copy: Arc::new(copy),
                    csv: store.table_bytes_source(&table.content_hash)?,
                },
                None,
            )),
            Err(why) => Ok((csv()?, Some(why))),
        }
    }

    /// Runs a prepared query: its result batches, streamed.
    pub fn run(&self, prepared: PreparedQuery) -> SqlResult<ResultStream<'_>> {
        let PreparedQuery {
            plan,
            ctx,
            verifications,
            ..
        } = prepared;
        let stream = self.runtime.block_on(async {
            let frame = ctx.execute_logical_plan(plan).await?;
            frame.execute_stream().await
        });
        let stream = stream.map_err(|e| self.error(e))?;
        Ok(ResultStream {
            engine: self,
            schema: stream.schema(),
            stream: Some(stream),
            verifications,
            rows: 0,
        })
    }

    /// Runs `sql` to the end and collects its batches (for tests and small results).
    pub fn query_batches(
        &self,
        store: &Store,
        default: Option<&str>,
        sql: &str,
    ) -> SqlResult<(SchemaRef, Vec<RecordBatch>)> {
        let prepared = self.prepare(store, default, sql)?;
        let mut stream = self.run(prepared)?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next_batch() {
            batches.push(batch?);
        }
        let schema = stream.schema();
        stream.finish()?;
        Ok((schema, batches))
    }

    /// Turns DataFusion's error into ours, finding a strata error inside it.
    fn error(&self, e: DataFusionError) -> SqlError {
        from_datafusion(e, self.options.memory_limit)
    }

    /// Runs a future on the engine's threads.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A session with the given tables registered under the default schema (for the
    /// library's own queries: the row diff).
    pub(crate) fn session_with_tables(
        &self,
        store: &Store,
        tables: &[(&str, &TableRecord)],
        verifications: &Arc<Verifications>,
    ) -> SqlResult<SessionContext> {
        let ctx = self.session("tables")?;
        let catalog = ctx
            .catalog(CATALOG)
            .ok_or_else(|| SqlError::Engine("the session has no strata catalog".into()))?;
        let mut schema = VersionSchema::default();
        for (name, table) in tables {
            let (source, _) = self.source(store, table)?;
            let provider = StrataTable::new(
                (*table).clone(),
                source,
                Arc::clone(verifications),
                self.options.threads,
            );
            schema.add(&[name], Arc::new(provider));
        }
        catalog
            .register_schema("tables", Arc::new(schema))
            .map_err(|e| self.error(e))?;
        Ok(ctx)
    }
}

/// DataFusion's error as ours: a strata error found in its chain keeps its kind.
pub(crate) fn from_datafusion(e: DataFusionError, memory_limit: usize) -> SqlError {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(error) = current {
        if let Some(ours) = error.downcast_ref::<crate::Error>() {
            return SqlError::Store(ours.clone());
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<crate::blob::HashMismatch>())
            {
                return SqlError::Store(crate::Error::InvalidRequest(io.to_string()));
            }
        }
        current = error.source();
    }
    match e.find_root() {
        DataFusionError::ResourcesExhausted(detail) => SqlError::MemoryLimit {
            limit: memory_limit >> 20,
            detail: detail.clone(),
        },
        DataFusionError::SQL(parse, _) => SqlError::Parse {
            message: parse.to_string(),
            line: None,
            column: None,
        },
        root => SqlError::Engine(root.strip_backtrace()),
    }
}

/// Parses one statement and refuses anything but a read-only query.
fn parse(ctx: &SessionContext, sql: &str) -> SqlResult<DfStatement> {
    let statement = ctx
        .state()
        .sql_to_statement(sql, &Dialect::Generic)
        .map_err(|e| {
            // The validator's parser gives the position in its own terms; prefer its message.
            match Query::sql(sql) {
                Err(crate::query::QueryError::Sql(error)) => SqlError::Parse {
                    message: error.message,
                    line: error.line,
                    column: error.column,
                },
                _ => SqlError::Parse {
                    message: e.strip_backtrace(),
                    line: None,
                    column: None,
                },
            }
        })?;
    match &statement {
        DfStatement::Statement(inner)
            if matches!(
                **inner,
                datafusion::sql::sqlparser::ast::Statement::Query(_)
            ) =>
        {
            Ok(statement)
        }
        other => Err(SqlError::NotReadOnly {
            statement: leading_keywords(&other.to_string()),
        }),
    }
}

/// `INSERT INTO`, `CREATE TABLE`, `SET`: the first keywords of a statement, for messages.
fn leading_keywords(text: &str) -> String {
    let words: Vec<&str> = text
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
        .take(2)
        .collect();
    match words.as_slice() {
        [] => "statement".to_string(),
        [first, second]
            if matches!(
                first.to_ascii_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER" | "INSERT" | "DELETE" | "TRUNCATE"
            ) =>
        {
            format!(
                "{} {}",
                first.to_ascii_uppercase(),
                second.to_ascii_uppercase()
            )
        }
        [first, ..] => first.to_ascii_uppercase(),
    }
}

/// The versions a query's table references resolve to, by schema name.
struct Resolver<'s> {
    store: &'s Store,
    default: Option<String>,
    /// Schema name (the qualifier as written; the default target for bare names) → version.
    versions: BTreeMap<String, ResolvedVersion>,
}

impl<'s> Resolver<'s> {
    fn new(store: &'s Store, default: Option<&str>) -> Self {
        Resolver {
            store,
            default: default.map(str::to_string),
            versions: BTreeMap::new(),
        }
    }

    /// Resolves the version of one table reference (once per qualifier).
    fn reference(&mut self, reference: &TableReference) -> SqlResult<()> {
        if let Some(catalog) = reference.catalog() {
            if catalog != CATALOG {
                return Err(SqlError::Name(format!(
                    "`{reference}` names the catalog `{catalog}`; name a table as TABLE or \"DATASET@VERSION\".TABLE"
                )));
            }
        }
        let qualifier = match (reference.schema(), &self.default) {
            (Some(schema), _) => schema.to_string(),
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(SqlError::Name(format!(
                    "table `{}` names no version: qualify it as \"DATASET@VERSION\".{} or give a default dataset",
                    reference.table(),
                    reference.table()
                )))
            }
        };
        if self.versions.contains_key(&qualifier) {
            return Ok(());
        }
        let resolved = self.resolve(&qualifier)?;
        self.versions.insert(qualifier, resolved);
        Ok(())
    }

    fn resolve(&self, qualifier: &str) -> SqlResult<ResolvedVersion> {
        let (dataset, version) = self.store.parse_target(qualifier)?;
        let info = self.store.version(&dataset, &version)?;
        let (dataset_id, name) = {
            let catalog = self.store.catalog();
            let ds = catalog.get(&dataset)?;
            (ds.id, ds.name.clone())
        };
        Ok(ResolvedVersion {
            qualifier: qualifier.to_string(),
            dataset_id,
            dataset: name,
            number: info.number,
            hash: info.hash,
            tables: info.tables,
        })
    }

    /// Makes sure the default version is resolved even if the query names no bare table.
    fn ensure_default(&mut self) -> SqlResult<()> {
        if let Some(default) = self.default.clone() {
            if !self.versions.contains_key(&default) {
                let resolved = self.resolve(&default)?;
                self.versions.insert(default, resolved);
            }
        }
        Ok(())
    }

    fn schemas(&self) -> impl Iterator<Item = (&String, &ResolvedVersion)> {
        self.versions.iter()
    }

    /// The resolved versions, the default first.
    fn into_resolved(self) -> Vec<ResolvedVersion> {
        let default = self.default;
        let mut all: Vec<ResolvedVersion> = self.versions.into_values().collect();
        all.sort_by_key(|v| Some(&v.qualifier) != default.as_ref());
        all
    }
}

/// Runs the validator over the same versions the engine will read; blocking findings refuse
/// the query, the others are returned.
fn validate(store: &Store, resolver: &Resolver<'_>, sql: &str) -> SqlResult<Vec<Finding>> {
    let Ok(query) = Query::sql(sql) else {
        // The engine's parser accepted what the validator's does not: nothing to validate.
        return Ok(Vec::new());
    };
    let mut all = Resolver::new(store, resolver.default.as_deref());
    all.versions = resolver.versions.clone();
    all.ensure_default()?;
    let hashes: BTreeMap<&String, String> = all
        .versions
        .iter()
        .map(|(q, v)| (q, v.hash.hex()))
        .collect();
    let schemas = |qualifier: &String| -> VersionSchemas<'_> {
        let v = &all.versions[qualifier];
        crate::store::catalog::version_schemas(v.number, &hashes[qualifier], &v.tables)
    };
    let default_version = match &all.default {
        Some(default) => schemas(default),
        None => VersionSchemas {
            number: 0,
            hash_hex: "",
            tables: Vec::new(),
        },
    };
    let qualified: Vec<QualifiedVersion<'_>> = all
        .versions
        .keys()
        .filter(|q| Some(*q) != all.default.as_ref())
        .map(|q| QualifiedVersion {
            qualifier: q,
            version: schemas(q),
        })
        .collect();
    let findings = crate::query::validate_with_qualified(
        &query,
        &default_version,
        &[],
        &qualified,
        &ValidateOptions::default(),
    );
    let (blocking, warnings): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.kind.blocks_execution());
    if blocking.is_empty() {
        Ok(warnings)
    } else {
        Err(SqlError::Findings(blocking))
    }
}

/// A running query's result: batches pulled one at a time, then [`ResultStream::finish`].
pub struct ResultStream<'e> {
    engine: &'e Engine,
    schema: SchemaRef,
    stream: Option<SendableRecordBatchStream>,
    verifications: Arc<Verifications>,
    rows: u64,
}

impl std::fmt::Debug for ResultStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultStream")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ResultStream<'_> {
    /// The result's schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// The next batch of rows, `None` at the end.
    pub fn next_batch(&mut self) -> Option<SqlResult<RecordBatch>> {
        let stream = self.stream.as_mut()?;
        let next = self.engine.block_on(stream.next());
        match next {
            Some(Ok(batch)) => {
                self.rows += batch.num_rows() as u64;
                Some(Ok(batch))
            }
            Some(Err(e)) => {
                self.stream = None;
                Some(Err(self.engine.error(e)))
            }
            None => {
                self.stream = None;
                None
            }
        }
    }

    /// The rows returned so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The tables whose columnar copy a scan found damaged and read from the CSV instead,
    /// with why (so far: a scan checks its chunks when it starts).
    pub fn damaged_copies(&self) -> Vec<(TableRecord, String)> {
        self.verifications.damaged_copies()
    }

    /// How far the query's scans have read (to be watched from another thread while
    /// [`ResultStream::next_batch`] waits).
    pub fn progress(&self) -> Arc<ScanProgress> {
        self.verifications.progress()
    }

    /// Ends the query: stops pulling, then waits until every blob a scan started reading has
    /// been read to its end and matched its hash. Only then is the result complete; `Err`
    /// (a damaged blob) means the rows returned must not be trusted.
    pub fn finish(mut self) -> SqlResult<u64> {
        drop(self.stream.take());
        self.verifications.wait()?;
        Ok(self.rows)
    }
}
