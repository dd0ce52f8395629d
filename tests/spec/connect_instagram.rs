//! Connecting Instagram accounts through Facebook Login, end to end over HTTP through the Graph
//! simulator: the happy path, every documented failure, replay and forgery, races, reconnecting
//! and disconnecting.

use futures::future::join_all;
use social_media_uploader::{
    crypto::KeyRing,
    domain::accounts::{token_context, LoginKind, TokenKind},
};

use crate::{
    on_both_stores,
    support::{
        flows::{self, Choice},
        json, token, token_key_b64, unique, Backend, Options, TestApp,
    },
};

const API: &str = "/api/social-media/instagram";

async fn connecting_stores_the_instagram_account_and_lists_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (people, callback) = flows::connect_scenario(&app, &customer, "u1", "happy").await;
    assert_eq!(callback.status, 200, "{}", callback.body);
    let username = people["pages"][0]["instagram_username"].as_str().unwrap();
    assert!(
        callback.body.contains(&format!("Connected @{username}.")),
        "{}",
        callback.body
    );

    let list = flows::accounts(&app, &customer, "u1").await;
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(c["instagram_username"], username);
    assert_eq!(
        c["instagram_user_id"],
        people["pages"][0]["instagram_business_account_id"]
    );
    assert_eq!(c["facebook_page_id"], people["pages"][0]["id"]);
    assert_eq!(c["is_active"], true);
    assert_eq!(c["is_authenticated"], true);
    for field in [
        "_id",
        "created_at",
        "profile_picture_url",
        "facebook_page_name",
        "token_expires_at",
    ] {
        assert!(!c[field].is_null(), "{field} missing from {c}");
    }
    let text = c.to_string();
    assert!(
        !text.contains("access_token") && !text.contains("EAAG") && !text.contains("app_secret"),
        "{text}"
    );
}

async fn the_stored_token_is_encrypted_and_bound_to_its_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    flows::connect_scenario(&app, &customer, "u1", "happy").await;
    let cred = &flows::accounts(&app, &customer, "u1").await[0];
    let raw = raw_token(&app, cred["_id"].as_str().unwrap()).await;
    assert_eq!(raw[0], 1, "envelope version 1");
    let keys = test_keys();
    let ig = cred["instagram_user_id"].as_str().unwrap();
    let plaintext = keys
        .open(&raw, &token_context(&customer, ig, TokenKind::User))
        .expect("decrypts in its own tenant");
    assert!(plaintext.starts_with("EAAG"), "the simulator's token shape");
    assert!(
        !raw.windows(plaintext.len())
            .any(|w| w == plaintext.as_bytes()),
        "no plaintext at rest"
    );
    assert!(
        keys.open(
            &raw,
            &token_context("another-customer", ig, TokenKind::User)
        )
        .is_err(),
        "moved to another tenant it does not open"
    );
}

