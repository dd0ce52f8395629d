//! The platform ending a user's browser sessions, server to server (docs/security.md S1): when the
//! person signs out of the platform, or loses access, their sessions here end at once instead of
//! when their JWT would have expired.

use axum::{extract::State, routing::delete, Router};
use serde::Serialize;

use super::caller::ApiCaller;
use crate::{
    auth::session,
    domain::DomainError,
    http::{ApiError, Success},
    server::{AppState, Services},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/sessions", delete(end_all))
}

#[derive(Serialize)]
pub struct Ended {
    ended: u64,
}

/// `DELETE /api/social-media/instagram/sessions`: ends every browser session of the JWT's customer
/// and user; answers how many there were.
pub async fn end_all(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
) -> Result<Success<Ended>, ApiError> {
    let ended = session::end_all(services.storage.sessions.as_ref(), &tenant)
        .await
        .map_err(DomainError::from)?;
    tracing::info!(target: "security", tenant = ?tenant, ended, "browser sessions ended by the platform");
    Ok(Success::ok(Ended { ended }))
}
