//! Retention of the media library (issue: media library, outcome 6): the photo prepared for a post
//! is kept while the post may still need it and a configured time after it is done, then removed;
//! an original is never deleted while a post to be published uses it, as an item or as a reel's
//! cover; and the history keeps showing the picture, whatever was removed.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        json as read_json,
        media::{file, jpeg_size, upload, MEDIA},
        publishing as p, Backend, TestApp,
    },
};

on_both_stores!(
    a_published_posts_copy_goes_after_the_retention_and_a_pending_ones_stays,
    a_copy_is_kept_for_the_configured_days,
    files_a_pending_post_uses_cannot_be_deleted_and_deleting_takes_their_copies,
);

/// The blob key in one of our signed URLs (`…/media/files/{key}?expires=…&sig=…`).
fn key_of(url: &str) -> String {
    let path = url
        .split("/media/files/")
        .nth(1)
        .unwrap_or_else(|| panic!("{url}"));
    path.split('?').next().unwrap().to_string()
}

async fn kept(app: &TestApp, key: &str) -> bool {
    app.storage().blobs.get(key, None).await.unwrap().is_some()
}

async fn photo(app: &TestApp, poster: &p::Poster, name: &str, spec: &str) -> String {
    let (status, body) = upload(app, poster, name, file(app, spec).await).await;
    assert_eq!(status, 201, "{body}");
    body["media"]["_id"].as_str().unwrap().to_string()
}

fn later() -> String {
    (chrono::Utc::now() + chrono::TimeDelta::days(2)).to_rfc3339()
}

fn library_post(poster: &p::Poster, media_id: &str, fit: &str) -> Value {
    json!({"account_id": poster.account_id, "kind": "image", "caption": "from the library",
           "media": [{"media_id": media_id, "media_type": "image", "fit": fit}]})
}

/// With `MEDIA_RETENTION_DAYS=0`, the sweep removes the copy of a published post's photo at once
/// and keeps the one of a photo a scheduled post will need (a photo's copies stay while any post
/// of it is pending); the published post's picture still opens from its
/// history (made again from the original), at a URL signed for hours, not for Instagram's days.
async fn a_published_posts_copy_goes_after_the_retention_and_a_pending_ones_stays(
    backend: Backend,
) {
    let app = p::quick_app_with(backend, vec![("MEDIA_RETENTION_DAYS", "0".into())]).await;
    let poster = p::poster(&app).await;
    let wide = photo(&app, &poster, "wide.jpg", "photo.jpg?w=1600&h=1200").await;
    let square = photo(&app, &poster, "square.jpg", "photo.jpg?w=1200&h=1200").await;

    let published = p::created_id(&app, &poster, &library_post(&poster, &wide, "pad")).await;
    let published = p::wait_for(
        &app,
        &poster,
        &published,
        "published",
        Duration::from_secs(20),
    )
    .await;
    let mut scheduled = library_post(&poster, &square, "crop");
    scheduled["scheduled_at"] = json!(later());
    let scheduled = p::created_id(&app, &poster, &scheduled).await;
    let scheduled = p::get_post(&app, &poster, &scheduled).await;
    let (gone, stays) = (
        key_of(published["media"][0]["url"].as_str().unwrap()),
        key_of(scheduled["media"][0]["url"].as_str().unwrap()),
    );

    let library = &app.running.services.library;
    assert_eq!(library.forget_published_copies().await.unwrap(), 1);
    assert!(
        !kept(&app, &gone).await,
        "the published post's copy is removed"
    );
    assert!(kept(&app, &stays).await, "the scheduled post's copy stays");
    assert!(
        kept(
            &app,
            &format!("{}/original", gone.rsplit_once('/').unwrap().0)
        )
        .await
    );

    // The history shows the picture at a fresh URL, made again from the original.
    let seen = p::get_post(&app, &poster, published["_id"].as_str().unwrap()).await;
    let url = seen["media"][0]["url"].as_str().unwrap();
    let expires: i64 = url
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let hours = (expires - chrono::Utc::now().timestamp()) / 3600;
    assert!(
        (1..=12).contains(&hours),
        "signed for the next hours, not days: {url}"
    );
    let served = app.http.get(url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(jpeg_size(&served.bytes().await.unwrap()), (1440, 1080));
    // That copy is swept again: nothing keeps it.
    assert_eq!(library.forget_published_copies().await.unwrap(), 1);
    assert!(kept(&app, &stays).await);
}

/// With the default retention, a published post's copy is still there after a sweep.
async fn a_copy_is_kept_for_the_configured_days(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let id = photo(&app, &poster, "square.jpg", "photo.jpg?w=1200&h=1200").await;
    let post = p::created_id(&app, &poster, &library_post(&poster, &id, "crop")).await;
    let post = p::wait_for(&app, &poster, &post, "published", Duration::from_secs(20)).await;
    let copy = key_of(post["media"][0]["url"].as_str().unwrap());
    let library = &app.running.services.library;
    assert_eq!(library.forget_published_copies().await.unwrap(), 0);
    assert!(kept(&app, &copy).await);
}

/// A photo a scheduled post uses (as its item, or as a reel's cover) cannot be deleted, with the
/// reason; once the post is cancelled it can, and its prepared copies go with it.
async fn files_a_pending_post_uses_cannot_be_deleted_and_deleting_takes_their_copies(
    backend: Backend,
) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let cover = photo(&app, &poster, "cover.jpg", "photo.jpg?w=1080&h=1920").await;
    let (status, clip) = upload(
        &app,
        &poster,
        "clip.mp4",
        file(&app, "clip.mp4?secs=8").await,
    )
    .await;
    assert_eq!(status, 201, "{clip}");
    let reel = p::created_id(
        &app,
        &poster,
        &json!({"account_id": poster.account_id, "kind": "reel", "caption": "soon",
                "scheduled_at": later(), "cover_media_id": cover,
                "media": [{"media_id": clip["media"]["_id"], "media_type": "video"}]}),
    )
    .await;
    let copy = key_of(
        p::get_post(&app, &poster, &reel).await["cover_url"]
            .as_str()
            .unwrap(),
    );
    assert!(kept(&app, &copy).await);

    let (status, body) =
        read_json(app.delete(&format!("{MEDIA}/{cover}"), &poster.token).await).await;
    assert_eq!(status, 409, "the reel's cover is still needed: {body}");
    assert!(
        body["message"].as_str().unwrap().contains("cover.jpg"),
        "{body}"
    );

    let (status, body) = p::act(&app, &poster, &reel, "cancel").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        read_json(app.delete(&format!("{MEDIA}/{cover}"), &poster.token).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !kept(&app, &copy).await,
        "the cover's copy is removed with it"
    );
}
