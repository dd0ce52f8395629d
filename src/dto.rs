//! The shapes the page and the JSON API share. Compiled into both the server and the browser build,
//! so they carry no secrets and nothing server-only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A connected Instagram account as a customer sees it. Never carries a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    #[serde(rename = "_id")]
    pub id: String,
    pub instagram_user_id: String,
    pub instagram_username: String,
    pub instagram_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub facebook_page_id: String,
    pub facebook_page_name: String,
    /// How the account was connected: `facebook` (Facebook Login, through its Page) or
    /// `instagram` (Instagram Login, no Page; its login is renewed automatically).
    #[serde(default)]
    pub login: String,
    pub is_active: bool,
    pub is_authenticated: bool,
    /// True when the account is kept but cannot publish until the customer connects it again.
    pub needs_reconnect: bool,
    /// `false` once Instagram refused a story for the account (stories need a Business account).
    #[serde(default = "yes")]
    pub can_post_stories: bool,
    pub status_reason: Option<String>,
    /// `active`, `expiring_soon` (data access ends within 14 days), `needs_reconnect` or
    /// `disconnected`.
    #[serde(default)]
    pub state: String,
    /// What to do about the state, when something must be done.
    #[serde(default)]
    pub fix: Option<String>,
    /// Publishing with the saved login works until then, as far as Meta said (posts scheduled
    /// later are warned about).
    #[serde(default)]
    pub publishable_until: Option<DateTime<Utc>>,
    /// `true` when publishing uses the Page's own token, which outlives the 60-day user login.
    #[serde(default)]
    pub has_page_token: bool,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn yes() -> bool {
    true
}

/// Who is signed in to the page, if anyone, and what the page should offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub signed_in: Option<SignedInUser>,
    pub demo: bool,
    /// `None` when connecting can work; otherwise why the Connect button is disabled.
    pub connect_unavailable: Option<String>,
    /// Whether Instagram Login is offered as a second way to connect.
    #[serde(default)]
    pub instagram_login: bool,
    /// A refusal the server kept for this browser after a plain form post (no JavaScript).
    #[serde(default)]
    pub flash: Option<Flash>,
}

/// A server function's refusal, kept in the session for the page a plain form post returns to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    /// The server function's path, so the page shows it where that form is.
    pub action: String,
    pub field: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub customer_id: String,
    pub user_id: String,
}

/// How a connect flow ended, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectOutcomeView {
    pub ok: bool,
    pub message: String,
    /// What to do next when it failed.
    pub hint: Option<String>,
    pub usernames: Vec<String>,
}

/// Which kind of post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    Image,
    Carousel,
    Reel,
    Story,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Image,
    Video,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Scheduled,
    #[default]
    Queued,
    Publishing,
    Published,
    Failed,
    Cancelled,
}

impl PostStatus {
    pub const ALL: [PostStatus; 6] = [
        PostStatus::Scheduled,
        PostStatus::Queued,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::Failed,
        PostStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Scheduled => "scheduled",
            PostStatus::Queued => "queued",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::Failed => "failed",
            PostStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The statuses the publisher still has work to do on (every store's claim filters on them).
    pub const PENDING: [PostStatus; 3] = [
        PostStatus::Scheduled,
        PostStatus::Queued,
        PostStatus::Publishing,
    ];

    /// Whether the publisher still has work to do on it.
    pub fn is_pending(self) -> bool {
        Self::PENDING.contains(&self)
    }
}

/// One image or video of a post: a public https URL (Instagram fetches it itself), or a file of
/// the media library (`media_id`), which the service prepares and serves to Instagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaItem {
    /// Empty in a request that gives `media_id`; the post then keeps the prepared file's URL.
    #[serde(default)]
    pub url: String,
    /// A file of the tenant's media library, in place of `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// How a library photo takes the post's shape: `crop` (default, around `focal_x`, `focal_y`,
    /// 0 to 1 from the top-left) or `pad` (white bars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_x: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_y: Option<f32>,
    pub media_type: MediaType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// People tagged in it: on images and stories, not on carousel videos.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<UserTag>,
}

/// Someone tagged in an image or video. On an image the tag sits at `x`, `y` (0 to 1 from the
/// top-left corner; both required); a reel's tags have no position; a story's may.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserTag {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// A place a post is tagged with: a Facebook Page with a location (found with `GET /places`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub id: String,
    /// For showing it; Instagram needs only the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A place found by a search, to tag a post with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceView {
    /// The Facebook Page's id: a post's `location.id`.
    pub id: String,
    pub name: String,
    /// Street, city and country, as far as the Page says.
    pub address: Option<String>,
}

