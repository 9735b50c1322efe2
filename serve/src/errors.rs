//! The one shape of an error answer: takes what went wrong and gives the status and the JSON body
//! `{"error": {"kind": ..., ...}}`.
//!
//! A transaction that cannot be decided answers with the engine's own error object, the one
//! `cordon eval` writes for a bad line (`{"kind": "facts", "errors": [{"path": "item.tpp",
//! "message": ...}]}`); every other error has a `kind` and a `message`. Nothing here panics.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use cordon_engine::DecideError;

/// An error answer. Its kind is kept in the response's extensions for the metrics and the log.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub body: Json,
    /// Seconds, for `503`.
    pub retry_after: Option<u64>,
}

/// The kind of an error answer, left in the response's extensions.
#[derive(Clone, Copy, Debug)]
pub struct ErrorKind(pub &'static str);

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            body: json!({ "error": { "kind": kind, "message": message.into() } }),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unknown_version(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "unknown_version", message)
    }

    pub fn pin_mismatch(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "pin_mismatch", message)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    }

    /// The engine's queue is full, or the policy is not loaded yet: try again in a second.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", message)
        }
    }

    /// A decision whose record could not be made durable: it is not answered.
    pub fn not_recorded(error: &cordon_records::RecordsError) -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_recorded",
                format!("the decision could not be recorded, so it is not answered: {error}"),
            )
        }
    }

    pub fn not_ready() -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the policy is still loading",
            )
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A transaction that cannot be decided: `400`, with the engine's error object (the facts'
    /// paths). Version errors left for the engine to find are about the transaction's date
    /// (no version in force on it), so they are the facts' fault too.
    pub fn decide(error: &DecideError) -> ApiError {
        let kind = decide_kind(error);
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind,
            body: json!({ "error": error }),
            retry_after: None,
        }
    }
}

/// The `kind` the engine's error serializes with.
pub fn decide_kind(error: &DecideError) -> &'static str {
    match error {
        DecideError::Facts { .. } => "facts",
        DecideError::Version { .. } => "version",
        DecideError::Evaluation { .. } => "evaluation",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.body.to_string(),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(ErrorKind(self.kind));
        response
    }
}
