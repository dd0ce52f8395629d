//! Connected Instagram accounts: what we keep about them, who may change them, and what a customer
//! may do with them. An account is stored in `instagram_credentials`, the seed's name for it; the
//! seed's API also calls it a credential (`/credentials`). Everything else says account.

mod health;
mod login;
mod renewal;
mod service;
mod store;
mod sweep;

use chrono::{DateTime, Utc};

pub use health::{expiring_soon, AuthCause, HealthCheck, EXPIRING_SOON_DAYS};
pub use login::LoginKind;
pub use renewal::RENEW_WHEN_DAYS_LEFT;
pub use service::Accounts;
pub use store::{AccountStore, Upserted};
pub use sweep::{HealthSweep, SweepConfig, SweepReport};

use super::{tenant::Tenant, DomainError};
use crate::{
    crypto::{KeyRing, SealContext},
    dto::AccountView,
};

/// Where accounts are stored (the seed's collection name); part of every sealed token's context.
pub const COLLECTION: &str = "instagram_credentials";

/// One Instagram Business or Creator account connected by one user of one customer.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub tenant: Tenant,
    pub instagram_user_id: String,
    pub instagram_username: String,
    pub instagram_name: Option<String>,
    pub profile_picture_url: Option<String>,
    /// The app the account was connected through: the Facebook App, or the Instagram app of
    /// Instagram Login.
    pub app_id: String,
    /// How the account was connected (field `login`).
    pub login: LoginKind,
    /// Empty for accounts connected with Instagram Login, which need no Page.
    pub facebook_page_id: String,
    pub facebook_page_name: String,
    /// The long-lived user token, sealed (see [`seal_token`]); `None` once disconnected. Used
    /// for discovery and the health check; publishing prefers the Page token.
    pub access_token: Option<Vec<u8>>,
    /// The Page's access token, sealed (field `page_token`). Made from the long-lived user token,
    /// it does not expire, so posts scheduled past the user login's 60 days still publish.
    pub page_token: Option<Vec<u8>>,
    /// The person's app-scoped Facebook user id (`debug_token`'s `user_id`): Meta's deauthorize
    /// and data deletion callbacks name people by it.
    pub facebook_user_id: Option<String>,
    /// The user token's expiry; `None` when it does not expire or Meta did not say.
    pub token_expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub is_active: bool,
    /// `false` when Graph refused the token: the account needs reconnecting.
    pub is_authenticated: bool,
    /// Why the account needs reconnecting, in words for the customer.
    pub auth_error: Option<String>,
    /// The same as a kind, when known: it decides the advice and how the dialog reopens.
    pub auth_cause: Option<AuthCause>,
    /// When the health sweep last asked Meta about the login.
    pub checked_at: Option<DateTime<Utc>>,
    /// Why Instagram did not renew an Instagram Login token at the last try, in words for the
    /// customer; the sweep tries again on its next pass.
    pub renewal_error: Option<String>,
    /// Instagram refused a story for the account: stories are for Business accounts only.
    pub stories_refused: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_by: String,
}

impl std::fmt::Debug for Account {
    // Hand-written so the sealed token never reaches a log, even encrypted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("instagram_user_id", &self.instagram_user_id)
            .field("instagram_username", &self.instagram_username)
            .field("is_active", &self.is_active)
            .field("is_authenticated", &self.is_authenticated)
            .finish_non_exhaustive()
    }
}

/// What a finished OAuth flow learnt about one account, ready to be stored.
#[derive(Clone)]
pub struct ConnectedAccount {
    /// Used only when the account is new.
    pub new_id: String,
    pub tenant: Tenant,
    pub instagram_user_id: String,
    pub instagram_username: String,
    pub instagram_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub app_id: String,
    pub login: LoginKind,
    pub facebook_page_id: String,
    pub facebook_page_name: String,
    pub access_token: Vec<u8>,
    pub page_token: Option<Vec<u8>>,
    pub facebook_user_id: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub now: DateTime<Utc>,
}

/// Which of an account's tokens; part of its sealed context, so one cannot pass for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The person's long-lived user token (field `access_token`).
    User,
    /// The Page's token (field `page_token`).
    Page,
}

impl TokenKind {
    fn field(self) -> &'static str {
        match self {
            TokenKind::User => "access_token",
            TokenKind::Page => "page_token",
        }
    }
}

/// Where an account's token is sealed: the tenant, the account and the field become associated
/// data.
pub fn token_context<'a>(
    customer_id: &'a str,
    instagram_user_id: &'a str,
    kind: TokenKind,
) -> SealContext<'a> {
    SealContext {
        collection: COLLECTION,
        field: kind.field(),
        customer_id,
        account_id: instagram_user_id,
    }
}

pub fn seal_token(
    keys: &KeyRing,
    tenant: &Tenant,
    instagram_user_id: &str,
    kind: TokenKind,
    token: &str,
) -> Vec<u8> {
    keys.seal(
        token,
        &token_context(tenant.customer_id(), instagram_user_id, kind),
    )
}

/// The refusal both stores give when another user of the customer holds the account.
pub fn already_connected(username: &str) -> String {
    format!(
        "@{username} is already connected by another user of your organization. \
         Ask them to disconnect it first, then connect it again."
    )
}

