//! Meta's compliance callbacks (graph-api.md §8), called by Meta's servers, not a browser: no
//! session, no cookie, so they sit outside the browser routes' session and cross-site guards.
//! The signed request is their only authentication.
//!
//! - `POST /meta/deauthorize`: Facebook Login's "Deauthorize callback URL".
//! - `POST /meta/data-deletion`: the "Data Deletion Request URL"; answers
//!   `{"url": ..., "confirmation_code": ...}`.
//! - `GET /meta/data-deletion/{code}`: the public status page that `url` points at.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde::Serialize;

use super::{escape, page::Page};
use crate::{
    domain::{
        compliance::{CallbackError, DeletionRequest, DELETION_STATUS_PATH},
        DomainError,
    },
    http::{json_error, log_server_fault, Message, Success},
    server::{AppState, Services},
};

pub const DEAUTHORIZE_PATH: &str = "/meta/deauthorize";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(DEAUTHORIZE_PATH, post(deauthorize))
        .route(DELETION_STATUS_PATH, post(data_deletion))
        .route(
            &format!("{DELETION_STATUS_PATH}/{{code}}"),
            get(deletion_status),
        )
}

/// `POST /meta/deauthorize`: the person removed our app; their accounts are disconnected.
async fn deauthorize(State(services): State<Services>, body: Bytes) -> Response {
    let Some(signed_request) = signed_request(&body) else {
        return missing();
    };
    match services.meta.deauthorize(&signed_request).await {
        Ok(disconnected) => {
            tracing::info!(disconnected, "Meta deauthorize callback carried out");
            Success::ok(Message {
                message: "Deauthorization received.",
            })
            .into_response()
        }
        Err(e) => refused("deauthorize", e),
    }
}

#[derive(Serialize)]
struct DeletionAnswer {
    url: String,
    confirmation_code: String,
}

/// `POST /meta/data-deletion`: the person asked for their data to be deleted. The answer is the
/// plain JSON Meta expects (no envelope).
async fn data_deletion(State(services): State<Services>, body: Bytes) -> Response {
    let Some(signed_request) = signed_request(&body) else {
        return missing();
    };
    match services.meta.delete_data(&signed_request).await {
        Ok(receipt) => {
            tracing::info!("Meta data deletion callback carried out");
            axum::Json(DeletionAnswer {
                url: receipt.url,
                confirmation_code: receipt.confirmation_code,
            })
            .into_response()
        }
        Err(e) => refused("data deletion", e),
    }
}

/// `GET /meta/data-deletion/{code}`: when the request was received and completed; nothing else.
async fn deletion_status(State(services): State<Services>, Path(code): Path<String>) -> Response {
    match services.meta.deletion_status(&code).await {
        Ok(request) => status_page(&request),
        Err(e @ DomainError::NotFound(_)) => Page {
            title: "Unknown deletion request",
            body: "<h1 class=\"error\">Unknown deletion request</h1>\
                   <p id=\"deletion-status\">No data deletion request has this confirmation code.</p>"
                .into(),
            form_action: None,
            script: None,
        }
        .render(e.status()),
        Err(e) => {
            log_server_fault(&e);
            Page {
                title: "Try again",
                body: format!("<p class=\"error\">{}</p>", escape(&e.public_message())),
                form_action: None,
                script: None,
            }
            .render(e.status())
        }
    }
}

fn status_page(request: &DeletionRequest) -> Response {
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let completed = match request.completed_at {
        Some(t) => format!("<p id=\"deletion-status\" class=\"ok\">Completed at {}: your data has been deleted.</p>", at(t)),
        None => "<p id=\"deletion-status\">In progress.</p>".to_string(),
    };
    Page {
        title: "Data deletion request",
        body: format!(
            "<h1>Data deletion request</h1><p>Confirmation code <code>{code}</code></p>\
             <p>Received at {received}.</p>{completed}",
            code = escape(&request.confirmation_code),
            received = at(request.received_at),
        ),
        form_action: None,
        script: None,
    }
    .render(StatusCode::OK)
}

/// The `signed_request` field of a form-encoded body.
fn signed_request(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "signed_request")
        .map(|(_, value)| value.into_owned())
        .filter(|s| !s.is_empty())
}

/// A body without a `signed_request`: 400.
fn missing() -> Response {
    tracing::warn!(target: "security", "Meta callback without a signed_request refused");
    json_error(StatusCode::BAD_REQUEST, "signed_request is missing.")
}

/// A refusal, logged at warn with its reason (never the payload), or a server fault.
fn refused(callback: &'static str, e: CallbackError) -> Response {
    match &e {
        CallbackError::Refused(reason) => {
            tracing::warn!(target: "security", callback, reason = %reason, "Meta callback refused");
            json_error(e.status(), &format!("{reason}."))
        }
        CallbackError::Domain(d) => {
            log_server_fault(d);
            json_error(e.status(), &d.public_message())
        }
    }
}
