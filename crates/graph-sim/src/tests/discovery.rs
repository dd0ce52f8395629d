//! §4: finding Pages and Instagram accounts: `/me/accounts`, Page tokens, Business Manager
//! roles, Page tasks, PPA, business portfolios.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

const IMAGE: &str = "https://cdn.example.test/photo.jpg";

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

async fn create_image(t: &TestSim, token: &str, ig: &str) -> (StatusCode, Value) {
    t.graph_post(
        &format!("/v23.0/{ig}/media"),
        &[("access_token", token), ("image_url", IMAGE)],
    )
    .await
}

/// Logs in with `scope` (every page, every permission ticked).
async fn login_with_scope(t: &TestSim, user_id: &str, scope: &str) -> String {
    let code = t
        .code_with(user_id, &[("defaults", "1"), ("scope", scope)])
        .await;
    let (status, body) = t.exchange(&code, REDIRECT).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn me_accounts_lists_only_granted_pages_with_tasks_page_tokens_and_cursor_paging() {
    let t = TestSim::start().await;
    let created = t.scenario("multi_instagram").await;
    let user_id = created["user_id"].as_str().unwrap();
    let first = created["pages"][0]["id"].as_str().unwrap();
    let third = created["pages"][2]["id"].as_str().unwrap();
    let code = t
        .code_with(
            user_id,
            &[("defaults", "1"), ("page", first), ("page", third)],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let fields = "id,name,access_token,tasks,instagram_business_account{id,username}";
    let (_, page1) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &token), ("fields", fields), ("limit", "1")],
        )
        .await;
    let data = page1["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], first);
    assert_eq!(
        data[0]["tasks"],
        json!([
            "ANALYZE",
            "ADVERTISE",
            "MODERATE",
            "CREATE_CONTENT",
            "MANAGE"
        ])
    );
    assert!(data[0]["access_token"].as_str().unwrap().starts_with("EAA"));
    assert_eq!(
        data[0]["instagram_business_account"]["username"],
        "mia.flowers_t"
    );
    let after = page1["paging"]["cursors"]["after"].as_str().unwrap();
    assert!(page1["paging"]["next"].is_string());
    let (_, page2) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[
                ("access_token", &token),
                ("fields", fields),
                ("limit", "1"),
                ("after", after),
            ],
        )
        .await;
    let data = page2["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], third, "the unticked page is absent");
    assert!(data[0].get("instagram_business_account").is_none());
    assert!(page2["paging"].get("next").is_none());
}

