//! `save_upload` in three phases: stage (ingest, small tables kept in memory, large ones
//! written to blob files and published, outside the writer lock), decide (under the lock,
//! against the fresh catalog) and record (table bytes records and event in one commit).

use super::catalog::{Catalog, Dataset, PolicyInForce, PolicySource, VersionInfo};
use super::event::{ContentHolder, Digest, EventKind, TableRecord};
use super::names::{self, check_name, NameKind};
use super::refusal::{RefusalKind, UploadRefusal};
use super::{new_event, DuplicatePolicy, Store};
use crate::blob::{BlobStore, BlobWriter, StagedBlob};
use crate::digest::{Hasher, VERSION_TAG};
use crate::error::{Error, Result};
use crate::io::{Io, OpenMode};
use crate::log::WriterGuard;
use crate::schema::{
    classify_drift, decide_under, scan_csv, schema_fingerprint, DriftDecision, DriftRule,
    SchemaDrift, SchemaDriftPolicy, TableScan,
};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, RwLockWriteGuard};

/// One file of an upload.
pub struct UploadFile {
    /// The file name, recorded as the table's source file (its stem names the table unless
    /// `table` does).
    pub name: String,
    /// The table's name, if the caller gives one (`visits` for `export-2024-05.csv`); it is
    /// checked against the naming rules ([`crate::store::names`]). Without it the table is
    /// named by the file name without its extension, except that a single file overwriting
    /// a dataset whose active version has a single table is matched to that table.
    pub table: Option<String>,
    /// The bytes.
    pub reader: Box<dyn Read + Send>,
}

impl std::fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFile")
            .field("name", &self.name)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl UploadFile {
    /// A file on disk, named by its file name (read through the real file system).
    pub fn from_path(path: impl AsRef<Path>) -> Result<UploadFile> {
        let path = path.as_ref();
        let file = Io::os().open(path, OpenMode::Read)?.reader();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(UploadFile {
            name,
            table: None,
            reader: Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
        })
    }

    /// Bytes in memory under a file name.
    pub fn from_bytes(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> UploadFile {
        UploadFile {
            name: name.into(),
            table: None,
            reader: Box::new(std::io::Cursor::new(bytes.into())),
        }
    }

    /// The same file, uploaded as the table `table`.
    pub fn as_table(self, table: impl Into<String>) -> UploadFile {
        UploadFile {
            table: Some(table.into()),
            ..self
        }
    }

    /// The table's display name: the name given, else the file name without its last
    /// extension.
    pub fn display_name(&self) -> String {
        self.table
            .clone()
            .unwrap_or_else(|| display_name(&self.name))
    }
}

fn display_name(file_name: &str) -> String {
    Path::new(file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An upload of one or more tables under a dataset name.
#[derive(Debug)]
pub struct UploadRequest {
    /// The dataset's name (or id, for an existing dataset).
    pub dataset: String,
    /// The tables.
    pub files: Vec<UploadFile>,
    /// Add a version to an existing dataset.
    pub overwrite: bool,
    /// With `overwrite`: create the dataset if no dataset has the name. Without it, an
    /// overwrite of an unknown name is refused ([`Error::OverwriteOfUnknownDataset`], naming
    /// the closest existing names), so that a typo does not become a new dataset. Without
    /// `overwrite`, an unknown name always creates a dataset.
    pub create: bool,
    /// How to treat breaking schema drift; `None` (the default): as the policy in force says
    /// (the dataset's, else the store's, else `Reject`: see [`Store::policy`]). A policy
    /// weaker than one a `policy_set` event put in force needs `policy_reason`
    /// ([`Error::PolicyWeakened`] without it). The policy applied is recorded in the event.
    pub drift_policy: Option<SchemaDriftPolicy>,
    /// How the policy treats widening drift (`Int64` → `Float64`, `Date` → `Timestamp`);
    /// `None`: as the rule in force says (compatible where none was set).
    pub widening: Option<crate::schema::WideningRule>,
    /// Accept breaking drift under `Reject`, for this reason (recorded in the event).
    pub override_reason: Option<String>,
    /// Why this upload is decided by a rule weaker than the one a `policy_set` event put in
    /// force (recorded in the event as its override reason).
    pub policy_reason: Option<String>,
    /// Who uploads.
    pub actor: String,
    /// Why. Required when the content is an earlier version's (the upload is then a
    /// rollback to it, and this its reason: [`Error::ReasonRequired`] without one).
    pub note: String,
    /// Version-scoped metadata: a JSON object.
    pub metadata: Option<serde_json::Value>,
}

impl UploadRequest {
    /// A request with the defaults: no overwrite, the policy in force, no note or metadata.
    pub fn new(
        dataset: impl Into<String>,
        files: Vec<UploadFile>,
        actor: impl Into<String>,
    ) -> Self {
        UploadRequest {
            dataset: dataset.into(),
            files,
            overwrite: false,
            create: false,
            drift_policy: None,
            widening: None,
            override_reason: None,
            policy_reason: None,
            actor: actor.into(),
            note: String::new(),
            metadata: None,
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    /// A new dataset was created with version 1.
    NewDataset,
    /// A new version was added and made active.
    NewVersion,
    /// The content equals an earlier version, which was made active again.
    Reactivated,
    /// The content equals the active version: nothing was recorded.
    AlreadyActive,
}

impl UploadStatus {
    /// The status as shown to people and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            UploadStatus::NewDataset => "new_dataset",
            UploadStatus::NewVersion => "new_version",
            UploadStatus::Reactivated => "reactivated",
            UploadStatus::AlreadyActive => "already_active",
        }
    }
}

/// The result of a successful [`Store::save_upload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutcome {
    /// What happened.
    pub status: UploadStatus,
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name.
    pub dataset: String,
    /// The version now active.
    pub version: u64,
    /// Its content hash.
    pub hash: Digest,
    /// Its tables.
    pub tables: Vec<TableRecord>,
    /// Drift against the version active before (new versions only).
    pub drift: Option<SchemaDrift>,
    /// Warnings and notices: drift, duplicate content.
    pub warnings: Vec<String>,
    /// Other datasets holding the same content.
    pub duplicates: Vec<ContentHolder>,
    /// The override reason recorded, if breaking drift was accepted against `Reject`.
    pub override_reason: Option<String>,
    /// Sequence number of the event appended (`None` for [`UploadStatus::AlreadyActive`]).
    pub seq: Option<u64>,
    /// What failed after the upload's event was committed (the invariant check, the
    /// automatic snapshot). The upload stands; each entry says what went wrong.
    pub post_commit_warnings: Vec<String>,
}

/// A table read, hashed and (unless the upload is a dry run) kept for the record phase.
struct StagedTable {
    file_name: String,
    /// The table's display name: the caller's, else the file's stem, or the name of the
    /// table it was matched to (see [`StagedUpload::match_tables`]).
    name: String,
    /// Whether the caller named the table (a named table is never matched to another name).
    named: bool,
    scan: TableScan,
    /// SHA-256 of the file's bytes.
    hash: Digest,
    /// The bytes, where they wait to be stored.
    bytes: StagedBytes,
}

/// Where a staged table's bytes wait until the record phase stores them (if the store does
/// not hold that content yet).
enum StagedBytes {
    /// In memory: at most [`super::StoreOptions::inline_table_max`] bytes, stored as a
    /// `table_bytes` record in the commit of the event that names them.
    Memory(Vec<u8>),
    /// A synced temporary blob file, published under its name before the event.
    File(StagedBlob),
    /// A blob file published before the writer lock was taken (see
    /// [`Store::publish_before_lock`]); `restored` if no file held the content before (so
    /// that, if the upload's content is an earlier version's, its bytes were missing).
    Published { restored: bool },
    /// A dry run keeps nothing.
    Nothing,
}

/// How the record phase stores the content of an upload's tables that the store does not
/// hold yet.
#[derive(Default)]
struct Storage {
    /// Content hash and bytes of the `table_bytes` records to write before the event.
    inline: Vec<(Digest, Vec<u8>)>,
    /// Blob files to publish before the event.
    blobs: Vec<StagedBlob>,
}

impl Storage {
    fn add(&mut self, hash: Digest, bytes: StagedBytes) {
        match bytes {
            // Two tables of one upload with the same bytes: stored once.
            StagedBytes::Memory(bytes) if !self.inline.iter().any(|(h, _)| *h == hash) => {
                self.inline.push((hash, bytes))
            }
            StagedBytes::File(blob) => self.blobs.push(blob),
            StagedBytes::Memory(_) | StagedBytes::Published { .. } | StagedBytes::Nothing => {}
        }
    }
}

/// Whether the stage phase keeps the tables' bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Staging {
    /// Keep them (an upload): in memory up to `inline_max` bytes, else in a staged blob.
    Write { inline_max: u64 },
    /// Only read and hash them ([`Store::plan_upload`]).
    DryRun,
}

/// What [`Store::plan_upload`] found an upload would do now.
// One value per dry run: boxing the larger variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadPlan {
    /// The upload would succeed with this outcome (`seq` is `None`: nothing was recorded).
    /// For a new dataset, `dataset_id` is the nil UUID: the upload draws its own.
    Proceed(UploadOutcome),
    /// The upload would be refused for this reason (`seq` is `None`: a real drift refusal
    /// would be recorded, a dry run records nothing).
    Refused(UploadRefusal),
}

