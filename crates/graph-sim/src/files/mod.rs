//! A media host: "the public web" where customers keep the media they post.
//!
//! `GET`/`HEAD /_sim/files/{name}` answers real media bytes made on the fly from the name's
//! extension and the query parameters (route and parameters in the crate manual). Same query,
//! same bytes. Bodies are a generated head, a run of zero bytes (padding, or the samples of a
//! video) and a generated tail; the zeros are streamed, so a 300 MB file costs no memory.
//!
//! These routes are the public web, not the control API: servers fetch them (no `Origin`), and
//! browsers may show them on any site, so the control API's same-site guard does not apply.

mod bmff;
mod images;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub(crate) use bmff::VideoSpec;

/// The longest `delay_ms` honoured (10 minutes).
const MAX_DELAY_MS: u64 = 600_000;

/// One generated file: `head`, then `zeros` zero bytes, then `tail`.
#[derive(Debug, Clone)]
pub(crate) struct MediaFile {
    pub content_type: &'static str,
    pub head: Bytes,
    pub zeros: u64,
    pub tail: Bytes,
}

impl MediaFile {
    pub fn whole(content_type: &'static str, bytes: Vec<u8>) -> MediaFile {
        MediaFile {
            content_type,
            head: Bytes::from(bytes),
            zeros: 0,
            tail: Bytes::new(),
        }
    }

    pub fn len(&self) -> u64 {
        self.head.len() as u64 + self.zeros + self.tail.len() as u64
    }

    /// Bytes `start..end` (end exclusive) as a stream of chunks of at most 64 KiB.
    fn stream(self, start: u64, end: u64) -> Body {
        let chunks = futures::stream::unfold(start, move |at| {
            let file = self.clone();
            async move {
                if at >= end {
                    return None;
                }
                let chunk = file.chunk_at(at, end);
                let next = at + chunk.len() as u64;
                Some((Ok::<Bytes, std::io::Error>(chunk), next))
            }
        });
        Body::from_stream(chunks)
    }

    /// The chunk that starts at `at`, never crossing `end` or a part boundary.
    fn chunk_at(&self, at: u64, end: u64) -> Bytes {
        const CHUNK: u64 = 64 * 1024;
        static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];
        let head_len = self.head.len() as u64;
        let zeros_end = head_len + self.zeros;
        let take = |part_end: u64| (end.min(part_end) - at).min(CHUNK) as usize;
        if at < head_len {
            let from = at as usize;
            self.head.slice(from..from + take(head_len))
        } else if at < zeros_end {
            Bytes::from_static(&ZEROS[..take(zeros_end)])
        } else {
            let from = (at - zeros_end) as usize;
            self.tail.slice(from..from + take(self.len()))
        }
    }
}

/// The query string as ordered pairs.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A parsed value, or a message naming the parameter.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => raw
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{name}={raw} is not a valid value")),
        }
    }
}

/// Files made recently, by extension and query: the same query gives the same bytes, and a
/// fetcher asking for many copies of one picture (a benchmark's thousands of posts) should not
/// pay for encoding it each time. Bounded: emptied when full.
const MADE_MAX: usize = 256;
type Made = HashMap<(String, Vec<(String, String)>), MediaFile>;
static MADE: LazyLock<Mutex<Made>> = LazyLock::new(Mutex::default);

/// What a name and query describe (without producing the bytes).
pub(crate) fn generate(name: &str, query: &Query) -> Result<Option<MediaFile>, String> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let key = (extension, query.0.clone());
    let made = || MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(file) = made().get(&key) {
        return Ok(Some(file.clone()));
    }
    let file = make(&key.0, query)?;
    if let Some(file) = &file {
        let mut made = made();
        if made.len() >= MADE_MAX {
            made.clear();
        }
        made.insert(key, file.clone());
    }
    Ok(file)
}

