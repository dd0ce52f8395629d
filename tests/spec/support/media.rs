//! Helpers for media library tests: real files from the simulator's file host, uploads, and
//! what a served JPEG measures.

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::{json as read_json, publishing as p, TestApp};

pub const MEDIA: &str = "/api/social-media/instagram/media";

/// A real file from the simulator's file host (`/_sim/files/{name}`).
pub async fn file(app: &TestApp, name: &str) -> Vec<u8> {
    let r = app
        .http
        .get(app.sim_url(&format!("/_sim/files/{name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{name}");
    r.bytes().await.unwrap().to_vec()
}

pub async fn upload(app: &TestApp, poster: &p::Poster, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    read_json(
        app.http
            .post(app.url(MEDIA))
            .bearer_auth(&poster.token)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn listed(app: &TestApp, poster: &p::Poster) -> Vec<Value> {
    let (status, body) = read_json(app.get(MEDIA, &poster.token).await).await;
    assert_eq!(status, 200, "{body}");
    body["media"].as_array().unwrap().clone()
}

/// Width and height of a baseline or progressive JPEG, from its SOF segment.
pub fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let mut i = 2;
    while i + 9 < bytes.len() {
        let marker = bytes[i + 1];
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xC2) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]) as u32;
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]) as u32;
            return (w, h);
        }
        i += 2 + len;
    }
    panic!("no SOF segment")
}
