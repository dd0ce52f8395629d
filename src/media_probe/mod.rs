//! The [`MediaProbe`] port over HTTP: reads the first bytes of a customer's media URL (and, for a
//! video, its index) within a bounded time and size, through a client that reaches only what the
//! media policy allows (`guard`), and says what the bytes are (`sniff`).

mod guard;
mod read;
mod sniff;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use reqwest::Client;
use url::Url;

use self::{
    guard::PublicAddresses,
    read::{read_part, Part},
    sniff::TopBox,
};
use futures::TryStreamExt;

use crate::domain::{
    library::{BlobStore, ByteRange},
    media::{MediaFacts, MediaProbe, ProbeError, UrlPolicy, VideoFacts},
    store::StoreError,
};

/// Enough for any image header with ordinary metadata, and for most videos' index.
const FIRST_READ: u64 = 256 * 1024;
/// An image whose dimensions lie further in (a huge embedded thumbnail or colour profile).
const IMAGE_HEADER_MAX: u64 = 2 * 1024 * 1024;
/// A 15-minute reel's index is a few megabytes; anything larger is not read.
const INDEX_MAX: u64 = 32 * 1024 * 1024;
/// Box headers read one by one to find the index behind large leading boxes.
const MAX_BOX_HOPS: usize = 8;
/// The file type box of an old QuickTime file that has none.
const QUICKTIME_FTYP: &[u8] = b"\0\0\0\x14ftypqt  \0\0\0\0qt  ";

pub struct HttpMediaProbe {
    client: Client,
    policy: UrlPolicy,
    timeout: Duration,
}

impl HttpMediaProbe {
    pub fn new(policy: UrlPolicy, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .dns_resolver(Arc::new(PublicAddresses::new(policy.clone())))
            .redirect(guard::redirects(policy.clone()))
            // A proxy would resolve names itself, past the address check.
            .no_proxy()
            .connect_timeout(timeout)
            .user_agent(concat!(
                "social-media-uploader/",
                env!("CARGO_PKG_VERSION"),
                " (media check)"
            ))
            .build()?;
        Ok(Self {
            client,
            policy,
            timeout,
        })
    }
}

/// Where the bytes are read from: a media URL, or a file of the library.
#[async_trait]
trait Parts: Sync {
    /// Bytes `start..start + len` (fewer at the end), and what the source says about the file.
    async fn part(&self, start: u64, len: u64) -> Result<Part, ProbeError>;
}

struct UrlParts<'a> {
    client: &'a Client,
    url: &'a Url,
}

#[async_trait]
impl Parts for UrlParts<'_> {
    async fn part(&self, start: u64, len: u64) -> Result<Part, ProbeError> {
        read_part(self.client, self.url, start, len).await
    }
}

struct StoredParts<'a> {
    blobs: &'a dyn BlobStore,
    key: &'a str,
}

#[async_trait]
impl Parts for StoredParts<'_> {
    async fn part(&self, start: u64, len: u64) -> Result<Part, ProbeError> {
        let range = ByteRange {
            start,
            end: start + len.max(1) - 1,
        };
        let unreadable = |e: StoreError| ProbeError::Unreadable(e.to_string());
        let blob = self
            .blobs
            .get(self.key, Some(range))
            .await
            .map_err(unreadable)?
            .ok_or_else(|| ProbeError::Unreadable("the file is gone".into()))?;
        let chunks: Vec<bytes::Bytes> = blob.bytes.try_collect().await.map_err(unreadable)?;
        Ok(Part {
            bytes: chunks.concat(),
            total: Some(blob.size),
            html: false,
        })
    }
}

