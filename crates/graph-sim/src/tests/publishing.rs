//! Rows H–K: containers, media_publish, quota, media read-back.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

pub(super) const IMAGE: &str = "https://cdn.test/photo.jpg";

pub(super) async fn create(
    t: &TestSim,
    token: &str,
    ig: &str,
    params: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut all = vec![("access_token", token)];
    all.extend_from_slice(params);
    t.graph_post(&format!("/v23.0/{ig}/media"), &all).await
}

pub(super) async fn container_id(
    t: &TestSim,
    token: &str,
    ig: &str,
    params: &[(&str, &str)],
) -> String {
    let (status, body) = create(t, token, ig, params).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_string()
}

pub(super) async fn publish(
    t: &TestSim,
    token: &str,
    ig: &str,
    creation_id: &str,
) -> (StatusCode, Value) {
    t.graph_post(
        &format!("/v23.0/{ig}/media_publish"),
        &[("access_token", token), ("creation_id", creation_id)],
    )
    .await
}

/// A long-lived token, for tests that move the clock by a day.
pub(super) async fn long_token(t: &TestSim, short: &str) -> String {
    t.long_lived(short).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(super) async fn status_of(t: &TestSim, token: &str, id: &str) -> Value {
    t.graph_get(
        &format!("/v23.0/{id}"),
        &[("access_token", token), ("fields", "status_code,status,id")],
    )
    .await
    .1
}

#[tokio::test]
async fn container_lifecycle_publishes_exactly_once() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    let container = container_id(
        &t,
        &token,
        &ig,
        &[("image_url", IMAGE), ("caption", "Hello")],
    )
    .await;

    // Fresh objects are invisible to GETs for a second (see fresh_objects_answer_100_33).
    t.advance(1.0).await;
    let status = status_of(&t, &token, &container).await;
    assert_eq!(status["status_code"], "IN_PROGRESS");
    assert_eq!(status["id"], container);

    // Publishing too early: row J's 9007/2207027, exactly.
    let (http, body) = publish(&t, &token, &ig, &container).await;
    assert_eq!(http, StatusCode::BAD_REQUEST);
    assert_error(&body, 9007, Some(2207027));
    let error = &body["error"];
    assert_eq!(error["message"], "Media ID is not available");
    assert_eq!(error["type"], "OAuthException");
    assert_eq!(error["is_transient"], false);
    assert_eq!(error["error_user_title"], "Cannot publish");
    assert_eq!(
        error["error_user_msg"],
        "The media is not ready to be published. Please wait a moment."
    );

    t.advance(1.0).await;
    assert_eq!(
        status_of(&t, &token, &container).await["status_code"],
        "FINISHED"
    );
    let (http, body) = publish(&t, &token, &ig, &container).await;
    assert_eq!(http, StatusCode::OK, "{body}");
    let media_id = body["id"].as_str().unwrap().to_string();
    t.advance(1.0).await;
    assert_eq!(
        status_of(&t, &token, &container).await["status_code"],
        "PUBLISHED"
    );

    // A second publish never makes a second post.
    let (http, body) = publish(&t, &token, &ig, &container).await;
    assert_eq!(http, StatusCode::BAD_REQUEST);
    assert_error(&body, 100, None);
    assert_eq!(t.media_count(&ig).await, 1);

    let fields = "id,permalink,shortcode,media_type,media_product_type,timestamp,caption,like_count,comments_count";
    let (_, media) = t
        .graph_get(
            &format!("/v23.0/{media_id}"),
            &[("access_token", &token), ("fields", fields)],
        )
        .await;
    assert_eq!(media["media_type"], "IMAGE");
    assert_eq!(media["media_product_type"], "FEED");
    assert_eq!(media["caption"], "Hello");
    let shortcode = media["shortcode"].as_str().unwrap();
    assert_eq!(
        media["permalink"],
        format!("https://www.instagram.com/p/{shortcode}/")
    );
    assert!(media["timestamp"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(media["like_count"], 0);

    let listed = t.get_json(&format!("/_sim/media?ig_user_id={ig}")).await;
    assert_eq!(listed["data"][0]["container_id"], container);
    assert_eq!(listed["data"][0]["id"], media_id);
}

#[tokio::test]
async fn concurrent_publishes_of_one_container_make_one_post() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    let url = format!("{IMAGE}?sim_processing_ms=0");
    let container = container_id(&t, &token, &ig, &[("image_url", &url)]).await;
    let attempts = (0..8).map(|_| publish(&t, &token, &ig, &container));
    let results = futures::future::join_all(attempts).await;
    let successes = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(successes, 1);
    assert_eq!(t.media_count(&ig).await, 1);
}

#[tokio::test]
async fn quota_is_enforced_on_a_rolling_window() {
    let t = TestSim::start().await;
    t.settings(json!({ "quota_total": 2, "container_processing_ms": 0 }))
        .await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    for _ in 0..2 {
        let c = container_id(&t, &token, &ig, &[("image_url", IMAGE)]).await;
        assert_eq!(publish(&t, &token, &ig, &c).await.0, StatusCode::OK);
    }
    let c = container_id(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    let (_, body) = publish(&t, &token, &ig, &c).await;
    assert_error(&body, 9, Some(2207042));

    let (_, limit) = t
        .graph_get(
            &format!("/v23.0/{ig}/content_publishing_limit"),
            &[("access_token", &token), ("fields", "quota_usage,config")],
        )
        .await;
    assert_eq!(
        limit,
        json!({ "data": [{ "quota_usage": 2, "config": { "quota_total": 2, "quota_duration": 86400 } }] })
    );

    t.advance(86_401.0).await;
    let c = container_id(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    assert_eq!(publish(&t, &token, &ig, &c).await.0, StatusCode::OK);
    assert_eq!(t.media_count(&ig).await, 3);
}

#[tokio::test]
async fn carousel_needs_finished_items_and_counts_as_one_post() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    let quick = format!("{IMAGE}?sim_processing_ms=0");
    let video = "https://cdn.test/clip.mp4?sim_processing_ms=0";
    let a = container_id(
        &t,
        &token,
        &ig,
        &[("image_url", &quick), ("is_carousel_item", "true")],
    )
    .await;
    let b = container_id(
        &t,
        &token,
        &ig,
        &[
            ("video_url", video),
            ("media_type", "VIDEO"),
            ("is_carousel_item", "true"),
        ],
    )
    .await;
    let slow = container_id(
        &t,
        &token,
        &ig,
        &[("image_url", IMAGE), ("is_carousel_item", "true")],
    )
    .await;

    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("media_type", "CAROUSEL"), ("children", &a)],
    )
    .await;
    assert_error(&body, 100, Some(2207028));
    let slow_children = format!("{a},{slow}");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("media_type", "CAROUSEL"), ("children", &slow_children)],
    )
    .await;
    assert_error(&body, 9007, Some(2207027));
    // An item cannot be published on its own.
    let (_, body) = publish(&t, &token, &ig, &a).await;
    assert_error(&body, 100, Some(2207089));

    let children = format!("{a},{b}");
    let carousel = container_id(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children),
            ("caption", "Two"),
        ],
    )
    .await;
    let (status, body) = publish(&t, &token, &ig, &carousel).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let media_id = body["id"].as_str().unwrap();
    assert_eq!(t.media_count(&ig).await, 1);

    t.advance(1.0).await;
    let (_, media) = t
        .graph_get(
            &format!("/v23.0/{media_id}"),
            &[
                ("access_token", &token),
                ("fields", "media_type,children{id,media_type}"),
            ],
        )
        .await;
    assert_eq!(media["media_type"], "CAROUSEL_ALBUM");
    let kinds: Vec<&str> = media["children"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["media_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["IMAGE", "VIDEO"]);
    let (_, limit) = t
        .graph_get(
            &format!("/v23.0/{ig}/content_publishing_limit"),
            &[("access_token", &token)],
        )
        .await;
    assert_eq!(limit["data"][0]["quota_usage"], 1);
}

#[tokio::test]
async fn reels_and_stories_read_back_as_meta_describes() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    let video = "https://cdn.test/reel.mp4?sim_processing_ms=0";
    let reel = container_id(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", video),
            ("share_to_feed", "true"),
            ("thumb_offset", "1000"),
        ],
    )
    .await;
    let reel_media = publish(&t, &token, &ig, &reel).await.1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let story = container_id(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &format!("{IMAGE}?sim_processing_ms=0")),
        ],
    )
    .await;
    let story_media = publish(&t, &token, &ig, &story).await.1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let quick = format!("{IMAGE}?sim_processing_ms=0");
    let image = container_id(&t, &token, &ig, &[("image_url", &quick)]).await;
    let image_media = publish(&t, &token, &ig, &image).await.1["id"]
        .as_str()
        .unwrap()
        .to_string();

    t.advance(1.0).await;
    let fields = [
        ("access_token", token.as_str()),
        (
            "fields",
            "media_type,media_product_type,permalink,shortcode",
        ),
    ];
    let (_, media) = t.graph_get(&format!("/v23.0/{reel_media}"), &fields).await;
    assert_eq!(media["media_type"], "VIDEO");
    assert_eq!(media["media_product_type"], "REELS");
    let shortcode = media["shortcode"].as_str().unwrap();
    assert_eq!(
        media["permalink"],
        format!("https://www.instagram.com/reel/{shortcode}/")
    );
    let (_, media) = t.graph_get(&format!("/v23.0/{story_media}"), &fields).await;
    assert_eq!(media["media_product_type"], "STORY");

    // The account's media edge: newest first, paged, without the story.
    let (_, listed) = t
        .graph_get(
            &format!("/v23.0/{ig}/media"),
            &[("access_token", &token), ("limit", "1")],
        )
        .await;
    assert_eq!(listed["data"][0]["id"], image_media);
    let next = listed["paging"]["next"].as_str().unwrap();
    let older: Value = t.http.get(next).send().await.unwrap().json().await.unwrap();
    assert_eq!(older["data"][0]["id"], reel_media);
    assert!(older["paging"].get("next").is_none());
    // Stories count neither in /media nor in media_count (12 seeded + reel + image).
    let (_, ig_user) = t
        .graph_get(
            &format!("/v23.0/{ig}"),
            &[("access_token", &token), ("fields", "media_count")],
        )
        .await;
    assert_eq!(ig_user["media_count"], 14);
}