async fn cancelling_in_the_dialog_says_access_denied_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let callback = flows::connect(
        &app,
        &customer,
        "u1",
        &Choice::cancel_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(callback.status, 200);
    assert!(
        callback.body.contains("OAuth error: access_denied"),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains("click Continue"),
        "says how to succeed next time"
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
    assert_eq!(
        app.sim_get("/_sim/calls?path_contains=oauth/access_token")
            .await["count"],
        0,
        "no token call after a cancel"
    );
}

async fn a_person_without_pages_is_told_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (_, callback) = flows::connect_scenario(&app, &customer, "u1", "no_pages").await;
    assert!(
        callback.body.contains("No Facebook pages found"),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains("Facebook Page you manage"),
        "with the advice"
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
}

async fn pages_without_instagram_accounts_are_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (_, callback) = flows::connect_scenario(&app, &customer, "u1", "no_instagram").await;
    assert!(
        callback
            .body
            .contains("No Instagram Business Account found"),
        "{}",
        callback.body
    );
    assert!(
        callback.body.contains("Business or Creator"),
        "with the advice"
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
}

async fn every_linked_instagram_account_is_connected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (people, callback) =
        flows::connect_scenario(&app, &customer, "u1", "multi_instagram").await;
    let expected: Vec<&str> = people["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["instagram_username"].as_str())
        .collect();
    assert_eq!(expected.len(), 2);
    let list = flows::accounts(&app, &customer, "u1").await;
    let mut got: Vec<&str> = list
        .iter()
        .map(|c| c["instagram_username"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(got, want);
    assert!(callback.body.contains("Connected @"));
}

async fn pages_of_a_business_portfolio_are_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (people, callback) =
        flows::connect_scenario(&app, &customer, "u1", "business_portfolio").await;
    assert_eq!(callback.status, 200, "{}", callback.body);
    let list = flows::accounts(&app, &customer, "u1").await;
    let linked = people["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|p| p["instagram_username"].as_str())
        .unwrap();
    assert!(
        list.iter().any(|c| c["instagram_username"] == linked),
        "{list:?}"
    );
}

async fn a_declined_publishing_permission_is_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let (_, callback) = flows::connect_scenario(&app, &customer, "u1", "declined_publish").await;
    assert!(
        callback.body.contains("instagram_content_publish"),
        "{}",
        callback.body
    );
    assert!(callback.body.contains("keep every permission ticked"));
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
}

async fn unticking_every_page_finds_no_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let all_permissions = [
        "instagram_basic",
        "instagram_content_publish",
        "pages_read_engagement",
        "pages_show_list",
        "business_management",
    ];
    let choice = Choice {
        pages: Some(vec![]),
        permissions: Some(all_permissions.map(String::from).to_vec()),
        ..Choice::continue_as(people["user_id"].as_str().unwrap())
    };
    let callback = flows::connect(&app, &customer, "u1", &choice).await;
    assert!(
        callback.body.contains("No Facebook pages found"),
        "{}",
        callback.body
    );
}

async fn a_replayed_callback_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let flow = flows::initiate(&app, &customer, "u1").await;
    let callback_url = flows::decide(
        &app,
        &flow.dialog_url,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    let first = flows::follow_callback(&flow.browser, &callback_url).await;
    assert_eq!(first.status, 200);
    let before = flows::accounts(&app, &customer, "u1").await;
    let replay = flows::follow_callback(&flow.browser, &callback_url).await;
    assert_eq!(replay.status, 400);
    assert!(
        replay
            .body
            .contains("invalid, was already used or has expired"),
        "{}",
        replay.body
    );
    assert_eq!(flows::accounts(&app, &customer, "u1").await, before);
}

async fn forged_and_legacy_states_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let flow = flows::initiate(&app, &customer, "u1").await;
    let callback_url = flows::decide(
        &app,
        &flow.dialog_url,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    let code = flows::param(&callback_url, "code").unwrap();
    let forged = [
        format!("{customer}:u1"),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        String::new(),
        "x".repeat(10_000),
    ];
    for state in forged {
        let url = reqwest::Url::parse_with_params(
            &app.redirect_uri,
            &[("code", code.as_str()), ("state", state.as_str())],
        )
        .unwrap();
        let r = flows::follow_callback(&flow.browser, url.as_str()).await;
        assert_eq!(r.status, 400, "state {:?}", &state[..state.len().min(20)]);
    }
    let no_state =
        flows::follow_callback(&flow.browser, &format!("{}?code={code}", app.redirect_uri)).await;
    assert_eq!(no_state.status, 400);
    assert!(
        flows::accounts(&app, &customer, "u1").await.is_empty(),
        "nothing stored"
    );
    // The genuine state still works afterwards: forgeries did not burn it.
    assert_eq!(
        flows::follow_callback(&flow.browser, &callback_url)
            .await
            .status,
        200
    );
}

async fn a_stolen_code_with_a_fresh_state_is_refused_by_facebook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    let flow = flows::initiate(&app, &customer, "u1").await;
    let used = flows::decide(&app, &flow.dialog_url, &Choice::continue_as(&user_id)).await;
    assert_eq!(
        flows::follow_callback(&flow.browser, &used).await.status,
        200
    );
    // An attacker starts their own flow and injects the victim's (already used) code.
    let attacker = unique("evil");
    let theirs = flows::initiate(&app, &attacker, "u").await;
    let state = flows::param(&theirs.dialog_url, "state").unwrap();
    let code = flows::param(&used, "code").unwrap();
    let url =
        reqwest::Url::parse_with_params(&app.redirect_uri, &[("code", code), ("state", state)])
            .unwrap();
    let r = flows::follow_callback(&theirs.browser, url.as_str()).await;
    assert!(r.body.contains("already used"), "{}", r.body);
    assert!(flows::accounts(&app, &attacker, "u").await.is_empty());
}

