//! Media bytes in S3-compatible object storage (`MEDIA_S3_BUCKET`): AWS S3, or a server that
//! speaks its API (MinIO, Ceph, R2; s3s-fs in the tests), through `object_store`. A blob is the
//! object `{prefix}/{key}`. S3 shows an object only once its PUT or its multipart upload is
//! complete, so a reader never sees half a blob, and a replaced blob stays whole until then.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
    ClientOptions, GetOptions, GetRange, MultipartUpload, ObjectStore, ObjectStoreExt,
    PutPayloadMut, RetryConfig,
};
use secrecy::ExposeSecret;
use tokio::task::JoinSet;

use crate::{
    config::S3Config,
    domain::{
        library::{is_valid_key, BlobRead, BlobStore, ByteRange, ByteStream},
        store::{BoxError, StoreError, StoreResult},
    },
    telemetry::chain,
};

/// A blob that ends within this many bytes goes up in one PUT (most photos); a larger one as a
/// multipart upload of parts this size. S3 wants at least 5 MiB in every part but the last, and
/// at most 10,000 parts: 8 MiB parts carry up to 78 GiB.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts on their way at the same time. With the part being filled, this bounds what one
/// upload holds in memory: three parts, 24 MiB, whatever the size of the video.
const PARTS_IN_FLIGHT: usize = 2;

pub struct S3Blobs {
    store: AmazonS3,
    prefix: Option<String>,
}

impl S3Blobs {
    /// The client for the configured bucket. Nothing is sent yet: a wrong bucket or key shows
    /// on the first upload, as an unavailable store.
    pub fn new(config: &S3Config) -> StoreResult<Self> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(config.access_key_id.expose_secret())
            .with_secret_access_key(config.secret_access_key.expose_secret())
            // A whole request (one part, or one stretch of a download, which object_store resumes
            // where it broke off) gets a minute; a server that does not answer, 5 seconds.
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(Duration::from_secs(60))
                    .with_connect_timeout(Duration::from_secs(5)),
            )
            // Someone waits on every call (an upload, Instagram fetching a file): a few quick
            // retries of what failed on the way, then the error, not object_store's 3 minutes.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint.as_str().trim_end_matches('/'))
                // `{endpoint}/{bucket}/{key}`: S3-compatible servers seldom have a DNS name per
                // bucket, as virtual-hosted addressing needs.
                .with_virtual_hosted_style_request(false)
                // A server on this machine or inside the network; requests are signed either way.
                .with_allow_http(endpoint.scheme() == "http");
        }
        let store = builder
            .build()
            .map_err(|e| unavailable("configuring the client", e))?;
        Ok(Self {
            store,
            prefix: config.prefix.clone(),
        })
    }

    fn path(&self, key: &str) -> StoreResult<Path> {
        if !is_valid_key(key) {
            return Err(StoreError::Corrupt {
                context: format!("not a blob key: {key:?}"),
                source: None,
            });
        }
        Ok(match &self.prefix {
            Some(prefix) => Path::from(format!("{prefix}/{key}")),
            None => Path::from(key),
        })
    }

    /// A read that returns no bytes: its blob's size, or `None` when there is no such blob.
    async fn nothing_of(&self, path: &Path) -> StoreResult<Option<BlobRead>> {
        match self.store.head(path).await {
            Ok(meta) => Ok(Some(empty(meta.size))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable("reading", e)),
        }
    }
}

fn unavailable(context: &str, e: impl Into<BoxError>) -> StoreError {
    StoreError::unavailable(format!("S3: {context}"), e)
}

