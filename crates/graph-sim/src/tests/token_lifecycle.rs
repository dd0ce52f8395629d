//! §3 "Token endpoints and lifecycle" and "What invalidates tokens": the clock, the ways a
//! token dies (control API), data access lapsing, and what `debug_token` says about it all.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

fn app_token() -> String {
    format!("{APP_ID}|{APP_SECRET}")
}

async fn debug(t: &TestSim, token: &str) -> Value {
    let (status, body) = t
        .graph_get(
            "/v23.0/debug_token",
            &[("input_token", token), ("access_token", &app_token())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

async fn page_token(t: &TestSim, user_token: &str) -> String {
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", user_token), ("fields", "id,access_token")],
        )
        .await;
    accounts["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A new person with one Page and IG account, logged in: (token, ig id, page id, user id).
async fn fresh_login(t: &TestSim, username: &str) -> (String, String, String, String) {
    let created = t
        .create_user(json!({ "pages": [{ "instagram": { "username": username } }] }))
        .await;
    let user_id = created["user_id"].as_str().unwrap().to_string();
    let token = t.login(&user_id).await;
    let page = &created["pages"][0];
    (
        token,
        page["instagram_business_account_id"]
            .as_str()
            .unwrap()
            .to_string(),
        page["id"].as_str().unwrap().to_string(),
        user_id,
    )
}

async fn kill(t: &TestSim, user_id: &str, action: &str, body: Value) {
    let response = t
        .post_json(&format!("/_sim/users/{user_id}/tokens/{action}"), body)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{action}");
}

#[tokio::test]
async fn each_way_a_token_dies_answers_meta_error_on_every_later_call_and_in_debug_token() {
    let t = TestSim::start().await;
    let cases: [(&str, i64, Option<i64>, &str); 7] = [
        (
            "app_removed",
            190,
            Some(458),
            "has not authorized application",
        ),
        ("checkpoint", 190, Some(459), "log in to www.instagram.com"),
        ("password_changed", 190, Some(460), "changed their password"),
        ("invalidate", 190, Some(460), "changed their password"),
        ("unconfirmed", 190, Some(464), "not a confirmed user"),
        ("invalid", 190, Some(467), "session is invalid"),
        ("session_invalid", 102, None, "Session key invalid"),
    ];
    for (action, code, subcode, text) in cases {
        let (token, ig, _, user_id) = fresh_login(&t, &format!("dies.{action}")).await;
        let page = page_token(&t, &token).await;
        kill(&t, &user_id, action, json!({})).await;
        for tok in [&token, &page] {
            let (status, body) = t.graph_get("/v23.0/me", &[("access_token", tok)]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_error(&body, code, subcode);
            assert!(
                body["error"]["message"].as_str().unwrap().contains(text),
                "{action}: {body}"
            );
            let (_, body) = t
                .graph_get(&format!("/v23.0/{ig}"), &[("access_token", tok)])
                .await;
            assert_error(&body, code, subcode);
        }
        let data = debug(&t, &token).await;
        assert_eq!(data["is_valid"], false, "{action}");
        assert_eq!(data["error"]["code"], code);
        assert_eq!(
            data["error"].get("subcode").cloned(),
            subcode.map(|s| json!(s))
        );
        assert!(data["error"]["message"].is_string());
        // A new login works again.
        let fresh = t.login(&user_id).await;
        assert_eq!(
            t.graph_get("/v23.0/me", &[("access_token", &fresh)])
                .await
                .0,
            StatusCode::OK,
            "{action}"
        );
    }
}

#[tokio::test]
async fn the_checkpoint_body_can_be_the_facebook_or_session_key_text() {
    let t = TestSim::start().await;
    for (variant, text) in [
        ("facebook", "log in to www.facebook.com"),
        (
            "session_key",
            "Session key is malformed because of invalid user id",
        ),
    ] {
        let (token, _, _, user_id) = fresh_login(&t, &format!("hold.{variant}")).await;
        kill(&t, &user_id, "checkpoint", json!({ "variant": variant })).await;
        let (_, body) = t.graph_get("/v23.0/me", &[("access_token", &token)]).await;
        assert_error(&body, 190, Some(459));
        assert!(body["error"]["message"].as_str().unwrap().contains(text));
    }
}

#[tokio::test]
async fn losing_the_page_role_kills_that_pages_tokens_with_492() {
    let t = TestSim::start().await;
    let created = t.scenario("multi_instagram").await;
    let user_id = created["user_id"].as_str().unwrap();
    let lost = created["pages"][0]["id"].as_str().unwrap();
    let token = t.login(user_id).await;
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &token), ("fields", "id,access_token")],
        )
        .await;
    let tokens: Vec<String> = accounts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["access_token"].as_str().unwrap().to_string())
        .collect();
    kill(&t, user_id, "page_role_lost", json!({ "page_id": lost })).await;
    let (_, body) = t
        .graph_get("/v23.0/me", &[("access_token", &tokens[0])])
        .await;
    assert_error(&body, 190, Some(492));
    // The other Pages' tokens and the user token live on; the Page is gone from the list.
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &tokens[1])])
            .await
            .0,
        StatusCode::OK
    );
    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    let ids: Vec<&str> = accounts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&lost));
    assert_eq!(ids.len(), 2);
}

