//! Handing a signed-in platform user to the page, and signing out.

use axum::{
    extract::State,
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    auth::session,
    http::{
        json_error,
        limits::{client_ip, Action},
        too_many_requests,
    },
    server::Services,
};

#[derive(Deserialize)]
pub struct HandOffForm {
    #[serde(default)]
    token: Option<String>,
}

/// `POST /auth/session`: exchanges a valid platform JWT for a session cookie. The platform either
/// posts a form with a `token` field (the browser then lands on the page) or calls it with
/// `Authorization: Bearer` (answered 204). Tokens never travel in URLs. Cross-site, only the
/// platform's own origins may post here (`PLATFORM_ORIGINS`; the middleware checks), so another
/// site cannot sign a visitor into its tenant. The session ends when the JWT expires.
pub async fn hand_off(
    State(services): State<Services>,
    session: Session,
    parts: Parts,
    form: Result<Form<HandOffForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let headers: &HeaderMap = &parts.headers;
    let ip = client_ip(&services.config.edge, headers, &parts.extensions);
    if let Err(limited) = services.limits.check(Action::SignIn, ip, None) {
        return too_many_requests(limited);
    }
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let from_form = form.as_ref().ok().and_then(|f| f.token.as_deref());
    let Some(token) = from_header.or(from_form) else {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "Send the platform's JWT as a `token` form field or a Bearer header.",
        );
    };
    let verified = match services.jwt.verify(token.trim()) {
        Ok(v) => v,
        Err(e) => return json_error(StatusCode::UNAUTHORIZED, &format!("Invalid token: {e}.")),
    };
    let session_max = chrono::TimeDelta::from_std(services.config.edge.session_max)
        .unwrap_or(chrono::TimeDelta::hours(12));
    let valid_until = verified.expires_at.min(chrono::Utc::now() + session_max);
    if let Err(e) = session::sign_in(&session, &verified.tenant, valid_until).await {
        tracing::error!(error = %e, "sign-in failed");
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Signing in failed; try again.",
        );
    }
    match from_header {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => Redirect::to("/").into_response(),
    }
}

/// `POST /auth/signout`
pub async fn sign_out(session: Session) -> Response {
    if let Err(e) = session::sign_out(&session).await {
        tracing::error!(error = %e, "sign-out failed");
    }
    Redirect::to("/").into_response()
}
