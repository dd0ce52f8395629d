use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, DateTime as BsonTime, Document};
use serde::{Deserialize, Serialize};

use super::{bson_time, chrono_time, is_duplicate_key, unavailable, MongoStore, SESSIONS};
use crate::{
    auth::session::{SessionRecord, SessionStore},
    domain::store::StoreResult as Result,
};

#[derive(Serialize, Deserialize)]
struct SessionDoc {
    #[serde(rename = "_id")]
    id_hash: String,
    data: String,
    expires_at: BsonTime,
}

#[async_trait]
impl SessionStore for MongoStore {
    async fn create(&self, r: &SessionRecord) -> Result<bool> {
        let doc = SessionDoc {
            id_hash: r.id_hash.clone(),
            data: r.data.clone(),
            expires_at: bson_time(r.expires_at),
        };
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
                doc! {"$set": {"data": &r.data, "expires_at": bson_time(r.expires_at)}},
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
        Ok(found.map(|d| SessionRecord {
            id_hash: d.id_hash,
            data: d.data,
            expires_at: chrono_time(d.expires_at),
        }))
    }

    async fn delete(&self, id_hash: &str) -> Result<()> {
        self.collection::<Document>(SESSIONS)
            .delete_one(doc! {"_id": id_hash})
            .await
            .map_err(unavailable)?;
        Ok(())
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
