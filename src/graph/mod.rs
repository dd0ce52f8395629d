//! The Graph API adapter: implements the domain's ports to Meta (`connect::LoginGraph`,
//! `publish::PublishingGraph`) over HTTP with Facebook Login's token endpoints and the Instagram
//! Graph API.
//!
//! Its wire types are its own (docs/architecture.md: the simulator shares none of them). Every
//! call has a timeout, carries `appsecret_proof` (docs/security.md O9), logs only its path, and
//! fails with the domain's [`GraphError`], which classifies itself. Retry policy lives in the
//! callers' one layer (R8).

mod instagram_login;
mod wire;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use reqwest::{header::HeaderMap, Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use url::Url;

pub use instagram_login::InstagramLoginClient;

use crate::{
    config::{GraphConfig, InstagramApp},
    crypto::{appsecret_proof, sha256_hex},
    domain::{
        connect::{AccessToken, Dialog, Discovery, Grant, IgUser, LoginGraph, Page, TokenInfo},
        graph::GraphError,
        publish::{
            Comment, ContainerSpec, ContainerStatus, FoundPlace, MediaEdge, PublishingGraph,
            PublishingLimit, RecentMedia,
        },
    },
};

/// How long a usage reading counts: after a pause, the next answer says again.
const USAGE_FRESH_FOR: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    api_base: Url,
    dialog_base: Url,
    version: String,
    app: Option<InstagramApp>,
    /// The last usage percentage Graph reported per token (keyed by the token's hash), from
    /// successful answers too, so the publisher can slow an account down before it is throttled.
    usage: std::sync::Arc<std::sync::Mutex<HashMap<String, (u32, Instant)>>>,
}

