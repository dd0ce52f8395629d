//! Starting the real binary: a bad configuration stops it with a message that names the variable
//! and the fix, before it listens; a good one serves and shuts down gracefully on SIGTERM.

use std::process::Stdio;

use tokio::process::Command;

fn binary() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_social-media-uploader"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MONGODB_URI")
        .env("DEMO_MODE", "false")
        .env("INSTAGRAM_APP_ID", "1234")
        .env("INSTAGRAM_APP_SECRET", "secret-value")
        .env("JWT_SECRET", crate::support::JWT_SECRET)
        .env("TOKEN_ENCRYPTION_KEY", crate::support::token_key_b64())
        .env("LEPTOS_OUTPUT_NAME", "social-media-uploader")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

#[tokio::test]
async fn a_bad_configuration_stops_start_up_with_the_variable_named() {
    let cases = [
        (
            "MONGODB_URI",
            "localhost:27017",
            "MONGODB_URI: must start with mongodb://",
        ),
        (
            "TOKEN_ENCRYPTION_KEY",
            "dG9vLXNob3J0",
            "TOKEN_ENCRYPTION_KEY: decodes to 9 bytes, not 32",
        ),
        (
            "INSTAGRAM_REDIRECT_URI",
            "/relative/callback",
            "INSTAGRAM_REDIRECT_URI:",
        ),
        ("GRAPH_API_VERSION", "18.0", "GRAPH_API_VERSION:"),
    ];
    for (var, value, says) in cases {
        let out = binary().env(var, value).output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{var}: {stderr}");
        assert!(!stderr.contains("secret-value"), "no secret in the message");
    }
}

#[tokio::test]
async fn the_service_starts_serves_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("smu-startup-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = binary()
        .env("DATA_DIR", &dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "the service never answered /healthz");
    let health = Command::new(env!("CARGO_BIN_EXE_social-media-uploader"))
        .arg("healthcheck")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("0.0.0.0:{port}"))
        .status()
        .await
        .unwrap();
    assert!(health.success(), "the container health check passes");
    let pid = child.id().unwrap() as i32;
    // SIGTERM, as an orchestrator sends it.
    assert!(std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(25), child.wait())
        .await
        .expect("stops in time")
        .unwrap();
    assert!(status.success(), "a graceful stop exits 0: {status}");
    let _ = std::fs::remove_dir_all(dir);
}
