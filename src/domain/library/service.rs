//! What the library does for a tenant: takes a file (whole, or in resumable chunks), refuses what
//! Instagram could not use with the rule named and nothing kept, keeps each file once, prepares
//! photos the way Instagram wants them, and hands out signed URLs Instagram downloads from.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use media_prep::{Fit, Kind, Limits, Request, Target};
use sha2::{Digest, Sha256};

use super::{
    asset_key, tenant_dir, Asset, AssetKind, AssetStore, BlobStore, ByteRange, ByteStream,
    Rendition, Upload,
};
use crate::{
    crypto::{new_id, UrlSigner},
    domain::{
        clock,
        media::{self, MediaProbe},
        posts::{MediaItem, MediaType, MediaUse, PostKind, PostOptions, PostStore},
        store::StoreError,
        tenant::Tenant,
        DomainError,
    },
};

/// Name of the original file of an asset, and of its grid thumbnail.
const ORIGINAL: &str = "original";
const THUMBNAIL: &str = "thumb.jpg";
/// A prepared copy a post is about to use is looked at again after at most this long.
const PENDING_RECHECK: TimeDelta = TimeDelta::days(1);
/// Prepared copies looked at per sweep.
const SWEEP_BATCH: usize = 100;
/// Longest side of a library thumbnail.
const THUMBNAIL_SIDE: u32 = 320;
/// A file name is kept for showing; longer ones are cut.
const MAX_NAME_CHARS: usize = 120;

/// The library's limits (README, Configuration).
#[derive(Debug, Clone)]
pub struct LibraryConfig {
    /// Photos larger than this are refused (they are re-encoded, so they may exceed Instagram's
    /// 8 MiB).
    pub max_image_bytes: u64,
    /// Videos larger than this are refused (a reel may be up to 300 MB... and 1 GB on Meta's
    /// newest limit; a story 100 MB).
    pub max_video_bytes: u64,
    /// What one tenant may keep in originals.
    pub quota_bytes: u64,
    /// The largest chunk of a resumable upload.
    pub max_chunk_bytes: u64,
    /// An unfinished upload is forgotten after this.
    pub upload_lifetime: Duration,
    /// Prepared copies are removed this long after the last post that uses their photo is
    /// done (`MEDIA_RETENTION_DAYS`); the originals stay until the customer deletes them.
    pub retention: Duration,
    /// Where Instagram downloads our files from: `PUBLIC_BASE_URL` (https in production).
    pub public_base_url: String,
}

/// How a photo is brought into the shape its post needs (the customer's choice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// Cropped, keeping the point at `x`, `y` (0 to 1 from the top-left) in view.
    Crop { x: f32, y: f32 },
    /// Padded with bars of this colour.
    Pad { rgb: [u8; 3] },
}

/// Where a post's photo goes: the feed (4:5 to 1.91:1), or a story (9:16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Feed,
    Vertical,
}

/// A file prepared for a post, and the signed URL Instagram fetches it from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// How far a resumable upload is, and the asset once it is complete.
#[derive(Debug, Clone)]
pub struct Progress {
    pub upload: Upload,
    pub asset: Option<(Asset, bool)>,
}

#[derive(Clone)]
pub struct Library {
    assets: Arc<dyn AssetStore>,
    /// Asked before a file is deleted: a post still to be published may use it.
    posts: Arc<dyn PostStore>,
    blobs: Arc<dyn BlobStore>,
    probe: Arc<dyn MediaProbe>,
    signer: UrlSigner,
    config: LibraryConfig,
}

fn store(e: StoreError) -> DomainError {
    DomainError::Storage(e)
}

impl Library {
    pub fn new(
        assets: Arc<dyn AssetStore>,
        posts: Arc<dyn PostStore>,
        blobs: Arc<dyn BlobStore>,
        probe: Arc<dyn MediaProbe>,
        signer: UrlSigner,
        config: LibraryConfig,
    ) -> Self {
        Self {
            assets,
            posts,
            blobs,
            probe,
            signer,
            config,
        }
    }

