//! HTTP-level tests: each test starts its own simulator on 127.0.0.1:0 and
//! talks to it with reqwest, as the service and the demo do.

mod app_types;
mod callbacks;
mod comments;
mod container_parameters;
mod control_and_faults;
mod dialog_exits;
mod discovery;
mod instagram_login;
mod media_host;
mod oauth_flow;
mod pages;
mod publishing;
mod publishing_quirks;
mod token_lifecycle;
mod tokens;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{spawn_new, SimApp, Simulator};

pub(super) const APP_ID: &str = "411122233344455";
pub(super) const APP_SECRET: &str = "sim-test-app-secret";
pub(super) const REDIRECT: &str = "https://app.test/oauth/callback";
pub(super) const SCOPES: &str = "public_profile,email,pages_show_list,pages_read_engagement,business_management,instagram_basic,instagram_content_publish";

pub(super) struct TestSim {
    pub sim: Simulator,
    pub base: String,
    pub http: reqwest::Client,
}

impl TestSim {
    pub async fn start() -> TestSim {
        Self::start_with(false).await
    }

    /// With "Require App Secret" on.
    pub async fn start_with(require_appsecret_proof: bool) -> TestSim {
        let (sim, addr) = spawn_new("127.0.0.1:0".parse().unwrap()).await.unwrap();
        // These tests name made-up media URLs; `download.rs` is tested with real files.
        sim.with_state(|s| s.settings.fetch_media = false);
        sim.register_app(SimApp {
            app_id: APP_ID.into(),
            app_secret: APP_SECRET.into(),
            redirect_uris: vec![REDIRECT.into(), "https://app.test/other".into()],
            require_appsecret_proof,
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestSim {
            sim,
            base: format!("http://{addr}"),
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn scenario(&self, name: &str) -> Value {
        let response = self
            .post_json(
                &format!("/_sim/scenarios/{name}"),
                json!({ "suffix": "_t" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn create_user(&self, spec: Value) -> Value {
        let response = self.post_json("/_sim/users", spec).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn settings(&self, patch: Value) -> Value {
        let response = self.post_json("/_sim/settings", patch).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn advance(&self, seconds: f64) {
        let response = self
            .post_json("/_sim/clock/advance", json!({ "seconds": seconds }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Posts the dialog's confirm form.
    /// The Login dialog's page for `query`.
    pub async fn dialog_html(&self, query: &[(&str, &str)]) -> String {
        self.http
            .get(self.url("/v23.0/dialog/oauth"))
            .query(query)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn confirm(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url("/v23.0/dialog/oauth/confirm"))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Accepts the dialog for `user_id` (plus `extra` fields) and returns the code.
    pub async fn code_with(&self, user_id: &str, extra: &[(&str, &str)]) -> String {
        let mut fields = vec![
            ("client_id", APP_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st"),
            ("scope", SCOPES),
            ("user_id", user_id),
            ("action", "continue"),
        ];
        fields.extend_from_slice(extra);
        let response = self.confirm(&fields).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        query_param(&location, "code").expect("a code in the redirect")
    }

    pub async fn code(&self, user_id: &str) -> String {
        self.code_with(user_id, &[("defaults", "1")]).await
    }

    pub async fn exchange(&self, code: &str, redirect_uri: &str) -> (StatusCode, Value) {
        self.graph_get(
            "/v23.0/oauth/access_token",
            &[
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("redirect_uri", redirect_uri),
                ("code", code),
            ],
        )
        .await
    }

    /// Dialog with defaults, then the code exchange: a short-lived user token.
    pub async fn login(&self, user_id: &str) -> String {
        let code = self.code(user_id).await;
        let (status, body) = self.exchange(&code, REDIRECT).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn long_lived(&self, short: &str) -> (StatusCode, Value) {
        self.graph_get(
            "/v23.0/oauth/access_token",
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", APP_ID),
                ("client_secret", APP_SECRET),
                ("fb_exchange_token", short),
            ],
        )
        .await
    }

    pub async fn graph_get(&self, path: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .query(params)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// A Graph POST with the parameters in a form body.
    pub async fn graph_post(&self, path: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .form(params)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// Happy scenario, logged in: (token, ig user id, page id, user id).
    pub async fn happy_login(&self) -> (String, String, String, String) {
        let created = self.scenario("happy").await;
        let user_id = created["user_id"].as_str().unwrap().to_string();
        let token = self.login(&user_id).await;
        let page = &created["pages"][0];
        (
            token,
            page["instagram_business_account_id"]
                .as_str()
                .unwrap()
                .to_string(),
            page["id"].as_str().unwrap().to_string(),
            user_id,
        )
    }

    pub async fn media_count(&self, ig_user_id: &str) -> usize {
        self.get_json(&format!("/_sim/media?ig_user_id={ig_user_id}"))
            .await["data"]
            .as_array()
            .unwrap()
            .len()
    }
}

pub(super) fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Asserts Meta's error envelope with this code and subcode.
#[track_caller]
pub(super) fn assert_error(body: &Value, code: i64, subcode: Option<i64>) {
    let error = &body["error"];
    assert_eq!(error["code"], json!(code), "{body}");
    assert_eq!(
        error.get("error_subcode").cloned(),
        subcode.map(|s| json!(s)),
        "{body}"
    );
    assert!(error["message"].is_string(), "{body}");
    assert!(error["type"].is_string(), "{body}");
    assert!(error["is_transient"].is_boolean(), "{body}");
    assert!(error["fbtrace_id"].is_string(), "{body}");
}

#[tokio::test]
async fn router_serves_health_in_process() {
    use tower::ServiceExt;
    let sim = Simulator::new(super::SimOptions {
        public_base_url: "http://sim.test".into(),
    });
    let response = sim
        .router()
        .oneshot(
            axum::http::Request::get("/_sim/healthz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), axum::http::StatusCode::OK);
}
