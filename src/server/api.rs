//! The read routes, rollback, verify, stat and snapshots: each a thin shell over the
//! library, answering in the shapes of [`crate::report`].

use super::auth::Principal;
use super::error::{ApiError, ApiErrorKind, ApiResult};
use super::{blocking, AppState};
use crate::check::{self, CheckOptions};
use crate::query::{Query as StrataQuery, ValidateOptions};
use crate::report;
use crate::schema::classify_drift;
use crate::store::{BareDate, EventFilter, VersionRef, EVENT_TYPES};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The refusal of a JSON body over [`MAX_JSON_BODY`].
pub(crate) fn body_too_large() -> ApiError {
    ApiError::new(
        ApiErrorKind::TooLarge,
        format!(
            "the request body is larger than the limit of {MAX_JSON_BODY} bytes; nothing was done"
        ),
    )
}

/// The largest JSON request body accepted (axum's default limit for every non-upload route).
pub(crate) const MAX_JSON_BODY: usize = 2 * 1024 * 1024;

/// Chunks of table bytes streamed to the client.
const CHUNK: usize = 64 * 1024;

fn query_of<T>(query: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

pub(crate) fn json_of<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    body.map(|Json(b)| b).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            body_too_large()
        } else {
            ApiError::invalid(e.body_text())
        }
    })
}

fn version_ref(text: &str) -> ApiResult<VersionRef> {
    Ok(text.parse::<VersionRef>()?)
}

/// A dataset, as `strata datasets --json` prints it, with who made its last change.
#[derive(Debug, Serialize)]
pub struct DatasetEntry {
    /// The line `strata datasets --json` prints.
    #[serde(flatten)]
    pub line: report::DatasetLine,
    /// Who caused its last event.
    pub last_actor: Option<String>,
}

/// `GET /api/datasets`: every dataset, by name.
pub async fn datasets(State(app): State<AppState>) -> ApiResult<Json<Vec<DatasetEntry>>> {
    blocking(&app, |store| {
        let datasets: Vec<_> = {
            let catalog = store.catalog();
            let mut all: Vec<_> = catalog.datasets().cloned().collect();
            all.sort_by(|a, b| a.name.cmp(&b.name));
            all
        };
        let mut out = Vec::with_capacity(datasets.len());
        for ds in &datasets {
            let last_actor = match ds.event_seqs.last() {
                Some(seq) => Some(store.read_event(*seq)?.actor),
                None => None,
            };
            out.push(DatasetEntry {
                line: report::DatasetLine::from(ds),
                last_actor,
            });
        }
        Ok(Json(out))
    })
    .await
}

/// A dataset's history: its versions and its events.
#[derive(Debug, Serialize)]
pub struct HistoryBody {
    /// The dataset's name.
    pub dataset: String,
    /// Its id.
    pub dataset_id: uuid::Uuid,
    /// Every version, oldest first, as `strata history --json` prints them.
    pub versions: Vec<report::HistoryVersion>,
    /// Every event, oldest first, as `strata log --json` prints them.
    pub events: Vec<report::Event>,
}

/// `GET /api/datasets/{dataset}/history`.
pub async fn history(
    State(app): State<AppState>,
    Path(dataset): Path<String>,
) -> ApiResult<Json<HistoryBody>> {
    blocking(&app, move |store| {
        let history = store.history(&dataset)?;
        Ok(Json(HistoryBody {
            dataset: history.name.clone(),
            dataset_id: history.dataset_id,
            versions: history
                .versions
                .iter()
                .map(|v| report::HistoryVersion::new(&history, v))
                .collect(),
            events: history
                .events
                .iter()
                .map(|(seq, e)| report::Event::new(*seq, e, Some(&history.name)))
                .collect(),
        }))
    })
    .await
}

