//! What the client reads from Graph, field by field as Meta documents it (docs/graph-api.md), and
//! how each becomes the domain's type. Nothing here leaves the adapter.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::{
    domain::{connect, publish},
    dto::{TrialReel, UserTag},
};

#[derive(Deserialize)]
pub(super) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct DebugTokenResponse {
    pub data: TokenInfo,
}

/// `debug_token`'s `data` (row C).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TokenInfo {
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; 0 means the token does not expire.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub data_access_expires_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// Why an invalid token is invalid.
    #[serde(default)]
    pub error: Option<TokenError>,
}

/// `debug_token`'s `data.error` for an invalid token: the same code and subcode a call with it
/// would get (190/460 and so on).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TokenError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub subcode: Option<i64>,
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
pub(super) struct Paged<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Deserialize)]
pub(super) struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Cursors {
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Permission {
    pub permission: String,
    pub status: String,
}

#[derive(Deserialize)]
pub(super) struct Business {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A Facebook Page and the Instagram account linked to it, if any (rows E, F). No `Debug`: it
/// holds the Page's token.
#[derive(Clone, Deserialize)]
pub(super) struct Page {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub instagram_business_account: Option<IdRef>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub tasks: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct IdRef {
    pub id: String,
}

/// An Instagram Business or Creator account (row G).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct IgUser {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub profile_picture_url: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Id {
    pub id: String,
}

/// A container's processing state (row I).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ContainerStatus {
    /// IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED.
    pub status_code: String,
    /// The error text when ERROR.
    #[serde(default)]
    pub status: Option<String>,
}

/// A comment, as the comments edge gives it.
#[derive(Deserialize)]
pub(super) struct Comment {
    pub id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub username: Option<String>,
}

impl From<Comment> for publish::Comment {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            text: c.text,
            username: c.username,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Place {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub location: Option<PlaceLocation>,
}

#[derive(Deserialize, Default)]
pub(super) struct PlaceLocation {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

impl From<Place> for publish::FoundPlace {
    fn from(p: Place) -> Self {
        let location = p.location.unwrap_or_default();
        Self {
            id: p.id,
            name: p.name,
            street: location.street,
            city: location.city,
            country: location.country,
        }
    }
}

/// One of an account's media, as the media list gives it.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct RecentMedia {
    pub id: String,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub media_product_type: Option<String>,
    /// Graph writes `2026-11-24T15:00:00+0000`, which is not RFC 3339.
    #[serde(default, deserialize_with = "graph_time")]
    pub timestamp: Option<chrono::DateTime<chrono::Utc>>,
}

fn graph_time<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.and_then(|s| {
        chrono::DateTime::parse_from_rfc3339(&s)
            .or_else(|_| chrono::DateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%z"))
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }))
}

#[derive(Deserialize)]
pub(super) struct Media {
    #[serde(default)]
    pub permalink: Option<String>,
}

/// `content_publishing_limit` (row K).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PublishingLimit {
    #[serde(default)]
    pub quota_usage: u32,
    #[serde(default)]
    pub config: Option<QuotaConfig>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct QuotaConfig {
    #[serde(default)]
    pub quota_total: Option<u32>,
}

impl From<TokenInfo> for connect::TokenInfo {
    fn from(t: TokenInfo) -> Self {
        Self {
            is_valid: t.is_valid,
            expires_at: t.expires_at,
            data_access_expires_at: t.data_access_expires_at,
            scopes: t.scopes,
            user_id: t.user_id,
            error: t.error.map(|e| connect::TokenFault {
                code: e.code,
                subcode: e.subcode,
                message: e.message,
            }),
        }
    }
}

impl From<Page> for connect::Page {
    fn from(p: Page) -> Self {
        Self {
            id: p.id,
            name: p.name,
            instagram_account_id: p.instagram_business_account.map(|r| r.id),
            access_token: p.access_token.filter(|t| !t.is_empty()),
            tasks: p.tasks,
        }
    }
}

impl From<IgUser> for connect::IgUser {
    fn from(u: IgUser) -> Self {
        Self {
            id: u.id,
            username: u.username,
            name: u.name,
            profile_picture_url: u.profile_picture_url,
        }
    }
}

impl From<ContainerStatus> for publish::ContainerStatus {
    fn from(c: ContainerStatus) -> Self {
        Self {
            status_code: c.status_code,
            status: c.status,
        }
    }
}

impl From<RecentMedia> for publish::RecentMedia {
    fn from(m: RecentMedia) -> Self {
        Self {
            id: m.id,
            caption: m.caption,
            timestamp: m.timestamp,
            product_type: m.media_product_type,
        }
    }
}

impl From<PublishingLimit> for publish::PublishingLimit {
    fn from(l: PublishingLimit) -> Self {
        Self {
            used: l.quota_usage,
            total: l.config.and_then(|c| c.quota_total),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// api.instagram.com's error, which has no envelope [believed].
#[derive(Deserialize)]
pub(super) struct FlatError {
    pub error_message: String,
    #[serde(default)]
    pub code: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
}

#[derive(Deserialize)]
struct BucEntry {
    #[serde(default)]
    estimated_time_to_regain_access: Option<u64>,
    #[serde(default)]
    call_count: Option<f64>,
    #[serde(default)]
    total_cputime: Option<f64>,
    #[serde(default)]
    total_time: Option<f64>,
}

fn buc_entries(headers: &HeaderMap) -> Vec<BucEntry> {
    headers
        .get("x-business-use-case-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            serde_json::from_str::<std::collections::HashMap<String, Vec<BucEntry>>>(v).ok()
        })
        .map(|m| m.into_values().flatten().collect())
        .unwrap_or_default()
}

/// The highest percentage any usage header reports (`X-App-Usage`'s `call_count`, `total_time`,
/// `total_cputime`, and the same per business in `X-Business-Use-Case-Usage`); `None` when the
/// answer carried neither (Graph sends them "once enough calls have been made").
pub(super) fn usage_percent(headers: &HeaderMap) -> Option<u32> {
    let app = headers
        .get("x-app-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|v| {
            v.as_object()
                .map(|o| o.values().filter_map(|x| x.as_f64()).fold(0.0, f64::max))
        });
    let buc = buc_entries(headers)
        .iter()
        .flat_map(|e| [e.call_count, e.total_cputime, e.total_time])
        .flatten()
        .reduce(f64::max);
    match (app, buc) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0).max(b.unwrap_or(0.0)).round() as u32),
    }
}

