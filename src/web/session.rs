//! Handing a signed-in platform user to the page, and signing out.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{auth::session, http::json_error, server::Services};

#[derive(Deserialize)]
pub struct HandOffForm {
    #[serde(default)]
    token: Option<String>,
}

/// `POST /auth/session`: exchanges a valid platform JWT for a session cookie. The platform either
/// posts a form with a `token` field (the browser then lands on the page) or calls it with
/// `Authorization: Bearer` (answered 204). Tokens never travel in URLs.
pub async fn hand_off(
    State(services): State<Services>,
    session: Session,
    headers: HeaderMap,
    form: Result<Form<HandOffForm>, axum::extract::rejection::FormRejection>,
) -> Response {
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
    let tenant = match services.jwt.verify(token.trim()) {
        Ok(t) => t,
        Err(e) => return json_error(StatusCode::UNAUTHORIZED, &format!("Invalid token: {e}.")),
    };
    if let Err(e) = session::sign_in(&session, &tenant).await {
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
