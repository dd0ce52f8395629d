use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::{
    bson::{doc, DateTime as BsonTime, Document},
    options::ReturnDocument,
};
use serde::{Deserialize, Serialize};

use super::{
    bson_time, chrono_time, is_duplicate_key, to_doc, unavailable, MongoStore, CONTAINER_USES,
    POSTS, POST_LEASES,
};
use crate::domain::{
    posts::{
        Claim, ClaimedUpdate, CreatedPost, MediaItem, MediaUse, NewPost, Post, PostError,
        PostFilter, PostKind, PostOptions, PostPage, PostState, PostStatus, PostStore, Progress,
        Step,
    },
    store::{StoreError, StoreResult as Result},
    tenant::Tenant,
};

/// The statuses the publisher still works on, as stored.
fn pending() -> Vec<&'static str> {
    PostStatus::PENDING.iter().map(|s| s.as_str()).collect()
}

/// The changing part of a post, as `$set` writes it.
#[derive(Serialize, Deserialize)]
struct StateDoc {
    status: PostStatus,
    run_at: BsonTime,
    /// `run_at` while the post is pending, else absent: the claim's index holds pending posts
    /// only, in the order they are due, so a claim reads the first ones however many are due
    /// (an `$in` on the status would collect and sort them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim_at: Option<BsonTime>,
    progress: Progress,
    attempts: u32,
    error: Option<PostError>,
    published_at: Option<BsonTime>,
    updated_at: BsonTime,
    steps: Vec<Step>,
}

impl StateDoc {
    fn of(s: &PostState) -> Self {
        Self {
            status: s.status,
            run_at: bson_time(s.run_at),
            claim_at: s.status.is_pending().then(|| bson_time(s.run_at)),
            progress: s.progress.clone(),
            attempts: s.attempts,
            error: s.error.clone(),
            published_at: s.published_at.map(bson_time),
            updated_at: bson_time(s.updated_at),
            steps: s.steps.clone(),
        }
    }

    fn into_state(self) -> PostState {
        PostState {
            status: self.status,
            run_at: chrono_time(self.run_at),
            progress: self.progress,
            attempts: self.attempts,
            error: self.error,
            published_at: self.published_at.map(chrono_time),
            updated_at: chrono_time(self.updated_at),
            steps: self.steps,
        }
    }
}

/// A post as MongoDB keeps it. `credential_id` is the stored name of the account's id.
#[derive(Serialize, Deserialize)]
struct PostDoc {
    #[serde(rename = "_id")]
    id: String,
    customer_id: String,
    user_id: String,
    credential_id: String,
    instagram_user_id: String,
    instagram_username: String,
    kind: PostKind,
    media: Vec<MediaItem>,
    caption: String,
    #[serde(default)]
    options: PostOptions,
    scheduled_at: Option<BsonTime>,
    idempotency_key: String,
    request_hash: String,
    created_at: BsonTime,
    created_by: String,
    lease_owner: Option<String>,
    lease_until: Option<BsonTime>,
    lease_epoch: i64,
    /// Nested (not flattened: serde's flatten loses BSON dates), queried as `state.status` etc.
    state: StateDoc,
}

impl PostDoc {
    fn of(p: &Post) -> Self {
        Self {
            id: p.id.clone(),
            customer_id: p.tenant.customer_id().into(),
            user_id: p.tenant.user_id().into(),
            credential_id: p.account_id.clone(),
            instagram_user_id: p.instagram_user_id.clone(),
            instagram_username: p.instagram_username.clone(),
            kind: p.kind,
            media: p.media.clone(),
            caption: p.caption.clone(),
            options: p.options.clone(),
            scheduled_at: p.scheduled_at.map(bson_time),
            idempotency_key: p.idempotency_key.clone(),
            request_hash: p.request_hash.clone(),
            created_at: bson_time(p.created_at),
            created_by: p.created_by.clone(),
            lease_owner: p.lease_owner.clone(),
            lease_until: p.lease_until.map(bson_time),
            lease_epoch: p.lease_epoch as i64,
            state: StateDoc::of(&p.state),
        }
    }

    fn into_post(self) -> Result<Post> {
        Ok(Post {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            id: self.id,
            account_id: self.credential_id,
            instagram_user_id: self.instagram_user_id,
            instagram_username: self.instagram_username,
            kind: self.kind,
            media: self.media,
            caption: self.caption,
            options: self.options,
            scheduled_at: self.scheduled_at.map(chrono_time),
            idempotency_key: self.idempotency_key,
            request_hash: self.request_hash,
            created_at: chrono_time(self.created_at),
            created_by: self.created_by,
            lease_owner: self.lease_owner,
            lease_until: self.lease_until.map(chrono_time),
            lease_epoch: self.lease_epoch as u64,
            state: self.state.into_state(),
        })
    }
}