/// The stage phase's result: the tables in canonical order (by display name) and the
/// version hash over them.
struct StagedUpload {
    tables: Vec<StagedTable>,
    hash: Digest,
    /// The notice of a single table matched to the active version's single table.
    matched: Option<String>,
}

impl StagedUpload {
    /// Names the tables for an overwrite of a dataset whose active version has the tables
    /// `active` (`None`: not an overwrite of an existing dataset), and hashes the version.
    ///
    /// A single table the caller did not name, overwriting a version with a single table of
    /// another name, takes that table's name (monthly exports with dated file names are one
    /// table, not "+1 table, -1 table"); [`StagedUpload::matched`] says so. Every other table
    /// keeps its own name. Idempotent: the names are derived afresh on each call, so deciding
    /// again against a newer catalog gives the answer for that catalog.
    fn match_tables(&mut self, active: Option<&[TableRecord]>) {
        for table in self.tables.iter_mut().filter(|t| !t.named) {
            table.name = display_name(&table.file_name);
        }
        self.matched = None;
        if let (Some([existing]), [table]) = (active, self.tables.as_mut_slice()) {
            if !table.named && table.name != existing.name {
                self.matched = Some(format!(
                    "table `{}` from {} is uploaded as `{}`, the only table of the active version (name the table with TABLE=FILE to keep another name)",
                    table.name, table.file_name, existing.name
                ));
                table.name = existing.name.clone();
            }
        }
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.hash = version_hash(&self.tables);
    }
}

/// What the decision under the lock chose to record.
enum Decision {
    Create(NewVersion),
    Reactivate {
        dataset_id: uuid::Uuid,
        version: u64,
        from: u64,
    },
    AlreadyActive {
        dataset_id: uuid::Uuid,
        version: u64,
    },
    Block {
        dataset_id: uuid::Uuid,
        active: u64,
        drift: SchemaDrift,
        reason: String,
    },
}

/// A new version to create: version 1 of a new dataset, or the next one of an existing one.
struct NewVersion {
    dataset_id: uuid::Uuid,
    version: u64,
    previous_active: Option<u64>,
    drift: Option<SchemaDrift>,
    warnings: Vec<String>,
    override_reason: Option<String>,
}

/// What the decide phase left for the record phase.
// One value per upload, moved once into the record phase: boxing the larger variant would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Planned {
    /// Nothing to record (the content is the active version's): the outcome, and the staged
    /// bytes of tables whose bytes were missing, to store again (as blob files: no record is
    /// appended when nothing is recorded).
    Nothing {
        outcome: UploadOutcome,
        restore: Vec<StagedBytes>,
    },
    /// An event to record.
    Write(PendingWrite),
}

/// An event the decision chose to record, prepared with every read it needs already done, so
/// that between its append and its commit nothing can fail but the commit.
struct PendingWrite {
    event: super::Event,
    /// The table bytes the event refers to that the store does not hold yet: blob files
    /// published before it is appended, records appended with it.
    storage: Storage,
    /// What the upload answers once the event is committed.
    answer: Answer,
}

/// What an upload answers once its event is committed.
// One value per upload, moved once: boxing the larger variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Answer {
    /// The version now active; `seq` and `post_commit_warnings` are filled in on commit.
    Outcome(UploadOutcome),
    /// The drift policy's refusal, as [`Error::DriftRefused`].
    Refused { dataset: String, reason: String },
}

