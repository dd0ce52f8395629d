//! Publishing from a connected account: every media type end to end, validation, idempotency,
//! scheduling, cancel and retry, and how each kind of Graph failure is handled.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        json,
        publishing::{self as p, Poster, POSTS},
        token, unique, Backend, TestApp,
    },
};

const SOON: Duration = Duration::from_secs(15);

async fn publishes(app: &TestApp, poster: &Poster, body: Value) -> Value {
    let id = p::created_id(app, poster, &body).await;
    p::wait_for(app, poster, &id, "published", SOON).await
}

async fn an_image_post_is_published_with_its_permalink(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let mut body = p::image_post(&poster, "Sunny day #beach @friend");
    body["media"][0]["alt_text"] = json!("A beach at noon");
    let post = publishes(&app, &poster, body).await;
    assert!(
        post["permalink"]
            .as_str()
            .unwrap()
            .starts_with("https://www.instagram.com/"),
        "{post}"
    );
    assert!(post["published_at"].is_string());
    assert!(post["instagram_media_id"].is_string());
    let media = p::published_media(&app, &poster.ig_user_id).await;
    assert_eq!(media.len(), 1);
    assert_eq!(media[0]["media_type"], "IMAGE");
    assert_eq!(media[0]["caption"], "Sunny day #beach @friend");
    let steps: Vec<&str> = post["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"container") && steps.contains(&"published"),
        "every step is recorded: {steps:?}"
    );
}

async fn a_carousel_of_images_and_videos_is_published_as_one_post(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = json!({
        "account_id": poster.account_id,
        "kind": "carousel",
        "caption": "Three in one",
        "media": [p::image(&poster.url("1.jpg")), p::video(&poster.url("2.mp4")), p::image(&poster.url("3.jpg"))],
    });
    publishes(&app, &poster, body).await;
    let media = p::published_media(&app, &poster.ig_user_id).await;
    assert_eq!(media.len(), 1, "a carousel counts as one post");
    assert_eq!(media[0]["media_type"], "CAROUSEL_ALBUM");
    assert_eq!(media[0]["children"].as_array().unwrap().len(), 3);
}

async fn a_reel_is_published(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = json!({"account_id": poster.account_id, "kind": "reel", "caption": "Watch", "media": [p::video(&poster.url("reel.mp4"))]});
    publishes(&app, &poster, body).await;
    let media = p::published_media(&app, &poster.ig_user_id).await;
    assert_eq!(
        (
            media[0]["media_type"].as_str(),
            media[0]["media_product_type"].as_str()
        ),
        (Some("VIDEO"), Some("REELS"))
    );
}

async fn image_and_video_stories_are_published(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    for item in [
        p::image(&poster.url("s.jpg")),
        p::video(&poster.url("s.mp4")),
    ] {
        publishes(
            &app,
            &poster,
            json!({"account_id": poster.account_id, "kind": "story", "media": [item]}),
        )
        .await;
    }
    let media = p::published_media(&app, &poster.ig_user_id).await;
    assert_eq!(media.len(), 2);
    assert!(media.iter().all(|m| m["media_product_type"] == "STORY"));
}

