//! The files Instagram downloads: `GET /media/files/{key}?expires=&sig=`, no session, the
//! URL's signature decides (docs/security.md F4). The right `Content-Type` and `Content-Length`,
//! `Range` for videos, and nothing for a wrong, expired or guessed URL but a bare 404.

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;

use crate::{
    domain::library::ByteRange,
    http::log_server_fault,
    server::{AppState, Services},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/media/files/{*key}", get(serve))
}

#[derive(Deserialize)]
pub struct Signed {
    #[serde(default)]
    expires: i64,
    #[serde(default)]
    sig: String,
}

pub async fn serve(
    State(services): State<Services>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
    headers: HeaderMap,
) -> Response {
    let asked = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(parse_range);
    let range = match asked {
        Some(Some(r)) => Some(r),
        // A range we do not serve (several, or suffix forms) gets the whole file, as HTTP allows.
        _ => None,
    };
    let opened = services
        .library
        .open_signed(&key, signed.expires, &signed.sig, range)
        .await;
    let (blob, content_type) = match opened {
        Ok(Some(found)) => found,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            log_server_fault(&e);
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let size = blob.size;
    let mut response = Response::new(Body::from_stream(blob.bytes));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    match range {
        Some(r) if r.start >= size => {
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            *response.body_mut() = Body::empty();
            let h = response.headers_mut();
            h.insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
        }
        Some(r) => {
            let end = r.end.min(size - 1);
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_RANGE,
                value(&format!("bytes {}-{end}/{size}", r.start)),
            );
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - r.start + 1));
        }
        None => {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    response
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `bytes=a-b` or `bytes=a-`; anything else is not served as a range.
fn parse_range(raw: &str) -> Option<ByteRange> {
    let spec = raw.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => u64::MAX,
        e => e.parse().ok()?,
    };
    (end >= start).then_some(ByteRange { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_ranges_from_a_start_are_served() {
        assert_eq!(
            parse_range("bytes=0-99"),
            Some(ByteRange { start: 0, end: 99 })
        );
        assert_eq!(
            parse_range("bytes=100-"),
            Some(ByteRange {
                start: 100,
                end: u64::MAX
            })
        );
        for whole in [
            "bytes=-500",
            "bytes=0-1,5-9",
            "bytes=9-1",
            "items=0-1",
            "bytes=a-b",
        ] {
            assert_eq!(parse_range(whole), None, "{whole}");
        }
    }
}
