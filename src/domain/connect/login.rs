//! The port the connect flow needs from Meta: Facebook Login's dialog and token endpoints, and the
//! Pages and Instagram accounts behind a person (docs/graph-api.md §2-4). The adapter
//! (`crate::graph::GraphClient`) speaks the wire format; these types are the domain's own.

use async_trait::async_trait;

use crate::domain::graph::GraphError;

/// A token Graph handed out, with its lifetime in seconds when Graph said.
#[derive(Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: Option<i64>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AccessToken(<redacted>, expires_in={:?})",
            self.expires_in
        )
    }
}

/// What `debug_token` says about a user token.
#[derive(Debug, Clone, Default)]
pub struct TokenInfo {
    pub is_valid: bool,
    /// Unix seconds; 0 means the token does not expire.
    pub expires_at: Option<i64>,
    pub data_access_expires_at: Option<i64>,
    pub scopes: Vec<String>,
    pub user_id: Option<String>,
}

/// A Facebook Page, and the id of the Instagram account linked to it, if any.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub instagram_account_id: Option<String>,
}

/// An Instagram Business or Creator account.
#[derive(Debug, Clone)]
pub struct IgUser {
    pub id: String,
    pub username: String,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
}

#[async_trait]
pub trait LoginGraph: Send + Sync {
    /// The Login dialog's URL for one flow.
    fn dialog_url(
        &self,
        app_id: &str,
        redirect_uri: &str,
        state: &str,
        scopes: &[String],
    ) -> String;
    /// Code -> short-lived user token. The redirect URI must equal the dialog's.
    async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<AccessToken, GraphError>;
    /// Short-lived -> long-lived (~60 days) user token.
    async fn exchange_long_lived(&self, short: &str) -> Result<AccessToken, GraphError>;
    /// Expiry and granted scopes of a user token, asked with the app token.
    async fn debug_token(&self, token: &str) -> Result<TokenInfo, GraphError>;
    /// The permissions the person declined in the dialog.
    async fn declined_permissions(&self, token: &str) -> Result<Vec<String>, GraphError>;
    /// Every Page the person granted, plus those of their business portfolios when
    /// `with_businesses`; each Page once.
    async fn pages(&self, token: &str, with_businesses: bool) -> Result<Vec<Page>, GraphError>;
    /// An Instagram account's profile.
    async fn ig_user(&self, token: &str, ig_user_id: &str) -> Result<IgUser, GraphError>;
}