async fn bad_posts_are_refused_before_anything_is_queued(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let other = p::poster(&app).await;
    let base = p::image_post(&poster, "ok");
    let with = |patch: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        b
    };
    let tags: String = (0..31).map(|i| format!("#t{i} ")).collect();
    let mentions: String = (0..21).map(|i| format!("@u{i} ")).collect();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "long caption",
            with(json!({"caption": "a".repeat(2201)})),
            422,
            "2200",
        ),
        (
            "31 hashtags",
            with(json!({"caption": tags})),
            422,
            "hashtags",
        ),
        (
            "21 mentions",
            with(json!({"caption": mentions})),
            422,
            "mentions",
        ),
        (
            "plain http",
            with(json!({"media": [p::image("http://cdn.example.com/a.jpg")]})),
            422,
            "https",
        ),
        (
            "metadata address",
            with(json!({"media": [p::image("https://169.254.169.254/latest/meta-data/")]})),
            422,
            "private",
        ),
        (
            "loopback as a number",
            with(json!({"media": [p::image("https://2130706433/a.jpg")]})),
            422,
            "private",
        ),
        (
            "carousel of one",
            with(json!({"kind": "carousel"})),
            422,
            "between 2 and 10",
        ),
        (
            "reel of an image",
            with(json!({"kind": "reel"})),
            422,
            "video",
        ),
        (
            "story with a caption",
            with(json!({"kind": "story", "caption": "hi"})),
            422,
            "caption",
        ),
        (
            "in the past",
            with(json!({"scheduled_at": "2020-01-01T00:00:00Z"})),
            422,
            "past",
        ),
        (
            "another tenant's account",
            with(json!({"account_id": other.account_id})),
            422,
            "account",
        ),
        (
            "a made-up account",
            with(json!({"account_id": "000000000000000000000000"})),
            422,
            "account",
        ),
        (
            "setting the status",
            with(json!({"status": "published"})),
            422,
            "status",
        ),
        (
            "setting the tenant",
            with(json!({"customer_id": "someone"})),
            422,
            "customer_id",
        ),
        (
            "an operator for an id",
            with(json!({"account_id": {"$ne": null}})),
            422,
            "account_id",
        ),
        (
            "an unknown kind",
            with(json!({"kind": "tiktok"})),
            422,
            "kind",
        ),
        (
            "a NUL in the caption",
            with(json!({"caption": "a\u{0}b"})),
            422,
            "control character",
        ),
    ];
    for (name, body, status, says) in cases {
        let (got, response) = p::create(&app, &poster, &body, None).await;
        assert_eq!(got, status, "{name}: {response}");
        assert_eq!(response["status"], "error", "{name}");
        let message = response["message"].as_str().unwrap();
        assert!(
            message.contains(says),
            "{name}: `{message}` should mention `{says}`"
        );
    }
    let raw = app
        .http
        .post(app.url(POSTS))
        .bearer_auth(&poster.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let (_, listed) = json(app.get(POSTS, &poster.token).await).await;
    assert_eq!(listed["posts"], json!([]), "nothing was queued");
    assert!(p::published_media(&app, &poster.ig_user_id)
        .await
        .is_empty());
}

async fn an_idempotency_key_replays_the_first_result(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = p::image_post(&poster, "once");
    let (s1, first) = p::create(&app, &poster, &body, Some("order-1")).await;
    let (s2, again) = p::create(&app, &poster, &body, Some("order-1")).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["post"]["_id"], again["post"]["_id"]);
    let (s3, refused) = p::create(
        &app,
        &poster,
        &p::image_post(&poster, "another"),
        Some("order-1"),
    )
    .await;
    assert_eq!(s3, 409, "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("different request"));
    let (s4, _) = p::create(&app, &poster, &body, Some("bad key with spaces")).await;
    assert_eq!(s4, 422);
}

async fn twenty_racing_requests_with_one_key_publish_once(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = p::image_post(&poster, "raced");
    let results =
        join_all((0..20).map(|_| p::create(&app, &poster, &body, Some("race-key")))).await;
    let ids: std::collections::HashSet<_> = results
        .iter()
        .map(|(s, b)| {
            assert!(*s == 201 || *s == 200, "{b}");
            b["post"]["_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1);
    let id = ids.into_iter().next().unwrap();
    p::wait_for(&app, &poster, &id, "published", SOON).await;
    assert_eq!(p::published_media(&app, &poster.ig_user_id).await.len(), 1);
}

async fn a_scheduled_post_waits_for_its_time(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let mut body = p::image_post(&poster, "later");
    let at = chrono::Utc::now() + chrono::TimeDelta::seconds(2);
    body["scheduled_at"] = json!(at.to_rfc3339());
    let id = p::created_id(&app, &poster, &body).await;
    assert_eq!(p::get_post(&app, &poster, &id).await["status"], "scheduled");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        p::published_media(&app, &poster.ig_user_id)
            .await
            .is_empty(),
        "not before its time"
    );
    let post = p::wait_for(&app, &poster, &id, "published", SOON).await;
    let published: chrono::DateTime<chrono::Utc> =
        post["published_at"].as_str().unwrap().parse().unwrap();
    assert!(
        published >= at - chrono::TimeDelta::milliseconds(10),
        "published at {published}, scheduled {at}"
    );
}

async fn a_scheduled_post_can_be_cancelled_and_a_published_one_cannot(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let mut body = p::image_post(&poster, "never");
    body["scheduled_at"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(3)).to_rfc3339());
    let id = p::created_id(&app, &poster, &body).await;
    let (status, cancelled) = p::act(&app, &poster, &id, "cancel").await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["post"]["status"], "cancelled");
    let published = publishes(&app, &poster, p::image_post(&poster, "now")).await;
    let pid = published["_id"].as_str().unwrap();
    let (status, refused) = p::act(&app, &poster, pid, "cancel").await;
    assert_eq!(status, 409);
    assert!(refused["message"].as_str().unwrap().contains("published"));
    let (status, _) = p::act(&app, &poster, pid, "retry").await;
    assert_eq!(status, 409, "only failed posts are retried");
    assert_eq!(
        p::published_media(&app, &poster.ig_user_id).await.len(),
        1,
        "the cancelled post never went out"
    );
}

