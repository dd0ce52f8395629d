//! MongoDB, through the official driver. No multi-document transactions: every rule that must hold
//! under concurrency rests on a unique index or a single-document atomic update
//! (docs/security.md M1-M4).

mod accounts;
mod blobs;
mod compliance;
mod connect_states;
mod library;
mod posts;
mod sessions;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::{
    bson::{doc, Document},
    error::{ErrorKind, WriteFailure},
    options::{CollectionOptions, IndexOptions, WriteConcern},
    Client, Collection, Database, IndexModel,
};
use serde::Serialize;

use crate::{
    domain::store::{StoreError, StoreResult as Result},
    server::health::Health,
};

const CREDENTIALS: &str = "instagram_credentials";
const OAUTH_STATES: &str = "oauth_states";
/// One document per consumed state: its unique `_id` makes consuming atomic on any server.
const OAUTH_STATE_USES: &str = "oauth_state_uses";
/// Flows the platform started through the API, waiting for their browser.
const CONNECT_FLOWS: &str = "connect_flows";
/// One document per bound or started flow (`bind:{id}`, `start:{id}`): a unique `_id` makes each
/// happen once on any server.
const CONNECT_FLOW_STEPS: &str = "connect_flow_steps";
const SESSIONS: &str = "sessions";
const POSTS: &str = "instagram_posts";
/// One document per (post, lease epoch): its unique `_id` makes claiming exclusive on any server.
const POST_LEASES: &str = "post_leases";
/// One document per container made, per Instagram account: Meta's rolling 400-a-day budget.
const CONTAINER_USES: &str = "container_uses";

pub struct MongoStore {
    db: Database,
}

impl MongoStore {
    pub async fn connect(uri: &str, database: &str) -> Result<Self> {
        let client = Client::with_uri_str(uri).await.map_err(unavailable)?;
        let store = Self {
            db: client.database(database),
        };
        store.create_indexes().await?;
        Ok(store)
    }

    /// Media bytes in this database's GridFS.
    pub fn blobs(&self) -> blobs::GridFsBlobs {
        blobs::GridFsBlobs::new(&self.db)
    }

    /// Tokens and publishing state are written with `w: majority` explicitly (docs/security.md M4):
    /// it is the default on replica sets, but the cluster's configuration is not ours to rely on.
    fn collection<T: Send + Sync>(&self, name: &str) -> Collection<T> {
        self.db.collection_with_options(
            name,
            CollectionOptions::builder()
                .write_concern(WriteConcern::majority())
                .build(),
        )
    }

    async fn create_indexes(&self) -> Result<()> {
        let unique = |name: &str| {
            IndexOptions::builder()
                .name(name.to_string())
                .unique(true)
                .build()
        };
        let named = |name: &str| IndexOptions::builder().name(name.to_string()).build();
        let index = |keys: Document, options: IndexOptions| {
            IndexModel::builder().keys(keys).options(options).build()
        };
        let plan: Vec<(&str, IndexModel)> = vec![
            // One document per customer and Instagram account, whatever races.
            (
                CREDENTIALS,
                index(
                    doc! {"customer_id": 1, "instagram_user_id": 1},
                    unique("one_per_customer_account"),
                ),
            ),
            (
                CREDENTIALS,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "is_active": 1, "created_at": 1},
                    named("by_tenant"),
                ),
            ),
            // The health sweep's queue, and Meta's callbacks, which name a Facebook user.
            (
                CREDENTIALS,
                index(
                    doc! {"is_active": 1, "is_authenticated": 1, "checked_at": 1},
                    named("by_check"),
                ),
            ),
            (
                CREDENTIALS,
                index(
                    doc! {"app_id": 1, "facebook_user_id": 1},
                    named("by_facebook_user"),
                ),
            ),
            (
                OAUTH_STATES,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "flow_id": 1},
                    named("by_flow"),
                ),
            ),
            (
                POSTS,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "idempotency_key": 1},
                    unique("one_per_idempotency_key"),
                ),
            ),
            // The claim: pending posts only (`state.claim_at`), in the order they are due.
            (
                POSTS,
                index(doc! {"state.claim_at": 1, "_id": 1}, named("claim")),
            ),
            (
                POSTS,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "_id": -1},
                    named("by_tenant"),
                ),
            ),
            // The history's filters: one newest-first range per status, account, or both.
            (
                POSTS,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "state.status": 1, "_id": -1},
                    named("by_status"),
                ),
            ),
            (
                POSTS,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "credential_id": 1, "_id": -1},
                    named("by_account"),
                ),
            ),
            (
                POSTS,
                index(
                    doc! {"customer_id": 1, "user_id": 1, "credential_id": 1, "state.status": 1, "_id": -1},
                    named("by_account_status"),
                ),
            ),
            (
                POSTS,
                index(
                    doc! {"instagram_user_id": 1, "state.published_at": 1},
                    named("published"),
                ),
            ),
            (
                POST_LEASES,
                index(doc! {"post_id": 1, "epoch": 1}, named("by_post")),
            ),
            (
                CONTAINER_USES,
                index(doc! {"instagram_user_id": 1, "at": 1}, named("by_account")),
            ),
            (
                SESSIONS,
                index(doc! {"customer_id": 1, "user_id": 1}, named("by_tenant")),
            ),
        ];
        for (collection, model) in plan {
            self.collection::<Document>(collection)
                .create_index(model)
                .await
                .map_err(unavailable)?;
        }
        // Expiry holds in the queries themselves; TTL indexes only tidy up, so a server without
        // them (FerretDB 1.x) is told about, not refused.
        for (collection, after) in [
            (OAUTH_STATES, 3600),
            (SESSIONS, 0),
            (CONNECT_FLOWS, 3600),
            (CONNECT_FLOW_STEPS, 3600),
            (CONTAINER_USES, 0),
        ] {
            let ttl = IndexOptions::builder()
                .name("expiry".to_string())
                .expire_after(std::time::Duration::from_secs(after))
                .build();
            if let Err(e) = self
                .collection::<Document>(collection)
                .create_index(index(doc! {"expires_at": 1}, ttl))
                .await
            {
                tracing::warn!(collection, error = %e, "TTL index not available; expired records are removed by the periodic sweep");
                self.collection::<Document>(collection)
                    .create_index(index(doc! {"expires_at": 1}, named("expiry_plain")))
                    .await
                    .map_err(unavailable)?;
            }
        }
        // The claim's index before `state.claim_at` (an `$in` on the status): gone if there.
        let _ = self.collection::<Document>(POSTS).drop_index("due").await;
        self.backfill_claim_keys().await?;
        self.create_compliance_indexes().await?;
        self.create_library_indexes().await
    }
}

#[async_trait]
impl Health for MongoStore {
    async fn ping(&self) -> Result<()> {
        self.db
            .run_command(doc! {"ping": 1})
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}

fn unavailable(e: mongodb::error::Error) -> StoreError {
    StoreError::unavailable("MongoDB", e)
}

/// E11000: a unique index refused the write.
fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::Command(c) => c.code == 11000,
        _ => false,
    }
}

fn bson_time(t: DateTime<Utc>) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_millis(t.timestamp_millis())
}

fn chrono_time(t: mongodb::bson::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or_default()
}

fn to_doc<T: Serialize>(value: &T) -> Result<Document> {
    mongodb::bson::to_document(value).map_err(|e| StoreError::corrupt("a BSON document", e))
}
