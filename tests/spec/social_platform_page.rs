//! The Social Platform page as the server renders it: before any JavaScript runs, and its guards.

use crate::support::{json, token, unique, Backend, Options, TestApp};

async fn page(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let r = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

#[tokio::test]
async fn a_visitor_who_is_not_signed_in_is_asked_to_come_from_the_platform() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let (status, _, html) = page(&app, &app.http, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Sign in to manage Instagram"), "{html}");
    assert!(html.contains("Open this page from the platform"));
    assert!(!html.contains("Demo mode"), "not a demo");
}

#[tokio::test]
async fn the_page_carries_a_strict_policy_with_a_fresh_nonce() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let (_, h1, html) = page(&app, &app.http, "/").await;
    let (_, h2, _) = page(&app, &app.http, "/").await;
    let csp = h1["content-security-policy"].to_str().unwrap();
    for directive in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(csp.contains(directive), "{directive} missing: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the header's nonce"
    );
    assert_ne!(
        h2["content-security-policy"], h1["content-security-policy"],
        "a new nonce per response"
    );
    assert_eq!(h1["x-content-type-options"], "nosniff");
    assert_eq!(
        h1["cross-origin-opener-policy"], "same-origin-allow-popups",
        "our popup can still talk to us"
    );
    assert!(h1.contains_key("x-request-id"));
    assert!(h1.contains_key("referrer-policy"));
}

#[tokio::test]
async fn a_signed_in_person_sees_their_empty_accounts_with_what_is_needed() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    let (status, _, html) = page(&app, &browser, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("alice"), "who is signed in");
    assert!(html.contains("Connect Instagram Account"));
    assert!(html.contains("No Instagram accounts connected yet"));
    assert!(html.contains("Business or Creator"));
    assert!(
        html.contains("action=\"/connect/instagram\""),
        "connecting works without JavaScript"
    );
}

#[tokio::test]
async fn without_a_facebook_app_the_connect_button_is_disabled_with_the_reason() {
    let app = TestApp::spawn_with(
        Backend::Embedded,
        Options {
            app_configured: false,
            ..Options::default()
        },
    )
    .await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    let (_, _, html) = page(&app, &browser, "/").await;
    assert!(
        html.contains("Instagram API credentials not configured"),
        "{html}"
    );
    assert!(html.contains("disabled"));
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    let r = browser.post(app.url("/auth/signout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, _, html) = page(&app, &browser, "/").await;
    assert!(html.contains("Sign in to manage Instagram"));
}

#[tokio::test]
async fn a_bad_token_cannot_sign_in() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let r = app
        .browser()
        .post(app.url("/auth/session"))
        .form(&[("token", "forged.jwt.value")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site_lax() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let r = app
        .browser()
        .post(app.url("/auth/session"))
        .form(&[("token", token(&unique("c"), "u"))])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain="), "{cookie}");
}

#[tokio::test]
async fn behind_https_cookies_are_secure_with_the_host_prefix() {
    let app = TestApp::spawn_with(
        Backend::Embedded,
        Options {
            extra: vec![(
                "INSTAGRAM_REDIRECT_URI",
                "https://social.example.com/api/instagram/oauth/callback".into(),
            )],
            ..Options::default()
        },
    )
    .await;
    let r = app
        .browser()
        .post(app.url("/auth/session"))
        .form(&[("token", token(&unique("c"), "u"))])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("__Host-") && cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn server_functions_refuse_cross_site_posts_and_anonymous_callers() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let browser = app.signed_in_browser(&unique("acme"), "alice").await;
    let cross_site = browser
        .post(app.url("/app/fn/list_accounts"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let same_site = browser
        .post(app.url("/app/fn/list_accounts"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 200);
    let anonymous = app
        .browser()
        .post(app.url("/app/fn/list_accounts"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let disconnect_cross_site = browser
        .post(app.url("/connect/instagram"))
        .header("origin", "https://evil.example")
        .form(&[("mode", "popup")])
        .send()
        .await
        .unwrap();
    assert_eq!(disconnect_cross_site.status(), 403);
}

#[tokio::test]
async fn the_demo_sign_in_form_exists_only_in_demo_mode() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let r = app
        .browser()
        .post(app.url("/app/fn/demo_sign_in"))
        .form(&[("customer_id", "c"), ("user_id", "u")])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("only possible in demo mode"), "{body}");
    let (_, _, html) = page(&app, &app.http, "/signin").await;
    assert!(!html.contains("signin-form"));
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let (status, _, html) = page(&app, &app.http, "/no-such-page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_json() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let big = "x".repeat(200 * 1024);
    let r = app
        .http
        .post(app.url("/auth/session"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = json(r).await;
    assert_eq!(status, 413);
    assert_eq!(body["status"], "error");
}

#[tokio::test]
async fn connected_accounts_are_listed_and_an_expiring_login_is_flagged() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let customer = unique("acme");
    // Facebook's access to the person's data ends in three days (the Page token itself does not
    // expire).
    app.sim_post(
        "/_sim/settings",
        serde_json::json!({"data_access_secs": 3 * 86_400}),
    )
    .await;
    let (people, _) =
        crate::support::flows::connect_scenario(&app, &customer, "alice", "happy").await;
    let username = people["pages"][0]["instagram_username"].as_str().unwrap();
    let browser = app.signed_in_browser(&customer, "alice").await;
    let (_, _, html) = page(&app, &browser, "/").await;
    assert!(
        html.contains(&format!("@<!-- -->{username}")) || html.contains(username),
        "{html}"
    );
    assert!(html.contains("Expiring soon"), "flagged two weeks ahead");
    assert!(html.contains("Its Facebook login expires"), "with the date");
    assert!(
        html.contains("data-testid=\"reconnect\""),
        "with a way to reconnect"
    );
}

/// A page reads what it shows once: its resources are made once per request, not again each
/// time the part of the page that waits for them is rendered (the list would be read, and sent
/// to the browser, several times).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_page_reads_and_sends_its_data_once() {
    use crate::support::{media, publishing as p};
    let app = p::quick_app(Backend::Embedded).await;
    let poster = p::poster(&app).await;
    let photo = media::file(&app, "photo.jpg?w=800&h=800").await;
    let (status, _) = media::upload(&app, &poster, "door.jpg", photo).await;
    assert_eq!(status, 201);
    p::created_id(&app, &poster, &p::image_post(&poster, "once")).await;
    let browser = app.signed_in_browser(&poster.customer, &poster.user).await;
    // Fields only the serialized copy of each list carries.
    for (path, fields) in [
        ("/", vec!["has_page_token"]),
        ("/history", vec!["next_attempt_at"]),
        ("/media", vec!["thumbnail_url"]),
        ("/compose", vec!["has_page_token", "thumbnail_url"]),
    ] {
        let (_, _, html) = page(&app, &browser, path).await;
        for field in fields {
            assert_eq!(html.matches(field).count(), 1, "{path}: {field}");
        }
    }
}