/// `GET /api/datasets/{dataset}/versions/{version}`: as `strata show --json` prints it.
/// The version is a number, `v3`, a hash prefix, `active`, or a time (the version active
/// then).
pub async fn show(
    State(app): State<AppState>,
    Path((dataset, version)): Path<(String, String)>,
) -> ApiResult<Json<report::Show>> {
    blocking(&app, move |store| {
        let info = store.version(&dataset, &version_ref(&version)?)?;
        let catalog = store.catalog();
        let ds = catalog.get(&dataset)?;
        Ok(Json(report::Show::new(
            &ds.name,
            ds.id,
            &info,
            ds.active == info.number,
        )))
    })
    .await
}

/// The query of `GET /api/datasets/{dataset}/diff`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// The old version.
    pub from: String,
    /// The new version.
    pub to: String,
}

/// `GET /api/datasets/{dataset}/diff?from=&to=`: as `strata diff --json` prints it.
pub async fn diff(
    State(app): State<AppState>,
    Path(dataset): Path<String>,
    query: Result<Query<DiffQuery>, QueryRejection>,
) -> ApiResult<Json<report::Diff>> {
    let query = query_of(query)?;
    blocking(&app, move |store| {
        let old = store.version(&dataset, &version_ref(&query.from)?)?;
        let new = store.version(&dataset, &version_ref(&query.to)?)?;
        let name = store.catalog().get(&dataset)?.name.clone();
        let drift = classify_drift(&old.named_schemas(), &new.named_schemas());
        Ok(Json(report::Diff::new(&name, &old, &new, &drift)))
    })
    .await
}

