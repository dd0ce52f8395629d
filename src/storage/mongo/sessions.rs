use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, DateTime as BsonTime, Document};
use serde::{Deserialize, Serialize};

use super::{bson_time, chrono_time, is_duplicate_key, unavailable, MongoStore, SESSIONS};
use crate::{
    auth::session::{SessionRecord, SessionStore},
    domain::{store::StoreResult as Result, tenant::Tenant},
};

#[derive(Serialize, Deserialize)]
struct SessionDoc {
    #[serde(rename = "_id")]
    id_hash: String,
    data: String,
    expires_at: BsonTime,
    /// Who is signed in, so the platform can end a user's sessions.
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

impl SessionDoc {
    fn of(r: &SessionRecord) -> Self {
        Self {
            id_hash: r.id_hash.clone(),
            data: r.data.clone(),
            expires_at: bson_time(r.expires_at),
            customer_id: r.tenant.as_ref().map(|t| t.customer_id().into()),
            user_id: r.tenant.as_ref().map(|t| t.user_id().into()),
        }
    }

    fn into_record(self) -> Result<SessionRecord> {
        let tenant = match (self.customer_id, self.user_id) {
            (Some(c), Some(u)) => Some(Tenant::stored(c, u)?),
            _ => None,
        };
        Ok(SessionRecord {
            id_hash: self.id_hash,
            data: self.data,
            expires_at: chrono_time(self.expires_at),
            tenant,
        })
    }
}

#[async_trait]
impl SessionStore for MongoStore {
    async fn create(&self, r: &SessionRecord) -> Result<bool> {
        let doc = SessionDoc::of(r);
        match self
            .collection::<SessionDoc>(SESSIONS)
            .insert_one(doc)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn save(&self, r: &SessionRecord) -> Result<()> {
        self.collection::<Document>(SESSIONS)
            .update_one(
                doc! {"_id": &r.id_hash},
                doc! {"$set": {
                    "data": &r.data,
                    "expires_at": bson_time(r.expires_at),
                    "customer_id": r.tenant.as_ref().map(|t| t.customer_id()),
                    "user_id": r.tenant.as_ref().map(|t| t.user_id()),
                }},
            )
            .upsert(true)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn load(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let found = self
            .collection::<SessionDoc>(SESSIONS)
            .find_one(doc! {"_id": id_hash, "expires_at": {"$gt": bson_time(now)}})
            .await
            .map_err(unavailable)?;
        found.map(SessionDoc::into_record).transpose()
    }

    async fn delete(&self, id_hash: &str) -> Result<()> {
        self.collection::<Document>(SESSIONS)
            .delete_one(doc! {"_id": id_hash})
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn delete_for(&self, tenant: &Tenant) -> Result<u64> {
        let result = self
            .collection::<Document>(SESSIONS)
            .delete_many(doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id()})
            .await
            .map_err(unavailable)?;
        Ok(result.deleted_count)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let result = self
            .collection::<Document>(SESSIONS)
            .delete_many(doc! {"expires_at": {"$lte": bson_time(now)}})
            .await
            .map_err(unavailable)?;
        Ok(result.deleted_count)
    }
}