#[tokio::test]
async fn creation_errors() {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    let long_caption = "x".repeat(2201);
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", IMAGE), ("caption", &long_caption)],
    )
    .await;
    assert_error(&body, 36004, Some(2207010));
    let fetch_fails = format!("{IMAGE}?sim_fetch=fail");
    let (_, body) = create(&t, &token, &ig, &[("image_url", &fetch_fails)]).await;
    assert_error(&body, 9004, Some(2207052));
    assert_eq!(
        body["error"]["message"],
        "The media could not be fetched from this uri"
    );
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "VIDEO"),
            ("video_url", "https://cdn.test/v.mp4"),
        ],
    )
    .await;
    assert_error(&body, 100, Some(2207089));
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("media_type", "GIF"), ("image_url", IMAGE)],
    )
    .await;
    assert_error(&body, 100, Some(2207023));
    let children: Vec<String> = (0..11).map(|i| i.to_string()).collect();
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children.join(",")),
        ],
    )
    .await;
    assert_error(&body, 100, Some(2207028));
    // Someone else's IG account: 100/33 for a POST.
    let (_, body) = create(&t, &token, "17841000000000001", &[("image_url", IMAGE)]).await;
    assert_error(&body, 100, Some(33));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Unsupported post request."));
}

#[tokio::test]
async fn declined_publish_permission_gives_code_10() {
    let t = TestSim::start().await;
    let created = t.scenario("declined_publish").await;
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    let token = t.login(created["user_id"].as_str().unwrap()).await;
    let (status, body) = create(&t, &token, ig, &[("image_url", IMAGE)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 10, None);
    assert_eq!(
        body["error"]["message"],
        "(#10) Requires instagram_content_publish permission to manage the object"
    );
}

#[tokio::test]
async fn error_and_expired_containers() {
    let t = TestSim::start().await;
    let (short, ig, ..) = t.happy_login().await;
    let token = long_token(&t, &short).await;
    let failing = format!("{IMAGE}?sim_processing_ms=0&sim_status=ERROR");
    let broken = container_id(&t, &token, &ig, &[("image_url", &failing)]).await;
    t.advance(1.0).await;
    let status = status_of(&t, &token, &broken).await;
    assert_eq!(status["status_code"], "ERROR");
    assert_eq!(
        status["status"],
        "Error: Media download has failed. The media URI doesn't meet our requirements. (2207052)"
    );
    let (_, body) = publish(&t, &token, &ig, &broken).await;
    assert_error(&body, 9004, Some(2207052));

    let stale = container_id(
        &t,
        &token,
        &ig,
        &[("image_url", &format!("{IMAGE}?sim_processing_ms=0"))],
    )
    .await;
    t.advance(86_400.0).await;
    assert_eq!(
        status_of(&t, &token, &stale).await["status_code"],
        "EXPIRED"
    );
    let (_, body) = publish(&t, &token, &ig, &stale).await;
    assert_error(&body, 24, Some(2207008));
    // ERROR is final: it never turns into EXPIRED (or anything else).
    assert_eq!(status_of(&t, &token, &broken).await["status_code"], "ERROR");
    let (_, body) = publish(&t, &token, &ig, "17880000000000000").await;
    assert_error(&body, 24, Some(2207008));

    // A global setting shapes new containers too.
    t.settings(json!({ "container_final_status": "ERROR", "container_processing_ms": 0 }))
        .await;
    let c = container_id(&t, &token, &ig, &[("image_url", IMAGE)]).await;
    t.advance(1.0).await;
    assert_eq!(status_of(&t, &token, &c).await["status_code"], "ERROR");
    assert_eq!(t.media_count(&ig).await, 0);
}

#[tokio::test]
async fn page_token_from_accounts_can_publish() {
    let t = TestSim::start().await;
    let (token, ig, page_id, _) = t.happy_login().await;
    let (_, page) = t
        .graph_get(
            &format!("/v23.0/{page_id}"),
            &[("access_token", &token), ("fields", "access_token")],
        )
        .await;
    let page_token = page["access_token"].as_str().unwrap();
    let url = format!("{IMAGE}?sim_processing_ms=0");
    let c = container_id(&t, page_token, &ig, &[("image_url", &url)]).await;
    assert_eq!(publish(&t, page_token, &ig, &c).await.0, StatusCode::OK);
    let (_, me) = t
        .graph_get("/v23.0/me", &[("access_token", page_token)])
        .await;
    assert_eq!(me["id"], page_id);
}

/// With `fetch_media` (the default outside these tests), a container downloads its media as
/// Instagram does: a URL nobody answers fails the creation call (9004/2207052); a PNG, or a
/// 9:16 photo in the feed, ends the container in ERROR with the rule's subcode; the same 9:16
/// photo as a story, and a real JPEG in the feed's shape, are fine.
#[tokio::test]
async fn containers_download_their_media_and_refuse_what_instagram_would() {
    let t = TestSim::start().await;
    t.sim.with_state(|s| {
        s.settings.fetch_media = true;
        s.settings.container_processing_ms = 0;
    });
    let (token, ig, ..) = t.happy_login().await;
    let file = |name: &str| format!("{}/_sim/files/{name}", t.base);
    let (status, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", "http://127.0.0.1:9/nothing-listens-here.jpg")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, 9004, Some(2207052));

    let expect = |subcode: Option<i64>| subcode;
    for (params, subcode) in [
        (
            vec![("image_url", file("photo.png"))],
            expect(Some(2207005)),
        ),
        (
            vec![("image_url", file("photo.jpg?w=1080&h=1920"))],
            expect(Some(2207009)),
        ),
        (
            vec![
                ("image_url", file("photo.jpg?w=1080&h=1920")),
                ("media_type", "STORIES".to_string()),
            ],
            None,
        ),
        (vec![("image_url", file("photo.jpg?w=1080&h=1350"))], None),
    ] {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let id = container_id(&t, &token, &ig, &params).await;
        t.advance(2.0).await;
        let status = status_of(&t, &token, &id).await;
        match subcode {
            Some(sub) => {
                assert_eq!(status["status_code"], "ERROR", "{params:?}: {status}");
                assert!(
                    status["status"]
                        .as_str()
                        .unwrap()
                        .contains(&sub.to_string()),
                    "{status}"
                );
            }
            None => assert_eq!(status["status_code"], "FINISHED", "{params:?}: {status}"),
        }
    }
}
