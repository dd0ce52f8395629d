//! Meta's callbacks in MongoDB: used signed requests (`meta_signed_request_uses`, one document
//! per use under the signature's hash as `_id`), deletion requests (`meta_deletion_requests`,
//! under their confirmation code as `_id`), and erasing an account's posts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::{
    bson::{doc, DateTime as BsonTime, Document},
    options::IndexOptions,
    IndexModel,
};
use serde::{Deserialize, Serialize};

use super::{bson_time, chrono_time, is_duplicate_key, unavailable, MongoStore, POSTS};
use crate::domain::{
    compliance::{ComplianceStore, DeletionRequest},
    store::StoreResult as Result,
};

/// One document per accepted signed request: its unique `_id` makes the first use atomic on
/// MongoDB and FerretDB alike (FerretDB 1.x runs findAndModify as a read then a write).
const USES: &str = "meta_signed_request_uses";
const DELETIONS: &str = "meta_deletion_requests";

#[derive(Serialize, Deserialize)]
struct DeletionDoc {
    #[serde(rename = "_id")]
    confirmation_code: String,
    received_at: BsonTime,
    completed_at: Option<BsonTime>,
}

impl MongoStore {
    /// The uses' expiry: a TTL index where the server has one (it only tidies up: a use found
    /// after its expiry belongs to a request refused as stale before it is looked up).
    pub(super) async fn create_compliance_indexes(&self) -> Result<()> {
        let ttl = IndexOptions::builder()
            .name("expiry".to_string())
            .expire_after(std::time::Duration::from_secs(0))
            .build();
        let model = |options| {
            IndexModel::builder()
                .keys(doc! {"expires_at": 1})
                .options(options)
                .build()
        };
        let uses = self.collection::<Document>(USES);
        if let Err(e) = uses.create_index(model(ttl)).await {
            tracing::warn!(collection = USES, error = %e, "TTL index not available; used signed requests are removed as new ones arrive");
            let plain = IndexOptions::builder()
                .name("expiry_plain".to_string())
                .build();
            uses.create_index(model(plain)).await.map_err(unavailable)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ComplianceStore for MongoStore {
    async fn first_use(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let uses = self.collection::<Document>(USES);
        uses.delete_many(doc! {"expires_at": {"$lt": bson_time(now)}})
            .await
            .map_err(unavailable)?;
        let mark =
            doc! {"_id": key, "used_at": bson_time(now), "expires_at": bson_time(expires_at)};
        match uses.insert_one(mark).await {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn forget_use(&self, key: &str) -> Result<()> {
        self.collection::<Document>(USES)
            .delete_one(doc! {"_id": key})
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn erase_account_posts(&self, customer_id: &str, account_id: &str) -> Result<u64> {
        self.collection::<Document>(POSTS)
            .delete_many(doc! {"customer_id": customer_id, "credential_id": account_id})
            .await
            .map(|r| r.deleted_count)
            .map_err(unavailable)
    }

    async fn record_deletion(&self, request: &DeletionRequest) -> Result<()> {
        let record = DeletionDoc {
            confirmation_code: request.confirmation_code.clone(),
            received_at: bson_time(request.received_at),
            completed_at: request.completed_at.map(bson_time),
        };
        self.collection::<DeletionDoc>(DELETIONS)
            .insert_one(record)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn deletion(&self, confirmation_code: &str) -> Result<Option<DeletionRequest>> {
        let found = self
            .collection::<DeletionDoc>(DELETIONS)
            .find_one(doc! {"_id": confirmation_code})
            .await
            .map_err(unavailable)?;
        Ok(found.map(|d| DeletionRequest {
            confirmation_code: d.confirmation_code,
            received_at: chrono_time(d.received_at),
            completed_at: d.completed_at.map(chrono_time),
        }))
    }
}
