//! §1–§3 Instagram Login (Business Login for Instagram): its own app, the www.instagram.com
//! dialog, the api.instagram.com code exchange and graph.instagram.com (path prefix `/_ig`).

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

const IG_APP: &str = "855566677788899";
const IG_SECRET: &str = "ig-app-secret";
const IG_REDIRECT: &str = "https://app.test/instagram/callback";
const IG_SCOPES: &str = "instagram_business_basic,instagram_business_content_publish";

async fn register(t: &TestSim) {
    let response = t
        .post_json(
            "/_sim/instagram_apps",
            json!({ "app_id": IG_APP, "app_secret": IG_SECRET, "redirect_uris": [IG_REDIRECT] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn authorize(t: &TestSim, action: &str, ig_user_id: &str) -> String {
    let response = t
        .http
        .post(t.url("/oauth/authorize/confirm"))
        .form(&[
            ("client_id", IG_APP),
            ("redirect_uri", IG_REDIRECT),
            ("scope", IG_SCOPES),
            ("state", "s1"),
            ("ig_user_id", ig_user_id),
            ("action", action),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn exchange(t: &TestSim, code: &str) -> (StatusCode, Value) {
    let response = t
        .http
        .post(t.url("/oauth/access_token"))
        .form(&[
            ("client_id", IG_APP),
            ("client_secret", IG_SECRET),
            ("grant_type", "authorization_code"),
            ("redirect_uri", IG_REDIRECT),
            ("code", code),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Dialog and exchange: (short token, ig user id).
async fn ig_login(t: &TestSim) -> (String, String) {
    register(t).await;
    let created = t.scenario("happy").await;
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap()
        .to_string();
    let location = authorize(t, "allow", &ig).await;
    let code = query_param(&location, "code").unwrap();
    let (status, body) = exchange(t, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (body["access_token"].as_str().unwrap().to_string(), ig)
}

async fn long_lived(t: &TestSim, short: &str) -> (StatusCode, Value) {
    t.graph_get(
        "/_ig/access_token",
        &[
            ("grant_type", "ig_exchange_token"),
            ("client_secret", IG_SECRET),
            ("access_token", short),
        ],
    )
    .await
}

#[tokio::test]
async fn the_instagram_dialog_redirects_with_a_code_and_the_exchange_gives_a_one_hour_token() {
    let t = TestSim::start().await;
    register(&t).await;
    let created = t.scenario("happy").await;
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    let page = t
        .http
        .get(t.url("/oauth/authorize"))
        .query(&[
            ("client_id", IG_APP),
            ("redirect_uri", IG_REDIRECT),
            ("response_type", "code"),
            ("scope", IG_SCOPES),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("@happy.bakery_t"), "{html}");
    assert!(html.contains("action=\"/oauth/authorize/confirm\""));

    let location = authorize(&t, "allow", ig).await;
    assert!(location.starts_with(&format!("{IG_REDIRECT}?code=")));
    assert!(location.ends_with("&state=s1#_"), "{location}");
    let code = query_param(&location, "code").unwrap();
    let (status, body) = exchange(&t, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], ig);
    assert_eq!(body["permissions"], IG_SCOPES);
    let token = body["access_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("IGAA"));

    // Codes work once; errors in api.instagram.com's flat shape.
    let (status, body) = exchange(&t, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_type"], "OAuthException");
    assert_eq!(body["code"], 400);
    assert!(body["error_message"].is_string());

    // The short token lives an hour.
    t.advance(3601.0).await;
    let (_, body) = t
        .graph_get("/_ig/v25.0/me", &[("access_token", &token)])
        .await;
    assert_error(&body, 190, Some(463));
}

#[tokio::test]
async fn cancelling_the_instagram_dialog_and_unknown_scopes() {
    let t = TestSim::start().await;
    register(&t).await;
    let created = t.scenario("happy").await;
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    let location = authorize(&t, "cancel", ig).await;
    assert_eq!(
        location,
        format!("{IG_REDIRECT}?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=s1#_")
    );
    let response = t
        .http
        .get(t.url("/oauth/authorize"))
        .query(&[
            ("client_id", IG_APP),
            ("redirect_uri", IG_REDIRECT),
            ("scope", "instagram_basic,business_basic"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Invalid Scopes: instagram_basic, business_basic"));
}

#[tokio::test]
async fn the_long_lived_exchange_is_unversioned_and_a_versioned_path_is_unsupported() {
    let t = TestSim::start().await;
    let (short, _) = ig_login(&t).await;
    let (status, body) = t
        .graph_get(
            "/_ig/v25.0/access_token",
            &[
                ("grant_type", "ig_exchange_token"),
                ("client_secret", IG_SECRET),
                ("access_token", &short),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Unsupported request - method type: get"
    );
    let (status, body) = long_lived(&t, &short).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 5_184_000);
}

#[tokio::test]
async fn refresh_needs_a_day_old_unexpired_long_lived_token() {
    let t = TestSim::start().await;
    let (short, _) = ig_login(&t).await;
    let long = long_lived(&t, &short).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh = |token: String| {
        let t = &t;
        async move {
            t.graph_get(
                "/_ig/refresh_access_token",
                &[
                    ("grant_type", "ig_refresh_token"),
                    ("access_token", token.as_str()),
                ],
            )
            .await
        }
    };
    let (status, body) = refresh(long.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "under 24 h: {body}");
    t.advance(86_401.0).await;
    let (status, body) = refresh(long.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], 5_184_000);
    let renewed = body["access_token"].as_str().unwrap().to_string();
    // The old one expires on its own schedule; refreshing it then is refused (new login).
    t.advance(5_184_000.0 - 86_400.0).await;
    let (_, body) = refresh(long).await;
    assert_error(&body, 190, Some(463));
    let (status, _) = t
        .graph_get("/_ig/v25.0/me", &[("access_token", &renewed)])
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn me_on_graph_instagram_com_and_each_host_refuses_the_other_hosts_tokens() {
    let t = TestSim::start().await;
    let (short, ig) = ig_login(&t).await;
    let (status, me) = t
        .graph_get(
            "/_ig/v25.0/me",
            &[
                ("access_token", &short),
                (
                    "fields",
                    "user_id,username,name,profile_picture_url,account_type",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user_id"], ig.as_str());
    assert_eq!(me["username"], "happy.bakery_t");
    assert_eq!(me["account_type"], "BUSINESS");
    assert!(me["profile_picture_url"].is_string());

    // The same path without the prefix but with graph.instagram.com's Host header.
    let response = t
        .http
        .get(t.url("/v25.0/me"))
        .header("host", "graph.instagram.com")
        .query(&[("access_token", short.as_str()), ("fields", "username")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // graph.facebook.com cannot parse an Instagram Login token, and the other way round.
    let (_, body) = t.graph_get("/v25.0/me", &[("access_token", &short)]).await;
    assert_error(&body, 190, None);
    let (fb_token, ..) = {
        let created = t
            .create_user(json!({ "pages": [{ "instagram": { "username": "fb.side" } }] }))
            .await;
        (t.login(created["user_id"].as_str().unwrap()).await, ())
    };
    let (_, body) = t
        .graph_get("/_ig/v25.0/me", &[("access_token", &fb_token)])
        .await;
    assert_error(&body, 190, None);
}

#[tokio::test]
async fn instagram_login_tokens_publish_on_graph_instagram_com() {
    let t = TestSim::start().await;
    let (short, ig) = ig_login(&t).await;
    let (status, body) = t
        .graph_post(
            &format!("/_ig/v25.0/{ig}/media"),
            &[
                ("access_token", short.as_str()),
                ("image_url", "https://cdn.example.test/p.jpg"),
                ("caption", "From Instagram Login"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let container = body["id"].as_str().unwrap().to_string();
    t.advance(2.0).await;
    let (status, body) = t
        .graph_get(
            &format!("/_ig/v25.0/{container}"),
            &[("access_token", short.as_str()), ("fields", "status_code")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status_code"], "FINISHED");
    let (status, body) = t
        .graph_post(
            &format!("/_ig/v25.0/{ig}/media_publish"),
            &[
                ("access_token", short.as_str()),
                ("creation_id", &container),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .graph_get(
            &format!("/_ig/v25.0/{ig}/content_publishing_limit"),
            &[("access_token", short.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["quota_usage"], 1);
    assert_eq!(t.media_count(&ig).await, 1);

    // Without instagram_business_content_publish: #10 naming the Instagram Login scope.
    let location = {
        let response = t
            .http
            .post(t.url("/oauth/authorize/confirm"))
            .form(&[
                ("client_id", IG_APP),
                ("redirect_uri", IG_REDIRECT),
                ("scope", "instagram_business_basic"),
                ("ig_user_id", ig.as_str()),
                ("action", "allow"),
            ])
            .send()
            .await
            .unwrap();
        response.headers()["location"].to_str().unwrap().to_string()
    };
    let code = query_param(&location, "code").unwrap();
    let token = exchange(&t, &code).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, body) = t
        .graph_post(
            &format!("/_ig/v25.0/{ig}/media"),
            &[
                ("access_token", token.as_str()),
                ("image_url", "https://cdn.example.test/p.jpg"),
            ],
        )
        .await;
    assert_error(&body, 10, None);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("instagram_business_content_publish"));
}
