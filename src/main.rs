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
    if std::env::args().nth(1).as_deref() == Some("rotate-token-keys") {
        return rotate_token_keys(std::env::args().skip(2).collect()).await;
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

/// `social-media-uploader rotate-token-keys [--batch N] [--after ID]`: seals every stored token
/// still under a previous key again under `TOKEN_ENCRYPTION_KEY`, printing progress (and the
/// last account id, from which `--after` resumes; starting over is as safe, only slower). Exits
/// 0 when no token remains under an old key, 1 when some do, 2 on a configuration error.
async fn rotate_token_keys(args: Vec<String>) -> ExitCode {
    use social_media_uploader::domain::keys::{Rotation, DEFAULT_BATCH};
    let (mut batch, mut after) = (DEFAULT_BATCH, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--batch", Some(n)) if n.parse::<usize>().is_ok_and(|n| n > 0) => {
                batch = n.parse().unwrap_or(DEFAULT_BATCH)
            }
            ("--after", Some(id)) => after = Some(id),
            _ => {
                eprintln!("usage: social-media-uploader rotate-token-keys [--batch N] [--after ACCOUNT_ID]");
                return ExitCode::from(2);
            }
        }
    }
    let config = match Config::load(&Vars::from_env()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let storage = match server::open_storage(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("storage unavailable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let keys = config.token_keys.clone();
    println!(
        "re-encrypting tokens under key {} (previous keys: {})",
        keys.current_kid(),
        match keys.previous_kids() {
            kids if kids.is_empty() => "none".to_string(),
            kids => kids.join(", "),
        }
    );
    let rotation = Rotation::new(storage.accounts.clone(), keys, batch);
    let progress = |p: &social_media_uploader::domain::keys::Progress| {
        println!(
            "progress: {}/{} accounts done, {} left, {} tokens re-encrypted, {} unreadable, last account {}",
            p.done,
            p.total,
            p.left(),
            p.resealed,
            p.unreadable,
            p.cursor.as_deref().unwrap_or("-")
        )
    };
    let remaining = match rotation.run(after, progress, || false).await {
        Ok(done) => {
            println!(
                "re-encrypted {} tokens in {} accounts",
                done.resealed, done.done
            );
            rotation.old_key_tokens().await
        }
        Err(e) => Err(e),
    };
    match remaining {
        Ok(r) if r.old_key_tokens == 0 => {
            println!("done: no token remains under an old key; TOKEN_ENCRYPTION_PREVIOUS_KEYS may be removed");
            ExitCode::SUCCESS
        }
        Ok(r) => {
            println!(
                "done: {} tokens remain under an old key or do not open; keep TOKEN_ENCRYPTION_PREVIOUS_KEYS and run again",
                r.old_key_tokens
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("re-encrypting tokens failed: {}", telemetry::chain(&e));
            ExitCode::FAILURE
        }
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
    if let Some(login) = &config.instagram_login {
        simulator.register_instagram_app(graph_sim::SimInstagramApp {
            app_id: login.app_id.clone(),
            app_secret: login.app_secret.expose_secret().to_string(),
            redirect_uris: vec![login.redirect_uri.to_string()],
        });
    }
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
