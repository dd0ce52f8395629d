//! What customers ask schedulers for, within Meta's rules (docs/graph-api.md §5 "Creating
//! containers", "After publishing"): collaborators, a place, people tagged, the AI label, reel
//! covers, feed sharing and trial reels, and a first comment posted exactly once. Each reaches
//! Instagram (the simulator) as Graph documents it; what a kind does not take is refused first.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        json as read_json,
        publishing::{self as p, Poster},
        token, unique, Backend, Options, TestApp,
    },
};

const SOON: Duration = Duration::from_secs(20);

/// Publishes `body` and returns the post and what the simulator holds for it.
async fn published(app: &TestApp, poster: &Poster, body: Value) -> (Value, Value) {
    let id = p::created_id(app, poster, &body).await;
    let post = p::wait_for(app, poster, &id, "published", SOON).await;
    let media = p::published_media(app, &poster.ig_user_id).await;
    let held = media
        .into_iter()
        .find(|m| Some(m["id"].as_str().unwrap_or("")) == post["instagram_media_id"].as_str())
        .unwrap_or_else(|| panic!("the simulator holds the post: {post:#}"));
    (post, held)
}

async fn a_reel_carries_its_cover_frame_feed_sharing_trial_collaborators_place_and_ai_label(
    backend: Backend,
) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = json!({
        "account_id": poster.account_id, "kind": "reel", "caption": "Behind the counter",
        "media": [{"url": poster.url("reel.mp4?secs=20"), "media_type": "video",
                   "user_tags": [{"username": "@barista.bea"}]}],
        "collaborators": ["@cara.creates", "dan_d"],
        "location": {"id": "110000000000002", "name": "Café Central"},
        "is_ai_generated": true,
        "share_to_feed": false,
        "thumb_offset_ms": 4500,
        "trial_reel": "performance",
    });
    let (post, held) = published(&app, &poster, body).await;
    assert_eq!(held["media_product_type"], "REELS");
    assert_eq!(held["share_to_feed"], false, "{held:#}");
    assert_eq!(
        held["collaborators"],
        json!(["cara.creates", "dan_d"]),
        "without @"
    );
    assert_eq!(held["location_id"], "110000000000002");
    assert_eq!(held["is_ai_generated"], true);
    assert_eq!(held["thumb_offset"].as_u64(), Some(4500), "{held:#}");
    assert_eq!(
        held["trial_params"]["graduation_strategy"], "SS_PERFORMANCE",
        "{held:#}"
    );
    assert_eq!(held["user_tags"][0]["username"], "barista.bea", "{held:#}");
    // The post shows what it carries, as it was asked.
    assert_eq!(post["collaborators"], json!(["cara.creates", "dan_d"]));
    assert_eq!(post["location"]["name"], "Café Central");
    assert_eq!(post["trial_reel"], "performance");
}

async fn a_reel_cover_image_is_sent_as_cover_url(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let cover = poster.url("cover.jpg?w=1080&h=1920");
    let body = json!({
        "account_id": poster.account_id, "kind": "reel",
        "media": [p::video(&poster.url("reel.mp4"))],
        "cover_url": cover,
    });
    let (_, held) = published(&app, &poster, body).await;
    assert_eq!(held["cover_url"], cover.as_str(), "{held:#}");
}

