//! Canaries (docs/security.md L1): a full connect flow runs, then no code, state, JWT, token or app
//! secret may appear anywhere in what the service logged.

use crate::support::{flows, logs, token, unique, Backend, TestApp, APP_SECRET, IG_APP_SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs() {
    let app = TestApp::spawn(Backend::Embedded).await;
    let customer = unique("canary");
    let jwt = token(&customer, "u1");
    let people = app.sim_scenario("happy").await;
    let flow = flows::initiate(&app, &customer, "u1").await;
    let callback_url = flows::decide(
        &app,
        &flow.dialog_url,
        &flows::Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    let code = flows::param(&callback_url, "code").unwrap();
    let state = flows::param(&callback_url, "state").unwrap();
    flows::follow_callback(&flow.browser, &callback_url).await;
    // A failing Graph call, whose error could carry a URL with a token in it.
    app.sim_post(
        "/_sim/faults",
        serde_json::json!({"path_contains": "/me/accounts", "drop_response": true}),
    )
    .await;
    let again = flows::initiate(&app, &customer, "u1").await;
    let cb = flows::decide(
        &app,
        &again.dialog_url,
        &flows::Choice::continue_as(people["user_id"].as_str().unwrap()),
    )
    .await;
    flows::follow_callback(&again.browser, &cb).await;
    assert_eq!(flows::accounts(&app, &customer, "u1").await.len(), 1);
    // Instagram Login too: its secret travels in a GET's query (the unversioned exchange), and
    // a dropped answer there must not log the URL.
    let sim_user = people["user_id"].as_str().unwrap();
    let other = unique("canary");
    let ig = flows::connect_with_instagram(&app, &other, "u1", sim_user).await;
    assert_eq!(ig["state"], "connected", "{ig:#}");
    app.sim_post(
        "/_sim/faults",
        serde_json::json!({"path_contains": "/_ig/access_token", "drop_response": true}),
    )
    .await;
    let dropped = flows::connect_with_instagram(&app, &unique("canary"), "u1", sim_user).await;
    assert_eq!(dropped["state"], "failed", "{dropped:#}");

    let logged = logs::captured();
    assert!(
        logged.contains("oauth/callback"),
        "the callback was logged (redacted)"
    );
    for (name, secret) in [
        ("code", code.as_str()),
        ("state", state.as_str()),
        ("JWT", jwt.as_str()),
        ("app secret", APP_SECRET),
        ("Instagram app secret", IG_APP_SECRET),
    ] {
        assert!(!logged.contains(secret), "the {name} reached the logs");
    }
    assert!(!logged.contains("EAAG"), "a Graph token reached the logs");
    assert!(
        !logged.contains("IGAA"),
        "an Instagram token reached the logs"
    );
    assert!(
        !logged.contains("client_secret="),
        "a URL with the app secret reached the logs"
    );
    assert!(
        !logged.contains("access_token="),
        "a URL with a token reached the logs"
    );
}
