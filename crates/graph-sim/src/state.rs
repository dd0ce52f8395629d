//! Everything the simulator remembers. One `Mutex<State>` guards it all (see
//! `mod.rs`); handlers take the lock, do synchronous work and release it before
//! any `.await`.
//!
//! These structs are the simulator's own model of Meta's objects, written from
//! docs/graph-api.md. They are deliberately not shared with the client (docs/architecture.md).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::clock::SimClock;
use super::faults::Fault;
use super::ids;

/// Tunable behaviour. Everything the spec marks [B] or where sources disagree
/// is here, so tests can pick the variant they need (`POST /_sim/settings`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// Extra delay before every Graph response.
    pub latency_ms: u64,
    /// How long a new container stays IN_PROGRESS (row I). Per-URL hint `sim_processing_ms` wins.
    pub container_processing_ms: u64,
    /// Status a container reaches after processing. Per-URL hint `sim_status` wins.
    pub container_final_status: FinalStatus,
    /// `status` text of an ERROR container (row I).
    pub container_error_message: String,
    /// Code and subcode `media_publish` answers for an ERROR container.
    pub container_error_code: i64,
    pub container_error_subcode: i64,
    /// Posts per rolling window and IG user (row K; 25/50/100 have all been documented).
    pub quota_total: u32,
    pub quota_duration_secs: i64,
    /// A container not published within this time is EXPIRED (24 h, "Containers").
    pub container_ttl_secs: i64,
    /// Authorization codes expire after this ([B] 10 minutes).
    pub code_ttl_secs: i64,
    /// Short-lived user token lifetime ("hours", ~1–2 h).
    pub short_lived_token_secs: i64,
    /// Long-lived user token lifetime (~60 days).
    pub long_lived_token_secs: i64,
    /// Data access expiry of a grant ([B] ~90 days).
    pub data_access_secs: i64,
    /// Page tokens derived from a long-lived user token never expire ([B]).
    pub long_lived_page_tokens_never_expire: bool,
    /// Forces the percentages of the usage headers; `null` computes them from recent calls.
    pub usage_percent: Option<u32>,
    /// Minutes put in `estimated_time_to_regain_access`.
    pub estimated_time_to_regain_access: u64,
    /// Platform rate limit: calls per hour per app user (200 × DAU).
    pub app_calls_per_user_per_hour: u64,
    /// Business use case budget per hour and object, for the BUC header.
    pub buc_calls_per_hour: u64,
    /// Caption limits ("Limits": 2200 characters, 30 hashtags, 20 @ tags).
    pub caption_max_chars: usize,
    pub caption_max_hashtags: usize,
    pub caption_max_mentions: usize,
    /// Paging defaults for edges (row E: 25; Graph caps `limit` at 100).
    pub default_page_limit: usize,
    pub max_page_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            latency_ms: 0,
            container_processing_ms: 1500,
            container_final_status: FinalStatus::Finished,
            container_error_message:
                "Error: Media download has failed. The media URI doesn't meet our requirements."
                    .to_string(),
            container_error_code: 9004,
            container_error_subcode: 2207052,
            quota_total: 50,
            quota_duration_secs: 86_400,
            container_ttl_secs: 86_400,
            code_ttl_secs: 600,
            short_lived_token_secs: 5_400,
            long_lived_token_secs: 5_183_944,
            data_access_secs: 90 * 86_400,
            long_lived_page_tokens_never_expire: true,
            usage_percent: None,
            estimated_time_to_regain_access: 0,
            app_calls_per_user_per_hour: 200,
            buc_calls_per_hour: 200,
            caption_max_chars: 2200,
            caption_max_hashtags: 30,
            caption_max_mentions: 20,
            default_page_limit: 25,
            max_page_limit: 100,
        }
    }
}

/// Where a container ends after processing.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum FinalStatus {
    Finished,
    Error,
    Expired,
}

/// A registered Meta app.
#[derive(Debug, Clone)]
pub(crate) struct AppRecord {
    pub app_id: String,
    pub app_secret: String,
    pub redirect_uris: Vec<String>,
    pub require_appsecret_proof: bool,
    pub name: String,
}