async fn an_expired_state_is_refused(backend: Backend) {
    use social_media_uploader::domain::{
        clock,
        connect::{OAuthState, ReturnMode},
    };
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    // A flow started eleven minutes ago: its 10-minute state has expired.
    let state = social_media_uploader::crypto::random_token(32);
    let started = clock::now() - chrono::TimeDelta::minutes(11);
    let record = OAuthState {
        state_hash: social_media_uploader::crypto::sha256_hex(state.as_bytes()),
        flow_id: unique("flow"),
        tenant: tenant(&customer),
        session_binding: None,
        return_mode: ReturnMode::Popup,
        created_at: started,
        expires_at: started + chrono::TimeDelta::minutes(10),
        login: LoginKind::Facebook,
    };
    app.storage().connect_states.insert(&record).await.unwrap();
    let url = reqwest::Url::parse_with_params(
        &app.redirect_uri,
        &[("code", "AQB-some-code"), ("state", state.as_str())],
    )
    .unwrap();
    let r = flows::follow_callback(&app.browser(), url.as_str()).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("expired"));
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
    assert_eq!(
        app.sim_get("/_sim/calls?path_contains=oauth/access_token")
            .await["count"],
        0,
        "no code exchange"
    );
}

async fn the_same_callback_racing_itself_connects_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let flow = flows::initiate(&app, &customer, "u1").await;
    let callback_url = flows::decide(
        &app,
        &flow.dialog_url,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    // The same browser (its clones share its cookies), six times at once.
    let browsers: Vec<_> = (0..6).map(|_| flow.browser.clone()).collect();
    let results = join_all(
        browsers
            .iter()
            .map(|b| flows::follow_callback(b, &callback_url)),
    )
    .await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1);
    assert_eq!(results.iter().filter(|r| r.status == 400).count(), 5);
    assert_eq!(flows::accounts(&app, &customer, "u1").await.len(), 1);
}

async fn two_flows_for_one_account_racing_leave_one_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    let mut callbacks = vec![];
    for _ in 0..4 {
        let flow = flows::initiate(&app, &customer, "u1").await;
        let url = flows::decide(&app, &flow.dialog_url, &Choice::continue_as(&user_id)).await;
        callbacks.push((flow.browser, url));
    }
    let results = join_all(
        callbacks
            .iter()
            .map(|(browser, url)| flows::follow_callback(browser, url)),
    )
    .await;
    assert!(
        results
            .iter()
            .all(|r| r.status == 200 && r.body.contains("Connected @")),
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(flows::accounts(&app, &customer, "u1").await.len(), 1);
}

async fn reconnecting_updates_the_same_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    flows::connect(&app, &customer, "u1", &Choice::continue_as(&user_id)).await;
    let first = flows::accounts(&app, &customer, "u1").await.remove(0);
    flows::connect(&app, &customer, "u1", &Choice::continue_as(&user_id)).await;
    let again = flows::accounts(&app, &customer, "u1").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["_id"], first["_id"]);
    assert_eq!(again[0]["created_at"], first["created_at"]);
    assert_ne!(again[0]["updated_at"], first["updated_at"]);
}

