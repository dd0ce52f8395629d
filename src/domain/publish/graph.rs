//! The port the publisher needs from Meta: containers, their status, `media_publish`, and what an
//! account has published (docs/graph-api.md §5). The adapter (`crate::graph::GraphClient`)
//! speaks the wire format; these types are the domain's own.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    domain::{accounts::LoginKind, graph::GraphError},
    dto::{TrialReel, UserTag},
};

/// What one container is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSpec {
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    /// REELS, STORIES, CAROUSEL or VIDEO (carousel video items); absent for feed images.
    pub media_type: Option<&'static str>,
    pub is_carousel_item: bool,
    pub children: Vec<String>,
    pub caption: Option<String>,
    pub alt_text: Option<String>,
    /// People tagged, with their position where the kind has one.
    pub user_tags: Vec<UserTag>,
    /// Usernames without `@` (feed and reels, never on carousel items).
    pub collaborators: Vec<String>,
    /// A Page id with a location.
    pub location_id: Option<String>,
    pub is_ai_generated: bool,
    /// Reels only.
    pub share_to_feed: Option<bool>,
    pub cover_url: Option<String>,
    pub thumb_offset_ms: Option<u64>,
    pub trial_reel: Option<TrialReel>,
}

/// A container's processing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    /// IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED.
    pub status_code: String,
    /// The error text when ERROR.
    pub status: Option<String>,
}

/// One of an account's media, as the media lists give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentMedia {
    pub id: String,
    pub caption: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    /// FEED, REELS or STORY.
    pub product_type: Option<String>,
}

/// Where an account's published media are listed: `/media` leaves stories out, `/stories` has
/// them for 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEdge {
    Media,
    Stories,
}

/// A comment on a media, as the comments edge lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub text: String,
    /// Who wrote it.
    pub username: Option<String>,
}

/// A place a post can be tagged with: a Facebook Page with a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPlace {
    pub id: String,
    pub name: String,
    pub street: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

/// `content_publishing_limit`: posts published in the last 24 hours, and the allowance when
/// Graph says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishingLimit {
    pub used: u32,
    pub total: Option<u32>,
}

/// Where an account's calls go: graph.facebook.com for Facebook Login, graph.instagram.com for
/// Instagram Login (docs/graph-api.md §1). Each host knows only its own tokens.
#[derive(Clone)]
pub struct PublishingHosts {
    pub facebook: Arc<dyn PublishingGraph>,
    pub instagram: Arc<dyn PublishingGraph>,
}

impl PublishingHosts {
    pub fn for_login(&self, login: LoginKind) -> &Arc<dyn PublishingGraph> {
        match login {
            LoginKind::Facebook => &self.facebook,
            LoginKind::Instagram => &self.instagram,
        }
    }
}

#[async_trait]
pub trait PublishingGraph: Send + Sync {
    /// Creates a media container; returns its id.
    async fn create_container(
        &self,
        token: &str,
        ig_user_id: &str,
        spec: &ContainerSpec,
    ) -> Result<String, GraphError>;
    async fn container_status(
        &self,
        token: &str,
        container_id: &str,
    ) -> Result<ContainerStatus, GraphError>;
    /// Publishes a FINISHED container; returns the media id.
    async fn publish(
        &self,
        token: &str,
        ig_user_id: &str,
        container_id: &str,
    ) -> Result<String, GraphError>;
    async fn permalink(&self, token: &str, media_id: &str) -> Result<Option<String>, GraphError>;
    /// The account's newest media on `edge` (to find what an unanswered publish created).
    async fn recent_media(
        &self,
        token: &str,
        ig_user_id: &str,
        edge: MediaEdge,
    ) -> Result<Vec<RecentMedia>, GraphError>;
    async fn publishing_limit(
        &self,
        token: &str,
        ig_user_id: &str,
    ) -> Result<PublishingLimit, GraphError>;
    /// The media's newest comments (to find our own before commenting again).
    async fn comments(&self, token: &str, media_id: &str) -> Result<Vec<Comment>, GraphError>;
    /// Comments on a media as the account; returns the comment's id.
    async fn comment(
        &self,
        token: &str,
        media_id: &str,
        message: &str,
    ) -> Result<String, GraphError>;
    /// Pages with a location whose name matches `query`.
    async fn search_places(&self, token: &str, query: &str) -> Result<Vec<FoundPlace>, GraphError>;
    /// How much of its rate limits the token's account has used (percent), as the usage headers
    /// of its last answers said within the last minute; `None` when Graph has not said.
    fn usage(&self, token: &str) -> Option<u32>;
}
