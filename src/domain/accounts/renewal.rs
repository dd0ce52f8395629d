//! Keeping Instagram Login accounts connected (docs/graph-api.md §3, "Instagram refresh"): their
//! token lasts 60 days and only we can renew it, so the health sweep renews it well before it
//! ends, retries what Meta did not answer, and shows the customer a renewal that keeps failing.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{seal_token, Account, AuthCause, HealthCheck, HealthSweep, TokenKind};
use crate::domain::{
    clock,
    connect::InstagramLoginGraph,
    graph::{ErrorClass, GraphError},
};

/// A token is renewed once this little of its 60 days is left: about a month after the last
/// renewal (far past Meta's 24-hour minimum), which leaves a daily sweep thirty chances.
pub const RENEW_WHEN_DAYS_LEFT: i64 = 30;
/// Tries of one renewal when Meta does not answer or asks to retry.
const ATTEMPTS: u32 = 3;
/// A renewed token lasts 60 days when Meta does not say.
const RENEWED_FOR_DAYS: i64 = 60;

/// How one renewal ended.
enum Renewal {
    Renewed,
    /// The token is dead: the account needs a new login.
    Dead(AuthCause),
    /// Not renewed this time, in the customer's words; tried again next pass.
    Failed(String),
}

impl HealthSweep {
    /// One Instagram Login account: renew its token when due, else ask `/me` whether it works.
    pub(super) async fn check_instagram(&self, account: &Account) -> Result<bool, ()> {
        let now = clock::now();
        let Some(graph) = self.instagram.clone() else {
            // Instagram Login was configured when the account connected and is not now.
            return self
                .record(
                    account,
                    now,
                    Some("Instagram Login is no longer configured on this service, so the login cannot be renewed. Ask your administrator.".into()),
                )
                .await
                .map(|_| true);
        };
        let token = match self
            .opened(account, account.open(&self.keys, TokenKind::User))
            .await
        {
            Ok(t) => t,
            Err(verdict) => return verdict,
        };
        let mut renewal_error = None;
        if due_for_renewal(account, now) {
            match self.renew(graph.as_ref(), account, &token).await {
                Renewal::Renewed => return Ok(true),
                Renewal::Dead(cause) => return self.mark(account, cause, now).await.map(|_| false),
                Renewal::Failed(why) => renewal_error = Some(why),
            }
        }
        match graph.me(&token).await {
            Ok(_) => self.record(account, now, renewal_error).await.map(|_| true),
            Err(e) => match AuthCause::from_graph(e.code(), e.subcode()) {
                Some(cause) => self.mark(account, cause, now).await.map(|_| false),
                None => {
                    tracing::warn!(account = %account.id, error = %e, "health check: Instagram did not answer");
                    if renewal_error.is_some() {
                        // The failed renewal is news the customer should see now.
                        let _ = self.record(account, now, renewal_error).await;
                    }
                    Err(())
                }
            },
        }
    }

    /// Asks for a new token, retrying what may pass, and stores it in place of the old one.
    async fn renew(
        &self,
        graph: &dyn InstagramLoginGraph,
        account: &Account,
        token: &str,
    ) -> Renewal {
        let mut wait = self.config.pace.max(Duration::from_millis(200));
        for attempt in 1..=ATTEMPTS {
            let e = match graph.refresh(token).await {
                Ok(renewed) => {
                    return self
                        .store_renewed(account, &renewed.token, renewed.expires_in)
                        .await
                }
                Err(e) => e,
            };
            if let Some(cause) = AuthCause::from_graph(e.code(), e.subcode()) {
                return Renewal::Dead(cause);
            }
            let may_pass = e.class() == ErrorClass::Retryable || e.is_ambiguous();
            tracing::warn!(account = %account.id, attempt, error = %e, "renewing an Instagram login failed");
            if !may_pass || attempt == ATTEMPTS {
                return Renewal::Failed(failure_reason(account, &e));
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        Renewal::Failed(String::new())
    }

    async fn store_renewed(
        &self,
        account: &Account,
        token: &str,
        expires_in: Option<i64>,
    ) -> Renewal {
        let now = clock::now();
        let old = account.access_token.as_deref().unwrap_or_default();
        let new = seal_token(
            &self.keys,
            &account.tenant,
            &account.instagram_user_id,
            TokenKind::User,
            token,
        );
        let days = TimeDelta::days(RENEWED_FOR_DAYS);
        let expires_at = now
            + expires_in
                .filter(|s| *s > 0)
                .map_or(days, TimeDelta::seconds);
        match self
            .accounts
            .renew_token(
                &account.tenant,
                &account.id,
                old,
                &new,
                Some(expires_at),
                now,
            )
            .await
        {
            Ok(true) => {
                tracing::info!(account = %account.id, "instagram login renewed");
                Renewal::Renewed
            }
            // A reconnect or disconnect came first: its token stands.
            Ok(false) => Renewal::Renewed,
            Err(e) => {
                tracing::warn!(account = %account.id, error = %e, "a renewed instagram login was not saved");
                Renewal::Failed(
                    "The renewed Instagram login could not be saved; we try again tomorrow.".into(),
                )
            }
        }
    }

    /// Stores a check of a working login, with the renewal's failure if there was one.
    async fn record(
        &self,
        account: &Account,
        now: DateTime<Utc>,
        renewal_error: Option<String>,
    ) -> Result<(), ()> {
        let check = HealthCheck {
            checked_at: now,
            token_expires_at: account.token_expires_at,
            data_access_expires_at: None,
            scopes: account.scopes.clone(),
            renewal_error,
        };
        self.accounts
            .record_check(&account.tenant, &account.id, &check)
            .await
            .map(|_| ())
            .map_err(
                |e| tracing::warn!(account = %account.id, error = %e, "health check: not saved"),
            )
    }
}

/// Whether the token's end is near enough to renew it.
fn due_for_renewal(account: &Account, now: DateTime<Utc>) -> bool {
    account
        .token_expires_at
        .is_some_and(|at| at > now && at - now <= TimeDelta::days(RENEW_WHEN_DAYS_LEFT))
}

fn failure_reason(account: &Account, e: &GraphError) -> String {
    let until = account
        .token_expires_at
        .map(|at| format!(" The current login works until {}.", at.format("%Y-%m-%d")))
        .unwrap_or_default();
    format!(
        "Instagram did not renew the login ({}).{until}",
        e.message().trim_end_matches('.')
    )
}