/// A Facebook person who can sign in to the dialog.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub name: String,
    pub page_ids: Vec<String>,
    pub business_ids: Vec<String>,
    /// Permissions whose dialog checkbox starts unticked (scenario `declined_publish`).
    pub default_unticked: Vec<String>,
    pub created_seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BusinessRelation {
    /// `/{business}/owned_pages`
    Owned,
    /// `/{business}/client_pages`
    Client,
}

#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub id: String,
    pub name: String,
    pub category: String,
    pub category_id: String,
    pub tasks: Vec<String>,
    pub owner_user_id: String,
    /// Set when a business portfolio holds the page: such pages are missing from `/me/accounts`.
    pub business: Option<(String, BusinessRelation)>,
    pub ig_user_id: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Business {
    pub name: String,
}

/// An Instagram Business/Creator account linked to a page (node type IGUser).
#[derive(Debug, Clone)]
pub(crate) struct IgUser {
    pub id: String,
    pub ig_id: u64,
    pub username: String,
    pub name: String,
    pub profile_picture_url: String,
    pub followers_count: u64,
    pub follows_count: u64,
    pub media_count: u64,
    pub biography: String,
    pub website: String,
    pub page_id: String,
}

/// What a person allowed an app in the dialog. A new dialog run replaces it.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub granted: Vec<String>,
    pub declined: Vec<String>,
    pub pages: Vec<String>,
    pub data_access_expires_at: DateTime<Utc>,
}

impl Grant {
    pub fn has(&self, permission: &str) -> bool {
        self.granted.iter().any(|p| p == permission)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub app_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    ShortLivedUser,
    LongLivedUser,
    Page { page_id: String },
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub app_id: String,
    pub user_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub invalidated: bool,
}

/// What `POST /{ig-user-id}/media` was asked to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    Image,
    /// `media_type=VIDEO`, only valid as a carousel item.
    Video,
    Reels,
    Stories,
    Carousel,
}

/// An IG container ("media builder"), row H/I.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub id: String,
    pub ig_user_id: String,
    pub kind: ContainerKind,
    pub is_carousel_item: bool,
    pub media_url: Option<String>,
    pub is_video: bool,
    pub children: Vec<String>,
    pub caption: Option<String>,
    pub alt_text: Option<String>,
    pub share_to_feed: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
    pub processing_ms: u64,
    pub final_status: FinalStatus,
    pub error_message: String,
    pub error_code: i64,
    pub error_subcode: i64,
    pub published_media_id: Option<String>,
}

/// The five values of `status_code` (row I).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerStatus {
    InProgress,
    Finished,
    Error,
    Expired,
    Published,
}

impl ContainerStatus {
    pub fn code(self) -> &'static str {
        match self {
            ContainerStatus::InProgress => "IN_PROGRESS",
            ContainerStatus::Finished => "FINISHED",
            ContainerStatus::Error => "ERROR",
            ContainerStatus::Expired => "EXPIRED",
            ContainerStatus::Published => "PUBLISHED",
        }
    }
}

impl Container {
    /// The status at `now`: published wins, then the 24 h expiry, then processing.
    pub fn status(&self, now: DateTime<Utc>, ttl_secs: i64) -> ContainerStatus {
        if self.published_media_id.is_some() {
            return ContainerStatus::Published;
        }
        if now >= self.created_at + Duration::seconds(ttl_secs) {
            return ContainerStatus::Expired;
        }
        if now < self.ready_at {
            return ContainerStatus::InProgress;
        }
        match self.final_status {
            FinalStatus::Finished => ContainerStatus::Finished,
            FinalStatus::Error => ContainerStatus::Error,
            FinalStatus::Expired => ContainerStatus::Expired,
        }
    }

