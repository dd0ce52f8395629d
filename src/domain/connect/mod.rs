//! Connecting Instagram accounts through Facebook Login: the OAuth `state`, the callback, account
//! discovery and storing the accounts. The same calls serve the JSON API and the page.

mod handover;
mod instagram;
mod login;
mod outcome;
mod state;

use std::sync::Arc;

use chrono::TimeDelta;

pub use handover::{Browser, InitiatedFlow};
pub use instagram::{
    IgDialog, IgGrant, IgProfile, InstagramLogin, InstagramLoginGraph,
    INSTAGRAM_LOGIN_NOT_CONFIGURED,
};
pub use login::{
    AccessToken, Dialog, Discovery, Grant, IgUser, LoginGraph, Page, TokenFault, TokenInfo,
};
pub use outcome::{ConnectOutcome, Skipped};
pub use state::{ConnectStateStore, OAuthState, PendingFlow, ReturnMode};

use super::{
    accounts::{
        expiring_soon, seal_token, AccountStore, AuthCause, ConnectedAccount, LoginKind, TokenKind,
    },
    clock,
    graph::{ErrorClass, GraphError},
    tenant::Tenant,
    DomainError, StoreError,
};
use crate::{
    config::InstagramApp,
    crypto::{new_id, random_token, sha256_hex, KeyRing},
};

/// How long a started flow may take (docs/security.md O1: at most 10 minutes).
const STATE_TTL_MINUTES: i64 = 10;
/// Codes are short; anything this long is abuse, refused before any network call.
const MAX_CODE_LEN: usize = 2048;
/// The permissions publishing cannot do without, when they were asked for.
const REQUIRED_SCOPES: [&str; 4] = [
    "instagram_basic",
    "instagram_content_publish",
    "pages_show_list",
    "pages_read_engagement",
];

pub const NOT_CONFIGURED: &str =
    "Instagram API credentials not configured. Set INSTAGRAM_APP_ID and \
    INSTAGRAM_APP_SECRET to your Facebook App's values and restart the service.";

/// What the callback received from Facebook.
#[derive(Debug, Clone, Default)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_reason: Option<String>,
    pub error_description: Option<String>,
    /// Facebook's numeric code, which some exits send without `error` (4201: cancelled).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A started flow: where to send the person, and how to ask later how it ended.
#[derive(Debug, Clone)]
pub struct StartedFlow {
    pub auth_url: String,
    pub flow_id: String,
}

/// Why a callback was refused before anything happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// No such state: forged, replayed or expired.
    UnknownState,
    /// A real state, brought back by a browser that did not start the flow.
    OtherBrowser,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Refusal::UnknownState => {
                "This connection link is invalid, was already used or has expired. Nothing was \
                 changed. Start again with \"Connect Instagram Account\"."
            }
            Refusal::OtherBrowser => {
                "This connection was started in another browser and can only be finished there. \
                 Nothing was changed. Start again with \"Connect Instagram Account\" in this browser."
            }
        }
    }
}

/// How a callback ended.
#[derive(Debug, Clone)]
pub enum CallbackResult {
    /// The state was valid; the flow ran (successfully or not) and its outcome is saved.
    Finished {
        mode: ReturnMode,
        flow_id: String,
        /// Whom the accounts now belong to (the callback page names them).
        tenant: Tenant,
        outcome: ConnectOutcome,
    },
    /// No valid state: nothing was stored and no flow is known to report to.
    Rejected { message: String },
}

#[derive(Clone)]
pub struct ConnectService {
    graph: Arc<dyn LoginGraph>,
    accounts: Arc<dyn AccountStore>,
    states: Arc<dyn ConnectStateStore>,
    keys: KeyRing,
    app: Option<InstagramApp>,
    redirect_uri: String,
    scopes: Vec<String>,
    /// The second way to connect, when configured.
    instagram: Option<InstagramLogin>,
}

impl ConnectService {
    pub fn new(
        graph: Arc<dyn LoginGraph>,
        accounts: Arc<dyn AccountStore>,
        states: Arc<dyn ConnectStateStore>,
        keys: KeyRing,
        app: Option<InstagramApp>,
        redirect_uri: String,
        scopes: Vec<String>,
    ) -> Self {
        Self {
            graph,
            accounts,
            states,
            keys,
            app,
            redirect_uri,
            scopes,
            instagram: None,
        }
    }

