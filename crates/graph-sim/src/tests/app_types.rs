//! §1, §2: Business-type apps (Facebook Login for Business, `config_id`) and classic apps
//! (`scope`, remembered declines, `auth_type=rerequest`).

use reqwest::StatusCode;
use serde_json::json;

use super::super::{SimApp, SimAppOptions, SimLoginConfig};
use super::*;

const BUSINESS_APP: &str = "522233344455566";

async fn with_business_app(t: &TestSim) {
    t.sim.register_app_with(
        SimApp {
            app_id: BUSINESS_APP.into(),
            app_secret: "biz-secret".into(),
            redirect_uris: vec![REDIRECT.into()],
            require_appsecret_proof: false,
        },
        SimAppOptions {
            business: true,
            login_configs: vec![SimLoginConfig {
                config_id: "9001".into(),
                permissions: vec![
                    "pages_show_list".into(),
                    "instagram_basic".into(),
                    "instagram_content_publish".into(),
                ],
            }],
            ..SimAppOptions::default()
        },
    );
}

async fn granted(t: &TestSim, token: &str) -> (Vec<String>, Vec<String>) {
    let (_, perms) = t
        .graph_get("/v23.0/me/permissions", &[("access_token", token)])
        .await;
    let by = |status: &str| {
        perms["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == status)
            .map(|p| p["permission"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    (by("granted"), by("declined"))
}

#[tokio::test]
async fn a_business_app_without_config_id_shows_meta_error_page_and_never_redirects() {
    let t = TestSim::start().await;
    with_business_app(&t).await;
    t.scenario("happy").await;
    for query in [
        vec![
            ("client_id", BUSINESS_APP),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPES),
        ],
        vec![
            ("client_id", BUSINESS_APP),
            ("redirect_uri", REDIRECT),
            ("config_id", "424242"),
        ],
    ] {
        let response = t
            .http
            .get(t.url("/v23.0/dialog/oauth"))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(
            html.contains("It looks like this app isn&#39;t available"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_business_app_grants_every_configured_permission_while_the_person_picks_pages() {
    let t = TestSim::start().await;
    with_business_app(&t).await;
    let created = t.scenario("multi_instagram").await;
    let user_id = created["user_id"].as_str().unwrap();
    let second_page = created["pages"][1]["id"].as_str().unwrap();
    let html = t
        .http
        .get(t.url("/v23.0/dialog/oauth"))
        .query(&[
            ("client_id", BUSINESS_APP),
            ("redirect_uri", REDIRECT),
            ("config_id", "9001"),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"config_id\" value=\"9001\""));
    assert!(
        !html.contains("name=\"permission\""),
        "no per-permission boxes"
    );
    assert!(html.contains("name=\"page\""), "Pages are still picked");

    // Unticking a permission is impossible: `permission` fields are ignored.
    let response = t
        .confirm(&[
            ("client_id", BUSINESS_APP),
            ("redirect_uri", REDIRECT),
            ("config_id", "9001"),
            ("state", "s"),
            ("user_id", user_id),
            ("action", "continue"),
            ("page", second_page),
            ("permission", "pages_show_list"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let code = query_param(&location, "code").unwrap();
    let (_, body) = t
        .graph_get(
            "/v23.0/oauth/access_token",
            &[
                ("client_id", BUSINESS_APP),
                ("client_secret", "biz-secret"),
                ("redirect_uri", REDIRECT),
                ("code", &code),
            ],
        )
        .await;
    let token = body["access_token"].as_str().unwrap().to_string();
    let (granted, declined) = granted(&t, &token).await;
    assert_eq!(
        granted,
        [
            "public_profile",
            "pages_show_list",
            "instagram_basic",
            "instagram_content_publish"
        ]
    );
    assert!(declined.is_empty());
    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    assert_eq!(accounts["data"].as_array().unwrap().len(), 1);
    assert_eq!(accounts["data"][0]["id"], second_page);
}

#[tokio::test]
async fn business_apps_can_be_registered_through_the_control_api() {
    let t = TestSim::start().await;
    let response = t
        .post_json(
            "/_sim/apps",
            json!({
                "app_id": "633344455566677",
                "app_secret": "s",
                "redirect_uris": [REDIRECT],
                "app_type": "business",
                "login_configs": { "777": ["pages_show_list", "instagram_basic"] },
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = t
        .post_json(
            "/_sim/apps",
            json!({ "app_id": "1", "app_secret": "s", "app_type": "business" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    t.scenario("happy").await;
    let response = t
        .http
        .get(t.url("/dialog/oauth"))
        .query(&[
            ("client_id", "633344455566677"),
            ("redirect_uri", REDIRECT),
            ("config_id", "777"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn classic_declines_are_remembered_unless_auth_type_is_rerequest() {
    let t = TestSim::start().await;
    let created = t.scenario("declined_publish").await;
    let user_id = created["user_id"].as_str().unwrap();
    let token = t.login(user_id).await;
    let (_, declined) = granted(&t, &token).await;
    assert_eq!(declined, ["instagram_content_publish"]);

    // A plain second run does not offer it again, even when the form ticks it.
    let query = [
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPES),
    ];
    let html = t.dialog_html(&query).await;
    assert!(!html.contains("value=\"instagram_content_publish\""));
    assert!(html.contains("You declined earlier: instagram_content_publish"));
    let code = t
        .code_with(
            user_id,
            &[
                ("defaults", "1"),
                ("permission", "instagram_content_publish"),
            ],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (granted_now, declined) = granted(&t, &token).await;
    assert_eq!(granted_now, ["public_profile"]);
    assert!(declined.contains(&"instagram_content_publish".to_string()));

    // auth_type=rerequest offers it again.
    let html = t
        .http
        .get(t.url("/v23.0/dialog/oauth"))
        .query(&query)
        .query(&[("auth_type", "rerequest")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"instagram_content_publish\""));
    assert!(html.contains("name=\"auth_type\" value=\"rerequest\""));
    let code = t
        .code_with(
            user_id,
            &[
                ("auth_type", "rerequest"),
                ("defaults", "1"),
                ("permission", "instagram_content_publish"),
            ],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (granted_now, declined) = granted(&t, &token).await;
    assert_eq!(granted_now, ["public_profile", "instagram_content_publish"]);
    assert!(declined.len() > 1, "the other boxes were not ticked");

    // The switch: remember_declines false asks afresh.
    t.settings(json!({ "remember_declines": false })).await;
    let code = t
        .code_with(user_id, &[("permission", "pages_show_list")])
        .await;
    assert_eq!(t.exchange(&code, REDIRECT).await.0, StatusCode::OK);
    let code = t
        .code_with(
            user_id,
            &[("permission", "pages_show_list"), ("permission", "email")],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (granted_now, _) = granted(&t, &token).await;
    assert_eq!(granted_now, ["public_profile", "email", "pages_show_list"]);
}
