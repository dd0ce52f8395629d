//! Accounts that connect the way Meta really works and stay connected (docs/graph-api.md §1-4):
//! the dialog for each kind of app, every way out of it, Page tokens that outlive the 60-day
//! user login, and the daily health check that keeps each account's state true.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;
use social_media_uploader::domain::{accounts::HealthCheck, clock, tenant::Tenant};

use crate::{
    on_both_stores,
    support::{
        flows::{self, param},
        publishing as p, unique, Backend, Options, TestApp,
    },
};

/// A service whose health check finds accounts due a second after their last check, and runs
/// without pauses.
async fn checked_app(backend: Backend) -> TestApp {
    p::quick_app_with(
        backend,
        vec![
            ("ACCOUNT_CHECK_INTERVAL_SECS", "1".into()),
            ("ACCOUNT_CHECK_PACE_MS", "0".into()),
        ],
    )
    .await
}

/// Runs one pass of the health check once every account is due.
async fn check_now(app: &TestApp) {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.running.services.health.run_once().await.unwrap();
}

/// The user login lasts about 60 days and cannot be renewed without the person; the Page token
/// made from it does not expire. A post due after the user login died still goes out.
async fn posts_due_after_the_user_login_ends_publish_with_the_page_token(backend: Backend) {
    let app = checked_app(backend).await;
    // Facebook hands out a user login that ends in three days.
    app.sim_post(
        "/_sim/settings",
        json!({"long_lived_token_secs": 3 * 86_400}),
    )
    .await;
    let poster = p::poster(&app).await;
    let account = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(account["has_page_token"], true, "{account:#}");
    assert_eq!(
        account["state"], "active",
        "the login's end does not matter: {account:#}"
    );
    // Four days later, on Meta's clock: the user login is dead, the Page token is not.
    app.sim_post("/_sim/clock/advance", json!({"seconds": 4 * 86_400}))
        .await;
    check_now(&app).await;
    let account = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(
        account["state"], "active",
        "the health check asks about the Page token: {account:#}"
    );
    let id = p::created_id(&app, &poster, &p::image_post(&poster, "four days on")).await;
    let post = p::wait_for(&app, &poster, &id, "published", Duration::from_secs(20)).await;
    assert!(post["instagram_media_id"].is_string(), "{post:#}");
}

