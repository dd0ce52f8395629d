use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{is_unique_violation, parse_ts, sql_err, ts, EmbeddedStore};
use crate::{
    auth::session::{SessionRecord, SessionStore},
    domain::store::StoreResult as Result,
};

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create(&self, r: &SessionRecord) -> Result<bool> {
        let r = r.clone();
        self.write(move |conn| {
            match conn.execute(
                "INSERT INTO sessions (id_hash, data, expires_at) VALUES (?1, ?2, ?3)",
                params![r.id_hash, r.data, ts(r.expires_at)],
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
            conn.execute(
                "INSERT INTO sessions (id_hash, data, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
                params![r.id_hash, r.data, ts(r.expires_at)],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn load(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let id_hash = id_hash.to_string();
        self.read(move |conn| {
            conn.query_row(
                "SELECT id_hash, data, expires_at FROM sessions WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash, ts(now)],
                |r| {
                    Ok(SessionRecord {
                        id_hash: r.get(0)?,
                        data: r.get(1)?,
                        expires_at: parse_ts(&r.get::<_, String>(2)?)?,
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
            conn.execute("DELETE FROM sessions WHERE id_hash = ?1", params![id_hash])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        self.write(move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM sessions WHERE expires_at <= ?1",
                    params![ts(now)],
                )
                .map_err(sql_err)?;
            Ok(n as u64)
        })
        .await
    }
}
