//! The JSON API for the platform's API server: Bearer JWT plus tenant headers, paths under
//! `/api/social-media/instagram/`. One module per resource.

pub mod caller;
pub mod credentials;
pub mod error;
pub mod oauth;
pub mod posts;

use axum::{
    routing::{get, post},
    Router,
};

use crate::server::AppState;

const BASE: &str = "/api/social-media/instagram";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/oauth/initiate"), get(oauth::initiate))
        .route(&format!("{BASE}/oauth/flows/{{flow_id}}"), get(oauth::flow))
        .route(&format!("{BASE}/credentials"), get(credentials::list))
        .route(
            &format!("{BASE}/credentials/{{id}}"),
            get(credentials::get).delete(credentials::disconnect),
        )
        .route(
            &format!("{BASE}/posts"),
            post(posts::create).get(posts::list),
        )
        .route(&format!("{BASE}/posts/{{id}}"), get(posts::get))
        .route(&format!("{BASE}/posts/{{id}}/cancel"), post(posts::cancel))
        .route(&format!("{BASE}/posts/{{id}}/retry"), post(posts::retry))
}
