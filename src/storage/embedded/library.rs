//! The media library's records in SQLite (`media_assets`, `media_uploads`); the bytes are files
//! (`blobs.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::{conversion, parse_ts, sql_err, ts, Cached, EmbeddedStore};
use crate::domain::{
    library::{Asset, AssetKind, AssetStore, Rendition, Upload},
    store::StoreResult as Result,
    tenant::Tenant,
};

/// Tables of this port, made at start-up with the rest of the schema.
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS media_assets (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    width        INTEGER,
    height       INTEGER,
    duration_ms  INTEGER,
    alt_text     TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (customer_id, user_id, sha256)
);
CREATE INDEX IF NOT EXISTS media_assets_by_tenant ON media_assets (customer_id, user_id, created_at, id);

CREATE TABLE IF NOT EXISTS media_uploads (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    size         INTEGER NOT NULL,
    received     INTEGER NOT NULL,
    parts        INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS media_uploads_by_expiry ON media_uploads (expires_at);

CREATE TABLE IF NOT EXISTS media_renditions (
    asset_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    due_at       TEXT NOT NULL,
    PRIMARY KEY (asset_id, name)
);
CREATE INDEX IF NOT EXISTS media_renditions_by_due ON media_renditions (due_at);
"#;

const ASSET_COLUMNS: &str =
    "id, customer_id, user_id, kind, format, file_name, size, sha256, width, height, \
    duration_ms, alt_text, created_at";
const RENDITION_COLUMNS: &str =
    "customer_id, user_id, asset_id, name, width, height, bytes, due_at";
const UPLOAD_COLUMNS: &str =
    "id, customer_id, user_id, file_name, size, received, parts, created_at, expires_at";

fn asset_from_row(r: &Row<'_>) -> rusqlite::Result<Asset> {
    let kind: String = r.get(3)?;
    Ok(Asset {
        id: r.get(0)?,
        tenant: Tenant::stored(r.get::<_, String>(1)?, r.get::<_, String>(2)?)
            .map_err(|e| conversion(1, e))?,
        kind: AssetKind::parse(&kind).unwrap_or(AssetKind::Image),
        format: r.get(4)?,
        file_name: r.get(5)?,
        size: r.get::<_, i64>(6)?.max(0) as u64,
        sha256: r.get(7)?,
        width: r.get(8)?,
        height: r.get(9)?,
        duration_ms: r.get::<_, Option<i64>>(10)?.map(|d| d.max(0) as u64),
        alt_text: r.get(11)?,
        created_at: parse_ts(&r.get::<_, String>(12)?)?,
    })
}

fn rendition_from_row(r: &Row<'_>) -> rusqlite::Result<Rendition> {
    Ok(Rendition {
        tenant: Tenant::stored(r.get::<_, String>(0)?, r.get::<_, String>(1)?)
            .map_err(|e| conversion(0, e))?,
        asset_id: r.get(2)?,
        name: r.get(3)?,
        width: r.get(4)?,
        height: r.get(5)?,
        bytes: r.get::<_, i64>(6)?.max(0) as u64,
        due_at: parse_ts(&r.get::<_, String>(7)?)?,
    })
}

fn upload_from_row(r: &Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload {
        id: r.get(0)?,
        tenant: Tenant::stored(r.get::<_, String>(1)?, r.get::<_, String>(2)?)
            .map_err(|e| conversion(1, e))?,
        file_name: r.get(3)?,
        size: r.get::<_, i64>(4)?.max(0) as u64,
        received: r.get::<_, i64>(5)?.max(0) as u64,
        parts: r.get(6)?,
        created_at: parse_ts(&r.get::<_, String>(7)?)?,
        expires_at: parse_ts(&r.get::<_, String>(8)?)?,
    })
}

fn get_asset(conn: &rusqlite::Connection, t: &Tenant, id: &str) -> Result<Option<Asset>> {
    conn.query_row_cached(
        &format!("SELECT {ASSET_COLUMNS} FROM media_assets WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3"),
        params![id, t.customer_id(), t.user_id()],
        asset_from_row,
    )
    .optional()
    .map_err(sql_err)
}

fn get_upload(conn: &rusqlite::Connection, t: &Tenant, id: &str) -> Result<Option<Upload>> {
    conn.query_row_cached(
        &format!("SELECT {UPLOAD_COLUMNS} FROM media_uploads WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3"),
        params![id, t.customer_id(), t.user_id()],
        upload_from_row,
    )
    .optional()
    .map_err(sql_err)
}

#[async_trait]
impl AssetStore for EmbeddedStore {
    async fn insert_asset(&self, a: &Asset) -> Result<(Asset, bool)> {
        let a = a.clone();
        self.write(move |conn| {
            let inserted = conn
                .execute_cached(
                    &format!("INSERT INTO media_assets ({ASSET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                     ON CONFLICT (customer_id, user_id, sha256) DO NOTHING"),
                    params![
                        a.id, a.tenant.customer_id(), a.tenant.user_id(), a.kind.as_str(), a.format, a.file_name,
                        a.size as i64, a.sha256, a.width, a.height, a.duration_ms.map(|d| d as i64), a.alt_text,
                        ts(a.created_at)
                    ],
                )
                .map_err(sql_err)?;
            if inserted == 1 {
                return Ok((a, true));
            }
            let held = conn
                .query_row_cached(
                    &format!("SELECT {ASSET_COLUMNS} FROM media_assets WHERE customer_id = ?1 AND user_id = ?2 AND sha256 = ?3"),
                    params![a.tenant.customer_id(), a.tenant.user_id(), a.sha256],
                    asset_from_row,
                )
                .map_err(sql_err)?;
            Ok((held, false))
        })
        .await
    }

