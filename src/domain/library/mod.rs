//! The media library: what customers upload, kept per tenant, prepared the way Instagram wants
//! it, and served to Instagram at signed URLs.

mod asset;
mod blobs;
mod service;
mod store;

pub use asset::{asset_key, tenant_dir, Asset, AssetKind, Rendition, Upload};
pub use blobs::{is_valid_key, BlobRead, BlobStore, ByteRange, ByteStream};
pub use service::{Library, LibraryConfig, Placement, Prepared, Progress, Shape};
pub use store::AssetStore;
