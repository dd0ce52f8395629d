//! Starting a connection from the platform's API server, and asking how it ended.

use axum::{extract::State, routing::get, Router};
use serde::{Deserialize, Serialize};

use super::caller::ApiCaller;
use crate::{
    domain::connect::ReturnMode,
    dto::ConnectOutcomeView,
    http::{ApiError, Path, Query, Success},
    server::{AppState, Services},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/initiate", get(initiate))
        .route("/oauth/flows/{flow_id}", get(flow))
}

#[derive(Deserialize)]
pub struct InitiateQuery {
    /// `popup` (default): the callback page tells its opener and closes; `redirect`: it shows the result.
    #[serde(default)]
    mode: Option<String>,
}

#[derive(Serialize)]
pub struct Started {
    auth_url: String,
    flow_id: String,
}

/// `GET /api/social-media/instagram/oauth/initiate` -> `{"status":"success","auth_url":...,"flow_id":...}`
pub async fn initiate(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Query(query): Query<InitiateQuery>,
) -> Result<Success<Started>, ApiError> {
    let mode = match query.mode.as_deref() {
        None => ReturnMode::Popup,
        Some(m) => ReturnMode::parse(m)
            .ok_or_else(|| ApiError::BadRequest("mode must be popup or redirect.".into()))?,
    };
    let flow = services.connect.start(&tenant, None, mode).await?;
    Ok(Success::ok(Started {
        auth_url: flow.auth_url,
        flow_id: flow.flow_id,
    }))
}

#[derive(Serialize)]
pub struct FlowBody {
    flow: Flow,
}

/// How a flow stands: `pending`, or `connected`/`failed` with its outcome.
#[derive(Serialize)]
pub struct Flow {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<ConnectOutcomeView>,
}

/// `GET /api/social-media/instagram/oauth/flows/{flow_id}`: how a started flow ended (or `pending`).
pub async fn flow(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(flow_id): Path<String>,
) -> Result<Success<FlowBody>, ApiError> {
    let outcome = services.connect.outcome(&tenant, &flow_id).await?;
    let flow = match outcome {
        Some(o) => Flow {
            state: if o.ok { "connected" } else { "failed" },
            outcome: Some(o.view()),
        },
        None => Flow {
            state: "pending",
            outcome: None,
        },
    };
    Ok(Success::ok(FlowBody { flow }))
}
