//! The storage adapters: MongoDB in production, an embedded SQLite store by default, and S3 for
//! media bytes when configured (whichever store keeps the records). Each
//! implements the ports the domain and the server own (`AccountStore`, `ConnectStateStore`,
//! `PostStore`, `auth::session::SessionStore`, `server::health::Health`) and only translates;
//! one contract suite (tests/spec/storage_contract.rs) checks both.
//!
//! Every method that touches tenant data takes the `Tenant` and puts it in its filter: there is
//! no way to read or change an account or a post by id alone.

pub mod embedded;
pub mod mongo;
pub mod s3;

use std::sync::Arc;

use crate::{
    auth::session::SessionStore,
    domain::{
        accounts::AccountStore,
        compliance::ComplianceStore,
        connect::ConnectStateStore,
        library::{AssetStore, BlobStore},
        posts::PostStore,
        store::StoreResult,
    },
    server::health::Health,
};

/// Every store, chosen once at start-up.
#[derive(Clone)]
pub struct Storage {
    pub accounts: Arc<dyn AccountStore>,
    pub connect_states: Arc<dyn ConnectStateStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub posts: Arc<dyn PostStore>,
    /// What Meta's deauthorize and data deletion callbacks remember.
    pub compliance: Arc<dyn ComplianceStore>,
    pub health: Arc<dyn Health>,
    /// The media library's records.
    pub assets: Arc<dyn AssetStore>,
    /// Media bytes: files beside the embedded store, GridFS with MongoDB, or S3 when configured
    /// ([`Storage::with_blobs`]).
    pub blobs: Arc<dyn BlobStore>,
    pub kind: &'static str,
}

impl Storage {
    fn from_adapter<S>(adapter: Arc<S>, blobs: Arc<dyn BlobStore>, kind: &'static str) -> Self
    where
        S: AccountStore
            + AssetStore
            + ComplianceStore
            + ConnectStateStore
            + SessionStore
            + PostStore
            + Health
            + 'static,
    {
        Self {
            accounts: adapter.clone(),
            connect_states: adapter.clone(),
            sessions: adapter.clone(),
            posts: adapter.clone(),
            compliance: adapter.clone(),
            assets: adapter.clone(),
            health: adapter,
            blobs,
            kind,
        }
    }

    /// The embedded store in `data_dir/social-media-uploader.sqlite3`.
    pub async fn embedded(data_dir: &std::path::Path) -> StoreResult<Self> {
        let store = embedded::EmbeddedStore::open(data_dir).await?;
        let blobs = Arc::new(embedded::blobs::FileBlobs::new(data_dir));
        Ok(Self::from_adapter(Arc::new(store), blobs, "embedded"))
    }

    /// MongoDB, with its indexes created (or confirmed) before the first request.
    pub async fn mongo(uri: &str, database: &str) -> StoreResult<Self> {
        let store = mongo::MongoStore::connect(uri, database).await?;
        let blobs = Arc::new(store.blobs());
        Ok(Self::from_adapter(Arc::new(store), blobs, "mongodb"))
    }

    /// The same records, with media bytes kept elsewhere (S3, when `MEDIA_S3_BUCKET` is set).
    pub fn with_blobs(self, blobs: Arc<dyn BlobStore>) -> Self {
        Self { blobs, ..self }
    }
}