async fn the_history_lists_newest_first_with_filters_and_pages(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let mut ids = vec![];
    for i in 0..3 {
        let mut body = p::image_post(&poster, &format!("post {i}"));
        body["scheduled_at"] =
            json!((chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339());
        ids.push(p::created_id(&app, &poster, &body).await);
    }
    let (_, page1) = json(app.get(&format!("{POSTS}?limit=2"), &poster.token).await).await;
    let got: Vec<&str> = page1["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str()]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = json(
        app.get(&format!("{POSTS}?limit=2&cursor={cursor}"), &poster.token)
            .await,
    )
    .await;
    assert_eq!(page2["posts"][0]["_id"], ids[0].as_str());
    assert!(page2["next_cursor"].is_null());
    let (_, scheduled) = json(
        app.get(
            &format!("{POSTS}?status=scheduled&account_id={}", poster.account_id),
            &poster.token,
        )
        .await,
    )
    .await;
    assert_eq!(scheduled["posts"].as_array().unwrap().len(), 3);
    let (_, none) = json(
        app.get(&format!("{POSTS}?status=failed"), &poster.token)
            .await,
    )
    .await;
    assert_eq!(none["posts"], json!([]));
    let (status, _) = json(
        app.get(&format!("{POSTS}?status=done"), &poster.token)
            .await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = json(app.get(&format!("{POSTS}?limit=1000"), &poster.token).await).await;
    assert_eq!(status, 422);
}

async fn retryable_graph_errors_are_retried_until_published(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    p::fault(&app, json!({"method": "POST", "path_contains": format!("{}/media", poster.ig_user_id), "times": 2, "code": 2, "is_transient": true})).await;
    let post = publishes(&app, &poster, p::image_post(&poster, "flaky")).await;
    assert_eq!(post["attempts"], 2, "{post}");
    assert!(post["error"].is_null(), "a published post carries no error");
    assert_eq!(p::published_media(&app, &poster.ig_user_id).await.len(), 1);
}

async fn a_server_error_then_success_is_retried(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    p::fault(
        &app,
        json!({"path_contains": "content_publishing_limit", "times": 1, "http_status": 500}),
    )
    .await;
    p::fault(&app, json!({"method": "POST", "path_contains": format!("{}/media", poster.ig_user_id), "times": 1, "http_status": 503, "code": 1})).await;
    publishes(&app, &poster, p::image_post(&poster, "5xx")).await;
}

async fn media_not_ready_is_waited_for_not_failed(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    p::fault(
        &app,
        json!({"path_contains": "media_publish", "times": 2, "code": 9007, "subcode": 2207027}),
    )
    .await;
    let post = publishes(&app, &poster, p::image_post(&poster, "not ready yet")).await;
    assert_eq!(
        post["attempts"], 0,
        "waiting for processing is not a failed attempt"
    );
    assert_eq!(p::published_media(&app, &poster.ig_user_id).await.len(), 1);
}

async fn permanent_errors_fail_the_post_with_graphs_message_and_advice(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = json!({"account_id": poster.account_id, "kind": "image", "media": [p::image(&poster.url("missing.jpg?sim_fetch=fail"))]});
    let id = p::created_id(&app, &poster, &body).await;
    let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
    let error = &post["error"];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("could not be fetched"),
        "{post}"
    );
    assert!(
        error["advice"].as_str().unwrap().contains("public"),
        "{post}"
    );
    assert_eq!(error["code"], 9004);
    assert_eq!(post["attempts"], 0, "not retried");
    assert!(p::published_media(&app, &poster.ig_user_id)
        .await
        .is_empty());
}

async fn a_container_that_fails_processing_fails_the_post_with_instagrams_reason(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let body = json!({"account_id": poster.account_id, "kind": "reel", "media": [p::video(&poster.url("bad.mp4?sim_status=ERROR"))]});
    let id = p::created_id(&app, &poster, &body).await;
    let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
    assert!(
        post["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Instagram could not process the media"),
        "{post}"
    );
}

async fn a_failed_post_can_be_retried(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    p::fault(&app, json!({"method": "POST", "path_contains": format!("{}/media", poster.ig_user_id), "times": 1, "code": 100, "message": "Invalid parameter"})).await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "second chance")).await;
    p::wait_for(&app, &poster, &id, "failed", SOON).await;
    let (status, body) = p::act(&app, &poster, &id, "retry").await;
    assert_eq!(status, 200, "{body}");
    p::wait_for(&app, &poster, &id, "published", SOON).await;
}

