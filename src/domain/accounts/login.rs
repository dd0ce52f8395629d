//! The two ways an account can be connected (docs/graph-api.md §1). The way decides which token
//! publishes, on which host, and who keeps the login alive.

/// How an account was connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginKind {
    /// Facebook Login (classic or for Business): the account is reached through its Facebook
    /// Page, publishes with the Page's token on graph.facebook.com, and lives as long as the
    /// person's data access.
    #[default]
    Facebook,
    /// Instagram Login ("Business Login for Instagram"), for accounts without a Facebook Page:
    /// the account's own token on graph.instagram.com, valid 60 days, which the health sweep
    /// renews well before it ends.
    Instagram,
}

impl LoginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginKind::Facebook => "facebook",
            LoginKind::Instagram => "instagram",
        }
    }

    /// Records from before Instagram Login have no value: they are Facebook Login's.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("instagram") => LoginKind::Instagram,
            _ => LoginKind::Facebook,
        }
    }

    /// What the customer calls it.
    pub fn label(self) -> &'static str {
        match self {
            LoginKind::Facebook => "Facebook Login",
            LoginKind::Instagram => "Instagram Login",
        }
    }

    /// Whose dialog the login opens, in the customer's words.
    pub fn platform(self) -> &'static str {
        match self {
            LoginKind::Facebook => "Facebook",
            LoginKind::Instagram => "Instagram",
        }
    }

    /// The button of that dialog which grants access.
    pub fn consent_button(self) -> &'static str {
        match self {
            LoginKind::Facebook => "Continue",
            LoginKind::Instagram => "Allow",
        }
    }

    /// The settings of the app this login signs in with.
    pub fn app_settings(self) -> &'static str {
        match self {
            LoginKind::Facebook => "INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET",
            LoginKind::Instagram => "INSTAGRAM_LOGIN_APP_ID and INSTAGRAM_LOGIN_APP_SECRET",
        }
    }
}
