//! The one error type of the JSON answers: every failure becomes `{"status":"error","message":...}`
//! with the right status code (422 adds `field`). Server faults are logged with their whole source
//! chain and answered with words the customer can act on.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::limits::Limited;
use crate::{domain::DomainError, telemetry::chain};

#[derive(Debug)]
pub enum ApiError {
    /// No valid credentials: 401 with `WWW-Authenticate`.
    Unauthorized(String),
    Forbidden(String),
    BadRequest(String),
    /// Over a rate limit: 429 with `Retry-After`.
    TooManyRequests(Limited),
    Domain(DomainError),
}

impl From<Limited> for ApiError {
    fn from(l: Limited) -> Self {
        ApiError::TooManyRequests(l)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Domain(e)
    }
}

impl ApiError {
    /// What the answer says, as a person reads it (a page shows it where there is no JSON).
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized(m) | ApiError::Forbidden(m) | ApiError::BadRequest(m) => {
                m.clone()
            }
            ApiError::TooManyRequests(limited) => limited.message(),
            ApiError::Domain(DomainError::Invalid { message, .. }) => message.clone(),
            ApiError::Domain(e) => e.public_message(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Domain(e) => e.status(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    message: &'a str,
}

/// A refused input: `field` names it, `null` when the whole request is at fault.
#[derive(Serialize)]
struct InvalidBody<'a> {
    status: &'static str,
    message: &'a str,
    field: Option<&'a str>,
}

/// A JSON error answer.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        status: "error",
        message,
    };
    (status, axum::Json(body)).into_response()
}

/// 429 with `Retry-After` and a message saying when.
pub fn too_many_requests(limited: Limited) -> Response {
    let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, &limited.message());
    if let Ok(value) = HeaderValue::from_str(&limited.seconds().to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, value);
    }
    r
}

/// Logs a server fault with its sources; the caller answers with the public message.
pub fn log_server_fault(e: &DomainError) {
    if e.status().is_server_error() {
        tracing::error!(error = %chain(e), "request failed");
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        match self {
            ApiError::Unauthorized(message) => {
                let mut r = json_error(status, &message);
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Forbidden(message) | ApiError::BadRequest(message) => {
                json_error(status, &message)
            }
            ApiError::TooManyRequests(limited) => too_many_requests(limited),
            ApiError::Domain(DomainError::Invalid { field, message }) => {
                let body = InvalidBody {
                    status: "error",
                    message: &message,
                    field: field.as_deref(),
                };
                (status, axum::Json(body)).into_response()
            }
            ApiError::Domain(e) => {
                log_server_fault(&e);
                json_error(status, &e.public_message())
            }
        }
    }
}
