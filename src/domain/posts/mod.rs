//! Posts: what customers publish, the states a post goes through, and what the publisher records.
//! A request becomes a [`PostDraft`] at the edge (parsed once); [`PostService`] queues it.

mod draft;
mod options;
mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use draft::{check_idempotency_key, media_url, PostDraft, MAX_SCHEDULE_AHEAD_DAYS};
pub use service::{Created, ListQuery, PostService, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use store::{Claim, ClaimedUpdate, CreatedPost, MediaUse, PostFilter, PostPage, PostStore};

use super::tenant::Tenant;
pub use crate::dto::{MediaItem, MediaType, PostKind, PostOptions, PostStatus};
use crate::dto::{PostErrorView, PostView, StepView};

pub const COLLECTION: &str = "instagram_posts";

/// A post as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: String,
    pub tenant: Tenant,
    pub account_id: String,
    pub instagram_user_id: String,
    pub instagram_username: String,
    pub kind: PostKind,
    pub media: Vec<MediaItem>,
    pub caption: String,
    pub options: PostOptions,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub idempotency_key: String,
    /// SHA-256 of the request that created the post, to refuse a reused key with another body.
    pub request_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub state: PostState,
    /// Bumped on every claim; completion writes must carry the epoch they claimed (fencing).
    pub lease_epoch: u64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

/// Everything about a post that changes while it is published.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PostState {
    pub status: PostStatus,
    /// When the publisher should look at the post next.
    pub run_at: DateTime<Utc>,
    pub progress: Progress,
    /// Retryable failures so far.
    pub attempts: u32,
    pub error: Option<PostError>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Every step's result, oldest first.
    pub steps: Vec<Step>,
}

/// The recovery points of publishing (docs/security.md R2): each is saved before the next step, so a
/// worker that dies anywhere leaves enough for the next one to continue without publishing twice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// One container per carousel item, in order.
    pub item_containers: Vec<String>,
    /// Every carousel item container reported FINISHED.
    pub items_ready: bool,
    /// The container to publish: the single item's, or the carousel's.
    pub container_id: Option<String>,
    /// The container to publish reported FINISHED.
    pub container_ready: bool,
    /// When the first container was made: processing that takes too long fails the post.
    pub processing_since: Option<DateTime<Utc>>,
    /// Status checks so far, for spacing them out.
    pub polls: u32,
    /// Set just before `media_publish` is called: from here on the container must be asked
    /// before publishing again, because the call may have published without telling us.
    pub publish_requested_at: Option<DateTime<Utc>>,
    pub media_id: Option<String>,
    pub permalink: Option<String>,
    /// Times the containers were made again after Instagram lost or failed them (bounded).
    pub remakes: u32,
    /// Reads of our own fresh container that answered 100/33 in a row (Meta's bug: the object
    /// exists, reads fail for a while).
    pub unseen_reads: u32,
    /// Times the same container was published again after an unclear publish turned out not to
    /// have happened (bounded).
    pub republishes: u32,
    /// The last publish answered 24/2207008: the same container may be published again shortly.
    pub retry_same_container: bool,
    /// Reads of the container after an unclear publish (its status may lag behind the publish).
    pub reconcile_reads: u32,
    /// The first comment, once posted (or found posted).
    pub comment_id: Option<String>,
}

