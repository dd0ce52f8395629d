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
                "config_id",
                "auth_type",
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
    location(response, 302, "dialog refused").await
}

/// Where a redirect of `status` sends the browser; anything else fails the test with `what` and
/// the body.
async fn location(response: reqwest::Response, status: u16, what: &str) -> String {
    assert_eq!(
        response.status(),
        status,
        "{what}: {}",
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

/// A flow the platform started, taken to Facebook by the person's browser.
pub struct Started {
    /// Facebook's dialog, with the flow's OAuth state.
    pub dialog_url: String,
    pub flow_id: String,
    /// The browser that went to Facebook: only it can finish the flow.
    pub browser: Client,
}

/// What `GET /oauth/initiate` answers: the consent page, the flow id, and the platform page's
/// one-time binding.
pub struct Initiated {
    pub auth_url: String,
    pub flow_id: String,
    pub bind_url: String,
    pub secret: String,
}

/// The platform's API server starts a flow for the tenant.
pub async fn initiate_only(app: &TestApp, customer: &str, user: &str) -> Initiated {
    let (status, body) = json(
        app.get(
            "/api/social-media/instagram/oauth/initiate",
            &token(customer, user),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let text = |v: &Value| v.as_str().unwrap().to_string();
    Initiated {
        auth_url: text(&body["auth_url"]),
        flow_id: text(&body["flow_id"]),
        bind_url: text(&body["bind"]["url"]),
        secret: text(&body["bind"]["secret"]),
    }
}

/// From the consent page, on to Facebook: returns the dialog URL.
pub async fn consent(app: &TestApp, browser: &Client, flow_id: &str) -> String {
    let page = browser
        .get(app.url(&format!("/connect/instagram/flows/{flow_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "consent page");
    let response = browser
        .post(app.url(&format!("/connect/instagram/flows/{flow_id}/continue")))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    location(response, 303, "continue refused").await
}

/// The platform's API server starts a flow; the person's browser, signed in here by the
/// platform's hand-off, consents and goes to Facebook.
pub async fn initiate(app: &TestApp, customer: &str, user: &str) -> Started {
    let initiated = initiate_only(app, customer, user).await;
    let browser = app.signed_in_browser(customer, user).await;
    let dialog_url = consent(app, &browser, &initiated.flow_id).await;
    Started {
        dialog_url,
        flow_id: initiated.flow_id,
        browser,
    }
}

/// A whole API-started flow: initiate, the person's choice in the dialog, the callback.
pub async fn connect(app: &TestApp, customer: &str, user: &str, choice: &Choice) -> Callback {
    let flow = initiate(app, customer, user).await;
    let callback = decide(app, &flow.dialog_url, choice).await;
    follow_callback(&flow.browser, &callback).await
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

/// Instagram Login from our own page: the signed-in browser's form sends it to Instagram's
/// dialog; returns the dialog's URL.
pub async fn instagram_dialog(app: &TestApp, browser: &Client) -> String {
    let response = browser
        .post(app.url("/connect/instagram"))
        .header("origin", &app.base)
        .form(&[("mode", "redirect"), ("login", "instagram")])
        .send()
        .await
        .unwrap();
    location(response, 303, "start refused").await
}

/// What the person does in Instagram's dialog, as the simulator person `sim_user`: `allow` or
/// `cancel`, granting `scope` (the dialog's own when `None`). Returns where Instagram sends the
/// browser back to.
pub async fn instagram_decide(
    app: &TestApp,
    dialog_url: &str,
    sim_user: &str,
    action: &str,
    scope: Option<&str>,
) -> String {
    let url = Url::parse(dialog_url).unwrap();
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| ["client_id", "redirect_uri", "state", "scope"].contains(&k.as_ref()))
        .filter(|(k, _)| scope.is_none() || k != "scope")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(scope) = scope {
        form.push(("scope".into(), scope.into()));
    }
    form.push(("sim_user".into(), sim_user.into()));
    form.push(("action".into(), action.into()));
    let response = app
        .http
        .post(app.sim_url(&format!("{}/confirm", url.path())))
        .form(&form)
        .send()
        .await
        .unwrap();
    location(response, 302, "dialog refused").await
}

/// A whole Instagram Login from our page, for the tenant, as `sim_user`: how the flow ended
/// (`GET /oauth/flows/{id}`'s `flow`).
pub async fn connect_with_instagram(
    app: &TestApp,
    customer: &str,
    user: &str,
    sim_user: &str,
) -> Value {
    let browser = app.signed_in_browser(customer, user).await;
    let dialog = instagram_dialog(app, &browser).await;
    let back = instagram_decide(app, &dialog, sim_user, "allow", None).await;
    let callback = follow_callback(&browser, &back).await;
    flow_of_redirect(app, customer, user, &callback).await
}

/// How a flow ended, from the redirect-mode callback's way back (`/?connect_flow=...`).
pub async fn flow_of_redirect(
    app: &TestApp,
    customer: &str,
    user: &str,
    callback: &Callback,
) -> Value {
    assert_eq!(callback.status, 303, "{}", callback.body);
    let back = callback.location.as_deref().unwrap();
    let flow_id = back.split("connect_flow=").nth(1).expect(back);
    let (status, body) = json(
        app.get(
            &format!("/api/social-media/instagram/oauth/flows/{flow_id}"),
            &token(customer, user),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["flow"].clone()
}