impl GraphClient {
    pub fn new(config: &GraphConfig, app: Option<InstagramApp>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            // Graph never redirects API calls; following one would leak the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("social-media-uploader/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            api_base: config.api_base_url.clone(),
            dialog_base: config.dialog_base_url.clone(),
            version: config.version.clone(),
            app,
            usage: Default::default(),
        })
    }

    /// Remembers what the usage headers of an answer to `token`'s call said.
    fn note_usage(&self, token: &str, headers: &HeaderMap) {
        let Some(percent) = wire::usage_percent(headers) else {
            return;
        };
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        if usage.len() > 10_000 {
            usage.retain(|_, (_, at)| at.elapsed() < USAGE_FRESH_FOR);
        }
        usage.insert(sha256_hex(token.as_bytes()), (percent, Instant::now()));
    }

    fn app(&self) -> Result<&InstagramApp, GraphError> {
        self.app
            .as_ref()
            .ok_or_else(|| GraphError::Transport("Instagram API credentials not configured".into()))
    }

    /// The Facebook Login dialog URL (docs/graph-api.md row A).
    /// The dialog's URL (docs/graph-api.md §2): `scope` for classic Login, `config_id` for Login
    /// for Business, and `auth_type` when a reconnect needs it.
    fn dialog(&self, d: &Dialog<'_>) -> Url {
        let mut url = self.dialog_base.clone();
        url.set_path(&format!("/{}/dialog/oauth", self.version));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", d.app_id)
                .append_pair("redirect_uri", d.redirect_uri)
                .append_pair("state", d.state)
                .append_pair("response_type", "code");
            match d.grant {
                Grant::Scopes(scopes) => q.append_pair("scope", &scopes.join(",")),
                Grant::Configuration(id) => q
                    .append_pair("config_id", id)
                    .append_pair("override_default_response_type", "true"),
            };
            if let Some(auth_type) = d.auth_type {
                q.append_pair("auth_type", auth_type);
            }
        }
        url
    }

    /// A versioned path under the API base (whose own path, if any, is kept: the simulator serves
    /// graph.instagram.com under `/_ig`).
    fn endpoint(&self, path: &str) -> Url {
        self.unversioned(&format!(
            "{}/{}",
            self.version,
            path.trim_start_matches('/')
        ))
    }

    /// A path under the API base without the version (Instagram Login's token endpoints).
    fn unversioned(&self, path: &str) -> Url {
        let mut url = self.api_base.clone();
        url.set_path(&format!(
            "{}/{}",
            self.api_base.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        ));
        url
    }

    /// One Graph call to a versioned path.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        token: Option<&str>,
    ) -> Result<T, GraphError> {
        self.call_at(method, self.endpoint(path), params, token)
            .await
    }

    /// One call to `url`. `token` is added with its `appsecret_proof` (when this client has the
    /// app's secret); tokens travel in the form body of POSTs, and only in the query of GETs,
    /// which are never logged with their query.
    async fn call_at<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        params: &[(&str, String)],
        token: Option<&str>,
    ) -> Result<T, GraphError> {
        let mut params: Vec<(&str, String)> = params.to_vec();
        if let Some(token) = token {
            params.push(("access_token", token.to_string()));
            if let Some(app) = &self.app {
                params.push((
                    "appsecret_proof",
                    appsecret_proof(app.app_secret.expose_secret(), token),
                ));
            }
        }
        let path = url.path().to_string();
        let request = match method {
            Method::GET => self.http.get(url).query(&params),
            _ => self.http.request(method.clone(), url).form(&params),
        };
        tracing::debug!(%method, path, "graph call");
        // `without_url`: reqwest errors print the URL, which carries the token (docs/security.md L2).
        let response = request
            .send()
            .await
            .map_err(|e| GraphError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(token) = token {
            self.note_usage(token, &headers);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| GraphError::Transport(e.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| GraphError::Unreadable {
                status: status.as_u16(),
                detail: e.to_string(),
            });
        }
        Err(api_error(status, &headers, &body))
    }

    /// `oauth/access_token` with the app's credentials and `grant`.
    async fn access_token(&self, grant: &[(&str, &str)]) -> Result<AccessToken, GraphError> {
        let app = self.app()?;
        let mut params = vec![
            ("client_id", app.app_id.clone()),
            ("client_secret", app.app_secret.expose_secret().to_string()),
        ];
        params.extend(grant.iter().map(|(k, v)| (*k, v.to_string())));
        let t: wire::TokenResponse = self
            .call(Method::POST, "oauth/access_token", &params, None)
            .await?;
        Ok(AccessToken {
            token: t.access_token,
            expires_in: t.expires_in,
        })
    }

    async fn paged_pages(&self, path: &str, token: &str) -> Result<Vec<wire::Page>, GraphError> {
        const MAX_PAGES: usize = 50;
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                (
                    "fields",
                    "id,name,access_token,tasks,instagram_business_account".to_string(),
                ),
                ("limit", "100".to_string()),
            ];
            if let Some(cursor) = &after {
                params.push(("after", cursor.clone()));
            }
            let page: wire::Paged<wire::Page> =
                self.call(Method::GET, path, &params, Some(token)).await?;
            out.extend(page.data);
            // Follow the cursor, not `paging.next`: the next URL carries the token and another host is possible.
            match page
                .paging
                .and_then(|p| p.next.and(p.cursors).and_then(|c| c.after))
            {
                Some(cursor) => after = Some(cursor),
                None => return Ok(out),
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl LoginGraph for GraphClient {
    fn dialog_url(&self, dialog: &Dialog<'_>) -> String {
        self.dialog(dialog).into()
    }

    /// Code -> short-lived user token (docs/graph-api.md row B1). The redirect URI must equal the dialog's.
    async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<AccessToken, GraphError> {
        self.access_token(&[("redirect_uri", redirect_uri), ("code", code)])
            .await
    }

    /// Short-lived -> long-lived (~60 days) user token (docs/graph-api.md row B2).
    async fn exchange_long_lived(&self, short: &str) -> Result<AccessToken, GraphError> {
        self.access_token(&[
            ("grant_type", "fb_exchange_token"),
            ("fb_exchange_token", short),
        ])
        .await
    }

    /// Expiry and granted scopes of a user token (docs/graph-api.md row C), asked with the app token.
    async fn debug_token(&self, token: &str) -> Result<TokenInfo, GraphError> {
        let app = self.app()?;
        let app_token = format!("{}|{}", app.app_id, app.app_secret.expose_secret());
        let params = [
            ("input_token", token.to_string()),
            ("access_token", app_token),
        ];
        let r: wire::DebugTokenResponse =
            self.call(Method::GET, "debug_token", &params, None).await?;
        Ok(r.data.into())
    }

    /// The permissions the person declined in the dialog (docs/graph-api.md row D).
    async fn declined_permissions(&self, token: &str) -> Result<Vec<String>, GraphError> {
        let r: wire::Paged<wire::Permission> = self
            .call(Method::GET, "me/permissions", &[], Some(token))
            .await?;
        Ok(r.data
            .into_iter()
            .filter(|p| p.status == "declined")
            .map(|p| p.permission)
            .collect())
    }

    /// Every Page the person granted: `/me/accounts` with paging, plus the pages of their business
    /// portfolios when `business_management` was granted (docs/graph-api.md row E). Deduplicated by page id.
    async fn pages(&self, token: &str, with_businesses: bool) -> Result<Discovery, GraphError> {
        let mut pages = self.paged_pages("me/accounts", token).await?;
        let mut skipped = Vec::new();
        if with_businesses {
            // A portfolio that refuses (#200 for non-admins, among others) is skipped, not fatal
            // (docs/graph-api.md §4).
            let businesses: Vec<wire::Business> = match self
                .call::<wire::Paged<wire::Business>>(
                    Method::GET,
                    "me/businesses",
                    &[("fields", "id,name".into())],
                    Some(token),
                )
                .await
            {
                Ok(list) => list.data,
                Err(e) => {
                    skipped.push((
                        "Your business portfolios".to_string(),
                        e.message().to_string(),
                    ));
                    vec![]
                }
            };
            for business in businesses {
                for edge in ["owned_pages", "client_pages"] {
                    match self
                        .paged_pages(&format!("{}/{edge}", business.id), token)
                        .await
                    {
                        Ok(found) => pages.extend(found),
                        Err(e) => skipped.push((
                            format!(
                                "Business portfolio {}",
                                business.name.as_deref().unwrap_or(&business.id)
                            ),
                            e.message().to_string(),
                        )),
                    }
                }
            }
        }
        // The person's own Pages come first, so a Page listed twice keeps its Page token.
        let mut seen = std::collections::HashSet::new();
        pages.retain(|p| seen.insert(p.id.clone()));
        skipped.dedup();
        Ok(Discovery {
            pages: pages.into_iter().map(Page::from).collect(),
            skipped,
        })
    }

    /// An Instagram Business or Creator account's profile (docs/graph-api.md row G).
    async fn ig_user(&self, token: &str, ig_user_id: &str) -> Result<IgUser, GraphError> {
        let params = [("fields", "id,username,name,profile_picture_url".to_string())];
        let user: wire::IgUser = self
            .call(Method::GET, ig_user_id, &params, Some(token))
            .await?;
        Ok(user.into())
    }
}

#[async_trait]
impl PublishingGraph for GraphClient {
    /// Creates a media container (docs/graph-api.md row H); returns its id.
    async fn create_container(
        &self,
        token: &str,
        ig_user_id: &str,
        spec: &ContainerSpec,
    ) -> Result<String, GraphError> {
        let mut params: Vec<(&str, String)> = Vec::new();
        let mut push = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                params.push((k, v));
            }
        };
        push("image_url", spec.image_url.clone());
        push("video_url", spec.video_url.clone());
        push("media_type", spec.media_type.map(String::from));
        push(
            "is_carousel_item",
            spec.is_carousel_item.then(|| "true".into()),
        );
        push(
            "children",
            (!spec.children.is_empty()).then(|| spec.children.join(",")),
        );
        push("caption", spec.caption.clone());
        push("alt_text", spec.alt_text.clone());
        push(
            "user_tags",
            (!spec.user_tags.is_empty()).then(|| wire::user_tags(&spec.user_tags)),
        );
        push(
            "collaborators",
            (!spec.collaborators.is_empty()).then(|| wire::json_list(&spec.collaborators)),
        );
        push("location_id", spec.location_id.clone());
        push(
            "is_ai_generated",
            spec.is_ai_generated.then(|| "true".into()),
        );
        push("share_to_feed", spec.share_to_feed.map(|s| s.to_string()));
        push("cover_url", spec.cover_url.clone());
        push(
            "thumb_offset",
            spec.thumb_offset_ms.map(|ms| ms.to_string()),
        );
        push("trial_params", spec.trial_reel.map(wire::trial_params));
        let r: wire::Id = self
            .call(
                Method::POST,
                &format!("{ig_user_id}/media"),
                &params,
                Some(token),
            )
            .await?;
        Ok(r.id)
    }

    /// A container's processing status (docs/graph-api.md row I).
    async fn container_status(
        &self,
        token: &str,
        container_id: &str,
    ) -> Result<ContainerStatus, GraphError> {
        let params = [("fields", "id,status_code,status".to_string())];
        let status: wire::ContainerStatus = self
            .call(Method::GET, container_id, &params, Some(token))
            .await?;
        Ok(status.into())
    }

    /// Publishes a FINISHED container (docs/graph-api.md row J); returns the media id.
    async fn publish(
        &self,
        token: &str,
        ig_user_id: &str,
        container_id: &str,
    ) -> Result<String, GraphError> {
        let params = [("creation_id", container_id.to_string())];
        let r: wire::Id = self
            .call(
                Method::POST,
                &format!("{ig_user_id}/media_publish"),
                &params,
                Some(token),
            )
            .await?;
        Ok(r.id)
    }

    async fn permalink(&self, token: &str, media_id: &str) -> Result<Option<String>, GraphError> {
        let r: wire::Media = self
            .call(
                Method::GET,
                media_id,
                &[("fields", "id,permalink".into())],
                Some(token),
            )
            .await?;
        Ok(r.permalink)
    }

    /// The account's newest media (to find what an unanswered publish created).
    async fn recent_media(
        &self,
        token: &str,
        ig_user_id: &str,
        edge: MediaEdge,
    ) -> Result<Vec<RecentMedia>, GraphError> {
        let path = match edge {
            MediaEdge::Media => format!("{ig_user_id}/media"),
            MediaEdge::Stories => format!("{ig_user_id}/stories"),
        };
        let params = [
            (
                "fields",
                "id,caption,timestamp,media_product_type".to_string(),
            ),
            ("limit", "25".to_string()),
        ];
        let r: wire::Paged<wire::RecentMedia> =
            self.call(Method::GET, &path, &params, Some(token)).await?;
        Ok(r.data.into_iter().map(RecentMedia::from).collect())
    }

    /// Newest first (docs/graph-api.md §5 "After publishing").
    async fn comments(&self, token: &str, media_id: &str) -> Result<Vec<Comment>, GraphError> {
        let params = [
            ("fields", "id,text,username".to_string()),
            ("limit", "50".to_string()),
        ];
        let r: wire::Paged<wire::Comment> = self
            .call(
                Method::GET,
                &format!("{media_id}/comments"),
                &params,
                Some(token),
            )
            .await?;
        Ok(r.data.into_iter().map(Comment::from).collect())
    }

    async fn comment(
        &self,
        token: &str,
        media_id: &str,
        message: &str,
    ) -> Result<String, GraphError> {
        let params = [("message", message.to_string())];
        let r: wire::Id = self
            .call(
                Method::POST,
                &format!("{media_id}/comments"),
                &params,
                Some(token),
            )
            .await?;
        Ok(r.id)
    }

    /// `GET /pages/search` (docs/graph-api.md §5 "Creating containers", `location_id`).
    async fn search_places(&self, token: &str, query: &str) -> Result<Vec<FoundPlace>, GraphError> {
        let params = [
            ("q", query.to_string()),
            ("fields", "id,name,location".to_string()),
            ("limit", "10".to_string()),
        ];
        let r: wire::Paged<wire::Place> = self
            .call(Method::GET, "pages/search", &params, Some(token))
            .await?;
        Ok(r.data.into_iter().map(FoundPlace::from).collect())
    }

    /// Posts published in the last 24 h and the allowance (docs/graph-api.md row K).
    async fn publishing_limit(
        &self,
        token: &str,
        ig_user_id: &str,
    ) -> Result<PublishingLimit, GraphError> {
        let params = [("fields", "quota_usage,config".to_string())];
        let r: wire::Paged<wire::PublishingLimit> = self
            .call(
                Method::GET,
                &format!("{ig_user_id}/content_publishing_limit"),
                &params,
                Some(token),
            )
            .await?;
        r.data
            .into_iter()
            .next()
            .map(PublishingLimit::from)
            .ok_or(GraphError::Unreadable {
                status: 200,
                detail: "empty content_publishing_limit".into(),
            })
    }

    fn usage(&self, token: &str) -> Option<u32> {
        let usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        usage
            .get(&sha256_hex(token.as_bytes()))
            .filter(|(_, at)| at.elapsed() < USAGE_FRESH_FOR)
            .map(|(percent, _)| *percent)
    }
}

/// Reads Graph's error envelope and its throttling headers, or api.instagram.com's flat error
/// (`{"error_type","code","error_message"}`).
fn api_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> GraphError {
    if let Ok(flat) = serde_json::from_slice::<wire::FlatError>(body) {
        return GraphError::Api {
            http_status: status.as_u16(),
            code: flat.code.unwrap_or(i64::from(status.as_u16())),
            subcode: None,
            message: flat.error_message,
            user_message: None,
            is_transient: false,
            retry_after: None,
        };
    }
    match serde_json::from_slice::<wire::ErrorEnvelope>(body) {
        Ok(envelope) => {
            let e = envelope.error;
            GraphError::Api {
                http_status: status.as_u16(),
                code: e.code,
                subcode: e.error_subcode,
                message: e.message,
                user_message: e.error_user_msg.filter(|m| !m.is_empty()),
                is_transient: e.is_transient.unwrap_or(false),
                retry_after: wire::retry_after(headers),
            }
        }
        Err(_) => GraphError::Unreadable {
            status: status.as_u16(),
            detail: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        },
    }
}
