//! The publisher under crashes and scale-out, with real processes: a publisher killed in the middle
//! of a post, and two publishers sharing one MongoDB. Each post is published exactly once.

use std::{collections::HashSet, time::Duration};

use futures::future::join_all;
use serde_json::json;

use crate::{
    on_both_stores,
    support::{
        json as read_json,
        process::ServerProcess,
        publishing::{self as p, POSTS},
        Backend,
    },
};

const QUICK: [(&str, &str); 5] = [
    ("PUBLISHER_POLL_MS", "50"),
    ("PUBLISHER_RETRY_BASE_MS", "100"),
    ("PUBLISHER_LEASE_SECS", "2"),
    ("PUBLISHER_CONCURRENCY", "4"),
    ("INSTAGRAM_DAILY_PUBLISH_LIMIT", "1000"),
];

async fn a_publisher_killed_mid_post_finishes_it_exactly_once_after_restart(backend: Backend) {
    // The in-process service only takes requests; the publishing is done by the processes.
    let app = p::quick_app_with(backend, vec![("PUBLISHER_ENABLED", "false".into())]).await;
    let poster = p::poster(&app).await;
    // The first publish call hangs long enough to kill its caller in the middle of it.
    p::fault(
        &app,
        json!({"path_contains": "media_publish", "times": 1, "delay_ms": 4000}),
    )
    .await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "survives a crash")).await;

    let first = ServerProcess::start(&app.store, &app.sim_base, &QUICK).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while app.sim_get("/_sim/calls?path_contains=media_publish").await["count"] == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first process never called media_publish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().await;
    let stranded = p::get_post(&app, &poster, &id).await;
    assert_eq!(
        stranded["status"], "publishing",
        "killed in the middle: {stranded}"
    );

    let second = ServerProcess::start(&app.store, &app.sim_base, &QUICK).await;
    let post = p::wait_for(&app, &poster, &id, "published", Duration::from_secs(30)).await;
    second.kill().await;
    assert_eq!(
        p::published_media(&app, &poster.ig_user_id).await.len(),
        1,
        "published exactly once: {post}"
    );
}

on_both_stores!(a_publisher_killed_mid_post_finishes_it_exactly_once_after_restart);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_mongodb_publish_100_due_posts_exactly_once() {
    let app = p::quick_app_with(Backend::Mongo, vec![("PUBLISHER_ENABLED", "false".into())]).await;
    app.sim_post(
        "/_sim/settings",
        // Rate limits are another test's subject: here they are out of reach.
        json!({"container_processing_ms": 20, "quota_total": 1000, "app_calls_per_user_per_hour": 100_000, "buc_calls_per_hour": 100_000}),
    )
    .await;
    let posters = join_all((0..4).map(|_| p::poster(&app))).await;
    for poster in &posters {
        let bodies: Vec<_> = (0..25)
            .map(|i| p::image_post(poster, &format!("post {i} of {}", poster.customer)))
            .collect();
        for (status, body) in
            join_all(bodies.iter().map(|b| p::create(&app, poster, b, None))).await
        {
            assert_eq!(status, 201, "{body}");
        }
    }

    let processes =
        join_all((0..2).map(|_| ServerProcess::start(&app.store, &app.sim_base, &QUICK))).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let mut published = 0;
        for poster in &posters {
            let (_, page) = read_json(
                app.get(
                    &format!("{POSTS}?status=published&limit=100"),
                    &poster.token,
                )
                .await,
            )
            .await;
            published += page["posts"].as_array().unwrap().len();
        }
        if published == 100 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {published} of 100 posts published in time"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for process in processes {
        process.kill().await;
    }

    let mut containers = HashSet::new();
    let mut total = 0;
    for poster in &posters {
        let media = p::published_media(&app, &poster.ig_user_id).await;
        assert_eq!(media.len(), 25, "each account got each of its posts once");
        total += media.len();
        containers.extend(
            media
                .iter()
                .map(|m| m["container_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(total, 100);
    assert_eq!(containers.len(), 100, "no container was published twice");
}
