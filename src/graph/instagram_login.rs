//! Instagram Login's endpoints (docs/graph-api.md §1-3, rows "Instagram Login exchange",
//! "Instagram long-lived", "Instagram refresh"): www.instagram.com's dialog, api.instagram.com's
//! code exchange, and graph.instagram.com's unversioned token endpoints and `/me`. Publishing for
//! these accounts goes through a [`GraphClient`] on graph.instagram.com
//! ([`GraphClient::on_instagram`]).

use async_trait::async_trait;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::GraphClient;
use crate::{
    config::{GraphConfig, InstagramLoginApp},
    domain::{
        connect::{AccessToken, IgDialog, IgGrant, IgProfile, InstagramLoginGraph},
        graph::GraphError,
    },
};

#[derive(Clone)]
pub struct InstagramLoginClient {
    /// graph.instagram.com.
    graph: GraphClient,
    dialog_base: Url,
    /// api.instagram.com.
    token_base: Url,
    app_id: String,
    app_secret: SecretString,
}

impl GraphClient {
    /// A client for graph.instagram.com, where accounts connected with Instagram Login publish.
    /// It sends no `appsecret_proof`: that is Facebook Login's safeguard for its own host.
    pub fn on_instagram(config: &GraphConfig) -> Result<Self, reqwest::Error> {
        let mut client = Self::new(config, None)?;
        client.api_base = config.instagram_graph_base_url.clone();
        Ok(client)
    }
}

impl InstagramLoginClient {
    pub fn new(config: &GraphConfig, app: &InstagramLoginApp) -> Result<Self, reqwest::Error> {
        Ok(Self {
            graph: GraphClient::on_instagram(config)?,
            dialog_base: config.instagram_dialog_base_url.clone(),
            token_base: config.instagram_api_base_url.clone(),
            app_id: app.app_id.clone(),
            app_secret: app.app_secret.clone(),
        })
    }

    fn at(base: &Url, path: &str) -> Url {
        let mut url = base.clone();
        url.set_path(&format!("{}/{path}", base.path().trim_end_matches('/')));
        url
    }
}

/// The code exchange's answer, bare or wrapped in `data: [...]` [believed]: both are accepted.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExchangeAnswer {
    Wrapped { data: Vec<Exchanged> },
    Bare(Exchanged),
}

#[derive(Deserialize)]
struct Exchanged {
    access_token: String,
    user_id: serde_json::Value,
    /// A comma-separated string, or a list.
    #[serde(default)]
    permissions: serde_json::Value,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct Me {
    #[serde(default)]
    id: Option<String>,
    /// The professional account's id, which publishing calls name [code postiz]; `id` is
    /// app-scoped.
    #[serde(default)]
    user_id: Option<serde_json::Value>,
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    profile_picture_url: Option<String>,
    #[serde(default)]
    account_type: Option<String>,
}

/// Ids come as strings or numbers.
fn id_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn permissions(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
        serde_json::Value::Array(list) => list
            .iter()
            .filter_map(|p| p.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn unreadable(detail: &str) -> GraphError {
    GraphError::Unreadable {
        status: 200,
        detail: detail.into(),
    }
}

#[async_trait]
impl InstagramLoginGraph for InstagramLoginClient {
    /// `www.instagram.com/oauth/authorize` (docs/graph-api.md §2, "Instagram Login").
    fn dialog_url(&self, d: &IgDialog<'_>) -> String {
        let mut url = Self::at(&self.dialog_base, "oauth/authorize");
        url.query_pairs_mut()
            .append_pair("client_id", d.app_id)
            .append_pair("redirect_uri", d.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &d.scopes.join(","))
            .append_pair("state", d.state);
        url.into()
    }

    /// `POST api.instagram.com/oauth/access_token` (form, `grant_type=authorization_code`).
    async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<IgGrant, GraphError> {
        let params = [
            ("client_id", self.app_id.clone()),
            ("client_secret", self.app_secret.expose_secret().to_string()),
            ("grant_type", "authorization_code".to_string()),
            ("redirect_uri", redirect_uri.to_string()),
            ("code", code.to_string()),
        ];
        let url = Self::at(&self.token_base, "oauth/access_token");
        let answer: ExchangeAnswer = self.graph.call_at(Method::POST, url, &params, None).await?;
        let exchanged = match answer {
            ExchangeAnswer::Bare(e) => e,
            ExchangeAnswer::Wrapped { data } => data
                .into_iter()
                .next()
                .ok_or_else(|| unreadable("an empty code exchange"))?,
        };
        Ok(IgGrant {
            user_id: id_text(&exchanged.user_id)
                .ok_or_else(|| unreadable("a code exchange without user_id"))?,
            permissions: permissions(&exchanged.permissions),
            token: exchanged.access_token,
        })
    }

    /// `GET graph.instagram.com/access_token?grant_type=ig_exchange_token`, unversioned: a
    /// versioned path fails.
    async fn exchange_long_lived(&self, short: &str) -> Result<AccessToken, GraphError> {
        let params = [
            ("grant_type", "ig_exchange_token".to_string()),
            ("client_secret", self.app_secret.expose_secret().to_string()),
            ("access_token", short.to_string()),
        ];
        let url = self.graph.unversioned("access_token");
        let t: TokenAnswer = self.graph.call_at(Method::GET, url, &params, None).await?;
        Ok(AccessToken {
            token: t.access_token,
            expires_in: t.expires_in,
        })
    }

    /// `GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token`, unversioned.
    async fn refresh(&self, long: &str) -> Result<AccessToken, GraphError> {
        let params = [
            ("grant_type", "ig_refresh_token".to_string()),
            ("access_token", long.to_string()),
        ];
        let url = self.graph.unversioned("refresh_access_token");
        let t: TokenAnswer = self.graph.call_at(Method::GET, url, &params, None).await?;
        Ok(AccessToken {
            token: t.access_token,
            expires_in: t.expires_in,
        })
    }

    /// `GET graph.instagram.com/{v}/me?fields=user_id,username,...` (docs/graph-api.md §4).
    async fn me(&self, token: &str) -> Result<IgProfile, GraphError> {
        let params = [(
            "fields",
            "id,user_id,username,name,profile_picture_url,account_type".to_string(),
        )];
        let me: Me = self
            .graph
            .call(Method::GET, "me", &params, Some(token))
            .await?;
        let user_id = me
            .user_id
            .as_ref()
            .and_then(id_text)
            .or(me.id)
            .ok_or_else(|| unreadable("/me without an id"))?;
        Ok(IgProfile {
            user_id,
            username: me.username,
            name: me.name,
            profile_picture_url: me.profile_picture_url,
            account_type: me.account_type,
        })
    }
}