    /// Offers Instagram Login too.
    pub fn with_instagram_login(mut self, login: InstagramLogin) -> Self {
        self.instagram = Some(login);
        self
    }

    /// Why connecting this way cannot work on this deployment, if it cannot.
    pub fn unavailable_reason(&self, login: LoginKind) -> Option<&'static str> {
        match login {
            LoginKind::Facebook => self.app.is_none().then_some(NOT_CONFIGURED),
            LoginKind::Instagram => self
                .instagram
                .is_none()
                .then_some(INSTAGRAM_LOGIN_NOT_CONFIGURED),
        }
    }

    /// Refuses a way of connecting this deployment does not offer.
    fn require(&self, login: LoginKind) -> Result<(), DomainError> {
        match self.unavailable_reason(login) {
            Some(reason) => Err(DomainError::NotConfigured(reason.into())),
            None => Ok(()),
        }
    }

    /// Starts a flow for `tenant` on our own page: the browser's session `binding` secret ties the
    /// callback to this browser.
    pub async fn start(
        &self,
        tenant: &Tenant,
        binding: &str,
        mode: ReturnMode,
        login: LoginKind,
    ) -> Result<StartedFlow, DomainError> {
        self.begin(tenant, binding, mode, random_token(12), login)
            .await
    }

    /// Makes the OAuth state of a flow, bound to the browser that holds `binding`, and the dialog
    /// URL that carries it.
    async fn begin(
        &self,
        tenant: &Tenant,
        binding: &str,
        mode: ReturnMode,
        flow_id: String,
        login: LoginKind,
    ) -> Result<StartedFlow, DomainError> {
        self.require(login)?;
        // 256 bits from the OS CSPRNG; only its hash is stored.
        let state = random_token(32);
        let now = clock::now();
        let record = OAuthState {
            state_hash: sha256_hex(state.as_bytes()),
            flow_id,
            tenant: tenant.clone(),
            session_binding: Some(sha256_hex(binding.as_bytes())),
            return_mode: mode,
            created_at: now,
            expires_at: now + TimeDelta::minutes(STATE_TTL_MINUTES),
            login,
        };
        self.states.insert(&record).await?;
        let auth_url = match (login, &self.app, &self.instagram) {
            (LoginKind::Instagram, _, Some(instagram)) => instagram.dialog_url(&state),
            (_, Some(app), _) => self.facebook_dialog(app, tenant, &state).await?,
            _ => return Err(DomainError::NotConfigured(NOT_CONFIGURED.into())),
        };
        Ok(StartedFlow {
            auth_url,
            flow_id: record.flow_id,
        })
    }

    /// Facebook Login's dialog for one flow.
    async fn facebook_dialog(
        &self,
        app: &InstagramApp,
        tenant: &Tenant,
        state: &str,
    ) -> Result<String, DomainError> {
        let auth_type = self.auth_type(tenant).await?;
        let grant = match &app.login_config_id {
            Some(id) => Grant::Configuration(id),
            None => Grant::Scopes(&self.scopes),
        };
        Ok(self.graph.dialog_url(&Dialog {
            app_id: &app.app_id,
            redirect_uri: &self.redirect_uri,
            state,
            grant,
            auth_type: Some(auth_type),
        }))
    }

    /// How the dialog must open for this tenant (docs/graph-api.md §2): `reauthorize` when an
    /// account's data access lapsed or is about to, else `rerequest`, so that a permission
    /// declined before is offered again (Facebook remembers declines; we need every one).
    async fn auth_type(&self, tenant: &Tenant) -> Result<&'static str, DomainError> {
        let now = clock::now();
        let lapsing = self.accounts.list(tenant).await?.iter().any(|a| {
            a.reconnect_cause(now) == Some(AuthCause::DataAccessExpired)
                || expiring_soon(a.data_access_expires_at, now)
        });
        Ok(if lapsing { "reauthorize" } else { "rerequest" })
    }

    /// How the tenant's flow ended, once it has.
    pub async fn outcome(
        &self,
        tenant: &Tenant,
        flow_id: &str,
    ) -> Result<Option<ConnectOutcome>, DomainError> {
        Ok(self.states.outcome(tenant, flow_id).await?)
    }

    /// Handles Facebook's redirect back. The state is consumed first, whatever else happens, so a
    /// callback can never be replayed (docs/security.md O5, O8).
    pub async fn callback(
        &self,
        params: &CallbackParams,
        bindings: &[&str],
    ) -> Result<CallbackResult, DomainError> {
        let state = match self.consume_state(params, bindings).await? {
            Ok(state) => state,
            Err(refusal) => {
                return Ok(CallbackResult::Rejected {
                    message: refusal.message().into(),
                })
            }
        };
        let outcome = match self.run_flow(&state, params).await {
            Ok((usernames, skipped)) => ConnectOutcome::connected(usernames, skipped),
            Err(failure) => failure,
        };
        self.states
            .save_outcome(&state.tenant, &state.flow_id, &outcome)
            .await?;
        tracing::info!(tenant = ?state.tenant, flow = %state.flow_id, ok = outcome.ok, "instagram connect flow ended");
        Ok(CallbackResult::Finished {
            mode: state.return_mode,
            flow_id: state.flow_id,
            tenant: state.tenant,
            outcome,
        })
    }

    /// The flow's stored record, if the state is known, unused, unexpired and this browser holds
    /// the binding secret it was started with (one of `bindings`).
    async fn consume_state(
        &self,
        params: &CallbackParams,
        bindings: &[&str],
    ) -> Result<Result<OAuthState, Refusal>, DomainError> {
        let Some(state) = params
            .state
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 256)
        else {
            return Ok(Err(Refusal::UnknownState));
        };
        let Some(record) = self
            .states
            .consume(&sha256_hex(state.as_bytes()), clock::now())
            .await?
        else {
            return Ok(Err(Refusal::UnknownState));
        };
        let same_browser = record.session_binding.as_ref().is_some_and(|expected| {
            bindings
                .iter()
                .any(|b| &sha256_hex(b.as_bytes()) == expected)
        });
        if !same_browser {
            tracing::warn!(target: "security", flow = %record.flow_id, "oauth callback from another browser refused");
            return Ok(Err(Refusal::OtherBrowser));
        }
        Ok(Ok(record))
    }

    /// The dialog's answer, then the flow of the login the state was made for. Errors are
    /// outcomes.
    async fn run_flow(
        &self,
        state: &OAuthState,
        params: &CallbackParams,
    ) -> Result<(Vec<String>, Vec<Skipped>), ConnectOutcome> {
        if let Some(refusal) = dialog_refusal(params, state.login) {
            return Err(refusal);
        }
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= MAX_CODE_LEN)
            .ok_or_else(|| {
                failed(
                    &format!(
                        "{} did not return an authorization code.",
                        state.login.platform()
                    ),
                    "Start again with \"Connect Instagram Account\".",
                )
            })?;
        match state.login {
            LoginKind::Facebook => self.run_facebook_flow(state, code).await,
            LoginKind::Instagram => self
                .run_instagram_flow(state, code)
                .await
                .map(|usernames| (usernames, Vec::new())),
        }
    }

    /// Code -> tokens -> pages -> Instagram accounts -> stored credentials. Pages that could not
    /// be connected are named with the reason.
    async fn run_facebook_flow(
        &self,
        state: &OAuthState,
        code: &str,
    ) -> Result<(Vec<String>, Vec<Skipped>), ConnectOutcome> {
        let app = self.app.as_ref().ok_or_else(|| {
            failed(
                NOT_CONFIGURED,
                "Ask your administrator to configure the Facebook App.",
            )
        })?;
        let short = self
            .graph
            .exchange_code(code, &self.redirect_uri)
            .await
            .map_err(|e| graph_failed(LoginKind::Facebook, e))?;
        let long = self
            .graph
            .exchange_long_lived(&short.token)
            .await
            .map_err(|e| graph_failed(LoginKind::Facebook, e))?;
        let info = self
            .graph
            .debug_token(&long.token)
            .await
            .map_err(|e| graph_failed(LoginKind::Facebook, e))?;
        self.check_scopes(&long.token, &info).await?;
        let (accounts, skipped) = self.discover(&long.token, &info).await?;
        let token_expires_at = expiry(info.expires_at, long.expires_in);
        let data_access_expires_at = info
            .data_access_expires_at
            .filter(|t| *t > 0)
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0));
        let mut usernames = Vec::new();
        for (page, ig) in accounts {
            let seal =
                |kind, token: &str| seal_token(&self.keys, &state.tenant, &ig.id, kind, token);
            let account = ConnectedAccount {
                new_id: new_id(),
                access_token: seal(TokenKind::User, &long.token),
                // Made from the long-lived user token, the Page token does not expire.
                page_token: page
                    .access_token
                    .as_deref()
                    .map(|t| seal(TokenKind::Page, t)),
                facebook_user_id: info.user_id.clone(),
                tenant: state.tenant.clone(),
                instagram_user_id: ig.id.clone(),
                instagram_username: ig.username.clone(),
                instagram_name: ig.name.clone(),
                profile_picture_url: ig.profile_picture_url.clone(),
                app_id: app.app_id.clone(),
                login: LoginKind::Facebook,
                facebook_page_id: page.id.clone(),
                facebook_page_name: page.name.clone(),
                token_expires_at,
                data_access_expires_at,
                scopes: info.scopes.clone(),
                now: clock::now(),
            };
            match self.accounts.upsert(account).await {
                Ok(_) => usernames.push(ig.username),
                Err(StoreError::Conflict(message)) => {
                    return Err(failed(&message, "Nothing else was changed."))
                }
                Err(e) => {
                    tracing::error!(error = %crate::telemetry::chain(&e), "saving a connected account failed");
                    return Err(failed(
                        "Saving the connection failed.",
                        "Try again in a moment; if it persists, contact support.",
                    ));
                }
            }
        }
        Ok((usernames, skipped))
    }

    /// A required permission the person unticked is named in the outcome (docs/graph-api.md complaint 6).
    async fn check_scopes(&self, token: &str, info: &TokenInfo) -> Result<(), ConnectOutcome> {
        let missing: Vec<&str> = REQUIRED_SCOPES
            .iter()
            .copied()
            .filter(|s| {
                self.scopes.iter().any(|asked| asked == s) && !info.scopes.iter().any(|g| g == s)
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        // /me/permissions names what was declined, which reads better than what is merely absent.
        let declined = self
            .graph
            .declined_permissions(token)
            .await
            .unwrap_or_default();
        let named: Vec<&str> = match missing
            .iter()
            .copied()
            .filter(|m| declined.iter().any(|d| d == m))
            .collect::<Vec<_>>()
        {
            d if d.is_empty() => missing,
            d => d,
        };
        Err(failed(
            &format!("Facebook did not grant a permission we need: {}.", named.join(", ")),
            "Connect again and keep every permission ticked: without them we cannot publish for you.",
        ))
    }

    /// Every Instagram Business Account behind the person's Pages that can publish; the rest
    /// are named with the reason (docs/graph-api.md §4: one failing business or Page is skipped,
    /// never fatal).
    async fn discover(
        &self,
        token: &str,
        info: &TokenInfo,
    ) -> Result<(Vec<(Page, IgUser)>, Vec<Skipped>), ConnectOutcome> {
        let with_businesses = info.scopes.iter().any(|s| s == "business_management");
        let found = self
            .graph
            .pages(token, with_businesses)
            .await
            .map_err(|e| graph_failed(LoginKind::Facebook, e))?;
        let mut skipped: Vec<Skipped> = found
            .skipped
            .into_iter()
            .map(|(what, why)| {
                Skipped::new(what, format!("Facebook would not list its Pages ({why})."))
            })
            .collect();
        if found.pages.is_empty() {
            return Err(failed(
                "No Facebook pages found.",
                "Your Instagram account must be linked to a Facebook Page you manage. Make sure you have one, \
                 and select it when Facebook asks which Pages to share, then connect again.",
            ));
        }
        let mut accounts = Vec::new();
        let mut linked = 0;
        for page in found.pages {
            let Some(ig_id) = page.instagram_account_id.clone() else {
                continue;
            };
            linked += 1;
            if !page.allows_publishing() {
                skipped.push(Skipped::page(
                    &page,
                    "your role on this Page does not allow publishing. Ask a Page admin for the \
                     \"Manage\" or \"Create content\" task (Page settings > Page access), then connect again.",
                ));
                continue;
            }
            // Read with the Page's token when there is one: it is what publishing will use.
            let reader = page.access_token.as_deref().unwrap_or(token);
            match self.graph.ig_user(reader, &ig_id).await {
                Ok(user) => accounts.push((page, user)),
                Err(e) if e.class() == ErrorClass::Retryable || e.is_ambiguous() => {
                    return Err(graph_failed(LoginKind::Facebook, e))
                }
                Err(e) => {
                    tracing::warn!(page = %page.id, error = %e, "instagram account of a page could not be read");
                    skipped.push(Skipped::page(&page, &format!(
                        "Instagram did not let us read its account ({}). If the Page belongs to a business \
                         portfolio, make sure you chose it when Facebook asked, then connect again.",
                        e.message()
                    )));
                }
            }
        }
        if linked == 0 {
            return Err(failed(
                "No Instagram Business Account found.",
                "None of your Facebook Pages has an Instagram account linked. In the Instagram app, switch to a \
                 Business or Creator account and link it to your Facebook Page (Page settings > Linked accounts), \
                 then connect again.",
            ));
        }
        if accounts.is_empty() {
            return Err(ConnectOutcome::nothing_connected(skipped));
        }
        Ok((accounts, skipped))
    }
}

/// Token expiry from `debug_token` (0 means never), else from `expires_in`.
fn expiry(
    expires_at: Option<i64>,
    expires_in: Option<i64>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match expires_at {
        Some(0) => None,
        Some(t) => chrono::DateTime::from_timestamp(t, 0),
        None => expires_in.map(|s| clock::now() + TimeDelta::seconds(s)),
    }
}

pub(super) fn failed(message: &str, hint: &str) -> ConnectOutcome {
    ConnectOutcome::failed(message, hint)
}

/// Why the dialog sent the person back without a code, when it did (docs/graph-api.md §2,
/// "Callback"): `error=access_denied`, `error_code=4201` without `error`, and the rest.
fn dialog_refusal(params: &CallbackParams, login: LoginKind) -> Option<ConnectOutcome> {
    let platform = login.platform();
    let clean = |s: &str, keep: fn(char) -> bool| {
        s.chars().filter(|c| keep(*c)).take(64).collect::<String>()
    };
    let error = params
        .error
        .as_deref()
        .map(|e| clean(e, |c| c.is_ascii_alphanumeric() || c == '_'));
    let code = params
        .error_code
        .as_deref()
        .map(|c| clean(c, |c| c.is_ascii_digit()));
    let said = params
        .error_description
        .as_deref()
        .or(params.error_message.as_deref())
        .map(|d| d.chars().take(200).collect::<String>());
    match (error.as_deref(), code.as_deref()) {
        (None, None) => None,
        (Some("access_denied"), _) => Some(failed(
            "OAuth error: access_denied",
            &format!(
                "You cancelled or declined on {platform}, so nothing was connected. Try again and click {} to allow access.",
                login.consent_button()
            ),
        )),
        (None, Some("4201")) => Some(failed(
            "OAuth error: the Facebook sign-in was cancelled (4201)",
            "Nothing was connected. Try again and finish the Facebook steps. If you did not cancel, the Facebook \
             App may still be in development mode, where only people with a role on the app can connect: ask your \
             administrator.",
        )),
        (error, code) => Some(failed(
            &format!("OAuth error: {}", error.or(code).unwrap_or_default()),
            &format!(
                "{platform} ended the sign-in{}. Try again; if it keeps happening, contact support.",
                said.map(|d| format!(" ({d})")).unwrap_or_default()
            ),
        )),
    }
}

/// A Graph failure during the flow, in the customer's words.
pub(super) fn graph_failed(login: LoginKind, e: GraphError) -> ConnectOutcome {
    tracing::warn!(error = %e, login = login.as_str(), "graph call failed during connect");
    let settings = format!(
        "The service's {} app settings are wrong. Ask your administrator to check {}.",
        login.platform(),
        login.app_settings()
    );
    let silent = format!(
        "{} did not answer properly. Try again in a moment.",
        login.platform()
    );
    let hint = match (e.code(), e.subcode()) {
        (Some(100), Some(36009)) => "This sign-in was already used. Start again with \"Connect Instagram Account\".",
        (Some(100), Some(36007)) => "The sign-in took too long and expired. Start again.",
        (Some(100), Some(36008)) => "The app's redirect URI does not match the one registered with Facebook. Ask your administrator to check INSTAGRAM_REDIRECT_URI.",
        (Some(190 | 102), _) => AuthCause::from_graph(e.code(), e.subcode()).map_or("Connect again.", AuthCause::advice),
        (Some(1 | 101), _) => &settings,
        _ if e.is_ambiguous() || e.class() == ErrorClass::Retryable => &silent,
        _ => "Try again. If it keeps failing, reconnect from a browser signed in to the right Facebook account.",
    };
    failed(
        &format!(
            "{} refused the connection: {}",
            login.platform(),
            e.message()
        ),
        hint,
    )
}
