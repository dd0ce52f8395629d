//! Accounts in SQLite (table `instagram_credentials`, the seed's name).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::{conversion, parse_opt_ts, parse_ts, sql_err, ts, Cached, EmbeddedStore};
use crate::domain::{
    accounts::{
        already_connected, Account, AccountStore, AuthCause, ConnectedAccount, HealthCheck,
        LoginKind, Upserted,
    },
    store::{StoreError, StoreResult as Result},
    tenant::Tenant,
};

const COLUMNS: &str = "id, customer_id, user_id, instagram_user_id, instagram_username, instagram_name, \
    profile_picture_url, app_id, facebook_page_id, facebook_page_name, access_token, token_expires_at, \
    data_access_expires_at, scopes, is_active, is_authenticated, auth_error, created_at, updated_at, created_by, updated_by, \
    stories_refused, page_token, facebook_user_id, auth_cause, checked_at, login, renewal_error";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let customer_id: String = row.get(1)?;
    let user_id: String = row.get(2)?;
    let scopes: String = row.get(13)?;
    Ok(Account {
        id: row.get(0)?,
        tenant: Tenant::stored(customer_id, user_id).map_err(|e| conversion(1, e))?,
        instagram_user_id: row.get(3)?,
        instagram_username: row.get(4)?,
        instagram_name: row.get(5)?,
        profile_picture_url: row.get(6)?,
        app_id: row.get(7)?,
        facebook_page_id: row.get(8)?,
        facebook_page_name: row.get(9)?,
        access_token: row.get(10)?,
        token_expires_at: parse_opt_ts(row.get(11)?)?,
        data_access_expires_at: parse_opt_ts(row.get(12)?)?,
        scopes: serde_json::from_str(&scopes).map_err(|e| conversion(13, e))?,
        is_active: row.get(14)?,
        is_authenticated: row.get(15)?,
        auth_error: row.get(16)?,
        created_at: parse_ts(&row.get::<_, String>(17)?)?,
        updated_at: parse_ts(&row.get::<_, String>(18)?)?,
        created_by: row.get(19)?,
        updated_by: row.get(20)?,
        stories_refused: row.get(21)?,
        page_token: row.get(22)?,
        facebook_user_id: row.get(23)?,
        auth_cause: row
            .get::<_, Option<String>>(24)?
            .and_then(|c| AuthCause::parse(&c)),
        checked_at: parse_opt_ts(row.get(25)?)?,
        login: LoginKind::parse(row.get::<_, Option<String>>(26)?.as_deref()),
        renewal_error: row.get(27)?,
    })
}

fn get_by_id(
    conn: &rusqlite::Connection,
    customer_id: &str,
    user_id: &str,
    id: &str,
) -> Result<Option<Account>> {
    conn.query_row_cached(
        &format!("SELECT {COLUMNS} FROM instagram_credentials WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3"),
        params![id, customer_id, user_id],
        from_row,
    )
    .optional()
    .map_err(sql_err)
}

