//! The port media bytes are kept behind: the data directory with the embedded store, GridFS with
//! MongoDB (every replica sees every file), or S3-compatible object storage. Bytes move as
//! streams of chunks, never whole files in memory: a 200 MB video is written and served a few
//! megabytes at a time.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::domain::store::StoreResult;

/// Bytes on their way in or out, a chunk at a time.
pub type ByteStream = BoxStream<'static, StoreResult<Bytes>>;

/// Which bytes of a blob to read: `start..=end`, as an HTTP `Range` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive; clamped to the blob's last byte.
    pub end: u64,
}

/// A blob being read: its whole size, and the bytes asked for.
pub struct BlobRead {
    pub size: u64,
    pub bytes: ByteStream,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// `filesystem`, `gridfs` or `s3`.
    fn kind(&self) -> &'static str;
    /// Stores the stream under `key`, replacing what was there; the blob appears only once all
    /// of it is written (a failed write leaves nothing, or the old blob). Returns its size.
    async fn put(&self, key: &str, bytes: ByteStream) -> StoreResult<u64>;
    /// The blob, or the part of it `range` names; `None` when there is no such blob. A range
    /// starting past the end reads nothing.
    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<Option<BlobRead>>;
    /// Removes the blob; removing a missing one is not an error.
    async fn delete(&self, key: &str) -> StoreResult<()>;
}

/// Keys are made by the service only (`{tenant}/{asset}/{name}`); anything else is refused by
/// every backend, so no key can climb out of its directory or bucket prefix.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

#[cfg(test)]
mod tests {
    use super::is_valid_key;

    #[test]
    fn keys_cannot_leave_their_place() {
        assert!(is_valid_key("c1/a1/original"));
        assert!(is_valid_key("uploads/u1/00000003.part"));
        for bad in [
            "", "../x", "a//b", "a/../b", "/abs", "a/b/", "a b", "a\\b", "é",
        ] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }
}
