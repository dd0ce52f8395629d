//! The daily health check of every connected account (docs/graph-api.md §3, "Safe: debug_token
//! daily"): asks Meta about the token each account publishes with, and keeps the account's state
//! true — active, expiring soon, or needing a reconnect with its cause — before a post finds out.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};

use super::{Account, AccountStore, AuthCause, HealthCheck, LoginKind};
use crate::{
    crypto::KeyRing,
    domain::{
        clock,
        connect::{InstagramLoginGraph, LoginGraph, TokenInfo},
        DomainError,
    },
};

/// Permissions publishing cannot do without; one gone means a reconnect with `rerequest`.
const PUBLISHING_SCOPES: [&str; 2] = ["instagram_basic", "instagram_content_publish"];

/// How often and how gently the sweep runs.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// An account is checked again this long after its last check.
    pub every: Duration,
    /// The wait between two accounts' checks: `debug_token` counts against the app's rate limit.
    pub pace: Duration,
    /// Accounts read from the store at a time.
    pub batch: usize,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: usize,
    /// Accounts found needing a reconnect.
    pub broken: usize,
    /// Accounts that could not be checked this time (Meta did not answer); tried next pass.
    pub unchecked: usize,
}

#[derive(Clone)]
pub struct HealthSweep {
    pub(super) accounts: Arc<dyn AccountStore>,
    graph: Arc<dyn LoginGraph>,
    /// Instagram Login's endpoints, to check and renew its accounts' tokens, when configured.
    pub(super) instagram: Option<Arc<dyn InstagramLoginGraph>>,
    pub(super) keys: KeyRing,
    pub(super) config: SweepConfig,
}

/// What Meta's answer means for an account.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Healthy(HealthCheck),
    Broken(AuthCause, String),
}

impl HealthSweep {
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        graph: Arc<dyn LoginGraph>,
        keys: KeyRing,
        config: SweepConfig,
    ) -> Self {
        Self {
            accounts,
            graph,
            instagram: None,
            keys,
            config,
        }
    }

    /// Checks and renews accounts connected with Instagram Login too.
    pub fn with_instagram_login(mut self, graph: Arc<dyn InstagramLoginGraph>) -> Self {
        self.instagram = Some(graph);
        self
    }

    pub fn config(&self) -> &SweepConfig {
        &self.config
    }

    /// Checks every account due, paced; returns what it did.
    pub async fn run_once(&self) -> Result<SweepReport, DomainError> {
        let every = TimeDelta::from_std(self.config.every).unwrap_or(TimeDelta::days(1));
        self.run_pass(clock::now() - every).await
    }

    /// Checks every account not checked since now, whatever the interval: what an operator (or
    /// a test) asks for after a change at Meta.
    pub async fn run_now(&self) -> Result<SweepReport, DomainError> {
        self.run_pass(clock::now()).await
    }

    /// Checks the accounts last checked before `checked_before`, batch by batch.
    async fn run_pass(&self, checked_before: DateTime<Utc>) -> Result<SweepReport, DomainError> {
        let mut report = SweepReport::default();
        loop {
            let due = self
                .accounts
                .due_for_check(checked_before, self.config.batch)
                .await?;
            if due.is_empty() {
                return Ok(report);
            }
            for account in &due {
                match self.check(account).await {
                    Ok(true) => report.checked += 1,
                    Ok(false) => {
                        report.checked += 1;
                        report.broken += 1;
                    }
                    Err(()) => report.unchecked += 1,
                }
                tokio::time::sleep(self.config.pace).await;
            }
            // Accounts that could not be checked stay due; stop rather than ask again at once.
            if report.unchecked > 0 || due.len() < self.config.batch {
                return Ok(report);
            }
        }
    }

    /// One account: `Ok(true)` healthy, `Ok(false)` needs a reconnect, `Err` unknown for now.
    async fn check(&self, account: &Account) -> Result<bool, ()> {
        if account.login == LoginKind::Instagram {
            return self.check_instagram(account).await;
        }
        let now = clock::now();
        let token = match self.opened(account, account.open_token(&self.keys)).await {
            Ok(t) => t,
            Err(verdict) => return verdict,
        };
        // `debug_token` is asked with the app's token: an error is about the call (or the app),
        // never about this account's token, whose verdict is in the answer's `is_valid`.
        let info = match self.graph.debug_token(&token).await {
            Ok(info) => info,
            Err(e) => {
                tracing::warn!(account = %account.id, error = %e, "health check: Meta did not answer");
                return Err(());
            }
        };
        match verdict(account, &info, now) {
            Verdict::Healthy(check) => {
                if let Err(e) = self
                    .accounts
                    .record_check(&account.tenant, &account.id, &check)
                    .await
                {
                    tracing::warn!(account = %account.id, error = %e, "health check: not saved");
                    return Err(());
                }
                Ok(true)
            }
            Verdict::Broken(cause, _) => self.mark(account, cause, now).await.map(|_| false),
        }
    }

    /// The token to ask about; when it does not open, the account is marked and the check's
    /// verdict is returned instead.
    pub(super) async fn opened(
        &self,
        account: &Account,
        token: Result<String, DomainError>,
    ) -> Result<String, Result<bool, ()>> {
        match token {
            Ok(t) => Ok(t),
            Err(e) => {
                tracing::error!(account = %account.id, error = %e, "health check: the token does not open");
                let marked = self.mark(account, AuthCause::Invalid, clock::now()).await;
                Err(marked.map(|_| false))
            }
        }
    }

    pub(super) async fn mark(
        &self,
        account: &Account,
        cause: AuthCause,
        now: DateTime<Utc>,
    ) -> Result<(), ()> {
        tracing::info!(account = %account.id, cause = cause.as_str(), "health check: account needs reconnecting");
        self.accounts
            .mark_needs_reconnect(&account.tenant, &account.id, cause, &cause.reason(), now)
            .await
            .map(|_| ())
            .map_err(
                |e| tracing::warn!(account = %account.id, error = %e, "health check: not saved"),
            )
    }
}