/// What the bytes are, from the first read and, for a video, its index.
async fn look(source: &dyn Parts) -> Result<MediaFacts, ProbeError> {
    let first = source.part(0, FIRST_READ).await?;
    let format = sniff::format(&first.bytes, first.html);
    let mut facts = MediaFacts {
        format: format.clone(),
        bytes: first.total,
        width: None,
        height: None,
        video: None,
    };
    if format.is_image() {
        let mut size = sniff::image_size(&first.bytes);
        if size.is_none() && first.bytes.len() as u64 == FIRST_READ {
            let more = source.part(0, IMAGE_HEADER_MAX).await?;
            size = sniff::image_size(&more.bytes);
        }
        (facts.width, facts.height) = size.unzip();
    } else if format.is_video() {
        let (video, size) = video(source, &first).await?;
        facts.video = Some(video);
        (facts.width, facts.height) = size.unzip();
    }
    Ok(facts)
}

/// Finds the index (`moov`) among the top-level boxes, reading box headers beyond the first
/// bytes when needed; media data (`mdat`) before it means the index is not first.
async fn video(
    source: &dyn Parts,
    first: &Part,
) -> Result<(VideoFacts, Option<(u32, u32)>), ProbeError> {
    let mut boxes = sniff::top_boxes(&first.bytes);
    for _ in 0..MAX_BOX_HOPS {
        if let Some(found) = boxes.iter().find(|b| matches!(&b.kind, b"moov" | b"mdat")) {
            if &found.kind == b"mdat" {
                return Ok((VideoFacts::default(), None));
            }
            let index = whole_box(source, first, *found).await?;
            let ftyp = boxes
                .iter()
                .find(|b| &b.kind == b"ftyp")
                .and_then(|b| slice(first, *b))
                .unwrap_or(QUICKTIME_FTYP);
            return sniff::video(ftyp, &index).map_err(ProbeError::Unreadable);
        }
        let Some(next) = boxes.last().and_then(|b| Some(b.start + b.size?)) else {
            break;
        };
        if first.total.is_some_and(|total| next >= total) {
            break;
        }
        let header = source.part(next, 16).await?;
        let Some(found) = sniff::box_at(&header.bytes, next) else {
            break;
        };
        boxes.push(found);
    }
    Err(ProbeError::Unreadable(
        "its index (the moov atom) was not found".into(),
    ))
}

/// A box's bytes: from the first read when it holds them, else read on their own.
async fn whole_box(source: &dyn Parts, first: &Part, b: TopBox) -> Result<Vec<u8>, ProbeError> {
    if let Some(bytes) = slice(first, b) {
        return Ok(bytes.to_vec());
    }
    let size = b
        .size
        .ok_or_else(|| ProbeError::Unreadable("its index has no size".into()))?;
    if size > INDEX_MAX {
        return Err(ProbeError::Unreadable(
            "its index is larger than 32 MB".into(),
        ));
    }
    let part = source.part(b.start, size).await?;
    match part.bytes.len() as u64 == size {
        true => Ok(part.bytes),
        false => Err(ProbeError::Unreadable(
            "the file ends inside its index".into(),
        )),
    }
}

/// The box's bytes, if the first read holds all of them.
fn slice(first: &Part, b: TopBox) -> Option<&[u8]> {
    let start = usize::try_from(b.start).ok()?;
    let end = start.checked_add(usize::try_from(b.size?).ok()?)?;
    first.bytes.get(start..end)
}

#[async_trait]
impl MediaProbe for HttpMediaProbe {
    async fn probe(&self, url: &Url) -> Result<MediaFacts, ProbeError> {
        self.policy.check(url).map_err(ProbeError::NotAllowed)?;
        let source = UrlParts {
            client: &self.client,
            url,
        };
        tokio::time::timeout(self.timeout, look(&source))
            .await
            .unwrap_or(Err(ProbeError::TimedOut(self.timeout.as_secs())))
    }

    async fn probe_stored(
        &self,
        blobs: &dyn BlobStore,
        key: &str,
    ) -> Result<MediaFacts, ProbeError> {
        look(&StoredParts { blobs, key }).await
    }
}
