//! A started connect flow, as stored until its callback consumes it, and the port that stores it
//! (`oauth_states`: single-use, expiring; docs/security.md O1, O2).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ConnectOutcome;
use crate::domain::{store::StoreResult, tenant::Tenant};

/// How the browser comes back from Facebook, which decides what the callback answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnMode {
    /// The dialog ran in a popup: the callback page tells its opener and closes.
    Popup,
    /// The dialog replaced our page (popup blocked, or no JavaScript): the callback redirects back.
    Redirect,
}

impl ReturnMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnMode::Popup => "popup",
            ReturnMode::Redirect => "redirect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "popup" => Some(ReturnMode::Popup),
            "redirect" => Some(ReturnMode::Redirect),
            _ => None,
        }
    }
}

/// A pending OAuth flow. Stored under the SHA-256 of the state, so the database never holds a
/// usable state value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    pub state_hash: String,
    /// A public id for the flow, for the page to ask how it ended.
    pub flow_id: String,
    pub tenant: Tenant,
    /// SHA-256 of the browser session's binding secret when the flow started on our page.
    pub session_binding: Option<String>,
    pub return_mode: ReturnMode,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait ConnectStateStore: Send + Sync {
    async fn insert(&self, state: &OAuthState) -> StoreResult<()>;
    /// Atomically marks the state used and returns it, if it exists, is unused and unexpired.
    async fn consume(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OAuthState>>;
    /// Keeps what a finished flow produced, for the page that started it.
    async fn save_outcome(
        &self,
        tenant: &Tenant,
        flow_id: &str,
        outcome: &ConnectOutcome,
    ) -> StoreResult<()>;
    async fn outcome(&self, tenant: &Tenant, flow_id: &str) -> StoreResult<Option<ConnectOutcome>>;
    /// Deletes states that expired before `before`; consuming never relies on this.
    async fn purge_expired(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}
