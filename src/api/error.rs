//! The API's one error type: every failure becomes `{"status":"error","message":...}` with the
//! right status code. Server errors are logged in full and answered generically.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use crate::domain::DomainError;

#[derive(Debug)]
pub enum ApiError {
    /// No valid credentials: 401 with `WWW-Authenticate`.
    Unauthorized(String),
    Forbidden(String),
    BadRequest(String),
    Domain(DomainError),
}

/// A JSON error response.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"status": "error", "message": message}))).into_response()
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Domain(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let message = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                "Send the body as JSON with Content-Type: application/json.".to_string()
            }
            JsonRejection::JsonSyntaxError(_) => {
                format!("The body is not valid JSON: {}", r.body_text())
            }
            JsonRejection::JsonDataError(_) => format!(
                "The body does not have the expected fields: {}",
                r.body_text()
            ),
            _ => r.body_text(),
        };
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::Domain(DomainError::Invalid {
                field: None,
                message: "The request body is too large.".into(),
            }),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Domain(DomainError::Invalid {
                field: None,
                message,
            }),
            _ => ApiError::BadRequest(message),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(format!("Bad path: {}", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(format!("Bad query string: {}", r.body_text()))
    }
}

/// The status code a domain error answers with.
pub fn status_of(e: &DomainError) -> StatusCode {
    match e {
        DomainError::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
        DomainError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        DomainError::Conflict(_) | DomainError::NeedsReconnect(_) => StatusCode::CONFLICT,
        DomainError::Upstream(_) => StatusCode::BAD_GATEWAY,
        DomainError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a customer may read about a domain error; internals stay in the log.
pub fn public_message(e: &DomainError) -> String {
    match e {
        DomainError::Storage(detail) => {
            tracing::error!(%detail, "storage failure");
            "The service's storage is unavailable. Try again in a moment.".into()
        }
        DomainError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            "Something went wrong on our side. Try again; if it persists, contact support.".into()
        }
        other => other.to_string(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized(message) => {
                let mut r = json_error(StatusCode::UNAUTHORIZED, &message);
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Forbidden(message) => json_error(StatusCode::FORBIDDEN, &message),
            ApiError::BadRequest(message) => json_error(StatusCode::BAD_REQUEST, &message),
            ApiError::Domain(DomainError::Invalid { field, message }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"status": "error", "message": message, "field": field})),
            )
                .into_response(),
            ApiError::Domain(e) => json_error(status_of(&e), &public_message(&e)),
        }
    }
}
