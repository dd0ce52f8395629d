//! The media store's contract (the `BlobStore` port), run on every backend: files beside the
//! embedded store and GridFS with MongoDB. Bytes go in and out as streams, ranges read exactly
//! what they name, and a failed write leaves nothing half-written.

use bytes::Bytes;
use futures::{stream, StreamExt, TryStreamExt};
use social_media_uploader::domain::{
    library::{BlobStore, ByteRange, ByteStream},
    store::StoreError,
};

use crate::{
    on_both_stores,
    support::{unique, Backend, Store},
};

/// `len` bytes that differ from position to position, so a misplaced range shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// The bytes as a stream of `chunk`-sized pieces, as an upload arrives.
fn chunks(bytes: &[u8], chunk: usize) -> ByteStream {
    let pieces: Vec<Result<Bytes, StoreError>> = bytes
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(pieces).boxed()
}

async fn read(
    blobs: &dyn BlobStore,
    key: &str,
    range: Option<ByteRange>,
) -> Option<(u64, Vec<u8>)> {
    let blob = blobs.get(key, range).await.unwrap()?;
    let parts: Vec<Bytes> = blob.bytes.try_collect().await.unwrap();
    Some((blob.size, parts.concat()))
}

fn key(name: &str) -> String {
    format!("{}/{}/{name}", unique("c"), unique("a"))
}

async fn a_blob_reads_back_whole_and_is_replaced_whole(backend: Backend) {
    let store = Store::new(backend);
    let blobs = store.open().await.blobs;
    let k = key("original");
    assert!(
        read(blobs.as_ref(), &k, None).await.is_none(),
        "nothing yet"
    );
    let first = pattern(10_000);
    assert_eq!(blobs.put(&k, chunks(&first, 1000)).await.unwrap(), 10_000);
    assert_eq!(read(blobs.as_ref(), &k, None).await, Some((10_000, first)));
    let second = pattern(300);
    assert_eq!(blobs.put(&k, chunks(&second, 7)).await.unwrap(), 300);
    assert_eq!(read(blobs.as_ref(), &k, None).await, Some((300, second)));
    blobs.delete(&k).await.unwrap();
    assert!(read(blobs.as_ref(), &k, None).await.is_none());
    blobs.delete(&k).await.unwrap();
}

/// A video is served in ranges: each reads exactly its bytes, across the backend's own chunk
/// boundaries (GridFS keeps 255 KiB chunks), clamped at the end.
async fn ranges_read_exactly_the_bytes_they_name(backend: Backend) {
    let store = Store::new(backend);
    let blobs = store.open().await.blobs;
    let k = key("video.mp4");
    let bytes = pattern(3 * 1024 * 1024 + 17);
    blobs.put(&k, chunks(&bytes, 64 * 1024)).await.unwrap();
    let size = bytes.len() as u64;
    for (start, end) in [
        (0, 0),
        (0, 99),
        (261_100, 261_200),
        (255 * 1024 - 3, 255 * 1024 + 3),
        (size - 10, size - 1),
        (size - 10, size + 5000),
    ] {
        let (total, got) = read(blobs.as_ref(), &k, Some(ByteRange { start, end }))
            .await
            .unwrap();
        assert_eq!(total, size);
        let last = end.min(size - 1) as usize;
        assert_eq!(got, bytes[start as usize..=last], "{start}-{end}");
    }
    let (_, past) = read(
        blobs.as_ref(),
        &k,
        Some(ByteRange {
            start: size,
            end: size + 9,
        }),
    )
    .await
    .unwrap();
    assert!(past.is_empty(), "a range past the end reads nothing");
}

/// An upload that breaks off mid-way leaves no blob (or the one before), never half a file.
async fn a_write_that_fails_midway_leaves_nothing_half_written(backend: Backend) {
    let store = Store::new(backend);
    let blobs = store.open().await.blobs;
    let k = key("broken");
    let failing: ByteStream = stream::iter(vec![
        Ok(Bytes::from(pattern(5000))),
        Err(StoreError::Corrupt {
            context: "the connection dropped".into(),
            source: None,
        }),
    ])
    .boxed();
    assert!(blobs.put(&k, failing).await.is_err());
    assert!(read(blobs.as_ref(), &k, None).await.is_none());

    let kept = pattern(100);
    blobs.put(&k, chunks(&kept, 100)).await.unwrap();
    let failing: ByteStream = stream::iter(vec![Err(StoreError::Corrupt {
        context: "the connection dropped".into(),
        source: None,
    })])
    .boxed();
    assert!(blobs.put(&k, failing).await.is_err());
    let left = read(blobs.as_ref(), &k, None).await;
    assert!(
        left.is_none() || left == Some((100, kept)),
        "the old blob or nothing: {left:?}"
    );
}

/// Keys are the service's own; a key that could climb out of its place is refused.
async fn keys_that_could_escape_are_refused(backend: Backend) {
    let store = Store::new(backend);
    let blobs = store.open().await.blobs;
    for bad in ["../outside", "a/../../b", "/etc/passwd", "a//b", ""] {
        assert!(blobs.put(bad, chunks(b"x", 1)).await.is_err(), "{bad:?}");
        assert!(blobs.get(bad, None).await.is_err(), "{bad:?}");
    }
}

on_both_stores!(
    a_blob_reads_back_whole_and_is_replaced_whole,
    ranges_read_exactly_the_bytes_they_name,
    a_write_that_fails_midway_leaves_nothing_half_written,
    keys_that_could_escape_are_refused,
);