impl Store {
    /// Uploads one or more CSV tables under a dataset name (see the crate docs for the rules):
    /// a new name creates a dataset; an existing one needs `overwrite`; identical content
    /// re-activates the version holding it; new content is checked for schema drift against
    /// the active version and passes the drift policy before a new version is stored. A
    /// refusal by the drift policy is recorded (`overwrite_blocked`) and returned as
    /// [`Error::DriftRefused`]. A malformed file is refused with its name, line and field,
    /// and nothing is written.
    ///
    /// An upload runs in three phases: *stage* (outside the writer lock: each file read once,
    /// parsed and hashed, kept in memory up to [`super::StoreOptions::inline_table_max`],
    /// else written to a synced staged blob, hashed and written on a thread beside the
    /// parser, and published under its name), *decide* (under the lock, against the catalog
    /// caught up on every process's events: what to record, with every read it needs done)
    /// and *record* (append the `table_bytes` records of small tables the store does not
    /// hold yet and the event with one write, apply them, commit with one `fdatasync`).
    ///
    /// Before staging, the temporary files that interrupted uploads and snapshots left are
    /// removed (when no other write is in progress), and the outcome's warnings say so.
    ///
    /// Returns `Err` only if nothing was committed (bad input, a refusal that records
    /// nothing, a failure before or during the commit), except for [`Error::DriftRefused`],
    /// the one refusal that is recorded: its `overwrite_blocked` event is committed at its
    /// `seq`. A failed `fdatasync` in the commit is a failure: the event was never
    /// acknowledged (though this handle's catalog shows it), the log handle refuses every
    /// later append, and whether the event survives a crash is known only once the store is
    /// reopened. After the commit, the
    /// upload is reported as done: what fails then (the invariant check, the automatic
    /// snapshot) is in [`UploadOutcome::post_commit_warnings`] (or the refusal's
    /// `post_commit_warnings`).
    pub fn save_upload(&self, mut request: UploadRequest) -> Result<UploadOutcome> {
        check_request(&mut request)?;
        self.check_new_name(&request)?;
        let notices = self.clean_temp_files();
        // Held until the blobs are published: the staged files are not leftovers.
        let _staging = self.hold_staging_lock()?;
        let files = std::mem::take(&mut request.files);
        let staging = Staging::Write {
            inline_max: self.options.inline_table_max,
        };
        let mut staged = stage_upload(&self.blobs, files, staging)?;
        self.publish_before_lock(&request, &mut staged)?;
        let early = self.drift_before_lock(&request, &mut staged);
        let writer = self.lock_writer()?;
        let mut catalog = self.catalog_mut();
        self.catch_up(&mut catalog)?;
        let time = writer.commit_micros();
        let decided = self.decide_write(&catalog, &request, &mut staged, early, time)?;
        let mut outcome = match decided {
            Planned::Nothing { outcome, restore } => {
                for bytes in restore {
                    self.restore_as_file(bytes)?;
                }
                outcome
            }
            Planned::Write(write) => self.record_upload(writer, catalog, write)?,
        };
        outcome.warnings.extend(notices);
        Ok(outcome)
    }

    /// Publishes the staged blob files of tables whose content this handle's catalog does not
    /// know inside the log, before the writer lock is taken: a rename and directory fsyncs
    /// that need no lock, so that writers never wait behind them. A blob the upload then does
    /// not refer to (it is refused, or fails) is an orphan, which `stat` and `verify` report
    /// and `strata gc` removes; gc removes orphans only while no upload holds the staging lock,
    /// which this upload holds until its event is committed, so it never removes a blob an
    /// upload in flight is about to refer to. Content another process stored inside the log
    /// meanwhile stays stored twice (both copies hash to the same name).
    fn publish_before_lock(
        &self,
        request: &UploadRequest,
        staged: &mut StagedUpload,
    ) -> Result<()> {
        check_event_fits(request)?;
        for table in &mut staged.tables {
            if !matches!(table.bytes, StagedBytes::File(_))
                || self.catalog().inline_table(&table.hash).is_some()
            {
                continue;
            }
            let restored = !self.blobs.contains(&table.hash.0);
            let published = StagedBytes::Published { restored };
            let StagedBytes::File(blob) = std::mem::replace(&mut table.bytes, published) else {
                unreachable!("matched above")
            };
            blob.publish(&self.blobs)?;
        }
        Ok(())
    }

    /// Before anything is staged: a name this handle knows no dataset by must pass the naming
    /// rules (the decision checks again under the lock, against the caught-up catalog).
    fn check_new_name(&self, request: &UploadRequest) -> Result<()> {
        if self.catalog().find(&request.dataset).is_none() {
            check_name(NameKind::Dataset, &request.dataset)?;
        }
        Ok(())
    }

    /// Stores again, as a blob file, the bytes of a table that were missing (an upload that
    /// records nothing appends no record, so even small tables are restored as files).
    fn restore_as_file(&self, bytes: StagedBytes) -> Result<()> {
        let blob = match bytes {
            StagedBytes::File(blob) => blob,
            StagedBytes::Memory(bytes) => {
                let mut writer = self.blobs.writer()?;
                writer.write_bytes(&bytes)?;
                writer.finish()?
            }
            StagedBytes::Published { .. } | StagedBytes::Nothing => return Ok(()),
        };
        blob.publish(&self.blobs)?;
        Ok(())
    }

    /// Before the writer lock: the drift of an overwrite against the active version as this
    /// handle knows it (the costly part of deciding, linear in the columns), used under the
    /// lock if the active version is still that one.
    fn drift_before_lock(
        &self,
        request: &UploadRequest,
        staged: &mut StagedUpload,
    ) -> Option<EarlyDrift> {
        if !request.overwrite {
            return None;
        }
        let (id, name, active) = {
            let catalog = self.catalog();
            let ds = catalog.find(&request.dataset)?;
            (ds.id, ds.name.clone(), *ds.active_version())
        };
        let info = self.version_info_of(id, &name, &active).ok()?;
        staged.match_tables(Some(&info.tables));
        if self
            .catalog()
            .by_id(&id)
            .is_some_and(|ds| ds.versions.iter().any(|v| v.hash == staged.hash))
        {
            return None;
        }
        Some(EarlyDrift {
            dataset_id: id,
            active: active.number,
            drift: classify_drift(&info.named_schemas(), &new_schemas(&staged.tables)),
        })
    }

