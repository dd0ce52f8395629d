//! The port posts need from storage (`instagram_posts`), and the rules both stores apply.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewPost, Post, PostState, PostStatus};
use crate::domain::{store::StoreResult, tenant::Tenant};

/// A post a worker has claimed, with the epoch that fences its writes.
#[derive(Debug, Clone)]
pub struct Claim {
    pub post: Post,
    pub owner: String,
    pub epoch: u64,
}

/// What a worker writes back after a step. `lease_until: None` releases the post.
#[derive(Debug, Clone)]
pub struct ClaimedUpdate {
    pub state: PostState,
    pub lease_until: Option<DateTime<Utc>>,
}

/// Filters for listing posts.
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    pub statuses: Vec<PostStatus>,
    pub account_id: Option<String>,
    /// Only posts with an id below this (ids grow with time): the cursor of the previous page.
    pub before_id: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct PostPage {
    pub posts: Vec<Post>,
    pub next_cursor: Option<String>,
}

impl PostFilter {
    /// How many posts a store reads for one page: one more than the page, which tells whether
    /// another page follows.
    pub fn fetch_limit(&self) -> u32 {
        self.limit + 1
    }
}

impl PostPage {
    /// The page out of [`PostFilter::fetch_limit`] posts read newest first: the cursor of the
    /// next page is the last post shown, when more were found.
    pub fn from_fetched(mut posts: Vec<Post>, filter: &PostFilter) -> Self {
        let limit = filter.limit as usize;
        let next_cursor = (posts.len() > limit).then(|| {
            posts.truncate(limit);
            posts.last().map(|p| p.id.clone())
        });
        Self {
            posts,
            next_cursor: next_cursor.flatten(),
        }
    }
}

/// The result of [`PostStore::create`].
#[derive(Debug, Clone)]
pub enum CreatedPost {
    New(Post),
    /// The idempotency key was used before; this is the post it produced.
    Existing(Post),
}

/// `instagram_posts`: what customers publish, and the publisher's leases on it.
/// How a library file is used by a tenant's posts: what decides whether it may be deleted and how
/// long its prepared copies are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaUse {
    /// No post uses it.
    Unused,
    /// A post still to be published uses it: Instagram will download it.
    Pending,
    /// Every post that uses it is done (published, failed or cancelled); the last one at this
    /// time.
    Done(DateTime<Utc>),
}

impl MediaUse {
    /// Folds one post's use into what is known: pending wins, then the latest time.
    pub fn and(self, other: MediaUse) -> MediaUse {
        match (self, other) {
            (MediaUse::Pending, _) | (_, MediaUse::Pending) => MediaUse::Pending,
            (MediaUse::Done(a), MediaUse::Done(b)) => MediaUse::Done(a.max(b)),
            (MediaUse::Unused, x) | (x, MediaUse::Unused) => x,
        }
    }

    /// One post's use: pending until it is done, then done when it was published, or else
    /// when it was last changed.
    pub fn of(state: &super::PostState) -> MediaUse {
        match state.status.is_pending() {
            true => MediaUse::Pending,
            false => MediaUse::Done(state.published_at.unwrap_or(state.updated_at)),
        }
    }
}

#[async_trait]
pub trait PostStore: Send + Sync {
    /// Inserts the post unless the tenant already used its idempotency key; then returns the post
    /// holding the key. Twenty racing calls with one key leave one post.
    async fn create(&self, post: NewPost) -> StoreResult<CreatedPost>;
    async fn get(&self, tenant: &Tenant, id: &str) -> StoreResult<Option<Post>>;
    /// The post the tenant created with this idempotency key, if any.
    async fn get_by_idempotency_key(&self, tenant: &Tenant, key: &str)
        -> StoreResult<Option<Post>>;
    /// Newest first, one page ([`PostPage::from_fetched`]).
    async fn list(&self, tenant: &Tenant, filter: &PostFilter) -> StoreResult<PostPage>;
    /// Replaces the state of a post the tenant owns, only if its status and lease epoch are still
    /// what the caller read (optimistic concurrency against the publisher).
    async fn replace_state(
        &self,
        tenant: &Tenant,
        id: &str,
        expect_status: PostStatus,
        expect_epoch: u64,
        state: &PostState,
    ) -> StoreResult<bool>;
    /// Claims the next post that [`Post::is_due`], earliest `run_at` first. Atomic: two workers
    /// never hold the same post; the claim bumps the epoch and sets the status to publishing.
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Claim>>;
    /// Saves a claimed post's state; `StoreError::Fenced` when another claim has superseded it.
    async fn save_claimed(&self, claim: &Claim, update: &ClaimedUpdate) -> StoreResult<()>;
    /// The earliest `run_at` of a pending, unleased post: how long the publisher may sleep.
    async fn next_due_at(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// Posts published to one Instagram account since `since` (our own rolling quota counter).
    async fn published_count_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Records a container made for the Instagram account (Meta allows 400 a rolling day, every
    /// re-upload included). Records older than a day may be dropped.
    async fn record_container(&self, instagram_user_id: &str, at: DateTime<Utc>)
        -> StoreResult<()>;
    /// How the tenant's posts use the library file `media_id` (as an item or a reel's cover).
    async fn media_use(&self, tenant: &Tenant, media_id: &str) -> StoreResult<MediaUse>;
    /// When the account's containers since `since` were made, oldest first.
    async fn containers_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<DateTime<Utc>>>;
}
