//! Rows A, B1, B2, C: the dialog, the code exchange, long-lived tokens, debug_token.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn dialog_to_code_to_tokens_to_debug_token() {
    let t = TestSim::start().await;
    let created = t.scenario("happy").await;
    let user_id = created["user_id"].as_str().unwrap();
    let page_id = created["pages"][0]["id"].as_str().unwrap();
    let ig_id = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();

    // The dialog page, as a browser sees it.
    let page = t
        .http
        .get(t.url("/v23.0/dialog/oauth"))
        .query(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("state", "xyz"),
            ("scope", SCOPES),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Continue as Hannah Happy"));
    assert!(html.contains(">Continue</button>"));
    assert!(html.contains(">Cancel</button>"));
    assert!(html.contains("action=\"/v23.0/dialog/oauth/confirm\""));

    // Continue with the defaults.
    let response = t
        .confirm(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("state", "xyz"),
            ("scope", SCOPES),
            ("user_id", user_id),
            ("action", "continue"),
            ("defaults", "1"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=xyz#_=_"), "{location}");
    let code = query_param(location, "code").unwrap();

    let (status, short) = t.exchange(&code, REDIRECT).await;
    assert_eq!(status, StatusCode::OK, "{short}");
    assert_eq!(short["token_type"], "bearer");
    assert_eq!(short["expires_in"], 5400);
    let short_token = short["access_token"].as_str().unwrap();
    assert!(short_token.starts_with("EAAG"));

    let (status, long) = t.long_lived(short_token).await;
    assert_eq!(status, StatusCode::OK, "{long}");
    assert_eq!(long["expires_in"], 5_183_944);
    let long_token = long["access_token"].as_str().unwrap();
    assert_ne!(long_token, short_token);

    let app_token = format!("{APP_ID}|{APP_SECRET}");
    let (status, debug) = t
        .graph_get(
            "/v23.0/debug_token",
            &[("input_token", long_token), ("access_token", &app_token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{debug}");
    let data = &debug["data"];
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["app_id"], APP_ID);
    assert_eq!(data["type"], "USER");
    assert_eq!(data["user_id"], user_id);
    assert!(data["expires_at"].as_i64().unwrap() > data["issued_at"].as_i64().unwrap());
    assert!(data["data_access_expires_at"].as_i64().unwrap() > 0);
    let scopes: Vec<&str> = data["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"instagram_content_publish"));
    assert!(scopes.contains(&"public_profile"));
    let granular = data["granular_scopes"].as_array().unwrap();
    let find = |scope: &str| {
        granular
            .iter()
            .find(|g| g["scope"] == scope)
            .unwrap()
            .clone()
    };
    assert_eq!(find("pages_show_list")["target_ids"], json!([page_id]));
    assert_eq!(find("instagram_basic")["target_ids"], json!([ig_id]));
    assert!(find("email").get("target_ids").is_none());
}

#[tokio::test]
async fn dialog_shows_pages_permissions_defaults_and_user_switch() {
    let t = TestSim::start().await;
    let bea = t.scenario("business_portfolio").await;
    let dana = t.scenario("declined_publish").await;
    // Dana is the most recent user, so she is shown first.
    let base_query = [
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPES),
    ];
    let html = t.dialog_html(&base_query).await;
    assert!(html.contains("Continue as Dana Declines"));
    assert!(
        html.contains("name=\"permission\" value=\"instagram_content_publish\">"),
        "publish box starts unticked"
    );
    assert!(html.contains("name=\"permission\" value=\"instagram_basic\" checked>"));
    assert!(html.contains("sim_user="));

    // Switch to Bea: her business-portfolio page is listed too.
    let bea_id = bea["user_id"].as_str().unwrap();
    let html = t
        .http
        .get(t.url("/dialog/oauth"))
        .query(&base_query)
        .query(&[("sim_user", bea_id)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Continue as Bea Business"));
    assert!(html.contains(">Bea Shop</label>"));
    assert!(html.contains(">Bea Personal Blog</label>"));
    assert!(html.contains("Bea Retail Group"));
    assert!(html.contains("action=\"/dialog/oauth/confirm\""));

    // defaults=1 keeps Dana's unticked box unticked.
    let dana_id = dana["user_id"].as_str().unwrap();
    let token = t.login(dana_id).await;
    let (_, perms) = t
        .graph_get("/v23.0/me/permissions", &[("access_token", &token)])
        .await;
    assert!(perms["data"]
        .as_array()
        .unwrap()
        .contains(&json!({"permission": "instagram_content_publish", "status": "declined"})));
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_the_state_unchanged() {
    let t = TestSim::start().await;
    let created = t.scenario("happy").await;
    let odd_state = "a b&c=d/é+%";
    let response = t
        .confirm(&[
            ("client_id", APP_ID),
            ("redirect_uri", "https://app.test/other"),
            ("state", odd_state),
            ("scope", SCOPES),
            ("user_id", created["user_id"].as_str().unwrap()),
            ("action", "cancel"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(
        "https://app.test/other?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state="
    ), "{location}");
    assert!(location.ends_with("#_=_"));
    assert_eq!(query_param(location, "state").unwrap(), odd_state);
}

#[tokio::test]
async fn dialog_error_pages_never_redirect() {
    let t = TestSim::start().await;
    t.scenario("happy").await;
    let get = |query: Vec<(&'static str, &'static str)>| {
        let request = t.http.get(t.url("/v23.0/dialog/oauth")).query(&query);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
            assert!(response.headers().get("location").is_none());
            response.text().await.unwrap()
        }
    };
    let html = get(vec![
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "email,manage_pages,instagram_business_basic"),
    ])
    .await;
    assert!(html.contains("Invalid Scopes: manage_pages, instagram_business_basic"));

    let html = get(vec![("client_id", "999"), ("redirect_uri", REDIRECT)]).await;
    assert!(html.contains("Invalid App ID"));

    let html = get(vec![
        ("client_id", APP_ID),
        ("redirect_uri", "https://app.test/oauth/callback/"),
    ])
    .await;
    assert!(html.contains("URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app&#39;s Client OAuth Settings."));
}

#[tokio::test]
async fn used_code_gives_36009_with_www_authenticate() {
    let t = TestSim::start().await;
    let created = t.scenario("happy").await;
    let code = t.code(created["user_id"].as_str().unwrap()).await;
    assert_eq!(t.exchange(&code, REDIRECT).await.0, StatusCode::OK);
    let response = t
        .http
        .get(t.url("/v23.0/oauth/access_token"))
        .query(&[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("redirect_uri", REDIRECT),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["www-authenticate"],
        "OAuth \"Facebook Platform\" \"invalid_code\" \"This authorization code has been used.\""
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_error(&body, 100, Some(36009));
    assert_eq!(
        body["error"]["message"],
        "This authorization code has been used."
    );
}

#[tokio::test]
async fn redirect_mismatch_secret_app_and_expiry_errors() {
    let t = TestSim::start().await;
    let created = t.scenario("happy").await;
    let user_id = created["user_id"].as_str().unwrap();
    let code = t.code(user_id).await;

    let (status, body) = t.exchange(&code, "https://app.test/other").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 100, Some(36008));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("redirect_uri is identical"));

    let (_, body) = t
        .graph_post(
            "/oauth/access_token",
            &[
                ("client_id", APP_ID),
                ("client_secret", "wrong"),
                ("redirect_uri", REDIRECT),
                ("code", &code),
            ],
        )
        .await;
    assert_error(&body, 1, None);
    assert_eq!(body["error"]["message"], "Error validating client secret.");

    let (_, body) = t
        .graph_get(
            "/v23.0/oauth/access_token",
            &[
                ("client_id", "1"),
                ("client_secret", APP_SECRET),
                ("redirect_uri", REDIRECT),
                ("code", &code),
            ],
        )
        .await;
    assert_error(&body, 101, None);
    assert_eq!(
        body["error"]["message"],
        "Error validating application. Invalid application ID."
    );

    // The failed attempts did not spend the code, but ten minutes do.
    t.advance(601.0).await;
    let (_, body) = t.exchange(&code, REDIRECT).await;
    assert_error(&body, 100, Some(36007));
}

#[tokio::test]
async fn expired_or_unknown_tokens_cannot_be_exchanged() {
    let t = TestSim::start().await;
    let (short, ..) = t.happy_login().await;
    let (status, body) = t.long_lived("EAAGnotatoken").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 190, None);
    t.advance(5401.0).await;
    let (_, body) = t.long_lived(&short).await;
    assert_error(&body, 190, Some(463));
}

#[tokio::test]
async fn debug_token_reports_invalid_and_expired_tokens() {
    let t = TestSim::start().await;
    let (short, ..) = t.happy_login().await;
    let app_token = format!("{APP_ID}|{APP_SECRET}");

    let (status, body) = t
        .graph_get(
            "/v23.0/debug_token",
            &[("input_token", "EAAGbogus"), ("access_token", &app_token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["is_valid"], false);
    assert_eq!(body["data"]["error"]["code"], 190);

    t.advance(5401.0).await;
    let (_, body) = t
        .graph_get(
            "/v23.0/debug_token",
            &[("input_token", &short), ("access_token", &app_token)],
        )
        .await;
    assert_eq!(body["data"]["is_valid"], false);
    assert_eq!(body["data"]["error"]["subcode"], 463);
    assert_eq!(body["data"]["app_id"], APP_ID);

    let (status, body) = t
        .graph_get(
            "/v23.0/debug_token",
            &[
                ("input_token", &short),
                ("access_token", "411122233344455|nope"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 190, None);
}

#[tokio::test]
async fn without_defaults_missing_boxes_mean_nothing_ticked() {
    let t = TestSim::start().await;
    let created = t.scenario("multi_instagram").await;
    let user_id = created["user_id"].as_str().unwrap();
    let second_page = created["pages"][1]["id"].as_str().unwrap();
    // Only one page and one permission ticked.
    let code = t
        .code_with(
            user_id,
            &[("page", second_page), ("permission", "pages_show_list")],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    let data = accounts["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], second_page);
    let (_, perms) = t
        .graph_get("/v23.0/me/permissions", &[("access_token", &token)])
        .await;
    let granted: Vec<_> = perms["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "granted")
        .map(|p| p["permission"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(granted, ["public_profile", "pages_show_list"]);

    // No boxes at all and no defaults flag: nothing but public_profile.
    let code = t.code_with(user_id, &[]).await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    assert_eq!(accounts, json!({ "data": [] }));
}
