//! `graph-simulator`: serves the Graph simulator (Facebook Login dialog, Graph
//! API and the `/_sim` control API) on one address.
//!
//! ```text
//! graph-simulator [--addr 127.0.0.1:8098] [--public-base-url URL]
//!                 [--app-id ID --app-secret SECRET [--redirect-uri URI]... [--require-appsecret-proof]]
//!                 [--seed-demo]
//! ```
//! Each flag can also come from the environment: `GRAPH_SIM_ADDR`,
//! `GRAPH_SIM_PUBLIC_BASE_URL`, `GRAPH_SIM_APP_ID`, `GRAPH_SIM_APP_SECRET`,
//! `GRAPH_SIM_REDIRECT_URIS` (comma-separated), `GRAPH_SIM_REQUIRE_APPSECRET_PROOF=1`,
//! `GRAPH_SIM_SEED_DEMO=1`. Flags win. Logging follows `RUST_LOG` (default `info`).
//! Stops gracefully on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use graph_sim::{SimApp, SimOptions, Simulator};

const USAGE: &str = "usage: graph-simulator [--addr HOST:PORT] [--public-base-url URL] \
[--app-id ID --app-secret SECRET [--redirect-uri URI]... [--require-appsecret-proof]] [--seed-demo]";

#[derive(Debug, Default)]
struct Config {
    addr: Option<String>,
    public_base_url: Option<String>,
    app_id: Option<String>,
    app_secret: Option<String>,
    redirect_uris: Vec<String>,
    require_appsecret_proof: bool,
    seed_demo: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_flag(name: &str) -> bool {
    env(name).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

impl Config {
    fn from_env() -> Config {
        Config {
            addr: env("GRAPH_SIM_ADDR"),
            public_base_url: env("GRAPH_SIM_PUBLIC_BASE_URL"),
            app_id: env("GRAPH_SIM_APP_ID"),
            app_secret: env("GRAPH_SIM_APP_SECRET"),
            redirect_uris: env("GRAPH_SIM_REDIRECT_URIS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            require_appsecret_proof: env_flag("GRAPH_SIM_REQUIRE_APPSECRET_PROOF"),
            seed_demo: env_flag("GRAPH_SIM_SEED_DEMO"),
        }
    }

    /// Applies command-line flags (`--flag value` or `--flag=value`) over the environment.
    fn apply_args(mut self, args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let mut args = args.into_iter();
        let mut redirect_uris_from_flags = Vec::new();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--addr" => self.addr = Some(value()?),
                "--public-base-url" => self.public_base_url = Some(value()?),
                "--app-id" => self.app_id = Some(value()?),
                "--app-secret" => self.app_secret = Some(value()?),
                "--redirect-uri" => redirect_uris_from_flags.push(value()?),
                "--require-appsecret-proof" => self.require_appsecret_proof = true,
                "--seed-demo" => self.seed_demo = true,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        if !redirect_uris_from_flags.is_empty() {
            self.redirect_uris = redirect_uris_from_flags;
        }
        Ok(self)
    }

    fn app(&self) -> Result<Option<SimApp>, String> {
        match (&self.app_id, &self.app_secret) {
            (Some(app_id), Some(app_secret)) => Ok(Some(SimApp {
                app_id: app_id.clone(),
                app_secret: app_secret.clone(),
                redirect_uris: self.redirect_uris.clone(),
                require_appsecret_proof: self.require_appsecret_proof,
            })),
            (None, None) => Ok(None),
            _ => Err("--app-id and --app-secret go together".to_string()),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if message.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("graph-simulator: {message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = Config::from_env().apply_args(std::env::args().skip(1))?;
    let app = config.app()?;
    let addr: SocketAddr = config
        .addr
        .as_deref()
        .unwrap_or("127.0.0.1:8098")
        .parse()
        .map_err(|e| format!("invalid --addr: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot bind {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let public_base_url = config
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"));
    let sim = Simulator::new(SimOptions {
        public_base_url: public_base_url.clone(),
    });
    if let Some(app) = app {
        // The secret is never logged.
        tracing::info!(app_id = %app.app_id, redirect_uris = ?app.redirect_uris, "registered app");
        sim.register_app(app);
    }
    if config.seed_demo {
        sim.seed_demo();
        tracing::info!("seeded the demo person (Demo Café, Demo Studio, Demo Community)");
    }
    tracing::info!(%bound, %public_base_url, "graph simulator listening");
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, sim.router())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("graph simulator stopped");
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
