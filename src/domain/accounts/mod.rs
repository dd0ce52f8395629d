//! Connected Instagram accounts: what we keep about them, who may change them, and what a customer
//! may do with them. An account is stored in `instagram_credentials`, the seed's name for it; the
//! seed's API also calls it a credential (`/credentials`). Everything else says account.

mod service;
mod store;

use chrono::{DateTime, Utc};

pub use service::Accounts;
pub use store::{AccountStore, Upserted};

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
    pub app_id: String,
    pub facebook_page_id: String,
    pub facebook_page_name: String,
    /// The long-lived user token, sealed (see [`seal_token`]); `None` once disconnected.
    pub access_token: Option<Vec<u8>>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub is_active: bool,
    /// `false` when Graph refused the token: the account needs reconnecting.
    pub is_authenticated: bool,
    /// Why the account needs reconnecting, in words for the customer.
    pub auth_error: Option<String>,
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
    pub facebook_page_id: String,
    pub facebook_page_name: String,
    pub access_token: Vec<u8>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub now: DateTime<Utc>,
}

/// Where an account's token is sealed: the tenant and account become associated data.
pub fn token_context<'a>(customer_id: &'a str, instagram_user_id: &'a str) -> SealContext<'a> {
    SealContext {
        collection: COLLECTION,
        field: "access_token",
        customer_id,
        account_id: instagram_user_id,
    }
}

pub fn seal_token(
    keys: &KeyRing,
    tenant: &Tenant,
    instagram_user_id: &str,
    token: &str,
) -> Vec<u8> {
    keys.seal(
        token,
        &token_context(tenant.customer_id(), instagram_user_id),
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

    /// The plaintext token, for one Graph call. Refuses a disconnected or unreadable account.
    pub fn open_token(&self, keys: &KeyRing) -> Result<String, DomainError> {
        let sealed = self.access_token.as_deref().ok_or_else(|| {
            DomainError::NeedsReconnect(format!("@{} is disconnected", self.instagram_username))
        })?;
        keys.open(
            sealed,
            &token_context(self.tenant.customer_id(), &self.instagram_user_id),
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
        self.is_active
            && self.is_authenticated
            && self.access_token.is_some()
            && !self.token_expired(now)
    }

    fn token_expired(&self, now: DateTime<Utc>) -> bool {
        self.token_expires_at.is_some_and(|at| at <= now)
    }

    pub fn view(&self, now: DateTime<Utc>) -> AccountView {
        let status_reason = match () {
            _ if !self.is_active => Some("Disconnected.".to_string()),
            _ if !self.is_authenticated => self
                .auth_error
                .clone()
                .or_else(|| Some("Instagram refused the saved login.".into())),
            _ if self.token_expired(now) => Some("The saved login has expired.".to_string()),
            _ => None,
        };
        AccountView {
            id: self.id.clone(),
            instagram_user_id: self.instagram_user_id.clone(),
            instagram_username: self.instagram_username.clone(),
            instagram_name: self.instagram_name.clone(),
            profile_picture_url: self.profile_picture_url.clone(),
            facebook_page_id: self.facebook_page_id.clone(),
            facebook_page_name: self.facebook_page_name.clone(),
            is_active: self.is_active,
            is_authenticated: self.is_authenticated && !self.token_expired(now),
            needs_reconnect: self.is_active && status_reason.is_some(),
            can_post_stories: !self.stories_refused,
            status_reason,
            token_expires_at: self.token_expires_at,
            scopes: self.scopes.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