async fn people_are_tagged_where_they_are_in_images_and_carousels(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let tag = |name: &str, x: f64, y: f64| json!({"username": name, "x": x, "y": y});
    let image = json!({
        "account_id": poster.account_id, "kind": "image", "caption": "Team photo",
        "media": [{"url": poster.url("team.jpg"), "media_type": "image",
                   "user_tags": [tag("ana", 0.25, 0.5), tag("@bea", 0.75, 0.5)]}],
    });
    let (_, held) = published(&app, &poster, image).await;
    assert_eq!(
        held["user_tags"],
        json!([tag("ana", 0.25, 0.5), tag("bea", 0.75, 0.5)]),
        "{held:#}"
    );

    let carousel = json!({
        "account_id": poster.account_id, "kind": "carousel", "caption": "Two views",
        "collaborators": ["cara"], "location": {"id": "110000000000001"},
        "media": [{"url": poster.url("one.jpg"), "media_type": "image", "user_tags": [tag("dan", 0.1, 0.9)]},
                  p::video(&poster.url("two.mp4"))],
    });
    let (_, held) = published(&app, &poster, carousel).await;
    assert_eq!(
        held["collaborators"],
        json!(["cara"]),
        "on the album: {held:#}"
    );
    assert_eq!(held["location_id"], "110000000000001");
    assert_eq!(
        held["items"][0]["user_tags"],
        json!([tag("dan", 0.1, 0.9)]),
        "{held:#}"
    );
}

fn comments(held: &Value) -> Vec<String> {
    held["comments"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| c["text"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn the_first_comment_is_posted_once_even_when_its_answer_is_lost(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    // The comment is made, but its answer never arrives; then the media reads fail once.
    p::fault(
        &app,
        json!({"method": "POST", "path_contains": "/comments", "times": 1, "drop_response": true}),
    )
    .await;
    let mut body = p::image_post(&poster, "Menu of the day");
    body["first_comment"] = json!("Full menu at the link in bio #lunch");
    let (post, held) = published(&app, &poster, body).await;
    assert_eq!(
        comments(&held),
        ["Full menu at the link in bio #lunch"],
        "once: {held:#}"
    );
    assert!(post["first_comment_id"].is_string(), "{post:#}");
    assert_eq!(
        post["first_comment_id"], held["comments"][0]["id"],
        "the comment found again is the one made"
    );
}

async fn without_the_comment_permission_the_post_is_live_and_the_history_says_what_to_do(
    backend: Backend,
) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            extra: vec![
                ("PUBLISHER_POLL_MS", "50".into()),
                (
                    "INSTAGRAM_SCOPES",
                    "instagram_basic,instagram_content_publish,pages_read_engagement,pages_show_list,business_management".into(),
                ),
            ],
            ..Options::default()
        },
    )
    .await;
    app.sim_post("/_sim/settings", json!({"container_processing_ms": 100}))
        .await;
    let poster = p::poster(&app).await;
    let mut body = p::image_post(&poster, "No comments yet");
    body["first_comment"] = json!("First!");
    let (post, held) = published(&app, &poster, body).await;
    assert!(comments(&held).is_empty());
    assert!(post["first_comment_id"].is_null());
    let step = post["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "comment")
        .unwrap_or_else(|| panic!("the history says what happened: {post:#}"));
    assert!(
        step["detail"].as_str().unwrap().contains("reconnect it"),
        "{step}"
    );
}

async fn places_are_found_by_name_with_the_accounts_login(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let search = |account: &str, q: &str, jwt: &str| {
        let url = format!(
            "/api/social-media/instagram/places?account_id={account}&q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let jwt = jwt.to_string();
        let app = &app;
        async move { read_json(app.get(&url, &jwt).await).await }
    };
    let (status, found) = search(&poster.account_id, "café central", &poster.token).await;
    assert_eq!(status, 200, "{found}");
    let places = found["places"].as_array().unwrap();
    assert_eq!(places.len(), 1, "{found:#}");
    assert_eq!(places[0]["id"], "110000000000002");
    assert_eq!(places[0]["name"], "Café Central");
    assert!(places[0]["address"].as_str().unwrap().contains("Vienna"));

    let (status, refused) = search(&poster.account_id, "c", &poster.token).await;
    assert_eq!((status, refused["field"].as_str()), (422, Some("q")));
    let stranger = token(&unique("other"), "u1");
    let (status, refused) = search(&poster.account_id, "cafe", &stranger).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("account_id")),
        "another tenant's account is not theirs to use"
    );
}

