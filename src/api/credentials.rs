//! The tenant's connected Instagram accounts. Never a token or a secret in any answer.

use axum::{
    extract::{Path, State},
    Json,
};
use chrono::Utc;
use serde_json::{json, Value};

use super::{caller::ApiCaller, error::ApiError};
use crate::server::AppState;

/// `GET /api/social-media/instagram/credentials`
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(tenant): ApiCaller,
) -> Result<Json<Value>, ApiError> {
    let credentials = state.services.credentials.list(&tenant).await?;
    Ok(Json(
        json!({"status": "success", "credentials": credentials}),
    ))
}

/// `GET /api/social-media/instagram/credentials/{id}`
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let credential = state.services.credentials.get(&tenant, &id).await?;
    Ok(Json(
        json!({"status": "success", "credential": credential.view(Utc::now())}),
    ))
}

/// `DELETE /api/social-media/instagram/credentials/{id}`: stops using the account and erases its
/// token; the account can be connected again later.
pub async fn disconnect(
    State(state): State<AppState>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.services.credentials.disconnect(&tenant, &id).await?;
    Ok(Json(
        json!({"status": "success", "message": "The Instagram account was disconnected."}),
    ))
}
