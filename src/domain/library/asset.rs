//! One file in a tenant's library, and an upload on its way there.

use chrono::{DateTime, Utc};

use crate::domain::tenant::Tenant;

/// Photos and videos; the kind decides the rules and the posts it can go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    Image,
    Video,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Image => "image",
            AssetKind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(AssetKind::Image),
            "video" => Some(AssetKind::Video),
            _ => None,
        }
    }
}

/// A file of the library, as stored (its bytes are blobs under [`Asset::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub id: String,
    pub tenant: Tenant,
    pub kind: AssetKind,
    /// What the bytes are (`jpeg`, `png`, `gif`, `webp`, `mp4`, `mov`), sniffed, never the name's.
    pub format: String,
    /// The name it was uploaded with, for showing only.
    pub file_name: String,
    pub size: u64,
    /// SHA-256 of the original bytes: the same file uploaded twice by a tenant is kept once.
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// Kept with the image and offered again whenever it is posted.
    pub alt_text: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Asset {
    /// Where its bytes live: a directory per tenant (named by a hash, never by the tenant's ids)
    /// and per asset.
    pub fn key(&self, name: &str) -> String {
        asset_key(&self.tenant, &self.id, name)
    }
}

pub fn asset_key(tenant: &Tenant, asset_id: &str, name: &str) -> String {
    format!("{}/{asset_id}/{name}", tenant_dir(tenant))
}

/// A tenant's directory name: a hash of who they are.
pub fn tenant_dir(tenant: &Tenant) -> String {
    let who = format!("{}\u{1f}{}", tenant.customer_id(), tenant.user_id());
    crate::crypto::sha256_hex(who.as_bytes())[..32].to_string()
}

/// A chunked upload, resumable: `received` bytes of `size` are stored so far, as parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub tenant: Tenant,
    pub file_name: String,
    pub size: u64,
    pub received: u64,
    /// How many parts are stored (`part-{n}` blobs, in order).
    pub parts: u32,
    pub created_at: DateTime<Utc>,
    /// An unfinished upload is forgotten (and its parts removed) after this.
    pub expires_at: DateTime<Utc>,
}

impl Upload {
    pub fn part_key(&self, n: u32) -> String {
        asset_key(
            &self.tenant,
            &format!("upload-{}", self.id),
            &format!("part-{n:06}"),
        )
    }
}

/// A prepared copy of a photo (shaped for one placement), kept until a configured time after the
/// last post that uses its photo is done, and looked at again at `due_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub tenant: Tenant,
    pub asset_id: String,
    /// Its file name beside the original (`feed-crop-500-500.jpg`): it names the shape.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub due_at: DateTime<Utc>,
}

impl Rendition {
    pub fn key(&self) -> String {
        asset_key(&self.tenant, &self.asset_id, &self.name)
    }
}