#[tokio::test]
async fn garbage_tokens_get_a_bare_190() {
    let t = TestSim::start().await;
    let (_, body) = t
        .graph_get("/v23.0/me", &[("access_token", "not a token at all")])
        .await;
    assert_error(&body, 190, None);
    assert_eq!(
        body["error"]["message"],
        "Invalid OAuth access token - Cannot parse access token"
    );
}

#[tokio::test]
async fn the_clock_ends_short_tokens_in_hours_and_long_tokens_after_sixty_days() {
    let t = TestSim::start().await;
    let (short, ..) = t.happy_login().await;
    let (_, long) = t.long_lived(&short).await;
    assert_eq!(long["expires_in"], 5_183_944);
    let long = long["access_token"].as_str().unwrap().to_string();
    t.advance(5_400.0).await;
    assert_error(
        &t.graph_get("/v23.0/me", &[("access_token", &short)])
            .await
            .1,
        190,
        Some(463),
    );
    t.advance(5_183_944.0 - 5_400.0 - 10.0).await;
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &long)]).await.0,
        StatusCode::OK
    );
    t.advance(10.0).await;
    assert_error(
        &t.graph_get("/v23.0/me", &[("access_token", &long)]).await.1,
        190,
        Some(463),
    );
}

#[tokio::test]
async fn the_long_lived_exchange_can_omit_expires_in() {
    let t = TestSim::start().await;
    t.settings(json!({ "long_lived_expires_in_omitted": true }))
        .await;
    let (short, ..) = t.happy_login().await;
    let (status, body) = t.long_lived(&short).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("expires_in").is_none(), "{body}");
    assert_eq!(body["token_type"], "bearer");
    let data = debug(&t, body["access_token"].as_str().unwrap()).await;
    assert!(data["expires_at"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn data_access_lapses_after_inactivity_and_only_reauthorize_restores_it() {
    let t = TestSim::start().await;
    // 1000 s instead of 90 days, so the long-lived token outlives it.
    t.settings(json!({ "data_access_secs": 1000 })).await;
    let (short, ig, _, user_id) = t.happy_login().await;
    let long = t.long_lived(&short).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let page = page_token(&t, &long).await;

    // Activity moves the window.
    t.advance(900.0).await;
    let response = t
        .post_json(&format!("/_sim/users/{user_id}/activity"), json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    t.advance(900.0).await;
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &long)]).await.0,
        StatusCode::OK
    );
    t.advance(101.0).await;

    // Lapsed: the token validates, data calls fail, /me/permissions still answers.
    let data = debug(&t, &long).await;
    assert_eq!(data["is_valid"], true);
    let (status, body) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &long)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 200, None);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("reauthorize"));
    assert_eq!(
        t.graph_get("/v23.0/me/permissions", &[("access_token", &long)])
            .await
            .0,
        StatusCode::OK
    );
    // The Page token publishes on (default), unless the switch says otherwise.
    let post = |tok: String| {
        let t = &t;
        let ig = ig.clone();
        async move {
            t.graph_post(
                &format!("/v23.0/{ig}/media"),
                &[
                    ("access_token", tok.as_str()),
                    ("image_url", "https://cdn.example.test/a.jpg"),
                ],
            )
            .await
        }
    };
    assert_eq!(post(page.clone()).await.0, StatusCode::OK);
    t.settings(json!({ "data_access_lapse_blocks_page_tokens": true }))
        .await;
    assert_error(&post(page.clone()).await.1, 200, None);

    // A plain dialog run does not restore it; auth_type=reauthorize does.
    let token = t.login(&user_id).await;
    assert_error(
        &t.graph_get("/v23.0/me/accounts", &[("access_token", &token)])
            .await
            .1,
        200,
        None,
    );
    let code = t
        .code_with(&user_id, &[("defaults", "1"), ("auth_type", "reauthorize")])
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.graph_get("/v23.0/me/accounts", &[("access_token", &token)])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(post(page).await.0, StatusCode::OK);

    // The control API can lapse it at once.
    kill(&t, &user_id, "lapse_data_access", json!({})).await;
    assert_error(
        &t.graph_get("/v23.0/me", &[("access_token", &token)])
            .await
            .1,
        200,
        None,
    );
}