/// How a trial reel graduates to the account's followers (Graph's `graduation_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialReel {
    /// The account decides in Instagram.
    Manual,
    /// Shown to followers when it performs well with non-followers.
    Performance,
}

/// What a post carries besides its media and caption, where Instagram allows it
/// (docs/graph-api.md §5): the same fields in a request and in a post.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PostOptions {
    /// Up to 3 accounts invited as collaborators (feed posts and reels; usernames without `@`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collaborators: Vec<String>,
    /// Feed posts and reels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    /// The "AI info" label (feed posts and reels).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_ai_generated: bool,
    /// Posted as a comment once the post is live (feed posts and reels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_comment: Option<String>,
    /// Reels: also show it in the feed grid (Instagram's default: yes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_to_feed: Option<bool>,
    /// Reels: a JPEG cover image; wins over `thumb_offset_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
    /// Reels: a photo of the media library as the cover (the service then fills `cover_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_media_id: Option<String>,
    /// Reels: the frame used as cover, in milliseconds from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_offset_ms: Option<u64>,
    /// Reels: shown to non-followers first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trial_reel: Option<TrialReel>,
}

/// What a customer asks to publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostRequest {
    pub account_id: String,
    pub kind: PostKind,
    pub media: Vec<MediaItem>,
    #[serde(default)]
    pub caption: String,
    /// When to publish; absent means now.
    #[serde(default)]
    pub scheduled_at: Option<DateTime<Utc>>,
    // The post's options, listed one by one (serde cannot refuse unknown fields next to a
    // flattened struct): see [`PostOptions`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collaborators: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_ai_generated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_to_feed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_offset_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_reel: Option<TrialReel>,
}

impl PostRequest {
    /// A request for `media` with no options.
    pub fn new(account_id: String, kind: PostKind, media: Vec<MediaItem>) -> Self {
        Self {
            account_id,
            kind,
            media,
            caption: String::new(),
            scheduled_at: None,
            collaborators: vec![],
            location: None,
            is_ai_generated: false,
            first_comment: None,
            share_to_feed: None,
            cover_url: None,
            cover_media_id: None,
            thumb_offset_ms: None,
            trial_reel: None,
        }
    }

    /// The request with these options.
    pub fn with_options(self, o: PostOptions) -> Self {
        Self {
            collaborators: o.collaborators,
            location: o.location,
            is_ai_generated: o.is_ai_generated,
            first_comment: o.first_comment,
            share_to_feed: o.share_to_feed,
            cover_url: o.cover_url,
            cover_media_id: o.cover_media_id,
            thumb_offset_ms: o.thumb_offset_ms,
            trial_reel: o.trial_reel,
            ..self
        }
    }

    /// The options, as a post keeps them.
    pub fn options(&self) -> PostOptions {
        PostOptions {
            collaborators: self.collaborators.clone(),
            location: self.location.clone(),
            is_ai_generated: self.is_ai_generated,
            first_comment: self.first_comment.clone(),
            share_to_feed: self.share_to_feed,
            cover_url: self.cover_url.clone(),
            cover_media_id: self.cover_media_id.clone(),
            thumb_offset_ms: self.thumb_offset_ms,
            trial_reel: self.trial_reel,
        }
    }
}

/// A post as a customer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostView {
    #[serde(rename = "_id")]
    pub id: String,
    pub account_id: String,
    pub instagram_username: String,
    pub kind: PostKind,
    pub media: Vec<MediaItem>,
    pub caption: String,
    #[serde(flatten)]
    pub options: PostOptions,
    pub status: PostStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub permalink: Option<String>,
    pub instagram_media_id: Option<String>,
    /// The first comment's id once it is posted.
    pub first_comment_id: Option<String>,
    pub error: Option<PostErrorView>,
    /// When the publisher will next look at it, while it is pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub steps: Vec<StepView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostErrorView {
    pub message: String,
    /// What the customer can do about it.
    pub advice: String,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
}