/// A login that died between two posts is found by the daily check, with its cause and the fix,
/// before a post finds out; posts then wait for the reconnect instead of failing one by one.
async fn the_health_check_finds_a_dead_login_and_names_its_cause(backend: Backend) {
    let app = checked_app(backend).await;
    let poster = p::poster(&app).await;
    check_now(&app).await;
    assert_eq!(
        flows::accounts(&app, &poster.customer, &poster.user).await[0]["state"],
        "active"
    );
    // The person changes their Facebook password: every token of theirs dies (190/460).
    let r = app
        .sim_post(
            &format!("/_sim/users/{}/tokens/invalidate", poster.sim_user_id),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    check_now(&app).await;
    let account = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(account["state"], "needs_reconnect", "{account:#}");
    assert_eq!(account["needs_reconnect"], true);
    let reason = account["status_reason"].as_str().unwrap();
    assert!(reason.contains("password was changed"), "{reason}");
    assert!(
        account["fix"].as_str().unwrap().contains("Reconnect"),
        "{account:#}"
    );
    // Reconnecting (a new login, new tokens) brings it back in place.
    let flow = flows::initiate(&app, &poster.customer, &poster.user).await;
    let back = flows::decide(
        &app,
        &flow.dialog_url,
        &flows::Choice::continue_as(&poster.sim_user_id),
    )
    .await;
    let callback = flows::follow_callback(&flow.browser, &back).await;
    assert_eq!(callback.status, 200, "{}", callback.body);
    let again = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(
        again["_id"], account["_id"],
        "the same account, with its history"
    );
    assert_eq!(again["state"], "active", "{again:#}");
}

/// Data access ends 90 days after the person's last login with the app: two weeks ahead the
/// account says so, from Meta's own `data_access_expires_at`.
async fn data_access_ending_within_two_weeks_is_flagged_from_metas_answer(backend: Backend) {
    let app = checked_app(backend).await;
    app.sim_post("/_sim/settings", json!({"data_access_secs": 10 * 86_400}))
        .await;
    let poster = p::poster(&app).await;
    let account = &flows::accounts(&app, &poster.customer, &poster.user).await[0];
    assert_eq!(account["state"], "expiring_soon", "{account:#}");
    assert!(account["publishable_until"].is_string(), "{account:#}");
    let flow = flows::initiate(&app, &poster.customer, &poster.user).await;
    assert_eq!(
        param(&flow.dialog_url, "auth_type").as_deref(),
        Some("reauthorize")
    );
}

/// Classic Facebook Login asks for scopes and offers declined ones again (`rerequest`); a
/// Business-type app refuses a dialog without its login configuration, and connects with it.
async fn the_dialog_asks_for_scopes_or_the_login_configuration(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = flows::initiate(&app, &unique("acme"), "u1").await;
    let scope = param(&flow.dialog_url, "scope").expect("classic Login sends scope");
    for needed in ["instagram_content_publish", "pages_show_list", "ads_read"] {
        assert!(scope.split(',').any(|s| s == needed), "{needed} in {scope}");
    }
    assert_eq!(param(&flow.dialog_url, "config_id"), None);
    assert_eq!(
        param(&flow.dialog_url, "auth_type").as_deref(),
        Some("rerequest")
    );

    let business = TestApp::spawn_with(
        backend,
        Options {
            extra: vec![("FACEBOOK_LOGIN_CONFIG_ID", "777000777".into())],
            ..Options::default()
        },
    )
    .await;
    // The app is a Business-type app on Meta's side, with one login configuration.
    let permissions = [
        "instagram_basic",
        "instagram_content_publish",
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
        "ads_read",
    ];
    let registered = business
        .sim_post(
            "/_sim/apps",
            json!({
                "app_id": crate::support::APP_ID, "app_secret": crate::support::APP_SECRET,
                "redirect_uris": [business.redirect_uri], "require_appsecret_proof": true,
                "app_type": "business", "login_configs": {"777000777": permissions},
            }),
        )
        .await;
    assert!(
        registered.status().is_success(),
        "{:?}",
        registered.status()
    );
    let customer = unique("acme");
    let flow = flows::initiate(&business, &customer, "u1").await;
    assert_eq!(
        param(&flow.dialog_url, "config_id").as_deref(),
        Some("777000777")
    );
    assert_eq!(
        param(&flow.dialog_url, "scope"),
        None,
        "the configuration carries the permissions"
    );
    assert_eq!(
        param(&flow.dialog_url, "response_type").as_deref(),
        Some("code")
    );
    let (people, callback) = flows::connect_scenario(&business, &customer, "u1", "happy").await;
    let username = people["pages"][0]["instagram_username"].as_str().unwrap();
    assert!(
        callback.body.contains(&format!("@{username}")),
        "{}",
        callback.body
    );

    // Meta's page for a Business app opened without a configuration, which is why the
    // variable exists: no redirect back.
    let without = app
        .http
        .get(param_free_dialog(&app, &business).await)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 400);
    assert!(without
        .text()
        .await
        .unwrap()
        .contains("It looks like this app isn"));
}

/// The classic dialog URL `app` would send, pointed at `business`'s Business-type app.
async fn param_free_dialog(app: &TestApp, business: &TestApp) -> String {
    let flow = flows::initiate(app, &unique("acme"), "u1").await;
    let mut url = url::Url::parse(&flow.dialog_url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| match k.as_ref() {
            "redirect_uri" => (k.into_owned(), business.redirect_uri.clone()),
            _ => (k.into_owned(), v.into_owned()),
        })
        .collect();
    url.set_host(url::Url::parse(&business.sim_base).unwrap().host_str())
        .unwrap();
    url.set_port(url::Url::parse(&business.sim_base).unwrap().port())
        .unwrap();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

/// Facebook's dialog can end without a code in several ways; each is explained and nothing is
/// stored.
async fn every_way_out_of_the_dialog_is_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            "error_code=4201&error_message=User+canceled+the+Dialog+flow",
            "the Facebook sign-in was cancelled (4201)",
            "development mode",
        ),
        (
            "error=access_denied&error_code=200&error_reason=user_denied&error_description=Permissions+error",
            "OAuth error: access_denied",
            "click Continue",
        ),
        (
            "error=server_error&error_description=Something+went+wrong",
            "OAuth error: server_error",
            "(Something went wrong)",
        ),
    ];
    for (query, message, hint) in cases {
        let customer = unique("acme");
        let flow = flows::initiate(&app, &customer, "u1").await;
        let state = param(&flow.dialog_url, "state").unwrap();
        let callback = flows::follow_callback(
            &flow.browser,
            &format!("{}?{query}&state={state}", app.redirect_uri),
        )
        .await;
        assert_eq!(callback.status, 200, "{query}");
        assert!(
            callback.body.contains(message),
            "{query}: {}",
            callback.body
        );
        assert!(callback.body.contains(hint), "{query}: {}", callback.body);
        assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
    }
}

