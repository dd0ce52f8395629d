//! The port the library's records are kept behind (the bytes are [`super::BlobStore`]'s).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Asset, Rendition, Upload};
use crate::domain::{store::StoreResult, tenant::Tenant};

#[async_trait]
pub trait AssetStore: Send + Sync {
    /// Records the asset, unless the tenant already has one with the same SHA-256: then that one
    /// is returned and nothing is written (`false`).
    async fn insert_asset(&self, asset: &Asset) -> StoreResult<(Asset, bool)>;
    async fn asset(&self, tenant: &Tenant, id: &str) -> StoreResult<Option<Asset>>;
    /// The tenant's assets, newest first, at most `limit`, before the asset `before` when given.
    async fn assets(
        &self,
        tenant: &Tenant,
        before: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Asset>>;
    /// Bytes the tenant's originals take: what the quota counts.
    async fn bytes_used(&self, tenant: &Tenant) -> StoreResult<u64>;
    async fn set_alt_text(&self, tenant: &Tenant, id: &str, alt: Option<&str>)
        -> StoreResult<bool>;
    /// Forgets the asset and the records of its prepared copies.
    async fn delete_asset(&self, tenant: &Tenant, id: &str) -> StoreResult<bool>;
    /// The asset anyone's, by id: only for a URL the service signed, which names its tenant.
    async fn asset_by_id(&self, id: &str) -> StoreResult<Option<Asset>>;

    /// Records a prepared copy, or moves its time to the new `due_at` when it is known.
    async fn keep_rendition(&self, rendition: &Rendition) -> StoreResult<()>;
    /// The asset's prepared copies.
    async fn renditions(&self, tenant: &Tenant, asset_id: &str) -> StoreResult<Vec<Rendition>>;
    /// Prepared copies of every tenant due at `now`, soonest first, at most `limit`.
    async fn due_renditions(&self, now: DateTime<Utc>, limit: usize)
        -> StoreResult<Vec<Rendition>>;
    /// Moves the copy's time to `until`, only if it is still `rendition.due_at` (a post may just
    /// have kept it).
    async fn postpone_rendition(
        &self,
        rendition: &Rendition,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Forgets the copy, only if its time is still `rendition.due_at`.
    async fn forget_rendition(&self, rendition: &Rendition) -> StoreResult<bool>;

    async fn insert_upload(&self, upload: &Upload) -> StoreResult<()>;
    /// The tenant's unexpired upload.
    async fn upload(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Upload>>;
    /// Records that a part of `len` bytes was stored after `expected` bytes: only if exactly
    /// `expected` were received so far (two racing chunks cannot both land). The upload after it.
    async fn advance_upload(
        &self,
        tenant: &Tenant,
        id: &str,
        expected: u64,
        len: u64,
    ) -> StoreResult<Option<Upload>>;
    async fn delete_upload(&self, tenant: &Tenant, id: &str) -> StoreResult<bool>;
    /// Uploads that expired before `now`, of every tenant, at most `limit`: their parts are removed.
    async fn expired_uploads(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<Upload>>;
}
