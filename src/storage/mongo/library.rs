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
    library::{Asset, AssetKind, AssetStore, Rendition, Upload},
    store::StoreResult as Result,
    tenant::Tenant,
};

const ASSETS: &str = "media_assets";
const UPLOADS: &str = "media_uploads";
const RENDITIONS: &str = "media_renditions";
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

/// A prepared copy; `_id` is `{asset}/{name}`.
#[derive(Serialize, Deserialize)]
struct RenditionDoc {
    #[serde(rename = "_id")]
    id: String,
    customer_id: String,
    user_id: String,
    asset_id: String,
    name: String,
    width: u32,
    height: u32,
    bytes: i64,
    due_at: BsonTime,
}

impl RenditionDoc {
    fn from_rendition(r: &Rendition) -> Self {
        Self {
            id: rendition_id(r),
            customer_id: r.tenant.customer_id().into(),
            user_id: r.tenant.user_id().into(),
            asset_id: r.asset_id.clone(),
            name: r.name.clone(),
            width: r.width,
            height: r.height,
            bytes: r.bytes as i64,
            due_at: bson_time(r.due_at),
        }
    }

    fn into_rendition(self) -> Result<Rendition> {
        Ok(Rendition {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            asset_id: self.asset_id,
            name: self.name,
            width: self.width,
            height: self.height,
            bytes: self.bytes.max(0) as u64,
            due_at: chrono_time(self.due_at),
        })
    }
}

fn rendition_id(r: &Rendition) -> String {
    format!("{}/{}", r.asset_id, r.name)
}

/// The copy, as long as nothing moved its time.
fn unchanged(r: &Rendition) -> Document {
    doc! {"_id": rendition_id(r), "due_at": bson_time(r.due_at)}
}

/// Every document the query finds, in order, at most `limit` (0: no limit).
async fn all<T>(
    collection: mongodb::Collection<T>,
    filter: Document,
    sort: Document,
    limit: usize,
) -> Result<Vec<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    collection
        .find(filter)
        .sort(sort)
        .limit(limit as i64)
        .await
        .map_err(unavailable)?
        .try_collect()
        .await
        .map_err(unavailable)
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
            (RENDITIONS, model(doc! {"due_at": 1}, "by_due", false)),
            (
                RENDITIONS,
                model(
                    doc! {"customer_id": 1, "user_id": 1, "asset_id": 1},
                    "by_asset",
                    false,
                ),
            ),
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
        let sort = doc! {"created_at": -1, "_id": -1};
        let docs = all(self.collection::<AssetDoc>(ASSETS), filter, sort, limit).await?;
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
        self.collection::<Document>(RENDITIONS)
            .delete_many(doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "asset_id": id})
            .await
            .map_err(unavailable)?;
        Ok(r.deleted_count == 1)
    }

    async fn asset_by_id(&self, id: &str) -> Result<Option<Asset>> {
        self.collection::<AssetDoc>(ASSETS)
            .find_one(doc! {"_id": id})
            .await
            .map_err(unavailable)?
            .map(AssetDoc::into_asset)
            .transpose()
    }

    async fn keep_rendition(&self, r: &Rendition) -> Result<()> {
        self.collection::<RenditionDoc>(RENDITIONS)
            .replace_one(
                doc! {"_id": rendition_id(r)},
                RenditionDoc::from_rendition(r),
            )
            .upsert(true)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn renditions(&self, tenant: &Tenant, asset_id: &str) -> Result<Vec<Rendition>> {
        let filter = doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "asset_id": asset_id};
        let docs = all(self.collection(RENDITIONS), filter, doc! {"_id": 1}, 0).await?;
        docs.into_iter().map(RenditionDoc::into_rendition).collect()
    }

    async fn due_renditions(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Rendition>> {
        let filter = doc! {"due_at": {"$lte": bson_time(now)}};
        let sort = doc! {"due_at": 1};
        let docs = all(self.collection(RENDITIONS), filter, sort, limit).await?;
        docs.into_iter().map(RenditionDoc::into_rendition).collect()
    }

    async fn postpone_rendition(&self, r: &Rendition, until: DateTime<Utc>) -> Result<bool> {
        let changed = self
            .collection::<Document>(RENDITIONS)
            .update_one(unchanged(r), doc! {"$set": {"due_at": bson_time(until)}})
            .await
            .map_err(unavailable)?;
        Ok(changed.matched_count == 1)
    }

    async fn forget_rendition(&self, r: &Rendition) -> Result<bool> {
        let gone = self
            .collection::<Document>(RENDITIONS)
            .delete_one(unchanged(r))
            .await
            .map_err(unavailable)?;
        Ok(gone.deleted_count == 1)
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
        let filter = doc! {"expires_at": {"$lte": bson_time(now)}};
        let sort = doc! {"expires_at": 1};
        let docs = all(self.collection::<UploadDoc>(UPLOADS), filter, sort, limit).await?;
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
