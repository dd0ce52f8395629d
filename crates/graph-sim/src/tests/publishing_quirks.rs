//! Meta's publishing quirks (docs/graph-api.md §5, §6, §10 rows 16 and 19–26): each on
//! by default, and each switched off through a setting.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::publishing::{container_id, create, long_token, publish, status_of, IMAGE};
use super::*;

/// An image URL that is processed at once.
fn quick(name: &str) -> String {
    format!("https://cdn.test/{name}.jpg?sim_processing_ms=0")
}

async fn get(t: &TestSim, token: &str, path: &str, fields: &str) -> (StatusCode, Value) {
    t.graph_get(
        &format!("/v23.0/{path}"),
        &[("access_token", token), ("fields", fields)],
    )
    .await
}

/// Creates and publishes one post; returns (container id, media id).
async fn post(t: &TestSim, token: &str, ig: &str, params: &[(&str, &str)]) -> (String, String) {
    let container = container_id(t, token, ig, params).await;
    let (status, body) = publish(t, token, ig, &container).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (container, body["id"].as_str().unwrap().to_string())
}

#[track_caller]
fn assert_invisible(status: StatusCode, body: &Value, id: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(body, 100, Some(33));
    assert_eq!(body["error"]["type"], "GraphMethodException");
    assert_eq!(
        body["error"]["message"],
        format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api")
    );
}

// ---- 1. 100/33 on GETs of fresh objects ----

#[tokio::test]
async fn fresh_objects_answer_100_33_while_media_publish_works() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    assert_eq!(
        t.get_json("/_sim/settings").await["fresh_object_invisible_ms"],
        1000
    );

    // Still processing: GETs fail, media_publish says "not ready".
    let slow = container_id(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    let (status, body) = get(&t, &token, &slow, "status_code").await;
    assert_invisible(status, &body, &slow);
    let (_, body) = publish(&t, &token, &ig, &slow).await;
    assert_error(&body, 9007, Some(2207027));

    // Processed: GETs still fail, media_publish works.
    let container = container_id(&t, &token, &ig, &[("image_url", &quick("a"))]).await;
    let (status, body) = get(&t, &token, &container, "status_code,status").await;
    assert_invisible(status, &body, &container);
    let (status, body) = publish(&t, &token, &ig, &container).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let media = body["id"].as_str().unwrap().to_string();
    let (status, body) = get(&t, &token, &media, "permalink").await;
    assert_invisible(status, &body, &media);
    let (status, body) = get(&t, &token, &media, "id,media_type,timestamp").await;
    assert_invisible(status, &body, &media);

    // A second later both read normally.
    t.advance(1.0).await;
    let (status, body) = get(&t, &token, &container, "status_code").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get(&t, &token, &media, "permalink").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["permalink"]
        .as_str()
        .unwrap()
        .starts_with("https://www.instagram.com/p/"));
}

#[tokio::test]
async fn fresh_object_invisibility_can_be_turned_off_or_lengthened() {
    let t = TestSim::start().await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;
    let (container, media) = post(&t, &token, &ig, &[("image_url", &quick("a"))]).await;
    assert_eq!(
        get(&t, &token, &container, "status_code").await.0,
        StatusCode::OK
    );
    assert_eq!(get(&t, &token, &media, "permalink").await.0, StatusCode::OK);

    // "Can last over a minute": ten minutes here.
    t.settings(json!({ "fresh_object_invisible_ms": 600_000 }))
        .await;
    let (container, media) = post(&t, &token, &ig, &[("image_url", &quick("b"))]).await;
    t.advance(599.0).await;
    let (status, body) = get(&t, &token, &container, "status_code").await;
    assert_invisible(status, &body, &container);
    let (status, body) = get(&t, &token, &media, "children").await;
    assert_invisible(status, &body, &media);
    t.advance(1.0).await;
    assert_eq!(
        get(&t, &token, &container, "status_code").await.0,
        StatusCode::OK
    );
    assert_eq!(get(&t, &token, &media, "permalink").await.0, StatusCode::OK);
}

// ---- 2. The status lags behind a publish; no second publish ----

