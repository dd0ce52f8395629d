//! Who may call the API: a valid platform JWT, with tenant headers that agree with it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::support::{json, token, token_with, unique, Backend, TestApp, JWT_SECRET};

const CREDENTIALS: &str = "/api/social-media/instagram/credentials";

#[tokio::test]
async fn a_valid_token_is_enough() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let (status, body) = json(app.get(CREDENTIALS, &token(&unique("c"), "u")).await).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"status": "success", "credentials": []}));
}

#[tokio::test]
async fn sub_stands_in_for_a_missing_user_id() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let (status, _) = json(
        app.get(
            CREDENTIALS,
            &token_with(json!({"customer_id": "c", "sub": "u"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn missing_or_bad_tokens_get_401_with_a_reason() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let now = chrono::Utc::now().timestamp();
    let none_alg = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        B64.encode(json!({"customer_id": "c", "user_id": "u", "exp": now + 60}).to_string())
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("empty bearer", Some("Bearer ".into())),
        ("basic auth", Some("Basic dXNlcjpwYXNz".into())),
        ("two segments", Some("Bearer abc.def".into())),
        ("garbage", Some("Bearer not-a-jwt".into())),
        ("alg none", Some(format!("Bearer {none_alg}"))),
        ("expired", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "exp": now - 300}))))),
        ("not yet valid", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "nbf": now + 300}))))),
        ("wrong issuer", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "iss": "https://evil.test"}))))),
        ("wrong audience", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "aud": "someone-else"}))))),
        ("no customer", Some(format!("Bearer {}", token_with(json!({"user_id": "u"}))))),
        (
            "missing exp",
            Some(format!(
                "Bearer {}",
                encode(&Header::default(), &json!({"customer_id": "c", "user_id": "u", "iss": crate::support::JWT_ISSUER, "aud": crate::support::JWT_AUDIENCE}), &EncodingKey::from_secret(JWT_SECRET.as_bytes())).unwrap()
            )),
        ),
        (
            "HS512 instead of the pinned HS256",
            Some(format!(
                "Bearer {}",
                encode(&Header::new(Algorithm::HS512), &json!({"customer_id": "c", "user_id": "u", "exp": now + 60, "iss": crate::support::JWT_ISSUER, "aud": crate::support::JWT_AUDIENCE}), &EncodingKey::from_secret(JWT_SECRET.as_bytes())).unwrap()
            )),
        ),
        ("16 KB token", Some(format!("Bearer {}", "a".repeat(16 * 1024)))),
        ("iss not a string", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "iss": ["https://platform.test"]}))))),
        ("exp years ahead", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "exp": now + 3 * 365 * 86400}))))),
        ("iat in the future", Some(format!("Bearer {}", token_with(json!({"customer_id": "c", "user_id": "u", "iat": now + 3600}))))),
    ];
    for (name, header) in cases {
        let mut request = app.http.get(app.url(CREDENTIALS));
        if let Some(h) = header {
            request = request.header("authorization", h);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let www = response.headers().get("www-authenticate").cloned();
        let (_, body) = json(response).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["status"], "error", "{name}");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{name}");
        assert_eq!(www.unwrap(), "Bearer", "{name}");
    }
}

#[tokio::test]
async fn tenant_headers_must_match_the_token() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let t = token("acme", "alice");
    let send = |headers: Vec<(&'static str, &'static str)>| {
        let mut r = app.http.get(app.url(CREDENTIALS)).bearer_auth(&t);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    assert_eq!(
        send(vec![("x-customer-id", "acme"), ("x-user-id", "alice")])
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        send(vec![("x-customer-id", "globex")])
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        send(vec![("x-user-id", "mallory")]).await.unwrap().status(),
        403
    );
    assert_eq!(
        send(vec![("x-customer-id", "acme"), ("x-customer-id", "globex")])
            .await
            .unwrap()
            .status(),
        400
    );
    let (status, body) = json(send(vec![("x-customer-id", "globex")]).await.unwrap()).await;
    assert_eq!(status, 403);
    assert!(
        body["message"].as_str().unwrap().contains("X-Customer-ID")
            || body["message"].as_str().unwrap().contains("x-customer-id")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors_for_the_api() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let t = token("acme", "alice");
    let r = app
        .http
        .put(app.url(CREDENTIALS))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}