    /// What [`Store::save_upload`] would do with `request` now, without writing anything:
    /// the same checks and the same decision (new dataset, new version, re-activation,
    /// nothing to record, or a refusal with its drift), the drift and duplicate warnings and
    /// the tables it would store. Every file is read and hashed, but no blob is staged and
    /// no event is appended; the catalog is first caught up with other processes' events.
    /// Another writer may still change the store before a real upload, which decides again.
    ///
    /// Returns `Err` for what [`Store::save_upload`] fails on before deciding (a malformed
    /// request or file, an IO error); the refusals are [`UploadPlan::Refused`].
    pub fn plan_upload(&self, mut request: UploadRequest) -> Result<UploadPlan> {
        check_request(&mut request)?;
        self.check_new_name(&request)?;
        let files = std::mem::take(&mut request.files);
        let mut staged = stage_upload(&self.blobs, files, Staging::DryRun)?;
        self.refresh()?;
        let catalog = self.catalog();
        // A dry run records nothing: the time its answer would carry is the clock's reading.
        let time = self.log.options().clock.now_micros();
        let early = self.drift_before_lock(&request, &mut staged);
        let planned = match self.decide_write(&catalog, &request, &mut staged, early, time) {
            Ok(planned) => planned,
            Err(error) => {
                drop(catalog);
                return match self.upload_refusal(&error) {
                    Some(refusal) => Ok(UploadPlan::Refused(refusal)),
                    None => Err(error),
                };
            }
        };
        Ok(match planned {
            Planned::Nothing { outcome, .. } => UploadPlan::Proceed(outcome),
            Planned::Write(write) => match write.answer {
                Answer::Outcome(mut outcome) => {
                    if outcome.status == UploadStatus::NewDataset {
                        outcome.dataset_id = uuid::Uuid::nil();
                    }
                    UploadPlan::Proceed(outcome)
                }
                Answer::Refused { dataset, reason } => {
                    UploadPlan::Refused(planned_drift_refusal(write.event, dataset, reason))
                }
            },
        })
    }

    /// The decide phase, under the writer lock: decides against `catalog` and prepares what
    /// to record, at `time` (the writer guard's commit time), using `early` (the drift computed
    /// before the lock) if the active version is still the one it was computed against.
    /// Nothing is written.
    fn decide_write(
        &self,
        catalog: &Catalog,
        request: &UploadRequest,
        staged: &mut StagedUpload,
        early: Option<EarlyDrift>,
        time: i64,
    ) -> Result<Planned> {
        let (rule, in_force) = rule_for(catalog, request);
        let ctx = Context {
            early,
            request_dataset: &request.dataset,
            overwrite: request.overwrite,
            create: request.create,
            rule,
            in_force,
            override_reason: request.override_reason.as_deref(),
            policy_reason: request.policy_reason.as_deref(),
            duplicate_policy: self.options.duplicate_policy,
        };
        // Only a single unnamed table can be matched: the active version is read for it only.
        let may_match = matches!(staged.tables.as_slice(), [t] if !t.named);
        let active_tables = match catalog.find(&request.dataset) {
            Some(ds) if request.overwrite && may_match => {
                Some(self.version_info(ds, ds.active_version())?.tables)
            }
            _ => None,
        };
        staged.match_tables(active_tables.as_deref());
        let mut decision = decide_upload(self, catalog, &ctx, &staged.tables, staged.hash)?;
        check_metadata_is_recorded(catalog, request, &decision)?;
        check_reactivation_has_reason(catalog, request, &decision)?;
        if let Decision::Create(new) = &mut decision {
            // Recorded with the new version's event, as its other notices are: how its
            // tables were named and how their dates were read.
            let notes = staged.tables.iter().flat_map(|t| {
                t.scan
                    .notes
                    .iter()
                    .map(move |note| format!("table `{}`: {note}", t.name))
            });
            let notices: Vec<String> = staged.matched.iter().cloned().chain(notes).collect();
            new.warnings.splice(0..0, notices);
        }
        let duplicates = other_holders(catalog, &staged.hash, &decision);
        let prepare = Prepare {
            store: self,
            catalog,
            request,
            rule,
            hash: staged.hash,
            time,
        };
        let write = match decision {
            Decision::AlreadyActive {
                dataset_id,
                version,
            } => {
                let mut planned =
                    prepare.already_active(&mut staged.tables, dataset_id, version, duplicates)?;
                if let (Planned::Nothing { outcome, .. }, Some(notice)) =
                    (&mut planned, staged.matched.take())
                {
                    outcome.warnings.insert(0, notice);
                }
                return Ok(planned);
            }
            Decision::Block {
                dataset_id,
                active,
                drift,
                reason,
            } => prepare.refusal(&staged.tables, dataset_id, active, drift, reason),
            Decision::Reactivate {
                dataset_id,
                version,
                from,
            } => {
                let mut write = prepare.reactivation(
                    &mut staged.tables,
                    dataset_id,
                    version,
                    from,
                    duplicates,
                )?;
                if let (Answer::Outcome(outcome), Some(notice)) =
                    (&mut write.answer, staged.matched.take())
                {
                    outcome.warnings.insert(0, notice);
                }
                write
            }
            Decision::Create(new) => prepare.new_version(&mut staged.tables, new, duplicates)?,
        };
        Ok(Planned::Write(write))
    }

    /// The record phase, under the writer lock: publishes the staged blobs, appends and
    /// applies the event, then releases the locks and commits. Once the commit succeeded the
    /// upload is done: failures after it are warnings in the answer.
    fn record_upload(
        &self,
        mut writer: WriterGuard<'_>,
        mut catalog: RwLockWriteGuard<'_, Catalog>,
        write: PendingWrite,
    ) -> Result<UploadOutcome> {
        // An event the log cannot hold fails before any blob is published (which would
        // otherwise stay behind, referred to by nothing).
        let len = write.event.encoded_len();
        if len > crate::format::MAX_BODY_LEN as usize {
            return Err(Error::Log(crate::log::Error::RecordTooLarge {
                len,
                max: crate::format::MAX_BODY_LEN,
            }));
        }
        // Table bytes are durable under their names before the event refers to them, or are
        // written before it in its commit.
        for blob in write.storage.blobs {
            blob.publish(&self.blobs)?;
        }
        let inline = &write.storage.inline;
        let seq = self.append_with_tables(&mut writer, &mut catalog, inline, &write.event)?;
        drop(catalog);
        writer.commit()?;
        let post_commit_warnings = self.after_commit();
        match write.answer {
            Answer::Outcome(outcome) => Ok(UploadOutcome {
                seq: Some(seq),
                post_commit_warnings,
                ..outcome
            }),
            Answer::Refused { dataset, reason } => Err(Error::DriftRefused {
                dataset,
                reason,
                seq,
                post_commit_warnings,
            }),
        }
    }
}

