//! Posts in SQLite: the fields the queries filter on are columns; the rest is one JSON body.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{
    conversion, is_unique_violation, json_err, parse_opt_ts, parse_ts, sql_err, ts, Cached,
    EmbeddedStore,
};
use crate::domain::{
    posts::{
        Claim, ClaimedUpdate, CreatedPost, MediaItem, MediaUse, NewPost, Post, PostFilter,
        PostKind, PostOptions, PostPage, PostState, PostStatus, PostStore,
    },
    store::{StoreError, StoreResult as Result},
    tenant::Tenant,
};

const COLUMNS: &str = "id, customer_id, user_id, status, run_at, published_at, lease_owner, lease_until, lease_epoch, body";

/// `('scheduled', 'queued', 'publishing')`: the statuses the publisher still works on.
fn pending_sql() -> String {
    let quoted: Vec<String> = PostStatus::PENDING
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", quoted.join(", "))
}

/// The part of a post that no query filters on. `credential_id` is the stored name of the
/// account's id.
#[derive(Serialize, Deserialize)]
struct Body {
    credential_id: String,
    instagram_user_id: String,
    instagram_username: String,
    kind: PostKind,
    media: Vec<MediaItem>,
    caption: String,
    #[serde(default)]
    options: PostOptions,
    scheduled_at: Option<DateTime<Utc>>,
    idempotency_key: String,
    request_hash: String,
    created_at: DateTime<Utc>,
    created_by: String,
    state: PostState,
}

