//! Browser sessions: only the platform can hand a person over (never another site: login CSRF,
//! docs/security.md B4), a session ends with the JWT it came from, and the platform can end a
//! user's sessions server to server (S1). A page shows only words the server produced for this
//! browser, never text carried in a URL (U1).

use serde_json::json;

use crate::{
    on_both_stores,
    support::{json, token, token_with, unique, Backend, Options, TestApp},
};

const PLATFORM: &str = "https://platform.test";

async fn spawn(backend: Backend, extra: Vec<(&'static str, String)>) -> TestApp {
    let mut extra = extra;
    extra.push(("PLATFORM_ORIGINS", PLATFORM.to_string()));
    TestApp::spawn_with(
        backend,
        Options {
            extra,
            ..Options::default()
        },
    )
    .await
}

/// The accounts page as the browser sees it: whether it shows someone signed in.
async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let html = browser
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.contains("data-testid=\"signed-in-as\"")
}

async fn hand_off(
    browser: &reqwest::Client,
    app: &TestApp,
    jwt: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = browser
        .post(app.url("/auth/session"))
        .form(&[("token", jwt)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn another_site_cannot_sign_a_visitor_in(backend: Backend) {
    let app = spawn(backend, vec![]).await;
    let jwt = token(&unique("attacker"), "a");
    for headers in [
        vec![
            ("origin", "https://evil.test"),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![("origin", "https://evil.test")],
        vec![("sec-fetch-site", "same-site")],
        // An Authorization header does not switch the cross-site guard off.
        vec![
            ("origin", "https://evil.test"),
            ("authorization", "Bearer anything"),
        ],
    ] {
        let victim = app.browser();
        let r = hand_off(&victim, &app, &jwt, &headers).await;
        assert_eq!(r.status(), 403, "{headers:?}");
        assert!(r.headers().get("set-cookie").is_none(), "{headers:?}");
        assert!(!signed_in(&app, &victim).await, "{headers:?}");
    }
}

async fn the_platforms_pages_and_servers_can_hand_a_person_over(backend: Backend) {
    let app = spawn(backend, vec![]).await;
    let jwt = token(&unique("acme"), "alice");
    let from_platform = app.browser();
    let r = hand_off(
        &from_platform,
        &app,
        &jwt,
        &[("origin", PLATFORM), ("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(signed_in(&app, &from_platform).await);
    // Our own page, and a client that is no browser (no Origin at all), may too.
    let same_site = app.browser();
    let r = hand_off(&same_site, &app, &jwt, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(r.status(), 303);
    assert!(signed_in(&app, &same_site).await);
}

async fn a_session_ends_when_its_jwt_expires(backend: Backend) {
    let app = spawn(backend, vec![]).await;
    let customer = unique("acme");
    let jwt = token_with(json!({
        "customer_id": customer,
        "user_id": "alice",
        "exp": chrono::Utc::now().timestamp() + 2,
    }));
    let browser = app.browser();
    assert_eq!(hand_off(&browser, &app, &jwt, &[]).await.status(), 303);
    assert!(signed_in(&app, &browser).await);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(
        !signed_in(&app, &browser).await,
        "the session ended with the token"
    );
}

async fn the_platform_ends_a_users_sessions(backend: Backend) {
    let app = spawn(backend, vec![]).await;
    let customer = unique("acme");
    let (alice_1, alice_2) = (
        app.signed_in_browser(&customer, "alice").await,
        app.signed_in_browser(&customer, "alice").await,
    );
    let bob = app.signed_in_browser(&customer, "bob").await;
    let (status, body) = json(
        app.delete(
            "/api/social-media/instagram/sessions",
            &token(&customer, "alice"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ended"], 2);
    assert!(!signed_in(&app, &alice_1).await);
    assert!(!signed_in(&app, &alice_2).await);
    assert!(signed_in(&app, &bob).await, "other users keep theirs");
}

async fn a_crafted_error_link_shows_nothing_of_its_text(backend: Backend) {
    use base64::Engine;
    let app = spawn(backend, vec![]).await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    let lure = "Call +1 555 0100 to unlock your account";
    let err = base64::engine::general_purpose::URL_SAFE
        .encode(format!("{{\"field\":null,\"message\":\"{lure}\"}}"));
    for path in ["/compose", "/", "/history"] {
        let url = format!("{path}?__err={err}&__path=/app/fn/create_post&tab=failed");
        let r = browser
            .get(app.url(&url))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            location,
            format!("{path}?tab=failed"),
            "other parameters stay"
        );
        let html = browser
            .get(app.url(&location))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("555 0100"), "{path}: {html}");
    }
}

/// Reading pages writes nothing back: no session save (a commit per page view), so no cookie.
/// The idle expiry is pushed out at most every ten minutes (a unit test in `auth::session`).
async fn reading_pages_leaves_the_session_as_it_is(backend: Backend) {
    let app = spawn(backend, vec![]).await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    for path in ["/", "/history", "/compose", "/media", "/"] {
        let r = browser
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers().get("set-cookie").is_none(),
            "{path}: {:?}",
            r.headers()
        );
        let html = r.text().await.unwrap();
        assert!(html.contains("data-testid=\"signed-in-as\""), "{path}");
    }
}

async fn a_refused_plain_form_shows_the_servers_words_once(backend: Backend) {
    let app = spawn(backend, vec![]).await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    // A browser without JavaScript posts the composer's form as it is.
    let r = browser
        .post(app.url("/app/fn/create_post"))
        .header("accept", "text/html")
        .header("origin", &app.base)
        .header("referer", app.url("/compose"))
        .form(&[
            ("form[account_id]", "nope"),
            ("form[kind]", "image"),
            ("form[media][0][url]", "http://cdn.example.com/a.jpg"),
            ("form[media][0][media_type]", "image"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let page = |browser: reqwest::Client| {
        let url = app.url("/compose");
        async move {
            browser
                .get(url)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let first = page(browser.clone()).await;
    assert!(
        first.contains("No connected Instagram account has this id"),
        "{first}"
    );
    let second = page(browser.clone()).await;
    assert!(
        !second.contains("No connected Instagram account has this id"),
        "shown once"
    );
}

on_both_stores!(
    another_site_cannot_sign_a_visitor_in,
    the_platforms_pages_and_servers_can_hand_a_person_over,
    a_session_ends_when_its_jwt_expires,
    the_platform_ends_a_users_sessions,
    a_crafted_error_link_shows_nothing_of_its_text,
    a_refused_plain_form_shows_the_servers_words_once,
    reading_pages_leaves_the_session_as_it_is,
);
