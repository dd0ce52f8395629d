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
use super::timeline::Timeline;

/// Tunable behaviour. Everything the spec marks [B] or where sources disagree
/// is here, so tests can pick the variant they need (`POST /_sim/settings`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// Extra delay before every Graph response.
    pub latency_ms: u64,
    /// How long a new container stays IN_PROGRESS (row I). Per-URL hint `sim_processing_ms` wins.
    pub container_processing_ms: u64,
    /// Status a container reaches after processing. Per-URL hints `sim_status` and
    /// `sim_error_times` win.
    pub container_final_status: FinalStatus,
    /// `status` text of an ERROR container (row I). `null` (default): Meta's text for
    /// `container_error_subcode`, which always names the 2207xxx subcode ("Containers").
    pub container_error_message: Option<String>,
    /// Code `media_publish` answers for an ERROR container; `null` (default): the code §6
    /// pairs with `container_error_subcode` (9004 for 2207052).
    pub container_error_code: Option<i64>,
    /// Subcode of an ERROR container (default 2207052). Per-URL hint `sim_subcode` wins.
    pub container_error_subcode: i64,
    /// GETs of a container or media object younger than this answer 100/33 although the
    /// object exists and `media_publish` works (§6, complaint 8). 0 turns it off.
    pub fresh_object_invisible_ms: u64,
    /// After a publish, the container reads FINISHED this long before PUBLISHED (§10 row 22).
    pub publish_status_lag_ms: u64,
    /// Containers an IG account may create per rolling 24 h ("Containers": 400).
    pub container_limit_per_day: u32,
    /// Only Business accounts may create STORIES containers (§1 "Account type").
    pub stories_business_only: bool,
    /// How long `GET /{ig-user-id}/stories` lists a story (24 h).
    pub story_lifetime_secs: i64,
    /// Captions read back without any `@`: the reader is never an admin of the app ("After
    /// publishing"). `false` reads them as written.
    pub captions_without_at: bool,
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
    /// Page tokens derived from a short-lived user token live this long (1 h, §3 "Page, from
    /// short-lived user"), never beyond their parent.
    pub short_page_token_secs: i64,
    /// The long-lived exchange answers without `expires_in` (seen in the wild, §3 "Long-lived").
    pub long_lived_expires_in_omitted: bool,
    /// Permissions declined in an earlier dialog run are not offered again, and stay declined,
    /// unless the dialog carries `auth_type=rerequest` (§2). `false`: every run asks afresh.
    pub remember_declines: bool,
    /// Once data access has lapsed, only a dialog run with `auth_type=reauthorize` restores it
    /// (§2, §3 "Data access"); `false`: any dialog run does.
    pub reauthorize_required_after_lapse: bool,
    /// Whether calls with a Page token fail too (publishing included) once the person's data
    /// access has lapsed. Unverified (§3 "Data access"): OpenPost and BrightBean publish with
    /// Page tokens and report no failure, so the default is `false`.
    pub data_access_lapse_blocks_page_tokens: bool,
    /// `/{business}/owned_pages` and `/client_pages` list every Page of the portfolio, also
    /// the ones the person did not tick (§4 "Portfolio Pages" [code postiz]); `false`: ticked only.
    pub business_edges_list_ungranted_pages: bool,
    /// What reads of an Instagram account behind an ungranted portfolio Page answer: 100
    /// (100/33 "Unsupported get request", default) or 10 ("(#10) … permission") (§4).
    pub ungranted_ig_read_code: i64,
    /// What the dialog's plain Cancel button (`action=cancel`) answers: `access_denied`
    /// (`error=access_denied…`, default) or `login_canceled` (`error_code=4201` without
    /// `error`). `action=cancel_login` always answers 4201 (§2 "Cancelled on login").
    pub dialog_cancel_kind: CancelKind,
    /// Instagram Login: lifetime of the code (1 h), of the short-lived token (1 h), of the
    /// long-lived token (60 days, `expires_in: 5184000`), and how old a long-lived token must
    /// be before `refresh_access_token` renews it (24 h) (§2, §3).
    pub ig_code_ttl_secs: i64,
    pub ig_short_lived_token_secs: i64,
    pub ig_long_lived_token_secs: i64,
    pub ig_refresh_min_age_secs: i64,
    /// The Instagram code exchange wraps its answer in `{"data":[…]}` ([believed]; §3 says
    /// accept both). Default: the flat object.
    pub ig_exchange_data_wrapper: bool,
    /// Containers download their media as Instagram does (`download.rs`): an unreachable URL
    /// fails the creation call (9004/2207052); a non-JPEG image, one over 8 MiB or, in the feed,
    /// outside 4:5 to 1.91:1, or a video that is not MP4/MOV ends the container in ERROR with the
    /// rule's subcode. Default true; the simulator's own tests turn it off for made-up URLs.
    pub fetch_media: bool,
    /// Forces the percentages of the usage headers; `null` computes them from recent calls.
    pub usage_percent: Option<u32>,
    /// A usage header is sent only once its percentage reaches this ("Rate-limit headers":
    /// only once enough calls were made); throttling errors always carry the BUC header.
    /// 0 sends both headers on every answer.
    pub usage_headers_from_percent: u32,
    /// Minutes put in the BUC header's `estimated_time_to_regain_access` of throttled answers
    /// (codes 4, 17, 32, 341, 613, 80000–80014) and of answers at 100 % usage; 0 otherwise.
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
    /// Parameters the "Creating containers" table says a kind must not send (a caption on a
    /// carousel item, `alt_text` on a video, `location_id` on a story, …) are refused with code
    /// 100 [believed]; `false` ignores them instead (not stored).
    pub refuse_misplaced_params: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            latency_ms: 0,
            container_processing_ms: 1500,
            container_final_status: FinalStatus::Finished,
            container_error_message: None,
            container_error_code: None,
            container_error_subcode: 2207052,
            fresh_object_invisible_ms: 1000,
            publish_status_lag_ms: 1000,
            container_limit_per_day: 400,
            stories_business_only: true,
            story_lifetime_secs: 86_400,
            captions_without_at: true,
            quota_total: 50,
            quota_duration_secs: 86_400,
            container_ttl_secs: 86_400,
            code_ttl_secs: 600,
            short_lived_token_secs: 5_400,
            long_lived_token_secs: 5_183_944,
            data_access_secs: 90 * 86_400,
            long_lived_page_tokens_never_expire: true,
            short_page_token_secs: 3_600,
            long_lived_expires_in_omitted: false,
            remember_declines: true,
            reauthorize_required_after_lapse: true,
            data_access_lapse_blocks_page_tokens: false,
            business_edges_list_ungranted_pages: true,
            ungranted_ig_read_code: 100,
            dialog_cancel_kind: CancelKind::AccessDenied,
            ig_code_ttl_secs: 3_600,
            ig_short_lived_token_secs: 3_600,
            ig_long_lived_token_secs: 5_184_000,
            ig_refresh_min_age_secs: 86_400,
            ig_exchange_data_wrapper: false,
            fetch_media: true,
            usage_percent: None,
            usage_headers_from_percent: 50,
            estimated_time_to_regain_access: 0,
            app_calls_per_user_per_hour: 200,
            buc_calls_per_hour: 200,
            caption_max_chars: 2200,
            caption_max_hashtags: 30,
            caption_max_mentions: 20,
            default_page_limit: 25,
            max_page_limit: 100,
            refuse_misplaced_params: true,
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

