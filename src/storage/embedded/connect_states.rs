//! Started connect flows in SQLite (`oauth_states`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{conversion, json_err, parse_ts, sql_err, ts, Cached, EmbeddedStore};
use crate::domain::{
    accounts::LoginKind,
    connect::{ConnectOutcome, ConnectStateStore, OAuthState, PendingFlow, ReturnMode},
    store::StoreResult as Result,
    tenant::Tenant,
};

const FLOW_COLUMNS: &str =
    "flow_id, customer_id, user_id, secret_hash, bound_to, return_mode, created_at, expires_at, login";

fn flow_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingFlow> {
    let mode: String = r.get(5)?;
    Ok(PendingFlow {
        flow_id: r.get(0)?,
        tenant: Tenant::stored(r.get::<_, String>(1)?, r.get::<_, String>(2)?)
            .map_err(|e| conversion(1, e))?,
        secret_hash: r.get(3)?,
        bound_to: r.get(4)?,
        return_mode: ReturnMode::parse(&mode).unwrap_or(ReturnMode::Popup),
        created_at: parse_ts(&r.get::<_, String>(6)?)?,
        expires_at: parse_ts(&r.get::<_, String>(7)?)?,
        login: LoginKind::parse(r.get::<_, Option<String>>(8)?.as_deref()),
    })
}

#[async_trait]
impl ConnectStateStore for EmbeddedStore {
    async fn insert(&self, s: &OAuthState) -> Result<()> {
        let s = s.clone();
        self.write(move |conn| {
            conn.execute_cached(
                "INSERT INTO oauth_states (state_hash, flow_id, customer_id, user_id, session_binding, return_mode, created_at, expires_at, login) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    s.state_hash, s.flow_id, s.tenant.customer_id(), s.tenant.user_id(), s.session_binding,
                    s.return_mode.as_str(), ts(s.created_at), ts(s.expires_at), s.login.as_str()
                ],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn consume(&self, state_hash: &str, now: DateTime<Utc>) -> Result<Option<OAuthState>> {
        let state_hash = state_hash.to_string();
        self.write(move |conn| {
            // One statement: marks the state used and returns it only if it was unused and unexpired.
            conn.query_row_cached(
                "UPDATE oauth_states SET used = 1 WHERE state_hash = ?1 AND used = 0 AND expires_at > ?2 \
                 RETURNING state_hash, flow_id, customer_id, user_id, session_binding, return_mode, created_at, expires_at, login",
                params![state_hash, ts(now)],
                |r| {
                    let tenant = Tenant::stored(r.get::<_, String>(2)?, r.get::<_, String>(3)?)
                        .map_err(|e| conversion(2, e))?;
                    let mode: String = r.get(5)?;
                    Ok(OAuthState {
                        state_hash: r.get(0)?,
                        flow_id: r.get(1)?,
                        tenant,
                        session_binding: r.get(4)?,
                        return_mode: ReturnMode::parse(&mode).unwrap_or(ReturnMode::Popup),
                        created_at: parse_ts(&r.get::<_, String>(6)?)?,
                        expires_at: parse_ts(&r.get::<_, String>(7)?)?,
                        login: LoginKind::parse(r.get::<_, Option<String>>(8)?.as_deref()),
                    })
                },
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn save_outcome(
        &self,
        tenant: &Tenant,
        flow_id: &str,
        outcome: &ConnectOutcome,
    ) -> Result<()> {
        let (tenant, flow_id) = (tenant.clone(), flow_id.to_string());
        let outcome = serde_json::to_string(outcome).map_err(json_err)?;
        self.write(move |conn| {
            conn.execute_cached(
                "UPDATE oauth_states SET outcome = ?4 WHERE customer_id = ?1 AND user_id = ?2 AND flow_id = ?3",
                params![tenant.customer_id(), tenant.user_id(), flow_id, outcome],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn outcome(&self, tenant: &Tenant, flow_id: &str) -> Result<Option<ConnectOutcome>> {
        let (tenant, flow_id) = (tenant.clone(), flow_id.to_string());
        let raw: Option<Option<String>> = self
            .read(move |conn| {
                conn.query_row_cached(
                    "SELECT outcome FROM oauth_states WHERE customer_id = ?1 AND user_id = ?2 AND flow_id = ?3 \
                     ORDER BY created_at DESC LIMIT 1",
                    params![tenant.customer_id(), tenant.user_id(), flow_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)
            })
            .await?;
        raw.flatten()
            .map(|json| serde_json::from_str(&json).map_err(json_err))
            .transpose()
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |conn| {
            let states = conn
                .execute_cached(
                    "DELETE FROM oauth_states WHERE expires_at < ?1",
                    params![ts(before)],
                )
                .map_err(sql_err)?;
            let flows = conn
                .execute_cached(
                    "DELETE FROM connect_flows WHERE expires_at < ?1",
                    params![ts(before)],
                )
                .map_err(sql_err)?;
            Ok((states + flows) as u64)
        })
        .await
    }

    async fn insert_pending(&self, f: &PendingFlow) -> Result<()> {
        let f = f.clone();
        self.write(move |conn| {
            conn.execute_cached(
                &format!("INSERT INTO connect_flows ({FLOW_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    f.flow_id, f.tenant.customer_id(), f.tenant.user_id(), f.secret_hash, f.bound_to,
                    f.return_mode.as_str(), ts(f.created_at), ts(f.expires_at), f.login.as_str()
                ],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn pending(&self, flow_id: &str, now: DateTime<Utc>) -> Result<Option<PendingFlow>> {
        let flow_id = flow_id.to_string();
        self.read(move |conn| {
            conn.query_row_cached(
                &format!("SELECT {FLOW_COLUMNS} FROM connect_flows WHERE flow_id = ?1 AND started = 0 AND expires_at > ?2"),
                params![flow_id, ts(now)],
                flow_from_row,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn bind_pending(
        &self,
        flow_id: &str,
        secret_hash: &str,
        browser_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (flow_id, secret_hash, browser_hash) = (
            flow_id.to_string(),
            secret_hash.to_string(),
            browser_hash.to_string(),
        );
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE connect_flows SET bound_to = ?3 WHERE flow_id = ?1 AND secret_hash = ?2 \
                     AND bound_to IS NULL AND started = 0 AND expires_at > ?4",
                    params![flow_id, secret_hash, browser_hash, ts(now)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn start_pending(
        &self,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingFlow>> {
        let flow_id = flow_id.to_string();
        self.write(move |conn| {
            conn.query_row_cached(
                &format!(
                    "UPDATE connect_flows SET started = 1 WHERE flow_id = ?1 AND started = 0 AND expires_at > ?2 \
                     RETURNING {FLOW_COLUMNS}"
                ),
                params![flow_id, ts(now)],
                flow_from_row,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }
}