/// The drift refusal a dry run found, from the `overwrite_blocked` event it would record.
fn planned_drift_refusal(event: super::Event, dataset: String, reason: String) -> UploadRefusal {
    let (active_version, drift) = match event.kind {
        EventKind::OverwriteBlocked { active, drift, .. } => (Some(active), Some(drift)),
        _ => (None, None),
    };
    UploadRefusal {
        kind: RefusalKind::DriftRefused,
        dataset,
        reason,
        seq: None,
        active_version,
        drift,
        post_commit_warnings: Vec::new(),
    }
}

/// The stage phase, outside the writer lock: reads every file once (see [`stage_table`]),
/// puts the tables in canonical order and hashes the version.
fn stage_upload(
    blobs: &BlobStore,
    files: Vec<UploadFile>,
    staging: Staging,
) -> Result<StagedUpload> {
    let mut tables = Vec::with_capacity(files.len());
    for file in files {
        tables.push(match staging {
            Staging::Write { inline_max } => stage_table(blobs, file, inline_max)?,
            Staging::DryRun => scan_table(file)?,
        });
    }
    let mut staged = StagedUpload {
        tables,
        hash: Digest([0; 32]),
        matched: None,
    };
    staged.match_tables(None);
    Ok(staged)
}

/// What the decide phase prepares an event from: the store, the catalog caught up under the
/// writer lock, the request, and the version hash of its staged tables.
struct Prepare<'a> {
    store: &'a Store,
    catalog: &'a Catalog,
    request: &'a UploadRequest,
    /// The drift rule the upload is decided by (and recorded under).
    rule: DriftRule,
    hash: Digest,
    /// The commit time of the writer guard the event is appended through.
    time: i64,
}

impl Prepare<'_> {
    fn event(&self, dataset_id: uuid::Uuid, kind: EventKind) -> super::Event {
        new_event(
            dataset_id,
            &self.request.actor,
            &self.request.note,
            kind,
            self.time,
        )
    }

    fn dataset(&self, dataset_id: &uuid::Uuid) -> &Dataset {
        self.catalog.by_id(dataset_id).expect("decided on it")
    }

    /// The content is the active version's: nothing to record, only the outcome (and the
    /// bytes of its tables that were missing, stored again).
    fn already_active(
        &self,
        staged: &mut Vec<StagedTable>,
        dataset_id: uuid::Uuid,
        version: u64,
        duplicates: Vec<ContentHolder>,
    ) -> Result<Planned> {
        let ds = self.dataset(&dataset_id);
        let info = self
            .store
            .version_info(ds, ds.version(version).expect("decided on it"))?;
        let (restore, mut warnings) = self.restores(staged);
        warnings.extend(duplicates.iter().map(duplicate_warning));
        let outcome = outcome(
            ds,
            info,
            UploadStatus::AlreadyActive,
            warnings,
            duplicates,
            None,
        );
        Ok(Planned::Nothing { outcome, restore })
    }

    /// The staged blobs of tables whose bytes are missing from the blob store (a version
    /// that refers to them exists: the upload has its content), to publish again, and a
    /// warning for each.
    fn restores(&self, staged: &mut Vec<StagedTable>) -> (Vec<StagedBytes>, Vec<String>) {
        let mut restore = Vec::new();
        let mut warnings = Vec::new();
        for table in staged.drain(..) {
            if self.restores_bytes(&table) {
                warnings.push(missing_bytes_warning(&table));
                restore.push(table.bytes);
            }
        }
        (restore, warnings)
    }

    /// Whether `table`'s bytes, which an earlier version refers to, are missing from the
    /// store and staged (a dry run stages nothing, so it restores nothing).
    fn restores_bytes(&self, table: &StagedTable) -> bool {
        match table.bytes {
            StagedBytes::Nothing => false,
            StagedBytes::Published { restored } => restored,
            StagedBytes::Memory(_) | StagedBytes::File(_) => {
                !self.store.holds_table_bytes(self.catalog, &table.hash)
            }
        }
    }

    /// How to store the staged tables' content that the store does not hold yet (content
    /// is stored once, whether inside the log or as a blob file).
    fn storage(&self, staged: &mut Vec<StagedTable>) -> Storage {
        let mut storage = Storage::default();
        for table in staged.drain(..) {
            if !self.store.holds_table_bytes(self.catalog, &table.hash) {
                storage.add(table.hash, table.bytes);
            }
        }
        storage
    }

    /// The drift policy refused the overwrite: an `overwrite_blocked` event, then the refusal.
    fn refusal(
        &self,
        staged: &[StagedTable],
        dataset_id: uuid::Uuid,
        active: u64,
        drift: SchemaDrift,
        reason: String,
    ) -> PendingWrite {
        let source_files = staged.iter().map(|t| t.file_name.clone()).collect();
        let kind = EventKind::OverwriteBlocked {
            attempted_hash: self.hash,
            source_files,
            active,
            drift,
            policy: self.rule.policy,
            reason: reason.clone(),
            widening: self.rule.widening,
        };
        PendingWrite {
            event: self.event(dataset_id, kind),
            storage: Storage::default(),
            answer: Answer::Refused {
                dataset: self.dataset(&dataset_id).name.clone(),
                reason,
            },
        }
    }

    /// The content is an earlier version's: making it active again is a rollback to it, so
    /// it is recorded as one (a `rollback` event, the upload's note its reason), with the
    /// compatibility warnings a rollback shows, after the bytes of its tables that were
    /// missing are stored again.
    fn reactivation(
        &self,
        staged: &mut Vec<StagedTable>,
        dataset_id: uuid::Uuid,
        version: u64,
        from: u64,
        duplicates: Vec<ContentHolder>,
    ) -> Result<PendingWrite> {
        let ds = self.dataset(&dataset_id);
        let info = self
            .store
            .version_info(ds, ds.version(version).expect("decided on it"))?;
        let active = self.store.version_info(ds, ds.active_version())?;
        let compatibility = super::rollback::rollback_warnings(&active, &info);
        let mut warnings: Vec<String> = staged
            .iter()
            .filter(|t| self.restores_bytes(t))
            .map(missing_bytes_warning)
            .collect();
        let storage = self.storage(staged);
        warnings.extend(compatibility.iter().cloned());
        warnings.extend(duplicates.iter().map(duplicate_warning));
        let status = UploadStatus::Reactivated;
        let kind = EventKind::Rollback {
            from,
            to: version,
            warnings: compatibility,
        };
        Ok(PendingWrite {
            event: self.event(dataset_id, kind),
            storage,
            answer: Answer::Outcome(outcome(ds, info, status, warnings, duplicates, None)),
        })
    }

    /// New content: an `upload_created` event for the new version, whose staged blobs (taken
    /// from `staged`) are published first.
    fn new_version(
        &self,
        staged: &mut Vec<StagedTable>,
        new: NewVersion,
        duplicates: Vec<ContentHolder>,
    ) -> Result<PendingWrite> {
        let NewVersion {
            dataset_id,
            version,
            previous_active,
            drift,
            mut warnings,
            override_reason,
        } = new;
        warnings.extend(duplicates.iter().map(duplicate_warning));
        let existing = self.catalog.by_id(&dataset_id);
        let tables = table_records(self.store, existing, staged)?;
        let dataset_name =
            existing.map_or_else(|| self.request.dataset.clone(), |d| d.name.clone());
        let outcome = UploadOutcome {
            status: if version == 1 {
                UploadStatus::NewDataset
            } else {
                UploadStatus::NewVersion
            },
            dataset_id,
            dataset: dataset_name.clone(),
            version,
            hash: self.hash,
            tables: tables.clone(),
            drift: drift.clone(),
            warnings: warnings.clone(),
            duplicates: duplicates.clone(),
            override_reason: override_reason.clone(),
            seq: None,
            post_commit_warnings: Vec::new(),
        };
        let kind = EventKind::UploadCreated {
            dataset_name,
            version,
            hash: self.hash,
            tables,
            metadata: self
                .request
                .metadata
                .as_ref()
                .map(serde_json::Value::to_string),
            previous_active,
            drift,
            policy: self.rule.policy,
            override_reason,
            warnings,
            duplicate_of: duplicates,
            widening: self.rule.widening,
        };
        Ok(PendingWrite {
            event: self.event(dataset_id, kind),
            storage: self.storage(staged),
            answer: Answer::Outcome(outcome),
        })
    }
}

