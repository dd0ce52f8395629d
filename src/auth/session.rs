//! Browser sessions: tower-sessions over our own storage (no maintained MongoDB store exists for
//! tower-sessions 0.15, see docs/style.md), the port that storage implements, and what a session
//! holds.
//!
//! Cookies are HttpOnly, SameSite=Lax (so the redirect back from Facebook still carries them), Path=/,
//! without Domain; outside plain-http development they are Secure with the `__Host-` prefix.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tower_sessions::{
    cookie::SameSite,
    session::{Id, Record},
    session_store::{self, Error as StoreError},
    Expiry, Session, SessionManagerLayer,
};

use crate::{
    crypto::{random_token, sha256_hex},
    domain::{clock, store::StoreResult, tenant::Tenant, StoreError as PortError},
    telemetry::chain,
};

/// A browser session as the store keeps it; `id_hash` is the SHA-256 of the cookie's id, so a
/// leaked database holds no usable session ids. The signed-in tenant is kept beside the data, so
/// the platform can end a user's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub data: String,
    pub expires_at: DateTime<Utc>,
    pub tenant: Option<Tenant>,
}

/// The port sessions need from storage (`sessions`), behind tower-sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a new session; `false` when the id is taken.
    async fn create(&self, record: &SessionRecord) -> StoreResult<bool>;
    async fn save(&self, record: &SessionRecord) -> StoreResult<()>;
    /// The session, unless it has expired.
    async fn load(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<SessionRecord>>;
    async fn delete(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes every session signed in as `tenant`; how many there were.
    async fn delete_for(&self, tenant: &Tenant) -> StoreResult<u64>;
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

const CUSTOMER_ID: &str = "customer_id";
const USER_ID: &str = "user_id";
/// A random secret that ties OAuth flows to this browser (docs/security.md O2).
const OAUTH_BINDING: &str = "oauth_binding";
/// Unix seconds after which the sign-in no longer counts: the JWT's `exp`, or the absolute
/// lifetime, whichever comes first (docs/security.md S1).
const VALID_UNTIL: &str = "valid_until";
/// A refusal kept for the page a browser without JavaScript returns to (docs/security.md U1).
const FLASH: &str = "flash";
/// Unix seconds when the session's idle expiry was last pushed out (see [`keep_alive`]).
const RENEWED_AT: &str = "renewed_at";
/// Sessions end after this long without a request.
const IDLE_HOURS: i64 = 12;
/// A session is written back to push its idle expiry out at most this often. Reading a page
/// otherwise writes nothing: a write per page view was a commit, a thread switch and a cookie on
/// every response. The idle lifetime is therefore exact to within this much.
const RENEW_EVERY_SECONDS: i64 = 10 * 60;

/// The session store tower-sessions talks to, backed by whichever storage the service runs on.
#[derive(Clone)]
pub struct SessionBackend {
    store: Arc<dyn SessionStore>,
}

impl std::fmt::Debug for SessionBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionBackend")
    }
}

impl SessionBackend {
    pub fn new(store: Arc<dyn SessionStore>) -> Self {
        Self { store }
    }
}

/// The store keys sessions by the SHA-256 of their id: a leaked table holds no usable cookie.
fn id_hash(id: &Id) -> String {
    sha256_hex(id.to_string().as_bytes())
}

fn to_record(r: &Record) -> session_store::Result<SessionRecord> {
    let text = |key: &str| r.data.get(key).and_then(|v| v.as_str()).map(String::from);
    Ok(SessionRecord {
        id_hash: id_hash(&r.id),
        data: serde_json::to_string(&r.data).map_err(|e| StoreError::Encode(e.to_string()))?,
        expires_at: DateTime::from_timestamp(r.expiry_date.unix_timestamp(), 0).unwrap_or_default(),
        tenant: match (text(CUSTOMER_ID), text(USER_ID)) {
            (Some(c), Some(u)) => Tenant::new(c, u).ok(),
            _ => None,
        },
    })
}

fn backend(e: PortError) -> StoreError {
    StoreError::Backend(chain(&e))
}

#[async_trait]
impl tower_sessions::SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit id colliding is next to impossible; if it happens, draw another.
        while !self
            .store
            .create(&to_record(record)?)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save(&to_record(record)?).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(found) = self
            .store
            .load(&id_hash(id), clock::now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(found.expires_at.timestamp())
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        let data =
            serde_json::from_str(&found.data).map_err(|e| StoreError::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete(&id_hash(id)).await.map_err(backend)
    }
}

/// The session layer with the cookie rules above.
pub fn layer(store: Arc<dyn SessionStore>, secure: bool) -> SessionManagerLayer<SessionBackend> {
    let name = if secure {
        "__Host-smu_session"
    } else {
        "smu_session"
    };
    SessionManagerLayer::new(SessionBackend::new(store))
        .with_name(name)
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(IDLE_HOURS)))
}

