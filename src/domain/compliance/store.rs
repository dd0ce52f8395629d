//! The port Meta's callbacks need from storage: the signed requests already used (collection
//! `meta_signed_request_uses`), the deletion requests with their confirmation codes
//! (`meta_deletion_requests`), and erasing an account's posts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::store::StoreResult;

/// One data deletion request, as its public status page shows it. It holds nothing about the
/// person: not their Facebook id, not the accounts that were erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRequest {
    /// The random alphanumeric code Meta shows the person.
    pub confirmation_code: String,
    pub received_at: DateTime<Utc>,
    /// When everything was erased; `None` while erasing.
    pub completed_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait ComplianceStore: Send + Sync {
    /// Records the first use of a signed request, by `key` (the hash of its signature), to be
    /// remembered until `expires_at`. `false` when it was used before. Atomic: of two racing
    /// uses, one wins. Uses expired before `now` may be dropped on the way.
    async fn first_use(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Forgets a use whose work failed, so that Meta's retry of the same request is accepted.
    async fn forget_use(&self, key: &str) -> StoreResult<()>;
    /// Deletes every post the customer made with the account (by any of its users, whatever
    /// their status); how many.
    async fn erase_account_posts(&self, customer_id: &str, account_id: &str) -> StoreResult<u64>;
    /// Stores a deletion request under its confirmation code.
    async fn record_deletion(&self, request: &DeletionRequest) -> StoreResult<()>;
    /// The deletion request with this confirmation code.
    async fn deletion(&self, confirmation_code: &str) -> StoreResult<Option<DeletionRequest>>;
}
