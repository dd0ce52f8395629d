//! # Graph simulator
//!
//! An axum server that stands in for both `www.facebook.com` (the Login
//! dialog) and `graph.facebook.com` (the Graph API), written from Meta's
//! documentation (`docs/graph-api.md`). Demo mode and every test
//! use it over real HTTP. It shares no types with the service's Graph client
//! and depends on nothing outside this module.
//!
//! ## Starting it
//! ```text
//! use graph_sim::{self as sim, SimApp};
//! // Bind first, so `public_base_url` (used in `paging.next` and picture URLs) has the real port:
//! let (sim, addr) = sim::spawn_new("127.0.0.1:0".parse()?).await?;
//! sim.register_app(SimApp {
//!     app_id: "1234".into(),
//!     app_secret: "secret".into(),
//!     redirect_uris: vec!["http://127.0.0.1:8097/oauth/callback".into()],
//!     require_appsecret_proof: true,
//! });
//! sim.seed_demo();
//! ```
//! `spawn(sim, addr)` serves an existing [`Simulator`]; `Simulator::router()`
//! gives the bare router (for `tower::ServiceExt::oneshot`).
//!
//! ## Paths
//! Every path accepts a version prefix (`/v23.0/…`, any `vNN` or `vNN.N`) or none.
//! Parameters may come in the query string or a form/JSON body, for GET and POST.
//! Tokens may also come as `Authorization: OAuth <token>` or `Bearer <token>`.
//!
//! | path | spec row |
//! |---|---|
//! | `GET /{v}/dialog/oauth` (HTML), `POST /{v}/dialog/oauth/confirm` (form fields documented in `dialog.rs`) | A |
//! | `GET/POST /{v}/oauth/access_token` (code, `grant_type=fb_exchange_token`, `client_credentials`) | B1, B2 |
//! | `GET /{v}/debug_token` | C |
//! | `GET /{v}/me`, `/me/permissions`, `/me/accounts`, `/me/businesses` | D, E |
//! | `GET /{v}/{business-id}`, `/{business-id}/owned_pages`, `/client_pages` | E |
//! | `GET /{v}/{page-id}` | F |
//! | `GET /{v}/{ig-user-id}`, `GET\|POST /{ig-user-id}/media`, `POST /{ig-user-id}/media_publish`, `GET /{ig-user-id}/content_publishing_limit` | G, H, J, K |
//! | `GET /{v}/{container-id}`, `GET /{v}/{media-id}`, `GET /{media-id}/children` | I |
//!
//! The dialog's form posts to `/{v}/dialog/oauth/confirm` (form-urlencoded)
//! with `client_id`, `redirect_uri`, `state`, `scope`, `response_type`,
//! `user_id`, `action=continue|cancel`, repeated `page` (page ids) and
//! `permission` (names) for the ticked boxes, and optionally `defaults=1`:
//! then a kind (`page` or `permission`) with no field at all takes the
//! dialog's initial ticks (every page; every requested permission except the
//! user's unticked-by-default ones, e.g. scenario `declined_publish`).
//! Without `defaults=1`, a missing kind means nothing ticked. The dialog
//! page switches user with `&sim_user=<user id>`.
//!
//! Every Graph response carries `X-App-Usage`, `X-Business-Use-Case-Usage`,
//! `facebook-api-version` and `x-fb-trace-id`. Errors use Meta's envelope
//! with HTTP 400 unless a fault says otherwise.
//!
//! Per-media-URL hints (query parameters of `image_url`/`video_url`):
//! `sim_processing_ms=N`, `sim_status=ERROR|EXPIRED`, `sim_fetch=fail`.
//!
//! ## Control API (JSON, no auth)
//! | route | effect |
//! |---|---|
//! | `GET /_sim/healthz` | 200 `ok` |
//! | `POST /_sim/reset` | 204; forgets everything: apps, users, tokens, media, faults, settings, clock |
//! | `POST /_sim/apps {app_id, app_secret, redirect_uris:[..], require_appsecret_proof?, name?}` | 201; registers or replaces an app |
//! | `POST /_sim/users {name?, default_unticked_permissions?:[..], pages:[{name?, category?, business?, business_name?, business_relation?: "owned"\|"client", tasks?, instagram?:{username, name?, profile_picture_url?, followers_count?, follows_count?, media_count?, biography?, website?}}]}` | 201 `{user_id, name, pages:[{id, name, business_id?, instagram_business_account_id?, instagram_username?}]}`; 409 if a username is taken |
//! | `GET /_sim/users` | the users, and who is signed in |
//! | `POST /_sim/scenarios/{name} {suffix?}` | 201, as users; `happy`, `no_pages`, `no_instagram`, `multi_instagram`, `declined_publish`, `business_portfolio`. Without `suffix`, a taken username gets a random suffix. |
//! | `POST /_sim/login {user_id}` | 204; the dialog's signed-in user |
//! | `POST /_sim/faults {method?, path_contains, times?=1, http_status?, code?, subcode?, message?, type?, is_transient?, error_user_title?, error_user_msg?, delay_ms?, drop_response?}` | 201 `{id}`; see below |
//! | `GET /_sim/faults` | `{data:[{id, method, path_contains, remaining}]}` |
//! | `DELETE /_sim/faults` | 204 |
//! | `GET /_sim/settings`, `POST /_sim/settings {…}` | the current settings (after merging the given keys; unknown keys give 400) |
//! | `GET /_sim/clock`, `POST /_sim/clock/advance {seconds}` | `{now, offset_seconds}` |
//! | `POST /_sim/users/{user_id}/tokens/expire` | 204; the user's tokens fail with 190/463 |
//! | `POST /_sim/users/{user_id}/tokens/invalidate` | 204; the user's tokens fail with 190/460 |
//! | `GET /_sim/media?ig_user_id=` | `{data:[{id, ig_user_id, container_id, media_type, media_product_type, caption, permalink, children, published_at}]}`: one entry per post |
//! | `GET /_sim/containers?ig_user_id=` | `{data:[{id, ig_user_id, kind, is_carousel_item, children, status_code, created_at, published_media_id}]}` |
//! | `GET /_sim/calls?path_contains=` | `{count, data:[{method, path, appsecret_proof: "valid"\|"invalid"\|"absent"}]}`; never tokens or query strings |
//! | `GET /_sim/avatar/{key}.svg` | an SVG avatar (profile pictures point here) |
//!
//! Faults match Graph calls (not the dialog, not `/_sim`) by method and a
//! substring of the path, first registered first, and each match uses one of
//! `times`. `delay_ms` waits, then the call goes on (or fails, when an error
//! field is set). An error field (`code`, `subcode`, `message`, or an
//! `http_status` ≥ 400) answers Meta's envelope instead of handling the call;
//! a missing `code` means 1, and known codes get Meta's message and
//! `is_transient`. `drop_response: true` handles the call normally (a publish
//! really happens) and then aborts the connection without a response.
//!
//! Settings: every key, its meaning and default is documented on `Settings` in `state.rs`.

