//! The service as a separate process (the real binary), for tests that kill it or run two.

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

use super::{token_key_b64, Store, APP_ID, APP_SECRET, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET};

pub struct ServerProcess {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts the binary on a free port with the store and simulator of a test, and waits until it
    /// is ready.
    pub async fn start(store: &Store, sim_base: &str, extra: &[(&str, &str)]) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let base = format!("http://127.0.0.1:{port}");
        let log = std::env::temp_dir().join(format!("smu-process-{port}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_social-media-uploader"));
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "social-media-uploader")
            .env("DEMO_MODE", "false")
            .env("INSTAGRAM_APP_ID", APP_ID)
            .env("INSTAGRAM_APP_SECRET", APP_SECRET)
            .env(
                "INSTAGRAM_REDIRECT_URI",
                format!("{base}/api/instagram/oauth/callback"),
            )
            .env("GRAPH_API_BASE_URL", sim_base)
            .env("FACEBOOK_DIALOG_BASE_URL", sim_base)
            .env("JWT_SECRET", JWT_SECRET)
            .env("JWT_ISSUER", JWT_ISSUER)
            .env("JWT_AUDIENCE", JWT_AUDIENCE)
            .env("TOKEN_ENCRYPTION_KEY", token_key_b64())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in store.vars() {
            command.env(k, v);
        }
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command.spawn().expect("the service binary starts");
        let process = Self { child, base, log };
        process.wait_ready().await;
        process
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the service process never became ready; its log: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// SIGKILL: no graceful shutdown, exactly like a crash.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}
