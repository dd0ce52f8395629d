//! Instagram's limits and refusals, as Meta documents them (docs/graph-api.md §1, §6): a
//! throttled or rate-limited account waits without spending the post's attempts, a temporary
//! policy block is retried hours later, a missing permission stops the account with advice, a
//! Creator account is told that stories need a Business account, a processing failure is
//! uploaded again only when that can help, and high usage slows an account down before
//! Instagram throttles it.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        flows,
        publishing::{self as p, Poster},
        Backend, TestApp,
    },
};

const SOON: Duration = Duration::from_secs(20);

/// Waits until the post's newest step is `step`.
async fn wait_for_step(app: &TestApp, poster: &Poster, id: &str, step: &str) -> Value {
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        let post = p::get_post(app, poster, id).await;
        let last = post["steps"].as_array().and_then(|s| s.last()).cloned();
        if last.is_some_and(|s| s["step"] == step) {
            return post;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "post {id} never reached step {step}: {post:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How far in the future the publisher will next look at the post.
fn next_attempt_in(post: &Value) -> TimeDelta {
    let at: DateTime<Utc> = post["next_attempt_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("a waiting post says when it is tried next: {post:#}"));
    at - Utc::now()
}

fn containers_path(poster: &Poster) -> String {
    format!("{}/media", poster.ig_user_id)
}

async fn a_throttled_post_waits_as_long_as_instagram_asks_without_spending_attempts(
    backend: Backend,
) {
    let app = p::quick_app(backend).await;
    let r = app
        .sim_post(
            "/_sim/settings",
            json!({"estimated_time_to_regain_access": 12}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let poster = p::poster(&app).await;
    p::fault(&app, json!({"method": "POST", "path_contains": containers_path(&poster), "times": 1, "code": 4, "message": "(#4) Application request limit reached"})).await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "busy day")).await;
    let post = wait_for_step(&app, &poster, &id, "throttled").await;
    assert_eq!(post["status"], "queued", "{post:#}");
    assert_eq!(
        post["attempts"], 0,
        "being throttled is not the post's fault"
    );
    let wait = next_attempt_in(&post);
    assert!(
        wait > TimeDelta::minutes(11) && wait <= TimeDelta::minutes(12),
        "the wait Instagram's usage header names: {wait}"
    );
    assert!(p::published_media(&app, &poster.ig_user_id)
        .await
        .is_empty());
}

async fn the_401st_container_of_a_day_defers_the_post_until_the_oldest_leaves_the_window(
    backend: Backend,
) {
    let app = p::quick_app(backend).await;
    let r = app
        .sim_post("/_sim/settings", json!({"container_limit_per_day": 1}))
        .await;
    assert_eq!(r.status(), 200);
    let poster = p::poster(&app).await;
    let first = p::created_id(&app, &poster, &p::image_post(&poster, "first")).await;
    p::wait_for(&app, &poster, &first, "published", SOON).await;
    let second = p::created_id(&app, &poster, &p::image_post(&poster, "second")).await;
    let post = wait_for_step(&app, &poster, &second, "throttled").await;
    assert_eq!(post["status"], "queued");
    assert_eq!(post["attempts"], 0);
    assert!(
        next_attempt_in(&post) > TimeDelta::hours(23),
        "a day's budget frees up when the oldest container is a day old: {post:#}"
    );
}

async fn our_own_count_of_the_days_uploads_defers_a_post_before_instagram_refuses(
    backend: Backend,
) {
    let app = p::quick_app_with(
        backend,
        vec![("INSTAGRAM_DAILY_CONTAINER_LIMIT", "3".into())],
    )
    .await;
    let poster = p::poster(&app).await;
    let first = p::created_id(&app, &poster, &p::image_post(&poster, "one upload")).await;
    p::wait_for(&app, &poster, &first, "published", SOON).await;
    // A carousel of two needs three containers: the two items fit, the album does not.
    let body = json!({"account_id": poster.account_id, "kind": "carousel", "caption": "three uploads",
        "media": [p::image(&poster.url("a.jpg")), p::image(&poster.url("b.jpg"))]});
    let id = p::created_id(&app, &poster, &body).await;
    let post = wait_for_step(&app, &poster, &id, "containers").await;
    assert_eq!(post["status"], "queued", "{post:#}");
    assert_eq!(post["attempts"], 0);
    assert!(
        next_attempt_in(&post) > TimeDelta::hours(23),
        "room comes back when the first upload is a day old: {post:#}"
    );
    let containers = app
        .sim_get(&format!(
            "/_sim/containers?ig_user_id={}",
            poster.ig_user_id
        ))
        .await;
    assert_eq!(
        containers["data"].as_array().unwrap().len(),
        3,
        "Instagram was never asked for a fourth: {containers:#}"
    );
    let calls = app
        .sim_get(&format!(
            "/_sim/calls?path_contains={}/media",
            poster.ig_user_id
        ))
        .await;
    let creations = calls["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["method"] == "POST" && c["path"].as_str().unwrap().ends_with("/media"))
        .count();
    assert_eq!(creations, 3, "no fourth upload was even tried: {calls:#}");
}

async fn a_temporary_policy_block_is_tried_again_an_hour_later_with_advice(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    p::fault(&app, json!({"method": "POST", "path_contains": containers_path(&poster), "times": 1, "code": 368, "message": "The action attempted has been deemed abusive or is otherwise disallowed"})).await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "blocked")).await;
    let post = wait_for_step(&app, &poster, &id, "retry").await;
    assert_eq!(post["status"], "queued");
    assert_eq!(post["error"]["code"], 368);
    assert!(
        post["error"]["advice"]
            .as_str()
            .unwrap()
            .contains("temporarily blocked"),
        "{post:#}"
    );
    assert!(
        next_attempt_in(&post) > TimeDelta::minutes(59),
        "a policy block lasts hours: {post:#}"
    );
}

async fn a_missing_permission_stops_the_account_and_says_what_to_fix(backend: Backend) {
    for code in [10, 200] {
        let app = p::quick_app(backend).await;
        let poster = p::poster(&app).await;
        p::fault(&app, json!({"method": "POST", "path_contains": containers_path(&poster), "times": 1, "code": code, "message": "(#10) Application does not have permission for this action"})).await;
        let id = p::created_id(&app, &poster, &p::image_post(&poster, "no rights")).await;
        let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
        assert_eq!(post["attempts"], 0, "code {code}: not retried");
        assert!(
            post["error"]["advice"]
                .as_str()
                .unwrap()
                .contains("Page role"),
            "code {code}: {post:#}"
        );
        let account = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
        assert_eq!(account["needs_reconnect"], true, "code {code}: {account}");
        assert!(account["status_reason"]
            .as_str()
            .unwrap()
            .contains("permission"));
        let (status, _) = p::create(&app, &poster, &p::image_post(&poster, "next"), None).await;
        assert_eq!(status, 422, "code {code}: no more posts until it is fixed");
    }
}

async fn a_creator_account_is_told_that_stories_need_a_business_account(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster_from(&app, "creator").await;
    let story = json!({"account_id": poster.account_id, "kind": "story", "media": [p::image(&poster.url("story.jpg"))]});
    let id = p::created_id(&app, &poster, &story).await;
    let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
    assert_eq!(post["error"]["code"], 10);
    assert!(
        post["error"]["advice"]
            .as_str()
            .unwrap()
            .contains("Business"),
        "{post:#}"
    );
    let account = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(account["can_post_stories"], false, "{account}");
    assert_eq!(
        account["needs_reconnect"], false,
        "feed posts still work for a Creator account"
    );

    let (status, body) = p::create(&app, &poster, &story, None).await;
    assert_eq!(status, 422, "the next story is refused up front: {body}");
    assert_eq!(body["field"], "kind", "{body}");
    assert!(body["message"].as_str().unwrap().contains("Business"));

    let feed = p::created_id(&app, &poster, &p::image_post(&poster, "feed is fine")).await;
    p::wait_for(&app, &poster, &feed, "published", SOON).await;
}

async fn a_processing_failure_is_uploaded_again_only_when_that_can_help(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let reel = |url: &str| json!({"account_id": poster.account_id, "kind": "reel", "media": [p::video(url)], "caption": "take two"});

    // 2207026, an unsupported video format: uploading it again cannot help.
    let id = p::created_id(
        &app,
        &poster,
        &reel(&poster.url("format.mp4?sim_status=ERROR&sim_subcode=2207026")),
    )
    .await;
    let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
    assert_eq!(post["error"]["subcode"], 2207026, "{post:#}");
    assert!(post["error"]["advice"].as_str().unwrap().contains("MP4"));
    let containers = app
        .sim_get(&format!(
            "/_sim/containers?ig_user_id={}",
            poster.ig_user_id
        ))
        .await;
    let uploads = containers["data"].as_array().unwrap().len();
    assert_eq!(uploads, 1, "not uploaded again: {containers:#}");

    // 2207082, "media upload has failed": a new upload usually works.
    let id = p::created_id(
        &app,
        &poster,
        &reel(&poster.url("once.mp4?sim_status=ERROR&sim_subcode=2207082&sim_error_times=1")),
    )
    .await;
    let post = p::wait_for(&app, &poster, &id, "published", SOON).await;
    assert!(
        post["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["detail"].as_str().unwrap().contains("uploading it again")),
        "{post:#}"
    );
}

async fn high_usage_slows_the_account_down_before_instagram_throttles_it(backend: Backend) {
    let app = p::quick_app(backend).await;
    let r = app
        .sim_post(
            "/_sim/settings",
            json!({"usage_percent": 90, "usage_headers_from_percent": 0}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let poster = p::poster(&app).await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "steady")).await;
    let post = wait_for_step(&app, &poster, &id, "pacing").await;
    assert_eq!(post["attempts"], 0);
    assert!(
        post["steps"].as_array().unwrap().last().unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("90%"),
        "{post:#}"
    );
    let wait = next_attempt_in(&post);
    assert!(
        wait > TimeDelta::seconds(90) && wait <= TimeDelta::minutes(2),
        "{wait}"
    );
}

on_both_stores!(
    a_throttled_post_waits_as_long_as_instagram_asks_without_spending_attempts,
    the_401st_container_of_a_day_defers_the_post_until_the_oldest_leaves_the_window,
    our_own_count_of_the_days_uploads_defers_a_post_before_instagram_refuses,
    a_temporary_policy_block_is_tried_again_an_hour_later_with_advice,
    a_missing_permission_stops_the_account_and_says_what_to_fix,
    a_creator_account_is_told_that_stories_need_a_business_account,
    a_processing_failure_is_uploaded_again_only_when_that_can_help,
    high_usage_slows_the_account_down_before_instagram_throttles_it,
);