    pub fn config(&self) -> &LibraryConfig {
        &self.config
    }

    /// A whole file, sent at once (multipart): refused, or kept once.
    pub async fn add(
        &self,
        tenant: &Tenant,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<(Asset, bool), DomainError> {
        let size = bytes.len() as u64;
        self.check_room(tenant, size).await?;
        let id = new_id();
        let key = asset_key(tenant, &id, ORIGINAL);
        let sha256 = crate::crypto::sha256_hex(&bytes);
        self.blobs
            .put(&key, stream::once(async move { Ok(bytes) }).boxed())
            .await
            .map_err(store)?;
        self.ingest(tenant, id, file_name, size, sha256).await
    }

    /// Starts a resumable upload of `size` bytes.
    pub async fn start_upload(
        &self,
        tenant: &Tenant,
        file_name: &str,
        size: u64,
    ) -> Result<Upload, DomainError> {
        if size == 0 {
            return Err(DomainError::invalid("size", "The file is empty."));
        }
        self.check_room(tenant, size).await?;
        let now = clock::now();
        let upload = Upload {
            id: new_id(),
            tenant: tenant.clone(),
            file_name: clean_name(file_name),
            size,
            received: 0,
            parts: 0,
            created_at: now,
            expires_at: now
                + TimeDelta::from_std(self.config.upload_lifetime).unwrap_or(TimeDelta::days(1)),
        };
        self.assets.insert_upload(&upload).await.map_err(store)?;
        Ok(upload)
    }

    /// How far an upload is (to resume after a dropped connection).
    pub async fn upload(&self, tenant: &Tenant, id: &str) -> Result<Upload, DomainError> {
        self.assets
            .upload(tenant, id, clock::now())
            .await
            .map_err(store)?
            .ok_or(DomainError::NotFound("upload"))
    }

    /// Stores the chunk that starts at `offset`; the last one completes the upload. A chunk for
    /// another offset is refused with the offset to resume from.
    pub async fn append(
        &self,
        tenant: &Tenant,
        id: &str,
        offset: u64,
        chunk: ByteStream,
    ) -> Result<Progress, DomainError> {
        let upload = self.upload(tenant, id).await?;
        if offset != upload.received {
            return Err(resume_at(upload.received));
        }
        let room = (upload.size - upload.received).min(self.config.max_chunk_bytes);
        let key = upload.part_key(upload.parts);
        let len = self
            .blobs
            .put(&key, bounded(chunk, room))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(message) => DomainError::TooLarge(message),
                other => store(other),
            })?;
        if len == 0 {
            let _ = self.blobs.delete(&key).await;
            return Err(DomainError::invalid("body", "The chunk is empty."));
        }
        let Some(advanced) = self
            .assets
            .advance_upload(tenant, id, offset, len)
            .await
            .map_err(store)?
        else {
            // Another chunk for this offset landed first: ours is dropped.
            let _ = self.blobs.delete(&key).await;
            let now = self.upload(tenant, id).await?;
            return Err(resume_at(now.received));
        };
        if advanced.received < advanced.size {
            return Ok(Progress {
                upload: advanced,
                asset: None,
            });
        }
        let asset = self.assemble(&advanced).await?;
        Ok(Progress {
            upload: advanced,
            asset: Some(asset),
        })
    }

    /// Joins a complete upload's parts into one original, streaming, and takes it in.
    async fn assemble(&self, upload: &Upload) -> Result<(Asset, bool), DomainError> {
        let id = new_id();
        let key = asset_key(&upload.tenant, &id, ORIGINAL);
        let parts: Vec<String> = (0..upload.parts).map(|n| upload.part_key(n)).collect();
        let hasher = Arc::new(std::sync::Mutex::new(Sha256::new()));
        let blobs = self.blobs.clone();
        let feed = hasher.clone();
        let joined = stream::iter(parts.clone())
            .then(move |part| {
                let blobs = blobs.clone();
                async move {
                    match blobs.get(&part, None).await {
                        Ok(Some(blob)) => Ok(blob.bytes),
                        Ok(None) => Err(StoreError::Corrupt {
                            context: format!("a part of an upload is missing: {part}"),
                            source: None,
                        }),
                        Err(e) => Err(e),
                    }
                }
            })
            .try_flatten()
            .inspect_ok(move |chunk| {
                feed.lock().unwrap_or_else(|p| p.into_inner()).update(chunk);
            })
            .boxed();
        let size = self.blobs.put(&key, joined).await.map_err(store)?;
        for part in &parts {
            let _ = self.blobs.delete(part).await;
        }
        let _ = self.assets.delete_upload(&upload.tenant, &upload.id).await;
        let sha256 = hex::encode(
            std::mem::take(&mut *hasher.lock().unwrap_or_else(|p| p.into_inner())).finalize(),
        );
        self.ingest(&upload.tenant, id, &upload.file_name, size, sha256)
            .await
    }

    /// Looks at a stored original: refuses it (and removes it) or records it, once per content.
    async fn ingest(
        &self,
        tenant: &Tenant,
        id: String,
        file_name: &str,
        size: u64,
        sha256: String,
    ) -> Result<(Asset, bool), DomainError> {
        let key = asset_key(tenant, &id, ORIGINAL);
        let looked = self.look(tenant, &id, &key, size).await;
        let (kind, format, width, height, duration_ms) = match looked {
            Ok(found) => found,
            Err(e) => {
                self.remove_files(tenant, &id).await;
                return Err(e);
            }
        };
        let asset = Asset {
            id: id.clone(),
            tenant: tenant.clone(),
            kind,
            format,
            file_name: clean_name(file_name),
            size,
            sha256,
            width,
            height,
            duration_ms,
            alt_text: None,
            created_at: clock::now(),
        };
        let (held, created) = self.assets.insert_asset(&asset).await.map_err(store)?;
        if !created {
            // The tenant has these bytes already: the new copy goes.
            self.remove_files(tenant, &id).await;
        }
        Ok((held, created))
    }

    /// What a stored original is, with its thumbnail made for a photo; refuses what Instagram
    /// could not use.
    async fn look(
        &self,
        tenant: &Tenant,
        id: &str,
        key: &str,
        size: u64,
    ) -> Result<(AssetKind, String, Option<u32>, Option<u32>, Option<u64>), DomainError> {
        let head = self.read(key, Some(media_prep::SNIFF_LEN as u64)).await?;
        match media_prep::sniff(&head) {
            Kind::Jpeg | Kind::Png | Kind::Gif | Kind::Webp => {
                if size > self.config.max_image_bytes {
                    return Err(too_large("Photos", self.config.max_image_bytes));
                }
                let bytes = self.read(key, None).await?;
                let limits = Limits {
                    max_bytes: self.config.max_image_bytes,
                    ..Limits::default()
                };
                let thumb = run_blocking(move || {
                    media_prep::thumbnail(&bytes, THUMBNAIL_SIDE, &limits)
                })
                .await?;
                let source = (thumb.source.kind, thumb.source.width, thumb.source.height);
                let thumb_key = asset_key(tenant, id, THUMBNAIL);
                let jpeg = Bytes::from(thumb.jpeg);
                self.blobs
                    .put(&thumb_key, stream::once(async move { Ok(jpeg) }).boxed())
                    .await
                    .map_err(store)?;
                Ok((
                    AssetKind::Image,
                    source.0.name().to_ascii_lowercase(),
                    Some(source.1),
                    Some(source.2),
                    None,
                ))
            }
            Kind::Mp4 | Kind::Mov => {
                if size > self.config.max_video_bytes {
                    return Err(too_large("Videos", self.config.max_video_bytes));
                }
                let facts = self
                    .probe
                    .probe_stored(self.blobs.as_ref(), key)
                    .await
                    .map_err(|e| DomainError::invalid("file", e.to_string()))?;
                let Some(video) = facts.video.clone().filter(|_| facts.format.is_video()) else {
                    return Err(DomainError::invalid(
                        "file",
                        "This file calls itself a video but is not one Instagram can read. Export it again as MP4 (H.264, AAC).",
                    ));
                };
                // Refused now when no video post could take it (a carousel's limits are the
                // widest); the limits of reels and stories are checked when a post uses it.
                media::check(PostKind::Carousel, MediaType::Video, &facts)
                    .map_err(|rule| DomainError::invalid("file", rule))?;
                Ok((
                    AssetKind::Video,
                    match media_prep::sniff(&head) {
                        Kind::Mov => "mov".into(),
                        _ => "mp4".into(),
                    },
                    facts.width,
                    facts.height,
                    video.duration_secs.map(|d| (d * 1000.0).round() as u64),
                ))
            }
            Kind::Other => Err(DomainError::invalid(
                "file",
                "This file is not a photo or a video Instagram takes. Upload a JPEG, PNG, GIF or WebP photo, or an MP4 or MOV video.",
            )),
            other => Err(DomainError::invalid(
                "file",
                format!(
                    "This file is a {} file, which Instagram does not take. Upload a JPEG, PNG, GIF or WebP photo (export it as JPEG), or an MP4 or MOV video.",
                    other.name()
                ),
            )),
        }
    }

    async fn remove_files(&self, tenant: &Tenant, id: &str) {
        for name in [ORIGINAL, THUMBNAIL] {
            let _ = self.blobs.delete(&asset_key(tenant, id, name)).await;
        }
    }

    /// Removes the parts of uploads nobody finished in time.
    pub async fn forget_abandoned_uploads(&self) -> Result<usize, DomainError> {
        let expired = self
            .assets
            .expired_uploads(clock::now(), 100)
            .await
            .map_err(store)?;
        for upload in &expired {
            for n in 0..upload.parts {
                let _ = self.blobs.delete(&upload.part_key(n)).await;
            }
            self.assets
                .delete_upload(&upload.tenant, &upload.id)
                .await
                .map_err(store)?;
        }
        Ok(expired.len())
    }

    /// A blob's bytes, whole or its first `len`.
    async fn read(&self, key: &str, len: Option<u64>) -> Result<Vec<u8>, DomainError> {
        let range = len.map(|len| ByteRange {
            start: 0,
            end: len.saturating_sub(1),
        });
        let blob = self
            .blobs
            .get(key, range)
            .await
            .map_err(store)?
            .ok_or(DomainError::NotFound("file"))?;
        let chunks: Vec<Bytes> = blob.bytes.try_collect().await.map_err(store)?;
        Ok(chunks.concat())
    }

    /// Refuses a file that would take the tenant past its quota.
    async fn check_room(&self, tenant: &Tenant, size: u64) -> Result<(), DomainError> {
        let biggest = self.config.max_image_bytes.max(self.config.max_video_bytes);
        if size > biggest {
            return Err(too_large("Files", biggest));
        }
        let used = self.assets.bytes_used(tenant).await.map_err(store)?;
        if used + size > self.config.quota_bytes {
            return Err(DomainError::TooLarge(format!(
                "Your media library is full: {} of {} used, and this file needs {}. Delete files you no longer need, then upload again.",
                mib(used),
                mib(self.config.quota_bytes),
                mib(size)
            )));
        }
        Ok(())
    }

    pub async fn list(
        &self,
        tenant: &Tenant,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Asset>, DomainError> {
        self.assets
            .assets(tenant, before, limit.clamp(1, 100))
            .await
            .map_err(store)
    }

    pub async fn get(&self, tenant: &Tenant, id: &str) -> Result<Asset, DomainError> {
        self.assets
            .asset(tenant, id)
            .await
            .map_err(store)?
            .ok_or(DomainError::NotFound("media"))
    }

    pub async fn set_alt_text(
        &self,
        tenant: &Tenant,
        id: &str,
        alt: Option<&str>,
    ) -> Result<Asset, DomainError> {
        let alt = alt.map(str::trim).filter(|a| !a.is_empty());
        if alt.is_some_and(|a| a.chars().count() > 1000) {
            return Err(DomainError::invalid(
                "alt_text",
                "Alt text may have at most 1,000 characters.",
            ));
        }
        if !self
            .assets
            .set_alt_text(tenant, id, alt)
            .await
            .map_err(store)?
        {
            return Err(DomainError::NotFound("media"));
        }
        self.get(tenant, id).await
    }

    /// Removes a file and everything made from it; refused while a post still to be published
    /// uses it (Instagram downloads it when the post goes out).
    pub async fn delete(&self, tenant: &Tenant, id: &str) -> Result<(), DomainError> {
        let asset = self.get(tenant, id).await?;
        if self.posts.media_use(tenant, id).await.map_err(store)? == MediaUse::Pending {
            return Err(DomainError::Conflict(format!(
                "{} is used by a post that is not published yet: Instagram downloads it when the post goes out. Cancel or change that post first, then delete the file.",
                asset.file_name
            )));
        }
        let copies = self.assets.renditions(tenant, id).await.map_err(store)?;
        if !self.assets.delete_asset(tenant, id).await.map_err(store)? {
            return Err(DomainError::NotFound("media"));
        }
        self.remove_files(tenant, id).await;
        for copy in copies {
            let _ = self.blobs.delete(&copy.key()).await;
        }
        Ok(())
    }

    /// The asset's photo in the shape `placement` needs, made once per shape and kept, with a
    /// URL Instagram can fetch until `valid_until`. Videos are served as they are.
    pub async fn prepare(
        &self,
        asset: &Asset,
        placement: Placement,
        shape: Shape,
        valid_until: DateTime<Utc>,
    ) -> Result<Prepared, DomainError> {
        if asset.kind == AssetKind::Video {
            return Ok(Prepared {
                url: self.signed_url(&asset.key(ORIGINAL), valid_until),
                width: asset.width.unwrap_or_default(),
                height: asset.height.unwrap_or_default(),
                bytes: asset.size,
            });
        }
        let name = rendition_name(placement, shape);
        let due_at = clock::now() + self.retention();
        let kept = self.assets.renditions(&asset.tenant, &asset.id).await;
        let known = kept.map_err(store)?.into_iter().find(|r| r.name == name);
        let copy = match known {
            // Made before (the composer's preview, an earlier post): the same file again.
            Some(copy) if self.exists(&copy.key()).await? => Rendition { due_at, ..copy },
            _ => {
                self.make_rendition(asset, placement, shape, name, due_at)
                    .await?
            }
        };
        self.assets.keep_rendition(&copy).await.map_err(store)?;
        Ok(Prepared {
            url: self.signed_url(&copy.key(), valid_until),
            width: copy.width,
            height: copy.height,
            bytes: copy.bytes,
        })
    }

    /// Encodes the photo in the shape asked for and stores it.
    async fn make_rendition(
        &self,
        asset: &Asset,
        placement: Placement,
        shape: Shape,
        name: String,
        due_at: DateTime<Utc>,
    ) -> Result<Rendition, DomainError> {
        let bytes = self.read(&asset.key(ORIGINAL), None).await?;
        let request = Request {
            target: match placement {
                Placement::Feed => Target::Feed,
                Placement::Vertical => Target::Vertical,
            },
            fit: match shape {
                Shape::Crop { x, y } => Fit::Crop {
                    focal_x: x.clamp(0.0, 1.0),
                    focal_y: y.clamp(0.0, 1.0),
                },
                Shape::Pad { rgb } => Fit::Pad { rgb },
            },
            max_width: media_prep::INSTAGRAM_MAX_WIDTH,
        };
        let limits = Limits {
            max_bytes: self.config.max_image_bytes,
            ..Limits::default()
        };
        let made =
            run_blocking(move || media_prep::prepare_image(&bytes, &request, &limits)).await?;
        let copy = Rendition {
            tenant: asset.tenant.clone(),
            asset_id: asset.id.clone(),
            name,
            width: made.width,
            height: made.height,
            bytes: made.jpeg.len() as u64,
            due_at,
        };
        let jpeg = Bytes::from(made.jpeg);
        self.blobs
            .put(&copy.key(), stream::once(async move { Ok(jpeg) }).boxed())
            .await
            .map_err(store)?;
        Ok(copy)
    }

    /// Removes prepared copies whose posts are done since longer than the retention, and those
    /// made for a preview no post used. Copies a pending post uses are looked at again later.
    pub async fn forget_published_copies(&self) -> Result<usize, DomainError> {
        let now = clock::now();
        let due = self
            .assets
            .due_renditions(now, SWEEP_BATCH)
            .await
            .map_err(store)?;
        let mut removed = 0;
        for copy in due {
            let used = self.posts.media_use(&copy.tenant, &copy.asset_id).await;
            let keep_until = match used.map_err(store)? {
                MediaUse::Pending => Some(now + PENDING_RECHECK.min(self.retention())),
                MediaUse::Done(at) if at + self.retention() > now => Some(at + self.retention()),
                MediaUse::Done(_) | MediaUse::Unused => None,
            };
            match keep_until {
                Some(until) => {
                    self.assets
                        .postpone_rendition(&copy, until)
                        .await
                        .map_err(store)?;
                }
                // Only if no post kept it meanwhile; one that did in the instant between is
                // served a copy made again from the original (`open_signed`).
                None if self.assets.forget_rendition(&copy).await.map_err(store)? => {
                    self.blobs.delete(&copy.key()).await.map_err(store)?;
                    removed += 1;
                }
                None => {}
            }
        }
        Ok(removed)
    }

    fn retention(&self) -> TimeDelta {
        TimeDelta::from_std(self.config.retention).unwrap_or(TimeDelta::days(36_500))
    }

    /// Whether a blob is there (its first byte can be read).
    async fn exists(&self, key: &str) -> Result<bool, DomainError> {
        let first = ByteRange { start: 0, end: 0 };
        Ok(self
            .blobs
            .get(key, Some(first))
            .await
            .map_err(store)?
            .is_some())
    }

    /// What a video of the library holds (container, codecs, duration), read from its index.
    pub async fn facts(
        &self,
        asset: &Asset,
    ) -> Result<crate::domain::media::MediaFacts, DomainError> {
        self.probe
            .probe_stored(self.blobs.as_ref(), &asset.key(ORIGINAL))
            .await
            .map_err(|e| DomainError::invalid("media_id", e.to_string()))
    }

    /// The library's thumbnail of a photo, as a signed URL for the page.
    pub fn thumbnail_url(&self, asset: &Asset) -> Option<String> {
        (asset.kind == AssetKind::Image)
            .then(|| self.signed_url(&asset.key(THUMBNAIL), clock::now() + TimeDelta::hours(12)))
    }

    /// A URL this library made for the tenant, signed again for the next hours: what a person
    /// looking at a post sees, however long ago its URL was made for Instagram. `None` for any
    /// other URL (never another tenant's file).
    pub fn fresh_url(&self, tenant: &Tenant, url: &str, valid_for: TimeDelta) -> Option<String> {
        let ours = format!("{}/media/files/", self.config.public_base_url);
        let key = url.strip_prefix(&ours)?.split('?').next()?;
        let theirs = key.starts_with(&format!("{}/", tenant_dir(tenant)));
        (theirs && super::is_valid_key(key)).then(|| self.signed_url(key, clock::now() + valid_for))
    }

    /// A post's library files (its items and a reel's cover) at URLs signed afresh for
    /// `valid_for`: for a person looking at it, or for Instagram when a post is retried after its
    /// URLs expired.
    pub fn refresh_urls(
        &self,
        tenant: &Tenant,
        media: &mut [MediaItem],
        options: &mut PostOptions,
        valid_for: TimeDelta,
    ) {
        let fresh = |url: &mut String| {
            if let Some(now) = self.fresh_url(tenant, url, valid_for) {
                *url = now;
            }
        };
        for item in media.iter_mut().filter(|m| m.media_id.is_some()) {
            fresh(&mut item.url);
        }
        if options.cover_media_id.is_some() {
            if let Some(cover) = options.cover_url.as_mut() {
                fresh(cover);
            }
        }
    }

    /// `{PUBLIC_BASE_URL}/media/files/{key}?expires=..&sig=..`.
    pub fn signed_url(&self, key: &str, valid_until: DateTime<Utc>) -> String {
        let expires = valid_until.timestamp();
        let path = format!("/media/files/{key}");
        let sig = self.signer.sign(&path, expires);
        format!(
            "{}{path}?expires={expires}&sig={sig}",
            self.config.public_base_url.trim_end_matches('/')
        )
    }

    /// Opens a file for a signed request: `None` for a bad or expired signature or no file, so
    /// a guess learns nothing.
    pub async fn open_signed(
        &self,
        key: &str,
        expires: i64,
        signature: &str,
        range: Option<ByteRange>,
    ) -> Result<Option<(super::BlobRead, &'static str)>, DomainError> {
        let path = format!("/media/files/{key}");
        if expires < clock::now().timestamp()
            || !super::is_valid_key(key)
            || !self.signer.verify(&path, expires, signature)
        {
            return Ok(None);
        }
        let content_type = content_type(key);
        if let Some(blob) = self.blobs.get(key, range).await.map_err(store)? {
            return Ok(Some((blob, content_type)));
        }
        if !self.make_again(key).await? {
            return Ok(None);
        }
        let blob = self.blobs.get(key, range).await.map_err(store)?;
        Ok(blob.map(|b| (b, content_type)))
    }

    /// A prepared copy removed by retention (or by a sweep racing a new post) while a URL the
    /// service signed still names it: made again from the original, so every such URL keeps
    /// working as long as the original is kept.
    async fn make_again(&self, key: &str) -> Result<bool, DomainError> {
        let mut parts = key.split('/');
        let (Some(dir), Some(asset_id), Some(name), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(false);
        };
        let Some((placement, shape)) = parse_rendition_name(name) else {
            return Ok(false);
        };
        let asset = self.assets.asset_by_id(asset_id).await.map_err(store)?;
        let Some(asset) = asset.filter(|a| tenant_dir(&a.tenant) == dir) else {
            return Ok(false);
        };
        self.prepare(&asset, placement, shape, clock::now()).await?;
        Ok(true)
    }
}

