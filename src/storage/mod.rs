//! The storage port: one trait per resource, two adapters behind them (MongoDB in production, an
//! embedded SQLite store by default), one contract suite (tests/spec/storage_contract.rs) for both.
//!
//! Every method that touches tenant data takes the [`Tenant`] and puts it in its filter: there is no
//! way to read or change a credential or a post by id alone.

pub mod embedded;
pub mod mongo;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    connect::{ConnectOutcome, OAuthState},
    credentials::{ConnectedAccount, Credential},
    posts::{Claim, ClaimedUpdate, NewPost, Post, PostFilter, PostPage, PostState, PostStatus},
    tenant::Tenant,
};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A uniqueness rule refused the write; the message says which.
    #[error("{0}")]
    Conflict(String),
    /// The write was fenced off: another worker owns the record now.
    #[error("the record is no longer ours to change")]
    Fenced,
    /// The database could not be reached or refused the operation.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be read back.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// The conflict both stores report when another user of the customer holds the account.
pub(crate) fn already_connected(username: &str) -> String {
    format!(
        "@{username} is already connected by another user of your organization. \
         Ask them to disconnect it first, then connect it again."
    )
}

/// What reconnecting an account did to its one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted {
    Created(Credential),
    Updated(Credential),
}

impl Upserted {
    pub fn credential(&self) -> &Credential {
        match self {
            Upserted::Created(c) | Upserted::Updated(c) => c,
        }
    }
}

/// `instagram_credentials`: one document per customer and Instagram account.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Creates the account's document or updates it in place (reconnect). Another user of the same
    /// customer holding the account active is a [`StorageError::Conflict`]; two racing calls for the
    /// same account leave one document.
    async fn upsert(&self, account: ConnectedAccount) -> Result<Upserted>;
    /// The tenant's connected (active) accounts, oldest first.
    async fn list(&self, tenant: &Tenant) -> Result<Vec<Credential>>;
    /// One of the tenant's accounts, active or not.
    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<Credential>>;
    /// Stops using the account and erases its token. `false` when the tenant has no such active account.
    async fn disconnect(&self, tenant: &Tenant, id: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Records that Graph refused the token (error 190): the account needs reconnecting.
    async fn mark_needs_reconnect(
        &self,
        tenant: &Tenant,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

/// `oauth_states`: single-use, expiring OAuth `state` records (security.md O1).
#[async_trait]
pub trait OAuthStateStore: Send + Sync {
    async fn insert(&self, state: &OAuthState) -> Result<()>;
    /// Atomically marks the state used and returns it, if it exists, is unused and unexpired.
    async fn consume(&self, state_hash: &str, now: DateTime<Utc>) -> Result<Option<OAuthState>>;
    /// Keeps what a finished flow produced, for the page that started it.
    async fn save_outcome(
        &self,
        tenant: &Tenant,
        flow_id: &str,
        outcome: &ConnectOutcome,
    ) -> Result<()>;
    async fn outcome(&self, tenant: &Tenant, flow_id: &str) -> Result<Option<ConnectOutcome>>;
    /// Deletes states that expired before `before`; the consume query never relies on this.
    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// A browser session as the store keeps it; `id_hash` is the SHA-256 of the cookie's id, so a
/// leaked database holds no usable session ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub data: String,
    pub expires_at: DateTime<Utc>,
}

/// `sessions`: the browser sessions behind tower-sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a new session; `false` when the id is taken.
    async fn create(&self, record: &SessionRecord) -> Result<bool>;
    async fn save(&self, record: &SessionRecord) -> Result<()>;
    /// The session, unless it has expired.
    async fn load(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>>;
    async fn delete(&self, id_hash: &str) -> Result<()>;
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64>;
}

/// `instagram_posts`: what customers publish, and the publisher's leases on it.
#[async_trait]
pub trait PostStore: Send + Sync {
    /// Inserts the post unless the tenant already used its idempotency key; then returns the post
    /// holding the key. Twenty racing calls with one key leave one post.
    async fn create(&self, post: NewPost) -> Result<CreatedPost>;
    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<Post>>;
    /// The post the tenant created with this idempotency key, if any.
    async fn get_by_idempotency_key(&self, tenant: &Tenant, key: &str) -> Result<Option<Post>>;
    /// Newest first.
    async fn list(&self, tenant: &Tenant, filter: &PostFilter) -> Result<PostPage>;
    /// Replaces the state of a post the tenant owns, only if its status and lease epoch are still
    /// what the caller read (optimistic concurrency against the publisher).
    async fn replace_state(
        &self,
        tenant: &Tenant,
        id: &str,
        expect_status: PostStatus,
        expect_epoch: u64,
        state: &PostState,
    ) -> Result<bool>;
    /// Claims the next due post: scheduled, queued or publishing, `run_at <= now`, and not leased by
    /// a live worker. Atomic: two workers never hold the same post; the claim bumps the epoch.
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Claim>>;
    /// Saves a claimed post's state; [`StorageError::Fenced`] when another claim has superseded it.
    async fn save_claimed(&self, claim: &Claim, update: &ClaimedUpdate) -> Result<()>;
    /// The earliest `run_at` of a pending, unleased post: how long the publisher may sleep.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>>;
    /// Posts published to one Instagram account since `since` (our own rolling quota counter).
    async fn published_count_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64>;
}

/// The result of [`PostStore::create`].
#[derive(Debug, Clone)]
pub enum CreatedPost {
    New(Post),
    /// The idempotency key was used before; this is the post it produced.
    Existing(Post),
}

#[async_trait]
pub trait Health: Send + Sync {
    /// Succeeds when the store answers.
    async fn ping(&self) -> Result<()>;
}

/// Every store, chosen once at start-up.
#[derive(Clone)]
pub struct Storage {
    pub credentials: Arc<dyn CredentialStore>,
    pub oauth_states: Arc<dyn OAuthStateStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub posts: Arc<dyn PostStore>,
    pub health: Arc<dyn Health>,
    pub kind: &'static str,
}

impl Storage {
    fn from_adapter<S>(adapter: Arc<S>, kind: &'static str) -> Self
    where
        S: CredentialStore + OAuthStateStore + SessionStore + PostStore + Health + 'static,
    {
        Self {
            credentials: adapter.clone(),
            oauth_states: adapter.clone(),
            sessions: adapter.clone(),
            posts: adapter.clone(),
            health: adapter,
            kind,
        }
    }

    /// The embedded store in `data_dir/social-media-uploader.sqlite3`.
    pub async fn embedded(data_dir: &std::path::Path) -> Result<Self> {
        let store = embedded::EmbeddedStore::open(data_dir).await?;
        Ok(Self::from_adapter(Arc::new(store), "embedded"))
    }

    /// MongoDB, with its indexes created (or confirmed) before the first request.
    pub async fn mongo(uri: &str, database: &str) -> Result<Self> {
        let store = mongo::MongoStore::connect(uri, database).await?;
        Ok(Self::from_adapter(Arc::new(store), "mongodb"))
    }
}