#[derive(Debug, thiserror::Error)]
#[error("session storage failed: {0}")]
pub struct SessionError(String);

fn session_err(e: tower_sessions::session::Error) -> SessionError {
    SessionError(e.to_string())
}

/// The signed-in tenant, if any. A sign-in past its validity (its JWT expired, or the absolute
/// lifetime passed) ends here: the session is emptied and the browser is signed out.
pub async fn tenant(session: &Session) -> Result<Option<Tenant>, SessionError> {
    let customer: Option<String> = session.get(CUSTOMER_ID).await.map_err(session_err)?;
    let user: Option<String> = session.get(USER_ID).await.map_err(session_err)?;
    let (Some(customer), Some(user)) = (customer, user) else {
        return Ok(None);
    };
    let valid_until: Option<i64> = session.get(VALID_UNTIL).await.map_err(session_err)?;
    let now = Utc::now().timestamp();
    if valid_until.is_none_or(|t| now >= t) {
        session.flush().await.map_err(session_err)?;
        return Ok(None);
    }
    keep_alive(session, now).await?;
    Ok(Tenant::new(customer, user).ok())
}

/// Marks a signed-in session for saving (which pushes its idle expiry out) when it was last
/// renewed [`RENEW_EVERY_SECONDS`] ago or more; otherwise leaves it untouched, so the request
/// writes nothing.
async fn keep_alive(session: &Session, now: i64) -> Result<(), SessionError> {
    let renewed_at: Option<i64> = session.get(RENEWED_AT).await.map_err(session_err)?;
    if needs_renewal(renewed_at, now) {
        session.insert(RENEWED_AT, now).await.map_err(session_err)?;
    }
    Ok(())
}

fn needs_renewal(renewed_at: Option<i64>, now: i64) -> bool {
    renewed_at.is_none_or(|t| now - t >= RENEW_EVERY_SECONDS)
}

/// Signs the browser in as `tenant` until `valid_until`, with a new session id (no fixation).
pub async fn sign_in(
    session: &Session,
    tenant: &Tenant,
    valid_until: DateTime<Utc>,
) -> Result<(), SessionError> {
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(VALID_UNTIL, valid_until.timestamp())
        .await
        .map_err(session_err)?;
    session
        .insert(CUSTOMER_ID, tenant.customer_id())
        .await
        .map_err(session_err)?;
    session
        .insert(USER_ID, tenant.user_id())
        .await
        .map_err(session_err)?;
    session
        .insert(OAUTH_BINDING, random_token(32))
        .await
        .map_err(session_err)?;
    session
        .insert(RENEWED_AT, Utc::now().timestamp())
        .await
        .map_err(session_err)?;
    Ok(())
}

/// Keeps a refusal for the next page this browser opens (it shows once).
pub async fn keep_flash(session: &Session, flash: &crate::dto::Flash) -> Result<(), SessionError> {
    session.insert(FLASH, flash).await.map_err(session_err)
}

/// The refusal kept for this page, taken so it shows once. Only a session that holds one is
/// changed (removing marks a session for saving, even when nothing was there).
pub async fn take_flash(session: &Session) -> Option<crate::dto::Flash> {
    let flash = session
        .get::<crate::dto::Flash>(FLASH)
        .await
        .ok()
        .flatten()?;
    if let Err(e) = session.remove_value(FLASH).await {
        tracing::warn!(error = %e, "could not take a refusal shown on the page");
    }
    Some(flash)
}

pub async fn sign_out(session: &Session) -> Result<(), SessionError> {
    session.flush().await.map_err(session_err)
}

/// This browser's OAuth binding secret (made at sign-in).
pub async fn oauth_binding(session: &Session) -> Result<Option<String>, SessionError> {
    session.get(OAUTH_BINDING).await.map_err(session_err)
}

/// Ends every browser session signed in as `tenant` (the platform's server-to-server sign-out).
pub async fn end_all(store: &dyn SessionStore, tenant: &Tenant) -> Result<u64, PortError> {
    store.delete_for(tenant).await
}

/// Removes sessions that ended; loading already ignores them, this only frees space.
pub async fn purge_expired(store: &dyn SessionStore) -> Result<u64, PortError> {
    store.purge_expired(Utc::now()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_renewed_at_most_every_ten_minutes() {
        let now = 1_800_000_000;
        assert!(needs_renewal(None, now), "a session from before renewals");
        assert!(!needs_renewal(Some(now), now));
        assert!(!needs_renewal(Some(now - RENEW_EVERY_SECONDS + 1), now));
        assert!(needs_renewal(Some(now - RENEW_EVERY_SECONDS), now));
    }
}
