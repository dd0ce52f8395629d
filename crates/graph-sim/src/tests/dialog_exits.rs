//! §2 "Callback": how the dialog ends when the person does not continue, and the
//! invalid-scope page.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

async fn cancel(t: &TestSim, user_id: &str, action: &str) -> String {
    let response = t
        .confirm(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st 1"),
            ("scope", SCOPES),
            ("user_id", user_id),
            ("action", action),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    response.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn cancelling_on_the_login_step_answers_error_code_4201_without_error() {
    let t = TestSim::start().await;
    let created = t.scenario("happy").await;
    let user_id = created["user_id"].as_str().unwrap();
    let location = cancel(&t, user_id, "cancel_login").await;
    assert_eq!(
        location,
        format!(
            "{REDIRECT}?error_code=4201&error_message=User+canceled+the+Dialog+flow&state=st+1#_=_"
        )
    );
    assert!(query_param(&location, "error").is_none());

    // The dialog page offers that exit too.
    let html = t
        .http
        .get(t.url("/v23.0/dialog/oauth"))
        .query(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPES),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"cancel_login\""));
}

#[tokio::test]
async fn the_cancel_button_answers_access_denied_unless_switched_to_the_4201_variant() {
    let t = TestSim::start().await;
    let created = t.scenario("happy").await;
    let user_id = created["user_id"].as_str().unwrap();
    let location = cancel(&t, user_id, "cancel").await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&location, "error_reason").as_deref(),
        Some("user_denied")
    );

    t.settings(json!({ "dialog_cancel_kind": "login_canceled" }))
        .await;
    let location = cancel(&t, user_id, "cancel").await;
    assert!(query_param(&location, "error").is_none());
    assert_eq!(
        query_param(&location, "error_code").as_deref(),
        Some("4201")
    );
    assert_eq!(
        query_param(&location, "error_message").as_deref(),
        Some("User canceled the Dialog flow")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("st 1"));
}

#[tokio::test]
async fn an_unknown_scope_shows_the_invalid_scopes_page() {
    let t = TestSim::start().await;
    t.scenario("happy").await;
    let response = t
        .http
        .get(t.url("/v25.0/dialog/oauth"))
        .query(&[
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "pages_show_list,publish_actions"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Invalid Scopes: publish_actions"));
}
