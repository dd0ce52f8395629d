//! axum's JSON, query and path extractors with [`ApiError`] as their rejection, so no handler
//! matches on a rejection itself and every malformed request gets the same JSON error.

use axum::{
    extract::{
        rejection::{JsonRejection, PathRejection, QueryRejection},
        FromRequest, FromRequestParts,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::ApiError;
use crate::domain::DomainError;

/// A JSON body (also a JSON answer, like `axum::Json`).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

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