#[tokio::test]
async fn page_tokens_from_a_long_lived_token_never_expire_but_carry_data_access_expiry() {
    let t = TestSim::start().await;
    let (short, _, page_id, user_id) = t.happy_login().await;
    let long = t.long_lived(&short).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &long), ("fields", "id,access_token")],
        )
        .await;
    let page_token = accounts["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let data = debug(&t, &page_token).await;
    assert_eq!(data["type"], "PAGE");
    assert_eq!(data["profile_id"], page_id.as_str());
    assert_eq!(data["user_id"], user_id.as_str());
    assert_eq!(data["expires_at"], 0);
    assert_eq!(data["is_valid"], true);
    let issued = data["issued_at"].as_i64().unwrap();
    let data_access = data["data_access_expires_at"].as_i64().unwrap();
    assert!((data_access - issued - 90 * 86_400).abs() < 5, "{data}");
    assert!(data["granular_scopes"].is_array());
    assert!(data["application"].is_string());

    // Sixty days later the long-lived user token is gone; the Page token still works.
    t.advance(61.0 * 86_400.0).await;
    let (_, body) = t.graph_get("/v23.0/me", &[("access_token", &long)]).await;
    assert_error(&body, 190, Some(463));
    let (status, _) = t
        .graph_get("/v23.0/me", &[("access_token", &page_token)])
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn page_tokens_from_a_short_lived_token_expire_in_one_hour() {
    let t = TestSim::start().await;
    let (short, ..) = t.happy_login().await;
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &short), ("fields", "access_token")],
        )
        .await;
    let page_token = accounts["data"][0]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let data = debug(&t, &page_token).await;
    assert_eq!(
        data["expires_at"].as_i64().unwrap() - data["issued_at"].as_i64().unwrap(),
        3600
    );
    t.advance(3601.0).await;
    let (_, body) = t
        .graph_get("/v23.0/me", &[("access_token", &page_token)])
        .await;
    assert_error(&body, 190, Some(463));
    // The user token (1.5 h) still lives.
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &short)])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn business_manager_role_pages_need_ads_read_for_every_instagram_call() {
    let t = TestSim::start().await;
    let created = t.scenario("agency").await;
    let user_id = created["user_id"].as_str().unwrap();
    let page = created["pages"][0]["id"].as_str().unwrap();
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    let token = t.login(user_id).await;

    let (_, node) = t
        .graph_get(
            &format!("/v23.0/{page}"),
            &[
                ("access_token", &token),
                ("fields", "instagram_business_account"),
            ],
        )
        .await;
    assert_eq!(node, json!({ "id": page }), "the IG key is missing");
    let (_, body) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_error(&body, 10, None);
    let (_, body) = create_image(&t, &token, ig).await;
    assert_error(&body, 10, None);
    let (_, body) = t
        .graph_get(
            &format!("/v23.0/{ig}/content_publishing_limit"),
            &[("access_token", &token)],
        )
        .await;
    assert_error(&body, 10, None);

    // With ads_read everything works.
    let token = login_with_scope(&t, user_id, &format!("{SCOPES},ads_read")).await;
    let (_, node) = t
        .graph_get(
            &format!("/v23.0/{page}"),
            &[
                ("access_token", &token),
                ("fields", "instagram_business_account"),
            ],
        )
        .await;
    assert_eq!(node["instagram_business_account"]["id"], ig);
    let (status, body) = create_image(&t, &token, ig).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // ads_management works as well.
    let token = login_with_scope(&t, user_id, &format!("{SCOPES},ads_management")).await;
    let (status, _) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn pages_without_manage_or_create_content_connect_but_every_publish_fails() {
    let t = TestSim::start().await;
    let created = t.scenario("analyst").await;
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    let token = t.login(created["user_id"].as_str().unwrap()).await;
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[
                ("access_token", &token),
                ("fields", "tasks,instagram_business_account"),
            ],
        )
        .await;
    assert_eq!(
        accounts["data"][0]["tasks"],
        json!(["ANALYZE", "ADVERTISE"])
    );
    assert_eq!(accounts["data"][0]["instagram_business_account"]["id"], ig);
    let (status, _) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = create_image(&t, &token, ig).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 10, None);
    let (_, body) = t
        .graph_post(
            &format!("/v23.0/{ig}/media_publish"),
            &[("access_token", &token), ("creation_id", "1")],
        )
        .await;
    assert_error(&body, 10, None);
}

