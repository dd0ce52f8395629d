//! The media library's records in MongoDB (`media_assets`, `media_uploads`); the bytes are in
//! GridFS (`blobs.rs`). A unique index on (tenant, SHA-256) keeps each file once per tenant.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::{
    bson::{doc, DateTime as BsonTime, Document},
    options::{IndexOptions, ReturnDocument},
    IndexModel,
};
use serde::{Deserialize, Serialize};

use super::{bson_time, chrono_time, is_duplicate_key, unavailable, MongoStore};
use crate::domain::{
    library::{Asset, AssetKind, AssetStore, Upload},
    store::StoreResult as Result,
    tenant::Tenant,
};

const ASSETS: &str = "media_assets";
const UPLOADS: &str = "media_uploads";
/// One document per (upload, offset) received: its unique `_id` lets one chunk land per offset,
/// atomically on MongoDB and FerretDB alike (whose `findAndModify` is not atomic under races).
const UPLOAD_STEPS: &str = "media_upload_steps";

#[derive(Serialize, Deserialize)]
struct AssetDoc {
    #[serde(rename = "_id")]
    id: String,
    customer_id: String,
    user_id: String,
    kind: String,
    format: String,
    file_name: String,
    size: i64,
    sha256: String,
    width: Option<u32>,
    height: Option<u32>,
    duration_ms: Option<i64>,
    alt_text: Option<String>,
    created_at: BsonTime,
}

impl AssetDoc {
    fn from_asset(a: &Asset) -> Self {
        Self {
            id: a.id.clone(),
            customer_id: a.tenant.customer_id().into(),
            user_id: a.tenant.user_id().into(),
            kind: a.kind.as_str().into(),
            format: a.format.clone(),
            file_name: a.file_name.clone(),
            size: a.size as i64,
            sha256: a.sha256.clone(),
            width: a.width,
            height: a.height,
            duration_ms: a.duration_ms.map(|d| d as i64),
            alt_text: a.alt_text.clone(),
            created_at: bson_time(a.created_at),
        }
    }

