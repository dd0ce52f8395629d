//! What an anonymous or abusive client can take is bounded (docs/security.md N1, RL1): a deadline
//! for sending a request's head, a cap on its size, a cap on connections, and rate limits with
//! `Retry-After`. Every answer, layer-made ones included, carries the security headers, and none
//! may be stored by a cache (B3).

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{json, token, unique, Backend, Options, TestApp};

async fn spawn(extra: Vec<(&'static str, &str)>) -> TestApp {
    TestApp::spawn_with(
        Backend::Embedded,
        Options {
            extra: extra.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
            ..Options::default()
        },
    )
    .await
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Opens a connection and sends the start of a request head, never its end.
async fn half_sent(app: &TestApp) -> TcpStream {
    let mut tcp = TcpStream::connect(addr(app)).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tcp
}

#[tokio::test]
async fn an_oversized_request_head_gets_431() {
    let app = spawn(vec![]).await;
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    // A head within the limit is served.
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-padding", "a".repeat(4 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_cut_off() {
    let app = spawn(vec![("HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut tcp = half_sent(&app).await;
    let mut buf = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("the server closes the connection within its deadline");
    // Closed (0 bytes), perhaps after a 408; never a served request.
    let answer = String::from_utf8_lossy(&buf[..read.unwrap_or(0)]).to_string();
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_a_free_slot() {
    let app = spawn(vec![
        ("MAX_CONNECTIONS", "2"),
        ("HEADER_READ_TIMEOUT_SECS", "30"),
    ])
    .await;
    let held = [half_sent(&app).await, half_sent(&app).await];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    assert!(
        client.get(app.url("/healthz")).send().await.is_err(),
        "no third connection is served while two are held"
    );
    drop(held);
    let mut served = false;
    for _ in 0..20 {
        if client
            .get(app.url("/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            served = true;
            break;
        }
    }
    assert!(served, "once the slots are free, requests are served again");
}

#[tokio::test]
async fn connecting_too_often_gets_429_with_retry_after() {
    let app = spawn(vec![("RATE_LIMIT_CONNECT_PER_TENANT", "2")]).await;
    let customer = unique("acme");
    let initiate = |customer: String| {
        let app = &app;
        async move {
            app.get(
                "/api/social-media/instagram/oauth/initiate",
                &token(&customer, "u1"),
            )
            .await
        }
    };
    assert_eq!(initiate(customer.clone()).await.status(), 200);
    assert_eq!(initiate(customer.clone()).await.status(), 200);
    let limited = initiate(customer.clone()).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (_, body) = json(limited).await;
    assert_eq!(body["status"], "error");
    assert!(body["message"].as_str().unwrap().contains("Try again in"));
    assert_eq!(
        initiate(unique("other")).await.status(),
        200,
        "each tenant has its own allowance"
    );
}

#[tokio::test]
async fn signing_in_too_often_from_one_address_gets_429() {
    let app = spawn(vec![("RATE_LIMIT_SIGN_IN_PER_IP", "2")]).await;
    let jwt = token(&unique("acme"), "alice");
    let mut statuses = vec![];
    for _ in 0..3 {
        let r = app
            .browser()
            .post(app.url("/auth/session"))
            .form(&[("token", jwt.as_str())])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [303, 303, 429]);
}

#[tokio::test]
async fn creating_posts_too_fast_gets_429_and_creates_nothing() {
    let app = spawn(vec![("RATE_LIMIT_POSTS_PER_TENANT", "1")]).await;
    let jwt = token(&unique("acme"), "alice");
    let post = || {
        app.http
            .post(app.url("/api/social-media/instagram/posts"))
            .bearer_auth(&jwt)
            .json(&serde_json::json!({
                "account_id": "none", "kind": "image",
                "media": [{"url": "https://cdn.example.com/a.jpg", "media_type": "image"}],
            }))
            .send()
    };
    // The first is refused for its account (422), the second for its rate (429).
    assert_eq!(post().await.unwrap().status(), 422);
    let limited = post().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn every_answer_is_hardened_and_none_is_cached() {
    let app = spawn(vec![]).await;
    let too_large = app
        .http
        .post(app.url("/api/social-media/instagram/posts"))
        .bearer_auth(token(&unique("acme"), "alice"))
        .header("content-type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    let unauthorized = app
        .http
        .get(app.url("/api/social-media/instagram/credentials"))
        .send()
        .await
        .unwrap();
    let page = app.http.get(app.url("/")).send().await.unwrap();
    for (what, r) in [
        ("a body too large (a layer's 413)", too_large),
        ("an API refusal", unauthorized),
        ("a page", page),
    ] {
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert!(h.contains_key("content-security-policy"), "{what}");
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
        assert_eq!(h["cache-control"], "no-store", "{what}");
    }
}
