//! Driving Facebook Login the way a browser would: the dialog's form, then the callback.

use reqwest::Client;
use serde_json::Value;
use url::Url;

use super::{json, token, TestApp};

/// What the person does in the simulator's dialog.
pub struct Choice {
    pub user_id: String,
    pub cancel: bool,
    /// `None` keeps the dialog's defaults (every page, every requested permission).
    pub pages: Option<Vec<String>>,
    pub permissions: Option<Vec<String>>,
}

impl Choice {
    pub fn continue_as(user_id: &str) -> Self {
        Self {
            user_id: user_id.into(),
            cancel: false,
            pages: None,
            permissions: None,
        }
    }

    pub fn cancel_as(user_id: &str) -> Self {
        Self {
            cancel: true,
            ..Self::continue_as(user_id)
        }
    }
}

/// The value of one query parameter.
pub fn param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Submits the dialog's form and returns where Facebook sends the browser back to.
pub async fn decide(app: &TestApp, auth_url: &str, choice: &Choice) -> String {
    let url = Url::parse(auth_url).unwrap();
    let confirm = format!("{}/confirm", url.path());
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            [
                "client_id",
                "redirect_uri",
                "state",
                "scope",
                "response_type",
            ]
            .contains(&k.as_ref())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("user_id".into(), choice.user_id.clone()));
    form.push((
        "action".into(),
        if choice.cancel { "cancel" } else { "continue" }.into(),
    ));
    if choice.pages.is_none() || choice.permissions.is_none() {
        form.push(("defaults".into(), "1".into()));
    }
    for page in choice.pages.iter().flatten() {
        form.push(("page".into(), page.clone()));
    }
    for permission in choice.permissions.iter().flatten() {
        form.push(("permission".into(), permission.clone()));
    }
    let response = app
        .http
        .post(app.sim_url(&confirm))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        302,
        "dialog refused: {}",
        response.text().await.unwrap()
    );
    response.headers()["location"].to_str().unwrap().to_string()
}

/// What a callback answered.
pub struct Callback {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn follow_callback(browser: &Client, callback_url: &str) -> Callback {
    let response = browser.get(callback_url).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let location = headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    Callback {
        status,
        location,
        body: response.text().await.unwrap(),
        headers,
    }
}

/// The platform's API server starts a flow for the tenant; returns the dialog URL and flow id.
pub async fn initiate(app: &TestApp, customer: &str, user: &str) -> (String, String) {
    let (status, body) = json(
        app.get(
            "/api/social-media/instagram/oauth/initiate",
            &token(customer, user),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["auth_url"].as_str().unwrap().to_string(),
        body["flow_id"].as_str().unwrap().to_string(),
    )
}

/// A whole API-started flow: initiate, the person's choice in the dialog, the callback.
pub async fn connect(app: &TestApp, customer: &str, user: &str, choice: &Choice) -> Callback {
    let (auth_url, _) = initiate(app, customer, user).await;
    let callback = decide(app, &auth_url, choice).await;
    follow_callback(&app.browser(), &callback).await
}

/// Connects the tenant to a fresh simulator scenario; returns the scenario.
pub async fn connect_scenario(
    app: &TestApp,
    customer: &str,
    user: &str,
    scenario: &str,
) -> (Value, Callback) {
    let people = app.sim_scenario(scenario).await;
    let user_id = people["user_id"].as_str().unwrap().to_string();
    let callback = connect(app, customer, user, &Choice::continue_as(&user_id)).await;
    (people, callback)
}

/// The tenant's connected accounts, through the API (`/credentials`, the seed's path).
pub async fn accounts(app: &TestApp, customer: &str, user: &str) -> Vec<Value> {
    let (status, body) = json(
        app.get(
            "/api/social-media/instagram/credentials",
            &token(customer, user),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["credentials"].as_array().unwrap().clone()
}