async fn options_a_kind_does_not_take_are_refused_before_anything_is_queued(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let post = |patch: Value| {
        let mut b = json!({"account_id": poster.account_id});
        b.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        b
    };
    let story = |extra: Value| {
        let mut b = post(json!({"kind": "story", "media": [p::image(&poster.url("s.jpg"))]}));
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let image = |extra: Value| {
        let mut b = post(json!({"kind": "image", "media": [p::image(&poster.url("i.jpg"))]}));
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let reel = |extra: Value| {
        let mut b =
            post(json!({"kind": "reel", "media": [p::video(&poster.url("r.mp4?secs=10"))]}));
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let cases = [
        (
            story(json!({"collaborators": ["ana"]})),
            "collaborators",
            "Stories cannot have collaborators",
        ),
        (
            story(json!({"first_comment": "hi"})),
            "first_comment",
            "Stories cannot have comments",
        ),
        (
            story(json!({"location": {"id": "110000000000001"}})),
            "location",
            "Stories cannot have a location",
        ),
        (
            image(json!({"share_to_feed": true})),
            "share_to_feed",
            "reels only",
        ),
        (
            image(json!({"trial_reel": "manual"})),
            "trial_reel",
            "reels only",
        ),
        (
            image(json!({"collaborators": ["a", "b", "c", "d"]})),
            "collaborators",
            "at most 3 collaborators",
        ),
        (
            image(json!({"collaborators": ["not a name"]})),
            "collaborators",
            "not an Instagram username",
        ),
        (
            image(json!({"location": {"id": "somewhere"}})),
            "location",
            "digits only",
        ),
        (
            image(json!({"first_comment": "#a ".repeat(31)})),
            "first_comment",
            "31 hashtags",
        ),
        (
            post(
                json!({"kind": "image", "media": [{"url": poster.url("i.jpg"), "media_type": "image", "user_tags": [{"username": "ana"}]}]}),
            ),
            "media[0].user_tags[0].x",
            "needs its position",
        ),
        (
            post(
                json!({"kind": "carousel", "media": [p::image(&poster.url("a.jpg")), {"url": poster.url("b.mp4"), "media_type": "video", "user_tags": [{"username": "ana"}]}]}),
            ),
            "media[1].user_tags",
            "carousel video",
        ),
        (
            reel(json!({"thumb_offset_ms": 12000})),
            "thumb_offset_ms",
            "past the end of the video",
        ),
        (
            reel(json!({"cover_url": poster.url("cover.png")})),
            "cover_url",
            "only JPEG images",
        ),
        (
            reel(json!({"cover_url": poster.url("c.jpg"), "thumb_offset_ms": 1000})),
            "cover_url",
            "not both",
        ),
        (
            image(json!({"colaborators": ["typo"]})),
            "",
            "unknown field",
        ),
    ];
    for (body, field, says) in &cases {
        let (status, answer) = p::create(&app, &poster, body, None).await;
        assert!(matches!(status, 400 | 422), "{body} -> {status} {answer}");
        if !field.is_empty() {
            assert_eq!(answer["field"], *field, "{body} -> {answer}");
        }
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    let (_, page) = read_json(app.get(p::POSTS, &poster.token).await).await;
    assert_eq!(page["posts"], json!([]), "nothing was queued");
}

on_both_stores!(
    a_reel_carries_its_cover_frame_feed_sharing_trial_collaborators_place_and_ai_label,
    a_reel_cover_image_is_sent_as_cover_url,
    people_are_tagged_where_they_are_in_images_and_carousels,
    the_first_comment_is_posted_once_even_when_its_answer_is_lost,
    without_the_comment_permission_the_post_is_live_and_the_history_says_what_to_do,
    places_are_found_by_name_with_the_accounts_login,
    options_a_kind_does_not_take_are_refused_before_anything_is_queued,
);
