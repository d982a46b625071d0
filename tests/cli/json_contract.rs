//! The `--json` contract: every JSON shape of docs/CLI.md, declared here again from the
//! document (not from the library), strictly: an unknown field, a missing field (nullable
//! ones included) or a value of the wrong form fails the decoding. Every command is run with
//! `--json` over real stores built from `tests/data`, and every line it prints is decoded.
//! A field renamed, dropped or added in the output, or in the document without the output,
//! fails here.

// The shapes declare every documented field: decoding is the check, so not every field is read.
#![allow(dead_code)]

use crate::support::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::fmt::Debug;

// ---------------------------------------------------------------------------------------
// Value forms (docs/CLI.md, "Output")

/// A field that must be present and may be `null`. (A plain `Option` field may be missing:
/// serde reads a missing `Option` as `None`, which would let a dropped field through.)
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// All 64 lowercase hex digits of a SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
struct Hash(String);

impl TryFrom<String> for Hash {
    type Error = String;
    fn try_from(s: String) -> Result<Hash, String> {
        let hex = s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        hex.then(|| Hash(s.clone()))
            .ok_or_else(|| format!("`{s}` is not 64 lowercase hex digits"))
    }
}

/// A UUID, hyphenated, lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
struct Id(String);

impl TryFrom<String> for Id {
    type Error = String;
    fn try_from(s: String) -> Result<Id, String> {
        match uuid::Uuid::parse_str(&s) {
            Ok(id) if id.hyphenated().to_string() == s => Ok(Id(s)),
            _ => Err(format!("`{s}` is not a hyphenated lowercase UUID")),
        }
    }
}

/// RFC 3339 UTC with microseconds: `2024-05-01T12:00:00.123456Z`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
struct Time(String);