#[tokio::test]
async fn a_page_pending_publishing_authorization_fails_every_publish() {
    let t = TestSim::start().await;
    let (token, ig, page_id, _) = t.happy_login().await;
    let response = t
        .post_json(
            &format!("/_sim/pages/{page_id}"),
            json!({ "publishing_authorization_pending": true }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, body) = create_image(&t, &token, &ig).await;
    assert_error(&body, 10, None);
    assert_eq!(
        body["error"]["error_user_title"],
        "Page Publishing Authorization required"
    );
    t.post_json(
        &format!("/_sim/pages/{page_id}"),
        json!({ "publishing_authorization_pending": false }),
    )
    .await;
    assert_eq!(create_image(&t, &token, &ig).await.0, StatusCode::OK);
    // Tasks can shrink later too.
    t.post_json(
        &format!("/_sim/pages/{page_id}"),
        json!({ "tasks": ["ANALYZE"] }),
    )
    .await;
    assert_error(&create_image(&t, &token, &ig).await.1, 10, None);
}

#[tokio::test]
async fn portfolio_edges_list_ungranted_pages_whose_instagram_reads_fail() {
    let t = TestSim::start().await;
    let created = t.scenario("business_portfolio").await;
    let user_id = created["user_id"].as_str().unwrap();
    let blog = created["pages"][0]["id"].as_str().unwrap();
    let shop = created["pages"][1]["id"].as_str().unwrap();
    let business = created["pages"][1]["business_id"].as_str().unwrap();
    let ig = created["pages"][1]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    // Only the blog is ticked.
    let code = t
        .code_with(user_id, &[("defaults", "1"), ("page", blog)])
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, owned) = t
        .graph_get(
            &format!("/v23.0/{business}/owned_pages"),
            &[
                ("access_token", &token),
                (
                    "fields",
                    "id,name,access_token,instagram_business_account{id,username}",
                ),
            ],
        )
        .await;
    let data = owned["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{owned}");
    assert_eq!(data[0]["id"], shop);
    assert!(data[0].get("access_token").is_none());
    assert_eq!(data[0]["instagram_business_account"], json!({ "id": ig }));
    let (_, body) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_error(&body, 100, Some(33));

    t.settings(json!({ "ungranted_ig_read_code": 10 })).await;
    let (_, body) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_error(&body, 10, None);

    t.settings(json!({ "business_edges_list_ungranted_pages": false }))
        .await;
    let (_, owned) = t
        .graph_get(
            &format!("/v23.0/{business}/owned_pages"),
            &[("access_token", &token)],
        )
        .await;
    assert_eq!(owned, json!({ "data": [] }));
}

#[tokio::test]
async fn a_business_the_person_does_not_administer_refuses_its_page_edges() {
    let t = TestSim::start().await;
    let created = t
        .create_user(json!({
            "name": "Eve Employee",
            "pages": [{
                "name": "Shared Shop",
                "business": true,
                "business_name": "Someone Else's Group",
                "business_admin": false,
                "instagram": { "username": "shared.shop" },
            }],
        }))
        .await;
    let business = created["pages"][0]["business_id"].as_str().unwrap();
    let token = t.login(created["user_id"].as_str().unwrap()).await;
    let (status, body) = t
        .graph_get("/v23.0/me/businesses", &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for edge in ["owned_pages", "client_pages"] {
        let (_, body) = t
            .graph_get(
                &format!("/v23.0/{business}/{edge}"),
                &[("access_token", &token)],
            )
            .await;
        assert_error(&body, 200, None);
    }
}

#[tokio::test]
async fn the_demo_person_connects_both_demo_accounts_with_the_product_scopes() {
    // The product's default scopes (src/config/mod.rs), which include ads_read.
    const PRODUCT_SCOPES: &str = "instagram_basic,instagram_content_publish,pages_read_engagement,pages_show_list,business_management,ads_read,instagram_manage_comments";
    let t = TestSim::start().await;
    t.sim.seed_demo();
    let users = t.get_json("/_sim/users").await;
    let user_id = users["data"][0]["user_id"].as_str().unwrap().to_string();
    let token = login_with_scope(&t, &user_id, PRODUCT_SCOPES).await;
    let fields = "id,access_token,instagram_business_account{id,username}";
    let (_, accounts) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &token), ("fields", fields)],
        )
        .await;
    let mut found: Vec<(String, String)> = accounts["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.get("instagram_business_account").is_some())
        .map(|p| {
            (
                p["instagram_business_account"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                p["instagram_business_account"]["username"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let (_, businesses) = t
        .graph_get("/v23.0/me/businesses", &[("access_token", &token)])
        .await;
    for business in businesses["data"].as_array().unwrap() {
        let id = business["id"].as_str().unwrap();
        let (_, owned) = t
            .graph_get(
                &format!("/v23.0/{id}/owned_pages"),
                &[("access_token", &token), ("fields", fields)],
            )
            .await;
        for p in owned["data"].as_array().unwrap() {
            found.push((
                p["instagram_business_account"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                p["instagram_business_account"]["username"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
    }
    let names: Vec<&str> = found.iter().map(|(_, u)| u.as_str()).collect();
    assert_eq!(names, ["demo.cafe", "demo.studio"]);
    for (ig, _) in &found {
        let (status, body) = create_image(&t, &token, ig).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