#[tokio::test]
async fn status_reads_finished_until_the_publish_lag_is_over() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;
    assert_eq!(
        t.get_json("/_sim/settings").await["publish_status_lag_ms"],
        1000
    );
    let (container, _) = post(&t, &token, &ig, &[("image_url", &quick("a"))]).await;
    assert_eq!(
        status_of(&t, &token, &container).await["status_code"],
        "FINISHED"
    );
    // FINISHED or not, a published container is never published again.
    let (status, body) = publish(&t, &token, &ig, &container).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 100, None);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already been published"));
    t.advance(1.0).await;
    assert_eq!(
        status_of(&t, &token, &container).await["status_code"],
        "PUBLISHED"
    );
    let (_, body) = publish(&t, &token, &ig, &container).await;
    assert_error(&body, 100, None);
    assert_eq!(t.media_count(&ig).await, 1);
    let containers = t
        .get_json(&format!("/_sim/containers?ig_user_id={ig}"))
        .await;
    assert_eq!(containers["data"][0]["status_code"], "PUBLISHED");

    t.settings(json!({ "publish_status_lag_ms": 0 })).await;
    let (container, _) = post(&t, &token, &ig, &[("image_url", &quick("b"))]).await;
    assert_eq!(
        status_of(&t, &token, &container).await["status_code"],
        "PUBLISHED"
    );
}

// ---- 4. ERROR containers: the subcode in the status text, retries by URL ----

#[tokio::test]
async fn error_containers_carry_their_subcode_in_the_status_text() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;

    let timeout = format!("{}&sim_status=ERROR&sim_subcode=2207003", quick("slow"));
    let c = container_id(&t, &token, &ig, &[("image_url", &timeout)]).await;
    let status = status_of(&t, &token, &c).await;
    assert_eq!(status["status_code"], "ERROR");
    let text = status["status"].as_str().unwrap();
    assert!(
        text.starts_with("Error: ") && text.contains("2207003"),
        "{text}"
    );
    let (_, body) = publish(&t, &token, &ig, &c).await;
    assert_error(&body, -2, Some(2207003));
    assert_eq!(body["error"]["error_user_msg"], text);

    let failed = format!("{}&sim_status=ERROR&sim_subcode=2207082", quick("reel"));
    let c = container_id(&t, &token, &ig, &[("image_url", &failed)]).await;
    assert_eq!(
        status_of(&t, &token, &c).await["status"],
        "Error: Media upload has failed with error code 2207082"
    );

    // Globally: the subcode picks Meta's text and code; both can still be forced.
    t.settings(json!({ "container_final_status": "ERROR", "container_error_subcode": 2207020 }))
        .await;
    let c = container_id(&t, &token, &ig, &[("image_url", &quick("old"))]).await;
    assert!(status_of(&t, &token, &c).await["status"]
        .as_str()
        .unwrap()
        .ends_with("(2207020)"));
    assert_error(&publish(&t, &token, &ig, &c).await.1, -2, Some(2207020));
    t.settings(json!({
        "container_error_message": "Error: Something else (2207053)",
        "container_error_code": -1,
        "container_error_subcode": 2207053,
    }))
    .await;
    let c = container_id(&t, &token, &ig, &[("image_url", &quick("other"))]).await;
    assert_eq!(
        status_of(&t, &token, &c).await["status"],
        "Error: Something else (2207053)"
    );
    assert_error(&publish(&t, &token, &ig, &c).await.1, -1, Some(2207053));
    assert_eq!(t.media_count(&ig).await, 0);
}

#[tokio::test]
async fn sim_error_times_fails_only_the_first_containers_for_a_url() {
    let t = TestSim::start().await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;
    let url = format!("{}&sim_error_times=2&sim_subcode=2207082", quick("flaky"));
    let first = container_id(&t, &token, &ig, &[("image_url", &url)]).await;
    let second = container_id(&t, &token, &ig, &[("image_url", &url)]).await;
    // Another URL has its own count.
    let other = format!("{url}&x=1");
    let unrelated = container_id(&t, &token, &ig, &[("image_url", &other)]).await;
    let third = container_id(&t, &token, &ig, &[("image_url", &url)]).await;
    for c in [&first, &second, &unrelated] {
        assert_eq!(status_of(&t, &token, c).await["status_code"], "ERROR");
    }
    assert_eq!(
        status_of(&t, &token, &third).await["status_code"],
        "FINISHED"
    );
    // ERROR stays ERROR however long it is polled.
    t.advance(3600.0).await;
    assert_eq!(status_of(&t, &token, &first).await["status_code"], "ERROR");
    assert_error(&publish(&t, &token, &ig, &first).await.1, -1, Some(2207082));
    assert_eq!(publish(&t, &token, &ig, &third).await.0, StatusCode::OK);
    assert_eq!(t.media_count(&ig).await, 1);
}

// ---- 5. EXPIRED after the container TTL ----