/// What a served file is, from its name: prepared photos and thumbnails are JPEG; an original
/// is served only when it is a video.
fn content_type(key: &str) -> &'static str {
    match key.rsplit('/').next() {
        Some(name) if name.ends_with(".jpg") => "image/jpeg",
        _ => "video/mp4",
    }
}

/// One file per placement and shape: the same choice is made once.
fn rendition_name(placement: Placement, shape: Shape) -> String {
    let place = match placement {
        Placement::Feed => "feed",
        Placement::Vertical => "vertical",
    };
    match shape {
        Shape::Crop { x, y } => format!(
            "{place}-crop-{}-{}.jpg",
            (x.clamp(0.0, 1.0) * 1000.0).round() as u32,
            (y.clamp(0.0, 1.0) * 1000.0).round() as u32
        ),
        Shape::Pad { rgb } => format!("{place}-pad-{}.jpg", hex::encode(rgb)),
    }
}

/// The placement and shape a rendition's name says ([`rendition_name`] read back).
fn parse_rendition_name(name: &str) -> Option<(Placement, Shape)> {
    let stem = name.strip_suffix(".jpg")?;
    let (place, rest) = stem.split_once('-')?;
    let placement = match place {
        "feed" => Placement::Feed,
        "vertical" => Placement::Vertical,
        _ => return None,
    };
    let shape = match rest.split('-').collect::<Vec<_>>()[..] {
        ["crop", x, y] => Shape::Crop {
            x: x.parse::<u16>().ok()? as f32 / 1000.0,
            y: y.parse::<u16>().ok()? as f32 / 1000.0,
        },
        ["pad", rgb] => Shape::Pad {
            rgb: hex::decode(rgb).ok()?.try_into().ok()?,
        },
        _ => return None,
    };
    Some((placement, shape))
}