/// What the dialog's Cancel button answers (setting `dialog_cancel_kind`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CancelKind {
    /// `?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied`
    AccessDenied,
    /// `?error_code=4201&error_message=User+canceled+the+Dialog+flow`, no `error`
    LoginCanceled,
}

/// `at` plus `ms` milliseconds, saturating, so huge settings mean "forever".
pub(crate) fn plus_ms(at: DateTime<Utc>, ms: u64) -> DateTime<Utc> {
    i64::try_from(ms)
        .ok()
        .and_then(Duration::try_milliseconds)
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at` plus `secs` seconds (negative: minus), saturating like [`plus_ms`].
pub(crate) fn plus_secs(at: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    Duration::try_seconds(secs)
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(if secs < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// A registered Meta app.
#[derive(Debug, Clone)]
pub(crate) struct AppRecord {
    pub app_id: String,
    pub app_secret: String,
    pub redirect_uris: Vec<String>,
    pub require_appsecret_proof: bool,
    pub name: String,
    /// Classic (Facebook Login, `scope`) or Business (Facebook Login for Business, `config_id`).
    pub app_type: AppType,
    /// Business apps: login configurations, `config_id` → permissions granted together.
    pub login_configs: BTreeMap<String, Vec<String>>,
    /// Where `POST /_sim/apps/{id}/deauthorize` and `/data_deletion` post when no `url` is given.
    pub deauthorize_callback_url: Option<String>,
    pub data_deletion_url: Option<String>,
}

/// The app types of §1 that use the Facebook dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AppType {
    /// Facebook Login: `scope`, per-permission choices.
    #[default]
    Classic,
    /// Facebook Login for Business: `config_id` required, all configured permissions or none.
    Business,
}

/// An Instagram app (Business Login for Instagram): its own id, secret and redirect URIs.
#[derive(Debug, Clone)]
pub(crate) struct IgAppRecord {
    pub app_id: String,
    pub app_secret: String,
    pub redirect_uris: Vec<String>,
    pub name: String,
    pub deauthorize_callback_url: Option<String>,
    pub data_deletion_url: Option<String>,
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
    /// A Page with a location is a place: `location_id` may name it (§5 "Creating containers").
    pub location: Option<Location>,
    /// The person's role on the Page comes through Business Manager: Page→IG lookups, IG
    /// reads, containers and `content_publishing_limit` need `ads_read` or `ads_management` (§4).
    pub via_business_manager: bool,
    /// Page Publishing Authorization (or 2FA) pending: publishing fails (§4 "PPA/2FA").
    pub publishing_authorization_pending: bool,
}

impl Page {
    /// Publishing needs the MANAGE or CREATE_CONTENT task (§4).
    pub fn can_publish(&self) -> bool {
        self.tasks
            .iter()
            .any(|t| t == "MANAGE" || t == "CREATE_CONTENT")
    }
}

/// A Page's `location` (Graph's Location type); every part optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Business {
    pub name: String,
    /// Whether the person is an admin of the portfolio; non-admins get #200 on its Page edges.
    pub admin: bool,
}

/// Professional account types (§1 "Account type"). Graph has no confirmed field for it under
/// Facebook Login, so it shows only in what the control API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum AccountType {
    Business,
    Creator,
}

impl AccountType {
    pub fn name(self) -> &'static str {
        match self {
            AccountType::Business => "BUSINESS",
            AccountType::Creator => "CREATOR",
        }
    }
}

/// An Instagram Business/Creator account linked to a page (node type IGUser).
#[derive(Debug, Clone)]
pub(crate) struct IgUser {
    pub id: String,
    pub account_type: AccountType,
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
    /// Whether the account may post trial reels (`trial_params`); else 2207081.
    pub trial_reels_supported: bool,
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
    /// Instagram Login codes: the account that authorized (then `user_id` is empty) and scopes.
    pub ig_user_id: Option<String>,
    pub ig_scopes: Vec<String>,
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    ShortLivedUser,
    LongLivedUser,
    Page {
        page_id: String,
    },
    /// An Instagram Login token (graph.instagram.com only); `app_id` is the Instagram app.
    Instagram {
        ig_user_id: String,
        long_lived: bool,
    },
}

/// Why a token died before its time (control API `POST /_sim/users/{id}/tokens/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenDeath {
    /// 190/458: the person removed the app.
    AppRemoved,
    /// 190/459 with one of the checkpoint texts.
    Checkpoint(CheckpointText),
    /// 190/460: password changed or session reset.
    PasswordChanged,
    /// 190/464: unconfirmed user.
    Unconfirmed,
    /// 190/467: invalid token.
    Invalid,
    /// 190/492: the Page role behind a Page token is gone.
    PageRoleLost,
    /// 102: API session invalid.
    SessionInvalid,
}

/// The message of a 190/459 (§3 "Checkpoint / security hold").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckpointText {
    /// "You cannot access the app till you log in to www.instagram.com and follow the instructions given."
    #[default]
    Instagram,
    /// The same with www.facebook.com.
    Facebook,
    /// "Session key is malformed because of invalid user id"
    SessionKey,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub app_id: String,
    pub user_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub death: Option<TokenDeath>,
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
    /// Everything else the creation call asked for (location, tags, collaborators, …).
    pub extras: PostExtras,
    pub created_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
    pub processing_ms: u64,
    pub final_status: FinalStatus,
    pub error_message: String,
    pub error_code: i64,
    pub error_subcode: i64,
    pub published_media_id: Option<String>,
    /// When `media_publish` made the media (the status lags behind it).
    pub published_at: Option<DateTime<Utc>>,
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
    /// The status at `now`. A publish shows as PUBLISHED only after `publish_status_lag_ms`
    /// (FINISHED until then); ERROR is final, even after the 24 h expiry; then the expiry,
    /// then processing.
    pub fn status(&self, now: DateTime<Utc>, settings: &Settings) -> ContainerStatus {
        if let Some(published_at) = self.published_at {
            return if now >= plus_ms(published_at, settings.publish_status_lag_ms) {
                ContainerStatus::Published
            } else {
                ContainerStatus::Finished
            };
        }
        let processed = now >= self.ready_at;
        if processed && self.final_status == FinalStatus::Error {
            return ContainerStatus::Error;
        }
        if now >= plus_secs(self.created_at, settings.container_ttl_secs) {
            return ContainerStatus::Expired;
        }
        if !processed {
            return ContainerStatus::InProgress;
        }
        match self.final_status {
            FinalStatus::Finished => ContainerStatus::Finished,
            FinalStatus::Error => ContainerStatus::Error,
            FinalStatus::Expired => ContainerStatus::Expired,
        }
    }

    /// Whether GETs still answer 100/33 (`fresh_object_invisible_ms`).
    pub fn is_fresh(&self, now: DateTime<Utc>, settings: &Settings) -> bool {
        now < plus_ms(self.created_at, settings.fresh_object_invisible_ms)
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

/// One entry of `user_tags`: x and y are required on images, optional elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct UserTag {
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// The optional parts of a container (§5 "Creating containers"), as validated.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct PostExtras {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collaborators: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
    /// Milliseconds; left out when `cover_url` wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_name: Option<String>,
    /// `MANUAL` or `SS_PERFORMANCE`: a trial reel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trial_graduation_strategy: Option<String>,
    pub is_ai_generated: bool,
}

/// A comment on a published media object (`POST /{ig-media-id}/comments`).
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: String,
    pub media_id: String,
    /// The commenting account (the publishing account, through the API).
    pub ig_user_id: String,
    pub username: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// Order of creation, for comments made in the same instant.
    pub seq: u64,
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
    /// What the container asked for, kept on the post.
    pub extras: PostExtras,
    pub shortcode: String,
    pub permalink: String,
    pub media_url: Option<String>,
    pub published_at: DateTime<Utc>,
    pub children: Vec<String>,
    /// Set on carousel children, which are not posts of their own.
    pub parent_id: Option<String>,
}