    /// The human `status` text next to `status_code`.
    pub fn status_text(&self, status: ContainerStatus) -> String {
        match status {
            ContainerStatus::InProgress => "In Progress: Media is still being processed.".into(),
            ContainerStatus::Finished => {
                "Finished: Media has been uploaded and it is ready to be published.".into()
            }
            ContainerStatus::Error => self.error_message.clone(),
            ContainerStatus::Expired => "Expired: Media was not published within 24 hours.".into(),
            ContainerStatus::Published => {
                "Published: Media has been successfully published.".into()
            }
        }
    }
}

/// A published IG media object (or a carousel child of one).
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub id: String,
    pub ig_user_id: String,
    pub container_id: String,
    pub media_type: String,
    pub media_product_type: String,
    pub caption: Option<String>,
    pub alt_text: Option<String>,
    pub shortcode: String,
    pub permalink: String,
    pub media_url: Option<String>,
    pub published_at: DateTime<Utc>,
    pub children: Vec<String>,
    /// Set on carousel children, which are not posts of their own.
    pub parent_id: Option<String>,
}

/// How a call carried `appsecret_proof` (reported by `GET /_sim/calls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProofStatus {
    Valid,
    Invalid,
    Absent,
}

/// One received Graph call. Holds no token, secret or query string.
#[derive(Debug, Clone)]
pub(crate) struct CallRecord {
    pub method: String,
    pub path: String,
    pub proof: ProofStatus,
    pub at: DateTime<Utc>,
    pub app_id: Option<String>,
    /// Business use case object the call touched, and its type ("instagram" or "pages").
    pub buc: Option<(String, &'static str)>,
}

/// How many calls `GET /_sim/calls` can report; older ones are forgotten.
pub(crate) const MAX_CALL_RECORDS: usize = 20_000;

#[derive(Debug, Default)]
pub(crate) struct State {
    pub settings: Settings,
    pub clock: SimClock,
    pub apps: BTreeMap<String, AppRecord>,
    pub users: BTreeMap<String, User>,
    pub user_seq: u64,
    pub pages: BTreeMap<String, Page>,
    pub businesses: BTreeMap<String, Business>,
    pub ig_users: BTreeMap<String, IgUser>,
    pub usernames: HashSet<String>,
    pub signed_in: Option<String>,
    pub grants: HashMap<(String, String), Grant>,
    pub codes: HashMap<String, AuthCode>,
    pub tokens: HashMap<String, Token>,
    /// (parent user token, page id) → page token, so a page keeps one token per login.
    pub page_tokens: HashMap<(String, String), String>,
    pub containers: BTreeMap<String, Container>,
    pub media: BTreeMap<String, Media>,
    pub faults: Vec<Fault>,
    pub next_fault_id: u64,
    pub calls: VecDeque<CallRecord>,
    pub used_ids: HashSet<String>,
}

impl State {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A fresh numeric id: `prefix` followed by random digits, `len` digits in all.
    pub fn new_id(&mut self, prefix: &str, len: usize) -> String {
        loop {
            let id = format!("{prefix}{}", ids::digits(len.saturating_sub(prefix.len())));
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// The dialog's signed-in person: the one chosen by `POST /_sim/login`,
    /// else the most recently created user.
    pub fn signed_in_user(&self) -> Option<&User> {
        self.signed_in
            .as_ref()
            .and_then(|id| self.users.get(id))
            .or_else(|| self.users.values().max_by_key(|u| u.created_seq))
    }

    pub fn grant(&self, app_id: &str, user_id: &str) -> Option<&Grant> {
        self.grants.get(&(app_id.to_string(), user_id.to_string()))
    }

    /// Top-level media published for `ig_user_id` within the quota window ending at `now`.
    pub fn quota_usage(&self, ig_user_id: &str, now: DateTime<Utc>) -> u32 {
        let since = now - Duration::seconds(self.settings.quota_duration_secs);
        self.media
            .values()
            .filter(|m| m.ig_user_id == ig_user_id && m.parent_id.is_none())
            .filter(|m| m.published_at > since && m.published_at <= now)
            .count() as u32
    }

    pub fn record_call(&mut self, call: CallRecord) {
        if self.calls.len() >= MAX_CALL_RECORDS {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }
}
