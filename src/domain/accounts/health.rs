//! Whether an account's login still works, and why not when it does not (docs/graph-api.md §3,
//! "What invalidates tokens"): the cause decides the advice and how the dialog is reopened.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Data access ending this soon makes an account "expiring soon" (the reference's 14 days).
pub const EXPIRING_SOON_DAYS: i64 = 14;

/// Why an account needs reconnecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthCause {
    /// 190/463, or the saved expiry passed.
    Expired,
    /// 190/460.
    PasswordChanged,
    /// 190/458, or Meta's deauthorize callback.
    AppRemoved,
    /// 190/459: Instagram or Facebook holds the account until the person logs in there.
    Checkpoint,
    /// 190/492: the person lost their task on the Page.
    PageRoleLost,
    /// A permission publishing needs is no longer granted.
    PermissionRemoved,
    /// Data access lapsed (90 days without activity): the token is valid, the data is not.
    DataAccessExpired,
    /// 190 otherwise, 102, or an unreadable token.
    Invalid,
}

impl AuthCause {
    /// The cause Graph's error names, for token errors (190 and 102) only.
    pub fn from_graph(code: Option<i64>, subcode: Option<i64>) -> Option<Self> {
        match (code?, subcode) {
            (190, Some(458)) => Some(Self::AppRemoved),
            (190, Some(459)) => Some(Self::Checkpoint),
            (190, Some(460)) => Some(Self::PasswordChanged),
            (190, Some(463)) => Some(Self::Expired),
            (190, Some(492)) => Some(Self::PageRoleLost),
            (190, _) | (102, _) => Some(Self::Invalid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::PasswordChanged => "password_changed",
            Self::AppRemoved => "app_removed",
            Self::Checkpoint => "checkpoint",
            Self::PageRoleLost => "page_role_lost",
            Self::PermissionRemoved => "permission_removed",
            Self::DataAccessExpired => "data_access_expired",
            Self::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Expired,
            Self::PasswordChanged,
            Self::AppRemoved,
            Self::Checkpoint,
            Self::PageRoleLost,
            Self::PermissionRemoved,
            Self::DataAccessExpired,
            Self::Invalid,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// What happened, in the customer's words.
    pub fn message(self) -> &'static str {
        match self {
            Self::Expired => "The saved Facebook login has expired.",
            Self::PasswordChanged => {
                "The Facebook password was changed, which ended the saved login."
            }
            Self::AppRemoved => "Our app was removed from the Facebook account's settings.",
            Self::Checkpoint => {
                "Facebook or Instagram is holding the account for a security check."
            }
            Self::PageRoleLost => {
                "The Facebook account no longer has a role on the Page that allows publishing."
            }
            Self::PermissionRemoved => "A permission publishing needs was removed.",
            Self::DataAccessExpired => {
                "Facebook ended our access to the account's data after 90 days without a login."
            }
            Self::Invalid => "Facebook no longer accepts the saved login.",
        }
    }

    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            Self::Checkpoint => {
                "Log in to instagram.com and facebook.com and follow their instructions, then reconnect."
            }
            Self::PageRoleLost => {
                "Ask the Page's admin to give you the Manage or Create content task, then reconnect."
            }
            Self::PermissionRemoved => "Reconnect and keep every permission ticked.",
            Self::DataAccessExpired => "Reconnect to renew access; your posts and history stay.",
            _ => "Reconnect the account; your posts and history stay.",
        }
    }

    /// How the dialog must be opened for a reconnect to fix this (docs/graph-api.md §2).
    pub fn auth_type(self) -> Option<&'static str> {
        match self {
            Self::PermissionRemoved => Some("rerequest"),
            Self::DataAccessExpired => Some("reauthorize"),
            _ => None,
        }
    }

    /// The customer's words for the account's state.
    pub fn reason(self) -> String {
        format!("{} {}", self.message(), self.advice())
    }
}

/// What a health check learnt about an account's login, to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub checked_at: DateTime<Utc>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    /// Why an Instagram Login token due for renewal was not renewed this time (`None` clears
    /// an earlier one).
    pub renewal_error: Option<String>,
}

/// Whether data access ends within [`EXPIRING_SOON_DAYS`].
pub fn expiring_soon(data_access_expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    data_access_expires_at
        .is_some_and(|at| at > now && at - now <= TimeDelta::days(EXPIRING_SOON_DAYS))
}
