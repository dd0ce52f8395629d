//! Instagram downloads a container's media while the container is made (§5 "Creating
//! containers", §6): a URL it cannot fetch fails the creation call (9004/2207052); a file it can
//! fetch but not use makes the container end in ERROR with the rule's subcode: an image that is not
//! JPEG (2207005), over 8 MiB (2207004), or, in the feed, outside 4:5 to 1.91:1 (2207009); a
//! video that is not MP4/MOV (2207026). Setting `fetch_media` (on by default; the simulator's own
//! tests switch it off to use made-up URLs).

use std::time::Duration;

/// Instagram's image limit (36000/2207004).
const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Enough of a video to see its container; images are read whole, up to one byte past the limit.
const VIDEO_HEAD: u64 = 64 * 1024;

/// What a download of a container's media found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Downloaded {
    /// Nothing could be fetched: the creation call fails.
    Unreachable(String),
    /// Fetched, and Instagram would refuse it with this subcode.
    Refused(i64),
    Usable,
}

/// The client every download of one simulator goes through.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("the TLS backend initialises")
}

/// Downloads `url` as Instagram would, for an image or a video, judging an image's shape only
/// in the feed (`feed_shape`).
pub(crate) async fn download(
    client: &reqwest::Client,
    url: &str,
    is_video: bool,
    feed_shape: bool,
) -> Downloaded {
    let limit = if is_video {
        VIDEO_HEAD
    } else {
        MAX_IMAGE_BYTES + 1
    };
    let mut response = match client.get(url).send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return Downloaded::Unreachable(format!("HTTP {}", r.status().as_u16())),
        Err(e) => return Downloaded::Unreachable(e.without_url().to_string()),
    };
    let mut bytes = Vec::new();
    while (bytes.len() as u64) < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => return Downloaded::Unreachable(e.without_url().to_string()),
        }
    }
    judge(&bytes, is_video, feed_shape)
}

fn judge(bytes: &[u8], is_video: bool, feed_shape: bool) -> Downloaded {
    if is_video {
        return match bytes.get(4..8) {
            Some(b"ftyp") | Some(b"moov") | Some(b"mdat") | Some(b"wide") | Some(b"free") => {
                Downloaded::Usable
            }
            _ => Downloaded::Refused(2207026),
        };
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Downloaded::Refused(2207005);
    }
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Downloaded::Refused(2207004);
    }
    match (feed_shape, jpeg_size(bytes)) {
        (true, Some((w, h))) if h > 0 => {
            let ratio = f64::from(w) / f64::from(h);
            // Instagram's bounds, with the rounding a 1.91:1 image needs (1440×754 is 1.9098).
            if !(0.8 - 1e-3..=1.91 + 1e-3).contains(&ratio) {
                return Downloaded::Refused(2207009);
            }
            Downloaded::Usable
        }
        _ => Downloaded::Usable,
    }
}

/// Width and height from a JPEG's start-of-frame segment.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
            let w = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
        b.extend(h.to_be_bytes());
        b.extend(w.to_be_bytes());
        b.extend([3; 12]);
        b
    }

    #[test]
    fn images_are_judged_as_instagram_does() {
        assert_eq!(judge(&jpeg(1080, 1350), false, true), Downloaded::Usable);
        assert_eq!(judge(&jpeg(1440, 754), false, true), Downloaded::Usable);
        assert_eq!(
            judge(&jpeg(1080, 1920), false, true),
            Downloaded::Refused(2207009)
        );
        assert_eq!(
            judge(&jpeg(1080, 1920), false, false),
            Downloaded::Usable,
            "a story"
        );
        assert_eq!(
            judge(b"\x89PNG\r\n\x1a\n", false, true),
            Downloaded::Refused(2207005)
        );
        assert_eq!(
            judge(b"\0\0\0\x18ftypmp42", true, false),
            Downloaded::Usable
        );
        assert_eq!(
            judge(b"GIF89a......", true, false),
            Downloaded::Refused(2207026)
        );
    }
}
