//! The control API, injected faults and usage headers.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

async fn add_fault(t: &TestSim, fault: Value) {
    let response = t.post_json("/_sim/faults", fault).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].is_string());
}

#[tokio::test]
async fn faults_are_used_up_after_times() {
    let t = TestSim::start().await;
    let (token, ..) = t.happy_login().await;
    add_fault(
        &t,
        json!({ "method": "GET", "path_contains": "/me", "times": 2, "code": 2 }),
    )
    .await;
    for _ in 0..2 {
        let (status, body) = t.graph_get("/v23.0/me", &[("access_token", &token)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, 2, None);
        assert_eq!(body["error"]["is_transient"], true);
    }
    assert_eq!(
        t.graph_get("/v23.0/me", &[("access_token", &token)])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_can_set_status_subcode_and_message_and_be_cleared() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    add_fault(
        &t,
        json!({ "path_contains": ig, "http_status": 500, "code": 1, "message": "boom", "is_transient": true }),
    )
    .await;
    let (status, body) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&body, 1, None);
    assert_eq!(body["error"]["message"], "boom");

    // A transient 100/33 (docs/graph-api.md complaint 8), then cleared.
    add_fault(
        &t,
        json!({ "path_contains": ig, "code": 100, "subcode": 33, "times": 5 }),
    )
    .await;
    let (_, body) = t
        .graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
        .await;
    assert_error(&body, 100, Some(33));
    assert_eq!(t.get_json("/_sim/faults").await["data"][0]["remaining"], 4);
    let cleared = t.http.delete(t.url("/_sim/faults")).send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        t.graph_get(&format!("/v23.0/{ig}"), &[("access_token", &token)])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn delay_only_faults_delay_then_answer_normally() {
    let t = TestSim::start().await;
    let (token, ..) = t.happy_login().await;
    add_fault(&t, json!({ "path_contains": "/me", "delay_ms": 150 })).await;
    let started = Instant::now();
    let (status, _) = t.graph_get("/v23.0/me", &[("access_token", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn drop_response_publishes_then_drops_the_connection() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    let (_, created) = t
        .graph_post(
            &format!("/v23.0/{ig}/media"),
            &[
                ("access_token", &token),
                ("image_url", "https://cdn.test/a.jpg?sim_processing_ms=0"),
            ],
        )
        .await;
    let container = created["id"].as_str().unwrap().to_string();
    add_fault(
        &t,
        json!({ "method": "POST", "path_contains": "/media_publish", "drop_response": true }),
    )
    .await;

    let outcome = t
        .http
        .post(t.url(&format!("/v23.0/{ig}/media_publish")))
        .form(&[
            ("access_token", token.as_str()),
            ("creation_id", container.as_str()),
        ])
        .send()
        .await;
    let error = outcome.expect_err("the connection must drop without a response");
    assert!(!error.is_status());

    // The publish happened exactly once; a retry cannot make a second post.
    assert_eq!(t.media_count(&ig).await, 1);
    t.advance(1.0).await;
    let (_, status) = t
        .graph_get(
            &format!("/v23.0/{container}"),
            &[("access_token", &token), ("fields", "status_code")],
        )
        .await;
    assert_eq!(status["status_code"], "PUBLISHED");
    let (_, body) = t
        .graph_post(
            &format!("/v23.0/{ig}/media_publish"),
            &[("access_token", &token), ("creation_id", &container)],
        )
        .await;
    assert_error(&body, 100, None);
    assert_eq!(t.media_count(&ig).await, 1);
}

#[tokio::test]
async fn after_effect_fault_publishes_then_answers_the_error() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    t.settings(json!({ "fresh_object_invisible_ms": 0, "publish_status_lag_ms": 0 }))
        .await;
    let (_, created) = t
        .graph_post(
            &format!("/v23.0/{ig}/media"),
            &[
                ("access_token", &token),
                ("image_url", "https://cdn.test/a.jpg?sim_processing_ms=0"),
            ],
        )
        .await;
    let container = created["id"].as_str().unwrap().to_string();
    add_fault(
        &t,
        json!({ "method": "POST", "path_contains": "/media_publish", "after_effect": true,
                "http_status": 500, "code": 1, "subcode": 2207001, "is_transient": true }),
    )
    .await;
    let publish = [
        ("access_token", token.as_str()),
        ("creation_id", &container),
    ];
    let (status, body) = t
        .graph_post(&format!("/v23.0/{ig}/media_publish"), &publish)
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&body, 1, Some(2207001));
    assert_eq!(body["error"]["is_transient"], true);
    // Yet the media exists, and the container says so.
    assert_eq!(t.media_count(&ig).await, 1);
    let (_, read) = t
        .graph_get(
            &format!("/v23.0/{container}"),
            &[("access_token", &token), ("fields", "status_code")],
        )
        .await;
    assert_eq!(read["status_code"], "PUBLISHED");
    let (_, body) = t
        .graph_post(&format!("/v23.0/{ig}/media_publish"), &publish)
        .await;
    assert_error(&body, 100, None);
    assert_eq!(t.media_count(&ig).await, 1);

    // Any route: a container is made although the answer is an error.
    add_fault(
        &t,
        json!({ "method": "POST", "path_contains": "/media", "after_effect": true, "code": 2 }),
    )
    .await;
    let (_, body) = t
        .graph_post(
            &format!("/v23.0/{ig}/media"),
            &[
                ("access_token", &token),
                ("image_url", "https://cdn.test/b.jpg"),
            ],
        )
        .await;
    assert_error(&body, 2, None);
    let containers = t
        .get_json(&format!("/_sim/containers?ig_user_id={ig}"))
        .await;
    assert_eq!(containers["data"].as_array().unwrap().len(), 2);
    // Without after_effect the same fault changes nothing.
    add_fault(
        &t,
        json!({ "method": "POST", "path_contains": "/media", "code": 2 }),
    )
    .await;
    t.graph_post(
        &format!("/v23.0/{ig}/media"),
        &[
            ("access_token", &token),
            ("image_url", "https://cdn.test/c.jpg"),
        ],
    )
    .await;
    let containers = t
        .get_json(&format!("/_sim/containers?ig_user_id={ig}"))
        .await;
    assert_eq!(containers["data"].as_array().unwrap().len(), 2);
    // after_effect and drop_response exclude each other.
    let both = t
        .post_json(
            "/_sim/faults",
            json!({ "path_contains": "/media", "after_effect": true, "drop_response": true }),
        )
        .await;
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
}

fn header_json(response: &reqwest::Response, name: &str) -> Value {
    serde_json::from_str(response.headers()[name].to_str().unwrap()).unwrap()
}

async fn get_ig(t: &TestSim, token: &str, ig: &str) -> reqwest::Response {
    t.http
        .get(t.url(&format!("/v23.0/{ig}")))
        .query(&[("access_token", token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn usage_headers_are_computed_or_forced() {
    let t = TestSim::start().await;
    t.settings(json!({ "usage_headers_from_percent": 0 })).await;
    let (token, ig, ..) = t.happy_login().await;
    let response = get_ig(&t, &token, &ig).await;
    let app = header_json(&response, "x-app-usage");
    for key in ["call_count", "total_time", "total_cputime"] {
        assert!(app[key].is_u64(), "{app}");
    }
    let buc = header_json(&response, "x-business-use-case-usage");
    assert_eq!(buc[&ig][0]["type"], "instagram");
    assert_eq!(buc[&ig][0]["estimated_time_to_regain_access"], 0);

    t.settings(json!({ "usage_percent": 95, "estimated_time_to_regain_access": 7 }))
        .await;
    let response = get_ig(&t, &token, &ig).await;
    assert_eq!(header_json(&response, "x-app-usage")["call_count"], 95);
    let buc = header_json(&response, "x-business-use-case-usage");
    assert_eq!(buc[&ig][0]["call_count"], 95);
    // Not throttled yet: nothing to regain.
    assert_eq!(buc[&ig][0]["estimated_time_to_regain_access"], 0);
    t.settings(json!({ "usage_percent": 100 })).await;
    let response = get_ig(&t, &token, &ig).await;
    let buc = header_json(&response, "x-business-use-case-usage");
    assert_eq!(buc[&ig][0]["estimated_time_to_regain_access"], 7);

    // Errors carry the headers too.
    let response = t.http.get(t.url("/v23.0/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().contains_key("x-app-usage"));
    assert!(response.headers().contains_key("x-business-use-case-usage"));
}

#[tokio::test]
async fn usage_headers_appear_only_once_usage_is_high() {
    let t = TestSim::start().await;
    // A budget of 10 calls an hour makes each call 10 % of it.
    t.settings(json!({ "app_calls_per_user_per_hour": 10, "buc_calls_per_hour": 10 }))
        .await;
    let (token, ig, ..) = t.happy_login().await;
    let settings = t.get_json("/_sim/settings").await;
    assert_eq!(settings["usage_headers_from_percent"], 50);
    let first = get_ig(&t, &token, &ig).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(!first.headers().contains_key("x-business-use-case-usage"));
    let mut seen = None;
    for call in 2..=6 {
        let response = get_ig(&t, &token, &ig).await;
        if response.headers().contains_key("x-business-use-case-usage") {
            seen = Some((call, header_json(&response, "x-business-use-case-usage")));
            break;
        }
    }
    let (call, buc) = seen.expect("the BUC header once usage reaches 50 %");
    assert_eq!(call, 5, "the fifth call is 50 % of a 10-call budget");
    assert_eq!(buc[&ig][0]["call_count"], 50);
    // The login's calls count for the app too: its header is there as well by now.
    assert!(get_ig(&t, &token, &ig)
        .await
        .headers()
        .contains_key("x-app-usage"));

    // A higher threshold hides them again.
    t.settings(json!({ "usage_headers_from_percent": 100 }))
        .await;
    let response = get_ig(&t, &token, &ig).await;
    assert!(!response.headers().contains_key("x-business-use-case-usage"));
}

#[tokio::test]
async fn throttling_faults_carry_estimated_time_to_regain_access() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    for code in [4, 17, 32, 613, 80002] {
        add_fault(&t, json!({ "path_contains": ig, "code": code })).await;
        let response = get_ig(&t, &token, &ig).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{code}");
        let buc = header_json(&response, "x-business-use-case-usage");
        assert_eq!(buc[&ig][0]["call_count"], 100, "{code}");
        assert_eq!(buc[&ig][0]["estimated_time_to_regain_access"], 0, "{code}");
        // Only the app-level limit (4) reports the app at 100 %.
        assert_eq!(response.headers().contains_key("x-app-usage"), code == 4);
        let body: Value = response.json().await.unwrap();
        assert_error(&body, code, None);
        assert_eq!(body["error"]["is_transient"], true);
    }
    t.settings(json!({ "estimated_time_to_regain_access": 12 }))
        .await;
    add_fault(&t, json!({ "path_contains": ig, "code": 80002 })).await;
    let response = get_ig(&t, &token, &ig).await;
    let buc = header_json(&response, "x-business-use-case-usage");
    assert_eq!(buc[&ig][0]["estimated_time_to_regain_access"], 12);
    // Other errors are no throttling: no header below the threshold.
    add_fault(&t, json!({ "path_contains": ig, "code": 2 })).await;
    let response = get_ig(&t, &token, &ig).await;
    assert!(!response.headers().contains_key("x-business-use-case-usage"));
}

#[tokio::test]
async fn settings_clock_reset_and_health() {
    let t = TestSim::start().await;
    let settings = t.get_json("/_sim/settings").await;
    assert_eq!(settings["container_processing_ms"], 1500);
    assert_eq!(settings["quota_total"], 50);
    assert_eq!(settings["short_lived_token_secs"], 5400);
    assert_eq!(settings["long_lived_token_secs"], 5_183_944);
    assert_eq!(settings["usage_percent"], Value::Null);
    let updated = t
        .settings(json!({ "latency_ms": 1, "quota_total": 25 }))
        .await;
    assert_eq!(updated["quota_total"], 25);
    let response = t.post_json("/_sim/settings", json!({ "nope": 1 })).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let response = t
        .post_json("/_sim/clock/advance", json!({ "seconds": 90 }))
        .await;
    let clock: Value = response.json().await.unwrap();
    assert_eq!(clock["offset_seconds"], 90.0);

    let health = t.http.get(t.url("/_sim/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // Reset forgets the app: the token endpoint no longer knows it.
    let reset = t.post_json("/_sim/reset", json!({})).await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    let (_, body) = t.exchange("AQanything", REDIRECT).await;
    assert_error(&body, 101, None);
    assert_eq!(t.get_json("/_sim/settings").await["quota_total"], 50);

    // Apps come back through the control API.
    let response = t
        .post_json(
            "/_sim/apps",
            json!({ "app_id": APP_ID, "app_secret": APP_SECRET, "redirect_uris": [REDIRECT] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, body) = t.exchange("AQanything", REDIRECT).await;
    assert_error(&body, 100, None);
}

#[tokio::test]
async fn users_scenarios_and_login() {
    let t = TestSim::start().await;
    let spec = json!({ "name": "Uma", "pages": [{ "name": "Uma Page", "instagram": { "username": "uma.unique" } }] });
    let created = t.create_user(spec.clone()).await;
    assert_eq!(created["name"], "Uma");
    assert_eq!(created["pages"][0]["instagram_username"], "uma.unique");
    assert!(created["pages"][0]["id"]
        .as_str()
        .unwrap()
        .chars()
        .all(|c| c.is_ascii_digit()));
    let duplicate = t.post_json("/_sim/users", spec).await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);

    let unknown = t.post_json("/_sim/scenarios/nope", json!({})).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    for name in [
        "happy",
        "no_pages",
        "no_instagram",
        "multi_instagram",
        "declined_publish",
        "business_portfolio",
        "creator",
    ] {
        let response = t
            .post_json(&format!("/_sim/scenarios/{name}"), json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    }
    let no_pages = t.scenario("no_pages").await;
    assert_eq!(no_pages["pages"], json!([]));

    // The dialog shows the user chosen by /_sim/login.
    let user_id = created["user_id"].as_str().unwrap();
    let login = t
        .post_json("/_sim/login", json!({ "user_id": user_id }))
        .await;
    assert_eq!(login.status(), StatusCode::NO_CONTENT);
    let html = t
        .http
        .get(t.url("/v23.0/dialog/oauth"))
        .query(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "email"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Continue as Uma"));
    let users = t.get_json("/_sim/users").await;
    assert_eq!(users["data"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn demo_seed_and_html_escaping() {
    let t = TestSim::start().await;
    t.sim.seed_demo();
    let query = [
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPES),
    ];
    let html = t.dialog_html(&query).await;
    assert!(html.contains("Continue as Demo Person"));
    for page in ["Demo Café", "Demo Studio", "Demo Community"] {
        assert!(html.contains(&format!(">{page}</label>")), "{page}");
    }
    assert!(!html.contains("<script") && !html.contains("http-equiv"));

    let evil = t
        .create_user(
            json!({ "name": "<script>alert(1)</script>", "pages": [{ "name": "\"><img src=x>" }] }),
        )
        .await;
    let html = t
        .http
        .get(t.url("/v23.0/dialog/oauth"))
        .query(&query)
        .query(&[
            ("sim_user", evil["user_id"].as_str().unwrap()),
            ("state", "\"><b>"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Continue as &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    assert!(!html.contains("<img src=x>"));
    assert!(html.contains("value=\"&quot;&gt;&lt;b&gt;\""));
}

#[tokio::test]
async fn the_control_api_refuses_requests_from_other_sites() {
    let t = TestSim::start().await;
    let cross_site = [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
    ];
    for (name, value) in cross_site {
        let response = t
            .http
            .post(t.url("/_sim/reset"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    // The simulator's own pages, and clients that are not browsers, still may.
    let own_origin = t.base.clone();
    for headers in [
        vec![("sec-fetch-site", "same-origin")],
        vec![("origin", own_origin.as_str())],
        vec![],
    ] {
        let mut request = t
            .http
            .post(t.url("/_sim/login"))
            .json(&json!({"user_id": "nobody"}));
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_ne!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
}
