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

/// Starts the binary on a free port with `vars`, and waits until it answers.
async fn start_with(vars: &[(&str, &str)]) -> (tokio::process::Child, u16, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "smu-startup-{}",
        social_media_uploader::crypto::random_token(6).replace(['-', '_'], "x")
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = binary();
    command
        .env("DATA_DIR", &dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"));
    for (k, v) in vars {
        match v.is_empty() {
            true => command.env_remove(k),
            false => command.env(k, v),
        };
    }
    let child = command.spawn().unwrap();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return (child, port, dir);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the service never answered /healthz");
}

#[tokio::test]
async fn a_half_sent_request_cannot_keep_a_stopping_service_alive() {
    use tokio::io::AsyncWriteExt;
    let (mut child, port, dir) = start_with(&[
        ("SHUTDOWN_GRACE_SECS", "2"),
        ("HEADER_READ_TIMEOUT_SECS", "600"),
        ("PUBLISHER_ENABLED", "false"),
    ])
    .await;
    let mut stuck = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stuck
        .write_all(b"POST /api/social-media/instagram/posts HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("the service stops within its grace period despite the half-sent request")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(stuck);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn production_settings_without_a_facebook_app_are_no_demo() {
    // `binary()` sets a JWT secret and a token key (production-like); take the app away.
    let (mut child, port, dir) = start_with(&[
        ("INSTAGRAM_APP_ID", ""),
        ("INSTAGRAM_APP_SECRET", ""),
        ("DEMO_MODE", ""),
    ])
    .await;
    let client = reqwest::Client::new();
    let signin = client
        .get(format!("http://127.0.0.1:{port}/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !signin.contains("Sign in to the demo"),
        "no demo sign-in form"
    );
    let demo_sign_in = client
        .post(format!("http://127.0.0.1:{port}/app/fn/demo_sign_in"))
        .form(&[("customer_id", "any"), ("user_id", "one")])
        .send()
        .await
        .unwrap();
    assert_eq!(demo_sign_in.status(), 400, "anyone-as-anyone stays off");
    let jwt = crate::support::token(&crate::support::unique("c"), "u");
    let initiate = client
        .get(format!(
            "http://127.0.0.1:{port}/api/social-media/instagram/oauth/initiate"
        ))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(initiate.status(), 503);
    assert!(initiate
        .text()
        .await
        .unwrap()
        .contains("Instagram API credentials not configured"));
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(dir);
}
