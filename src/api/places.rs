//! Places to tag a post with: `GET /places?account_id=&q=`, searched with the account's login.

use axum::{extract::State, http::StatusCode, routing::get, Router};
use serde::{Deserialize, Serialize};

use super::caller::ApiCaller;
use crate::{
    dto::PlaceView,
    http::{limits::Action, ApiError, Query, Success},
    server::{AppState, Services},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/places", get(search))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    account_id: String,
    q: String,
}

#[derive(Serialize)]
pub struct Found {
    places: Vec<PlaceView>,
}

/// `GET /api/social-media/instagram/places?account_id=…&q=…`: up to 10 Pages with a location;
/// a post takes one as `location: {"id", "name"}`.
pub async fn search(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Query(params): Query<SearchParams>,
) -> Result<Success<Found>, ApiError> {
    services.limits.check(Action::Search, None, Some(&tenant))?;
    let places = services
        .places
        .search(&tenant, &params.account_id, &params.q)
        .await?;
    Ok(Success(StatusCode::OK, Found { places }))
}
