use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{conversion, is_unique_violation, parse_ts, sql_err, ts, Cached, EmbeddedStore};
use crate::{
    auth::session::{SessionRecord, SessionStore},
    domain::{store::StoreResult as Result, tenant::Tenant},
};

/// The stored tenant columns of a record.
fn tenant_columns(r: &SessionRecord) -> (Option<String>, Option<String>) {
    match &r.tenant {
        Some(t) => (Some(t.customer_id().into()), Some(t.user_id().into())),
        None => (None, None),
    }
}

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create(&self, r: &SessionRecord) -> Result<bool> {
        let r = r.clone();
        self.write(move |conn| {
            let (customer, user) = tenant_columns(&r);
            match conn.execute_cached(
                "INSERT INTO sessions (id_hash, data, expires_at, customer_id, user_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.id_hash, r.data, ts(r.expires_at), customer, user],
            ) {
                Ok(_) => Ok(true),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(sql_err(e)),
            }
        })
        .await
    }

    async fn save(&self, r: &SessionRecord) -> Result<()> {
        let r = r.clone();
        self.write(move |conn| {
            let (customer, user) = tenant_columns(&r);
            conn.execute_cached(
                "INSERT INTO sessions (id_hash, data, expires_at, customer_id, user_id) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
                 customer_id = excluded.customer_id, user_id = excluded.user_id",
                params![r.id_hash, r.data, ts(r.expires_at), customer, user],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn load(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let id_hash = id_hash.to_string();
        self.read(move |conn| {
            conn.query_row_cached(
                "SELECT id_hash, data, expires_at, customer_id, user_id FROM sessions WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash, ts(now)],
                |r| {
                    let tenant = match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?) {
                        (Some(c), Some(u)) => Some(Tenant::stored(c, u).map_err(|e| conversion(3, e))?),
                        _ => None,
                    };
                    Ok(SessionRecord {
                        id_hash: r.get(0)?,
                        data: r.get(1)?,
                        expires_at: parse_ts(&r.get::<_, String>(2)?)?,
                        tenant,
                    })
                },
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn delete(&self, id_hash: &str) -> Result<()> {
        let id_hash = id_hash.to_string();
        self.write(move |conn| {
            conn.execute_cached("DELETE FROM sessions WHERE id_hash = ?1", params![id_hash])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn delete_for(&self, tenant: &Tenant) -> Result<u64> {
        let tenant = tenant.clone();
        self.write(move |conn| {
            let n = conn
                .execute_cached(
                    "DELETE FROM sessions WHERE customer_id = ?1 AND user_id = ?2",
                    params![tenant.customer_id(), tenant.user_id()],
                )
                .map_err(sql_err)?;
            Ok(n as u64)
        })
        .await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        self.write(move |conn| {
            let n = conn
                .execute_cached(
                    "DELETE FROM sessions WHERE expires_at <= ?1",
                    params![ts(now)],
                )
                .map_err(sql_err)?;
            Ok(n as u64)
        })
        .await
    }
}
