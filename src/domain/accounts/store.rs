//! The port the accounts need from storage: `instagram_credentials` (the seed's name for the
//! collection of connected accounts), one document per customer and Instagram account.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Account, ConnectedAccount};
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
    /// Records that Graph refused the token (error 190): the account needs reconnecting.
    async fn mark_needs_reconnect(
        &self,
        tenant: &Tenant,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Records that Instagram refused a story for the account (a Creator account); reconnecting
    /// clears it.
    async fn mark_stories_refused(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
