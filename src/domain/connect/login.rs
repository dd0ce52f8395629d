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
    /// Why the token is invalid, when Meta said.
    pub error: Option<TokenFault>,
}

/// The error an invalid token carries in `debug_token`.
#[derive(Debug, Clone, Default)]
pub struct TokenFault {
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub message: String,
}

/// A Facebook Page, and the id of the Instagram account linked to it, if any.
#[derive(Clone)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub instagram_account_id: Option<String>,
    /// The Page's token, when Graph gave one (Pages the person granted).
    pub access_token: Option<String>,
    /// The person's tasks on the Page (`MANAGE`, `CREATE_CONTENT`, ...); empty when Graph did not
    /// say.
    pub tasks: Vec<String>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("instagram_account_id", &self.instagram_account_id)
            .field("tasks", &self.tasks)
            .finish_non_exhaustive()
    }
}

impl Page {
    /// Publishing needs the MANAGE or CREATE_CONTENT task (docs/graph-api.md §4). Unknown tasks
    /// are given the benefit of the doubt.
    pub fn allows_publishing(&self) -> bool {
        self.tasks.is_empty()
            || self
                .tasks
                .iter()
                .any(|t| t == "MANAGE" || t == "CREATE_CONTENT")
    }
}

/// The Pages found behind a person, and the places that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub pages: Vec<Page>,
    /// `(what, why)`: a business portfolio or its Pages that Graph refused to list.
    pub skipped: Vec<(String, String)>,
}

/// An Instagram Business or Creator account.
#[derive(Debug, Clone)]
pub struct IgUser {
    pub id: String,
    pub username: String,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
}

/// What the Login dialog asks for (docs/graph-api.md §1-2).
#[derive(Debug, Clone, Copy)]
pub enum Grant<'a> {
    /// Classic Facebook Login: these permissions, each of which the person may decline.
    Scopes(&'a [String]),
    /// Facebook Login for Business: a login configuration, granted whole or not at all.
    Configuration(&'a str),
}

/// One flow's dialog.
#[derive(Debug, Clone, Copy)]
pub struct Dialog<'a> {
    pub app_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub grant: Grant<'a>,
    /// `rerequest` (offer declined permissions again) or `reauthorize` (renew data access).
    pub auth_type: Option<&'a str>,
}

#[async_trait]
pub trait LoginGraph: Send + Sync {
    /// The Login dialog's URL for one flow.
    fn dialog_url(&self, dialog: &Dialog<'_>) -> String;
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
    /// `with_businesses`; each Page once. A portfolio that cannot be read is skipped and named;
    /// only the person's own Page list failing is an error.
    async fn pages(&self, token: &str, with_businesses: bool) -> Result<Discovery, GraphError>;
    /// An Instagram account's profile.
    async fn ig_user(&self, token: &str, ig_user_id: &str) -> Result<IgUser, GraphError>;
}