/// Fails an upload whose event could not fit in a record whatever the decision adds to it
/// (its metadata, note and actor alone are too long), before any blob is published. The
/// event is checked in full before it is appended.
fn check_event_fits(request: &UploadRequest) -> Result<()> {
    let metadata = request.metadata.as_ref().map_or(0, |m| m.to_string().len());
    let len = metadata + request.note.len() + request.actor.len();
    if len > crate::format::MAX_BODY_LEN as usize {
        return Err(Error::Log(crate::log::Error::RecordTooLarge {
            len,
            max: crate::format::MAX_BODY_LEN,
        }));
    }
    Ok(())
}

fn missing_bytes_warning(table: &StagedTable) -> String {
    format!(
        "the bytes of table `{}` (content {}) were missing from the store; this upload stored them again",
        table.name,
        table.hash.short()
    )
}

/// The drift of an overwrite, classified before the writer lock against the version then
/// active.
struct EarlyDrift {
    dataset_id: uuid::Uuid,
    active: u64,
    drift: SchemaDrift,
}

struct Context<'a> {
    early: Option<EarlyDrift>,
    request_dataset: &'a str,
    overwrite: bool,
    create: bool,
    /// The drift rule the upload is decided by: the one in force, with what it asks for.
    rule: DriftRule,
    /// The rule in force for the dataset.
    in_force: PolicyInForce,
    override_reason: Option<&'a str>,
    policy_reason: Option<&'a str>,
    duplicate_policy: DuplicatePolicy,
}

/// Checks the request's shape, and puts its names in the form they are compared in: the
/// dataset name in NFC (it is checked against the naming rules when it creates a dataset, in
/// [`decide_upload`]: an existing dataset is found by the name it has), the actor checked
/// against the naming rules.
fn check_request(request: &mut UploadRequest) -> Result<()> {
    let invalid = |m: String| Err(Error::InvalidRequest(m));
    if request.dataset.trim().is_empty() {
        return invalid("the dataset name is empty".into());
    }
    request.dataset = names::nfc(&request.dataset).into_owned();
    request.actor = check_name(NameKind::Actor, &request.actor)?;
    if request.files.is_empty() {
        return invalid(format!("the upload of `{}` has no files", request.dataset));
    }
    for file in &mut request.files {
        if let Some(table) = &file.table {
            file.table = Some(check_name(NameKind::Table, table)?);
        }
    }
    let mut names: Vec<String> = request.files.iter().map(UploadFile::display_name).collect();
    names.sort();
    if let Some(pair) = names.windows(2).find(|p| p[0] == p[1]) {
        return invalid(format!(
            "two files of the upload are both named `{}`; table names must be unique",
            pair[0]
        ));
    }
    if names.iter().any(String::is_empty) {
        return invalid("a file of the upload has an empty name".into());
    }
    if let Some(meta) = &request.metadata {
        if !meta.is_object() {
            return invalid("version metadata must be a JSON object".into());
        }
    }
    Ok(())
}

/// Reads a file once: parses, infers and hashes it, keeping its bytes in memory while they
/// are at most `inline_max`, and moving them to a synced temporary blob (which hashes what
/// it is given) once they are more.
fn stage_table(blobs: &BlobStore, file: UploadFile, inline_max: u64) -> Result<StagedTable> {
    let mut sink = TableSink {
        blobs,
        inline_max,
        hasher: Hasher::new(),
        memory: Vec::new(),
        file: None,
    };
    let mut write = |bytes: &[u8]| sink.write(bytes);
    let scan = scan_csv(file.reader, &file.name, &mut write).map_err(|e| Error::Ingest {
        source: Arc::new(e),
    })?;
    // The scan handed the sink every byte of the file, in order (see `scan_csv`).
    let (hash, bytes) = match sink.file {
        Some(pipe) => {
            let blob = pipe.finish()?.finish()?;
            debug_assert_eq!(blob.len, scan.byte_len);
            (blob.hash, StagedBytes::File(blob))
        }
        None => (sink.hasher.finish(), StagedBytes::Memory(sink.memory)),
    };
    Ok(StagedTable {
        name: file
            .table
            .clone()
            .unwrap_or_else(|| display_name(&file.name)),
        named: file.table.is_some(),
        file_name: file.name,
        scan,
        hash,
        bytes,
    })
}

/// Where [`stage_table`] puts a table's bytes as the scan reads them: memory, until they
/// pass `inline_max`; from then on a temporary blob (created only then, so that an upload of
/// small tables writes no file before its commit).
struct TableSink<'a> {
    blobs: &'a BlobStore,
    inline_max: u64,
    /// Hashes the bytes kept in memory (a blob writer hashes its own).
    hasher: Hasher,
    memory: Vec<u8>,
    file: Option<BlobPipe>,
}

