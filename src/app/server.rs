//! The server side of the page's server functions: the caller's session and the same services the
//! JSON API uses. Server functions are public endpoints, so each one authenticates here (docs/security.md A2).

use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use crate::{
    auth::session,
    domain::{accounts::LoginKind, tenant::Tenant, DomainError},
    dto::{Flash, SessionInfo, SignedInUser},
    http::limits::{client_ip, Action},
    server::{AppState, Services},
};

pub fn services() -> Result<Services, ServerFnError> {
    use_context::<AppState>()
        .map(|s| s.services.clone())
        .ok_or_else(|| ServerFnError::new("The service is not ready."))
}

/// The browser's session, which the session layer put in the request's extensions. Read in
/// place: `use_context` and `leptos_axum::extract` copy the whole request head (headers and every
/// extension) on each call, and a page asks several times.
pub async fn browser_session() -> Result<Session, ServerFnError> {
    with_request(|parts| parts.extensions.get::<Session>().cloned())
        .flatten()
        .ok_or_else(|| ServerFnError::new("Sessions are unavailable; try again."))
}

/// Reads the request's head without copying it.
fn with_request<T>(read: impl FnOnce(&axum::http::request::Parts) -> T) -> Option<T> {
    with_context::<axum::http::request::Parts, _>(read)
}

/// The signed-in tenant, or an error the page shows as "sign in".
pub async fn tenant() -> Result<Tenant, ServerFnError> {
    let session = browser_session().await?;
    match session::tenant(&session).await {
        Ok(Some(t)) => Ok(t),
        Ok(None) => {
            set_status(axum::http::StatusCode::UNAUTHORIZED);
            Err(ServerFnError::new("Sign in to continue."))
        }
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}

pub fn set_status(status: axum::http::StatusCode) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
}

/// Whether the request is a plain HTML form post (no JavaScript), which expects a page back.
pub fn is_plain_form_post() -> bool {
    with_request(|parts| {
        parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
    .unwrap_or(false)
}

/// A request the person can fix: 400 with the message.
pub fn bad_request(message: impl Into<String>) -> ServerFnError {
    set_status(axum::http::StatusCode::BAD_REQUEST);
    ServerFnError::new(message.into())
}

/// A domain error as the page shows it, with the status the API would give (server faults are
/// logged with their sources, as the API logs them).
pub fn domain_error(e: DomainError) -> ServerFnError {
    crate::http::log_server_fault(&e);
    set_status(e.status());
    ServerFnError::new(e.public_message())
}

pub async fn session_info() -> Result<SessionInfo, ServerFnError> {
    let services = services()?;
    let session = browser_session().await?;
    let signed_in = session::tenant(&session)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
        .map(|t| SignedInUser {
            customer_id: t.customer_id().into(),
            user_id: t.user_id().into(),
        });
    // Taken, not read: a refusal shows once, on the page the browser returns to.
    let flash = session::take_flash(&session).await;
    Ok(SessionInfo {
        signed_in,
        demo: services.config.is_demo(),
        connect_unavailable: services
            .connect
            .unavailable_reason(LoginKind::Facebook)
            .map(String::from),
        instagram_login: services
            .connect
            .unavailable_reason(LoginKind::Instagram)
            .is_none(),
        flash,
    })
}

/// Keeps a refusal for the page a browser without JavaScript returns to. Leptos sends that
/// browser back with the error in the URL, which the page never shows (anyone can write a URL);
/// it shows this instead, which only the server can have written for this browser.
pub async fn flash(action: &str, field: Option<String>, message: &str) {
    if !is_plain_form_post() {
        return;
    }
    let Ok(session) = browser_session().await else {
        return;
    };
    let flash = Flash {
        action: action.to_string(),
        field,
        message: message.to_string(),
    };
    if let Err(e) = session::keep_flash(&session, &flash).await {
        tracing::warn!(error = %e, "could not keep a refusal for the page");
    }
}

/// A form's server function result; a refusal is also kept for the page a plain form post
/// returns to ([`flash`]).
pub async fn form_result<T>(
    action: &str,
    result: Result<T, ServerFnError>,
) -> Result<T, ServerFnError> {
    if let Err(e) = &result {
        flash(action, None, &super::error_text(e)).await;
    }
    result
}

/// Counts one `action` against the client's and the tenant's rate limits; past them, 429 with
/// `Retry-After` and the message that says when.
pub fn rate_limit(action: Action, tenant: Option<&Tenant>) -> Result<(), ServerFnError> {
    let services = services()?;
    let ip =
        with_request(|parts| client_ip(&services.config.edge, &parts.headers, &parts.extensions))
            .flatten();
    services
        .limits
        .check(action, ip, tenant)
        .map_err(|limited| {
            set_status(axum::http::StatusCode::TOO_MANY_REQUESTS);
            if let Some(response) = use_context::<ResponseOptions>() {
                if let Ok(value) = axum::http::HeaderValue::from_str(&limited.seconds().to_string())
                {
                    response.insert_header(axum::http::header::RETRY_AFTER, value);
                }
            }
            ServerFnError::new(limited.message())
        })
}
