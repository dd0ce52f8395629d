//! Meta's callbacks in SQLite: used signed requests (`meta_signed_request_uses`), deletion
//! requests (`meta_deletion_requests`), and erasing an account's posts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{is_unique_violation, parse_opt_ts, parse_ts, sql_err, ts, Cached, EmbeddedStore};
use crate::domain::{
    compliance::{ComplianceStore, DeletionRequest},
    store::StoreResult as Result,
};

/// Tables of this port, made at start-up with the rest of the schema.
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta_signed_request_uses (
    key         TEXT PRIMARY KEY,
    used_at     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS meta_signed_request_uses_by_expiry ON meta_signed_request_uses (expires_at);

CREATE TABLE IF NOT EXISTS meta_deletion_requests (
    confirmation_code  TEXT PRIMARY KEY,
    received_at        TEXT NOT NULL,
    completed_at       TEXT
);
"#;

#[async_trait]
impl ComplianceStore for EmbeddedStore {
    async fn first_use(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = key.to_string();
        self.write(move |conn| {
            conn.execute_cached(
                "DELETE FROM meta_signed_request_uses WHERE expires_at < ?1",
                params![ts(now)],
            )
            .map_err(sql_err)?;
            // The primary key decides: a second insert of the same key fails.
            match conn.execute_cached(
                "INSERT INTO meta_signed_request_uses (key, used_at, expires_at) VALUES (?1, ?2, ?3)",
                params![key, ts(now), ts(expires_at)],
            ) {
                Ok(_) => Ok(true),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(sql_err(e)),
            }
        })
        .await
    }

    async fn forget_use(&self, key: &str) -> Result<()> {
        let key = key.to_string();
        self.write(move |conn| {
            conn.execute_cached(
                "DELETE FROM meta_signed_request_uses WHERE key = ?1",
                params![key],
            )
            .map(|_| ())
            .map_err(sql_err)
        })
        .await
    }

    async fn erase_account_posts(&self, customer_id: &str, account_id: &str) -> Result<u64> {
        let (customer_id, account_id) = (customer_id.to_string(), account_id.to_string());
        self.write(move |conn| {
            conn.execute_cached(
                "DELETE FROM instagram_posts WHERE customer_id = ?1 AND credential_id = ?2",
                params![customer_id, account_id],
            )
            .map(|n| n as u64)
            .map_err(sql_err)
        })
        .await
    }

    async fn record_deletion(&self, request: &DeletionRequest) -> Result<()> {
        let request = request.clone();
        self.write(move |conn| {
            conn.execute_cached(
                "INSERT INTO meta_deletion_requests (confirmation_code, received_at, completed_at) \
                 VALUES (?1, ?2, ?3)",
                params![
                    request.confirmation_code,
                    ts(request.received_at),
                    request.completed_at.map(ts)
                ],
            )
            .map(|_| ())
            .map_err(sql_err)
        })
        .await
    }

    async fn deletion(&self, confirmation_code: &str) -> Result<Option<DeletionRequest>> {
        let code = confirmation_code.to_string();
        self.read(move |conn| {
            conn.query_row_cached(
                "SELECT confirmation_code, received_at, completed_at FROM meta_deletion_requests \
                 WHERE confirmation_code = ?1",
                params![code],
                |row| {
                    Ok(DeletionRequest {
                        confirmation_code: row.get(0)?,
                        received_at: parse_ts(&row.get::<_, String>(1)?)?,
                        completed_at: parse_opt_ts(row.get(2)?)?,
                    })
                },
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }
}
