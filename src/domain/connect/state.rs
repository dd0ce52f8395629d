//! A started connect flow, as stored until its callback consumes it, and the port that stores it
//! (`oauth_states`: single-use, expiring; docs/security.md O1, O2).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ConnectOutcome;
use crate::domain::{accounts::LoginKind, store::StoreResult, tenant::Tenant};

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
    /// SHA-256 of the binding secret of the browser that went to Facebook: only that browser's
    /// callback can finish the flow. (Records from before every flow was bound have none, and are
    /// refused.)
    pub session_binding: Option<String>,
    pub return_mode: ReturnMode,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The dialog the flow went to, which decides how its code is exchanged.
    pub login: LoginKind,
}

/// A flow the platform started through the JSON API, waiting for a browser that proves it belongs
/// to the same customer and user (docs/security.md O10). No OAuth `state` exists yet: it is made
/// when that browser continues to Facebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFlow {
    pub flow_id: String,
    pub tenant: Tenant,
    /// SHA-256 of the one-time secret the platform's page posts to bind its popup.
    pub secret_hash: String,
    /// SHA-256 of the binding secret of the browser the platform's page bound, once it has.
    pub bound_to: Option<String>,
    pub return_mode: ReturnMode,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The way of connecting the platform asked for.
    pub login: LoginKind,
}

#[async_trait]
pub trait ConnectStateStore: Send + Sync {
    async fn insert_pending(&self, flow: &PendingFlow) -> StoreResult<()>;
    /// The flow, while it is unexpired and has not gone to Facebook.
    async fn pending(&self, flow_id: &str, now: DateTime<Utc>) -> StoreResult<Option<PendingFlow>>;
    /// Binds the flow to a browser, once: only with the flow's secret, only while unbound,
    /// unexpired and not gone to Facebook. Atomic: of two racing binds, one wins.
    async fn bind_pending(
        &self,
        flow_id: &str,
        secret_hash: &str,
        browser_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Marks the flow gone to Facebook and returns it, once. Atomic, like consuming a state.
    async fn start_pending(
        &self,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PendingFlow>>;
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
