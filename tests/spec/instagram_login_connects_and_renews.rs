//! Instagram Login, the second way to connect (docs/graph-api.md §1-3): for accounts without a
//! Facebook Page. Its own app and dialog, the unversioned long-lived exchange, publishing through
//! graph.instagram.com, and the renewal that keeps its 60-day login alive.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use social_media_uploader::domain::tenant::Tenant;

use crate::{
    on_both_stores,
    support::{
        flows::{self, param},
        json, publishing as p, token, unique, Backend, Options, TestApp, IG_APP_ID,
        IG_CALLBACK_PATH,
    },
};

/// A quick publisher, and a health check without pauses. Its own daily passes find nothing due
/// during a test: the test runs every pass itself, so the calls it counts are its own.
async fn app(backend: Backend) -> TestApp {
    p::quick_app_with(backend, vec![("ACCOUNT_CHECK_PACE_MS", "0".into())]).await
}

/// Runs one pass of the health check over every account.
async fn check_now(app: &TestApp) {
    app.running.services.health.run_now().await.unwrap();
}

/// A tenant whose account was connected with Instagram Login, as a poster.
async fn instagram_poster(app: &TestApp) -> p::Poster {
    let customer = unique("igl");
    let people = app.sim_scenario("happy").await;
    let sim_user = people["user_id"].as_str().unwrap().to_string();
    let flow = flows::connect_with_instagram(app, &customer, "u1", &sim_user).await;
    assert_eq!(flow["state"], "connected", "{flow:#}");
    let account = flows::accounts(app, &customer, "u1").await.remove(0);
    p::Poster {
        token: token(&customer, "u1"),
        customer,
        user: "u1".into(),
        account_id: account["_id"].as_str().unwrap().into(),
        ig_user_id: account["instagram_user_id"].as_str().unwrap().into(),
        sim_user_id: sim_user,
        files: app.sim_url("/_sim/files"),
    }
}

async fn account(app: &TestApp, poster: &p::Poster) -> Value {
    flows::accounts(app, &poster.customer, &poster.user)
        .await
        .remove(0)
}

/// The account's sealed token as stored.
async fn sealed_token(app: &TestApp, poster: &p::Poster) -> Vec<u8> {
    let tenant = Tenant::new(&poster.customer, &poster.user).unwrap();
    app.storage()
        .accounts
        .get(&tenant, &poster.account_id)
        .await
        .unwrap()
        .unwrap()
        .access_token
        .unwrap()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"))
        .parse()
        .unwrap()
}

/// How many calls the simulator saw whose path contains `part`.
async fn calls(app: &TestApp, part: &str) -> usize {
    app.sim_get(&format!("/_sim/calls?path_contains={part}"))
        .await["count"]
        .as_u64()
        .unwrap() as usize
}

/// The page offers Instagram Login beside Facebook Login; its dialog is Instagram's, with the
/// Instagram app's id, its own redirect URI and the 2025 scope names. The account it connects
/// has no Page, says how it was connected, and publishes through graph.instagram.com.
async fn an_account_without_a_page_connects_and_publishes_through_instagrams_host(
    backend: Backend,
) {
    let app = app(backend).await;
    let browser = app.signed_in_browser(&unique("igl"), "u1").await;
    let dialog = flows::instagram_dialog(&app, &browser).await;
    assert!(
        dialog.starts_with(&app.sim_url("/oauth/authorize?")),
        "{dialog}"
    );
    assert_eq!(param(&dialog, "client_id").as_deref(), Some(IG_APP_ID));
    assert_eq!(
        param(&dialog, "redirect_uri"),
        Some(app.url(IG_CALLBACK_PATH))
    );
    assert_eq!(param(&dialog, "response_type").as_deref(), Some("code"));
    let scope = param(&dialog, "scope").unwrap();
    for needed in [
        "instagram_business_basic",
        "instagram_business_content_publish",
    ] {
        assert!(scope.split(',').any(|s| s == needed), "{needed} in {scope}");
    }
    assert!(param(&dialog, "state").is_some_and(|s| s.len() >= 40));

    let poster = instagram_poster(&app).await;
    let account = account(&app, &poster).await;
    assert_eq!(account["login"], "instagram", "{account:#}");
    assert_eq!(account["facebook_page_id"], "", "no Page: {account:#}");
    assert_eq!(account["has_page_token"], false);
    assert_eq!(account["state"], "active");
    assert!(
        account["publishable_until"].is_null(),
        "renewed by us, so no end to warn about: {account:#}"
    );
    let expires = time(&account["token_expires_at"]);
    let days = (expires - Utc::now()).num_days();
    assert!((58..=60).contains(&days), "a 60-day login: {expires}");
    // The short-lived token went through the unversioned exchange.
    assert_eq!(calls(&app, "/_ig/access_token").await, 1);

    let before = calls(&app, "/_ig/").await;
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "no page needed")).await;
    let post = p::wait_for(&app, &poster, &id, "published", Duration::from_secs(20)).await;
    assert_eq!(
        p::published_media(&app, &poster.ig_user_id).await.len(),
        1,
        "{post:#}"
    );
    assert!(
        calls(&app, "/_ig/").await > before + 1,
        "the container and the publish went to graph.instagram.com"
    );
    assert!(
        calls(&app, "/_ig/v").await >= 2,
        "publishing paths are versioned"
    );

    // Place search is Facebook's: this account is told why it cannot.
    let (status, body) = json(
        app.get(
            &format!(
                "/api/social-media/instagram/places?account_id={}&q=cafe",
                poster.account_id
            ),
            &poster.token,
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Instagram Login"),
        "{body}"
    );
}

