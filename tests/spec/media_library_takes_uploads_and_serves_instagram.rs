//! The media library (issue: customers upload from their computer, Instagram fetches from us):
//! whole files and resumable chunks, refusals that keep nothing, each file kept once, photos
//! prepared for the post's kind, and signed URLs with ranges that only the service makes.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::{
    on_both_stores,
    support::{
        json as read_json,
        media::{file, jpeg_size, listed, upload, MEDIA},
        publishing as p, Backend, TestApp,
    },
};

/// A photo sent whole is sniffed, measured and kept once; the same bytes again return the same
/// file; the list shows it with a thumbnail that opens without a session.
async fn a_photo_sent_whole_is_kept_once_and_listed(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let bytes = file(&app, "photo.jpg?w=1600&h=1200").await;
    let (status, body) = upload(&app, &poster, "door.jpg", bytes.clone()).await;
    assert_eq!(status, 201, "{body}");
    let media = &body["media"];
    assert_eq!(
        (
            &media["kind"],
            &media["format"],
            &media["width"],
            &media["height"]
        ),
        (&json!("image"), &json!("jpeg"), &json!(1600), &json!(1200)),
        "{media:#}"
    );
    let (status, again) = upload(&app, &poster, "copy.jpg", bytes).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["media"]["_id"], media["_id"]);
    let list = listed(&app, &poster).await;
    assert_eq!(list.len(), 1);
    let thumb = app
        .http
        .get(list[0]["thumbnail_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let (w, h) = jpeg_size(&thumb.bytes().await.unwrap());
    assert_eq!((w.max(h), w * 3 == h * 4), (320, true), "{w}x{h}");
}

/// A phone photo taken sideways (EXIF orientation 6) with its GPS position: the library stands
/// it upright, and what Instagram downloads carries no EXIF at all, so no position leaves.
async fn a_sideways_phone_photo_stands_upright_and_loses_its_gps(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let plain = file(&app, "photo.jpg?w=1600&h=1200").await;
    let (status, body) = upload(&app, &poster, "phone.jpg", with_exif(&plain)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (&body["media"]["width"], &body["media"]["height"]),
        (&json!(1200), &json!(1600)),
        "upright: {body}"
    );
    let (status, preview) = read_json(
        app.get(
            &format!(
                "{MEDIA}/{}/preview?placement=story&fit=pad",
                body["media"]["_id"].as_str().unwrap()
            ),
            &poster.token,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    let bytes = app
        .http
        .get(preview["preview"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (w, h) = jpeg_size(&bytes);
    assert_eq!(w * 16, h * 9, "a story's 9:16: {w}x{h}");
    assert!(h >= 1600, "the whole upright photo fits: {w}x{h}");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"Exif"), "no EXIF segment");
    assert!(!has(&[0xFF, 0xE1]), "no APP1 at all");
}

/// The JPEG with an EXIF segment in place of its JFIF one: orientation 6 (rotate 90° clockwise)
/// and a GPS directory (latitude reference "N").
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    // A little-endian TIFF: IFD0 with Orientation and the GPS pointer, then the GPS IFD.
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend(kind.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(value.to_le_bytes());
        e
    };
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0112, 3, 1, 6));
    tiff.extend(entry(0x8825, 4, 1, 8 + 2 + 2 * 12 + 4));
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(1u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend(0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    // Skip SOI and the JFIF APP0 the simulator writes.
    let app0_len = u16::from_be_bytes([jpeg[4], jpeg[5]]) as usize;
    out.extend(&jpeg[4 + app0_len..]);
    out
}

/// Bad files are refused with the rule named, and nothing of them is kept.
async fn bad_files_are_refused_and_nothing_is_kept(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let jpeg = file(&app, "photo.jpg?w=800&h=800").await;
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(png_chunk(
        b"IHDR",
        &[0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 2, 0, 0, 0],
    ));
    bomb.extend(png_chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]));
    bomb.extend(png_chunk(b"IEND", &[]));
    let mut fake_video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    fake_video.extend(std::iter::repeat_n(0x41, 4000));
    // Real videos no Instagram post takes: the rule is named at upload.
    let old_codec = file(&app, "clip.mp4?secs=8&codec=mp4v").await;
    let index_last = file(&app, "clip.mp4?secs=8&moov=end").await;
    let too_long = file(&app, "clip.mp4?secs=1000&fps=1&audio=0&bytes=500000").await;
    for (name, bytes, says) in [
        (
            "notes.jpg",
            b"just some words, not a photo".to_vec(),
            "not a photo or a video",
        ),
        ("paper.jpg", b"%PDF-1.7\n%....".to_vec(), "PDF"),
        ("half.jpg", jpeg[..jpeg.len() / 2].to_vec(), "damaged"),
        ("bomb.png", bomb, "megapixels"),
        ("clip.mp4", fake_video, "video"),
        ("old.mp4", old_codec, "H.264"),
        ("slow.mp4", index_last, "faststart"),
        ("long.mp4", too_long, "15 minutes"),
    ] {
        let (status, body) = upload(&app, &poster, name, bytes).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(body["status"], "error");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{name}: {message}");
    }
    assert!(listed(&app, &poster).await.is_empty(), "nothing kept");
}