/// `user_tags` as Graph takes it: `[{"username":"ana","x":0.5,"y":0.25}]`, without a position
/// where the tag has none.
pub(super) fn user_tags(tags: &[UserTag]) -> String {
    let list: Vec<serde_json::Value> = tags
        .iter()
        .map(|t| {
            let mut tag = serde_json::json!({"username": t.username});
            if let (Some(x), Some(y)) = (t.x, t.y) {
                tag["x"] = x.into();
                tag["y"] = y.into();
            }
            tag
        })
        .collect();
    serde_json::Value::from(list).to_string()
}

/// A JSON list of strings (`collaborators`).
pub(super) fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

/// `trial_params` for a trial reel.
pub(super) fn trial_params(trial: TrialReel) -> String {
    let strategy = match trial {
        TrialReel::Manual => "MANUAL",
        TrialReel::Performance => "SS_PERFORMANCE",
    };
    serde_json::json!({"graduation_strategy": strategy}).to_string()
}

/// How long Graph asked us to wait, from `X-Business-Use-Case-Usage` (minutes per business), or a
/// minute when `X-App-Usage` reports a limit reached (docs/security.md R4).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let buc = buc_entries(headers)
        .iter()
        .filter_map(|e| e.estimated_time_to_regain_access)
        .max()
        .filter(|minutes| *minutes > 0)
        .map(|minutes| Duration::from_secs(minutes * 60));
    let app_limited = headers
        .get("x-app-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|v| {
            v.as_object().map(|o| {
                o.values()
                    .filter_map(|x| x.as_f64())
                    .any(|pct| pct >= 100.0)
            })
        })
        .unwrap_or(false);
    buc.or(app_limited.then_some(Duration::from_secs(60)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn graph_timestamps_parse_in_both_shapes() {
        let m: RecentMedia =
            serde_json::from_str(r#"{"id":"1","timestamp":"2026-11-24T15:00:00+0000"}"#).unwrap();
        assert_eq!(
            m.timestamp.unwrap().to_rfc3339(),
            "2026-11-24T15:00:00+00:00"
        );
        let m: RecentMedia =
            serde_json::from_str(r#"{"id":"1","timestamp":"2026-11-24T15:00:00Z"}"#).unwrap();
        assert!(m.timestamp.is_some());
    }

    #[test]
    fn throttling_headers_give_a_wait() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(r#"{"1784":[{"type":"instagram","call_count":100,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":7}]}"#),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(420)));
        let mut h = HeaderMap::new();
        h.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":100,"total_time":25,"total_cputime":25}"#),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(60)));
        let mut h = HeaderMap::new();
        h.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":28,"total_time":25,"total_cputime":25}"#),
        );
        assert_eq!(retry_after(&h), None);
        assert_eq!(usage_percent(&h), Some(28), "the highest of the three");
        assert_eq!(usage_percent(&HeaderMap::new()), None);
    }
}
