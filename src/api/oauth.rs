//! Starting a connection from the platform's API server, and asking how it ended.

use axum::{
    extract::{Path, Query, State},
    Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{caller::ApiCaller, error::ApiError};
use crate::{domain::connect::ReturnMode, server::Services};

#[derive(Deserialize)]
pub struct InitiateQuery {
    /// `popup` (default): the callback page tells its opener and closes; `redirect`: it shows the result.
    #[serde(default)]
    mode: Option<String>,
}

/// `GET /api/social-media/instagram/oauth/initiate` -> `{"status":"success","auth_url":...,"flow_id":...}`
pub async fn initiate(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    query: Result<Query<InitiateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let mode = match query.mode.as_deref() {
        None => ReturnMode::Popup,
        Some(m) => ReturnMode::parse(m)
            .ok_or_else(|| ApiError::BadRequest("mode must be popup or redirect.".into()))?,
    };
    let flow = services.connect.start(&tenant, None, mode).await?;
    Ok(Json(
        json!({"status": "success", "auth_url": flow.auth_url, "flow_id": flow.flow_id}),
    ))
}

/// `GET /api/social-media/instagram/oauth/flows/{flow_id}`: how a started flow ended (or `pending`).
pub async fn flow(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(flow_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let outcome = services.connect.outcome(&tenant, &flow_id).await?;
    Ok(Json(match outcome {
        Some(o) => {
            json!({"status": "success", "flow": {"state": if o.ok {"connected"} else {"failed"}, "outcome": o}})
        }
        None => json!({"status": "success", "flow": {"state": "pending"}}),
    }))
}
