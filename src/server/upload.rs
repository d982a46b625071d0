//! Uploads over HTTP: a multipart form streamed to spool files (never held in memory),
//! then handed to the library's upload ([`Store::save_upload`]) or its dry run
//! ([`Store::plan_upload`]) on a blocking thread.
//!
//! The form's fields: `dataset` (the name), `file` (one part per CSV file, with its file
//! name; several allowed), `overwrite` (`true` to add a version), `drift_policy` (`reject`,
//! `warn`, `allow`; absent: the policy in force), `widening` (`compatible` or `breaking`: how
//! the policy treats widening drift; absent: as the rule in force says), `override_reason`
//! (accepts breaking drift under `reject`, or a policy weaker than the one in force;
//! recorded), `note` (the reason, when the content is an earlier version's and the upload
//! makes it active again), `metadata` (a JSON object). There is no actor field: the actor is the
//! authenticated user, and an `actor` field is refused.

use super::auth::Principal;
use super::error::{ApiError, ApiErrorKind, ApiResult};
use super::{blocking, AppState, ServeError};
use crate::io::{Io, OpenMode, TempFile};
use crate::report;
use crate::schema::{SchemaDriftPolicy, WideningRule};
use crate::store::Store;
use crate::{UploadFile, UploadRequest};
use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use std::path::{Path, PathBuf};

/// The longest text field accepted (a note, a reason, metadata), in bytes.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// A private folder (mode 0700) where uploads are spooled while they arrive; removed when
/// the server stops. Each spool file is removed as soon as its upload is done.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    /// A new private folder under `base` (default: the system's temporary folder).
    #[allow(
        clippy::disallowed_methods,
        reason = "the spool folder is the server's, not a store folder"
    )]
    pub fn create(base: Option<&Path>) -> Result<Spool, ServeError> {
        use std::os::unix::fs::DirBuilderExt;
        let base = base.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let dir = base.join(format!(
            "strata-uploads-{}-{}",
            std::process::id(),
            super::users::hex(&super::users::random_bytes::<6>())
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|source| ServeError::Io {
                op: format!("create the upload spool folder {}", dir.display()),
                source,
            })?;
        Ok(Spool { dir })
    }

    fn file(&self) -> Result<TempFile, crate::io::IoError> {
        Io::os().create_temp(&self.dir.join(format!("{}.part", uuid::Uuid::new_v4())))
    }
}

impl Drop for Spool {
    #[allow(
        clippy::disallowed_methods,
        reason = "the spool folder is the server's, not a store folder"
    )]
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An upload form as received: the files are in spool files.
struct Form {
    dataset: Option<String>,
    overwrite: bool,
    drift_policy: Option<SchemaDriftPolicy>,
    widening: Option<WideningRule>,
    override_reason: Option<String>,
    note: String,
    metadata: Option<serde_json::Value>,
    files: Vec<(String, TempFile)>,
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ApiErrorKind::TooLarge, error.body_text())
    } else {
        ApiError::invalid(format!("malformed multipart body: {}", error.body_text()))
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ApiErrorKind::TooLarge,
        format!(
            "the upload is larger than the server's limit of {limit} bytes; nothing was \
             written (`strata serve --max-upload-bytes` sets the limit)"
        ),
    )
}

/// A text field, at most [`MAX_TEXT_FIELD`] bytes of UTF-8.
async fn read_text(mut field: Field<'_>, name: &str) -> ApiResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(ApiError::invalid(format!(
                "the field `{name}` is longer than {MAX_TEXT_FIELD} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid(format!("the field `{name}` is not UTF-8 text")))
}

fn parse_bool(name: &str, text: &str) -> ApiResult<bool> {
    match text.trim() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" | "" => Ok(false),
        other => Err(ApiError::invalid(format!(
            "the field `{name}` must be true or false, not `{other}`"
        ))),
    }
}

/// Streams a file part into a spool file, counting against the upload limit.
async fn spool_file(
    app: &AppState,
    mut field: Field<'_>,
    total: &mut u64,
) -> ApiResult<(String, TempFile)> {
    let file_name = field
        .file_name()
        .map(str::to_owned)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("a `file` part has no file name"))?;
    let mut spool = app.spool.file()?;
    let limit = app.config.max_upload_bytes;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        *total += chunk.len() as u64;
        if *total > limit {
            return Err(too_large(limit));
        }
        tokio::task::block_in_place(|| spool.write(&chunk))?;
    }
    Ok((file_name, spool))
}

/// Reads the whole form: text fields into memory (bounded), files into spool files. A form
/// refused part-way is drained first (see [`drain`]), so its client reads the refusal.
async fn read_form(app: &AppState, mut multipart: Multipart) -> ApiResult<Form> {
    let mut total = 0u64;
    let form = read_fields(app, &mut multipart, &mut total).await;
    if form.is_err() {
        drain(&mut multipart, &mut total, app.config.max_upload_bytes).await;
    }
    form
}