impl Media {
    /// Whether GETs still answer 100/33 (`fresh_object_invisible_ms`).
    pub fn is_fresh(&self, now: DateTime<Utc>, settings: &Settings) -> bool {
        now < plus_ms(self.published_at, settings.fresh_object_invisible_ms)
    }

    pub fn is_story(&self) -> bool {
        self.media_product_type == "STORY"
    }
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

/// The rolling window of the container budget ("Containers": 400 per rolling 24 h).
pub(crate) const CONTAINER_WINDOW_SECS: i64 = 86_400;

/// How many calls `GET /_sim/calls` can report; older ones are forgotten.
pub(crate) const MAX_CALL_RECORDS: usize = 20_000;

#[derive(Debug, Default)]
pub(crate) struct State {
    pub settings: Settings,
    pub clock: SimClock,
    pub apps: BTreeMap<String, AppRecord>,
    pub ig_apps: BTreeMap<String, IgAppRecord>,
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
    pub comments: BTreeMap<String, Comment>,
    /// Containers made so far per exact media URL (hint `sim_error_times`).
    pub containers_per_url: HashMap<String, u32>,
    pub faults: Vec<Fault>,
    pub next_fault_id: u64,
    pub calls: VecDeque<CallRecord>,
    /// Every call received, including those `calls` has forgotten.
    pub calls_total: u64,
    /// Calls of the last hour per app and per business use case object (the usage headers).
    pub recent_calls: HashMap<UsageKey, Timeline>,
    /// When each IG account's top-level media were published (the publishing quota).
    pub published: HashMap<String, Timeline>,
    /// When each IG account's containers were made (the container budget).
    pub containers_made: HashMap<String, Timeline>,
    pub used_ids: HashSet<String>,
}

/// What the usage headers count calls of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum UsageKey {
    App(String),
    Business(String, &'static str),
}

/// How far back the usage headers look.
pub(crate) const USAGE_WINDOW: Duration = Duration::hours(1);

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
        self.published
            .get(ig_user_id)
            .map_or(0, |t| t.between(since, now).len() as u32)
    }

    /// The comments on one media object, in no particular order.
    pub fn comments_on<'a>(&'a self, media_id: &'a str) -> impl Iterator<Item = &'a Comment> + 'a {
        self.comments
            .values()
            .filter(move |c| c.media_id == media_id)
    }

    /// Creation times of the containers `ig_user_id` made in the 24 h ending at `now`,
    /// oldest first (the 400-container budget).
    pub fn containers_created_within_day(
        &self,
        ig_user_id: &str,
        now: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let since = now - Duration::seconds(CONTAINER_WINDOW_SECS);
        self.containers_made
            .get(ig_user_id)
            .map_or_else(Vec::new, |t| {
                t.between(since, DateTime::<Utc>::MAX_UTC).collect()
            })
    }

    pub fn add_container(&mut self, container: Container) {
        self.containers_made
            .entry(container.ig_user_id.clone())
            .or_default()
            .push(container.created_at);
        self.containers.insert(container.id.clone(), container);
    }

    pub fn add_media(&mut self, media: Media) {
        if media.parent_id.is_none() {
            self.published
                .entry(media.ig_user_id.clone())
                .or_default()
                .push(media.published_at);
        }
        self.media.insert(media.id.clone(), media);
    }

    /// Calls of the last hour counted under `key`, up to `now`.
    pub fn recent_calls(&self, key: &UsageKey, now: DateTime<Utc>) -> usize {
        self.recent_calls
            .get(key)
            .map_or(0, |t| t.between(now - USAGE_WINDOW, now).len())
    }

    pub fn record_call(&mut self, call: CallRecord) {
        if self.calls.len() >= MAX_CALL_RECORDS {
            self.calls.pop_front();
        }
        let keys = [
            call.app_id.clone().map(UsageKey::App),
            call.buc
                .clone()
                .map(|(id, kind)| UsageKey::Business(id, kind)),
        ];
        for key in keys.into_iter().flatten() {
            let times = self.recent_calls.entry(key).or_default();
            times.forget_until(call.at - USAGE_WINDOW);
            times.push(call.at);
        }
        self.calls.push_back(call);
        self.calls_total += 1;
    }
}