impl Account {
    /// Who may connect this account again into its record: the user who holds it, or anyone of
    /// the customer once it was disconnected. Another user's active account is theirs.
    pub fn may_be_reconnected_by(&self, user_id: &str) -> bool {
        self.tenant.user_id() == user_id || !self.is_active
    }

    /// The token for Instagram calls, in plaintext for one call: the Page token when there is
    /// one, else the user token. Refuses a disconnected or unreadable account.
    pub fn open_token(&self, keys: &KeyRing) -> Result<String, DomainError> {
        match self.page_token.is_some() {
            true => self.open(keys, TokenKind::Page),
            false => self.open(keys, TokenKind::User),
        }
    }

    /// One of the account's tokens, in plaintext.
    pub fn open(&self, keys: &KeyRing, kind: TokenKind) -> Result<String, DomainError> {
        let sealed = match kind {
            TokenKind::User => self.access_token.as_deref(),
            TokenKind::Page => self.page_token.as_deref(),
        }
        .ok_or_else(|| {
            DomainError::NeedsReconnect(format!("@{} is disconnected", self.instagram_username))
        })?;
        keys.open(
            sealed,
            &token_context(self.tenant.customer_id(), &self.instagram_user_id, kind),
        )
        .map_err(|e| {
            DomainError::internal(
                format!("the token of account {} does not decrypt", self.id),
                e,
            )
        })
    }

    /// Whether the account can publish now.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.is_active && self.access_token.is_some() && self.reconnect_cause(now).is_none()
    }

    /// The publishing token has expired. A Page token made from a long-lived user token does
    /// not expire, whatever the user token does.
    fn token_expired(&self, now: DateTime<Utc>) -> bool {
        self.page_token.is_none() && self.token_expires_at.is_some_and(|at| at <= now)
    }

    /// Until when publishing is expected to work, as far as Meta said: data access (every
    /// token), and the user token's own expiry when there is no Page token. An Instagram Login
    /// token is renewed before it ends, so its expiry counts only once a renewal failed.
    pub fn publishable_until(&self) -> Option<DateTime<Utc>> {
        let expiry_counts = match self.login {
            LoginKind::Facebook => self.page_token.is_none(),
            LoginKind::Instagram => self.renewal_error.is_some(),
        };
        let user_expiry = expiry_counts.then_some(self.token_expires_at).flatten();
        [user_expiry, self.data_access_expires_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Why the account needs reconnecting, as a kind, when it does.
    pub fn reconnect_cause(&self, now: DateTime<Utc>) -> Option<AuthCause> {
        match () {
            _ if !self.is_active => None,
            _ if !self.is_authenticated => Some(self.auth_cause.unwrap_or(AuthCause::Invalid)),
            _ if self.token_expired(now) => Some(AuthCause::Expired),
            _ if self.data_access_expires_at.is_some_and(|at| at <= now) => {
                Some(AuthCause::DataAccessExpired)
            }
            _ => None,
        }
    }

    pub fn view(&self, now: DateTime<Utc>) -> AccountView {
        let cause = self.reconnect_cause(now);
        let broken = match () {
            _ if !self.is_active => None,
            _ if !self.is_authenticated => self
                .auth_error
                .clone()
                .or_else(|| Some(AuthCause::Invalid.reason())),
            _ => cause.map(AuthCause::reason),
        };
        // Whichever ends first: data access, or the user login when there is no Page token.
        let soon = expiring_soon(self.publishable_until(), now);
        let (state, fix) = match () {
            _ if !self.is_active => ("disconnected", None),
            _ if broken.is_some() => (
                "needs_reconnect",
                Some(cause.unwrap_or(AuthCause::Invalid).advice().to_string()),
            ),
            _ if self.renewal_error.is_some() => (
                if soon { "expiring_soon" } else { "active" },
                Some(
                    "We try again every day. If it keeps failing, reconnect with Instagram \
                     before the login ends; your posts and history stay."
                        .to_string(),
                ),
            ),
            _ if soon => (
                "expiring_soon",
                Some(
                    "Reconnect before then to keep publishing; your posts and history stay."
                        .to_string(),
                ),
            ),
            _ => ("active", None),
        };
        let needs_reconnect = self.is_active && broken.is_some();
        let status_reason = match () {
            _ if !self.is_active => Some("Disconnected.".to_string()),
            _ if broken.is_some() => broken,
            _ => self.renewal_error.clone(),
        };
        AccountView {
            id: self.id.clone(),
            instagram_user_id: self.instagram_user_id.clone(),
            instagram_username: self.instagram_username.clone(),
            instagram_name: self.instagram_name.clone(),
            profile_picture_url: self.profile_picture_url.clone(),
            facebook_page_id: self.facebook_page_id.clone(),
            facebook_page_name: self.facebook_page_name.clone(),
            login: self.login.as_str().to_string(),
            is_active: self.is_active,
            is_authenticated: self.is_authenticated && !self.token_expired(now),
            needs_reconnect,
            can_post_stories: !self.stories_refused,
            status_reason,
            state: state.to_string(),
            fix,
            publishable_until: self.publishable_until(),
            has_page_token: self.page_token.is_some(),
            token_expires_at: self.token_expires_at,
            data_access_expires_at: self.data_access_expires_at,
            scopes: self.scopes.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