fn timestamp(unix: Option<i64>) -> Option<DateTime<Utc>> {
    unix.filter(|t| *t > 0)
        .and_then(|t| DateTime::from_timestamp(t, 0))
}

/// Reads `debug_token`'s answer for the token `account` publishes with.
fn verdict(account: &Account, info: &TokenInfo, now: DateTime<Utc>) -> Verdict {
    if !info.is_valid {
        let cause = info
            .error
            .as_ref()
            .and_then(|e| AuthCause::from_graph(e.code.or(Some(190)), e.subcode))
            .unwrap_or(AuthCause::Invalid);
        let said = info
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        return Verdict::Broken(cause, said);
    }
    let expires_at = timestamp(info.expires_at);
    if expires_at.is_some_and(|at| at <= now) {
        return Verdict::Broken(AuthCause::Expired, String::new());
    }
    let data_access = timestamp(info.data_access_expires_at);
    if data_access.is_some_and(|at| at <= now) {
        return Verdict::Broken(AuthCause::DataAccessExpired, String::new());
    }
    // Some tokens (Page tokens) list no scopes; only a list without a needed one is a removal.
    let missing = !info.scopes.is_empty()
        && PUBLISHING_SCOPES
            .iter()
            .any(|s| !info.scopes.iter().any(|g| g == s));
    if missing {
        return Verdict::Broken(AuthCause::PermissionRemoved, String::new());
    }
    Verdict::Healthy(HealthCheck {
        checked_at: now,
        // The Page token's "never" does not change the user token's expiry.
        token_expires_at: match account.page_token.is_some() {
            true => account.token_expires_at,
            false => expires_at,
        },
        data_access_expires_at: data_access.or(account.data_access_expires_at),
        scopes: match info.scopes.is_empty() {
            true => account.scopes.clone(),
            false => info.scopes.clone(),
        },
        renewal_error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connect::TokenFault;

    fn account(page_token: bool) -> Account {
        let now = clock::now();
        Account {
            id: "a".into(),
            tenant: crate::domain::tenant::Tenant::stored("c".to_string(), "u".to_string())
                .unwrap(),
            instagram_user_id: "1".into(),
            instagram_username: "x".into(),
            instagram_name: None,
            profile_picture_url: None,
            app_id: "1".into(),
            facebook_page_id: "2".into(),
            facebook_page_name: "P".into(),
            access_token: Some(vec![1]),
            page_token: page_token.then(|| vec![2]),
            facebook_user_id: None,
            token_expires_at: Some(now + TimeDelta::days(10)),
            data_access_expires_at: None,
            scopes: vec!["instagram_basic".into()],
            is_active: true,
            is_authenticated: true,
            auth_error: None,
            auth_cause: None,
            checked_at: None,
            login: LoginKind::Facebook,
            renewal_error: None,
            stories_refused: false,
            created_at: now,
            updated_at: now,
            created_by: "u".into(),
            updated_by: "u".into(),
        }
    }

    fn valid(expires_at: i64, data_access: i64, scopes: &[&str]) -> TokenInfo {
        TokenInfo {
            is_valid: true,
            expires_at: Some(expires_at),
            data_access_expires_at: Some(data_access),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            user_id: None,
            error: None,
        }
    }

    #[test]
    fn a_dead_token_is_broken_for_the_cause_meta_names() {
        let now = clock::now();
        for (subcode, cause) in [
            (Some(460), AuthCause::PasswordChanged),
            (Some(458), AuthCause::AppRemoved),
            (Some(463), AuthCause::Expired),
            (Some(492), AuthCause::PageRoleLost),
            (None, AuthCause::Invalid),
        ] {
            let info = TokenInfo {
                is_valid: false,
                error: Some(TokenFault {
                    code: Some(190),
                    subcode,
                    message: "m".into(),
                }),
                ..TokenInfo::default()
            };
            assert!(
                matches!(verdict(&account(true), &info, now), Verdict::Broken(c, _) if c == cause),
                "{subcode:?}"
            );
        }
    }

    #[test]
    fn a_page_token_that_never_expires_keeps_the_user_logins_expiry() {
        let now = clock::now();
        let later = (now + TimeDelta::days(80)).timestamp();
        let a = account(true);
        let Verdict::Healthy(check) = verdict(&a, &valid(0, later, &[]), now) else {
            panic!("healthy")
        };
        assert_eq!(check.token_expires_at, a.token_expires_at);
        assert_eq!(
            check.data_access_expires_at.map(|t| t.timestamp()),
            Some(later)
        );
        assert_eq!(
            check.scopes, a.scopes,
            "a token listing no scopes keeps the known ones"
        );
    }

    #[test]
    fn lapsed_data_access_and_a_removed_permission_need_a_reconnect() {
        let now = clock::now();
        let past = (now - TimeDelta::days(1)).timestamp();
        let future = (now + TimeDelta::days(30)).timestamp();
        assert!(matches!(
            verdict(&account(false), &valid(future, past, &[]), now),
            Verdict::Broken(AuthCause::DataAccessExpired, _)
        ));
        assert!(matches!(
            verdict(
                &account(false),
                &valid(future, future, &["instagram_basic"]),
                now
            ),
            Verdict::Broken(AuthCause::PermissionRemoved, _)
        ));
        assert!(matches!(
            verdict(&account(false), &valid(past, future, &[]), now),
            Verdict::Broken(AuthCause::Expired, _)
        ));
    }
}
