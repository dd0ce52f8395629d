//! Start-up and the HTTP stack: config -> storage -> services -> router -> background work ->
//! graceful shutdown. The same [`AppState`] serves the JSON API, the browser endpoints and the
//! Leptos page with its server functions.

pub mod health;
mod listen;
pub mod middleware;

pub use listen::peer;

use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use axum::{extract::FromRef, http::HeaderValue, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};
use secrecy::ExposeSecret;
use tokio::{
    net::TcpListener,
    sync::{watch, Notify},
    task::JoinHandle,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    app::{shell, App},
    auth::{jwt::JwtVerifier, session},
    config::{Config, StorageConfig},
    domain::{
        accounts::{Accounts, HealthSweep},
        compliance::MetaCallbacks,
        connect::{ConnectService, InstagramLogin},
        keys::{self, Rotation},
        library::Library,
        media::{MediaProbe, UrlPolicy},
        places::Places,
        posts::PostService,
        publish::{Publisher, PublishingHosts, Worker},
        StoreError,
    },
    graph::{GraphClient, InstagramLoginClient},
    http::limits::RateLimiters,
    media_probe::HttpMediaProbe,
    storage::Storage,
    telemetry::chain,
};

/// Request bodies larger than this are refused (the API's largest body, a post, is a few KB).
const BODY_LIMIT: usize = 64 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything a request handler or server function may use.
pub struct ServicesInner {
    pub config: Config,
    pub storage: Storage,
    pub jwt: JwtVerifier,
    /// graph.facebook.com and graph.instagram.com, chosen per account by its login.
    pub graph: PublishingHosts,
    pub accounts: Accounts,
    pub connect: ConnectService,
    pub posts: PostService,
    pub places: Places,
    /// The daily health check of connected accounts.
    pub health: HealthSweep,
    /// Wakes the publisher when a post becomes due now.
    pub publisher_wake: Arc<Notify>,
    /// Rate limits per client address and per tenant.
    pub limits: RateLimiters,
    /// Meta's deauthorize and data deletion callbacks.
    pub meta: MetaCallbacks,
    /// The media library: uploads, prepared photos, signed URLs.
    pub library: Library,
}

pub type Services = Arc<ServicesInner>;