async fn an_expired_token_flips_the_account_to_needs_reconnect(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let mut later = p::image_post(&poster, "later");
    later["scheduled_at"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(2)).to_rfc3339());
    let waiting = p::created_id(&app, &poster, &later).await;
    let r = app
        .sim_post(
            &format!("/_sim/users/{}/tokens/expire", poster.sim_user_id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "now")).await;
    let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
    assert_eq!(post["error"]["code"], 190);
    assert!(post["error"]["advice"]
        .as_str()
        .unwrap()
        .contains("Reconnect"));
    assert_eq!(post["attempts"], 0, "190 is never retried");
    let account = &crate::support::flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(account["needs_reconnect"], true, "{account}");
    assert_eq!(account["state"], "needs_reconnect", "{account}");
    let reason = account["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("The saved Facebook login has expired."),
        "{reason}"
    );
    assert!(
        reason.contains("Instagram said:"),
        "Meta's own words too: {reason}"
    );
    assert!(
        account["fix"].as_str().unwrap().contains("Reconnect"),
        "{account}"
    );
    let other = p::get_post(&app, &poster, &waiting).await;
    assert_eq!(
        other["status"], "failed",
        "the account's waiting posts fail with the same reason"
    );
    let (status, body) = p::create(&app, &poster, &p::image_post(&poster, "blocked"), None).await;
    assert_eq!(status, 422);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("needs reconnecting"));
    let (status, _) = p::act(&app, &poster, &id, "retry").await;
    assert_eq!(status, 409, "retrying needs a reconnect first");
}

/// A saved login the service cannot decrypt (a key removed too early) is the operator's problem:
/// the post fails saying so, without ids or key ids, and without blaming the customer's login.
async fn a_login_that_does_not_decrypt_fails_with_advice_for_the_operator(backend: Backend) {
    use social_media_uploader::{
        crypto::{KeyRing, TokenKey},
        domain::{
            accounts::{seal_token, ConnectedAccount, LoginKind, TokenKind},
            tenant::Tenant,
        },
    };
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let tenant = Tenant::new(&poster.customer, &poster.user).unwrap();
    let held = app
        .storage()
        .accounts
        .get(&tenant, &poster.account_id)
        .await
        .unwrap()
        .unwrap();
    let lost_key = KeyRing::new(TokenKey::new([9u8; 32]), vec![]);
    app.storage()
        .accounts
        .upsert(ConnectedAccount {
            new_id: held.id.clone(),
            access_token: seal_token(
                &lost_key,
                &tenant,
                &held.instagram_user_id,
                TokenKind::User,
                "EAAG-lost",
            ),
            page_token: None,
            facebook_user_id: held.facebook_user_id.clone(),
            tenant: tenant.clone(),
            instagram_user_id: held.instagram_user_id.clone(),
            instagram_username: held.instagram_username.clone(),
            instagram_name: held.instagram_name.clone(),
            profile_picture_url: held.profile_picture_url.clone(),
            app_id: held.app_id.clone(),
            login: LoginKind::Facebook,
            facebook_page_id: held.facebook_page_id.clone(),
            facebook_page_name: held.facebook_page_name.clone(),
            token_expires_at: held.token_expires_at,
            data_access_expires_at: held.data_access_expires_at,
            scopes: held.scopes.clone(),
            now: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "unreadable")).await;
    let post = p::wait_for(&app, &poster, &id, "failed", SOON).await;
    let error = &post["error"];
    assert!(
        error["advice"]
            .as_str()
            .unwrap()
            .contains("contact support"),
        "{error}"
    );
    let text = error.to_string();
    assert!(!text.contains(&poster.account_id), "no ids: {text}");
    assert!(
        !text.contains(&held.id) && !text.contains("key"),
        "no key ids: {text}"
    );
    assert!(p::published_media(&app, &poster.ig_user_id)
        .await
        .is_empty());
}