#[tokio::test]
async fn containers_expire_after_the_ttl() {
    let t = TestSim::start().await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    let c = container_id(&t, &token, &ig, &[("image_url", &quick("a"))]).await;
    t.advance(86_399.0).await;
    assert_eq!(status_of(&t, &token, &c).await["status_code"], "FINISHED");
    t.advance(1.0).await;
    let status = status_of(&t, &token, &c).await;
    assert_eq!(status["status_code"], "EXPIRED");
    assert_eq!(
        status["status"],
        "Expired: Media was not published within 24 hours."
    );
    let (http, body) = publish(&t, &token, &ig, &c).await;
    assert_eq!(http, StatusCode::BAD_REQUEST);
    assert_error(&body, 24, Some(2207008));

    t.settings(json!({ "container_ttl_secs": 60 })).await;
    let c = container_id(&t, &token, &ig, &[("image_url", &quick("b"))]).await;
    t.advance(60.0).await;
    assert_eq!(status_of(&t, &token, &c).await["status_code"], "EXPIRED");
    assert_error(&publish(&t, &token, &ig, &c).await.1, 24, Some(2207008));
    assert_eq!(t.media_count(&ig).await, 0);
}

// ---- 6. Reading what was published ----

#[tokio::test]
async fn media_and_stories_are_listed_apart() {
    let t = TestSim::start().await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    let (_, image) = post(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("caption", "One")],
    )
    .await;
    let reel_url = "https://cdn.test/r.mp4?sim_processing_ms=0";
    let (_, reel) = post(
        &t,
        &token,
        &ig,
        &[("media_type", "REELS"), ("video_url", reel_url)],
    )
    .await;
    let mut children = Vec::new();
    for name in ["c1", "c2"] {
        let url = quick(name);
        let params = [("image_url", url.as_str()), ("is_carousel_item", "true")];
        children.push(container_id(&t, &token, &ig, &params).await);
    }
    let (_, carousel) = post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children.join(",")),
        ],
    )
    .await;
    let (_, story) = post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("s")),
            ("caption", "ignored"),
        ],
    )
    .await;
    t.advance(1.0).await;

    let fields = "id,media_type,media_product_type,timestamp,permalink,caption";
    let (status, listed) = get(&t, &token, &format!("{ig}/media"), fields).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let kinds: Vec<(&str, &str, &str)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap(),
                m["media_type"].as_str().unwrap(),
                m["media_product_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (carousel.as_str(), "CAROUSEL_ALBUM", "FEED"),
            (reel.as_str(), "VIDEO", "REELS"),
            (image.as_str(), "IMAGE", "FEED"),
        ]
    );
    let timestamp = listed["data"][2]["timestamp"].as_str().unwrap();
    let parsed = chrono::DateTime::parse_from_str(timestamp, "%Y-%m-%dT%H:%M:%S%z").unwrap();
    assert_eq!(timestamp.len(), "2026-11-24T15:00:00+0000".len());
    assert!(timestamp.ends_with("+0000"));
    assert_eq!(parsed.offset().local_minus_utc(), 0);
    assert_eq!(listed["data"][2]["caption"], "One");

    let (status, stories) = get(&t, &token, &format!("{ig}/stories"), fields).await;
    assert_eq!(status, StatusCode::OK, "{stories}");
    let only = &stories["data"][0];
    assert_eq!(stories["data"].as_array().unwrap().len(), 1);
    assert_eq!(only["id"], story);
    assert_eq!(only["media_type"], "IMAGE");
    assert_eq!(only["media_product_type"], "STORY");
    assert!(only["timestamp"].as_str().unwrap().ends_with("+0000"));
    assert!(only["permalink"].is_string());
    assert!(only.get("caption").is_none(), "{only}");
    // Default fields are just the id; limit pages.
    let (_, ids) = t
        .graph_get(
            &format!("/v23.0/{ig}/media"),
            &[("access_token", &token), ("limit", "2")],
        )
        .await;
    assert_eq!(ids["data"].as_array().unwrap().len(), 2);
    assert_eq!(ids["data"][0], json!({ "id": carousel }));
    assert!(ids["paging"]["next"].is_string());

    // Stories leave the edge after 24 h; the setting changes that.
    t.advance(86_400.0).await;
    let (_, stories) = get(&t, &token, &format!("{ig}/stories"), "id").await;
    assert_eq!(stories["data"], json!([]));
    t.settings(json!({ "story_lifetime_secs": 200_000 })).await;
    let (_, stories) = get(&t, &token, &format!("{ig}/stories"), "id").await;
    assert_eq!(stories["data"][0]["id"], story);
}

#[tokio::test]
async fn captions_lose_at_signs_unless_switched_off() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;
    let caption = "Thanks @baker_one and @two! mail@example.com #bread";
    let (_, media) = post(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("caption", caption)],
    )
    .await;
    let stripped = "Thanks baker_one and two! mailexample.com #bread";
    assert_eq!(
        get(&t, &token, &media, "caption").await.1["caption"],
        stripped
    );
    let (_, listed) = get(&t, &token, &format!("{ig}/media"), "caption").await;
    assert_eq!(listed["data"][0]["caption"], stripped);
    // The control API shows what was sent.
    let sim_media = t.get_json(&format!("/_sim/media?ig_user_id={ig}")).await;
    assert_eq!(sim_media["data"][0]["caption"], caption);

    t.settings(json!({ "captions_without_at": false })).await;
    assert_eq!(
        get(&t, &token, &media, "caption").await.1["caption"],
        caption
    );
}

