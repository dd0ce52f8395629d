//! The tenant's connected Instagram accounts. Never a token or a secret in any answer.

use axum::{
    extract::{Path, State},
    Json,
};
use chrono::Utc;
use serde_json::{json, Value};

use serde::Serialize;

use super::{caller::ApiCaller, error::ApiError};
use crate::{dto::AccountView, server::Services};

/// The list, serialized straight from its types (the busiest answer of the API).
#[derive(Serialize)]
pub struct CredentialList {
    status: &'static str,
    credentials: Vec<AccountView>,
}

/// `GET /api/social-media/instagram/credentials`
pub async fn list(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
) -> Result<Json<CredentialList>, ApiError> {
    let credentials = services.credentials.list(&tenant).await?;
    Ok(Json(CredentialList {
        status: "success",
        credentials,
    }))
}

/// `GET /api/social-media/instagram/credentials/{id}`
pub async fn get(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let credential = services.credentials.get(&tenant, &id).await?;
    Ok(Json(
        json!({"status": "success", "credential": credential.view(Utc::now())}),
    ))
}

/// `DELETE /api/social-media/instagram/credentials/{id}`: stops using the account and erases its
/// token; the account can be connected again later.
pub async fn disconnect(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    services.credentials.disconnect(&tenant, &id).await?;
    Ok(Json(
        json!({"status": "success", "message": "The Instagram account was disconnected."}),
    ))
}
