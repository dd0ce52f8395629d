//! The JSON API for the platform's API server: Bearer JWT plus tenant headers ([`caller`]), under
//! `/api/social-media/instagram/`. One module per resource, each with its `router()`.

pub mod accounts;
pub mod caller;
pub mod media;
pub mod oauth;
pub mod places;
pub mod posts;
pub mod sessions;

use axum::Router;

use crate::server::AppState;

/// Where the API lives.
pub const BASE: &str = "/api/social-media/instagram";

pub fn router() -> Router<AppState> {
    let resources = Router::new()
        .merge(oauth::router())
        .merge(accounts::router())
        .merge(posts::router())
        .merge(places::router())
        .merge(media::router())
        .merge(sessions::router());
    Router::new().nest(BASE, resources)
}

/// The routes that take file bytes, under the library's own body limit (`server::router`).
pub fn upload_router() -> Router<AppState> {
    Router::new().nest(BASE, media::upload_router())
}

/// Where the page reaches the library with its session (`/library/media...`).
pub const PAGE_LIBRARY: &str = "/library";