async fn disconnecting_erases_the_token_and_allows_connecting_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    flows::connect(&app, &customer, "u1", &Choice::continue_as(&user_id)).await;
    let id = flows::accounts(&app, &customer, "u1").await[0]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = json(
        app.delete(&format!("{API}/credentials/{id}"), &token(&customer, "u1"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());
    assert!(
        app.storage()
            .accounts
            .get(&tenant(&customer), &id)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .is_none(),
        "token erased"
    );
    let (status, _) = json(
        app.delete(&format!("{API}/credentials/{id}"), &token(&customer, "u1"))
            .await,
    )
    .await;
    assert_eq!(
        status, 404,
        "disconnecting twice finds nothing to disconnect"
    );
    flows::connect(&app, &customer, "u1", &Choice::continue_as(&user_id)).await;
    let back = flows::accounts(&app, &customer, "u1").await;
    assert_eq!(back.len(), 1);
    assert_eq!(
        back[0]["_id"],
        id.as_str(),
        "connected again into the same document"
    );
}

async fn another_user_cannot_take_over_a_connected_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    flows::connect(&app, &customer, "alice", &Choice::continue_as(&user_id)).await;
    let callback = flows::connect(&app, &customer, "bob", &Choice::continue_as(&user_id)).await;
    assert!(
        callback.body.contains("already connected by another user"),
        "{}",
        callback.body
    );
    assert!(flows::accounts(&app, &customer, "bob").await.is_empty());
    assert_eq!(flows::accounts(&app, &customer, "alice").await.len(), 1);
}

async fn without_a_facebook_app_connecting_is_not_configured(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            app_configured: false,
            ..Options::default()
        },
    )
    .await;
    let (status, body) = json(
        app.get(&format!("{API}/oauth/initiate"), &token(&unique("c"), "u"))
            .await,
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "error");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Instagram API credentials not configured"),
        "{body}"
    );
}

async fn the_auth_url_asks_facebook_for_what_publishing_needs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = flows::initiate(&app, &unique("c"), "u").await;
    let (auth_url, flow_id) = (flow.dialog_url, flow.flow_id);
    let url = reqwest::Url::parse(&auth_url).unwrap();
    assert!(
        url.path().ends_with("/dialog/oauth") && url.path().starts_with("/v"),
        "{auth_url}"
    );
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], crate::support::APP_ID);
    assert_eq!(q["redirect_uri"], app.redirect_uri);
    assert_eq!(q["response_type"], "code");
    for scope in [
        "instagram_basic",
        "instagram_content_publish",
        "pages_read_engagement",
        "pages_show_list",
        "business_management",
    ] {
        assert!(q["scope"].split(',').any(|s| s == scope), "{scope} missing");
    }
    let state = &q["state"];
    assert!(state.len() >= 43, "at least 256 bits, base64url");
    assert!(!state.contains(':'), "nothing parseable in the state");
    assert!(!flow_id.is_empty());
}

async fn the_platform_can_ask_how_its_flow_ended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let flow = flows::initiate(&app, &customer, "u1").await;
    let path = format!("{API}/oauth/flows/{}", flow.flow_id);
    let (_, pending) = json(app.get(&path, &token(&customer, "u1")).await).await;
    assert_eq!(pending["flow"]["state"], "pending");
    let callback_url = flows::decide(
        &app,
        &flow.dialog_url,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    flows::follow_callback(&flow.browser, &callback_url).await;
    let (_, done) = json(app.get(&path, &token(&customer, "u1")).await).await;
    assert_eq!(done["flow"]["state"], "connected", "{done}");
    let (_, other) = json(app.get(&path, &token(&unique("other"), "u1")).await).await;
    assert_eq!(
        other["flow"]["state"], "pending",
        "another tenant learns nothing"
    );
}

async fn a_flow_started_on_the_page_must_end_in_the_same_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    let browser = app.signed_in_browser(&customer, "u1").await;
    let start = |browser: reqwest::Client| {
        let url = app.url("/connect/instagram");
        async move {
            browser
                .post(url)
                .form(&[("mode", "popup")])
                .send()
                .await
                .unwrap()
        }
    };
    let r = start(browser.clone()).await;
    assert_eq!(r.status(), 303);
    let auth_url = r.headers()["location"].to_str().unwrap().to_string();
    let callback_url = flows::decide(&app, &auth_url, &Choice::continue_as(&user_id)).await;
    let elsewhere = flows::follow_callback(&app.browser(), &callback_url).await;
    assert_eq!(
        elsewhere.status, 400,
        "another browser (no binding cookie) is refused"
    );
    assert!(flows::accounts(&app, &customer, "u1").await.is_empty());

    let r = start(browser.clone()).await;
    let auth_url = r.headers()["location"].to_str().unwrap().to_string();
    let callback_url = flows::decide(&app, &auth_url, &Choice::continue_as(&user_id)).await;
    let page = flows::follow_callback(&browser, &callback_url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(flows::accounts(&app, &customer, "u1").await.len(), 1);
    // The popup page tells exactly our origin, never `*`, and carries no token.
    assert!(
        page.body.contains("window.opener.postMessage(")
            && page.body.contains("\"type\":\"instagram-connect\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("\"{}\"", app.base)),
        "targets our exact origin"
    );
    assert!(!page.body.contains("\"*\"") && !page.body.contains("EAAG"));
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(page.headers["cross-origin-opener-policy"], "unsafe-none");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'nonce-"),
        "{csp}"
    );
    assert!(
        page.body.contains("history.replaceState"),
        "code and state leave the address bar"
    );
}

