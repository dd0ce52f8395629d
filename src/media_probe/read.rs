//! Reading a bounded part of a file over HTTP: a `Range` request, and never more than asked, even
//! from a host that ignores the range and sends the whole file.

use reqwest::{
    header::{CONTENT_RANGE, CONTENT_TYPE, RANGE},
    Client, StatusCode,
};
use url::Url;

use super::guard::{refusal, Refused};
use crate::domain::media::ProbeError;

/// A host that ignores ranges is read from the start; this far, and no further, to reach a part.
const MAX_SKIP: u64 = 16 * 1024 * 1024;

/// Bytes `start..start + len` of a file (fewer at its end), and what the host said about it.
pub(super) struct Part {
    pub(super) bytes: Vec<u8>,
    /// The whole file's size, when the host said.
    pub(super) total: Option<u64>,
    /// The host called it HTML.
    pub(super) html: bool,
}

pub(super) async fn read_part(
    client: &Client,
    url: &Url,
    start: u64,
    len: u64,
) -> Result<Part, ProbeError> {
    let last = start + len.max(1) - 1;
    let mut response = client
        .get(url.clone())
        .header(RANGE, format!("bytes={start}-{last}"))
        .send()
        .await
        .map_err(|e| request_error(&e))?;
    let status = response.status();
    let ranged = status == StatusCode::PARTIAL_CONTENT;
    if !ranged && status != StatusCode::OK {
        return Err(ProbeError::Status(status.as_u16()));
    }
    let total = match ranged {
        true => response
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(range_total),
        false => response.content_length(),
    };
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    // The whole file came: skip to `start` (bounded), then keep `len` bytes.
    let mut skip = if ranged { 0 } else { start };
    if skip > MAX_SKIP {
        return Err(ProbeError::Unreachable(
            "the host does not serve parts of files, and the part needed lies too far in".into(),
        ));
    }
    let mut bytes = Vec::with_capacity(len.min(1 << 20) as usize);
    while (bytes.len() as u64) < len {
        let Some(chunk) = response.chunk().await.map_err(|e| request_error(&e))? else {
            break;
        };
        let mut chunk = &chunk[..];
        let skipped = skip.min(chunk.len() as u64);
        chunk = &chunk[skipped as usize..];
        skip -= skipped;
        let room = (len - bytes.len() as u64).min(chunk.len() as u64) as usize;
        bytes.extend_from_slice(&chunk[..room]);
    }
    Ok(Part { bytes, total, html })
}

/// `bytes 0-99/1234` → 1234 (`*` when the host does not know).
fn range_total(value: &str) -> Option<u64> {
    value.rsplit_once('/')?.1.trim().parse().ok()
}

/// A failed request in the customer's terms; the guard's refusals keep their own words.
fn request_error(e: &reqwest::Error) -> ProbeError {
    match refusal(e) {
        Some(Refused::TooManyRedirects) => ProbeError::TooManyRedirects,
        Some(slow @ Refused::SlowLookup) => ProbeError::Unreachable(slow.to_string()),
        Some(refused) => ProbeError::NotAllowed(refused.to_string()),
        None if e.is_timeout() => ProbeError::Unreachable("the host was too slow".into()),
        None if e.is_connect() => {
            ProbeError::Unreachable("the host could not be reached: check the address".into())
        }
        None => ProbeError::Unreachable("the download failed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_size_comes_from_content_range() {
        assert_eq!(range_total("bytes 0-99/1234"), Some(1234));
        assert_eq!(range_total("bytes 0-99/*"), None);
        assert_eq!(range_total("nonsense"), None);
    }
}