/// Reads and discards the rest of a refused form while the body stays within the upload
/// limit. A server that answers early and closes with request bytes unread makes the kernel
/// reset the connection, and a client still sending then loses the answer to a broken pipe.
/// A body over the limit, or one that is not valid multipart, is not drained: its reset is
/// the bound on what a client can make the server read.
async fn drain(multipart: &mut Multipart, total: &mut u64, limit: u64) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            *total += chunk.len() as u64;
            if *total > limit {
                return;
            }
        }
    }
}

/// The fields of the form, in the order they come; `total` counts the file bytes read.
async fn read_fields(
    app: &AppState,
    multipart: &mut Multipart,
    total: &mut u64,
) -> ApiResult<Form> {
    let mut form = Form {
        dataset: None,
        overwrite: false,
        drift_policy: None,
        widening: None,
        override_reason: None,
        note: String::new(),
        metadata: None,
        files: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => form.files.push(spool_file(app, field, total).await?),
            "dataset" => form.dataset = Some(read_text(field, &name).await?),
            "overwrite" => form.overwrite = parse_bool(&name, &read_text(field, &name).await?)?,
            "drift_policy" => {
                let text = read_text(field, &name).await?;
                form.drift_policy =
                    Some(text.parse().map_err(|e| {
                        ApiError::invalid(format!("the field `drift_policy`: {e}"))
                    })?);
            }
            "widening" => {
                let text = read_text(field, &name).await?;
                form.widening = Some(
                    text.parse()
                        .map_err(|e| ApiError::invalid(format!("the field `widening`: {e}")))?,
                );
            }
            "override_reason" => {
                let text = read_text(field, &name).await?;
                form.override_reason = Some(text).filter(|t| !t.trim().is_empty());
            }
            "note" => form.note = read_text(field, &name).await?,
            "metadata" => {
                let text = read_text(field, &name).await?;
                if !text.trim().is_empty() {
                    form.metadata = Some(serde_json::from_str(&text).map_err(|e| {
                        ApiError::invalid(format!("the field `metadata` is not JSON: {e}"))
                    })?);
                }
            }
            "actor" => {
                return Err(ApiError::invalid(
                    "an `actor` field is refused: the actor recorded is the logged-in user",
                ))
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "unknown field `{other}`; the upload form has dataset, file, overwrite, \
                     drift_policy, widening, override_reason, note and metadata"
                )))
            }
        }
    }
    Ok(form)
}

/// The library's request for `form`, acting as `actor`; the spool files must outlive it.
fn request(form: &Form, actor: &str) -> ApiResult<UploadRequest> {
    let dataset = form
        .dataset
        .clone()
        .ok_or_else(|| ApiError::invalid("the upload form has no `dataset` field"))?;
    let mut files = Vec::with_capacity(form.files.len());
    for (name, spool) in &form.files {
        let reader = Io::os().open(spool.path(), OpenMode::Read)?.reader();
        files.push(UploadFile {
            name: name.clone(),
            table: None,
            reader: Box::new(std::io::BufReader::with_capacity(1 << 16, reader)),
        });
    }
    Ok(UploadRequest {
        dataset,
        files,
        overwrite: form.overwrite,
        // The form has no way to create under an overwrite: an overwrite of an unknown
        // name is refused, as the library refuses it.
        create: false,
        drift_policy: form.drift_policy,
        widening: form.widening,
        override_reason: form.override_reason.clone(),
        policy_reason: form.override_reason.clone(),
        actor: actor.to_owned(),
        note: form.note.clone(),
        metadata: form.metadata.clone(),
    })
}

fn refused(store: &Store, error: crate::Error) -> ApiError {
    let refusal = store.upload_refusal(&error);
    let mut api = ApiError::from(error);
    api.refusal = refusal
        .as_ref()
        .and_then(|r| serde_json::to_value(report::UploadRefused::from(r)).ok());
    api
}

/// `POST /api/uploads`: uploads as the logged-in user. A refusal is a 409 whose error holds
/// the refusal in the shape of `strata upload --json` (a drift refusal is recorded).
pub async fn upload(
    State(app): State<AppState>,
    Extension(principal): Extension<Principal>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<report::Upload>> {
    let multipart = multipart.map_err(|e| ApiError::invalid(e.body_text()))?;
    let form = read_form(&app, multipart).await?;
    let result = blocking(&app, move |store| {
        let request = request(&form, &principal.name)?;
        let outcome = store.save_upload(request).map_err(|e| refused(store, e));
        drop(form);
        Ok((outcome, store.log().last_seq()))
    })
    .await;
    let (outcome, last_seq) = result?;
    app.live.notify(last_seq);
    Ok(Json(report::Upload::from(&outcome?)))
}

/// `POST /api/uploads/plan`: what the same form would do, writing nothing: the shape of
/// `strata upload --dry-run --json` (a refusal it would meet is a 200 answer too).
pub async fn plan(
    State(app): State<AppState>,
    Extension(principal): Extension<Principal>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<report::UploadPlan>> {
    let multipart = multipart.map_err(|e| ApiError::invalid(e.body_text()))?;
    let form = read_form(&app, multipart).await?;
    blocking(&app, move |store| {
        let request = request(&form, &principal.name)?;
        let plan = store.plan_upload(request)?;
        drop(form);
        Ok(Json(report::UploadPlan::from(&plan)))
    })
    .await
}