/// Cancelling in Instagram's dialog, or unticking a permission publishing needs, connects
/// nothing and says so in Instagram's terms.
async fn a_cancel_or_a_missing_permission_is_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("igl");
    let people = app.sim_scenario("happy").await;
    let sim_user = people["user_id"].as_str().unwrap();

    let browser = app.signed_in_browser(&customer, "u1").await;
    let dialog = flows::instagram_dialog(&app, &browser).await;
    let back = flows::instagram_decide(&app, &dialog, sim_user, "cancel", None).await;
    assert!(back.contains("error=access_denied"), "{back}");
    let callback = flows::follow_callback(&browser, &back).await;
    let flow = flows::flow_of_redirect(&app, &customer, "u1", &callback).await;
    assert_eq!(flow["state"], "failed", "{flow:#}");
    assert_eq!(flow["outcome"]["message"], "OAuth error: access_denied");
    let hint = flow["outcome"]["hint"].as_str().unwrap();
    assert!(hint.contains("on Instagram"), "{hint}");

    let dialog = flows::instagram_dialog(&app, &browser).await;
    let back = flows::instagram_decide(
        &app,
        &dialog,
        sim_user,
        "allow",
        Some("instagram_business_basic"),
    )
    .await;
    let callback = flows::follow_callback(&browser, &back).await;
    let flow = flows::flow_of_redirect(&app, &customer, "u1", &callback).await;
    assert_eq!(flow["state"], "failed", "{flow:#}");
    let message = flow["outcome"]["message"].as_str().unwrap();
    assert!(
        message.contains("instagram_business_content_publish"),
        "{message}"
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
}

