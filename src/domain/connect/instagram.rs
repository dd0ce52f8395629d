//! Connecting with Instagram Login ("Business Login for Instagram", docs/graph-api.md §1-3): for
//! accounts without a Facebook Page. Its own app id and secret, Instagram's dialog and code
//! exchange, the unversioned long-lived exchange, and the account's own token on
//! graph.instagram.com. The flow's state, browser binding and outcome are the same as Facebook
//! Login's (`super::ConnectService`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::TimeDelta;

use super::{failed, graph_failed, AccessToken, ConnectOutcome, ConnectService, OAuthState};
use crate::{
    crypto::new_id,
    domain::{
        accounts::{seal_token, ConnectedAccount, LoginKind, TokenKind},
        clock,
        graph::GraphError,
        StoreError,
    },
};

pub const INSTAGRAM_LOGIN_NOT_CONFIGURED: &str =
    "Instagram Login is not configured. Set INSTAGRAM_LOGIN_APP_ID and \
    INSTAGRAM_LOGIN_APP_SECRET to your Instagram app's values (Meta's dashboard: Instagram > API \
    setup with Instagram login) and restart the service.";

/// The permissions publishing cannot do without, when they were asked for (the 2025 names).
const REQUIRED_SCOPES: [&str; 2] = [
    "instagram_business_basic",
    "instagram_business_content_publish",
];

/// A long-lived Instagram token lasts 60 days; used when Instagram does not say.
const LONG_LIVED_DAYS: i64 = 60;

/// What the code exchange gives: a short-lived token, the account, the permissions granted.
#[derive(Clone)]
pub struct IgGrant {
    pub token: String,
    pub user_id: String,
    pub permissions: Vec<String>,
}

impl std::fmt::Debug for IgGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IgGrant")
            .field("user_id", &self.user_id)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

/// The account behind an Instagram Login token (`GET graph.instagram.com/{v}/me`).
#[derive(Debug, Clone)]
pub struct IgProfile {
    /// The Instagram professional account's id, the one publishing calls name.
    pub user_id: String,
    pub username: String,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
    /// `BUSINESS` or `MEDIA_CREATOR`, when Instagram said.
    pub account_type: Option<String>,
}

/// Instagram Login's dialog for one flow.
#[derive(Debug, Clone, Copy)]
pub struct IgDialog<'a> {
    pub app_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub scopes: &'a [String],
}

/// The port Instagram Login needs from Meta: www.instagram.com's dialog, api.instagram.com's code
/// exchange, graph.instagram.com's token endpoints and profile.
#[async_trait]
pub trait InstagramLoginGraph: Send + Sync {
    fn dialog_url(&self, dialog: &IgDialog<'_>) -> String;
    /// Code -> short-lived (1 h) token. The redirect URI must equal the dialog's.
    async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<IgGrant, GraphError>;
    /// Short-lived -> long-lived (60 days) token.
    async fn exchange_long_lived(&self, short: &str) -> Result<AccessToken, GraphError>;
    /// A long-lived token at least 24 hours old and unexpired -> a new one, 60 days from now.
    async fn refresh(&self, long: &str) -> Result<AccessToken, GraphError>;
    /// The account the token belongs to; also how the health sweep asks whether it still works.
    async fn me(&self, token: &str) -> Result<IgProfile, GraphError>;
}

/// Instagram Login as this deployment has it configured.
#[derive(Clone)]
pub struct InstagramLogin {
    pub graph: Arc<dyn InstagramLoginGraph>,
    /// The Instagram app's id (not the Facebook App's).
    pub app_id: String,
    /// Registered in the Instagram app, apart from Facebook Login's (docs/graph-api.md §1, "Safe").
    pub redirect_uri: String,
    pub scopes: Vec<String>,
}

impl InstagramLogin {
    pub fn dialog_url(&self, state: &str) -> String {
        self.graph.dialog_url(&IgDialog {
            app_id: &self.app_id,
            redirect_uri: &self.redirect_uri,
            state,
            scopes: &self.scopes,
        })
    }
}

impl ConnectService {
    /// Code -> short-lived token -> long-lived token -> the account -> stored credentials.
    pub(super) async fn run_instagram_flow(
        &self,
        state: &OAuthState,
        code: &str,
    ) -> Result<Vec<String>, ConnectOutcome> {
        let login = self.instagram.as_ref().ok_or_else(|| {
            failed(
                INSTAGRAM_LOGIN_NOT_CONFIGURED,
                "Ask your administrator to configure Instagram Login.",
            )
        })?;
        let grant = login
            .graph
            .exchange_code(code, &login.redirect_uri)
            .await
            .map_err(|e| graph_failed(LoginKind::Instagram, e))?;
        check_scopes(login, &grant)?;
        let long = login
            .graph
            .exchange_long_lived(&grant.token)
            .await
            .map_err(|e| graph_failed(LoginKind::Instagram, e))?;
        let profile = login
            .graph
            .me(&long.token)
            .await
            .map_err(|e| graph_failed(LoginKind::Instagram, e))?;
        let now = clock::now();
        let account = ConnectedAccount {
            new_id: new_id(),
            access_token: seal_token(
                &self.keys,
                &state.tenant,
                &profile.user_id,
                TokenKind::User,
                &long.token,
            ),
            page_token: None,
            facebook_user_id: None,
            tenant: state.tenant.clone(),
            instagram_user_id: profile.user_id.clone(),
            instagram_username: profile.username.clone(),
            instagram_name: profile.name.clone(),
            profile_picture_url: profile.profile_picture_url.clone(),
            app_id: login.app_id.clone(),
            login: LoginKind::Instagram,
            facebook_page_id: String::new(),
            facebook_page_name: String::new(),
            token_expires_at: Some(
                now + TimeDelta::seconds(
                    long.expires_in
                        .filter(|s| *s > 0)
                        .unwrap_or(LONG_LIVED_DAYS * 86_400),
                ),
            ),
            data_access_expires_at: None,
            scopes: grant.permissions.clone(),
            now,
        };
        match self.accounts.upsert(account).await {
            Ok(_) => Ok(vec![profile.username]),
            Err(StoreError::Conflict(message)) => {
                Err(failed(&message, "Nothing else was changed."))
            }
            Err(e) => {
                tracing::error!(error = %crate::telemetry::chain(&e), "saving a connected account failed");
                Err(failed(
                    "Saving the connection failed.",
                    "Try again in a moment; if it persists, contact support.",
                ))
            }
        }
    }
}

/// A permission the person did not grant is named (Instagram's dialog lets them untick some).
fn check_scopes(login: &InstagramLogin, grant: &IgGrant) -> Result<(), ConnectOutcome> {
    let missing: Vec<&str> = REQUIRED_SCOPES
        .iter()
        .copied()
        .filter(|s| login.scopes.iter().any(|asked| asked == s))
        .filter(|s| !grant.permissions.iter().any(|g| g == s))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(failed(
            &format!(
                "Instagram did not grant a permission we need: {}.",
                missing.join(", ")
            ),
            "Connect again and keep every permission ticked: without them we cannot publish for you.",
        )),
    }
}
