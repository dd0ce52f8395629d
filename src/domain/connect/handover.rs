//! Flows the platform starts through the JSON API (docs/security.md O10). Such a flow belongs to
//! the customer and user whose JWT started it, and only a browser that proves it is theirs may take
//! it to Facebook: a browser signed in here as that same customer and user, or the popup the
//! platform's own page (an allow-listed origin) binds by posting the flow's one-time secret. A link
//! alone binds nothing, signs nobody in and completes nothing: whoever else opens it is refused,
//! and nothing is stored.

use chrono::{DateTime, TimeDelta, Utc};

use super::{ConnectService, PendingFlow, ReturnMode, StartedFlow, STATE_TTL_MINUTES};
use crate::{
    crypto::{random_token, sha256_hex},
    domain::{accounts::LoginKind, clock, tenant::Tenant, DomainError},
};

/// What the platform's API server gets for a flow it starts.
#[derive(Debug, Clone)]
pub struct InitiatedFlow {
    pub flow_id: String,
    /// The one-time secret the platform's page posts to bind its popup (never stored in clear).
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// The browser asking to continue a flow: whom it is signed in as here, and its binding secrets
/// (its session's, and the one a platform page's bind gave it).
#[derive(Debug, Clone, Copy, Default)]
pub struct Browser<'a> {
    pub signed_in: Option<&'a Tenant>,
    pub session_binding: Option<&'a str>,
    pub flow_binding: Option<&'a str>,
}

const NOT_YOURS: &str = "This connection link can only be used in the browser of the person who \
    started it, signed in to the platform as them. Nothing was changed. Start again from the \
    platform's \"Connect Instagram Account\".";
const GONE: &str = "This connection link is invalid, was already used or has expired. Nothing \
    was changed. Start again from the platform's \"Connect Instagram Account\".";

impl Browser<'_> {
    /// The binding secret with which this browser may take `flow` to Facebook, if any.
    fn binding_for(&self, flow: &PendingFlow) -> Option<String> {
        if self.signed_in == Some(&flow.tenant) {
            return self.session_binding.map(String::from);
        }
        let bound = flow.bound_to.as_deref()?;
        self.flow_binding
            .filter(|b| sha256_hex(b.as_bytes()) == bound)
            .map(String::from)
    }
}

impl ConnectService {
    /// Starts a flow for `tenant` that no browser holds yet.
    pub async fn initiate(
        &self,
        tenant: &Tenant,
        mode: ReturnMode,
        login: LoginKind,
    ) -> Result<InitiatedFlow, DomainError> {
        self.require(login)?;
        let secret = random_token(32);
        let now = clock::now();
        let flow = PendingFlow {
            flow_id: random_token(12),
            tenant: tenant.clone(),
            secret_hash: sha256_hex(secret.as_bytes()),
            bound_to: None,
            return_mode: mode,
            created_at: now,
            expires_at: now + TimeDelta::minutes(STATE_TTL_MINUTES),
            login,
        };
        self.states.insert_pending(&flow).await?;
        Ok(InitiatedFlow {
            flow_id: flow.flow_id,
            secret,
            expires_at: flow.expires_at,
        })
    }

    /// The flow, when this browser may continue it (the consent page names its customer).
    pub async fn pending_for(
        &self,
        flow_id: &str,
        browser: Browser<'_>,
    ) -> Result<PendingFlow, DomainError> {
        let flow = self.pending(flow_id).await?;
        match browser.binding_for(&flow) {
            Some(_) => Ok(flow),
            None => Err(refuse_browser(&flow)),
        }
    }

    /// Binds the flow to the browser whose binding secret is `browser_binding`, with the flow's
    /// one-time `secret` (posted by the platform's page).
    pub async fn bind(
        &self,
        flow_id: &str,
        secret: &str,
        browser_binding: &str,
    ) -> Result<PendingFlow, DomainError> {
        let secret_ok = secret.len() <= 256
            && self
                .states
                .bind_pending(
                    flow_id,
                    &sha256_hex(secret.as_bytes()),
                    &sha256_hex(browser_binding.as_bytes()),
                    clock::now(),
                )
                .await?;
        if !secret_ok {
            tracing::warn!(target: "security", flow = %flow_id, "connect flow bind refused: wrong, used or expired secret");
            return Err(DomainError::Forbidden(GONE.into()));
        }
        self.pending(flow_id).await
    }

    /// Takes the flow to Facebook for this browser: the OAuth state is made now, bound to it.
    pub async fn continue_pending(
        &self,
        flow_id: &str,
        browser: Browser<'_>,
    ) -> Result<StartedFlow, DomainError> {
        let flow = self.pending(flow_id).await?;
        let binding = browser
            .binding_for(&flow)
            .ok_or_else(|| refuse_browser(&flow))?;
        let flow = self
            .states
            .start_pending(flow_id, clock::now())
            .await?
            .ok_or_else(|| DomainError::Forbidden(GONE.into()))?;
        self.begin(
            &flow.tenant,
            &binding,
            flow.return_mode,
            flow.flow_id,
            flow.login,
        )
        .await
    }

    async fn pending(&self, flow_id: &str) -> Result<PendingFlow, DomainError> {
        if flow_id.len() > 64 {
            return Err(DomainError::Forbidden(GONE.into()));
        }
        self.states
            .pending(flow_id, clock::now())
            .await?
            .ok_or_else(|| DomainError::Forbidden(GONE.into()))
    }
}

fn refuse_browser(flow: &PendingFlow) -> DomainError {
    tracing::warn!(target: "security", flow = %flow.flow_id, "connect flow refused: another browser");
    DomainError::Forbidden(NOT_YOURS.into())
}