fn empty(size: u64) -> BlobRead {
    BlobRead {
        size,
        bytes: futures::stream::empty().boxed(),
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &str, mut bytes: ByteStream) -> StoreResult<u64> {
        let path = self.path(key)?;
        let mut size = 0u64;
        // The first part's worth decides: a blob that ends within it costs one request.
        let mut first = PutPayloadMut::new();
        while first.content_length() <= PART_SIZE {
            let Some(chunk) = bytes.next().await else {
                self.store
                    .put(&path, first.freeze())
                    .await
                    .map_err(|e| unavailable("writing", e))?;
                return Ok(size);
            };
            let chunk = chunk?;
            size += chunk.len() as u64;
            first.push(chunk);
        }
        let mut upload = Multipart::start(&self.store, &path).await?;
        let fed = async {
            for chunk in first.freeze() {
                upload.push(chunk).await?;
            }
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                upload.push(chunk).await?;
            }
            Ok(())
        }
        .await;
        match fed {
            Ok(()) => upload.complete().await?,
            Err(e) => {
                // The stream broke off (or a part failed): the parts sent so far are removed,
                // and the blob under this key, if any, stays as it was.
                upload.abort().await;
                return Err(e);
            }
        }
        Ok(size)
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<Option<BlobRead>> {
        let path = self.path(key)?;
        let bounds = match range {
            // Only the size is wanted: `start..=end` with end before start names no byte.
            Some(r) if r.end < r.start => return self.nothing_of(&path).await,
            Some(r) => Some(GetRange::Bounded(r.start..r.end.saturating_add(1))),
            None => None,
        };
        // A ranged GET: the server sends the range alone (clamped at the end) and the whole
        // size in Content-Range, so serving a video's last megabyte reads one megabyte.
        let options = GetOptions {
            range: bounds,
            ..GetOptions::default()
        };
        match self.store.get_opts(&path, options).await {
            Ok(got) => Ok(Some(BlobRead {
                size: got.meta.size,
                bytes: got
                    .into_stream()
                    .map_err(|e| unavailable("reading", e))
                    .boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => {
                let Some(r) = range else {
                    return Err(unavailable("reading", e));
                };
                // S3 refuses a range that starts at or past the end (416, which object_store
                // reports as a generic error): the size tells whether that was all, and the
                // read is empty, or whether the GET failed for another reason.
                match self.nothing_of(&path).await {
                    Ok(Some(read)) if r.start >= read.size => Ok(Some(read)),
                    Ok(None) => Ok(None),
                    _ => Err(unavailable("reading", e)),
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        match self.store.delete(&self.path(key)?).await {
            // S3 answers a missing key with success already; other servers with 404.
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable("removing", e)),
        }
    }
}

/// A multipart upload being fed: each part is sent once full, at most [`PARTS_IN_FLIGHT`] at a
/// time, and nothing is visible until `complete`. An upload that is not completed is aborted,
/// also when the request carrying it is dropped half-way (a timeout, a shutdown), so its parts
/// do not stay stored, and billed, out of sight.
struct Multipart {
    /// Taken by `complete`, `abort` or `drop`, which end the upload.
    upload: Option<Box<dyn MultipartUpload>>,
    filling: PutPayloadMut,
    sending: JoinSet<object_store::Result<()>>,
}

impl Multipart {
    async fn start(store: &AmazonS3, path: &Path) -> StoreResult<Self> {
        let upload = store
            .put_multipart(path)
            .await
            .map_err(|e| unavailable("starting a multipart upload", e))?;
        Ok(Self {
            upload: Some(upload),
            filling: PutPayloadMut::new(),
            sending: JoinSet::new(),
        })
    }

    async fn push(&mut self, mut chunk: Bytes) -> StoreResult<()> {
        while !chunk.is_empty() {
            let room = PART_SIZE - self.filling.content_length();
            self.filling.push(chunk.split_to(room.min(chunk.len())));
            if self.filling.content_length() == PART_SIZE {
                self.send().await?;
            }
        }
        Ok(())
    }

    /// Sends the part filled so far, once fewer than [`PARTS_IN_FLIGHT`] are on their way.
    async fn send(&mut self) -> StoreResult<()> {
        while self.sending.len() >= PARTS_IN_FLIGHT {
            self.settle_one().await?;
        }
        let part = std::mem::take(&mut self.filling).freeze();
        if let Some(upload) = self.upload.as_mut() {
            // Numbered now, in order, whenever it arrives.
            self.sending.spawn(upload.put_part(part));
        }
        Ok(())
    }

    /// Waits for one part on its way; `false` when none was.
    async fn settle_one(&mut self) -> StoreResult<bool> {
        match self.sending.join_next().await {
            None => Ok(false),
            Some(Ok(sent)) => sent
                .map(|()| true)
                .map_err(|e| unavailable("writing a part", e)),
            Some(Err(e)) => Err(unavailable("writing a part", e)),
        }
    }

    /// Sends the last part and waits until every part is stored.
    async fn send_rest(&mut self) -> StoreResult<()> {
        if !self.filling.is_empty() {
            self.send().await?;
        }
        while self.settle_one().await? {}
        Ok(())
    }

    /// Sends the rest and makes the object visible, or aborts.
    async fn complete(mut self) -> StoreResult<()> {
        let sent = self.send_rest().await;
        let Some(mut upload) = self.upload.take() else {
            return sent;
        };
        let completed = match sent {
            Ok(()) => upload
                .complete()
                .await
                .map(drop)
                .map_err(|e| unavailable("completing a multipart upload", e)),
            Err(e) => Err(e),
        };
        if completed.is_err() {
            self.sending.shutdown().await;
            abort(upload).await;
        }
        completed
    }

    async fn abort(mut self) {
        self.sending.shutdown().await;
        if let Some(upload) = self.upload.take() {
            abort(upload).await;
        }
    }
}

impl Drop for Multipart {
    fn drop(&mut self) {
        // Dropped before it ended: abort in the background (Drop cannot wait).
        if let Some(upload) = self.upload.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(abort(upload));
            }
        }
    }
}

async fn abort(mut upload: Box<dyn MultipartUpload>) {
    if let Err(e) = upload.abort().await {
        tracing::warn!(
            error = %chain(&e),
            "S3: aborting a multipart upload failed; its parts stay until the bucket's lifecycle rule for incomplete uploads removes them"
        );
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn blobs(prefix: Option<&str>) -> S3Blobs {
        S3Blobs::new(&S3Config {
            bucket: "media".into(),
            endpoint: Some("http://127.0.0.1:9000".parse().unwrap()),
            region: "us-east-1".into(),
            access_key_id: SecretString::from("id"),
            secret_access_key: SecretString::from("secret"),
            prefix: prefix.map(String::from),
        })
        .unwrap()
    }

    #[test]
    fn keys_are_objects_under_the_prefix() {
        let path = |b: &S3Blobs, key| b.path(key).unwrap().to_string();
        assert_eq!(path(&blobs(None), "c1/a1/original"), "c1/a1/original");
        assert_eq!(
            path(&blobs(Some("smu/prod")), "c1/a1/original"),
            "smu/prod/c1/a1/original"
        );
        for bad in ["../x", "a//b", "/abs", ""] {
            assert!(blobs(Some("smu")).path(bad).is_err(), "{bad:?}");
        }
    }
}
