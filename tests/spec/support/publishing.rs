//! Helpers for publishing tests: an account to post from, posts through the API, waiting for them.

use std::time::Duration;

use serde_json::{json, Value};

use super::{flows, json as read_json, token, unique, Backend, Options, TestApp};

pub const POSTS: &str = "/api/social-media/instagram/posts";

/// A service with a quick publisher, and a simulator that processes media in 100 ms.
pub async fn quick_app(backend: Backend) -> TestApp {
    quick_app_with(backend, vec![]).await
}

pub async fn quick_app_with(backend: Backend, extra: Vec<(&'static str, String)>) -> TestApp {
    let mut vars = vec![
        ("PUBLISHER_POLL_MS", "50".to_string()),
        ("PUBLISHER_RETRY_BASE_MS", "100".to_string()),
        ("PUBLISHER_MAX_ATTEMPTS", "4".to_string()),
    ];
    vars.extend(extra);
    let app = TestApp::spawn_with(
        backend,
        Options {
            extra: vars,
            ..Options::default()
        },
    )
    .await;
    let r = app
        .sim_post("/_sim/settings", json!({"container_processing_ms": 100}))
        .await;
    assert_eq!(r.status(), 200);
    app
}

/// A tenant with one connected account.
pub struct Poster {
    pub customer: String,
    pub user: String,
    pub token: String,
    pub account_id: String,
    pub ig_user_id: String,
    pub sim_user_id: String,
    /// Where the simulator serves generated media (`/_sim/files/{name}`).
    pub files: String,
}

impl Poster {
    /// A real file at a real URL: `photo.jpg?w=1080&h=1350`, `clip.mp4?secs=10`.
    pub fn url(&self, file: &str) -> String {
        format!("{}/{file}", self.files)
    }
}

pub async fn poster(app: &TestApp) -> Poster {
    poster_from(app, "happy").await
}

/// A tenant who connected the first account of a simulator scenario (`creator`: a Creator account).
pub async fn poster_from(app: &TestApp, scenario: &str) -> Poster {
    let customer = unique("pub");
    let (people, callback) = flows::connect_scenario(app, &customer, "u1", scenario).await;
    assert_eq!(callback.status, 200, "{}", callback.body);
    let account = flows::accounts(app, &customer, "u1").await.remove(0);
    Poster {
        token: token(&customer, "u1"),
        customer,
        user: "u1".into(),
        account_id: account["_id"].as_str().unwrap().into(),
        ig_user_id: account["instagram_user_id"].as_str().unwrap().into(),
        sim_user_id: people["user_id"].as_str().unwrap().into(),
        files: app.sim_url("/_sim/files"),
    }
}

pub fn image(url: &str) -> Value {
    json!({"url": url, "media_type": "image"})
}

pub fn video(url: &str) -> Value {
    json!({"url": url, "media_type": "video"})
}

pub fn image_post(p: &Poster, caption: &str) -> Value {
    json!({"account_id": p.account_id, "kind": "image", "media": [image(&p.url("photo.jpg"))], "caption": caption})
}

pub async fn create(app: &TestApp, p: &Poster, body: &Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url(POSTS))
        .bearer_auth(&p.token)
        .json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    read_json(request.send().await.unwrap()).await
}

pub async fn created_id(app: &TestApp, p: &Poster, body: &Value) -> String {
    let (status, body) = create(app, p, body, None).await;
    assert_eq!(status, 201, "{body}");
    body["post"]["_id"].as_str().unwrap().to_string()
}

pub async fn get_post(app: &TestApp, p: &Poster, id: &str) -> Value {
    let (status, body) = read_json(app.get(&format!("{POSTS}/{id}"), &p.token).await).await;
    assert_eq!(status, 200, "{body}");
    body["post"].clone()
}

/// `POST /posts/{id}/{action}` (cancel or retry) as the poster.
pub async fn act(app: &TestApp, p: &Poster, id: &str, action: &str) -> (u16, Value) {
    let url = app.url(&format!("{POSTS}/{id}/{action}"));
    read_json(
        app.http
            .post(url)
            .bearer_auth(&p.token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Waits until the post reaches `status`; fails with the post's history otherwise.
pub async fn wait_for(
    app: &TestApp,
    p: &Poster,
    id: &str,
    status: &str,
    within: Duration,
) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let post = get_post(app, p, id).await;
        if post["status"] == status {
            return post;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("post {id} did not become {status} within {within:?}: {post:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Published media the simulator holds for the account.
pub async fn published_media(app: &TestApp, ig_user_id: &str) -> Vec<Value> {
    app.sim_get(&format!("/_sim/media?ig_user_id={ig_user_id}"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

pub async fn fault(app: &TestApp, spec: Value) {
    let r = app.sim_post("/_sim/faults", spec).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}
