//! Upload benchmark (not a test): several large videos uploaded at once in resumable chunks,
//! measuring the service's peak memory against its memory before the uploads (the baseline, in
//! the same run) and the throughput. Uploads must stream to the store: memory stays bounded by
//! the chunks in flight, whatever the files' size.
//!
//! `cargo run --release --features ssr --example upload_bench -- [uploads] [megabytes]`

use std::time::Instant;

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::Client;
use serde_json::{json, Value};
use social_media_uploader::{
    config::{Config, Vars},
    server,
};

const SECRET: &str = "benchmark-signing-secret-0123456789abcdefghij";
const CHUNK: usize = 8 * 1024 * 1024;

/// Resident memory now and at its peak, in MiB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let uploads = *args.first().unwrap_or(&4);
    let megabytes = *args.get(1).unwrap_or(&200);
    let size = megabytes * 1024 * 1024;

    // Real MP4 files of the size asked for, from the simulator's file host (streamed).
    let (_sim, sim_addr) = graph_sim::spawn_new("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let video_url = format!("http://{sim_addr}/_sim/files/clip.mp4?secs=60&bytes={size}");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let data = std::env::temp_dir().join(format!("smu-upload-bench-{}", std::process::id()));
    let config = Config::load(&Vars::from_map([
        (
            "INSTAGRAM_REDIRECT_URI",
            format!("{base}/api/instagram/oauth/callback"),
        ),
        ("JWT_SECRET", SECRET.to_string()),
        (
            "TOKEN_ENCRYPTION_KEY",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
        ),
        ("DEMO_MODE", "false".into()),
        ("PUBLISHER_ENABLED", "false".into()),
        ("DATA_DIR", data.to_string_lossy().into()),
        ("MEDIA_MAX_VIDEO_MB", (megabytes + 1).to_string()),
        ("MEDIA_QUOTA_MB", (uploads * (megabytes + 1)).to_string()),
    ]))
    .unwrap();
    let storage = server::open_storage(&config).await.unwrap();
    let services = server::services(config, storage).unwrap();
    let leptos = leptos::config::get_configuration(Some("Leptos.toml"))
        .unwrap()
        .leptos_options;
    let running = server::serve(listener, leptos, services).await.unwrap();
    let token = encode(
        &Header::default(),
        &json!({"customer_id": "bench", "user_id": "u", "exp": chrono::Utc::now().timestamp() + 3600}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let http = Client::new();
    let (baseline, _) = memory();
    let started = Instant::now();
    let tasks: Vec<_> = (0..uploads)
        .map(|n| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            let video_url = video_url.clone();
            tokio::spawn(async move {
                let url = format!("{base}/api/social-media/instagram/media/uploads");
                let made: Value = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"file_name": format!("video-{n}.mp4"), "size": size}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = made["upload"]["id"].as_str().unwrap().to_string();
                let mut source = http.get(&video_url).send().await.unwrap();
                let (mut offset, mut pending, mut last) =
                    (0, Vec::with_capacity(CHUNK), Value::Null);
                loop {
                    let piece = source.chunk().await.unwrap();
                    if let Some(piece) = &piece {
                        pending.extend_from_slice(piece);
                    }
                    if pending.len() < CHUNK && piece.is_some() {
                        continue;
                    }
                    if pending.is_empty() {
                        break last;
                    }
                    // Exactly one chunk (the last may be shorter); the rest waits for the next.
                    let rest = pending.split_off(pending.len().min(CHUNK));
                    let body = std::mem::replace(&mut pending, rest);
                    let len = body.len();
                    last = http
                        .patch(format!("{url}/{id}"))
                        .bearer_auth(&token)
                        .header("upload-offset", offset.to_string())
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    offset += len;
                    if piece.is_none() && pending.is_empty() {
                        break last;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let answer = task.await.unwrap();
        assert!(answer["media"]["_id"].is_string(), "{answer}");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (_, peak) = memory();
    println!("uploads: {uploads} × {megabytes} MB in {CHUNK}-byte chunks, at once");
    println!("baseline (service started, before uploading): {baseline:.1} MiB resident");
    println!(
        "peak during the uploads: {peak:.1} MiB ({:.2}× the baseline; {:.1} MiB above it)",
        peak / baseline,
        peak - baseline
    );
    println!(
        "throughput: {:.1} MB/s ({elapsed:.1} s)",
        (uploads * megabytes) as f64 / elapsed
    );
    running.stop().await;
    let _ = std::fs::remove_dir_all(data);
}
