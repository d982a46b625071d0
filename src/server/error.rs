//! The API's errors: every refusal is `{"error": {"kind": ..., "message": ...}}` with the
//! HTTP status of its kind. The library's message is the message, so that the API says what
//! the command line says.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What kind of failure an API error is; its name is the `kind` of the JSON error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorKind {
    /// The store refused the operation (drift policy, existing dataset, duplicate content).
    Refused,
    /// No such dataset, version, table, event or route.
    NotFound,
    /// The request is malformed (bad parameters, a malformed CSV or multipart body).
    Invalid,
    /// The store is damaged (a corrupt log, a blob that does not match its hash).
    Corrupt,
    /// An operating-system call failed.
    Io,
    /// The store's file system is full, or its quota is used up.
    StorageFull,
    /// The store's file system is mounted read-only.
    ReadOnly,
    /// Another writer held the lock for too long: retry.
    Busy,
    /// No valid session or token.
    Unauthenticated,
    /// Authenticated, but not allowed: the role is too low, or a cross-site request.
    Forbidden,
    /// The method is not one the route accepts.
    MethodNotAllowed,
    /// The upload is larger than the server's limit, or a record larger than the format
    /// allows.
    TooLarge,
    /// Too many requests from this client: retry later.
    RateLimited,
    /// A bug: the server caught a panic or an unexpected state.
    Internal,
}

impl ApiErrorKind {
    /// The HTTP status this kind maps to.
    pub fn status(self) -> StatusCode {
        match self {
            ApiErrorKind::Refused => StatusCode::CONFLICT,
            ApiErrorKind::NotFound => StatusCode::NOT_FOUND,
            ApiErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ApiErrorKind::Corrupt | ApiErrorKind::Io | ApiErrorKind::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiErrorKind::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            ApiErrorKind::Busy | ApiErrorKind::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
            ApiErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ApiErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// An error the API answers with.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Its kind.
    pub kind: ApiErrorKind,
    /// The HTTP status: its kind's, except 422 for a CSV file that cannot be ingested.
    pub status: StatusCode,
    /// What went wrong, in the library's words.
    pub message: String,
    /// For a refused upload: the refusal, in the shape `strata upload --json` prints.
    pub refusal: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: BodyError<'a>,
}

#[derive(Serialize)]
struct BodyError<'a> {
    kind: ApiErrorKind,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<&'a serde_json::Value>,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ApiErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            status: kind.status(),
            message: message.into(),
            refusal: None,
        }
    }

    /// A malformed request.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiErrorKind::Invalid, message)
    }

    /// A bug.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiErrorKind::Internal, message)
    }
}

impl From<crate::Error> for ApiError {
    fn from(error: crate::Error) -> ApiError {
        let mut api = ApiError::new(kind_of(&error), error.to_string());
        api.status = status_of(&error);
        api
    }
}

impl From<crate::io::IoError> for ApiError {
    fn from(error: crate::io::IoError) -> ApiError {
        ApiError::from(crate::Error::from(error))
    }
}

/// The API's kind of a library error: the one place that maps them, from [`crate::Error::kind`].
pub fn kind_of(error: &crate::Error) -> ApiErrorKind {
    use crate::ErrorKind as K;
    match error.kind() {
        K::Refused => ApiErrorKind::Refused,
        K::NotFound => ApiErrorKind::NotFound,
        K::Invalid => ApiErrorKind::Invalid,
        K::TooLarge => ApiErrorKind::TooLarge,
        K::Busy => ApiErrorKind::Busy,
        K::Corrupt => ApiErrorKind::Corrupt,
        K::StorageFull => ApiErrorKind::StorageFull,
        K::ReadOnly => ApiErrorKind::ReadOnly,
        // `ErrorKind` is non-exhaustive: a kind added later is an IO failure until mapped.
        _ => ApiErrorKind::Io,
    }
}

/// The HTTP status of a library error: its kind's, and 422 Unprocessable Content for a CSV
/// file that cannot be ingested (as [`crate::ErrorKind::Invalid`] documents).
pub fn status_of(error: &crate::Error) -> StatusCode {
    match (error, error.kind()) {
        (crate::Error::Ingest { .. }, crate::ErrorKind::Invalid) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => kind_of(error).status(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: BodyError {
                kind: self.kind,
                message: &self.message,
                refusal: self.refusal.as_ref(),
            },
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let retry_after = match self.kind {
            ApiErrorKind::RateLimited => Some("60"),
            ApiErrorKind::Busy => Some("5"),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        response
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;