impl TryFrom<String> for Time {
    type Error = String;
    fn try_from(s: String) -> Result<Time, String> {
        let fraction = s.get(19..26).unwrap_or_default();
        let form = s.len() == 27
            && s.ends_with('Z')
            && fraction.starts_with('.')
            && fraction[1..].bytes().all(|b| b.is_ascii_digit());
        if form && chrono::DateTime::parse_from_rfc3339(&s).is_ok() {
            Ok(Time(s))
        } else {
            Err(format!("`{s}` is not RFC 3339 UTC with microseconds"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Shared shapes

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum ColumnType {
    Boolean,
    Int64,
    Float64,
    Date,
    Timestamp,
    Utf8,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    column_type: ColumnType,
    nullable: bool,
    identifier: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Delimiter {
    Comma,
    Tab,
    Semicolon,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    table_id: String,
    name: String,
    source_file: String,
    content_hash: Hash,
    byte_len: u64,
    row_count: u64,
    column_count: u64,
    fingerprint: Hash,
    delimiter: Delimiter,
    columns: Vec<Column>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    None,
    Additive,
    Widening,
    Breaking,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnRef {
    name: String,
    #[serde(rename = "type")]
    column_type: ColumnType,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeChange {
    name: String,
    old_type: ColumnType,
    new_type: ColumnType,
    widening: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameCandidate {
    from: String,
    to: String,
    #[serde(rename = "type")]
    column_type: ColumnType,
    similarity: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDrift {
    table: String,
    added_columns: Vec<ColumnRef>,
    removed_columns: Vec<ColumnRef>,
    type_changes: Vec<TypeChange>,
    rename_candidates: Vec<RenameCandidate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Drift {
    verdict: Verdict,
    added_tables: Vec<String>,
    removed_tables: Vec<String>,
    changed_tables: Vec<TableDrift>,
    changes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentHolder {
    dataset_id: Id,
    dataset: String,
    version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Policy {
    Reject,
    Warn,
    Allow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Widening {
    Compatible,
    Breaking,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventType {
    UploadCreated,
    VersionActivated,
    Rollback,
    OverwriteBlocked,
    PolicySet,
}

/// An event; `details` depends on `type` (decoded by [`Event::details`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    seq: u64,
    event_id: Id,
    time: Time,
    #[serde(rename = "type")]
    event_type: EventType,
    dataset_id: Id,
    #[serde(deserialize_with = "nullable")]
    dataset: Option<String>,
    actor: String,
    #[serde(deserialize_with = "nullable")]
    os_account: Option<OsAccount>,
    #[serde(deserialize_with = "nullable")]
    salvaged_from: Option<SalvagedFrom>,
    note: String,
    details: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OsAccount {
    uid: u32,
    #[serde(deserialize_with = "nullable")]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SalvagedFrom {
    segment_number: u64,
    offset: u64,
    seq: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadCreatedDetails {
    dataset_name: String,
    version: u64,
    hash: Hash,
    tables: Vec<Table>,
    #[serde(deserialize_with = "nullable")]
    metadata: Option<serde_json::Map<String, Value>>,
    #[serde(deserialize_with = "nullable")]
    previous_active: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    drift: Option<Drift>,
    policy: Policy,
    widening: Widening,
    #[serde(deserialize_with = "nullable")]
    override_reason: Option<String>,
    warnings: Vec<String>,
    duplicate_of: Vec<ContentHolder>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionActivatedDetails {
    version: u64,
    from: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackDetails {
    from: u64,
    to: u64,
    warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverwriteBlockedDetails {
    attempted_hash: Hash,
    source_files: Vec<String>,
    active: u64,
    drift: Drift,
    policy: Policy,
    widening: Widening,
    reason: String,
}

/// A drift rule: `{"policy", "widening"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    policy: Policy,
    widening: Widening,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySetDetails {
    policy: Policy,
    widening: Widening,
    #[serde(deserialize_with = "nullable")]
    previous: Option<Rule>,
}

#[derive(Debug)]
enum Details {
    UploadCreated(UploadCreatedDetails),
    VersionActivated(VersionActivatedDetails),
    Rollback(RollbackDetails),
    OverwriteBlocked(OverwriteBlockedDetails),
    PolicySet(PolicySetDetails),
}

impl Event {
    fn details(&self) -> Details {
        let d = self.details.clone();
        match self.event_type {
            EventType::UploadCreated => Details::UploadCreated(strict(d)),
            EventType::VersionActivated => Details::VersionActivated(strict(d)),
            EventType::Rollback => Details::Rollback(strict(d)),
            EventType::OverwriteBlocked => Details::OverwriteBlocked(strict(d)),
            EventType::PolicySet => Details::PolicySet(strict(d)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TornTail {
    segment: String,
    path: String,
    offset: u64,
    len: u64,
    defect: String,
    #[serde(deserialize_with = "nullable")]
    unchecked: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Command shapes

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Init {
    store: String,
    store_id: Id,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Uploaded {
    dataset: String,
    dataset_id: Id,
    version: u64,
    hash: Hash,
    #[serde(deserialize_with = "nullable")]
    seq: Option<u64>,
    tables: Vec<Table>,
    #[serde(deserialize_with = "nullable")]
    drift: Option<Drift>,
    warnings: Vec<String>,
    duplicates: Vec<ContentHolder>,
    #[serde(deserialize_with = "nullable")]
    override_reason: Option<String>,
    post_commit_warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RefusalKind {
    DriftRefused,
    DatasetExists,
    DuplicateContent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Refused {
    refusal: RefusalKind,
    dataset: String,
    reason: String,
    #[serde(deserialize_with = "nullable")]
    seq: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    active_version: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    drift: Option<Drift>,
    post_commit_warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Upload {
    NewDataset(Uploaded),
    NewVersion(Uploaded),
    Reactivated(Uploaded),
    AlreadyActive(Uploaded),
    Refused(Refused),
}

impl Upload {
    fn uploaded(&self) -> &Uploaded {
        match self {
            Upload::NewDataset(u)
            | Upload::NewVersion(u)
            | Upload::Reactivated(u)
            | Upload::AlreadyActive(u) => u,
            Upload::Refused(r) => panic!("refused: {r:?}"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetLine {
    name: String,
    id: Id,
    active_version: u64,
    active_hash: Hash,
    versions: u64,
    events: u64,
    last_change: Time,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowCount {
    table: String,
    rows: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryVersion {
    dataset: String,
    dataset_id: Id,
    version: u64,
    hash: Hash,
    created: Time,
    actor: String,
    note: String,
    active: bool,
    rows: u64,
    row_counts: Vec<RowCount>,
    #[serde(deserialize_with = "nullable")]
    changes: Option<Drift>,
    change_summary: String,
    #[serde(deserialize_with = "nullable")]
    override_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
enum HistoryLine {
    Version(HistoryVersion),
    Event(Event),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Show {
    dataset: String,
    dataset_id: Id,
    version: u64,
    hash: Hash,
    active: bool,
    created: Time,
    created_seq: u64,
    actor: String,
    note: String,
    #[serde(deserialize_with = "nullable")]
    metadata: Option<serde_json::Map<String, Value>>,
    #[serde(deserialize_with = "nullable")]
    override_reason: Option<String>,
    #[serde(deserialize_with = "nullable")]
    drift: Option<Drift>,
    tables: Vec<Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionRef {
    version: u64,
    hash: Hash,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Diff {
    dataset: String,
    from: VersionRef,
    to: VersionRef,
    drift: Drift,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolledBack {
    dataset: String,
    from: u64,
    to: u64,
    warnings: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    seq: Option<u64>,
    post_commit_warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Rollback {
    RolledBack(RolledBack),
    AlreadyActive(RolledBack),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cat {
    dataset: String,
    version: u64,
    table: String,
    table_id: String,
    content_hash: Hash,
    byte_len: u64,
    output: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogProblem {
    segment: String,
    path: String,
    offset: u64,
    seq: u64,
    defect: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreProblem {
    detail: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlobProblem {
    path: String,
    hash: Hash,
    dataset: String,
    version: u64,
    table: String,
    detail: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Problem {
    Log(LogProblem),
    Store(StoreProblem),
    Tampering(StoreProblem),
    Blob(BlobProblem),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Summary {
    ok: bool,
    problems: u64,
    segments: u64,
    records: u64,
    bytes: u64,
    last_seq: u64,
    #[serde(deserialize_with = "nullable")]
    torn_tail: Option<TornTail>,
    invariants_checked: bool,
    deep: bool,
    blobs_checked: u64,
    #[serde(deserialize_with = "nullable")]
    snapshot_checked: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    orphan_blobs: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    temp_files: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    stale_copies: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
enum VerifyLine {
    Problem(Problem),
    Summary(Summary),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentHeader {
    format_version: u16,
    write_version: u16,
    store_id: Id,
    segment_number: u64,
    base_seq: u64,
    prev_seal_offset: u64,
    created: Time,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DumpSegment {
    segment: String,
    path: String,
    index: u64,
    file_len: u64,
    #[serde(deserialize_with = "nullable")]
    defect: Option<String>,
    #[serde(deserialize_with = "nullable")]
    header: Option<SegmentHeader>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderCrc {
    stored: u32,
    computed: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyCrc {
    stored: u32,
    #[serde(deserialize_with = "nullable")]
    computed: Option<u32>,
}

/// A record; `body` depends on `type` (decoded by [`DumpRecord::body`]). The header fields
/// are what the bytes say, so a damaged record's time may be anything (or null).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DumpRecord {
    segment: String,
    offset: u64,
    #[serde(deserialize_with = "nullable")]
    len: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    seq: Option<u64>,
    #[serde(rename = "type", deserialize_with = "nullable")]
    record_type: Option<String>,
    #[serde(deserialize_with = "nullable")]
    type_code: Option<u16>,
    #[serde(deserialize_with = "nullable")]
    flags: Option<u16>,
    #[serde(deserialize_with = "nullable")]
    timestamp: Option<String>,
    #[serde(deserialize_with = "nullable")]
    body_len: Option<u32>,
    #[serde(deserialize_with = "nullable")]
    header_crc: Option<HeaderCrc>,
    #[serde(deserialize_with = "nullable")]
    body_crc: Option<BodyCrc>,
    ok: bool,
    defects: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    body: Option<Value>,
    #[serde(deserialize_with = "nullable")]
    body_error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealBody {
    segment_number: u64,
    first_seq: u64,
    record_count: u64,
    seal_offset: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TornCutBody {
    segment_number: u64,
    offset: u64,
    bytes_dropped: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepairBody {
    segment_number: u64,
    offset: u64,
    bytes_cut: u64,
    segments_removed: u64,
    salvage_dir: String,
}

#[derive(Debug)]
enum RecordBody {
    Event(Event),
    Seal(SealBody),
    TornCut(TornCutBody),
    Repair(RepairBody),
}

impl DumpRecord {
    /// The decoded body of a valid record, by its type.
    fn body(&self) -> Option<RecordBody> {
        let body = self.body.clone()?;
        Some(match self.record_type.as_deref() {
            Some("dataset-event") => RecordBody::Event(strict(body)),
            Some("seal") => RecordBody::Seal(strict(body)),
            Some("torn-cut") => RecordBody::TornCut(strict(body)),
            Some("repair") => RecordBody::Repair(strict(body)),
            other => panic!("a body for record type {other:?}: {body}"),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DumpSkip {
    segment: String,
    offset: u64,
    len: u64,
    #[serde(deserialize_with = "nullable")]
    next_offset: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    next_seq: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DumpEnd {
    segment: String,
    offset: u64,
    zero_bytes: u64,
    sealed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
enum DumpItem {
    Segment(DumpSegment),
    Record(DumpRecord),
    Skip(DumpSkip),
    End(DumpEnd),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stat {
    store: String,
    store_id: Id,
    segments: u64,
    sealed_segments: u64,
    records: u64,
    last_seq: u64,
    events: u64,
    datasets: u64,
    versions: u64,
    distinct_tables: u64,
    log_record_bytes: u64,
    log_file_bytes: u64,
    blob_files: u64,
    blob_bytes: u64,
    tree_tiles: u64,
    tree_bytes: u64,
    #[serde(deserialize_with = "nullable")]
    torn_tail: Option<TornTail>,
    orphan_blobs: u64,
    orphan_blob_bytes: u64,
    temp_files: u64,
    temp_file_bytes: u64,
    stale_copies: u64,
    stale_copy_bytes: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GcFile {
    kind: GcFileKind,
    path: String,
    bytes: u64,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum GcFileKind {
    OrphanBlob,
    TempFile,
    StaleCopy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GcSummary {
    dry_run: bool,
    orphan_blobs: u64,
    temp_files: u64,
    stale_copies: u64,
    bytes: u64,
    writes_in_progress: bool,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
enum GcLine {
    File(GcFile),
    Summary(GcSummary),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NothingToRepair {
    #[serde(deserialize_with = "nullable")]
    torn_tail: Option<TornTail>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Repaired {
    segment: String,
    offset: u64,
    seq: u64,
    defect: String,
    salvage_dir: String,
    bytes_cut: u64,
    segments_removed: Vec<String>,
    repair_seq: u64,
    post_commit_warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum Repair {
    NothingToRepair(NothingToRepair),
    Repaired(Repaired),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoInit {
    step: u64,
    store: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUpload {
    step: u64,
    result: Box<Upload>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRollback {
    step: u64,
    result: Rollback,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoVerifyResult {
    ok: bool,
    problems: u64,
    segments: u64,
    records: u64,
    last_seq: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoVerify {
    step: u64,
    result: DemoVerifyResult,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum DemoStep {
    Init(DemoInit),
    Upload(DemoUpload),
    Rollback(DemoRollback),
    Verify(DemoVerify),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlLocation {
    line: u64,
    column: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanLocation {
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "in", rename_all = "snake_case")]
enum Location {
    Sql(SqlLocation),
    Plan(PlanLocation),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FindingKind {
    UnknownTable,
    UnknownColumn,
    AmbiguousColumn,
    TypeMismatch,
    ChangedType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suggestion {
    #[serde(deserialize_with = "nullable")]
    closest_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    last_seen_in_version: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Finding {
    kind: FindingKind,
    severity: Severity,
    reference: String,
    location: Location,
    message: String,
    #[serde(deserialize_with = "nullable")]
    suggestion: Option<Suggestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingLine {
    version: u64,
    kind: FindingKind,
    severity: Severity,
    reference: String,
    location: Location,
    message: String,
    #[serde(deserialize_with = "nullable")]
    suggestion: Option<Suggestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionLine {
    version: u64,
    runnable: bool,
    findings: Vec<Finding>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
enum CheckQueryLine {
    Finding(FindingLine),
    Version(VersionLine),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    path: String,
    seq: u64,
    bytes: u64,
    kept: Vec<u64>,
}

// ---------------------------------------------------------------------------------------
// Decoding

/// Decodes `value` into `T`, failing the test with the value and the reason.
fn strict<T: DeserializeOwned>(value: Value) -> T {
    let text = value.to_string();
    serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("does not match the documented shape: {e}\n{text}"))
}

/// Decodes every line of `stdout` into `T`.
fn lines<T: DeserializeOwned>(stdout: &str) -> Vec<T> {
    assert!(!stdout.is_empty(), "no output");
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("does not match the documented shape: {e}\n{line}"))
        })
        .collect()
}

/// The one line of `stdout`, decoded into `T`.
fn one<T: DeserializeOwned>(stdout: &str) -> T {
    let mut all = lines(stdout);
    assert_eq!(all.len(), 1, "expected one line:\n{stdout}");
    all.remove(0)
}

/// `strata --json args...`, expecting exit code `code`; its standard output.
fn json(store: &Path, args: &[&str], code: i32) -> String {
    let args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
    expect(store, &args, code).stdout
}

fn data_file(name: &str) -> String {
    path_str(&data(name))
}

/// Every event's details decode by its type; returns the events' types in order.
fn event_types(events: &[Event]) -> Vec<EventType> {
    for e in events {
        e.details();
    }
    events.iter().map(|e| e.event_type).collect()
}

/// The records of a dump.
fn records(dump: &[DumpItem]) -> Vec<&DumpRecord> {
    dump.iter()
        .filter_map(|i| match i {
            DumpItem::Record(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// The decoded bodies of a dump's valid records.
fn bodies(dump: &[DumpItem]) -> Vec<RecordBody> {
    records(dump).iter().filter_map(|r| r.body()).collect()
}

/// `verify`'s summary: its last line.
fn summary(verify: &[VerifyLine]) -> &Summary {
    match verify.last() {
        Some(VerifyLine::Summary(summary)) => summary,
        _ => panic!("the last line is not the summary: {verify:?}"),
    }
}

/// The cleaned penguins table under the raw table's file name (so it is the same table).
fn cleaned(tmp: &Path) -> String {
    file(
        tmp,
        "penguins-raw.csv",
        &std::fs::read(data("penguins.csv")).unwrap(),
    )
}

// ---------------------------------------------------------------------------------------
// The contract

/// Uploads of tests/data: penguins-raw (v1), the cleaned table refused then accepted (v2),
/// an identical re-upload, `multi` with airports and stocks, the same content again as
/// `dup`, and seattle-weather with metadata. Returns each upload's decoded output.
fn build_store(tmp: &Path, store: &Path) -> Vec<Upload> {
    let init: Init = one(&json(store, &["init"], 0));
    assert_eq!(init.store, path_str(store));
    let cleaned = cleaned(tmp);
    let metadata = file(tmp, "meta.json", br#"{"source": "NOAA", "rows": 1461}"#);
    let raw = data_file("penguins-raw.csv");
    let weather = data_file("seattle-weather.csv");
    let multi = [data_file("airports.csv"), data_file("stocks.csv")];
    let overridden = ["--overwrite", "--override-drift", "--reason", "cleaned"];
    let runs: Vec<(Vec<&str>, i32)> = vec![
        (vec!["upload", "penguins", &raw], 0),
        (vec!["upload", "penguins", &raw], 1),
        (vec!["upload", "penguins", &cleaned, "--overwrite"], 1),
        (
            [&["upload", "penguins", &cleaned][..], &overridden].concat(),
            0,
        ),
        (vec!["upload", "penguins", &cleaned, "--overwrite"], 0),
        (
            vec!["upload", "multi", &multi[0], &multi[1], "--actor", "ana"],
            0,
        ),
        (vec!["upload", "dup", &raw], 0),
        (
            vec!["upload", "weather", &weather, "--metadata", &metadata],
            0,
        ),
    ];
    runs.iter()
        .map(|(args, code)| one(&json(store, args, *code)))
        .collect()
}

/// A new temporary folder with the store of [`build_store`] in it.
fn built() -> (tempfile::TempDir, PathBuf, Vec<Upload>) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let uploads = build_store(tmp.path(), &store);
    (tmp, store, uploads)
}

#[test]
fn upload_outcomes_and_refusals_match_the_documented_shapes() {
    let (_tmp, _store, uploads) = built();
    let [first, exists, drift, overridden, same, multi, dup, weather] = &uploads[..] else {
        panic!("{uploads:?}")
    };
    let Upload::NewDataset(first) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        (first.version, first.seq, first.tables.len()),
        (1, Some(1), 1)
    );
    assert_eq!(first.tables[0].delimiter, Delimiter::Comma);
    assert_eq!(
        first.tables[0].columns.len() as u64,
        first.tables[0].column_count
    );
    let Upload::Refused(exists) = exists else {
        panic!("{exists:?}")
    };
    assert_eq!(exists.refusal, RefusalKind::DatasetExists);
    assert_eq!((exists.seq, exists.active_version), (None, None));
    let Upload::Refused(drift) = drift else {
        panic!("{drift:?}")
    };
    assert_eq!(drift.refusal, RefusalKind::DriftRefused);
    assert_eq!((drift.seq, drift.active_version), (Some(2), Some(1)));
    assert_eq!(drift.drift.as_ref().unwrap().verdict, Verdict::Breaking);
    let Upload::NewVersion(overridden) = overridden else {
        panic!("{overridden:?}")
    };
    assert_eq!(overridden.override_reason.as_deref(), Some("cleaned"));
    assert!(!overridden.drift.as_ref().unwrap().changed_tables[0]
        .rename_candidates
        .is_empty());
    let Upload::AlreadyActive(same) = same else {
        panic!("{same:?}")
    };
    assert_eq!((same.version, same.seq), (2, None));
    assert_eq!(multi.uploaded().tables.len(), 2);
    assert_eq!(dup.uploaded().duplicates[0].dataset, "penguins");
    assert_eq!(dup.uploaded().duplicates[0].dataset_id, first.dataset_id);
    assert_eq!(
        weather.uploaded().tables[0].columns[0].column_type,
        ColumnType::Date
    );
}

#[test]
fn datasets_show_diff_log_and_stat_match_the_documented_shapes() {
    let (_tmp, store, uploads) = built();
    let datasets: Vec<DatasetLine> = lines(&json(&store, &["datasets"], 0));
    let names: Vec<_> = datasets.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["dup", "multi", "penguins", "weather"]);
    assert_eq!(datasets[2].active_version, 2);
    assert_eq!((datasets[2].versions, datasets[2].events), (2, 3));

    let show: Show = one(&json(&store, &["show", "weather"], 0));
    assert!(show.active);
    assert_eq!(show.metadata.unwrap()["source"], "NOAA");
    let show: Show = one(&json(&store, &["show", "penguins@1"], 0));
    let first = uploads[0].uploaded();
    assert_eq!(
        (show.version, &show.hash, show.created_seq),
        (1, &first.hash, 1)
    );
    assert!(show.drift.is_none() && show.metadata.is_none());

    let diff: Diff = one(&json(&store, &["diff", "penguins", "1", "2"], 0));
    assert_eq!((diff.from.version, diff.to.version), (1, 2));
    assert_eq!(diff.drift.verdict, Verdict::Breaking);
    let diff: Diff = one(&json(&store, &["diff", "multi", "1", "1"], 0));
    assert_eq!(diff.drift.verdict, Verdict::None);

    let log: Vec<Event> = lines(&json(&store, &["log"], 0));
    assert!(log.iter().all(|e| e.dataset.is_some()));
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    event_types(&log);

    let stat: Stat = one(&json(&store, &["stat"], 0));
    assert_eq!((stat.datasets, stat.versions, stat.events), (4, 5, 6));
    assert_eq!(
        stat.distinct_tables, 5,
        "dup holds penguins' version 1 bytes"
    );
    assert!(stat.torn_tail.is_none());
}

#[test]
fn history_versions_and_events_match_the_documented_shapes() {
    let (_tmp, store, uploads) = built();
    let history: Vec<HistoryLine> = lines(&json(&store, &["history", "penguins", "--events"], 0));
    let mut versions = Vec::new();
    let mut events = Vec::new();
    for line in history {
        match line {
            HistoryLine::Version(v) => versions.push(v),
            HistoryLine::Event(e) => events.push(e),
        }
    }
    assert_eq!(versions[0].hash, uploads[0].uploaded().hash);
    assert_eq!(versions[0].change_summary, "initial version");
    assert!(versions[0].changes.is_none() && !versions[0].active && versions[1].active);
    assert_eq!(versions[1].row_counts[0].rows, versions[1].rows);
    assert_eq!(versions[1].override_reason.as_deref(), Some("cleaned"));
    assert_eq!(
        event_types(&events),
        [
            EventType::UploadCreated,
            EventType::OverwriteBlocked,
            EventType::UploadCreated
        ]
    );
    assert!(events
        .iter()
        .all(|e| e.dataset.as_deref() == Some("penguins")));
}

#[test]
fn rollback_and_cat_match_the_documented_shapes() {
    let (tmp, store, _) = built();
    let queries = file(
        tmp.path(),
        "queries.json",
        br#"[{"name": "mass", "sql": "SELECT body_mass_g FROM \"penguins-raw\""}]"#,
    );
    let args = [
        "rollback",
        "penguins",
        "1",
        "--reason",
        "a test rollback",
        "--yes",
        "--queries",
        &queries,
    ];
    let Rollback::RolledBack(done) = one(&json(&store, &args, 0)) else {
        panic!("not rolled back")
    };
    assert_eq!((done.from, done.to, done.seq), (2, 1, Some(7)));
    assert!(done
        .warnings
        .iter()
        .any(|w| w.contains("saved query `mass`")));
    let again: Rollback = one(&json(
        &store,
        &[
            "rollback",
            "penguins",
            "1",
            "--reason",
            "a test rollback",
            "--yes",
        ],
        0,
    ));
    assert!(matches!(
        again,
        Rollback::AlreadyActive(RolledBack { seq: None, .. })
    ));
    let cleaned = cleaned(tmp.path());
    let reactivated: Upload = one(&json(
        &store,
        &[
            "upload",
            "penguins",
            &cleaned,
            "--overwrite",
            "--note",
            "the cleaned table again",
        ],
        0,
    ));
    assert!(matches!(
        reactivated,
        Upload::Reactivated(Uploaded { version: 2, .. })
    ));

    let output = tmp.path().join("airports-copy.csv");
    let args = ["cat", "multi@1", "airports", "--output", &path_str(&output)];
    let cat: Cat = one(&json(&store, &args, 0));
    assert_eq!(
        (cat.table.as_str(), cat.table_id.as_str()),
        ("airports", "table_0")
    );
    assert_eq!(cat.byte_len, std::fs::metadata(&output).unwrap().len());
    assert_eq!(cat.output, path_str(&output));
}

#[test]
fn check_query_findings_and_the_compatibility_matrix_match_the_documented_shapes() {
    let (tmp, store, _) = built();
    let sql = r#"SELECT species, AVG("Body Mass (g)") FROM "penguins-raw" GROUP BY species"#;
    let args = ["check-query", "penguins", "--sql", sql, "--version", "2"];
    let findings: Vec<CheckQueryLine> = lines(&json(&store, &args, 0));
    let CheckQueryLine::Finding(finding) = &findings[0] else {
        panic!("{findings:?}")
    };
    assert_eq!(
        (finding.version, finding.kind),
        (2, FindingKind::UnknownColumn)
    );
    assert!(matches!(
        finding.location,
        Location::Sql(SqlLocation { line: 1, .. })
    ));
    assert_eq!(
        finding.suggestion.as_ref().unwrap().last_seen_in_version,
        Some(1)
    );

    let plan = br#"{"table": "penguins-raw", "metrics": [{"column": "nope", "aggregate": "avg"}]}"#;
    let plan = file(tmp.path(), "plan.json", plan);
    let args = ["check-query", "penguins", "--plan", &plan, "--strict"];
    let strict: Vec<CheckQueryLine> = lines(&json(&store, &args, 1));
    let CheckQueryLine::Finding(finding) = &strict[0] else {
        panic!("{strict:?}")
    };
    assert_eq!(finding.severity, Severity::Error);
    assert!(matches!(&finding.location, Location::Plan(p) if p.path.starts_with("metrics[0]")));
    assert!(finding.suggestion.is_none());

    let args = ["check-query", "penguins", "--sql", sql, "--all-versions"];
    let matrix: Vec<CheckQueryLine> = lines(&json(&store, &args, 0));
    let runnable: Vec<_> = matrix
        .iter()
        .map(|l| match l {
            CheckQueryLine::Version(v) => (v.version, v.runnable, v.findings.len()),
            CheckQueryLine::Finding(f) => panic!("{f:?}"),
        })
        .collect();
    assert_eq!(runnable, [(1, true, 0), (2, false, 1)]);
}

#[test]
fn snapshot_and_a_deep_verify_match_the_documented_shapes() {
    let (_tmp, store, _) = built();
    let snapshot: Snapshot = one(&json(&store, &["snapshot"], 0));
    assert_eq!((snapshot.seq, snapshot.kept.as_slice()), (6, &[6][..]));
    assert!(Path::new(&snapshot.path).is_file());
    let verify: Vec<VerifyLine> = lines(&json(&store, &["verify", "--deep"], 0));
    assert_eq!(verify.len(), 1, "{verify:?}");
    let summary = summary(&verify);
    assert!(summary.ok && summary.deep && summary.invariants_checked);
    assert_eq!(
        (summary.snapshot_checked, summary.blobs_checked),
        (Some(6), 5)
    );
    // The snapshot of the first 6 records is anchored by its checkpoint record, seq 7.
    assert_eq!((summary.problems, summary.last_seq), (0, 7));
}

#[test]
fn a_damaged_blob_in_verify_matches_the_documented_shapes() {
    let (_tmp, store, uploads) = built();
    let hash = &uploads[0].uploaded().tables[0].content_hash;
    flip_byte(&blob_path(&store, &Value::String(hash.0.clone())), 100);
    let verify: Vec<VerifyLine> = lines(&json(&store, &["verify", "--deep"], 1));
    let blobs: Vec<_> = verify
        .iter()
        .filter_map(|l| match l {
            VerifyLine::Problem(Problem::Blob(b)) => Some((b.dataset.as_str(), b.version, &b.hash)),
            _ => None,
        })
        .collect();
    assert_eq!(blobs, [("penguins", 1, hash), ("dup", 1, hash)]);
    assert_eq!(
        (summary(&verify).problems, summary(&verify).blobs_checked),
        (2, 5)
    );
}

#[test]
fn a_torn_tail_in_verify_stat_repair_and_dump_matches_the_documented_shapes() {
    let (_tmp, store, _) = built();
    let end = lines::<DumpItem>(&json(&store, &["dump"], 0))
        .into_iter()
        .find_map(|i| match i {
            DumpItem::End(e) => Some(e.offset),
            _ => None,
        })
        .unwrap();
    let mut bytes = std::fs::read(segment_path(&store)).unwrap();
    bytes[end as usize..end as usize + 10].fill(7);
    std::fs::write(segment_path(&store), bytes).unwrap();
    let verify: Vec<VerifyLine> = lines(&json(&store, &["verify"], 0));
    let torn = summary(&verify)
        .torn_tail
        .as_ref()
        .map(|t| (t.offset, t.len));
    assert_eq!(torn, Some((end, 10)));
    let stat: Stat = one(&json(&store, &["stat"], 0));
    assert_eq!(stat.torn_tail.unwrap().segment, "00000000000000000001.seg");
    let nothing: Repair = one(&json(&store, &["repair", "--yes"], 0));
    assert!(matches!(
        nothing,
        Repair::NothingToRepair(NothingToRepair { torn_tail: Some(_) })
    ));

    one::<Upload>(&json(
        &store,
        &["upload", "stocks", &data_file("stocks.csv")],
        0,
    ));
    let dump: Vec<DumpItem> = lines(&json(&store, &["dump"], 0));
    let cut = bodies(&dump).into_iter().find_map(|b| match b {
        RecordBody::TornCut(c) => Some((c.offset, c.bytes_dropped)),
        _ => None,
    });
    assert_eq!(cut, Some((end, 10)));
}

#[test]
fn corruption_in_verify_dump_and_repair_matches_the_documented_shapes() {
    let (_tmp, store, _) = built();
    let dump: Vec<DumpItem> = lines(&json(&store, &["dump"], 0));
    let third = records(&dump)
        .iter()
        .find(|r| r.seq == Some(3))
        .unwrap()
        .offset;
    flip_byte(&segment_path(&store), third + 40);
    let verify: Vec<VerifyLine> = lines(&json(&store, &["verify"], 1));
    let VerifyLine::Problem(Problem::Log(problem)) = &verify[0] else {
        panic!("{verify:?}")
    };
    assert_eq!((problem.offset, problem.seq), (third, 3));
    assert_eq!(problem.segment, "00000000000000000001.seg");
    assert!(!summary(&verify).ok && !summary(&verify).invariants_checked);

    let dump: Vec<DumpItem> = lines(&json(&store, &["dump"], 0));
    let damaged = *records(&dump).iter().find(|r| !r.ok).unwrap();
    assert_eq!((damaged.offset, damaged.seq), (third, Some(3)));
    assert!(damaged.body.is_none() && damaged.body_error.is_none());
    let body_crc = damaged.body_crc.as_ref().unwrap();
    assert_ne!(Some(body_crc.stored), body_crc.computed);
    assert!(dump
        .iter()
        .any(|i| matches!(i, DumpItem::Skip(s) if s.next_seq == Some(4))));
    assert!(expect(&store, &["stat", "--json"], 2).stdout.is_empty());

    let Repair::Repaired(repaired) = one(&json(&store, &["repair", "--yes"], 0)) else {
        panic!("not repaired")
    };
    assert_eq!(
        (repaired.offset, repaired.seq, repaired.repair_seq),
        (third, 3, 3)
    );
    assert!(repaired.segments_removed.is_empty());
    assert!(repaired.post_commit_warnings.is_empty());
    let dump: Vec<DumpItem> = lines(&json(&store, &["dump"], 0));
    let repair = bodies(&dump).into_iter().find_map(|b| match b {
        RecordBody::Repair(r) => Some(r),
        _ => None,
    });
    let repair = repair.expect("a repair record");
    assert_eq!((repair.offset, repair.segments_removed), (third, 0));
    assert!(repair.salvage_dir.starts_with("salvage-"), "{repair:?}");
}

/// Library options for segments of about one upload each (the command line has no option
/// for the segment size), so that dumps show seals.
/// Small segments, and every table a blob file (one record, the event, per upload).
fn small_segments() -> strata::StoreOptions {
    strata::StoreOptions {
        log: strata::log::LogOptions {
            segment_size: 1024,
            ..strata::StoreOptions::default().log
        },
        inline_table_max: 0,
        ..strata::StoreOptions::default()
    }
}

/// A store of three segments (stocks, seattle-weather, penguins), written by the library.
fn sealed_store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let library = strata::Store::create(&store, small_segments()).unwrap();
    for name in ["stocks", "seattle-weather", "penguins"] {
        let file = strata::UploadFile::from_path(data(&format!("{name}.csv"))).unwrap();
        let request = strata::UploadRequest::new(name, vec![file], "ana");
        library.save_upload(request).unwrap();
    }
    (tmp, store)
}

#[test]
fn a_dump_of_sealed_segments_matches_the_documented_shapes() {
    let (_tmp, store) = sealed_store();
    let dump: Vec<DumpItem> = lines(&json(&store, &["dump"], 0));
    let headers: Vec<u64> = dump
        .iter()
        .filter_map(|i| match i {
            DumpItem::Segment(s) if s.defect.is_none() => Some(s.header.as_ref()?.segment_number),
            _ => None,
        })
        .collect();
    assert_eq!(headers, [0, 1, 2], "one segment per upload");
    let seals: Vec<(u64, u64, u64)> = bodies(&dump)
        .into_iter()
        .filter_map(|b| match b {
            RecordBody::Seal(s) => Some((s.segment_number, s.first_seq, s.record_count)),
            _ => None,
        })
        .collect();
    // Every segment after the first starts with a checkpoint record, then its upload.
    assert_eq!(seals, [(0, 1, 1), (1, 3, 2)]);
    let ends: Vec<bool> = dump
        .iter()
        .filter_map(|i| match i {
            DumpItem::End(e) => Some(e.sealed),
            _ => None,
        })
        .collect();
    assert_eq!(ends, [true, true, false]);
    for record in records(&dump) {
        assert!(record.ok && record.defects.is_empty(), "{record:?}");
        Time::try_from(record.timestamp.clone().unwrap()).unwrap();
        if let Some(RecordBody::Event(e)) = record.body() {
            e.details();
        }
    }
}

/// Dumped from a refused overwrite of `stocks` on, the dataset's name is not known (only an
/// `upload_created` names a dataset), and no earlier record or segment is shown.
#[test]
fn a_dump_from_a_sequence_number_matches_the_documented_shapes() {
    let (_tmp, store) = sealed_store();
    let library = strata::Store::open(&store, small_segments()).unwrap();
    let file = strata::UploadFile::from_path(data("penguins.csv")).unwrap();
    let overwrite = strata::UploadRequest {
        overwrite: true,
        ..strata::UploadRequest::new("stocks", vec![file], "ana")
    };
    let refused = library.save_upload(overwrite).unwrap_err();
    assert!(
        matches!(refused, strata::Error::DriftRefused { .. }),
        "the refusal is recorded: {refused}"
    );
    let from = library.log().last_seq();
    let dump: Vec<DumpItem> = lines(&json(&store, &["dump", "--from", &from.to_string()], 0));
    let records = records(&dump);
    assert_eq!(records.len(), 1, "{dump:?}");
    assert_eq!(records[0].seq, Some(from));
    let Some(RecordBody::Event(event)) = records[0].body() else {
        panic!("{dump:?}")
    };
    assert_eq!(event.event_type, EventType::OverwriteBlocked);
    assert_eq!(event.dataset, None);
    let segments = dump
        .iter()
        .filter(|i| matches!(i, DumpItem::Segment(_)))
        .count();
    assert_eq!(segments, 1, "only the last segment can hold it");
}

#[test]
fn demo_steps_match_the_documented_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let steps: Vec<DemoStep> = lines(&json(&dir, &["demo", &path_str(&dir)], 0));
    let numbers: Vec<u64> = steps
        .iter()
        .map(|s| match s {
            DemoStep::Init(s) => s.step,
            DemoStep::Upload(s) => s.step,
            DemoStep::Rollback(s) => s.step,
            DemoStep::Verify(s) => s.step,
        })
        .collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let DemoStep::Init(init) = &steps[0] else {
        panic!("{steps:?}")
    };
    assert_eq!(init.store, path_str(&dir));
    let DemoStep::Upload(upload) = &steps[3] else {
        panic!("{steps:?}")
    };
    assert!(matches!(*upload.result, Upload::Refused(_)), "{upload:?}");
    assert!(matches!(
        &steps[6],
        DemoStep::Rollback(DemoRollback {
            result: Rollback::RolledBack(_),
            ..
        })
    ));
    let DemoStep::Upload(upload) = &steps[7] else {
        panic!("{steps:?}")
    };
    assert!(
        matches!(*upload.result, Upload::Reactivated(_)),
        "{upload:?}"
    );
    let DemoStep::Verify(verify) = &steps[8] else {
        panic!("{steps:?}")
    };
    assert!(verify.result.ok && verify.result.problems == 0);
}

/// The contract itself: the strict shapes refuse an output whose field was renamed, dropped
/// (even a nullable one) or added, or whose value has another form.
#[test]
fn the_contract_refuses_a_renamed_dropped_or_added_field() {
    let (_tmp, store) = new_store();
    let line = json(&store, &["stat"], 0);
    let real: Value = serde_json::from_str(line.trim()).unwrap();
    let decode = |v: &Value| serde_json::from_value::<Stat>(v.clone());
    assert!(decode(&real).is_ok());
    let changed = |change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = real.clone();
        change(v.as_object_mut().unwrap());
        v
    };
    let renamed = changed(&|m| {
        let value = m.remove("sealed_segments").unwrap();
        m.insert("sealed".into(), value);
    });
    let dropped = changed(&|m| {
        m.remove("torn_tail");
    });
    let added = changed(&|m| {
        m.insert("extra".into(), Value::Bool(true));
    });
    let bad_id = changed(&|m| {
        m.insert("store_id".into(), Value::String("not-a-uuid".into()));
    });
    for (what, v) in [
        ("renamed", renamed),
        ("dropped", dropped),
        ("added", added),
        ("bad id", bad_id),
    ] {
        assert!(decode(&v).is_err(), "a {what} field got through: {v}");
    }
    assert!(Time::try_from("2024-05-01T12:00:00Z".to_string()).is_err());
    assert!(Hash::try_from("AB".repeat(32)).is_err());
}

#[test]
fn gc_and_its_dry_run_match_the_documented_shapes() {
    let (tmp, store) = new_store();
    ok(&store, &["upload", "d", &file(tmp.path(), "t.csv", SMALL)]);
    let orphan = store.join("blobs/sha256/00/orphan");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"nothing refers to this").unwrap();
    std::fs::write(store.join("blobs/tmp/interrupted.tmp"), b"half a blob").unwrap();
    for dry_run in [true, false] {
        let args: &[&str] = if dry_run {
            &["gc", "--dry-run"]
        } else {
            &["gc"]
        };
        let lines: Vec<GcLine> = lines(&json(&store, args, 0));
        let kinds: Vec<&GcFileKind> = lines
            .iter()
            .filter_map(|l| match l {
                GcLine::File(f) => Some(&f.kind),
                GcLine::Summary(_) => None,
            })
            .collect();
        assert_eq!(kinds, [&GcFileKind::OrphanBlob, &GcFileKind::TempFile]);
        let Some(GcLine::Summary(summary)) = lines.last() else {
            panic!("the last line is not the summary: {lines:?}")
        };
        assert_eq!(summary.dry_run, dry_run);
        assert_eq!((summary.orphan_blobs, summary.temp_files), (1, 1));
        assert_eq!(summary.bytes, 22 + 11);
        assert_eq!(orphan.exists(), dry_run);
    }
}

// ---------------------------------------------------------------------------------------
// Errors under --json, `history --timeline`, `find`

/// docs/CLI.md, "Errors": `{"error":{"kind":...,"message":...}}` on standard error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorLine {
    error: ErrorBody,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum ErrorKindName {
    Refused,
    NotFound,
    Invalid,
    TooLarge,
    Busy,
    Corrupt,
    StorageFull,
    ReadOnly,
    Io,
    Internal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorBody {
    kind: ErrorKindName,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineMove {
    seq: u64,
    time: Time,
    actor: String,
    #[serde(rename = "type")]
    event: EventType,
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineLine {
    item: String,
    dataset: String,
    version: u64,
    active: bool,
    from: TimelineMove,
    #[serde(deserialize_with = "nullable")]
    to: Option<TimelineMove>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindLine {
    content_hash: Hash,
    dataset: String,
    dataset_id: Id,
    version: u64,
    active: bool,
    table_id: String,
    table: String,
    source_file: String,
}

#[test]
fn errors_timelines_and_find_results_have_their_documented_shapes() {
    let (tmp, store) = new_store();
    penguins_raw_then_clean(&store, tmp.path());
    ok(
        &store,
        &["rollback", "penguins", "1", "--reason", "back", "--yes"],
    );

    let timeline: Vec<TimelineLine> = lines(&ok(
        &store,
        &["history", "penguins", "--timeline", "--json"],
    ));
    assert_eq!(timeline.len(), 3);
    assert!(timeline.iter().all(|l| l.item == "interval"));
    assert!(timeline[2].active && timeline[2].to.is_none());

    let raw = path_str(&data("penguins-raw.csv"));
    let found: Vec<FindLine> = lines(&ok(&store, &["find", &raw, "--json"]));
    assert_eq!(found.len(), 1);
    assert!(found[0].active);

    for args in [
        vec!["show", "nope", "--json"],
        vec!["upload", "x", "--json"],
        vec!["find", "/nonexistent/file.csv", "--json"],
    ] {
        let r = expect(&store, &args, 2);
        let error: ErrorLine = strict(serde_json::from_str(&r.stderr).unwrap());
        assert!(!error.error.message.is_empty(), "{args:?}");
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySetBy {
    seq: u64,
    time: Time,
    actor: String,
    reason: String,
}

/// `strata policy show --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyShown {
    #[serde(deserialize_with = "nullable")]
    dataset: Option<String>,
    rule: Rule,
    source: String,
    #[serde(deserialize_with = "nullable")]
    set_by: Option<PolicySetBy>,
}

/// `strata policy set --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySetLine {
    #[serde(deserialize_with = "nullable")]
    dataset: Option<String>,
    rule: Rule,
    #[serde(deserialize_with = "nullable")]
    previous: Option<Rule>,
    changed: bool,
    #[serde(deserialize_with = "nullable")]
    seq: Option<u64>,
    post_commit_warnings: Vec<String>,
}

#[test]
fn policy_show_set_and_the_policy_set_event_match_the_documented_shapes() {
    let (_tmp, store, _) = built();
    let set: PolicySetLine = one(&json(
        &store,
        &[
            "policy",
            "set",
            "warn",
            "--dataset",
            "penguins",
            "--reason",
            "exploratory",
        ],
        0,
    ));
    assert_eq!(set.dataset.as_deref(), Some("penguins"));
    assert_eq!(
        (set.rule.policy, set.previous, set.changed),
        (Policy::Warn, None, true)
    );
    assert!(set.post_commit_warnings.is_empty());
    let shown: PolicyShown = one(&json(
        &store,
        &["policy", "show", "--dataset", "penguins"],
        0,
    ));
    assert_eq!(
        (shown.source.as_str(), shown.rule.policy),
        ("dataset", Policy::Warn)
    );
    let by = shown.set_by.unwrap();
    assert_eq!((Some(by.seq), by.reason.as_str()), (set.seq, "exploratory"));
    let store_wide: PolicyShown = one(&json(&store, &["policy", "show"], 0));
    assert_eq!(
        (store_wide.dataset, store_wide.source.as_str()),
        (None, "default")
    );
    let events: Vec<Event> = lines(&json(&store, &["log", "--type", "policy_set"], 0));
    let Details::PolicySet(details) = events[0].details() else {
        panic!("{events:?}")
    };
    assert_eq!(
        (details.policy, details.widening),
        (Policy::Warn, Widening::Compatible)
    );
    assert_eq!(events[0].dataset.as_deref(), Some("penguins"));
}