/// The platform can start an Instagram Login too: its consent page goes on to Instagram. An
/// unknown way is refused, and a deployment without Instagram Login says what to configure.
async fn the_platform_starts_instagram_login_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("igl");
    let (status, body) = json(
        app.get(
            "/api/social-media/instagram/oauth/initiate?login=instagram",
            &token(&customer, "u1"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let flow_id = body["flow_id"].as_str().unwrap();
    let browser = app.signed_in_browser(&customer, "u1").await;
    let page = browser
        .get(app.url(&format!("/connect/instagram/flows/{flow_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Continue to Instagram"), "{page}");
    let dialog = flows::consent(&app, &browser, flow_id).await;
    assert_eq!(param(&dialog, "client_id").as_deref(), Some(IG_APP_ID));
    let people = app.sim_scenario("happy").await;
    let back = flows::instagram_decide(
        &app,
        &dialog,
        people["user_id"].as_str().unwrap(),
        "allow",
        None,
    )
    .await;
    let callback = flows::follow_callback(&browser, &back).await;
    assert_eq!(callback.status, 200, "popup mode: {}", callback.body);
    assert!(
        callback.body.contains("Instagram connected"),
        "{}",
        callback.body
    );

    let (status, body) = json(
        app.get(
            "/api/social-media/instagram/oauth/initiate?login=myspace",
            &token(&customer, "u1"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let without = TestApp::spawn_with(
        backend,
        Options {
            extra: vec![
                ("INSTAGRAM_LOGIN_APP_ID", String::new()),
                ("INSTAGRAM_LOGIN_APP_SECRET", String::new()),
            ],
            ..Options::default()
        },
    )
    .await;
    let response = without
        .get(
            "/api/social-media/instagram/oauth/initiate?login=instagram",
            &token(&customer, "u1"),
        )
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("INSTAGRAM_LOGIN_APP_ID"),
        "{body}"
    );
}

/// A 60-day Instagram login is renewed by the health check once a month of it is left. A
/// renewal Instagram refuses (the token is under a day old) or does not answer (retried) is
/// shown on the account while the login still works, and the next pass renews it.
async fn the_health_check_renews_instagram_logins_and_shows_a_renewal_that_fails(backend: Backend) {
    let app = app(backend).await;
    // Instagram hands out a login that ends in 20 days: due for renewal at once.
    app.sim_post(
        "/_sim/settings",
        json!({"ig_long_lived_token_secs": 20 * 86_400}),
    )
    .await;
    let poster = instagram_poster(&app).await;
    let first = account(&app, &poster).await;
    let sealed_before = sealed_token(&app, &poster).await;

    // Instagram refuses to renew a token under 24 hours old: shown, not fatal.
    check_now(&app).await;
    let refused = account(&app, &poster).await;
    assert_eq!(refused["state"], "active", "{refused:#}");
    assert_eq!(refused["needs_reconnect"], false);
    let reason = refused["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("Instagram did not renew the login"),
        "{reason}"
    );
    assert!(
        refused["fix"].as_str().unwrap().contains("try again"),
        "{refused:#}"
    );
    assert_eq!(
        time(&refused["publishable_until"]),
        time(&first["token_expires_at"]),
        "a failed renewal makes the end count"
    );
    assert_eq!(
        calls(&app, "refresh_access_token").await,
        1,
        "no retry of a refusal"
    );

    // Two days later Instagram does not answer three times: retried, then shown.
    app.sim_post("/_sim/clock/advance", json!({"seconds": 2 * 86_400}))
        .await;
    p::fault(
        &app,
        json!({"path_contains": "refresh_access_token", "times": 3, "http_status": 500,
               "code": 2, "message": "An unexpected error has occurred.", "is_transient": true}),
    )
    .await;
    check_now(&app).await;
    assert_eq!(calls(&app, "refresh_access_token").await, 4, "three tries");
    let unanswered = account(&app, &poster).await;
    assert!(
        unanswered["status_reason"]
            .as_str()
            .is_some_and(|r| r.contains("unexpected error")),
        "{unanswered:#}"
    );

    // The next pass renews it: 60 days from now, the warning gone.
    app.sim_post(
        "/_sim/settings",
        json!({"ig_long_lived_token_secs": 60 * 86_400}),
    )
    .await;
    check_now(&app).await;
    let renewed = account(&app, &poster).await;
    assert_eq!(renewed["state"], "active", "{renewed:#}");
    assert!(renewed["status_reason"].is_null(), "{renewed:#}");
    assert!(renewed["publishable_until"].is_null(), "{renewed:#}");
    let ahead = time(&renewed["token_expires_at"]) - Utc::now();
    assert!(
        ahead > TimeDelta::days(58) && ahead <= TimeDelta::days(60),
        "{ahead}"
    );
    assert_ne!(
        sealed_token(&app, &poster).await,
        sealed_before,
        "the renewed token replaced the old one"
    );
    assert_eq!(calls(&app, "refresh_access_token").await, 5);
    check_now(&app).await;
    assert_eq!(
        calls(&app, "refresh_access_token").await,
        5,
        "60 days ahead is not due: the check only asks /me"
    );
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "renewed")).await;
    p::wait_for(&app, &poster, &id, "published", Duration::from_secs(20)).await;
}

/// A login Instagram killed is found by the health check with its cause; reconnecting with
/// Instagram brings the same account back, with its history.
async fn a_dead_instagram_login_needs_reconnecting_and_reconnects_in_place(backend: Backend) {
    let app = app(backend).await;
    let poster = instagram_poster(&app).await;
    let before = account(&app, &poster).await;
    let r = app
        .sim_post(
            &format!("/_sim/users/{}/tokens/password_changed", poster.ig_user_id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    check_now(&app).await;
    let dead = account(&app, &poster).await;
    assert_eq!(dead["state"], "needs_reconnect", "{dead:#}");
    let reason = dead["status_reason"].as_str().unwrap();
    assert!(reason.contains("password was changed"), "{reason}");

    let flow =
        flows::connect_with_instagram(&app, &poster.customer, &poster.user, &poster.sim_user_id)
            .await;
    assert_eq!(flow["state"], "connected", "{flow:#}");
    let again = account(&app, &poster).await;
    assert_eq!(again["_id"], before["_id"], "the same account");
    assert_eq!(again["state"], "active", "{again:#}");
    assert_eq!(again["login"], "instagram");
}

on_both_stores!(
    an_account_without_a_page_connects_and_publishes_through_instagrams_host,
    a_cancel_or_a_missing_permission_is_explained,
    the_platform_starts_instagram_login_through_the_api,
    the_health_check_renews_instagram_logins_and_shows_a_renewal_that_fails,
    a_dead_instagram_login_needs_reconnecting_and_reconnects_in_place,
);