mod auth;
mod clock;
mod control;
mod demo;
mod dialog;
mod errors;
mod faults;
mod graph;
mod html;
mod ids;
mod nodes;
mod oauth;
mod paging;
mod params;
mod permissions;
mod publishing;
mod state;
mod usage;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;

use state::{AppRecord, State};

/// How the simulator presents itself.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where clients reach the simulator, e.g. `http://127.0.0.1:8098`: used
    /// for `paging.next` URLs and profile picture URLs.
    pub public_base_url: String,
}

/// A Meta app as registered in the simulator.
#[derive(Clone)]
pub struct SimApp {
    pub app_id: String,
    pub app_secret: String,
    /// Valid OAuth redirect URIs (Strict Mode: exact match).
    pub redirect_uris: Vec<String>,
    /// "Require App Secret": user-token calls must carry `appsecret_proof`.
    pub require_appsecret_proof: bool,
}

impl std::fmt::Debug for SimApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimApp")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .field("require_appsecret_proof", &self.require_appsecret_proof)
            .finish()
    }
}

/// The simulator: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    options: SimOptions,
    state: Mutex<State>,
}

impl Simulator {
    pub fn new(options: SimOptions) -> Simulator {
        Simulator {
            inner: Arc::new(Inner {
                options,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Dialog, Graph and control API on one host.
    pub fn router(&self) -> Router {
        control::routes()
            .fallback(graph::entry)
            .with_state(self.clone())
    }

    /// Same as `POST /_sim/apps`.
    pub fn register_app(&self, app: SimApp) {
        self.with_state(|s| {
            control::insert_app(
                s,
                AppRecord {
                    name: control::default_app_name(&app.app_id),
                    app_id: app.app_id,
                    app_secret: app.app_secret,
                    redirect_uris: app.redirect_uris,
                    require_appsecret_proof: app.require_appsecret_proof,
                },
            )
        });
    }

    /// Creates the demo person (pages "Demo Café" @demo.cafe, "Demo Studio"
    /// @demo.studio in a business portfolio, "Demo Community" without
    /// Instagram) and signs them in for the dialog. Idempotent.
    pub fn seed_demo(&self) {
        let base = self.public_base_url().to_string();
        self.with_state(|s| demo::seed_demo(s, &base));
    }

    pub fn public_base_url(&self) -> &str {
        &self.inner.options.public_base_url
    }

    /// Runs `f` under the state lock. Never call it across an `.await`.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        // A panic in one handler must not wedge every later test request.
        let mut guard = self
            .inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

/// Binds `addr` (port 0 picks a free port), serves the simulator in a
/// background tokio task and returns the bound address.
pub async fn spawn(sim: Simulator, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_in_background(sim, listener)
}

/// Binds `addr`, creates a simulator whose `public_base_url` is
/// `http://{bound address}`, serves it in the background and returns both.
pub async fn spawn_new(addr: SocketAddr) -> std::io::Result<(Simulator, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let sim = Simulator::new(SimOptions {
        public_base_url: format!("http://{bound}"),
    });
    serve_in_background(sim.clone(), listener)?;
    Ok((sim, bound))
}

fn serve_in_background(
    sim: Simulator,
    listener: tokio::net::TcpListener,
) -> std::io::Result<SocketAddr> {
    let bound = listener.local_addr()?;
    let router = sim.router();
    // Graph answers promptly; Nagle's algorithm would add a delayed-ACK wait to every call.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "graph simulator stopped");
        }
    });
    Ok(bound)
}
