//! Starts the service: configuration, storage, the demo's simulator when there is no Facebook App,
//! the HTTP server and its background work, and a graceful shutdown on Ctrl-C or SIGTERM.

use std::process::ExitCode;

use leptos::config::get_configuration;
use social_media_uploader::{
    config::{Config, Vars},
    server, telemetry,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The runtime Leptos configuration used outside cargo-leptos (e.g. in the Docker image);
/// cargo-leptos sets `LEPTOS_*` variables, which take precedence over the file.
const LEPTOS_TOML: &str = "Leptos.toml";

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck().await;
    }
    telemetry::init();
    let config = match Config::load(&Vars::from_env()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("social-media-uploader could not start: {e}");
            ExitCode::FAILURE
        }
    }
}

fn leptos_options() -> Result<leptos::prelude::LeptosOptions, Box<dyn std::error::Error>> {
    let file = std::env::var("LEPTOS_CONFIG_FILE").unwrap_or_else(|_| LEPTOS_TOML.into());
    let conf = match std::path::Path::new(&file).exists() {
        true => get_configuration(Some(&file))?,
        false => get_configuration(None)?,
    };
    Ok(conf.leptos_options)
}

/// `social-media-uploader healthcheck`: exits 0 when this machine's server answers `/healthz`
/// (for container health checks, where no curl is installed).
async fn healthcheck() -> ExitCode {
    let Ok(options) = leptos_options() else {
        return ExitCode::FAILURE;
    };
    let url = format!("http://127.0.0.1:{}/healthz", options.site_addr.port());
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build();
    match client.map(|c| c.get(url)) {
        Ok(request) => match request.send().await {
            Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
            _ => ExitCode::FAILURE,
        },
        Err(_) => ExitCode::FAILURE,
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let leptos_options = leptos_options()?;
    #[cfg(feature = "demo")]
    if let Some(demo) = &config.demo {
        start_demo_simulator(&config, demo.simulator_addr).await?;
    }
    let storage = server::open_storage(&config).await?;
    let services = server::services(config, storage)?;
    let listener = tokio::net::TcpListener::bind(leptos_options.site_addr).await?;
    let running = server::serve(listener, leptos_options, services).await?;
    announce(&running);
    server::shutdown_signal().await;
    tracing::info!("shutting down: finishing requests and in-flight work");
    running.request_shutdown();
    running.wait().await;
    Ok(())
}

#[cfg(feature = "demo")]
/// The demo runs its own Graph simulator, with the demo app registered and a demo person who has
/// Pages and Instagram accounts, so the whole connect flow can be tried with no Facebook App.
async fn start_demo_simulator(
    config: &Config,
    addr: std::net::SocketAddr,
) -> Result<(), Box<dyn std::error::Error>> {
    use secrecy::ExposeSecret;
    let app = config
        .instagram
        .as_ref()
        .ok_or("demo mode without a demo app")?;
    let simulator = graph_sim::Simulator::new(graph_sim::SimOptions {
        public_base_url: format!("http://{addr}"),
    });
    simulator.register_app(graph_sim::SimApp {
        app_id: app.app_id.clone(),
        app_secret: app.app_secret.expose_secret().to_string(),
        redirect_uris: vec![config.redirect_uri.to_string()],
        require_appsecret_proof: true,
    });
    simulator.seed_demo();
    let bound = graph_sim::spawn(simulator, addr)
        .await
        .map_err(|e| format!("the demo's Graph simulator cannot listen on {addr} ({e}); set SIMULATOR_ADDR to a free address"))?;
    tracing::info!(addr = %bound, "demo Graph simulator listening");
    Ok(())
}

fn announce(running: &server::Running) {
    let config = &running.services.config;
    if config.is_demo() {
        tracing::warn!(
            "DEMO MODE: no Facebook App configured; Instagram is simulated and data stays in {}. Open {}/",
            config.data_dir.display(),
            config.public_origin
        );
    }
    if config.instagram.is_none() {
        tracing::warn!("Instagram API credentials not configured: connecting accounts is disabled until INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET are set");
    }
    if config.jwt.issuer.is_none() || config.jwt.audience.is_none() {
        tracing::warn!("JWT_ISSUER and/or JWT_AUDIENCE are not set: tokens are not checked for issuer and audience");
    }
}
