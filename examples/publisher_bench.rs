//! Publisher benchmark (not a test): N posts over M accounts, with every Graph call slowed by a
//! simulated latency. Reports throughput against the ideal for the configured concurrency, and
//! the publisher's own overhead per post (time not spent waiting for Graph).
//!
//! `cargo run --release --features ssr --example publisher_bench -- [posts] [accounts] [concurrency] [latency_ms]`

use std::time::{Duration, Instant};

use futures::StreamExt;
use graph_sim::{self as sim, SimApp};
use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::{redirect::Policy, Client};
use serde_json::{json, Value};
use social_media_uploader::{
    config::{Config, Vars},
    domain::{
        posts::{PostFilter, PostStatus},
        tenant::Tenant,
    },
    server,
};

const SECRET: &str = "benchmark-signing-secret-0123456789abcdefghij";

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let posts = *args.first().unwrap_or(&200);
    let accounts = *args.get(1).unwrap_or(&10);
    let concurrency = *args.get(2).unwrap_or(&8);
    let latency_ms = *args.get(3).unwrap_or(&50);

    let (sim, sim_addr) = sim::spawn_new("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sim_base = format!("http://{sim_addr}");
    let redirect_uri = format!("{base}/api/instagram/oauth/callback");
    sim.register_app(SimApp {
        app_id: "777".into(),
        app_secret: "bench-app-secret".into(),
        redirect_uris: vec![redirect_uri.clone()],
        require_appsecret_proof: true,
    });
    let data = std::env::temp_dir().join(format!("smu-bench-{}", std::process::id()));
    let config = Config::load(&Vars::from_map([
        ("INSTAGRAM_APP_ID", "777".to_string()),
        ("INSTAGRAM_APP_SECRET", "bench-app-secret".into()),
        ("INSTAGRAM_REDIRECT_URI", redirect_uri),
        ("GRAPH_API_BASE_URL", sim_base.clone()),
        ("FACEBOOK_DIALOG_BASE_URL", sim_base.clone()),
        // The simulator's file host serves the posts' images (checked before queueing).
        ("MEDIA_PRIVATE_ORIGINS", sim_base.clone()),
        ("JWT_SECRET", SECRET.into()),
        (
            "TOKEN_ENCRYPTION_KEY",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
        ),
        ("DEMO_MODE", "false".into()),
        ("DATA_DIR", data.to_string_lossy().into()),
        ("PUBLISHER_CONCURRENCY", concurrency.to_string()),
        ("PUBLISHER_POLL_MS", "50".into()),
        // Meta's daily limits (posts and containers per account) are out of the way here, as
        // in the simulator below: a backlog larger than they allow would wait a day.
        ("INSTAGRAM_DAILY_PUBLISH_LIMIT", "100000".into()),
        ("INSTAGRAM_DAILY_CONTAINER_LIMIT", "100000".into()),
        // The benchmark connects and posts faster than a person would.
        ("RATE_LIMIT_POSTS_PER_TENANT", "0".into()),
        ("RATE_LIMIT_CONNECT_PER_IP", "0".into()),
        ("RATE_LIMIT_CONNECT_PER_TENANT", "0".into()),
    ]))
    .unwrap();
    let storage = server::open_storage(&config).await.unwrap();
    let services = server::services(config, storage).unwrap();
    let leptos = leptos::config::get_configuration(Some("Leptos.toml"))
        .unwrap()
        .leptos_options;
    let running = server::serve(listener, leptos, services).await.unwrap();

    let http = Client::builder().redirect(Policy::none()).build().unwrap();
    let token = encode(
        &Header::default(),
        &json!({"customer_id": "bench", "user_id": "u", "exp": chrono::Utc::now().timestamp() + 3600}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let account_ids = connect_accounts(&http, &base, &sim_base, &token, accounts).await;
    http.post(format!("{sim_base}/_sim/settings"))
        .json(
            // The publisher's own cost is measured: Meta's limits and read delays are out of
            // the way (each has its own test).
            &json!({
                "latency_ms": latency_ms,
                "container_processing_ms": 0,
                "quota_total": 100000,
                "container_limit_per_day": 100000,
                "app_calls_per_user_per_hour": 1000000,
                "buc_calls_per_hour": 1000000,
                "fresh_object_invisible_ms": 0,
            }),
        )
        .send()
        .await
        .unwrap();
    let calls_before = graph_calls(&http, &sim_base).await;

    // Every post is scheduled for one moment, so the publisher starts with all of them due and the
    // measurement covers publishing only, not the API calls that queued them. They are created 16
    // at a time; the head start allows 4 ms per post (creating one reads the first bytes of its
    // image: the media check).
    let head_start = chrono::TimeDelta::milliseconds(2_000 + 4 * posts as i64);
    let due = chrono::Utc::now() + head_start;
    let queueing = Instant::now();
    futures::stream::iter(0..posts)
        .map(|i| {
            let body = json!({
                "account_id": account_ids[(i % accounts) as usize],
                "kind": "image",
                "media": [{"url": format!("{sim_base}/_sim/files/{i}.jpg"), "media_type": "image"}],
                "caption": format!("Benchmark post {i}"),
                "scheduled_at": due.to_rfc3339(),
            });
            let request = http
                .post(format!("{base}/api/social-media/instagram/posts"))
                .bearer_auth(&token)
                .json(&body)
                .send();
            async move { assert_eq!(request.await.unwrap().status(), 201) }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let queued = queueing.elapsed();
    let wait = (due - chrono::Utc::now())
        .to_std()
        .expect("queueing the posts took longer than the head start");
    tokio::time::sleep(wait).await;
    let started = Instant::now();
    wait_until_done(&running).await;
    let elapsed = started.elapsed();
    assert_eq!(
        published(&http, &base, &token).await,
        posts,
        "every post published"
    );
    let calls = graph_calls(&http, &sim_base).await - calls_before;
    let calls_per_post = calls as f64 / posts as f64;
    let round_trips = round_trips(
        &http,
        &sim_base,
        posts,
        concurrency,
        calls_per_post.round() as u64,
    )
    .await;
    running.stop().await;
    let _ = std::fs::remove_dir_all(&data);

    let graph_time_per_post = calls_per_post * latency_ms as f64 / 1000.0;
    let ideal = concurrency as f64 / graph_time_per_post;
    let measured = posts as f64 / elapsed.as_secs_f64();
    let busy_per_post = elapsed.as_secs_f64() * concurrency as f64 / posts as f64;
    let bare = posts as f64 / round_trips.as_secs_f64();
    println!("| posts | accounts | concurrency | Graph latency | Graph calls/post | throughput | ideal | of ideal | the calls alone | of the calls alone | overhead/post |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {posts} | {accounts} | {concurrency} | {latency_ms} ms | {calls_per_post:.1} | {measured:.1} posts/s | {ideal:.1} posts/s | {:.0}% | {bare:.1} posts/s | {:.0}% | {:.1} ms |",
        100.0 * measured / ideal,
        100.0 * measured / bare,
        (busy_per_post - graph_time_per_post).max(0.0) * 1000.0
    );
    println!(
        "(queued {posts} posts through the API in {:.2} s, {:.1} ms each; published in {:.2} s once due)",
        queued.as_secs_f64(),
        queued.as_secs_f64() * 1000.0 / posts as f64,
        elapsed.as_secs_f64()
    );
}

/// Connects `n` simulated Instagram accounts through the real OAuth flow, from a browser the
/// platform's hand-off signed in (a flow finishes only in its own browser).
async fn connect_accounts(
    http: &Client,
    base: &str,
    sim: &str,
    token: &str,
    n: u64,
) -> Vec<String> {
    let browser = Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let signed_in = browser
        .post(format!("{base}/auth/session"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    for i in 0..n {
        let user: Value = http
            .post(format!("{sim}/_sim/users"))
            .json(&json!({"name": format!("Bench {i}"), "pages": [{"instagram": {"username": format!("bench.account.{i}")}}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let started = browser
            .post(format!("{base}/connect/instagram"))
            .form(&[("mode", "popup")])
            .send()
            .await
            .unwrap();
        let dialog = started.headers()["location"].to_str().unwrap();
        let auth_url = reqwest::Url::parse(dialog).unwrap();
        let mut form: Vec<(String, String)> = auth_url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.extend([
            (
                "user_id".to_string(),
                user["user_id"].as_str().unwrap().to_string(),
            ),
            ("action".into(), "continue".into()),
            ("defaults".into(), "1".into()),
        ]);
        let confirm = format!("{sim}{}/confirm", auth_url.path());
        let callback = http.post(confirm).form(&form).send().await.unwrap();
        let location = callback.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(browser.get(location).send().await.unwrap().status(), 200);
    }
    let list = get_json(
        http,
        &format!("{base}/api/social-media/instagram/credentials"),
        token,
    )
    .await;
    list["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["_id"].as_str().unwrap().to_string())
        .collect()
}

async fn graph_calls(http: &Client, sim: &str) -> u64 {
    let calls: Value = http
        .get(format!("{sim}/_sim/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Every call received: the listing itself keeps only the latest.
    calls["total"].as_u64().unwrap()
}

/// The baseline, in the same run: the same number of Graph round trips per post, `concurrency`
/// posts at a time, with nothing else (no publisher, no store). Each is a call Graph answers after
/// the same latency (a refusal, as it carries no token), so it shows what HTTP and timers cost on
/// this machine: the throughput the publisher could reach if its own work were free.
async fn round_trips(
    http: &Client,
    sim: &str,
    posts: u64,
    concurrency: u64,
    calls_per_post: u64,
) -> Duration {
    let url = format!("{sim}/v21.0/me?fields=id");
    let started = Instant::now();
    futures::stream::iter(0..posts)
        .map(|_| async {
            for _ in 0..calls_per_post {
                let answer = http.get(&url).send().await.unwrap();
                assert_eq!(answer.status(), 400, "an unauthenticated call is refused");
                answer.bytes().await.unwrap();
            }
        })
        .buffer_unordered(concurrency as usize)
        .collect::<Vec<()>>()
        .await;
    started.elapsed()
}

/// GETs `url` as the benchmark's customer and parses the JSON answer.
async fn get_json(http: &Client, url: &str, token: &str) -> Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until no post is left to publish: one indexed read of the store every 50 ms, so
/// watching costs the publisher nothing measurable.
async fn wait_until_done(running: &server::Running) {
    let tenant = Tenant::new("bench", "u").unwrap();
    let pending = PostFilter {
        statuses: PostStatus::PENDING.to_vec(),
        limit: 1,
        ..Default::default()
    };
    let posts = &running.services.storage.posts;
    while !posts
        .list(&tenant, &pending)
        .await
        .unwrap()
        .posts
        .is_empty()
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many of the tenant's posts are published, read through the API.
async fn published(http: &Client, base: &str, token: &str) -> u64 {
    let mut published = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/social-media/instagram/posts?status=published&limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = get_json(http, &url, token).await;
        published += page["posts"].as_array().unwrap().len() as u64;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return published,
        }
    }
}