async fn without_a_popup_the_flow_returns_to_the_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let customer = unique("acme");
    let people = app.sim_scenario("happy").await;
    let browser = app.signed_in_browser(&customer, "u1").await;
    let r = browser
        .post(app.url("/connect/instagram"))
        .form(&[("mode", "redirect")])
        .send()
        .await
        .unwrap();
    let auth_url = r.headers()["location"].to_str().unwrap().to_string();
    let callback_url = flows::decide(
        &app,
        &auth_url,
        &Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    let back = flows::follow_callback(&browser, &callback_url).await;
    assert_eq!(back.status, 303);
    let location = back.location.unwrap();
    assert!(location.starts_with("/?connect_flow="), "{location}");
    let page = browser
        .get(app.url(&location))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Connected @"), "the page shows the outcome");
}

fn tenant(customer: &str) -> social_media_uploader::domain::tenant::Tenant {
    social_media_uploader::domain::tenant::Tenant::new(customer, "u1").unwrap()
}

fn test_keys() -> KeyRing {
    use base64::Engine;
    let key: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(token_key_b64())
        .unwrap()
        .try_into()
        .unwrap();
    KeyRing::new(social_media_uploader::crypto::TokenKey::new(key), vec![])
}

/// The token exactly as the database holds it.
async fn raw_token(app: &TestApp, id: &str) -> Vec<u8> {
    match &app.store {
        crate::support::Store::Embedded(dir) => {
            let conn =
                rusqlite::Connection::open(dir.join("social-media-uploader.sqlite3")).unwrap();
            conn.query_row(
                "SELECT access_token FROM instagram_credentials WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        }
        crate::support::Store::Mongo { uri, database } => {
            let client = mongodb::Client::with_uri_str(uri).await.unwrap();
            let doc = client
                .database(database)
                .collection::<mongodb::bson::Document>("instagram_credentials")
                .find_one(mongodb::bson::doc! {"_id": id})
                .await
                .unwrap()
                .unwrap();
            match doc.get("access_token") {
                Some(mongodb::bson::Bson::Binary(b)) => b.bytes.clone(),
                other => panic!("access_token must be BinData, found {other:?}"),
            }
        }
    }
}

on_both_stores!(
    connecting_stores_the_instagram_account_and_lists_it,
    the_stored_token_is_encrypted_and_bound_to_its_tenant,
    cancelling_in_the_dialog_says_access_denied_and_stores_nothing,
    a_person_without_pages_is_told_so,
    pages_without_instagram_accounts_are_explained,
    every_linked_instagram_account_is_connected,
    pages_of_a_business_portfolio_are_found,
    a_declined_publishing_permission_is_named,
    unticking_every_page_finds_no_pages,
    a_replayed_callback_is_refused_and_changes_nothing,
    forged_and_legacy_states_are_refused,
    a_stolen_code_with_a_fresh_state_is_refused_by_facebook,
    an_expired_state_is_refused,
    the_same_callback_racing_itself_connects_once,
    two_flows_for_one_account_racing_leave_one_document,
    reconnecting_updates_the_same_document,
    disconnecting_erases_the_token_and_allows_connecting_again,
    another_user_cannot_take_over_a_connected_account,
    without_a_facebook_app_connecting_is_not_configured,
    the_auth_url_asks_facebook_for_what_publishing_needs,
    the_platform_can_ask_how_its_flow_ended,
    a_flow_started_on_the_page_must_end_in_the_same_browser,
    without_a_popup_the_flow_returns_to_the_page,
);
