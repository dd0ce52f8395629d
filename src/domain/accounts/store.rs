//! The port the accounts need from storage: `instagram_credentials` (the seed's name for the
//! collection of connected accounts), one document per customer and Instagram account.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Account, AuthCause, ConnectedAccount, HealthCheck};
use crate::domain::{store::StoreResult, tenant::Tenant};

/// What reconnecting an account did to its one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upserted {
    Created(Account),
    Updated(Account),
}

impl Upserted {
    pub fn account(&self) -> &Account {
        match self {
            Upserted::Created(a) | Upserted::Updated(a) => a,
        }
    }
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the account's record or updates it in place (reconnect), as
    /// [`Account::may_be_reconnected_by`] allows: another user of the same customer holding the
    /// account active is a `StoreError::Conflict` ([`super::already_connected`]); two racing calls
    /// for the same account leave one record.
    async fn upsert(&self, account: ConnectedAccount) -> StoreResult<Upserted>;
    /// The tenant's connected (active) accounts, oldest first.
    async fn list(&self, tenant: &Tenant) -> StoreResult<Vec<Account>>;
    /// One of the tenant's accounts, active or not.
    async fn get(&self, tenant: &Tenant, id: &str) -> StoreResult<Option<Account>>;
    /// Stops using the account and erases its token. `false` when the tenant has no such active
    /// account.
    async fn disconnect(&self, tenant: &Tenant, id: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Records that Graph refused the token (error 190), or the health check found it dead: the
    /// account needs reconnecting, for `cause`, told as `reason`.
    async fn mark_needs_reconnect(
        &self,
        tenant: &Tenant,
        id: &str,
        cause: AuthCause,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Active, authenticated accounts of every tenant whose login was last checked before
    /// `checked_before` (never checked first), at most `limit`: the health sweep's work.
    async fn due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Account>>;
    /// Stores a renewed Instagram Login token: `new` replaces the sealed user token only if it
    /// is still exactly `old` (a reconnect or disconnect meanwhile wins), with its expiry; the
    /// renewal error is cleared and the account counts as checked at `now`.
    async fn renew_token(
        &self,
        tenant: &Tenant,
        id: &str,
        old: &[u8],
        new: &[u8],
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Stores what a health check learnt about a working login.
    async fn record_check(
        &self,
        tenant: &Tenant,
        id: &str,
        check: &HealthCheck,
    ) -> StoreResult<bool>;
    /// Every tenant's accounts connected through `app_id` by the Facebook user Meta's callbacks
    /// name (app-scoped id), active or not.
    async fn by_facebook_user(
        &self,
        app_id: &str,
        facebook_user_id: &str,
    ) -> StoreResult<Vec<Account>>;
    /// Deletes the account's record for good (Meta's data deletion). `false` when there is none.
    async fn erase(&self, tenant: &Tenant, id: &str) -> StoreResult<bool>;
    /// Records that Instagram refused a story for the account (a Creator account); reconnecting
    /// clears it.
    async fn mark_stories_refused(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Every tenant's accounts holding a token (either one), with an id after `after` (from the
    /// first when `None`), in id order, at most `limit`: the walk of the key rotation
    /// (`crate::domain::keys`), which resumes from the last id it saw.
    async fn with_tokens_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Account>>;
    /// How many accounts of every tenant hold a token.
    async fn count_with_tokens(&self) -> StoreResult<u64>;
    /// Replaces the account's sealed tokens by `new_access` / `new_page`, only if they are still
    /// exactly `old_access` / `old_page` (compare-and-swap): `false` when a reconnect, a
    /// disconnect or another rotation changed them meanwhile. Nothing else changes, not even
    /// `updated_at`: the tokens are the same, only sealed under another key.
    async fn reseal(
        &self,
        tenant: &Tenant,
        id: &str,
        old_access: Option<&[u8]>,
        new_access: Option<&[u8]>,
        old_page: Option<&[u8]>,
        new_page: Option<&[u8]>,
    ) -> StoreResult<bool>;
}
