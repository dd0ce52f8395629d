//! The tenant's connected Instagram accounts, at the seed's paths and names: `/credentials`,
//! `credentials`, `credential` (the seed's word for a connected account). Never a token or a
//! secret in any answer.

use axum::{extract::State, routing::get, Router};
use chrono::Utc;
use serde::Serialize;

use super::caller::ApiCaller;
use crate::{
    dto::AccountView,
    http::{ApiError, Message, Path, Success},
    server::{AppState, Services},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/credentials", get(list))
        .route("/credentials/{id}", get(get_one).delete(disconnect))
}

/// The list, serialized straight from its types (the busiest answer of the API).
#[derive(Serialize)]
pub struct AccountList {
    credentials: Vec<AccountView>,
}

#[derive(Serialize)]
pub struct OneAccount {
    credential: AccountView,
}

/// `GET /api/social-media/instagram/credentials`
pub async fn list(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
) -> Result<Success<AccountList>, ApiError> {
    let credentials = services.accounts.list(&tenant).await?;
    Ok(Success::ok(AccountList { credentials }))
}

/// `GET /api/social-media/instagram/credentials/{id}`
pub async fn get_one(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Success<OneAccount>, ApiError> {
    let account = services.accounts.get(&tenant, &id).await?;
    Ok(Success::ok(OneAccount {
        credential: account.view(Utc::now()),
    }))
}

/// `DELETE /api/social-media/instagram/credentials/{id}`: stops using the account and erases its
/// token; the account can be connected again later.
pub async fn disconnect(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Success<Message>, ApiError> {
    services.accounts.disconnect(&tenant, &id).await?;
    Ok(Success::ok(Message {
        message: "The Instagram account was disconnected.",
    }))
}