/// A chunk stream that fails once it passes `room` bytes.
fn bounded(chunk: ByteStream, room: u64) -> ByteStream {
    let mut seen = 0u64;
    chunk
        .map(move |part| {
            let part = part?;
            seen += part.len() as u64;
            match seen > room {
                true => Err(StoreError::Conflict(format!(
                    "This chunk is larger than the {} the upload has room for.",
                    mib(room)
                ))),
                false => Ok(part),
            }
        })
        .boxed()
}

fn resume_at(received: u64) -> DomainError {
    DomainError::Conflict(format!(
        "The upload is at byte {received}: send the chunk that starts there."
    ))
}

fn too_large(what: &str, limit: u64) -> DomainError {
    DomainError::TooLarge(format!(
        "{what} may be at most {}. Make the file smaller, then upload again.",
        mib(limit)
    ))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A file name for showing: no path, no control characters, bounded.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    match cleaned.trim() {
        "" => "upload".into(),
        trimmed => trimmed.to_string(),
    }
}

/// Image work is CPU-bound: it runs on the blocking pool, never on the request threads.
async fn run_blocking<F>(work: F) -> Result<media_prep::Prepared, DomainError>
where
    F: FnOnce() -> Result<media_prep::Prepared, media_prep::PrepareError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DomainError::internal("image preparation stopped", e))?
        .map_err(|e| DomainError::invalid("file", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_no_path_and_no_control_characters() {
        assert_eq!(clean_name("C:\\photos\\door.jpg"), "door.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc.png"), "abc.png");
        assert_eq!(clean_name("   "), "upload");
    }

    #[test]
    fn each_shape_has_its_own_file() {
        let crop = rendition_name(Placement::Feed, Shape::Crop { x: 0.5, y: 0.25 });
        assert_eq!(crop, "feed-crop-500-250.jpg");
        let pad = rendition_name(
            Placement::Vertical,
            Shape::Pad {
                rgb: [255, 255, 255],
            },
        );
        assert_eq!(pad, "vertical-pad-ffffff.jpg");
        assert!(super::super::is_valid_key(&format!("t/a/{crop}")));
    }

    #[test]
    fn a_copys_name_gives_back_its_shape() {
        for (placement, shape) in [
            (Placement::Feed, Shape::Crop { x: 0.25, y: 1.0 }),
            (Placement::Vertical, Shape::Pad { rgb: [1, 2, 255] }),
        ] {
            let name = rendition_name(placement, shape);
            assert_eq!(parse_rendition_name(&name), Some((placement, shape)));
        }
        for other in [
            "original",
            "thumb.jpg",
            "feed-crop-1.jpg",
            "side-pad-ffffff.jpg",
        ] {
            assert_eq!(parse_rendition_name(other), None, "{other}");
        }
    }
}
