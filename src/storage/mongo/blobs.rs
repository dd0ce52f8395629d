//! Media bytes in GridFS (bucket `media`), so every replica of the service sees every file. A
//! blob's GridFS id is its key; GridFS writes the file document only after the last chunk, so a
//! reader never sees half a file.

use async_trait::async_trait;
use futures::{io::AsyncReadExt as _, io::AsyncWriteExt as _, StreamExt, TryStreamExt};
use mongodb::{
    bson::{doc, Bson},
    gridfs::GridFsBucket,
    options::GridFsBucketOptions,
    Database,
};
use tokio_util::{compat::FuturesAsyncReadCompatExt, io::ReaderStream};

use super::unavailable;
use crate::{
    domain::{
        library::{is_valid_key, BlobRead, BlobStore, ByteRange, ByteStream},
        store::{StoreError, StoreResult},
    },
    storage::embedded::blobs::span,
};

pub struct GridFsBlobs {
    bucket: GridFsBucket,
}

impl GridFsBlobs {
    pub fn new(db: &Database) -> Self {
        Self {
            bucket: db.gridfs_bucket(
                GridFsBucketOptions::builder()
                    .bucket_name("media".to_string())
                    .build(),
            ),
        }
    }
}

fn checked(key: &str) -> StoreResult<Bson> {
    match is_valid_key(key) {
        true => Ok(Bson::String(key.to_string())),
        false => Err(StoreError::Corrupt {
            context: format!("not a blob key: {key:?}"),
            source: None,
        }),
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::unavailable("GridFS", e)
}

#[async_trait]
impl BlobStore for GridFsBlobs {
    fn kind(&self) -> &'static str {
        "gridfs"
    }

    async fn put(&self, key: &str, mut bytes: ByteStream) -> StoreResult<u64> {
        let id = checked(key)?;
        self.delete(key).await?;
        let mut upload = self
            .bucket
            .open_upload_stream(key)
            .id(id)
            .await
            .map_err(unavailable)?;
        let mut size = 0u64;
        while let Some(chunk) = bytes.next().await {
            let written = match chunk {
                Ok(chunk) => {
                    size += chunk.len() as u64;
                    upload.write_all(&chunk).await.map_err(io)
                }
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                // Removes the chunks written so far.
                let _ = upload.abort().await;
                return Err(e);
            }
        }
        upload.close().await.map_err(io)?;
        Ok(size)
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<Option<BlobRead>> {
        let id = checked(key)?;
        let Some(file) = self
            .bucket
            .find_one(doc! {"_id": &id})
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        let size = file.length;
        let (start, len) = span(range, size);
        let mut download = self
            .bucket
            .open_download_stream(id)
            .await
            .map_err(unavailable)?;
        // GridFS streams cannot seek: the bytes before the range are read and dropped (whole
        // chunks of 255 KiB at a time).
        futures::io::copy(&mut (&mut download).take(start), &mut futures::io::sink())
            .await
            .map_err(io)?;
        let stream = ReaderStream::new(download.take(len).compat()).map_err(io);
        Ok(Some(BlobRead {
            size,
            bytes: stream.boxed(),
        }))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        match self.bucket.delete(checked(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if matches!(*e.kind, mongodb::error::ErrorKind::GridFs(_)) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}