/// A PNG chunk with its CRC.
fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend((!crc).to_be_bytes());
    out
}

async fn patch(
    app: &TestApp,
    poster: &p::Poster,
    id: &str,
    offset: usize,
    chunk: &[u8],
) -> (u16, Value) {
    read_json(
        app.http
            .patch(app.url(&format!("{MEDIA}/uploads/{id}")))
            .bearer_auth(&poster.token)
            .header("upload-offset", offset.to_string())
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A video goes up in chunks; a chunk sent again after a dropped connection is refused with the
/// offset to resume from, the upload resumes there, and the last chunk makes the file.
async fn a_video_uploads_in_resumable_chunks(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let video = file(&app, "clip.mp4?secs=20&bytes=2500000").await;
    let (status, body) = read_json(
        app.http
            .post(app.url(&format!("{MEDIA}/uploads")))
            .bearer_auth(&poster.token)
            .json(&json!({"file_name": "clip.mp4", "size": video.len()}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["upload"]["id"].as_str().unwrap().to_string();
    let third = video.len() / 3;
    let (status, body) = patch(&app, &poster, &id, 0, &video[..third]).await;
    assert_eq!(
        (status, body["upload"]["offset"].as_u64()),
        (200, Some(third as u64)),
        "{body}"
    );
    // The connection dropped before the answer came: the client sends the chunk again.
    let (status, body) = patch(&app, &poster, &id, 0, &video[..third]).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&third.to_string()),
        "{body}"
    );
    let (status, body) = read_json(
        app.get(&format!("{MEDIA}/uploads/{id}"), &poster.token)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["upload"]["offset"].as_u64()),
        (200, Some(third as u64))
    );
    let (status, body) = patch(&app, &poster, &id, third, &video[third..2 * third]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch(&app, &poster, &id, 2 * third, &video[2 * third..]).await;
    assert_eq!(status, 201, "{body}");
    let media = &body["media"];
    assert_eq!(
        (&media["kind"], &media["format"]),
        (&json!("video"), &json!("mp4"))
    );
    assert_eq!(media["size"], video.len());
    assert_eq!(media["duration_ms"], 20_000);
    assert_eq!(listed(&app, &poster).await.len(), 1);
}

/// A post takes library files by id: the photo is prepared for the post's kind (a 9:16 photo
/// padded into the feed's 4:5), served to Instagram at a signed URL with its type and length,
/// a video in ranges, and published; a tampered or expired URL opens nothing.
async fn posts_use_library_files_that_instagram_fetches_from_signed_urls(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let (_, photo) = upload(
        &app,
        &poster,
        "tall.jpg",
        file(&app, "photo.jpg?w=1080&h=1920").await,
    )
    .await;
    let photo_id = photo["media"]["_id"].as_str().unwrap();
    let id = p::created_id(
        &app,
        &poster,
        &json!({"account_id": poster.account_id, "kind": "image", "caption": "from the library",
                "media": [{"media_id": photo_id, "media_type": "image", "fit": "pad"}]}),
    )
    .await;
    let post = p::wait_for(&app, &poster, &id, "published", Duration::from_secs(20)).await;
    let url = post["media"][0]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&app.url("/media/files/")), "{url}");
    let served = app.http.get(&url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let length: usize = served.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = served.bytes().await.unwrap();
    assert_eq!(bytes.len(), length);
    assert_eq!(jpeg_size(&bytes), (1440, 1800), "padded to 4:5, 1440 wide");

    let tampered = url.replace("sig=", "sig=A");
    assert_eq!(app.http.get(&tampered).send().await.unwrap().status(), 404);
    let expired = url.replace("expires=", "expires=1");
    assert_eq!(app.http.get(&expired).send().await.unwrap().status(), 404);

    let video = file(&app, "clip.mp4?secs=8").await;
    let (status, clip) = upload(&app, &poster, "clip.mp4", video.clone()).await;
    assert_eq!(status, 201, "{clip}");
    let reel = p::created_id(
        &app,
        &poster,
        &json!({"account_id": poster.account_id, "kind": "reel", "caption": "a reel",
                "cover_media_id": photo_id,
                "media": [{"media_id": clip["media"]["_id"], "media_type": "video"}]}),
    )
    .await;
    let post = p::wait_for(&app, &poster, &reel, "published", Duration::from_secs(20)).await;
    // Instagram got the cover at a URL signed when publishing ran, for a day: a post retried
    // after the URLs made with it expired still reaches Instagram.
    let sent = p::published_media(&app, &poster.ig_user_id).await;
    let sent = sent.last().unwrap()["cover_url"]
        .as_str()
        .unwrap()
        .to_string();
    let expires: i64 = sent.split("expires=").nth(1).unwrap()[..10]
        .parse()
        .unwrap();
    let hours = (expires - chrono::Utc::now().timestamp()) / 3600;
    assert!((20..=24).contains(&hours), "{sent}");
    // The cover is the library photo in the reel's 9:16.
    let cover = post["cover_url"]
        .as_str()
        .unwrap_or_else(|| panic!("{post:#}"));
    let cover_bytes = app
        .http
        .get(cover)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(jpeg_size(&cover_bytes), (1080, 1920));
    let url = post["media"][0]["url"].as_str().unwrap();
    let part = app
        .http
        .get(url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-199/{}", video.len())
    );
    assert_eq!(part.headers()["content-type"], "video/mp4");
    assert_eq!(part.bytes().await.unwrap()[..], video[100..200]);

    // A deleted file can no longer be posted.
    let (status, _) = read_json(
        app.delete(&format!("{MEDIA}/{photo_id}"), &poster.token)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = p::create(
        &app,
        &poster,
        &json!({"account_id": poster.account_id, "kind": "image",
                "media": [{"media_id": photo_id, "media_type": "image"}]}),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "media[0].media_id");
}

/// The Media page uploads with its session, from its own origin only; a request without a
/// session, or posted from another site, changes nothing.
async fn the_page_uploads_with_its_session_from_its_own_origin_only(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let photo = file(&app, "photo.jpg?w=600&h=600").await;
    let form = |bytes: Vec<u8>| Form::new().part("file", Part::bytes(bytes).file_name("p.jpg"));
    let anonymous = app
        .browser()
        .post(app.url("/library/media"))
        .header("origin", &app.base)
        .multipart(form(photo.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let browser = app.signed_in_browser(&poster.customer, &poster.user).await;
    let cross_site = browser
        .post(app.url("/library/media"))
        .header("origin", "https://evil.example")
        .multipart(form(photo.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert!(listed(&app, &poster).await.is_empty());
    let own = browser
        .post(app.url("/library/media"))
        .header("origin", &app.base)
        .multipart(form(photo))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 201, "{}", own.text().await.unwrap());
    assert_eq!(
        listed(&app, &poster).await.len(),
        1,
        "the same library as the API's"
    );
}

/// Without JavaScript the drop zone is a plain form: its browser is sent back to the Media page,
/// which lists the new file, or says why it was refused (once).
async fn a_plain_form_upload_returns_to_the_page(backend: Backend) {
    let app = p::quick_app(backend).await;
    let poster = p::poster(&app).await;
    let browser = app.signed_in_browser(&poster.customer, &poster.user).await;
    let send = |name: &'static str, bytes: Vec<u8>| {
        browser
            .post(app.url("/library/media"))
            .header("origin", &app.base)
            .header("accept", "text/html,application/xhtml+xml")
            .multipart(Form::new().part("file", Part::bytes(bytes).file_name(name)))
            .send()
    };
    let page = || async {
        let page = browser.get(app.url("/media")).send().await.unwrap();
        page.text().await.unwrap()
    };
    let sent = send("door.jpg", file(&app, "photo.jpg?w=640&h=480").await)
        .await
        .unwrap();
    assert_eq!(sent.status(), 303, "sent back to the page");
    assert_eq!(sent.headers()["location"], "/media");
    assert!(
        page().await.contains("door.jpg"),
        "the page lists the new file"
    );
    assert_eq!(listed(&app, &poster).await.len(), 1);

    let refused = send("notes.jpg", b"only words".to_vec()).await.unwrap();
    assert_eq!(refused.status(), 303);
    assert!(
        page().await.contains("not a photo or a video"),
        "the refusal is shown"
    );
    assert!(!page().await.contains("not a photo or a video"), "once");
    assert_eq!(listed(&app, &poster).await.len(), 1);
}

on_both_stores!(
    a_plain_form_upload_returns_to_the_page,
    a_sideways_phone_photo_stands_upright_and_loses_its_gps,
    the_page_uploads_with_its_session_from_its_own_origin_only,
    a_photo_sent_whole_is_kept_once_and_listed,
    bad_files_are_refused_and_nothing_is_kept,
    a_video_uploads_in_resumable_chunks,
    posts_use_library_files_that_instagram_fetches_from_signed_urls,
);
