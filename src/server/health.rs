//! `/healthz`: the process is up. `/readyz`: it can serve, i.e. its storage answers.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde_json::json;

use super::Services;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(services): State<Services>) -> impl IntoResponse {
    let storage = services.storage.kind;
    match services.storage.health.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "storage": storage})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "error", "storage": storage, "message": format!("Storage is unreachable: {e}")}),
                ),
            )
        }
    }
}