/// A connected account shows its state, and a login whose data access ends within two weeks is
/// "expiring soon", with the fix; the next dialog renews access (`reauthorize`).
async fn an_account_whose_data_access_ends_soon_says_so_and_reconnecting_renews_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    flows::connect_scenario(&app, &customer, "u1", "happy").await;
    let listed = flows::accounts(&app, &customer, "u1").await;
    assert_eq!(listed[0]["state"], "active", "{:#}", listed[0]);
    let id = listed[0]["_id"].as_str().unwrap().to_string();

    let tenant = Tenant::new(&customer, "u1").unwrap();
    let held = app
        .storage()
        .accounts
        .get(&tenant, &id)
        .await
        .unwrap()
        .unwrap();
    let soon = HealthCheck {
        checked_at: clock::now(),
        token_expires_at: held.token_expires_at,
        data_access_expires_at: Some(clock::now() + TimeDelta::days(5)),
        scopes: held.scopes.clone(),
        renewal_error: None,
    };
    app.storage()
        .accounts
        .record_check(&tenant, &id, &soon)
        .await
        .unwrap();
    let listed = flows::accounts(&app, &customer, "u1").await;
    assert_eq!(listed[0]["state"], "expiring_soon", "{:#}", listed[0]);
    assert!(
        listed[0]["fix"].as_str().unwrap().contains("Reconnect"),
        "{:#}",
        listed[0]
    );
    assert_eq!(listed[0]["needs_reconnect"], false, "it still publishes");

    let flow = flows::initiate(&app, &customer, "u1").await;
    assert_eq!(
        param(&flow.dialog_url, "auth_type").as_deref(),
        Some("reauthorize")
    );
}

/// A client's Page reached through a Business Manager role needs `ads_read` for every Instagram
/// call; it is asked for by default, so agencies connect their clients' accounts.
async fn an_agencys_client_page_connects_with_ads_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("agency");
    let (people, callback) = flows::connect_scenario(&app, &customer, "u1", "agency").await;
    let username = people["pages"][0]["instagram_username"].as_str().unwrap();
    assert!(
        callback.body.contains(&format!("Connected @{username}.")),
        "{}",
        callback.body
    );
    let listed = flows::accounts(&app, &customer, "u1").await;
    assert_eq!(listed[0]["instagram_username"], username);
    assert_eq!(listed[0]["has_page_token"], true);
}

/// A Page on which the person only analyses or advertises is named with what to ask for, not
/// connected to fail at the first post.
async fn a_page_without_publishing_rights_is_named_not_connected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (_, callback) = flows::connect_scenario(&app, &customer, "u1", "analyst").await;
    assert!(
        callback
            .body
            .contains("No Instagram account could be connected."),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains(
            "Skipped Page Ana Analytics: your role on this Page does not allow publishing"
        ),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains("Create content"),
        "says which task to ask for"
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
}

/// One business portfolio that refuses to list its Pages is skipped and named; the person's
/// other accounts connect.
async fn a_portfolio_that_refuses_is_skipped_and_the_rest_connect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let suffix = unique("x");
    let created = app
        .sim_post(
            "/_sim/users",
            json!({
                "name": "Eve Employee",
                "pages": [
                    {"name": "Eve's Own Shop", "instagram": {"username": format!("eve.shop{suffix}")}},
                    {"name": "Shared Shop", "business": true, "business_name": "Someone Else's Group",
                     "business_admin": false, "instagram": {"username": format!("shared.shop{suffix}")}},
                ],
            }),
        )
        .await;
    assert!(created.status().is_success(), "{:?}", created.status());
    let created: serde_json::Value = created.json().await.unwrap();
    let customer = unique("acme");
    let callback = flows::connect(
        &app,
        &customer,
        "u1",
        &flows::Choice::continue_as(created["user_id"].as_str().unwrap()),
    )
    .await;
    assert!(
        callback.body.contains(&format!("@eve.shop{suffix}")),
        "{}",
        callback.body
    );
    assert!(
        callback
            .body
            .contains("Skipped Business portfolio Someone Else&#39;s Group")
            || callback
                .body
                .contains("Skipped Business portfolio Someone Else's Group"),
        "{}",
        callback.body
    );
    let listed = flows::accounts(&app, &customer, "u1").await;
    assert!(
        listed
            .iter()
            .any(|a| a["instagram_username"] == format!("eve.shop{suffix}")),
        "{listed:?}"
    );
}

on_both_stores!(
    an_agencys_client_page_connects_with_ads_read,
    a_page_without_publishing_rights_is_named_not_connected,
    a_portfolio_that_refuses_is_skipped_and_the_rest_connect,
    posts_due_after_the_user_login_ends_publish_with_the_page_token,
    the_health_check_finds_a_dead_login_and_names_its_cause,
    data_access_ending_within_two_weeks_is_flagged_from_metas_answer,
    the_dialog_asks_for_scopes_or_the_login_configuration,
    every_way_out_of_the_dialog_is_explained,
    an_account_whose_data_access_ends_soon_says_so_and_reconnecting_renews_it,
);