/// How many due posts one claim attempt looks at before leaving the rest to other workers.
const CLAIM_CANDIDATES: i64 = 8;

fn tenant_filter(tenant: &Tenant) -> Document {
    doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id()}
}

impl MongoStore {
    /// Takes the next lease epoch of `post`. The epoch is won by inserting `{post}:{epoch}` into
    /// `post_leases`: a unique `_id`, so exactly one worker gets each epoch, on MongoDB and on
    /// FerretDB alike (FerretDB 1.x runs findAndModify as a read then a write, which is not atomic).
    async fn try_claim(
        &self,
        post: &Post,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Claim>> {
        let epoch = post.lease_epoch + 1;
        let lease = doc! {
            "_id": format!("{}:{epoch}", post.id),
            "post_id": &post.id,
            "epoch": epoch as i64,
            "owner": owner,
            "claimed_at": bson_time(now),
        };
        match self
            .collection::<Document>(POST_LEASES)
            .insert_one(lease)
            .await
        {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        }
        // The post must still be as we read it (its customer may have cancelled it meanwhile).
        let claimed = self
            .collection::<PostDoc>(POSTS)
            .find_one_and_update(
                doc! {
                    "_id": &post.id,
                    "lease_epoch": post.lease_epoch as i64,
                    "state.status": post.state.status.as_str(),
                },
                doc! {"$set": {
                    "state.status": "publishing",
                    "lease_owner": owner,
                    "lease_until": bson_time(lease_until),
                    "lease_epoch": epoch as i64,
                }},
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(unavailable)?;
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        // Earlier epochs' lease records have served their purpose.
        self.collection::<Document>(POST_LEASES)
            .delete_many(doc! {"post_id": &post.id, "epoch": {"$lt": epoch as i64}})
            .await
            .map_err(unavailable)?;
        Ok(Some(Claim {
            epoch,
            owner: owner.to_string(),
            post: claimed.into_post()?,
        }))
    }

    async fn find_post(&self, filter: Document) -> Result<Option<Post>> {
        self.collection::<PostDoc>(POSTS)
            .find_one(filter)
            .await
            .map_err(unavailable)?
            .map(PostDoc::into_post)
            .transpose()
    }

    /// Gives posts stored before the claim's index a place in it.
    pub(super) async fn backfill_claim_keys(&self) -> Result<()> {
        let missing = doc! {"state.status": {"$in": pending()}, "state.claim_at": null};
        let posts = self.find_posts(missing, doc! {"_id": 1}, 0).await?;
        for post in posts {
            self.collection::<Document>(POSTS)
                .update_one(
                    doc! {"_id": &post.id, "state.status": post.state.status.as_str()},
                    doc! {"$set": {"state.claim_at": bson_time(post.state.run_at)}},
                )
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    async fn find_posts(&self, filter: Document, sort: Document, limit: i64) -> Result<Vec<Post>> {
        let docs: Vec<PostDoc> = self
            .collection::<PostDoc>(POSTS)
            .find(filter)
            .sort(sort)
            .limit(limit)
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(PostDoc::into_post).collect()
    }
}

#[async_trait]
impl PostStore for MongoStore {
    async fn create(&self, new: NewPost) -> Result<CreatedPost> {
        let post = new.into_post();
        match self
            .collection::<PostDoc>(POSTS)
            .insert_one(PostDoc::of(&post))
            .await
        {
            Ok(_) => Ok(CreatedPost::New(post)),
            // The unique (tenant, idempotency key) index refused: the key was used before.
            Err(e) if is_duplicate_key(&e) => self
                .get_by_idempotency_key(&post.tenant, &post.idempotency_key)
                .await?
                .map(CreatedPost::Existing)
                .ok_or_else(|| StoreError::unavailable("a post's idempotency key", e)),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get_by_idempotency_key(&self, tenant: &Tenant, key: &str) -> Result<Option<Post>> {
        let mut filter = tenant_filter(tenant);
        filter.insert("idempotency_key", key);
        self.find_post(filter).await
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<Post>> {
        let mut filter = tenant_filter(tenant);
        filter.insert("_id", id);
        self.find_post(filter).await
    }

    async fn list(&self, tenant: &Tenant, f: &PostFilter) -> Result<PostPage> {
        // One newest-first index range per status asked for, each stopping after a page, merged:
        // an `$in` would collect and sort every match first.
        let statuses: Vec<Option<&str>> = match f.statuses.is_empty() {
            true => vec![None],
            false => f.statuses.iter().map(|s| Some(s.as_str())).collect(),
        };
        let mut posts = Vec::new();
        for status in statuses {
            let mut filter = tenant_filter(tenant);
            if let Some(account_id) = &f.account_id {
                filter.insert("credential_id", account_id);
            }
            if let Some(status) = status {
                filter.insert("state.status", status);
            }
            if let Some(before) = &f.before_id {
                filter.insert("_id", doc! {"$lt": before});
            }
            let limit = i64::from(f.fetch_limit());
            posts.extend(self.find_posts(filter, doc! {"_id": -1}, limit).await?);
        }
        posts.sort_by(|a, b| b.id.cmp(&a.id));
        posts.truncate(f.fetch_limit() as usize);
        Ok(PostPage::from_fetched(posts, f))
    }

    async fn replace_state(
        &self,
        tenant: &Tenant,
        id: &str,
        expect_status: PostStatus,
        expect_epoch: u64,
        state: &PostState,
    ) -> Result<bool> {
        let mut filter = tenant_filter(tenant);
        filter.insert("_id", id);
        filter.insert("state.status", expect_status.as_str());
        filter.insert("lease_epoch", expect_epoch as i64);
        let result = self
            .collection::<Document>(POSTS)
            .update_one(
                filter,
                doc! {"$set": {"state": to_doc(&StateDoc::of(state))?}},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }

    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Claim>> {
        let now_b = bson_time(now);
        let due = doc! {
            "state.claim_at": {"$lte": now_b},
            "$or": [{"lease_until": null}, {"lease_until": {"$lt": now_b}}],
        };
        let candidates = self
            .find_posts(due, doc! {"state.claim_at": 1, "_id": 1}, CLAIM_CANDIDATES)
            .await?;
        for candidate in candidates {
            if let Some(claim) = self.try_claim(&candidate, owner, now, lease_until).await? {
                return Ok(Some(claim));
            }
        }
        Ok(None)
    }

    async fn save_claimed(&self, claim: &Claim, update: &ClaimedUpdate) -> Result<()> {
        let mut set = doc! {"state": to_doc(&StateDoc::of(&update.state))?};
        set.insert("lease_until", update.lease_until.map(bson_time));
        set.insert(
            "lease_owner",
            update.lease_until.map(|_| claim.owner.clone()),
        );
        let result = self
            .collection::<Document>(POSTS)
            .update_one(
                doc! {"_id": &claim.post.id, "lease_owner": &claim.owner, "lease_epoch": claim.epoch as i64},
                doc! {"$set": set},
            )
            .await
            .map_err(unavailable)?;
        match result.matched_count {
            1 => Ok(()),
            _ => Err(StoreError::Fenced),
        }
    }

    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        let next = self
            .find_posts(
                doc! {"state.claim_at": {"$lte": BsonTime::MAX}, "lease_owner": null},
                doc! {"state.claim_at": 1},
                1,
            )
            .await?;
        Ok(next.first().map(|p| p.state.run_at))
    }

    async fn published_count_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64> {
        self.collection::<Document>(POSTS)
            .count_documents(doc! {"instagram_user_id": instagram_user_id, "state.published_at": {"$gte": bson_time(since)}})
            .await
            .map_err(unavailable)
    }

    async fn record_container(&self, instagram_user_id: &str, at: DateTime<Utc>) -> Result<()> {
        // `expires_at` lets a TTL index tidy up; the reads filter on `at` themselves.
        self.collection::<Document>(CONTAINER_USES)
            .insert_one(doc! {
                "instagram_user_id": instagram_user_id,
                "at": bson_time(at),
                "expires_at": bson_time(at + chrono::TimeDelta::days(1)),
            })
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn media_use(&self, tenant: &Tenant, media_id: &str) -> Result<MediaUse> {
        let posts: Vec<Document> = self
            .collection::<Document>(POSTS)
            .find(doc! {
                "customer_id": tenant.customer_id(),
                "user_id": tenant.user_id(),
                "$or": [{"media.media_id": media_id}, {"options.cover_media_id": media_id}],
            })
            .projection(doc! {"state": 1})
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        posts.into_iter().try_fold(MediaUse::Unused, |used, post| {
            let state: StateDoc = post
                .get_document("state")
                .ok()
                .and_then(|s| mongodb::bson::from_document(s.clone()).ok())
                .ok_or_else(|| StoreError::Corrupt {
                    context: "a post's state could not be read".into(),
                    source: None,
                })?;
            Ok(used.and(MediaUse::of(&state.into_state())))
        })
    }

    async fn containers_since(
        &self,
        instagram_user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        let docs: Vec<Document> = self
            .collection::<Document>(CONTAINER_USES)
            .find(doc! {"instagram_user_id": instagram_user_id, "at": {"$gte": bson_time(since)}})
            .sort(doc! {"at": 1})
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        Ok(docs
            .iter()
            .filter_map(|d| d.get_datetime("at").ok())
            .map(|t| chrono_time(*t))
            .collect())
    }
}
