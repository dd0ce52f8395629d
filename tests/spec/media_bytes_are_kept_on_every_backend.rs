//! The media store's contract (the `BlobStore` port), run on every backend: files beside the
//! embedded store, GridFS with MongoDB, and S3-compatible object storage (s3s-fs, the server the
//! test command starts). Bytes go in and out as streams, ranges read exactly what they name, and
//! a failed write leaves nothing half-written.

use std::sync::Arc;

use bytes::Bytes;
use futures::{stream, StreamExt, TryStreamExt};
use secrecy::ExposeSecret;
use social_media_uploader::{
    config::S3Config,
    domain::{
        library::{BlobStore, ByteRange, ByteStream},
        store::StoreError,
    },
    storage::s3::S3Blobs,
};

use crate::support::{s3_test_config, unique, Backend, Options, Store, TestApp};

/// Where a test keeps its bytes.
#[derive(Debug, Clone, Copy)]
enum Media {
    /// Files beside the embedded store.
    Embedded,
    /// GridFS, in a database of the test's own on the FerretDB server.
    Mongo,
    /// Under a prefix of the test's own in the S3 server's bucket.
    S3,
}

/// A test's blob store, and the store it lives beside (removed when the test ends).
struct Opened {
    blobs: Arc<dyn BlobStore>,
    _beside: Option<Store>,
}

async fn open(media: Media) -> Opened {
    let backend = match media {
        Media::Embedded => Backend::Embedded,
        Media::Mongo => Backend::Mongo,
        Media::S3 => {
            return Opened {
                blobs: Arc::new(S3Blobs::new(&s3_test_config()).unwrap()),
                _beside: None,
            }
        }
    };
    let store = Store::new(backend);
    Opened {
        blobs: store.open().await.blobs,
        _beside: Some(store),
    }
}

/// Generates one test per backend (modules `embedded`, `mongo`, `s3`) from an `async fn(Media)`.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        on_every_backend!(@module embedded, Embedded, $($name),*);
        on_every_backend!(@module mongo, Mongo, $($name),*);
        on_every_backend!(@module s3, S3, $($name),*);
    };
    (@module $module:ident, $media:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Media::$media).await
                }
            )*
        }
    };
}

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

async fn a_blob_reads_back_whole_and_is_replaced_whole(media: Media) {
    let opened = open(media).await;
    let blobs = &opened.blobs;
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
async fn ranges_read_exactly_the_bytes_they_name(media: Media) {
    let opened = open(media).await;
    let blobs = &opened.blobs;
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
async fn a_write_that_fails_midway_leaves_nothing_half_written(media: Media) {
    let opened = open(media).await;
    let blobs = &opened.blobs;
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
async fn keys_that_could_escape_are_refused(media: Media) {
    let opened = open(media).await;
    let blobs = &opened.blobs;
    for bad in ["../outside", "a/../../b", "/etc/passwd", "a//b", ""] {
        assert!(blobs.put(bad, chunks(b"x", 1)).await.is_err(), "{bad:?}");
        assert!(blobs.get(bad, None).await.is_err(), "{bad:?}");
    }
}

/// A video larger than one S3 part (8 MiB) goes up as a multipart upload there: it reads back
/// whole and across part boundaries, and one that breaks off after several parts leaves no blob,
/// or the one before.
async fn a_large_blob_is_kept_whole_or_not_at_all(media: Media) {
    const MIB: usize = 1024 * 1024;
    let opened = open(media).await;
    let blobs = &opened.blobs;
    let k = key("large.mp4");
    let bytes = pattern(20 * MIB + 5);
    let size = bytes.len() as u64;
    assert_eq!(
        blobs.put(&k, chunks(&bytes, 256 * 1024)).await.unwrap(),
        size
    );
    let (total, back) = read(blobs.as_ref(), &k, None).await.unwrap();
    assert_eq!(total, size);
    assert!(back == bytes, "the whole blob reads back as written");
    for at in [8 * MIB, 16 * MIB] {
        let range = ByteRange {
            start: (at - 10) as u64,
            end: (at + 10) as u64,
        };
        let (_, across) = read(blobs.as_ref(), &k, Some(range)).await.unwrap();
        assert_eq!(across, bytes[at - 10..=at + 10], "across {at}");
    }

    let broken = |kept: usize| -> ByteStream {
        let mut pieces: Vec<Result<Bytes, StoreError>> = bytes[..kept]
            .chunks(MIB)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        pieces.push(Err(StoreError::Corrupt {
            context: "the connection dropped".into(),
            source: None,
        }));
        stream::iter(pieces).boxed()
    };
    let fresh = key("broken.mp4");
    assert!(blobs.put(&fresh, broken(19 * MIB)).await.is_err());
    assert!(read(blobs.as_ref(), &fresh, None).await.is_none());
    assert!(blobs.put(&k, broken(18 * MIB)).await.is_err());
    let left = read(blobs.as_ref(), &k, None).await;
    assert!(
        left.is_none() || left.as_ref().is_some_and(|(_, b)| *b == bytes),
        "the old blob or nothing, never part of the new one"
    );
}

on_every_backend!(
    a_blob_reads_back_whole_and_is_replaced_whole,
    ranges_read_exactly_the_bytes_they_name,
    a_write_that_fails_midway_leaves_nothing_half_written,
    keys_that_could_escape_are_refused,
    a_large_blob_is_kept_whole_or_not_at_all,
);

/// The S3 settings as the service reads them.
fn s3_vars(s3: &S3Config) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("MEDIA_S3_BUCKET", s3.bucket.clone()),
        ("MEDIA_S3_REGION", s3.region.clone()),
        (
            "MEDIA_S3_ACCESS_KEY_ID",
            s3.access_key_id.expose_secret().to_string(),
        ),
        (
            "MEDIA_S3_SECRET_ACCESS_KEY",
            s3.secret_access_key.expose_secret().to_string(),
        ),
    ];
    if let Some(endpoint) = &s3.endpoint {
        vars.push(("MEDIA_S3_ENDPOINT", endpoint.to_string()));
    }
    if let Some(prefix) = &s3.prefix {
        vars.push(("MEDIA_S3_PREFIX", prefix.clone()));
    }
    vars
}

/// `MEDIA_S3_BUCKET` with its settings puts the service's media bytes in that bucket, under the
/// prefix, while the embedded store keeps the records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_bucket_keeps_the_services_media() {
    let s3 = s3_test_config();
    let options = Options {
        extra: s3_vars(&s3),
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Embedded, options).await;
    let blobs = &app.storage().blobs;
    assert_eq!(blobs.kind(), "s3");
    assert_eq!(app.storage().kind, "embedded");
    let k = key("original");
    let kept = b"kept in the bucket".to_vec();
    blobs.put(&k, chunks(&kept, 4)).await.unwrap();
    let straight = S3Blobs::new(&s3).unwrap();
    assert_eq!(read(&straight, &k, None).await, Some((18, kept)));
    let elsewhere = S3Blobs::new(&S3Config {
        prefix: Some(unique("other")),
        ..s3
    })
    .unwrap();
    assert!(
        read(&elsewhere, &k, None).await.is_none(),
        "under its own prefix"
    );
}
