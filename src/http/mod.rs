//! What every JSON answer shares: the error type with its status codes ([`ApiError`]), extractors
//! whose rejections are that error ([`Json`], [`Query`], [`Path`]), the success envelope
//! ([`Success`]), and the rate limits both front doors apply ([`limits`]). The API, the browser endpoints and the middleware use it; the page's server
//! functions map the same `DomainError::status`.

mod error;
mod extract;
pub mod limits;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

pub use error::{json_error, log_server_fault, too_many_requests, ApiError};
pub use extract::{Json, Path, Query};

/// `{"status":"success", ...body}` with a status code (200 unless set).
pub struct Success<T>(pub StatusCode, pub T);

impl<T: Serialize> Success<T> {
    pub fn ok(body: T) -> Self {
        Success(StatusCode::OK, body)
    }
}

#[derive(Serialize)]
struct Envelope<T> {
    status: &'static str,
    #[serde(flatten)]
    body: T,
}

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        let envelope = Envelope {
            status: "success",
            body: self.1,
        };
        (self.0, axum::Json(envelope)).into_response()
    }
}

/// A success that only says what happened.
#[derive(Serialize)]
pub struct Message {
    pub message: &'static str,
}