fn body_of(p: &Post) -> Result<String> {
    serde_json::to_string(&Body {
        credential_id: p.account_id.clone(),
        instagram_user_id: p.instagram_user_id.clone(),
        instagram_username: p.instagram_username.clone(),
        kind: p.kind,
        media: p.media.clone(),
        caption: p.caption.clone(),
        options: p.options.clone(),
        scheduled_at: p.scheduled_at,
        idempotency_key: p.idempotency_key.clone(),
        request_hash: p.request_hash.clone(),
        created_at: p.created_at,
        created_by: p.created_by.clone(),
        state: p.state.clone(),
    })
    .map_err(json_err)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Post> {
    let body: Body =
        serde_json::from_str(&row.get::<_, String>(9)?).map_err(|e| conversion(9, e))?;
    let status: String = row.get(3)?;
    let mut state = body.state;
    // The columns are the truth for what the publisher's atomic statements change.
    state.status = PostStatus::parse(&status).ok_or_else(|| {
        conversion(
            3,
            StoreError::Corrupt {
                context: format!("unknown post status {status}"),
                source: None,
            },
        )
    })?;
    state.run_at = parse_ts(&row.get::<_, String>(4)?)?;
    state.published_at = parse_opt_ts(row.get(5)?)?;
    Ok(Post {
        id: row.get(0)?,
        tenant: Tenant::stored(row.get::<_, String>(1)?, row.get::<_, String>(2)?)
            .map_err(|e| conversion(1, e))?,
        account_id: body.credential_id,
        instagram_user_id: body.instagram_user_id,
        instagram_username: body.instagram_username,
        kind: body.kind,
        media: body.media,
        caption: body.caption,
        options: body.options,
        scheduled_at: body.scheduled_at,
        idempotency_key: body.idempotency_key,
        request_hash: body.request_hash,
        created_at: body.created_at,
        created_by: body.created_by,
        state,
        lease_owner: row.get(6)?,
        lease_until: parse_opt_ts(row.get(7)?)?,
        lease_epoch: row.get::<_, i64>(8)? as u64,
    })
}

/// The history's page: one newest-first range per status asked for (each an index range that
/// stops after a page), merged; a single `IN` would collect and sort every match first.
fn list_query(tenant: &Tenant, filter: &PostFilter) -> (String, Vec<String>) {
    let statuses: Vec<Option<&str>> = match filter.statuses.is_empty() {
        true => vec![None],
        false => filter.statuses.iter().map(|s| Some(s.as_str())).collect(),
    };
    let limit = filter.fetch_limit();
    let mut args = Vec::new();
    let ranges: Vec<String> = statuses
        .into_iter()
        .map(|status| {
            let mut sql = format!(
                "SELECT {COLUMNS} FROM instagram_posts WHERE customer_id = ? AND user_id = ?"
            );
            args.extend([
                tenant.customer_id().to_string(),
                tenant.user_id().to_string(),
            ]);
            if let Some(status) = status {
                sql.push_str(" AND status = ?");
                args.push(status.to_string());
            }
            if let Some(account_id) = &filter.account_id {
                sql.push_str(" AND credential_id = ?");
                args.push(account_id.clone());
            }
            if let Some(before) = &filter.before_id {
                sql.push_str(" AND id < ?");
                args.push(before.clone());
            }
            format!("SELECT * FROM ({sql} ORDER BY id DESC LIMIT {limit})")
        })
        .collect();
    let sql = format!(
        "{} ORDER BY id DESC LIMIT {limit}",
        ranges.join(" UNION ALL ")
    );
    (sql, args)
}

fn get_post(conn: &rusqlite::Connection, tenant: &Tenant, id: &str) -> Result<Option<Post>> {
    conn.query_row_cached(
        &format!("SELECT {COLUMNS} FROM instagram_posts WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3"),
        params![id, tenant.customer_id(), tenant.user_id()],
        from_row,
    )
    .optional()
    .map_err(sql_err)
}

#[async_trait]
impl PostStore for EmbeddedStore {
    async fn create(&self, new: NewPost) -> Result<CreatedPost> {
        let post = new.into_post();
        let body = body_of(&post)?;
        self.write(move |conn| {
            let s = &post.state;
            let inserted = conn.execute_cached(
                "INSERT INTO instagram_posts (id, customer_id, user_id, credential_id, instagram_user_id, idempotency_key, \
                 status, run_at, published_at, lease_owner, lease_until, lease_epoch, created_at, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, NULL, 0, ?9, ?10)",
                params![
                    post.id, post.tenant.customer_id(), post.tenant.user_id(), post.account_id, post.instagram_user_id,
                    post.idempotency_key, s.status.as_str(), ts(s.run_at), ts(post.created_at), body
                ],
            );
            match inserted {
                Ok(_) => Ok(CreatedPost::New(post)),
                Err(e) if is_unique_violation(&e) => conn
                    .query_row_cached(
                        &format!("SELECT {COLUMNS} FROM instagram_posts WHERE customer_id = ?1 AND user_id = ?2 AND idempotency_key = ?3"),
                        params![post.tenant.customer_id(), post.tenant.user_id(), post.idempotency_key],
                        from_row,
                    )
                    .map(CreatedPost::Existing)
                    .map_err(sql_err),
                Err(e) => Err(sql_err(e)),
            }
        })
        .await
    }

    async fn get_by_idempotency_key(&self, tenant: &Tenant, key: &str) -> Result<Option<Post>> {
        let (tenant, key) = (tenant.clone(), key.to_string());
        self.read(move |conn| {
            conn.query_row_cached(
                &format!(
                    "SELECT {COLUMNS} FROM instagram_posts WHERE customer_id = ?1 AND user_id = ?2 AND idempotency_key = ?3"
                ),
                params![tenant.customer_id(), tenant.user_id(), key],
                from_row,
            )
            .optional()
            .map_err(sql_err)
        })
        .await
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<Post>> {
        let (tenant, id) = (tenant.clone(), id.to_string());
        self.read(move |conn| get_post(conn, &tenant, &id)).await
    }

    async fn list(&self, tenant: &Tenant, filter: &PostFilter) -> Result<PostPage> {
        let (tenant, filter) = (tenant.clone(), filter.clone());
        self.read(move |conn| {
            let (sql, args) = list_query(&tenant, &filter);
            let mut stmt = conn.prepare_cached(&sql).map_err(sql_err)?;
            let posts = stmt
                .query_map(params_from_iter(args), from_row)
                .map_err(sql_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(sql_err)?;
            Ok(PostPage::from_fetched(posts, &filter))
        })
        .await
    }

    async fn replace_state(
        &self,
        tenant: &Tenant,
        id: &str,
        expect_status: PostStatus,
        expect_epoch: u64,
        state: &PostState,
    ) -> Result<bool> {
        let (tenant, id, state) = (tenant.clone(), id.to_string(), state.clone());
        self.write(move |conn| {
            let Some(mut post) = get_post(conn, &tenant, &id)? else {
                return Ok(false);
            };
            if post.state.status != expect_status || post.lease_epoch != expect_epoch {
                return Ok(false);
            }
            post.state = state;
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_posts SET status = ?5, run_at = ?6, published_at = ?7, body = ?8 \
                     WHERE id = ?1 AND customer_id = ?2 AND user_id = ?3 AND status = ?4 AND lease_epoch = ?9",
                    params![
                        id, tenant.customer_id(), tenant.user_id(), expect_status.as_str(), post.state.status.as_str(),
                        ts(post.state.run_at), post.state.published_at.map(ts), body_of(&post)?, expect_epoch as i64
                    ],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Claim>> {
        let owner = owner.to_string();
        self.write(move |conn| {
            let post = conn
                .query_row_cached(
                    &format!(
                        "UPDATE instagram_posts SET status = 'publishing', lease_owner = ?1, lease_until = ?3, lease_epoch = lease_epoch + 1 \
                         WHERE id = (SELECT id FROM instagram_posts WHERE status IN {pending} AND run_at <= ?2 \
                                     AND (lease_until IS NULL OR lease_until < ?2) ORDER BY run_at, id LIMIT 1) \
                         RETURNING {COLUMNS}",
                        pending = pending_sql()
                    ),
                    params![owner, ts(now), ts(lease_until)],
                    from_row,
                )
                .optional()
                .map_err(sql_err)?;
            Ok(post.map(|post| Claim { epoch: post.lease_epoch, owner: owner.clone(), post }))
        })
        .await
    }

    async fn save_claimed(&self, claim: &Claim, update: &ClaimedUpdate) -> Result<()> {
        let mut post = claim.post.clone();
        post.state = update.state.clone();
        let body = body_of(&post)?;
        let (owner, epoch, lease_until) = (claim.owner.clone(), claim.epoch, update.lease_until);
        self.write(move |conn| {
            let changed = conn
                .execute_cached(
                    "UPDATE instagram_posts SET status = ?4, run_at = ?5, published_at = ?6, body = ?7, \
                     lease_owner = CASE WHEN ?8 IS NULL THEN NULL ELSE lease_owner END, lease_until = ?8 \
                     WHERE id = ?1 AND lease_owner = ?2 AND lease_epoch = ?3",
                    params![
                        post.id, owner, epoch as i64, post.state.status.as_str(), ts(post.state.run_at),
                        post.state.published_at.map(ts), body, lease_until.map(ts)
                    ],
                )
                .map_err(sql_err)?;
            if changed == 1 {
                Ok(())
            } else {
                Err(StoreError::Fenced)
            }
        })
        .await
    }

    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(|conn| {
            let t: Option<String> = conn
                .query_row_cached(
                    &format!("SELECT MIN(run_at) FROM instagram_posts WHERE status IN {} AND lease_owner IS NULL", pending_sql()),
                    [],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            parse_opt_ts(t).map_err(sql_err)
        })
        .await
    }

    async fn published_count_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64> {
        let ig = instagram_user_id.to_string();
        self.read(move |conn| {
            conn.query_row_cached(
                "SELECT COUNT(*) FROM instagram_posts WHERE instagram_user_id = ?1 AND published_at >= ?2",
                params![ig, ts(since)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(sql_err)
        })
        .await
    }

    async fn record_container(&self, instagram_user_id: &str, at: DateTime<Utc>) -> Result<()> {
        let ig = instagram_user_id.to_string();
        self.write(move |conn| {
            // One commit for both: a commit's writes to the log were most of the cost.
            let tx = conn.transaction().map_err(sql_err)?;
            tx.execute_cached(
                "INSERT INTO container_uses (instagram_user_id, at) VALUES (?1, ?2)",
                params![ig, ts(at)],
            )
            .map_err(sql_err)?;
            // Only the rolling day matters.
            tx.execute_cached(
                "DELETE FROM container_uses WHERE instagram_user_id = ?1 AND at < ?2",
                params![ig, ts(at - chrono::TimeDelta::days(1))],
            )
            .map_err(sql_err)?;
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn media_use(&self, tenant: &Tenant, media_id: &str) -> Result<MediaUse> {
        let t = tenant.clone();
        // The body is compact JSON and ids are letters and digits: the item's and the cover's
        // fields are this text.
        let item = format!("\"media_id\":\"{media_id}\"");
        let cover = format!("\"cover_media_id\":\"{media_id}\"");
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instagram_posts WHERE customer_id = ?1 AND user_id = ?2 \
                     AND (instr(body, ?3) > 0 OR instr(body, ?4) > 0)"
                ))
                .map_err(sql_err)?;
            let mut posts = stmt
                .query_map(params![t.customer_id(), t.user_id(), item, cover], from_row)
                .map_err(sql_err)?;
            posts.try_fold(MediaUse::Unused, |used, post| {
                Ok(used.and(MediaUse::of(&post.map_err(sql_err)?.state)))
            })
        })
        .await
    }

    async fn containers_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        let ig = instagram_user_id.to_string();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT at FROM container_uses WHERE instagram_user_id = ?1 AND at >= ?2 ORDER BY at",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![ig, ts(since)], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            rows.map(|r| parse_ts(&r.map_err(sql_err)?).map_err(sql_err))
                .collect()
        })
        .await
    }
}