/// A file name safe in a header: ASCII letters, digits, `.`, `-` and `_`.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987 percent-encoding for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /api/datasets/{dataset}/versions/{version}/tables/{table}`: the table's exact bytes,
/// streamed and verified against their hash as they go out. The last chunk is sent only
/// once the whole table hashed right, so a damaged blob aborts the response (the client
/// sees a connection cut short, never a clean end).
pub async fn table(
    State(app): State<AppState>,
    Path((dataset, version, table)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (record, number, name, reader) = blocking(&app, move |store| {
        let version = version_ref(&version)?;
        let number = store.resolve_version(&dataset, &version)?;
        let (record, reader) = store.open_table(&dataset, &version, Some(&table))?;
        let name = store.catalog().get(&dataset)?.name.clone();
        Ok((record, number, name, reader))
    })
    .await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || stream_verified(reader, &sender));
    let body = Body::from_stream(futures_util::stream::unfold(receiver, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    }));
    let extension = std::path::Path::new(&record.source_file)
        .extension()
        .map_or_else(|| "csv".to_string(), |e| e.to_string_lossy().into_owned());
    let file_name = format!("{name}-v{number}-{}.{extension}", record.name);
    let content_type = if record.delimiter.to_string() == "tab" {
        "text/tab-separated-values; charset=utf-8"
    } else {
        "text/csv; charset=utf-8"
    };
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        safe_file_name(&file_name),
        percent_encode(&file_name)
    );
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(record.byte_len));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", record.content_hash.hex())) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// Reads `reader` (which fails at its end on a hash mismatch) into `sender`, holding each
/// chunk back until the next read succeeded: the last chunk goes out only after the hash
/// was checked, and a failure is sent as an error, which aborts the response.
fn stream_verified(
    mut reader: impl Read,
    sender: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut held: Option<Bytes> = None;
    loop {
        let mut buf = vec![0u8; CHUNK];
        match reader.read(&mut buf) {
            Ok(0) => {
                if let Some(last) = held {
                    let _ = sender.blocking_send(Ok(last));
                }
                return;
            }
            Ok(n) => {
                buf.truncate(n);
                if let Some(previous) = held.replace(Bytes::from(buf)) {
                    if sender.blocking_send(Ok(previous)).is_err() {
                        return;
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = sender.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// The body of `POST /api/datasets/{dataset}/check-query`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckQueryBody {
    /// The SQL text of the query.
    pub sql: Option<String>,
    /// A structured query plan.
    pub plan: Option<serde_json::Value>,
    /// Validate against this version (default: the active one); a bare date is the end of
    /// that day.
    pub version: Option<String>,
    /// Validate against every version: which versions can run it.
    #[serde(default)]
    pub all_versions: bool,
    /// Findings are errors.
    #[serde(default)]
    pub strict: bool,
}

/// `POST /api/datasets/{dataset}/check-query`: the lines `strata check-query --json` prints.
pub async fn check_query(
    State(app): State<AppState>,
    Path(dataset): Path<String>,
    body: Result<Json<CheckQueryBody>, JsonRejection>,
) -> ApiResult<Json<Vec<report::CheckQueryLine>>> {
    let body = json_of(body)?;
    let query = match (&body.sql, &body.plan) {
        (Some(sql), None) => StrataQuery::sql(sql),
        (None, Some(plan)) => StrataQuery::plan_json(&plan.to_string()),
        _ => return Err(ApiError::invalid("give exactly one of `sql` and `plan`")),
    }
    .map_err(|e| ApiError::invalid(format!("the query cannot be read: {e}")))?;
    let options = ValidateOptions {
        strict: body.strict,
        since: None,
    };
    blocking(&app, move |store| {
        if body.all_versions {
            let matrix = store.query_compatibility(&dataset, &query, &options)?;
            return Ok(Json(
                matrix
                    .iter()
                    .map(|v| report::CheckQueryLine::Version(report::VersionFindings::from(v)))
                    .collect(),
            ));
        }
        let against = match &body.version {
            None => VersionRef::Active,
            Some(text) => match crate::store::parse_time(text, BareDate::EndOfDay) {
                Some(at) if text.parse::<u64>().is_err() => VersionRef::At(at),
                _ => version_ref(text)?,
            },
        };
        let number = store.resolve_version(&dataset, &against)?;
        let findings = store.validate_query(&dataset, &query, &against, &options)?;
        Ok(Json(report::CheckQueryLine::findings(number, &findings)))
    })
    .await
}

/// The query of `GET /api/datasets/{dataset}/rollback/plan`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// The version to roll back to.
    pub version: String,
}

/// `GET /api/datasets/{dataset}/rollback/plan?version=`: what the rollback would do and its
/// compatibility warnings; nothing is written.
pub async fn rollback_plan(
    State(app): State<AppState>,
    Path(dataset): Path<String>,
    query: Result<Query<PlanQuery>, QueryRejection>,
) -> ApiResult<Json<report::RollbackPlan>> {
    let query = query_of(query)?;
    blocking(&app, move |store| {
        store.refresh()?;
        let plan = store.plan_rollback(&dataset, &query.version)?;
        Ok(Json(report::RollbackPlan::from(&plan)))
    })
    .await
}

/// The body of `POST /api/datasets/{dataset}/rollback`. There is no actor field: the actor
/// is the logged-in user (an unknown field, `actor` included, is refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The version to make active (number, hash prefix, or a time).
    pub version: String,
    /// Why (required; recorded as the event's note).
    pub reason: String,
}

/// `POST /api/datasets/{dataset}/rollback`: as `strata rollback --yes --json` prints it.
pub async fn rollback(
    State(app): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(dataset): Path<String>,
    body: Result<Json<RollbackBody>, JsonRejection>,
) -> ApiResult<Json<report::Rollback>> {
    // The library refuses an empty reason (`Error::ReasonRequired`, 400), before it writes.
    let body = json_of(body)?;
    let (outcome, last_seq) = blocking(&app, move |store| {
        let outcome =
            store.rollback_to_version(&dataset, &body.version, &principal.name, &body.reason)?;
        Ok((outcome, store.log().last_seq()))
    })
    .await?;
    app.live.notify(last_seq);
    Ok(Json(report::Rollback::from(&outcome)))
}

/// The query of `GET /api/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only this dataset's events (name or id).
    pub dataset: Option<String>,
    /// Only events of this type.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Only events at or after this time.
    pub since: Option<String>,
    /// Only events after this sequence number.
    pub after: Option<u64>,
    /// At most this many (the newest), default 1000.
    pub limit: Option<usize>,
}

/// `GET /api/events`: dataset events, oldest first, as `strata log --json` prints them.
pub async fn events(
    State(app): State<AppState>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<report::Event>>> {
    let query = query_of(query)?;
    if let Some(t) = &query.event_type {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(ApiError::invalid(format!(
                "`{t}` is not an event type: use one of {}",
                EVENT_TYPES.join(", ")
            )));
        }
    }
    let since_micros = match &query.since {
        None => None,
        Some(text) => Some(
            crate::store::parse_time(text, BareDate::StartOfDay)
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "`{text}` is not a time: use RFC 3339 (2024-05-01T12:00:00Z) or 2024-05-01"
                    ))
                })?
                .timestamp_micros(),
        ),
    };
    blocking(&app, move |store| {
        let dataset_id = match &query.dataset {
            Some(name) => Some(store.catalog().get(name)?.id),
            None => None,
        };
        let filter = EventFilter {
            dataset_id,
            event_type: query.event_type.clone(),
            since_micros,
        };
        let mut out = Vec::new();
        for item in store.events_from(query.after.map_or(1, |a| a + 1)) {
            let (seq, event) = item?;
            if filter.accepts(&event) {
                let name = store
                    .catalog()
                    .by_id(&event.dataset_id)
                    .map(|d| d.name.clone());
                out.push(report::Event::new(seq, &event, name.as_deref()));
            }
        }
        let limit = query.limit.unwrap_or(1000);
        let skip = out.len().saturating_sub(limit);
        Ok(Json(out.split_off(skip)))
    })
    .await
}