// ---- 7. Business and Creator accounts ----

#[tokio::test]
async fn creator_accounts_cannot_post_stories() {
    let t = TestSim::start().await;
    let created = t.scenario("creator").await;
    assert_eq!(created["pages"][0]["instagram_account_type"], "CREATOR");
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = t.login(created["user_id"].as_str().unwrap()).await;
    let story = [("media_type", "STORIES"), ("image_url", IMAGE)];
    let (status, body) = create(&t, &token, &ig, &story).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 10, None);
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(
        body["error"]["message"],
        "(#10) Stories are only available to business accounts"
    );
    // Everything else works for creators.
    post(&t, &token, &ig, &[("image_url", &quick("a"))]).await;
    let reel = [
        ("media_type", "REELS"),
        ("video_url", "https://cdn.test/r.mp4?sim_processing_ms=0"),
    ];
    post(&t, &token, &ig, &reel).await;
    assert_eq!(t.media_count(&ig).await, 2);

    t.settings(json!({ "stories_business_only": false })).await;
    let quick_story = quick("s");
    post(
        &t,
        &token,
        &ig,
        &[("media_type", "STORIES"), ("image_url", &quick_story)],
    )
    .await;

    // Accounts made through /_sim/users are BUSINESS unless told otherwise.
    let user = t
        .create_user(json!({ "pages": [
            { "instagram": { "username": "biz.quirks" } },
            { "instagram": { "username": "cre.quirks", "account_type": "CREATOR" } },
        ] }))
        .await;
    assert_eq!(user["pages"][0]["instagram_account_type"], "BUSINESS");
    assert_eq!(user["pages"][1]["instagram_account_type"], "CREATOR");
    let bad = t
        .post_json(
            "/_sim/users",
            json!({ "pages": [{ "instagram": { "username": "x.quirks", "account_type": "PERSONAL" } }] }),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

// ---- 8. 400 containers per rolling 24 h ----

#[tokio::test]
async fn the_401st_container_in_24_hours_is_refused() {
    let t = TestSim::start().await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    assert_eq!(
        t.get_json("/_sim/settings").await["container_limit_per_day"],
        400
    );
    // Carousel items and new containers for the same media all count.
    let item = [("image_url", IMAGE), ("is_carousel_item", "true")];
    for _ in 0..100 {
        container_id(&t, &token, &ig, &item).await;
    }
    for _ in 0..300 {
        container_id(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    }
    t.advance(3600.0).await;
    let response = t
        .http
        .post(t.url(&format!("/v23.0/{ig}/media")))
        .form(&[("access_token", token.as_str()), ("image_url", IMAGE)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let buc: Value = serde_json::from_str(
        response.headers()["x-business-use-case-usage"]
            .to_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(buc[&ig][0]["type"], "instagram");
    assert_eq!(buc[&ig][0]["call_count"], 100);
    // The first containers leave the window 23 h from now.
    assert_eq!(buc[&ig][0]["estimated_time_to_regain_access"], 23 * 60);
    let body: Value = response.json().await.unwrap();
    assert_error(&body, 4, None);
    assert_eq!(
        body["error"]["message"],
        "(#4) Application request limit reached: the account has created 400 media containers in 24 hours"
    );
    let made = t
        .get_json(&format!("/_sim/containers?ig_user_id={ig}"))
        .await;
    assert_eq!(made["data"].as_array().unwrap().len(), 400);

    // Rolling: once the first ones are 24 h old, there is room again.
    t.advance(23.0 * 3600.0).await;
    let (status, body) = create(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_container_budget_is_a_setting() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    t.settings(json!({ "container_limit_per_day": 3, "fresh_object_invisible_ms": 0 }))
        .await;
    let a = container_id(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("is_carousel_item", "true")],
    )
    .await;
    let b = container_id(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("b")), ("is_carousel_item", "true")],
    )
    .await;
    let children = format!("{a},{b}");
    let (_, carousel) = post(
        &t,
        &token,
        &ig,
        &[("media_type", "CAROUSEL"), ("children", &children)],
    )
    .await;
    assert!(!carousel.is_empty());
    let (_, body) = create(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    assert_error(&body, 4, None);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("created 3 media containers"));
    t.settings(json!({ "container_limit_per_day": 1000 })).await;
    assert_eq!(
        create(&t, &token, &ig, &[("image_url", IMAGE)]).await.0,
        StatusCode::OK
    );
}
