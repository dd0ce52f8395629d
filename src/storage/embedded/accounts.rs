//! Accounts in SQLite (table `instagram_credentials`, the seed's name).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::{conversion, parse_opt_ts, parse_ts, sql_err, ts, EmbeddedStore};
use crate::domain::{
    accounts::{already_connected, Account, AccountStore, ConnectedAccount, Upserted},
    store::{StoreError, StoreResult as Result},
    tenant::Tenant,
};

const COLUMNS: &str = "id, customer_id, user_id, instagram_user_id, instagram_username, instagram_name, \
    profile_picture_url, app_id, facebook_page_id, facebook_page_name, access_token, token_expires_at, \
    data_access_expires_at, scopes, is_active, is_authenticated, auth_error, created_at, updated_at, created_by, updated_by, \
    stories_refused";

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
    })
}

fn get_by_id(
    conn: &rusqlite::Connection,
    customer_id: &str,
    user_id: &str,
    id: &str,
) -> Result<Option<Account>> {
    conn.query_row(
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
                .query_row(
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
                    tx.execute(
                        "UPDATE instagram_credentials SET user_id = ?2, instagram_username = ?3, instagram_name = ?4, \
                         profile_picture_url = ?5, app_id = ?6, facebook_page_id = ?7, facebook_page_name = ?8, \
                         access_token = ?9, token_expires_at = ?10, data_access_expires_at = ?11, scopes = ?12, \
                         is_active = 1, is_authenticated = 1, auth_error = NULL, stories_refused = 0, \
                         updated_at = ?13, updated_by = ?2 \
                         WHERE id = ?1",
                        params![
                            id, a.tenant.user_id(), a.instagram_username, a.instagram_name, a.profile_picture_url,
                            a.app_id, a.facebook_page_id, a.facebook_page_name, a.access_token,
                            a.token_expires_at.map(ts), a.data_access_expires_at.map(ts), scopes, now
                        ],
                    )
                    .map_err(sql_err)?;
                    (id, false)
                }
                None => {
                    tx.execute(
                        &format!("INSERT INTO instagram_credentials ({COLUMNS}) VALUES \
                         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, 1, NULL, ?15, ?15, ?3, ?3, 0)"),
                        params![
                            a.new_id, a.tenant.customer_id(), a.tenant.user_id(), a.instagram_user_id,
                            a.instagram_username, a.instagram_name, a.profile_picture_url, a.app_id,
                            a.facebook_page_id, a.facebook_page_name, a.access_token,
                            a.token_expires_at.map(ts), a.data_access_expires_at.map(ts), scopes, now
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
                .execute(
                    "UPDATE instagram_credentials SET is_active = 0, is_authenticated = 0, access_token = NULL, \
                     token_expires_at = NULL, data_access_expires_at = NULL, auth_error = NULL, updated_at = ?4, updated_by = ?3 \
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
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (tenant, id, reason) = (tenant.clone(), id.to_string(), reason.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE instagram_credentials SET is_authenticated = 0, auth_error = ?4, updated_at = ?5 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND is_active = 1",
                    params![id, tenant.customer_id(), tenant.user_id(), reason, ts(now)],
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
                .execute(
                    "UPDATE instagram_credentials SET stories_refused = 1, updated_at = ?4 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3",
                    params![id, tenant.customer_id(), tenant.user_id(), ts(now)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }
}