fn make(extension: &str, query: &Query) -> Result<Option<MediaFile>, String> {
    let file = match extension {
        "jpg" | "jpeg" => images::jpeg_file(query)?,
        "png" => images::png_file(query)?,
        "gif" => images::gif_file(query)?,
        "webp" => images::webp_file(query)?,
        "mp4" | "mov" => bmff::video_file(query, extension == "mov")?,
        _ => return Ok(None),
    };
    Ok(Some(file))
}

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    let message: String = message.into();
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// `GET` and `HEAD /_sim/files/{name}`.
pub(crate) async fn serve(
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let query = Query::parse(uri.query());
    match query.parsed::<u64>("delay_ms") {
        Ok(Some(ms)) if ms > 0 => {
            tokio::time::sleep(Duration::from_millis(ms.min(MAX_DELAY_MS))).await
        }
        Ok(_) => {}
        Err(message) => return text(StatusCode::BAD_REQUEST, message),
    }
    match query.parsed::<u16>("status") {
        Ok(Some(code)) => {
            return match StatusCode::from_u16(code) {
                Ok(status) => status.into_response(),
                Err(_) => text(
                    StatusCode::BAD_REQUEST,
                    format!("status={code} is not valid"),
                ),
            }
        }
        Ok(None) => {}
        Err(message) => return text(StatusCode::BAD_REQUEST, message),
    }
    if let Some(target) = query.get("redirect") {
        return match HeaderValue::from_str(target) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => text(StatusCode::BAD_REQUEST, "redirect is not a valid URL"),
        };
    }
    let file = match generate(&name, &query) {
        Ok(Some(file)) => file,
        Ok(None) => return text(StatusCode::NOT_FOUND, format!("no such file: {name}")),
        Err(message) => return text(StatusCode::BAD_REQUEST, message),
    };
    respond(file, &method, headers.get(header::RANGE))
}

/// The answer for a whole file or one byte range of it.
fn respond(file: MediaFile, method: &Method, range: Option<&HeaderValue>) -> Response {
    let total = file.len();
    let (status, start, end) = match parse_range(range.and_then(|v| v.to_str().ok()), total) {
        RangeAsked::Whole => (StatusCode::OK, 0, total),
        RangeAsked::Part(start, end) => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAsked::Unsatisfiable => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [
                    (header::CONTENT_RANGE, format!("bytes */{total}")),
                    (header::ACCEPT_RANGES, "bytes".to_string()),
                ],
            )
                .into_response()
        }
    };
    let content_type = file.content_type;
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        file.stream(start, end)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if status == StatusCode::PARTIAL_CONTENT {
        let value = format!("bytes {start}-{}/{total}", end - 1);
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

#[derive(Debug, PartialEq, Eq)]
enum RangeAsked {
    Whole,
    /// `start..end`, end exclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range. Anything else (several ranges, other
/// units, nonsense) is ignored and the whole file is sent, as RFC 9110 allows.
fn parse_range(raw: Option<&str>, total: u64) -> RangeAsked {
    let Some(spec) = raw.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return RangeAsked::Whole;
    };
    if spec.contains(',') {
        return RangeAsked::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsked::Whole;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => match number(last) {
            Some(0) => RangeAsked::Unsatisfiable,
            Some(_) if total == 0 => RangeAsked::Unsatisfiable,
            Some(n) => RangeAsked::Part(total.saturating_sub(n), total),
            None => RangeAsked::Whole,
        },
        // `a-`: from a to the end.
        (false, true) => match number(first) {
            Some(a) if a < total => RangeAsked::Part(a, total),
            Some(_) => RangeAsked::Unsatisfiable,
            None => RangeAsked::Whole,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a <= b => {
                if a < total {
                    RangeAsked::Part(a, b.saturating_add(1).min(total))
                } else {
                    RangeAsked::Unsatisfiable
                }
            }
            _ => RangeAsked::Whole,
        },
        (true, true) => RangeAsked::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 10), RangeAsked::Whole);
        assert_eq!(parse_range(Some("bytes=0-3"), 10), RangeAsked::Part(0, 4));
        assert_eq!(parse_range(Some("bytes=5-"), 10), RangeAsked::Part(5, 10));
        assert_eq!(parse_range(Some("bytes=-3"), 10), RangeAsked::Part(7, 10));
        assert_eq!(parse_range(Some("bytes=-30"), 10), RangeAsked::Part(0, 10));
        assert_eq!(
            parse_range(Some("bytes=8-100"), 10),
            RangeAsked::Part(8, 10)
        );
        assert_eq!(
            parse_range(Some("bytes=10-"), 10),
            RangeAsked::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=-0"), 10), RangeAsked::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10), RangeAsked::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 10), RangeAsked::Whole);
        assert_eq!(parse_range(Some("bytes=4-2"), 10), RangeAsked::Whole);
    }

    #[test]
    fn chunks_cross_parts_in_order() {
        let file = MediaFile {
            content_type: "x/y",
            head: Bytes::from_static(b"abc"),
            zeros: 70_000,
            tail: Bytes::from_static(b"xyz"),
        };
        assert_eq!(file.len(), 70_006);
        assert_eq!(&file.chunk_at(1, 70_006)[..], b"bc");
        assert_eq!(file.chunk_at(3, 70_006).len(), 64 * 1024);
        assert_eq!(file.chunk_at(3 + 65_536, 70_006).len(), 70_000 - 65_536);
        assert_eq!(&file.chunk_at(70_004, 70_006)[..], b"yz");
        assert_eq!(&file.chunk_at(70_003, 70_005)[..], b"xy");
    }
}