    async fn asset(&self, tenant: &Tenant, id: &str) -> Result<Option<Asset>> {
        let (t, id) = (tenant.clone(), id.to_string());
        self.read(move |conn| get_asset(conn, &t, &id)).await
    }

    async fn assets(
        &self,
        tenant: &Tenant,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Asset>> {
        let (t, before) = (tenant.clone(), before.map(str::to_string));
        self.read(move |conn| {
            let cursor = match &before {
                Some(id) => get_asset(conn, &t, id)?.map(|a| (ts(a.created_at), a.id)),
                None => None,
            };
            let (at, id) = cursor.unwrap_or_else(|| ("9999".into(), String::new()));
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ASSET_COLUMNS} FROM media_assets WHERE customer_id = ?1 AND user_id = ?2 \
                     AND (created_at < ?3 OR (created_at = ?3 AND id < ?4)) ORDER BY created_at DESC, id DESC LIMIT ?5"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t.customer_id(), t.user_id(), at, id, limit as i64], asset_from_row)
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn bytes_used(&self, tenant: &Tenant) -> Result<u64> {
        let t = tenant.clone();
        self.read(move |conn| {
            conn.query_row_cached(
                "SELECT COALESCE(SUM(size), 0) FROM media_assets WHERE customer_id = ?1 AND user_id = ?2",
                params![t.customer_id(), t.user_id()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(sql_err)
        })
        .await
    }

    async fn set_alt_text(&self, tenant: &Tenant, id: &str, alt: Option<&str>) -> Result<bool> {
        let (t, id, alt) = (tenant.clone(), id.to_string(), alt.map(str::to_string));
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE media_assets SET alt_text = ?4 WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3",
                    params![id, t.customer_id(), t.user_id(), alt],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn delete_asset(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        let (t, id) = (tenant.clone(), id.to_string());
        self.write(move |conn| {
            let tx = conn.transaction().map_err(sql_err)?;
            let changed = tx
                .execute_cached(
                    "DELETE FROM media_assets WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3",
                    params![id, t.customer_id(), t.user_id()],
                )
                .map_err(sql_err)?;
            tx.execute_cached(
                "DELETE FROM media_renditions WHERE asset_id = ?1 AND customer_id = ?2 AND user_id = ?3",
                params![id, t.customer_id(), t.user_id()],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn asset_by_id(&self, id: &str) -> Result<Option<Asset>> {
        let id = id.to_string();
        self.read(move |conn| {
            conn.query_row_cached(
                &format!("SELECT {ASSET_COLUMNS} FROM media_assets WHERE id = ?1"),
                params![id],
                asset_from_row,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn keep_rendition(&self, r: &Rendition) -> Result<()> {
        let r = r.clone();
        self.write(move |conn| {
            conn.execute_cached(
                &format!(
                    "INSERT INTO media_renditions ({RENDITION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (asset_id, name) DO UPDATE SET width = ?5, height = ?6, bytes = ?7, due_at = ?8"
                ),
                params![
                    r.tenant.customer_id(), r.tenant.user_id(), r.asset_id, r.name, r.width, r.height,
                    r.bytes as i64, ts(r.due_at)
                ],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn renditions(&self, tenant: &Tenant, asset_id: &str) -> Result<Vec<Rendition>> {
        let (t, id) = (tenant.clone(), asset_id.to_string());
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {RENDITION_COLUMNS} FROM media_renditions WHERE asset_id = ?1 AND customer_id = ?2 AND user_id = ?3"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![id, t.customer_id(), t.user_id()], rendition_from_row)
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn due_renditions(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Rendition>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {RENDITION_COLUMNS} FROM media_renditions WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![ts(now), limit as i64], rendition_from_row)
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }

    async fn postpone_rendition(&self, r: &Rendition, until: DateTime<Utc>) -> Result<bool> {
        let r = r.clone();
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE media_renditions SET due_at = ?4 WHERE asset_id = ?1 AND name = ?2 AND due_at = ?3",
                    params![r.asset_id, r.name, ts(r.due_at), ts(until)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn forget_rendition(&self, r: &Rendition) -> Result<bool> {
        let r = r.clone();
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "DELETE FROM media_renditions WHERE asset_id = ?1 AND name = ?2 AND due_at = ?3",
                    params![r.asset_id, r.name, ts(r.due_at)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn insert_upload(&self, u: &Upload) -> Result<()> {
        let u = u.clone();
        self.write(move |conn| {
            conn.execute_cached(
                &format!("INSERT INTO media_uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    u.id, u.tenant.customer_id(), u.tenant.user_id(), u.file_name, u.size as i64,
                    u.received as i64, u.parts, ts(u.created_at), ts(u.expires_at)
                ],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn upload(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Upload>> {
        let (t, id) = (tenant.clone(), id.to_string());
        self.read(move |conn| Ok(get_upload(conn, &t, &id)?.filter(|u| u.expires_at > now)))
            .await
    }

    async fn advance_upload(
        &self,
        tenant: &Tenant,
        id: &str,
        expected: u64,
        len: u64,
    ) -> Result<Option<Upload>> {
        let (t, id) = (tenant.clone(), id.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE media_uploads SET received = received + ?5, parts = parts + 1 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND received = ?4 AND received + ?5 <= size",
                    params![id, t.customer_id(), t.user_id(), expected as i64, len as i64],
                )
                .map_err(sql_err)?;
            match changed {
                1 => get_upload(conn, &t, &id),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn delete_upload(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        let (t, id) = (tenant.clone(), id.to_string());
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "DELETE FROM media_uploads WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3",
                    params![id, t.customer_id(), t.user_id()],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn expired_uploads(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Upload>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {UPLOAD_COLUMNS} FROM media_uploads WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![ts(now), limit as i64], upload_from_row)
                .map_err(sql_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
        })
        .await
    }
}