    fn into_asset(self) -> Result<Asset> {
        Ok(Asset {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            id: self.id,
            kind: AssetKind::parse(&self.kind).unwrap_or(AssetKind::Image),
            format: self.format,
            file_name: self.file_name,
            size: self.size.max(0) as u64,
            sha256: self.sha256,
            width: self.width,
            height: self.height,
            duration_ms: self.duration_ms.map(|d| d.max(0) as u64),
            alt_text: self.alt_text,
            created_at: chrono_time(self.created_at),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct UploadDoc {
    #[serde(rename = "_id")]
    id: String,
    customer_id: String,
    user_id: String,
    file_name: String,
    size: i64,
    received: i64,
    parts: u32,
    created_at: BsonTime,
    expires_at: BsonTime,
}

impl UploadDoc {
    fn into_upload(self) -> Result<Upload> {
        Ok(Upload {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            id: self.id,
            file_name: self.file_name,
            size: self.size.max(0) as u64,
            received: self.received.max(0) as u64,
            parts: self.parts,
            created_at: chrono_time(self.created_at),
            expires_at: chrono_time(self.expires_at),
        })
    }
}

fn of(t: &Tenant, id: &str) -> Document {
    doc! {"_id": id, "customer_id": t.customer_id(), "user_id": t.user_id()}
}

impl MongoStore {
    pub(super) async fn create_library_indexes(&self) -> Result<()> {
        let model = |keys: Document, name: &str, unique: bool| {
            IndexModel::builder()
                .keys(keys)
                .options(
                    IndexOptions::builder()
                        .name(name.to_string())
                        .unique(unique)
                        .build(),
                )
                .build()
        };
        for (collection, index) in [
            (
                ASSETS,
                model(
                    doc! {"customer_id": 1, "user_id": 1, "sha256": 1},
                    "one_per_content",
                    true,
                ),
            ),
            (
                ASSETS,
                model(
                    doc! {"customer_id": 1, "user_id": 1, "created_at": -1, "_id": -1},
                    "by_tenant",
                    false,
                ),
            ),
            (UPLOADS, model(doc! {"expires_at": 1}, "by_expiry", false)),
            (
                UPLOAD_STEPS,
                model(doc! {"expires_at": 1}, "by_expiry", false),
            ),
        ] {
            self.collection::<Document>(collection)
                .create_index(index)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}

#[async_trait]
impl AssetStore for MongoStore {
    async fn insert_asset(&self, a: &Asset) -> Result<(Asset, bool)> {
        let assets = self.collection::<AssetDoc>(ASSETS);
        match assets.insert_one(AssetDoc::from_asset(a)).await {
            Ok(_) => Ok((a.clone(), true)),
            Err(e) if is_duplicate_key(&e) => {
                let held = assets
                    .find_one(doc! {"customer_id": a.tenant.customer_id(), "user_id": a.tenant.user_id(), "sha256": &a.sha256})
                    .await
                    .map_err(unavailable)?
                    .ok_or_else(|| unavailable(e))?;
                Ok((held.into_asset()?, false))
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn asset(&self, tenant: &Tenant, id: &str) -> Result<Option<Asset>> {
        self.collection::<AssetDoc>(ASSETS)
            .find_one(of(tenant, id))
            .await
            .map_err(unavailable)?
            .map(AssetDoc::into_asset)
            .transpose()
    }

    async fn assets(
        &self,
        tenant: &Tenant,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Asset>> {
        let mut filter = doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id()};
        if let Some(cursor) = before {
            if let Some(at) = self.asset(tenant, cursor).await? {
                let at_time = bson_time(at.created_at);
                filter.insert(
                    "$or",
                    vec![
                        doc! {"created_at": {"$lt": at_time}},
                        doc! {"created_at": at_time, "_id": {"$lt": &at.id}},
                    ],
                );
            }
        }
        let docs: Vec<AssetDoc> = self
            .collection::<AssetDoc>(ASSETS)
            .find(filter)
            .sort(doc! {"created_at": -1, "_id": -1})
            .limit(limit as i64)
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(AssetDoc::into_asset).collect()
    }

    async fn bytes_used(&self, tenant: &Tenant) -> Result<u64> {
        // Summed here rather than with `$group`, which not every wire-compatible server has.
        let docs: Vec<Document> = self
            .collection::<Document>(ASSETS)
            .find(doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id()})
            .projection(doc! {"size": 1})
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        Ok(docs
            .iter()
            .filter_map(|d| d.get_i64("size").ok())
            .map(|s| s.max(0) as u64)
            .sum())
    }

    async fn set_alt_text(&self, tenant: &Tenant, id: &str, alt: Option<&str>) -> Result<bool> {
        let r = self
            .collection::<Document>(ASSETS)
            .update_one(of(tenant, id), doc! {"$set": {"alt_text": alt}})
            .await
            .map_err(unavailable)?;
        Ok(r.matched_count == 1)
    }

    async fn delete_asset(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        let r = self
            .collection::<Document>(ASSETS)
            .delete_one(of(tenant, id))
            .await
            .map_err(unavailable)?;
        Ok(r.deleted_count == 1)
    }

    async fn insert_upload(&self, u: &Upload) -> Result<()> {
        let doc = UploadDoc {
            id: u.id.clone(),
            customer_id: u.tenant.customer_id().into(),
            user_id: u.tenant.user_id().into(),
            file_name: u.file_name.clone(),
            size: u.size as i64,
            received: u.received as i64,
            parts: u.parts,
            created_at: bson_time(u.created_at),
            expires_at: bson_time(u.expires_at),
        };
        self.collection::<UploadDoc>(UPLOADS)
            .insert_one(doc)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn upload(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Upload>> {
        let mut filter = of(tenant, id);
        filter.insert("expires_at", doc! {"$gt": bson_time(now)});
        self.collection::<UploadDoc>(UPLOADS)
            .find_one(filter)
            .await
            .map_err(unavailable)?
            .map(UploadDoc::into_upload)
            .transpose()
    }

    async fn advance_upload(
        &self,
        tenant: &Tenant,
        id: &str,
        expected: u64,
        len: u64,
    ) -> Result<Option<Upload>> {
        let Some(upload) = self
            .upload(tenant, id, chrono::DateTime::<Utc>::MIN_UTC)
            .await?
        else {
            return Ok(None);
        };
        if upload.received != expected || expected + len > upload.size {
            return Ok(None);
        }
        let step =
            doc! {"_id": format!("{id}:{expected}"), "expires_at": bson_time(upload.expires_at)};
        match self
            .collection::<Document>(UPLOAD_STEPS)
            .insert_one(step)
            .await
        {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        }
        self.collection::<UploadDoc>(UPLOADS)
            .find_one_and_update(
                of(tenant, id),
                doc! {"$inc": {"received": len as i64, "parts": 1}},
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(unavailable)?
            .map(UploadDoc::into_upload)
            .transpose()
    }

    async fn delete_upload(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        self.collection::<Document>(UPLOAD_STEPS)
            .delete_many(doc! {"_id": {"$regex": format!("^{}:", regex_escape(id))}})
            .await
            .map_err(unavailable)?;
        let r = self
            .collection::<Document>(UPLOADS)
            .delete_one(of(tenant, id))
            .await
            .map_err(unavailable)?;
        Ok(r.deleted_count == 1)
    }

    async fn expired_uploads(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Upload>> {
        let docs: Vec<UploadDoc> = self
            .collection::<UploadDoc>(UPLOADS)
            .find(doc! {"expires_at": {"$lte": bson_time(now)}})
            .sort(doc! {"expires_at": 1})
            .limit(limit as i64)
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(UploadDoc::into_upload).collect()
    }
}

/// `id` as a literal in a regular expression (ids are the service's own, but never trusted).
fn regex_escape(id: &str) -> String {
    id.chars()
        .flat_map(|c| match c.is_ascii_alphanumeric() {
            true => vec![c],
            false => vec!['\\', c],
        })
        .collect()
}