#[async_trait]
impl AccountStore for EmbeddedStore {
    async fn upsert(&self, a: ConnectedAccount) -> Result<Upserted> {
        self.write(move |conn| {
            // IMMEDIATE takes the write lock first, so the read and the write below are one step.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            let existing = tx
                .query_row_cached(
                    &format!("SELECT {COLUMNS} FROM instagram_credentials WHERE customer_id = ?1 AND instagram_user_id = ?2"),
                    params![a.tenant.customer_id(), a.instagram_user_id],
                    from_row,
                )
                .optional()
                .map_err(sql_err)?;
            let scopes = serde_json::to_string(&a.scopes).map_err(super::json_err)?;
            let now = ts(a.now);
            let (id, created) = match existing {
                Some(held) if !held.may_be_reconnected_by(a.tenant.user_id()) => {
                    return Err(StoreError::Conflict(already_connected(&a.instagram_username)))
                }
                Some(Account { id, .. }) => {
                    tx.execute_cached(
                        "UPDATE instagram_credentials SET user_id = ?2, instagram_username = ?3, instagram_name = ?4, \
                         profile_picture_url = ?5, app_id = ?6, facebook_page_id = ?7, facebook_page_name = ?8, \
                         access_token = ?9, token_expires_at = ?10, data_access_expires_at = ?11, scopes = ?12, \
                         is_active = 1, is_authenticated = 1, auth_error = NULL, auth_cause = NULL, stories_refused = 0, \
                         updated_at = ?13, updated_by = ?2, page_token = ?14, facebook_user_id = ?15, checked_at = ?13, \
                         login = ?16, renewal_error = NULL \
                         WHERE id = ?1",
                        params![
                            id, a.tenant.user_id(), a.instagram_username, a.instagram_name, a.profile_picture_url,
                            a.app_id, a.facebook_page_id, a.facebook_page_name, a.access_token,
                            a.token_expires_at.map(ts), a.data_access_expires_at.map(ts), scopes, now,
                            a.page_token, a.facebook_user_id, a.login.as_str()
                        ],
                    )
                    .map_err(sql_err)?;
                    (id, false)
                }
                None => {
                    tx.execute_cached(
                        &format!("INSERT INTO instagram_credentials ({COLUMNS}) VALUES \
                         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, 1, NULL, ?15, ?15, ?3, ?3, 0, \
                          ?16, ?17, NULL, ?15, ?18, NULL)"),
                        params![
                            a.new_id, a.tenant.customer_id(), a.tenant.user_id(), a.instagram_user_id,
                            a.instagram_username, a.instagram_name, a.profile_picture_url, a.app_id,
                            a.facebook_page_id, a.facebook_page_name, a.access_token,
                            a.token_expires_at.map(ts), a.data_access_expires_at.map(ts), scopes, now,
                            a.page_token, a.facebook_user_id, a.login.as_str()
                        ],
                    )
                    .map_err(sql_err)?;
                    (a.new_id.clone(), true)
                }
            };
            let stored = get_by_id(&tx, a.tenant.customer_id(), a.tenant.user_id(), &id)?
                .ok_or_else(|| StoreError::Corrupt { context: "an account vanished inside its transaction".into(), source: None })?;
            tx.commit().map_err(sql_err)?;
            Ok(if created { Upserted::Created(stored) } else { Upserted::Updated(stored) })
        })
        .await
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<Account>> {
        let tenant = tenant.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instagram_credentials WHERE customer_id = ?1 AND user_id = ?2 AND is_active = 1 \
                     ORDER BY created_at, id"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![tenant.customer_id(), tenant.user_id()], from_row)
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<Account>> {
        let (tenant, id) = (tenant.clone(), id.to_string());
        self.read(move |conn| get_by_id(conn, tenant.customer_id(), tenant.user_id(), &id))
            .await
    }

    async fn disconnect(&self, tenant: &Tenant, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let (tenant, id) = (tenant.clone(), id.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_credentials SET is_active = 0, is_authenticated = 0, access_token = NULL, \
                     page_token = NULL, auth_cause = NULL, token_expires_at = NULL, data_access_expires_at = NULL, auth_error = NULL, updated_at = ?4, updated_by = ?3 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND is_active = 1",
                    params![id, tenant.customer_id(), tenant.user_id(), ts(now)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn mark_needs_reconnect(
        &self,
        tenant: &Tenant,
        id: &str,
        cause: AuthCause,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (tenant, id, reason) = (tenant.clone(), id.to_string(), reason.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_credentials SET is_authenticated = 0, auth_error = ?4, auth_cause = ?5, \
                     updated_at = ?6, checked_at = ?6 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND is_active = 1",
                    params![id, tenant.customer_id(), tenant.user_id(), reason, cause.as_str(), ts(now)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Account>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instagram_credentials \
                     WHERE is_active = 1 AND is_authenticated = 1 AND (checked_at IS NULL OR checked_at < ?1) \
                     ORDER BY checked_at IS NOT NULL, checked_at, id LIMIT ?2"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![ts(checked_before), limit as i64], from_row)
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn renew_token(
        &self,
        tenant: &Tenant,
        id: &str,
        old: &[u8],
        new: &[u8],
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (tenant, id, old, new) = (tenant.clone(), id.to_string(), old.to_vec(), new.to_vec());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_credentials SET access_token = ?4, token_expires_at = ?5, renewal_error = NULL, \
                     checked_at = ?6, updated_at = ?6 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND is_active = 1 AND access_token = ?7",
                    params![id, tenant.customer_id(), tenant.user_id(), new, expires_at.map(ts), ts(now), old],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn record_check(&self, tenant: &Tenant, id: &str, check: &HealthCheck) -> Result<bool> {
        let (tenant, id, check) = (tenant.clone(), id.to_string(), check.clone());
        self.write(move |conn| {
            let scopes = serde_json::to_string(&check.scopes).map_err(super::json_err)?;
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_credentials SET checked_at = ?4, token_expires_at = ?5, \
                     data_access_expires_at = ?6, scopes = ?7, renewal_error = ?8 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND is_active = 1",
                    params![
                        id,
                        tenant.customer_id(),
                        tenant.user_id(),
                        ts(check.checked_at),
                        check.token_expires_at.map(ts),
                        check.data_access_expires_at.map(ts),
                        scopes,
                        check.renewal_error
                    ],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn by_facebook_user(&self, app_id: &str, facebook_user_id: &str) -> Result<Vec<Account>> {
        let (app_id, person) = (app_id.to_string(), facebook_user_id.to_string());
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instagram_credentials WHERE app_id = ?1 AND facebook_user_id = ?2 ORDER BY id"
                ))
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![app_id, person], from_row).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn erase(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        let (tenant, id) = (tenant.clone(), id.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "DELETE FROM instagram_credentials WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3",
                    params![id, tenant.customer_id(), tenant.user_id()],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn mark_stories_refused(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (tenant, id) = (tenant.clone(), id.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_credentials SET stories_refused = 1, updated_at = ?4 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3",
                    params![id, tenant.customer_id(), tenant.user_id(), ts(now)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn with_tokens_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<Account>> {
        let after = after.unwrap_or_default().to_string();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instagram_credentials \
                     WHERE id > ?1 AND (access_token IS NOT NULL OR page_token IS NOT NULL) ORDER BY id LIMIT ?2"
                ))
                .map_err(sql_err)?;
            let rows = stmt.query_map(params![after, limit as i64], from_row).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn count_with_tokens(&self) -> Result<u64> {
        self.read(|conn| {
            conn.query_row_cached(
                "SELECT COUNT(*) FROM instagram_credentials WHERE access_token IS NOT NULL OR page_token IS NOT NULL",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(sql_err)
        })
        .await
    }

    async fn reseal(
        &self,
        tenant: &Tenant,
        id: &str,
        old_access: Option<&[u8]>,
        new_access: Option<&[u8]>,
        old_page: Option<&[u8]>,
        new_page: Option<&[u8]>,
    ) -> Result<bool> {
        let (tenant, id) = (tenant.clone(), id.to_string());
        let [old_access, new_access, old_page, new_page] =
            [old_access, new_access, old_page, new_page].map(|b| b.map(<[u8]>::to_vec));
        self.write(move |conn| {
            // `IS` compares NULLs too: a token erased meanwhile does not match.
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_credentials SET access_token = ?4, page_token = ?6 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND access_token IS ?5 AND page_token IS ?7",
                    params![id, tenant.customer_id(), tenant.user_id(), new_access, old_access, new_page, old_page],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }
}