/// One recorded step of publishing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub at: DateTime<Utc>,
    pub step: String,
    pub detail: String,
}

/// One page of posts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostPageView {
    pub posts: Vec<PostView>,
    pub next_cursor: Option<String>,
}

/// Counts Instagram would count: caption characters, #hashtags and @mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaptionCounts {
    pub characters: usize,
    pub hashtags: usize,
    pub mentions: usize,
}

pub const MAX_CAPTION_CHARS: usize = 2200;
pub const MAX_HASHTAGS: usize = 30;
pub const MAX_MENTIONS: usize = 20;
pub const MAX_ALT_TEXT_CHARS: usize = 1000;
pub const MIN_CAROUSEL_ITEMS: usize = 2;
pub const MAX_CAROUSEL_ITEMS: usize = 10;
/// Collaborators per post (the media reference allows 3; the collaborators edge says 5).
pub const MAX_COLLABORATORS: usize = 3;
/// People tagged in one image or video.
pub const MAX_USER_TAGS: usize = 20;
pub const MAX_USERNAME_LEN: usize = 30;

/// An Instagram username as Graph takes it: without a leading `@` (Graph refuses it:
/// 110/2207018), 1 to 30 letters, digits, `.` and `_`. `None` when it cannot be one. Shared by
/// the composer's inline checks and the server's.
pub fn instagram_username(raw: &str) -> Option<&str> {
    let name = raw.trim().trim_start_matches('@');
    let valid = !name.is_empty()
        && name.len() <= MAX_USERNAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    valid.then_some(name)
}

impl CaptionCounts {
    /// Counts the way Instagram does: characters are Unicode scalar values; a hashtag is `#` followed
    /// by a letter, digit or `_` run that is not part of a longer word; the same for `@` mentions
    /// (letters, digits, `_` and `.`). Shared by the live counters on the page and the server's check.
    pub fn of(caption: &str) -> Self {
        let chars: Vec<char> = caption.chars().collect();
        let mut counts = Self {
            characters: chars.len(),
            ..Self::default()
        };
        for (i, &c) in chars.iter().enumerate() {
            let starts_word = i == 0 || !is_tag_char(chars[i - 1], true);
            let next = chars.get(i + 1).copied();
            match c {
                '#' if starts_word && next.is_some_and(|n| is_tag_char(n, false)) => {
                    counts.hashtags += 1
                }
                '@' if starts_word && next.is_some_and(|n| is_tag_char(n, true) && n != '.') => {
                    counts.mentions += 1
                }
                _ => {}
            }
        }
        counts
    }
}

fn is_tag_char(c: char, allow_dot: bool) -> bool {
    c.is_alphanumeric() || c == '_' || (allow_dot && c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hashtags_and_mentions_like_instagram() {
        let c = CaptionCounts::of(
            "Sunny day #beach #sun_set @best.friend email me@example.com ## # #1 x#y",
        );
        assert_eq!(
            c.hashtags, 3,
            "#beach, #sun_set and #1; not `##`, `#` alone or x#y"
        );
        assert_eq!(c.mentions, 1, "@best.friend; not the e-mail address");
    }

    #[test]
    fn characters_are_unicode_scalars() {
        assert_eq!(CaptionCounts::of("héllo 👋").characters, 7);
        assert_eq!(CaptionCounts::of("").characters, 0);
    }

    #[test]
    fn statuses_round_trip() {
        for s in PostStatus::ALL {
            assert_eq!(PostStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PostStatus::parse("done"), None);
    }
}

/// A file of the media library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaView {
    #[serde(rename = "_id")]
    pub id: String,
    /// `image` or `video`.
    pub kind: String,
    /// What the bytes are: `jpeg`, `png`, `gif`, `webp`, `mp4` or `mov`.
    pub format: String,
    pub file_name: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    pub alt_text: Option<String>,
    pub created_at: DateTime<Utc>,
    /// A small JPEG for the grid (photos), at a signed URL valid for some hours.
    pub thumbnail_url: Option<String>,
}

/// A resumable upload: send the bytes from `offset` in chunks of at most `chunk_size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadView {
    pub id: String,
    pub file_name: String,
    pub size: u64,
    pub offset: u64,
    pub chunk_size: u64,
    pub expires_at: DateTime<Utc>,
}
