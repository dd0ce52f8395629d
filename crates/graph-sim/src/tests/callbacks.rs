//! §8: Meta's deauthorize and data deletion callbacks, `signed_request` as Meta builds it.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use super::*;

/// A stand-in for the app: records each form body, answers like a data deletion endpoint.
async fn app_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let router = axum::Router::new().route(
        "/meta/{kind}",
        post(move |body: String| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(body);
                axum::Json(json!({
                    "url": "https://app.test/deletion/status/abc123",
                    "confirmation_code": "abc123",
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// Checks the form body as an app would and answers the payload.
fn verify(form_body: &str, secret: &str) -> Value {
    let (key, value) = url::form_urlencoded::parse(form_body.as_bytes())
        .next()
        .unwrap();
    assert_eq!(key, "signed_request");
    let (sig, payload) = value.split_once('.').unwrap();
    assert!(!value.contains('='), "base64url without padding");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap())
        .expect("HMAC-SHA256 of the payload segment with the app secret");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn deauthorize_posts_a_signed_request_and_removes_the_app_for_the_person() {
    let t = TestSim::start().await;
    let (app_base, seen) = app_server().await;
    let (token, _, _, user_id) = t.happy_login().await;
    let (_, me) = t.graph_get("/v23.0/me", &[("access_token", &token)]).await;
    assert_eq!(me["id"], user_id.as_str(), "the app-scoped id");

    let response = t
        .post_json(
            &format!("/_sim/apps/{APP_ID}/deauthorize"),
            json!({ "user_id": user_id, "url": format!("{app_base}/meta/deauthorize") }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], 200);
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let payload = verify(&bodies[0], APP_SECRET);
    assert_eq!(payload["algorithm"], "HMAC-SHA256");
    assert_eq!(payload["user_id"], user_id.as_str());
    assert!(payload["issued_at"].is_i64());
    assert_eq!(
        answer["signed_request"].as_str().unwrap(),
        url::form_urlencoded::parse(bodies[0].as_bytes())
            .next()
            .unwrap()
            .1
    );

    let (_, body) = t.graph_get("/v23.0/me", &[("access_token", &token)]).await;
    assert_error(&body, 190, Some(458));
}

#[tokio::test]
async fn data_deletion_posts_a_signed_request_and_returns_what_the_app_answered() {
    let t = TestSim::start().await;
    let (app_base, seen) = app_server().await;
    let response = t
        .post_json(
            "/_sim/apps",
            json!({
                "app_id": "744455566677788",
                "app_secret": "deletion-secret",
                "redirect_uris": [REDIRECT],
                "data_deletion_url": format!("{app_base}/meta/deletion"),
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (token, _, _, user_id) = t.happy_login().await;
    let response = t
        .post_json(
            "/_sim/apps/744455566677788/data_deletion",
            json!({ "user_id": user_id }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["body"]["confirmation_code"], "abc123");
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(
        verify(&bodies[0], "deletion-secret")["user_id"],
        user_id.as_str()
    );
    // A deletion request does not remove the app by itself.
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &token)])
            .await
            .0,
        StatusCode::OK
    );
    // No URL anywhere: 400.
    let response = t
        .post_json(
            &format!("/_sim/apps/{APP_ID}/data_deletion"),
            json!({ "user_id": user_id }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
