//! A connect flow started through the JSON API belongs to the customer and user who started it:
//! only a browser that proves it is theirs (signed in here as them, or bound by the platform's own
//! page with the flow's one-time secret) can take it to Facebook and finish it. A link alone binds
//! nothing, signs nobody in and completes nothing (docs/security.md O10).

use reqwest::Client;

use crate::{
    on_both_stores,
    support::{
        flows::{self, Choice},
        json, token, unique, Backend, Options, TestApp,
    },
};

const PLATFORM: &str = "https://platform.test";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        Options {
            extra: vec![("PLATFORM_ORIGINS", PLATFORM.to_string())],
            ..Options::default()
        },
    )
    .await
}

async fn get(browser: &Client, url: &str) -> (u16, String) {
    let r = browser.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn continue_flow(app: &TestApp, browser: &Client, flow_id: &str) -> reqwest::Response {
    browser
        .post(app.url(&format!("/connect/instagram/flows/{flow_id}/continue")))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap()
}

/// The platform's page binding its popup: a form post from its origin with the flow's secret.
async fn bind(browser: &Client, url: &str, secret: &str, origin: &str) -> reqwest::Response {
    browser
        .post(url)
        .header("origin", origin)
        .header("sec-fetch-site", "cross-site")
        .form(&[("secret", secret)])
        .send()
        .await
        .unwrap()
}

async fn a_link_alone_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let customer = unique("acme");
    let started = flows::initiate_only(&app, &customer, "u1").await;
    // Someone who was sent the link: no session here, no binding.
    let stranger = app.browser();
    let (status, body) = get(&stranger, &started.auth_url).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("only be used in the browser of the person who started it"),
        "{body}"
    );
    assert!(!body.contains(&customer), "a refusal names no customer");
    let r = continue_flow(&app, &stranger, &started.flow_id).await;
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("location").is_none(), "no way to Facebook");
    // Opening the bind URL as a link does nothing either.
    let (status, _) = get(&stranger, &started.bind_url).await;
    assert_eq!(status, 405, "binding takes a POST");
    // Nothing was started or stored: the flow is pending, and its owner can still go on.
    let path = format!(
        "/api/social-media/instagram/oauth/flows/{}",
        started.flow_id
    );
    let (_, flow) = json(app.get(&path, &token(&customer, "u1")).await).await;
    assert_eq!(flow["flow"]["state"], "pending");
    let owner = app.signed_in_browser(&customer, "u1").await;
    assert!(flows::consent(&app, &owner, &started.flow_id)
        .await
        .contains("/dialog/oauth"));
}

async fn another_tenants_session_is_refused(backend: Backend) {
    let app = spawn(backend).await;
    let customer = unique("acme");
    let started = flows::initiate_only(&app, &customer, "u1").await;
    for (who, as_customer, as_user) in [
        ("another customer", unique("evil"), "u1".to_string()),
        (
            "another user of the customer",
            customer.clone(),
            "intruder".to_string(),
        ),
    ] {
        let browser = app.signed_in_browser(&as_customer, &as_user).await;
        let (status, _) = get(&browser, &started.auth_url).await;
        assert_eq!(status, 403, "{who}");
        assert_eq!(
            continue_flow(&app, &browser, &started.flow_id)
                .await
                .status(),
            403,
            "{who}"
        );
    }
}

async fn the_owners_browser_sees_whom_it_connects_for_and_finishes(backend: Backend) {
    let app = spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let started = flows::initiate_only(&app, &customer, "u1").await;
    let owner = app.signed_in_browser(&customer, "u1").await;
    let (status, consent) = get(&owner, &started.auth_url).await;
    assert_eq!(status, 200);
    assert!(
        consent.contains(&format!("customer <strong>{customer}</strong>")),
        "the consent page names the customer: {consent}"
    );
    let dialog = flows::consent(&app, &owner, &started.flow_id).await;
    let callback = flows::decide(
        &app,
        &dialog,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    // The callback from any other browser is refused and stores nothing.
    let elsewhere = flows::follow_callback(&app.browser(), &callback).await;
    assert_eq!(elsewhere.status, 400);
    assert!(
        elsewhere
            .body
            .contains("started in another browser and can only be finished there"),
        "{}",
        elsewhere.body
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
    // A flow goes to Facebook once.
    assert_eq!(
        continue_flow(&app, &owner, &started.flow_id).await.status(),
        403
    );

    let again = flows::initiate(&app, &customer, "u1").await;
    let callback = flows::decide(
        &app,
        &again.dialog_url,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    let done = flows::follow_callback(&again.browser, &callback).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body
            .contains(&format!("For customer <strong>{customer}</strong>")),
        "the callback names the customer: {}",
        done.body
    );
    assert_eq!(flows::accounts(&app, &customer, "u1").await.len(), 1);
}

async fn the_platforms_page_binds_its_popup_once(backend: Backend) {
    let app = spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let started = flows::initiate_only(&app, &customer, "u1").await;
    let popup = app.browser();
    // Not from an allow-listed origin, or with the wrong secret: refused, nothing bound.
    let r = bind(
        &popup,
        &started.bind_url,
        &started.secret,
        "https://evil.test",
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = bind(&popup, &started.bind_url, "not-the-secret", PLATFORM).await;
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(get(&popup, &started.auth_url).await.0, 403, "still unbound");

    let r = bind(&popup, &started.bind_url, &started.secret, PLATFORM).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    // The secret is one-time: another browser cannot bind with it.
    let thief = app.browser();
    let r = bind(&thief, &started.bind_url, &started.secret, PLATFORM).await;
    assert_eq!(r.status(), 403);
    assert_eq!(get(&thief, &started.auth_url).await.0, 403);

    let (status, consent) = get(&popup, &started.auth_url).await;
    assert_eq!(status, 200);
    assert!(consent.contains(&customer), "{consent}");
    let dialog = flows::consent(&app, &popup, &started.flow_id).await;
    let callback = flows::decide(
        &app,
        &dialog,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    let done = flows::follow_callback(&popup, &callback).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains(&format!("\"{PLATFORM}\"")),
        "the result is posted to the platform's page too: {}",
        done.body
    );
    assert_eq!(flows::accounts(&app, &customer, "u1").await.len(), 1);
}

on_both_stores!(
    a_link_alone_is_refused_and_changes_nothing,
    another_tenants_session_is_refused,
    the_owners_browser_sees_whom_it_connects_for_and_finishes,
    the_platforms_page_binds_its_popup_once,
);
