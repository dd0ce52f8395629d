//! `/healthz`: the process is up. `/readyz`: it can serve, i.e. its storage answers.

use async_trait::async_trait;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde::Serialize;

use super::Services;
use crate::{domain::store::StoreResult, telemetry::chain};

/// The port readiness needs from storage.
#[async_trait]
pub trait Health: Send + Sync {
    /// Succeeds when the store answers.
    async fn ping(&self) -> StoreResult<()>;
}

#[derive(Serialize)]
struct Alive {
    status: &'static str,
}

/// Readiness: `ready`, or `error` with a message; `storage` names the store either way.
#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    storage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
}

pub async fn healthz() -> impl IntoResponse {
    Json(Alive { status: "ok" })
}

pub async fn readyz(State(services): State<Services>) -> impl IntoResponse {
    let storage = services.storage.kind;
    match services.storage.health.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Readiness {
                status: "ready",
                storage,
                message: None,
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %chain(&e), "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Readiness {
                    status: "error",
                    storage,
                    message: Some("Storage is unreachable."),
                }),
            )
        }
    }
}