async fn the_publishing_quota_defers_instead_of_failing(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    app.sim_post("/_sim/settings", json!({"quota_total": 1}))
        .await;
    publishes(&app, &poster, p::image_post(&poster, "first")).await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "second")).await;
    let deadline = tokio::time::Instant::now() + SOON;
    let post = loop {
        let post = p::get_post(&app, &poster, &id).await;
        if post["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["step"] == "quota")
        {
            break post;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never deferred: {post}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(post["status"], "queued", "{post}");
    assert!(post["error"].is_null(), "deferred, not failed");
    let next: chrono::DateTime<chrono::Utc> =
        post["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::TimeDelta::minutes(20),
        "it waits for the limit to free up"
    );
    assert_eq!(p::published_media(&app, &poster.ig_user_id).await.len(), 1);
}

async fn a_publish_whose_answer_is_lost_is_not_published_again(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    p::fault(
        &app,
        json!({"path_contains": "media_publish", "times": 1, "drop_response": true}),
    )
    .await;
    let post = publishes(&app, &poster, p::image_post(&poster, "exactly once")).await;
    let media = p::published_media(&app, &poster.ig_user_id).await;
    assert_eq!(media.len(), 1, "exactly one published media: {media:?}");
    assert_eq!(
        post["instagram_media_id"], media[0]["id"],
        "the lost answer was recovered from the account's media"
    );
    let details: Vec<&str> = post["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["detail"].as_str().unwrap())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("checking whether it was published")),
        "{details:?}"
    );
}

async fn slow_graph_answers_time_out_and_are_retried(backend: Backend) {
    let app = p::quick_app_with(backend, vec![("GRAPH_API_TIMEOUT_SECS", "1".into())]).await;
    let poster = p::poster(&app).await;
    p::fault(&app, json!({"path_contains": format!("{}/media", poster.ig_user_id), "method": "POST", "times": 1, "delay_ms": 2500})).await;
    let post = publishes(&app, &poster, p::image_post(&poster, "slow")).await;
    assert!(post["attempts"].as_u64().unwrap() >= 1, "{post}");
    // The slow request may have created a container too; only one post was published.
    assert_eq!(p::published_media(&app, &poster.ig_user_id).await.len(), 1);
}

async fn another_tenant_cannot_see_or_touch_posts(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let mut body = p::image_post(&poster, "secret caption canary");
    body["scheduled_at"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339());
    let id = p::created_id(&app, &poster, &body).await;
    for t in [
        token(&unique("other"), "u1"),
        token(&poster.customer, "someone-else"),
    ] {
        for (method, path) in [
            ("GET", format!("{POSTS}/{id}")),
            ("POST", format!("{POSTS}/{id}/cancel")),
            ("POST", format!("{POSTS}/{id}/retry")),
        ] {
            let r = match method {
                "GET" => app.get(&path, &t).await,
                _ => app
                    .http
                    .post(app.url(&path))
                    .bearer_auth(&t)
                    .send()
                    .await
                    .unwrap(),
            };
            assert_eq!(r.status(), 404, "{method} {path}");
            assert!(!r.text().await.unwrap().contains("canary"));
        }
        let (_, listed) = json(app.get(POSTS, &t).await).await;
        assert_eq!(listed["posts"], json!([]));
    }
    assert_eq!(p::get_post(&app, &poster, &id).await["status"], "scheduled");
}

on_both_stores!(
    an_image_post_is_published_with_its_permalink,
    a_carousel_of_images_and_videos_is_published_as_one_post,
    a_reel_is_published,
    image_and_video_stories_are_published,
    bad_posts_are_refused_before_anything_is_queued,
    an_idempotency_key_replays_the_first_result,
    twenty_racing_requests_with_one_key_publish_once,
    a_scheduled_post_waits_for_its_time,
    a_scheduled_post_can_be_cancelled_and_a_published_one_cannot,
    the_history_lists_newest_first_with_filters_and_pages,
    retryable_graph_errors_are_retried_until_published,
    a_server_error_then_success_is_retried,
    media_not_ready_is_waited_for_not_failed,
    permanent_errors_fail_the_post_with_graphs_message_and_advice,
    a_container_that_fails_processing_fails_the_post_with_instagrams_reason,
    a_failed_post_can_be_retried,
    an_expired_token_flips_the_account_to_needs_reconnect,
    a_login_that_does_not_decrypt_fails_with_advice_for_the_operator,
    the_publishing_quota_defers_instead_of_failing,
    a_publish_whose_answer_is_lost_is_not_published_again,
    slow_graph_answers_time_out_and_are_retried,
    another_tenant_cannot_see_or_touch_posts,
);
