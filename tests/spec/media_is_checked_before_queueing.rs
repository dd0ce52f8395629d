//! What Instagram would refuse is refused before anything is queued (docs/graph-api.md §5
//! "Limits"): the service reads the first bytes of each media URL (and a video's index) from a
//! real HTTP host, the simulator's file host, and answers 422 naming the item and the rule. It
//! fetches only public addresses, at every redirect, within a bounded time.

use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        publishing::{self as p, Poster},
        Backend, TestApp,
    },
};

fn post(poster: &Poster, kind: &str, media: Vec<Value>) -> Value {
    json!({"account_id": poster.account_id, "kind": kind, "media": media})
}

/// Creating `body` is refused with 422 on `field`, with a message that says `says`.
async fn refused(app: &TestApp, poster: &Poster, body: &Value, field: &str, says: &str) {
    let (status, answer) = p::create(app, poster, body, None).await;
    assert_eq!(status, 422, "{body} -> {answer}");
    assert_eq!(answer["status"], "error");
    assert_eq!(answer["field"], field, "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

async fn nothing_was_queued(app: &TestApp, poster: &Poster) {
    let (_, page) = crate::support::json(app.get(p::POSTS, &poster.token).await).await;
    assert_eq!(page["posts"], json!([]), "nothing half-written");
    let containers = app
        .sim_get(&format!(
            "/_sim/containers?ig_user_id={}",
            poster.ig_user_id
        ))
        .await;
    assert_eq!(containers["data"], json!([]), "Instagram was never asked");
}

async fn files_instagram_would_refuse_are_refused_with_the_rule_named(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let (img, vid) = (
        |name: &str| p::image(&poster.url(name)),
        |name: &str| p::video(&poster.url(name)),
    );
    let cases = [
        (
            post(&poster, "image", vec![img("photo.png")]),
            "media[0].url",
            "only JPEG images; this one is PNG",
        ),
        (
            post(&poster, "image", vec![img("photo.webp")]),
            "media[0].url",
            "this one is WebP",
        ),
        (
            post(&poster, "image", vec![img("big.jpg?bytes=9000000")]),
            "media[0].url",
            "8.6 MiB; Instagram accepts at most 8 MiB",
        ),
        (
            post(&poster, "image", vec![img("tall.jpg?w=1080&h=1920")]),
            "media[0].url",
            "1080×1920 pixels",
        ),
        (
            post(&poster, "image", vec![img("wide.jpg?w=2000&h=1000")]),
            "media[0].url",
            "between 4:5",
        ),
        (
            post(&poster, "image", vec![img("clip.mp4")]),
            "media[0].url",
            "holds a video (MP4), but the item says image",
        ),
        (
            post(&poster, "reel", vec![vid("photo.jpg")]),
            "media[0].url",
            "holds an image (JPEG), but the item says video",
        ),
        (
            post(&poster, "reel", vec![vid("short.mp4?secs=2")]),
            "media[0].url",
            "2 seconds long; Reels must last 3 seconds to 15 minutes",
        ),
        (
            post(&poster, "reel", vec![vid("long.mp4?secs=960")]),
            "media[0].url",
            "16 minutes long",
        ),
        (
            post(&poster, "reel", vec![vid("late.mp4?moov=end")]),
            "media[0].url",
            "fast start",
        ),
        (
            post(&poster, "reel", vec![vid("old.mp4?codec=mp4v")]),
            "media[0].url",
            "encoded as mp4v; Instagram needs H.264 or HEVC",
        ),
        (
            post(&poster, "reel", vec![vid("choppy.mp4?fps=15")]),
            "media[0].url",
            "15 frames per second",
        ),
        (
            post(&poster, "reel", vec![vid("huge.mp4?w=3840&h=2160")]),
            "media[0].url",
            "3840 pixels wide",
        ),
        (
            post(&poster, "story", vec![vid("story.mp4?secs=61")]),
            "media[0].url",
            "Story videos must last 3 seconds to 60 seconds",
        ),
        (
            post(&poster, "story", vec![vid("story.mp4?bytes=110000000")]),
            "media[0].url",
            "at most 100.0 MiB",
        ),
        (
            post(
                &poster,
                "carousel",
                vec![img("a.jpg"), img("b.jpg?w=1080&h=1920")],
            ),
            "media[1].url",
            "between 4:5",
        ),
        (
            post(&poster, "image", vec![img("gone.jpg?status=404")]),
            "media[0].url",
            "answered HTTP 404",
        ),
    ];
    for (body, field, says) in &cases {
        refused(&app, &poster, body, field, says).await;
    }
    nothing_was_queued(&app, &poster).await;
}

async fn media_instagram_accepts_passes_the_check(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let (img, vid) = (
        |name: &str| p::image(&poster.url(name)),
        |name: &str| p::video(&poster.url(name)),
    );
    let accepted = [
        post(&poster, "image", vec![img("portrait.jpg?w=1080&h=1350")]),
        post(&poster, "image", vec![img("landscape.jpg?w=1080&h=566")]),
        // The dimensions lie beyond the first 256 KB read.
        post(&poster, "image", vec![img("exif.jpg?exif_bytes=400000")]),
        post(&poster, "story", vec![img("story.jpg?w=1080&h=1920")]),
        post(&poster, "reel", vec![vid("iphone.mov?codec=hvc1")]),
        post(&poster, "reel", vec![vid("hevc.mp4?codec=hvc1&secs=900")]),
        post(&poster, "reel", vec![vid("silent.mp4?audio=0&secs=3")]),
        post(&poster, "story", vec![vid("story.mp4?secs=60")]),
        post(
            &poster,
            "carousel",
            vec![img("a.jpg"), vid("b.mp4?secs=30")],
        ),
    ];
    for body in &accepted {
        let (status, answer) = p::create(&app, &poster, body, None).await;
        assert_eq!(status, 201, "{body} -> {answer}");
    }
}

async fn the_check_fetches_only_public_addresses_at_every_hop(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let img = |url: &str| post(&poster, "image", vec![p::image(url)]);
    let cases = [
        (img("http://cdn.example.com/a.jpg"), "Only https URLs"),
        (
            img("https://127.0.0.1/a.jpg"),
            "private, loopback or link-local",
        ),
        (
            img("https://[::1]/a.jpg"),
            "private, loopback or link-local",
        ),
        (
            img("https://localhost/a.jpg"),
            "private, loopback or link-local",
        ),
        (
            img("https://metadata.internal/a.jpg"),
            "private, loopback or link-local",
        ),
        (
            // An allowed host that redirects into the network.
            img(&poster.url("a.jpg?redirect=http://169.254.169.254/latest/meta-data/")),
            "redirects somewhere Instagram cannot fetch from",
        ),
        (
            img(&poster.url("a.jpg?redirect=https://10.0.0.1/a.jpg")),
            "redirects somewhere Instagram cannot fetch from",
        ),
    ];
    for (body, says) in &cases {
        refused(&app, &poster, body, "media[0].url", says).await;
    }
    // Six redirects between allowed URLs are too many; five are followed.
    let mut url = poster.url("end.jpg");
    for _ in 0..6 {
        url = poster.url(&format!("hop.jpg?redirect={}", urlencode(&url)));
    }
    refused(
        &app,
        &poster,
        &img(&url),
        "media[0].url",
        "redirects too many times",
    )
    .await;
    nothing_was_queued(&app, &poster).await;
}

async fn a_slow_media_host_is_given_up_on_with_a_clear_message(backend: Backend) {
    let app = p::quick_app_with(backend, vec![("MEDIA_CHECK_TIMEOUT_SECS", "1".into())]).await;
    let poster = p::poster(&app).await;
    let body = post(
        &poster,
        "image",
        vec![p::image(&poster.url("slow.jpg?delay_ms=3000"))],
    );
    refused(
        &app,
        &poster,
        &body,
        "media[0].url",
        "did not answer within 1 s",
    )
    .await;
    nothing_was_queued(&app, &poster).await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

on_both_stores!(
    files_instagram_would_refuse_are_refused_with_the_rule_named,
    media_instagram_accepts_passes_the_check,
    the_check_fetches_only_public_addresses_at_every_hop,
    a_slow_media_host_is_given_up_on_with_a_clear_message,
);