/// What every handler may extract. Axum clones the state for each request: one shared pointer,
/// rather than the Leptos options' dozen reference counts, each request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub services: Services,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, services: Services) -> Self {
        Self(Arc::new(Shared {
            leptos_options,
            services,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Services {
    fn from_ref(state: &AppState) -> Self {
        state.services.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("storage: {}", chain(.0))]
    Storage(#[from] StoreError),
    #[error("JWT configuration: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Opens the configured storage, with media bytes in S3 when `MEDIA_S3_BUCKET` is set.
pub async fn open_storage(config: &Config) -> Result<Storage, StartError> {
    let storage = match &config.storage {
        StorageConfig::Mongo { uri, database } => {
            Storage::mongo(uri.expose_secret(), database).await?
        }
        StorageConfig::Embedded => Storage::embedded(&config.data_dir).await?,
    };
    Ok(match &config.media_s3 {
        Some(s3) => storage.with_blobs(Arc::new(crate::storage::s3::S3Blobs::new(s3)?)),
        None => storage,
    })
}

/// Builds the services over an open storage.
pub fn services(config: Config, storage: Storage) -> Result<Services, StartError> {
    let jwt = JwtVerifier::new(&config.jwt)?;
    let facebook = Arc::new(GraphClient::new(&config.graph, config.instagram.clone())?);
    let graph = PublishingHosts {
        facebook: facebook.clone(),
        instagram: Arc::new(GraphClient::on_instagram(&config.graph)?),
    };
    let mut connect = ConnectService::new(
        facebook.clone(),
        storage.accounts.clone(),
        storage.connect_states.clone(),
        config.token_keys.clone(),
        config.instagram.clone(),
        config.redirect_uri.to_string(),
        config.scopes.clone(),
    );
    let mut health = HealthSweep::new(
        storage.accounts.clone(),
        facebook.clone(),
        config.token_keys.clone(),
        config.health.clone(),
    );
    if let Some(app) = &config.instagram_login {
        let client = Arc::new(InstagramLoginClient::new(&config.graph, app)?);
        connect = connect.with_instagram_login(InstagramLogin {
            graph: client.clone(),
            app_id: app.app_id.clone(),
            redirect_uri: app.redirect_uri.to_string(),
            scopes: app.scopes.clone(),
        });
        health = health.with_instagram_login(client);
    }
    let publisher_wake = Arc::new(Notify::new());
    let probe = media_probe(&config)?;
    let library = Library::new(
        storage.assets.clone(),
        storage.posts.clone(),
        storage.blobs.clone(),
        probe.clone(),
        config.token_keys.url_signer(),
        config.library.clone(),
    );
    Ok(Arc::new(ServicesInner {
        posts: PostService::new(
            storage.posts.clone(),
            storage.accounts.clone(),
            probe,
            publisher_wake.clone(),
        )
        .with_library(library.clone()),
        library,
        places: Places::new(
            storage.accounts.clone(),
            facebook,
            config.token_keys.clone(),
        ),
        health,
        publisher_wake,
        limits: RateLimiters::new(&config.edge.rate_limits),
        meta: MetaCallbacks::new(
            storage.accounts.clone(),
            storage.posts.clone(),
            storage.compliance.clone(),
            config.instagram.clone(),
            config.public_origin.clone(),
        ),
        accounts: Accounts::new(storage.accounts.clone()),
        connect,
        graph,
        jwt,
        storage,
        config,
    }))
}

/// The check of media URLs before a post is queued.
fn media_probe(config: &Config) -> Result<Arc<dyn MediaProbe>, StartError> {
    let policy = UrlPolicy::new(config.media.private_origins.clone());
    Ok(Arc::new(HttpMediaProbe::new(
        policy,
        config.media.probe_timeout,
    )?))
}

/// The whole HTTP application: the JSON API and health checks (no cookies, no sessions), and the
/// browser side (page, server functions, sign-in, connect), which alone pays for sessions and the
/// cross-site and dev-host guards.
pub fn router(state: AppState) -> Router {
    let services = state.services.clone();
    // Outermost first: every answer, whichever layer makes it (a timeout, a panic, a body too
    // large), gets the security headers.
    let everything = ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            services.clone(),
            middleware::security_headers,
        ))
        .layer(SetRequestIdLayer::new(
            middleware::REQUEST_ID,
            middleware::RequestIds::new(),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(middleware::RequestSpan)
                .on_response(middleware::ResponseLog),
        )
        .layer(PropagateRequestIdLayer::new(middleware::REQUEST_ID))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(middleware::json_413));
    let small_bodies = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(crate::api::router())
        // Called by Meta's servers: no session, no cross-site guard; the signed request decides.
        .merge(crate::web::meta::router())
        // Fetched by Instagram: no session; the URL's signature decides.
        .merge(crate::web::files::router())
        .merge(browser_router(&state))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    // File bytes: a whole photo, or one chunk of a large video, and nothing larger.
    let library = &services.config.library;
    let upload_limit = library.max_image_bytes.max(library.max_chunk_bytes) + 64 * 1024;
    let upload_limit = usize::try_from(upload_limit).unwrap_or(usize::MAX);
    let uploads = crate::api::upload_router()
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(upload_limit));
    // The Media page's uploads: a browser's session, behind the cross-site guard.
    let page_uploads = Router::new()
        .nest(
            crate::api::PAGE_LIBRARY,
            crate::api::media::page_upload_router(),
        )
        .layer(axum::middleware::from_fn_with_state(
            services.clone(),
            middleware::same_origin_writes,
        ))
        .layer(session::layer(
            services.storage.sessions.clone(),
            services.config.secure_cookies(),
        ))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(upload_limit));
    Router::new()
        .merge(small_bodies)
        .merge(uploads)
        .merge(page_uploads)
        .layer(everything)
        .with_state(state)
}

/// The page's routes, generated once per process. Generating them runs the app with resource
/// loading suppressed process-wide, and a resource first polled meanwhile waits forever
/// (leptos#4773): so it must never happen while this process renders pages (tests run many
/// servers in one process).
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn browser_router(state: &AppState) -> Router<AppState> {
    let routes = routes();
    let page_state = state.clone();
    let shell_options = state.leptos_options.clone();
    let services = state.services.clone();
    let browser_layers = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(middleware::drop_url_errors))
        .layer(axum::middleware::from_fn_with_state(
            services.clone(),
            middleware::canonical_dev_host,
        ))
        .layer(axum::middleware::from_fn_with_state(
            services.clone(),
            middleware::same_origin_writes,
        ))
        .layer(session::layer(
            services.storage.sessions.clone(),
            services.config.secure_cookies(),
        ));
    Router::new()
        .merge(crate::web::router())
        .nest(crate::api::PAGE_LIBRARY, crate::api::media::page_router())
        .leptos_routes_with_context(
            state,
            routes,
            move || page_context(&page_state),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(browser_layers)
}

/// Per page render: the Content-Security-Policy carrying this response's script nonce.
fn page_context(state: &AppState) {
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    let config = &state.services.config;
    let dialog = config.dialog_origins();
    // In demo mode the profile pictures come from the simulator, which is plain http; media
    // previews may come from the media hosts allowed over plain http.
    let mut extra_img = config.media.private_origins.clone();
    if config.is_demo() {
        extra_img.push(config.graph.api_base_url.origin().ascii_serialization());
    }
    let extra_img = extra_img.join(" ");
    if let Ok(value) = HeaderValue::from_str(&middleware::page_csp(&nonce, &extra_img, &dialog)) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// A running server and its background work.
pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets requests and background steps finish, then returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        for task in self.background {
            let _ = task.await;
        }
    }

    /// Resolves when shutdown was asked for (a signal, or [`Running::stop`]).
    pub fn shutdown_requested(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn request_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Waits for the HTTP server to end (after a shutdown request), then for background work.
    pub async fn wait(self) {
        let _ = self.server.await;
        for task in self.background {
            let _ = task.await;
        }
    }
}

/// Serves `services` on `listener` until shutdown is requested.
pub async fn serve(
    listener: TcpListener,
    leptos_options: LeptosOptions,
    services: Services,
) -> Result<Running, StartError> {
    let addr = listener.local_addr()?;
    let (shutdown, stop) = watch::channel(false);
    let state = AppState::new(leptos_options, services.clone());
    let app = router(state);
    let limits = services.config.edge.connections;
    let server = tokio::spawn(listen::serve(listener, app, limits, stop));
    let mut background = vec![tokio::spawn(sweep_expired(
        services.clone(),
        shutdown.subscribe(),
    ))];
    if !services.config.token_keys.previous_kids().is_empty() {
        background.push(tokio::spawn(rotate_token_keys(
            services.clone(),
            shutdown.subscribe(),
        )));
    }
    if services.config.publisher.enabled {
        background.push(publisher(&services, shutdown.subscribe()).spawn(shutdown.subscribe()));
        // The publishing process also keeps the accounts' states true.
        background.push(tokio::spawn(check_accounts(
            services.health.clone(),
            shutdown.subscribe(),
        )));
    }
    tracing::info!(%addr, storage = services.storage.kind, demo = services.config.is_demo(), "listening");
    Ok(Running {
        addr,
        services,
        shutdown,
        server,
        background,
    })
}

/// The background publisher over the service's storage and Graph client.
fn publisher(services: &Services, stop: watch::Receiver<bool>) -> Publisher {
    let worker = Worker {
        graph: services.graph.clone(),
        posts: services.storage.posts.clone(),
        accounts: services.storage.accounts.clone(),
        keys: services.config.token_keys.clone(),
        config: services.config.publisher.clone(),
        stop,
        library: services.library.clone(),
    };
    Publisher::new(
        worker,
        services.storage.posts.clone(),
        services.publisher_wake.clone(),
    )
}

/// Runs the accounts' health check: every account is checked once per interval, and a pass
/// starts at least every five minutes so accounts come due soon after their time.
async fn check_accounts(health: HealthSweep, mut stop: watch::Receiver<bool>) {
    let tick = health.config().every.min(Duration::from_secs(300));
    loop {
        tokio::select! {
            report = health.run_once() => match report {
                Ok(r) if r.checked + r.unchecked > 0 => {
                    tracing::info!(checked = r.checked, broken = r.broken, unchecked = r.unchecked, "accounts checked")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %chain(&e), "checking accounts failed"),
            },
            _ = stop.wait_for(|s| *s) => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Finishes a key rotation once at start-up, when previous keys are configured: every token
/// still sealed under one of them is sealed again under the current key (`domain::keys`). Safe
/// beside other processes doing the same (each write is a compare-and-swap) and stopped between
/// batches by a shutdown; what is left is done by the next start or `rotate-token-keys`.
async fn rotate_token_keys(services: Services, stop: watch::Receiver<bool>) {
    let rotation = Rotation::new(
        services.storage.accounts.clone(),
        services.config.token_keys.clone(),
        keys::DEFAULT_BATCH,
    );
    let report = |p: &keys::Progress| {
        tracing::info!(
            done = p.done,
            total = p.total,
            left = p.left(),
            resealed = p.resealed,
            "re-encrypting tokens under the current key"
        )
    };
    let remaining = match rotation.run(None, report, || *stop.borrow()).await {
        Ok(_) if *stop.borrow() => return,
        Ok(_) => rotation.old_key_tokens().await,
        Err(e) => Err(e),
    };
    match remaining {
        Ok(r) if r.old_key_tokens == 0 => tracing::info!(
            "every token is sealed under the current key: TOKEN_ENCRYPTION_PREVIOUS_KEYS may be removed"
        ),
        Ok(r) => tracing::warn!(
            old_key_tokens = r.old_key_tokens,
            "tokens remain under an old key: keep TOKEN_ENCRYPTION_PREVIOUS_KEYS"
        ),
        Err(e) => tracing::warn!(error = %chain(&e), "re-encrypting tokens failed; the next start tries again"),
    }
}

/// Removes expired sessions and OAuth states now and then. Queries never depend on this: they
/// filter on expiry themselves (FerretDB has no TTL indexes).
async fn sweep_expired(services: Services, mut stop: watch::Receiver<bool>) {
    const EVERY: Duration = Duration::from_secs(600);
    loop {
        let now = chrono::Utc::now();
        // Outcomes stay readable for an hour after the flow's state expired.
        let states = services
            .storage
            .connect_states
            .purge_expired(now - chrono::TimeDelta::hours(1))
            .await;
        let sessions = session::purge_expired(services.storage.sessions.as_ref()).await;
        services.limits.forget_idle();
        if let Err(e) = services.library.forget_abandoned_uploads().await {
            tracing::warn!(error = %chain(&e), "removing abandoned uploads failed");
        }
        match services.library.forget_published_copies().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(copies = n, "prepared copies past their retention removed"),
            Err(e) => tracing::warn!(error = %chain(&e), "removing prepared copies failed"),
        }
        match (states, sessions) {
            (Ok(s), Ok(n)) if s + n > 0 => {
                tracing::debug!(states = s, sessions = n, "expired records removed")
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %chain(&e), "sweeping expired records failed")
            }
            _ => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