impl TableSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(pipe) = &mut self.file {
            return pipe.write(bytes);
        }
        if (self.memory.len() + bytes.len()) as u64 <= self.inline_max {
            self.hasher.update(bytes);
            self.memory.extend_from_slice(bytes);
            return Ok(());
        }
        // The IO error inside, so that the ingest error has the kind its OS error gives.
        let mut writer = self.blobs.writer().map_err(|e| match e {
            Error::Io(e) => std::io::Error::other(e),
            other => std::io::Error::other(other),
        })?;
        if !self.memory.is_empty() {
            writer.write(&self.memory)?;
        }
        self.memory = Vec::new();
        let mut pipe = BlobPipe::start(writer);
        pipe.write(bytes)?;
        self.file = Some(pipe);
        Ok(())
    }
}

/// Chunks a [`BlobPipe`] holds in flight at most: with the scan's 64 KiB reads, about 1 MiB,
/// whatever the file's size.
const PIPE_CHUNKS: usize = 16;

/// Hashes and writes a large table's bytes to its staged blob on a thread of its own, while
/// the scan parses and infers on the caller's: SHA-256 and the writes run beside the parser
/// (on another core where there is one). A bounded channel of chunks between them keeps the
/// memory bounded whatever the file's size, and makes the scan wait when the disk is slower.
struct BlobPipe {
    chunks: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    worker: Option<std::thread::JoinHandle<Result<BlobWriter>>>,
}

impl BlobPipe {
    fn start(mut writer: BlobWriter) -> BlobPipe {
        let (chunks, received) = std::sync::mpsc::sync_channel::<Vec<u8>>(PIPE_CHUNKS);
        let worker = std::thread::spawn(move || {
            for chunk in received {
                writer.write_bytes(&chunk)?;
            }
            Ok(writer)
        });
        BlobPipe {
            chunks: Some(chunks),
            worker: Some(worker),
        }
    }

    /// Hands a chunk to the worker; fails with the worker's error if it stopped.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let sent = self.chunks.as_ref().map(|c| c.send(bytes.to_vec()));
        if let Some(Ok(())) = sent {
            return Ok(());
        }
        let error = match self.join() {
            Err(Error::Io(e)) => std::io::Error::other(e),
            Err(other) => std::io::Error::other(other),
            Ok(_) => std::io::Error::other("the blob writer stopped before the end of the file"),
        };
        Err(error)
    }

    /// Waits for the worker to write every chunk handed to it; returns the blob writer.
    fn finish(mut self) -> Result<BlobWriter> {
        self.join()
    }

    fn join(&mut self) -> Result<BlobWriter> {
        drop(self.chunks.take());
        let worker = self.worker.take().expect("joined once");
        match worker.join() {
            Ok(outcome) => outcome,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Reads a file once for a dry run: parses, infers and hashes it, writing nothing.
fn scan_table(file: UploadFile) -> Result<StagedTable> {
    let mut hasher = Hasher::new();
    let mut sink = |bytes: &[u8]| {
        hasher.update(bytes);
        Ok(())
    };
    let scan = scan_csv(file.reader, &file.name, &mut sink).map_err(|e| Error::Ingest {
        source: Arc::new(e),
    })?;
    Ok(StagedTable {
        name: file
            .table
            .clone()
            .unwrap_or_else(|| display_name(&file.name)),
        named: file.table.is_some(),
        file_name: file.name,
        scan,
        hash: hasher.finish(),
        bytes: StagedBytes::Nothing,
    })
}

/// SHA-256 over the tables in canonical order: a domain tag, the table count, then for each
/// table its display name (length-prefixed) and content hash.
fn version_hash(tables: &[StagedTable]) -> Digest {
    let mut hasher = Hasher::with_tag(VERSION_TAG);
    hasher.update(&(tables.len() as u64).to_le_bytes());
    for table in tables {
        let name = &table.name;
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(&table.hash.0);
    }
    hasher.finish()
}

fn decide_upload(
    store: &Store,
    catalog: &Catalog,
    ctx: &Context<'_>,
    staged: &[StagedTable],
    hash: Digest,
) -> Result<Decision> {
    let Some(ds) = catalog.find(ctx.request_dataset) else {
        if ctx.overwrite && !ctx.create {
            return Err(unknown_overwrite(catalog, ctx.request_dataset));
        }
        check_name(NameKind::Dataset, ctx.request_dataset)?;
        check_duplicates(catalog, ctx, &hash)?;
        return Ok(Decision::Create(NewVersion {
            dataset_id: uuid::Uuid::new_v4(),
            version: 1,
            previous_active: None,
            drift: None,
            warnings: Vec::new(),
            override_reason: None,
        }));
    };
    if !ctx.overwrite {
        return Err(Error::DatasetExists {
            dataset: ds.name.clone(),
        });
    }
    if let Some(existing) = ds.versions.iter().find(|v| v.hash == hash) {
        return Ok(if existing.number == ds.active {
            Decision::AlreadyActive {
                dataset_id: ds.id,
                version: existing.number,
            }
        } else {
            Decision::Reactivate {
                dataset_id: ds.id,
                version: existing.number,
                from: ds.active,
            }
        });
    }
    let weakening_reason = weakening_reason(ctx, ds)?;
    let drift = match &ctx.early {
        // Classified before the lock against the version still active.
        Some(early) if early.dataset_id == ds.id && early.active == ds.active => {
            early.drift.clone()
        }
        _ => {
            let active = store.version_info(ds, ds.active_version())?;
            classify_drift(&active.named_schemas(), &new_schemas(staged))
        }
    };
    let rule = ctx.rule;
    match decide_under(rule.policy, rule.widening, &drift, ctx.override_reason) {
        DriftDecision::Refuse { reason } => Ok(Decision::Block {
            dataset_id: ds.id,
            active: ds.active,
            drift,
            reason,
        }),
        DriftDecision::Proceed {
            warnings,
            override_reason,
        } => {
            check_duplicates(catalog, ctx, &hash)?;
            // One reason is recorded: the weakening's, which explains why the drift was
            // decided as it was, else the override's.
            let override_reason = weakening_reason.map(str::to_owned).or(override_reason);
            Ok(Decision::Create(NewVersion {
                dataset_id: ds.id,
                version: ds.versions.len() as u64 + 1,
                previous_active: Some(ds.active),
                drift: Some(drift),
                warnings,
                override_reason,
            }))
        }
    }
}

/// The drift rule an upload is decided by (the one in force for its dataset, with the parts
/// the request names), and the rule in force.
fn rule_for(catalog: &Catalog, request: &UploadRequest) -> (DriftRule, PolicyInForce) {
    let existing = catalog.find(&request.dataset);
    let in_force = catalog.policy_in_force(existing.map(|d| &d.id));
    let rule = in_force.rule.with(request.drift_policy, request.widening);
    (rule, in_force)
}

/// The reason for deciding new content for `ds` by a rule weaker than the one a
/// `policy_set` event put in force (`None` if it is not weaker, or if no event set a rule:
/// the default binds nobody, and each upload's choice is recorded in its event), or
/// [`Error::PolicyWeakened`] if none was given. A weaker rule needs one whatever the drift
/// turns out to be, so that a script that always asks for `allow` is refused at once rather
/// than on the day it matters.
fn weakening_reason<'c>(ctx: &Context<'c>, ds: &Dataset) -> Result<Option<&'c str>> {
    let set_by_event = ctx.in_force.source != PolicySource::Default;
    if !set_by_event || !ctx.rule.is_weaker_than(ctx.in_force.rule) {
        return Ok(None);
    }
    match ctx.policy_reason.map(str::trim) {
        Some(reason) if !reason.is_empty() => Ok(Some(reason)),
        _ => Err(Error::PolicyWeakened {
            dataset: crate::human::escape_controls(&ds.name).into_owned(),
            requested: ctx.rule,
            in_force: ctx.in_force.rule,
            source_of_rule: super::policy::describe_source(ctx.in_force.source),
        }),
    }
}