/// The query of `GET /api/verify`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// Also read every blob.
    #[serde(default)]
    pub deep: bool,
}

/// What `GET /api/verify` answers: the lines `strata verify --json` prints, split.
#[derive(Debug, Serialize)]
pub struct VerifyBody {
    /// Every problem found.
    pub problems: Vec<report::VerifyProblem>,
    /// The summary.
    pub summary: report::VerifySummary,
}

/// `GET /api/verify?deep=`: the whole-store check behind `strata verify`.
pub async fn verify(
    State(app): State<AppState>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
) -> ApiResult<Json<VerifyBody>> {
    let query = query_of(query)?;
    let dir = app.config.store_dir.clone();
    blocking(&app, move |_| {
        let report = check::run(&dir, CheckOptions { deep: query.deep }, |_| {})?;
        let problems = report::VerifyLine::all(&report)
            .into_iter()
            .filter_map(|line| match line {
                report::VerifyLine::Problem(p) => Some(p),
                report::VerifyLine::Summary(_) => None,
            })
            .collect();
        Ok(Json(VerifyBody {
            problems,
            summary: report::VerifySummary::from(&report),
        }))
    })
    .await
}

/// `GET /api/stat`: as `strata stat --json` prints it.
pub async fn stat(State(app): State<AppState>) -> ApiResult<Json<report::Stat>> {
    blocking(&app, |store| {
        store.refresh()?;
        Ok(Json(report::Stat::from(&store.stats()?)))
    })
    .await
}

/// `POST /api/snapshots`: a snapshot of the catalog now, as `strata snapshot --json` prints.
pub async fn snapshot(State(app): State<AppState>) -> ApiResult<Response> {
    blocking(&app, |store| {
        let info = store.snapshot()?;
        let kept = crate::store::snapshot::list(store.dir())?;
        Ok((
            StatusCode::CREATED,
            Json(report::Snapshot::new(&info, &kept)),
        )
            .into_response())
    })
    .await
}
