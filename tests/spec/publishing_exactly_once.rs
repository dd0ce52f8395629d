//! Exactly once, under every fault Meta documents (docs/graph-api.md §6, §10): for each fault and
//! each kind of post, the simulator ends up holding exactly one media for the post, or none and
//! the post failed with an honest message. An error answer does not mean nothing happened.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        publishing::{self as p, Poster},
        Backend, TestApp,
    },
};

const WITHIN: Duration = Duration::from_secs(45);

/// One documented fault: how to set it up in the simulator.
struct Fault {
    name: &'static str,
    faults: Vec<Value>,
    settings: Value,
    /// A media-URL hint (query string) that makes the first container fail processing.
    url_hint: &'static str,
}

fn faults() -> Vec<Fault> {
    let publish = |extra: Value| {
        let mut f = json!({"method": "POST", "path_contains": "media_publish", "times": 4});
        f.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        f
    };
    let fault = |name, faults, settings| Fault {
        name,
        faults,
        settings,
        url_hint: "",
    };
    vec![
        fault(
            "the answer to a publish that happened is dropped",
            vec![publish(json!({"drop_response": true}))],
            json!({}),
        ),
        fault(
            "a 5xx answered after the publish happened",
            vec![publish(
                json!({"after_effect": true, "http_status": 500, "code": 2, "is_transient": true}),
            )],
            json!({}),
        ),
        fault(
            "-1/2207001 answered after the publish happened",
            vec![publish(
                json!({"after_effect": true, "code": -1, "subcode": 2207001}),
            )],
            json!({}),
        ),
        fault(
            "a transient error and nothing published",
            vec![publish(json!({"code": 2, "is_transient": true}))],
            json!({}),
        ),
        fault(
            "24/2207008, cleared by publishing the same container again",
            vec![publish(json!({"code": 24, "subcode": 2207008}))],
            json!({}),
        ),
        fault(
            "a publish that times out and happens anyway",
            vec![publish(json!({"delay_ms": 1500}))],
            json!({}),
        ),
        fault(
            "fresh containers and media unreadable (100/33) for a while",
            vec![],
            json!({"fresh_object_invisible_ms": 3000}),
        ),
        fault(
            "the status lags behind a publish whose answer is lost",
            vec![publish(json!({"drop_response": true}))],
            json!({"publish_status_lag_ms": 4000}),
        ),
        Fault {
            name: "a container fails processing once (2207003), a new one succeeds",
            faults: vec![],
            settings: json!({}),
            url_hint: "?sim_status=ERROR&sim_subcode=2207003&sim_error_times=1",
        },
    ]
}

/// The four kinds of post, each from its own account.
struct Kinds {
    image: Poster,
    carousel: Poster,
    reel: Poster,
    story: Poster,
}

fn bodies<'k>(kinds: &'k Kinds, case: usize, hint: &str) -> Vec<(&'k Poster, Value, &'static str)> {
    let img = |k: &Poster, n: &str| p::image(&k.url(&format!("{case}-{n}.jpg{hint}")));
    let vid = |k: &Poster, n: &str| p::video(&k.url(&format!("{case}-{n}.mp4{hint}")));
    vec![
        (
            &kinds.image,
            json!({"account_id": kinds.image.account_id, "kind": "image", "media": [img(&kinds.image, "a")], "caption": format!("case {case} image @friend")}),
            "FEED",
        ),
        (
            &kinds.carousel,
            json!({"account_id": kinds.carousel.account_id, "kind": "carousel", "media": [img(&kinds.carousel, "b"), vid(&kinds.carousel, "c")], "caption": format!("case {case} carousel")}),
            "FEED",
        ),
        (
            &kinds.reel,
            json!({"account_id": kinds.reel.account_id, "kind": "reel", "media": [vid(&kinds.reel, "d")], "caption": format!("case {case} reel")}),
            "REELS",
        ),
        (
            &kinds.story,
            json!({"account_id": kinds.story.account_id, "kind": "story", "media": [img(&kinds.story, "e")]}),
            "STORY",
        ),
    ]
}

/// Waits until the post is published or failed.
async fn settled(app: &TestApp, poster: &Poster, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let post = p::get_post(app, poster, id).await;
        if post["status"] == "published" || post["status"] == "failed" {
            return post;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "post {id} did not settle: {post:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn every_fault_on_every_kind_publishes_once_or_fails_honestly(backend: Backend) {
    let app = p::quick_app_with(
        backend,
        vec![
            ("GRAPH_API_TIMEOUT_SECS", "1".into()),
            ("PUBLISHER_STATUS_LAG_SECS", "6".into()),
            ("PUBLISHER_MAX_ATTEMPTS", "8".into()),
        ],
    )
    .await;
    let kinds = Kinds {
        image: p::poster(&app).await,
        carousel: p::poster(&app).await,
        reel: p::poster(&app).await,
        story: p::poster(&app).await,
    };
    for (case, fault) in faults().into_iter().enumerate() {
        for spec in &fault.faults {
            p::fault(&app, spec.clone()).await;
        }
        let r = app.sim_post("/_sim/settings", fault.settings.clone()).await;
        assert_eq!(
            r.status(),
            200,
            "{}: {}",
            fault.name,
            r.text().await.unwrap()
        );
        let started = chrono::Utc::now();
        let posts = bodies(&kinds, case, fault.url_hint);
        let ids = join_all(
            posts
                .iter()
                .map(|(poster, body, _)| p::created_id(&app, poster, body)),
        )
        .await;
        for ((poster, body, product), id) in posts.iter().zip(&ids) {
            let post = settled(&app, poster, id).await;
            let published: Vec<Value> = p::published_media(&app, &poster.ig_user_id)
                .await
                .into_iter()
                .filter(|m| {
                    m["media_product_type"] == *product
                        && m["published_at"]
                            .as_str()
                            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                            .is_some_and(|t| t >= started)
                })
                .collect();
            let what = format!("{} / {}", fault.name, body["kind"]);
            match post["status"].as_str() {
                Some("published") => {
                    assert_eq!(
                        published.len(),
                        1,
                        "{what}: exactly one media: {published:#?}\n{post:#}"
                    )
                }
                _ => {
                    assert!(
                        published.is_empty(),
                        "{what}: failed, yet published: {post:#}"
                    );
                    let message = post["error"]["message"].as_str().unwrap_or("");
                    assert!(!message.is_empty(), "{what}: a failure says why");
                }
            }
        }
        app.http
            .delete(app.sim_url("/_sim/faults"))
            .send()
            .await
            .unwrap();
        let defaults = json!({"fresh_object_invisible_ms": 1000, "publish_status_lag_ms": 1000});
        assert_eq!(app.sim_post("/_sim/settings", defaults).await.status(), 200);
    }
}

on_both_stores!(every_fault_on_every_kind_publishes_once_or_fails_honestly);