/// An upload whose content is an earlier version makes that version active again: a
/// rollback, which needs a reason (the upload's note).
fn check_reactivation_has_reason(
    catalog: &Catalog,
    request: &UploadRequest,
    decision: &Decision,
) -> Result<()> {
    let Decision::Reactivate {
        dataset_id,
        version,
        from,
    } = decision
    else {
        return Ok(());
    };
    let name = catalog.by_id(dataset_id).map_or("", |d| d.name.as_str());
    super::policy::required_reason(&request.note, crate::error::ReasonFor::Reactivation, || {
        format!(
            "re-activating version {version} of `{}` by uploading its content again (a rollback from version {from})",
            crate::human::escape_controls(name)
        )
    })?;
    Ok(())
}

/// Metadata is recorded only with a new version: an upload whose content is an existing
/// version (re-activated, or already active) would drop it, so it is refused instead.
fn check_metadata_is_recorded(
    catalog: &Catalog,
    request: &UploadRequest,
    decision: &Decision,
) -> Result<()> {
    let (dataset_id, version, what) = match decision {
        Decision::Reactivate {
            dataset_id,
            version,
            ..
        } => (dataset_id, version, "would make it active again"),
        Decision::AlreadyActive {
            dataset_id,
            version,
        } => (dataset_id, version, "is already active"),
        _ => return Ok(()),
    };
    if request.metadata.is_none() {
        return Ok(());
    }
    let name = catalog.by_id(dataset_id).map_or("", |d| d.name.as_str());
    Err(Error::InvalidRequest(format!(
        "the upload has metadata, but its content is version {version} of `{}`, which it {what} without storing a new version: the metadata would not be recorded (version {version} keeps the metadata it was uploaded with)",
        crate::human::escape_controls(name)
    )))
}

/// The refusal of an overwrite of a name no dataset has, with the closest names.
fn unknown_overwrite(catalog: &Catalog, name: &str) -> Error {
    let names = catalog.datasets().map(|d| d.name.as_str());
    Error::OverwriteOfUnknownDataset {
        dataset: name.to_owned(),
        closest: crate::query::suggest::closest_names(name, names, 3)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    }
}

/// The staged tables as `(display name, schema)` pairs, as drift classification takes.
fn new_schemas(staged: &[StagedTable]) -> Vec<(String, crate::schema::Schema)> {
    staged
        .iter()
        .map(|t| (t.name.clone(), t.scan.schema.clone()))
        .collect()
}

fn check_duplicates(catalog: &Catalog, ctx: &Context<'_>, hash: &Digest) -> Result<()> {
    let holders = catalog.holders_of(hash);
    if holders.is_empty() || ctx.duplicate_policy == DuplicatePolicy::Warn {
        return Ok(());
    }
    Err(Error::DuplicateContent {
        dataset: ctx.request_dataset.to_owned(),
        others: holders
            .iter()
            .map(|h| format!("`{}` version {}", h.dataset_name, h.version))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Datasets other than the one decided on that hold the same content.
fn other_holders(catalog: &Catalog, hash: &Digest, decision: &Decision) -> Vec<ContentHolder> {
    let this = match decision {
        Decision::Create(NewVersion { dataset_id, .. })
        | Decision::Reactivate { dataset_id, .. }
        | Decision::AlreadyActive { dataset_id, .. }
        | Decision::Block { dataset_id, .. } => *dataset_id,
    };
    catalog
        .holders_of(hash)
        .into_iter()
        .filter(|h| h.dataset_id != this)
        .collect()
}

fn duplicate_warning(holder: &ContentHolder) -> String {
    format!(
        "the same content is already stored as dataset `{}` version {}",
        holder.dataset_name, holder.version
    )
}

fn table_records(
    store: &Store,
    existing: Option<&Dataset>,
    staged: &[StagedTable],
) -> Result<Vec<TableRecord>> {
    let names: Vec<String> = staged.iter().map(|t| t.name.clone()).collect();
    let ids = store.table_ids.assign(existing, &names, |ds, index| {
        Ok(store.version_info(ds, &ds.versions[index])?.tables)
    })?;
    Ok(staged
        .iter()
        .zip(names)
        .zip(ids)
        .map(|((t, name), table_id)| TableRecord {
            table_id,
            name,
            source_file: t.file_name.clone(),
            content_hash: t.hash,
            byte_len: t.scan.byte_len,
            row_count: t.scan.row_count,
            column_count: t.scan.column_count as u64,
            fingerprint: Digest(schema_fingerprint(&t.scan.schema)),
            schema: Arc::new(t.scan.schema.clone()),
            delimiter: t.scan.delimiter,
        })
        .collect())
}

fn outcome(
    ds: &Dataset,
    info: VersionInfo,
    status: UploadStatus,
    warnings: Vec<String>,
    duplicates: Vec<ContentHolder>,
    seq: Option<u64>,
) -> UploadOutcome {
    UploadOutcome {
        status,
        dataset_id: ds.id,
        dataset: ds.name.clone(),
        version: info.number,
        hash: info.hash,
        tables: info.tables,
        drift: None,
        warnings,
        duplicates,
        override_reason: None,
        seq,
        post_commit_warnings: Vec::new(),
    }
}
