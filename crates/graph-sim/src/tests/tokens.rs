//! Token checks on user-token calls: 2500, 190, 190/463, 190/460, appsecret_proof.

use reqwest::StatusCode;
use serde_json::json;

use super::super::auth::expected_proof;
use super::*;

#[tokio::test]
async fn missing_and_unknown_tokens() {
    let t = TestSim::start().await;
    let (status, body) = t.graph_get("/v23.0/me", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 2500, None);
    assert_eq!(
        body["error"]["message"],
        "An active access token must be used to query information about the current user."
    );
    let (_, body) = t
        .graph_get("/v23.0/me", &[("access_token", "EAAGunknown")])
        .await;
    assert_error(&body, 190, None);
    assert_eq!(
        body["error"]["message"],
        "Invalid OAuth access token - Cannot parse access token"
    );
}

#[tokio::test]
async fn short_lived_token_expires_with_463_after_clock_advance() {
    let t = TestSim::start().await;
    let (short, ..) = t.happy_login().await;
    let long = t.long_lived(&short).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &short)])
            .await
            .0,
        StatusCode::OK
    );
    t.advance(5401.0).await;
    let (status, body) = t.graph_get("/v23.0/me", &[("access_token", &short)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 190, Some(463));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Error validating access token: Session has expired on "),
        "{message}"
    );
    assert!(message.contains(". The current time is "));
    // The long-lived token lives on.
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &long)]).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn control_api_expires_and_invalidates_all_tokens_of_a_user() {
    let t = TestSim::start().await;
    let (token, _, _, user_id) = t.happy_login().await;
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &token), ("fields", "id,access_token")],
        )
        .await;
    let page_token = accounts["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let response = t
        .post_json(&format!("/_sim/users/{user_id}/tokens/expire"), json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for tok in [&token, &page_token] {
        let (_, body) = t.graph_get("/v23.0/me", &[("access_token", tok)]).await;
        assert_error(&body, 190, Some(463));
    }
    t.post_json(
        &format!("/_sim/users/{user_id}/tokens/invalidate"),
        json!({}),
    )
    .await;
    let (_, body) = t
        .graph_get("/v23.0/me", &[("access_token", &page_token)])
        .await;
    assert_error(&body, 190, Some(460));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("changed their password"));
}

#[tokio::test]
async fn appsecret_proof_is_required_when_the_app_says_so() {
    let t = TestSim::start_with(true).await;
    let (token, ..) = t.happy_login().await;

    let (status, body) = t.graph_get("/v23.0/me", &[("access_token", &token)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 100, None);
    assert_eq!(
        body["error"]["message"],
        "API calls from the server require an appsecret_proof argument"
    );

    let (_, body) = t
        .graph_get(
            "/v23.0/me",
            &[("access_token", &token), ("appsecret_proof", "00ff")],
        )
        .await;
    assert_eq!(
        body["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );

    let proof = expected_proof(APP_SECRET, &token, None);
    let (status, body) = t
        .graph_get(
            "/v23.0/me",
            &[("access_token", &token), ("appsecret_proof", &proof)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The call log tells the three apart and never echoes the token.
    let calls = t.get_json("/_sim/calls?path_contains=/me").await;
    let proofs: Vec<&str> = calls["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["appsecret_proof"].as_str().unwrap())
        .collect();
    assert_eq!(proofs, ["absent", "invalid", "valid"]);
    assert_eq!(calls["count"], 3);
    let all_calls = t.get_json("/_sim/calls").await.to_string();
    assert!(!all_calls.contains(&token));
    assert!(!all_calls.contains(APP_SECRET));
}

#[tokio::test]
async fn tokens_are_accepted_in_the_authorization_header() {
    let t = TestSim::start().await;
    let (token, ..) = t.happy_login().await;
    for scheme in ["OAuth", "Bearer"] {
        let response = t
            .http
            .get(t.url("/me"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // Usage headers wait until usage is high (`usage_headers_from_percent`).
        assert!(!response.headers().contains_key("x-app-usage"));
        assert_eq!(response.headers()["facebook-api-version"], "v23.0");
    }
    // On errors, x-fb-trace-id repeats the envelope's fbtrace_id.
    let response = t.http.get(t.url("/v19.0/me")).send().await.unwrap();
    assert_eq!(response.headers()["facebook-api-version"], "v19.0");
    let trace = response.headers()["x-fb-trace-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["fbtrace_id"], trace.as_str());
    {}
}
