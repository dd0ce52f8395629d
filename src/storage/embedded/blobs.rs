//! Media bytes as files in the data directory (`{DATA_DIR}/media/{key}`), beside the embedded
//! store. A blob is written to a temporary file and renamed into place once complete, so a
//! reader never sees half a file.

use std::{io::SeekFrom, path::PathBuf};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::domain::{
    library::{is_valid_key, BlobRead, BlobStore, ByteRange, ByteStream},
    store::{StoreError, StoreResult},
};

pub struct FileBlobs {
    root: PathBuf,
}

impl FileBlobs {
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self {
            root: data_dir.join("media"),
        }
    }

    fn path(&self, key: &str) -> StoreResult<PathBuf> {
        match is_valid_key(key) {
            true => Ok(self.root.join(key)),
            false => Err(StoreError::Corrupt {
                context: format!("not a blob key: {key:?}"),
                source: None,
            }),
        }
    }
}

fn io(context: &str, e: std::io::Error) -> StoreError {
    StoreError::unavailable(format!("media files: {context}"), e)
}

#[async_trait]
impl BlobStore for FileBlobs {
    fn kind(&self) -> &'static str {
        "filesystem"
    }

    async fn put(&self, key: &str, mut bytes: ByteStream) -> StoreResult<u64> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io("creating a directory", e))?;
        }
        let temporary = path.with_extension(format!(
            "partial-{}",
            crate::crypto::random_token(6).replace(['-', '_'], "x")
        ));
        let written = async {
            let mut file = tokio::fs::File::create(&temporary)
                .await
                .map_err(|e| io("creating a file", e))?;
            let mut size = 0u64;
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(|e| io("writing", e))?;
            }
            // On disk before it is visible under its name.
            file.sync_all().await.map_err(|e| io("syncing", e))?;
            tokio::fs::rename(&temporary, &path)
                .await
                .map_err(|e| io("renaming", e))?;
            Ok(size)
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&temporary).await;
        }
        written
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<Option<BlobRead>> {
        let path = self.path(key)?;
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("opening", e)),
        };
        let size = file
            .metadata()
            .await
            .map_err(|e| io("reading metadata", e))?
            .len();
        let (start, len) = span(range, size);
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| io("seeking", e))?;
        let stream = ReaderStream::new(file.take(len)).map_err(|e| io("reading", e));
        Ok(Some(BlobRead {
            size,
            bytes: stream.boxed(),
        }))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("removing", e)),
        }
    }
}

/// Where a range starts and how many bytes it reads, within a blob of `size`.
pub(crate) fn span(range: Option<ByteRange>, size: u64) -> (u64, u64) {
    match range {
        None => (0, size),
        Some(r) if r.start >= size || r.end < r.start => (size, 0),
        Some(r) => (r.start, r.end.min(size - 1) - r.start + 1),
    }
}