impl Progress {
    /// Forgets the containers (expired, lost or failed) so they are made again; the counters that
    /// bound how often that happens stay.
    pub fn reset_containers(&mut self) {
        *self = Progress {
            remakes: self.remakes + 1,
            ..Progress::default()
        };
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostError {
    pub message: String,
    pub advice: String,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub step: String,
    pub detail: String,
}

/// A validated post, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub id: String,
    pub tenant: Tenant,
    pub account_id: String,
    pub instagram_user_id: String,
    pub instagram_username: String,
    pub kind: PostKind,
    pub media: Vec<MediaItem>,
    pub caption: String,
    pub options: PostOptions,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub idempotency_key: String,
    pub request_hash: String,
    pub now: DateTime<Utc>,
}

impl NewPost {
    pub fn into_post(self) -> Post {
        let status = match self.scheduled_at {
            Some(at) if at > self.now => PostStatus::Scheduled,
            _ => PostStatus::Queued,
        };
        let detail = match status {
            PostStatus::Scheduled => "Scheduled.".to_string(),
            _ => "Queued to publish now.".to_string(),
        };
        Post {
            state: PostState {
                status,
                run_at: self.scheduled_at.unwrap_or(self.now).max(self.now),
                updated_at: self.now,
                steps: vec![Step {
                    at: self.now,
                    step: "created".into(),
                    detail,
                }],
                ..PostState::default()
            },
            id: self.id,
            created_by: self.tenant.user_id().to_string(),
            tenant: self.tenant,
            account_id: self.account_id,
            instagram_user_id: self.instagram_user_id,
            instagram_username: self.instagram_username,
            kind: self.kind,
            media: self.media,
            caption: self.caption,
            options: self.options,
            scheduled_at: self.scheduled_at,
            idempotency_key: self.idempotency_key,
            request_hash: self.request_hash,
            created_at: self.now,
            lease_epoch: 0,
            lease_owner: None,
            lease_until: None,
        }
    }
}

/// A status change a customer may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Scheduled or queued -> cancelled.
    Cancel,
    /// Failed -> queued, now, with its attempts reset and new containers (a container that failed
    /// processing is dead; one that may have been published is asked first).
    Retry,
}

impl Transition {
    pub fn allowed_from(self) -> &'static [PostStatus] {
        match self {
            Transition::Cancel => &[PostStatus::Scheduled, PostStatus::Queued],
            Transition::Retry => &[PostStatus::Failed],
        }
    }

    /// The state after the transition.
    pub fn apply(self, state: &PostState, now: DateTime<Utc>) -> PostState {
        let mut next = state.clone();
        next.updated_at = now;
        match self {
            Transition::Cancel => {
                next.status = PostStatus::Cancelled;
                next.steps.push(Step {
                    at: now,
                    step: "cancelled".into(),
                    detail: "Cancelled by the customer.".into(),
                });
            }
            Transition::Retry => {
                next.status = PostStatus::Queued;
                next.run_at = now;
                next.attempts = 0;
                next.error = None;
                // New containers, unless a publish may have happened: then the old container
                // is asked first, so that a retry never publishes twice.
                if next.progress.publish_requested_at.is_none() {
                    next.progress = Progress::default();
                }
                next.steps.push(Step {
                    at: now,
                    step: "retry".into(),
                    detail: "Queued again by the customer.".into(),
                });
            }
        }
        next
    }
}

impl Post {
    /// Whether the publisher should take the post now: pending, due, and not leased by a live
    /// worker. Both stores' claim queries select exactly these posts.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.state.status.is_pending()
            && self.state.run_at <= now
            && self.lease_until.is_none_or(|until| until < now)
    }

    pub fn view(&self) -> PostView {
        let s = &self.state;
        PostView {
            id: self.id.clone(),
            account_id: self.account_id.clone(),
            instagram_username: self.instagram_username.clone(),
            kind: self.kind,
            media: self.media.clone(),
            caption: self.caption.clone(),
            options: self.options.clone(),
            status: s.status,
            scheduled_at: self.scheduled_at,
            published_at: s.published_at,
            permalink: s.progress.permalink.clone(),
            instagram_media_id: s.progress.media_id.clone(),
            first_comment_id: s.progress.comment_id.clone(),
            error: s.error.as_ref().map(|e| PostErrorView {
                message: e.message.clone(),
                advice: e.advice.clone(),
                code: e.code,
                subcode: e.subcode,
            }),
            next_attempt_at: s.status.is_pending().then_some(s.run_at),
            attempts: s.attempts,
            steps: s
                .steps
                .iter()
                .map(|st| StepView {
                    at: st.at,
                    step: st.step.clone(),
                    detail: st.detail.clone(),
                })
                .collect(),
            created_at: self.created_at,
            updated_at: s.updated_at,
        }
    }
}
