//! What may be posted: a [`PostRequest`] becomes a [`PostDraft`] at the edge (the JSON API, the
//! composer) by passing every rule that needs nothing but the request itself, with messages a
//! person can act on (docs/graph-api.md §5 limits; docs/security.md §4 for the abuse cases). What
//! needs the world (the clock, DNS, the account) is checked by `PostService::create`.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use url::{Host, Url};

use crate::{
    crypto::sha256_hex,
    domain::DomainError,
    dto::{
        CaptionCounts, MediaItem, MediaType, PostKind, PostRequest, MAX_ALT_TEXT_CHARS,
        MAX_CAPTION_CHARS, MAX_CAROUSEL_ITEMS, MAX_HASHTAGS, MAX_MENTIONS, MIN_CAROUSEL_ITEMS,
    },
};

/// How far ahead a post may be scheduled (Instagram's own scheduler allows 75 days).
pub const MAX_SCHEDULE_AHEAD_DAYS: i64 = 75;
/// A "scheduled" time this little in the past is taken as "now" (clock skew, slow forms).
const PAST_TOLERANCE: TimeDelta = TimeDelta::minutes(2);
const MAX_URL_LEN: usize = 2048;
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
const DNS_TIMEOUT: Duration = Duration::from_secs(2);

fn invalid(field: impl Into<String>, message: impl Into<String>) -> DomainError {
    DomainError::invalid(field, message)
}

/// A post request that passed every rule that needs nothing but itself. Everything past the edge
/// takes this type, never a raw [`PostRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDraft {
    pub account_id: String,
    pub kind: PostKind,
    /// Each URL trimmed and a public `https` URL by its syntax.
    pub media: Vec<MediaItem>,
    pub caption: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// SHA-256 of the request as it came, to tell a replay from another request under the same
    /// idempotency key.
    pub request_hash: String,
}

impl TryFrom<PostRequest> for PostDraft {
    type Error = DomainError;

    fn try_from(req: PostRequest) -> Result<Self, DomainError> {
        let request_hash = sha256_hex(&serde_json::to_vec(&req).unwrap_or_default());
        check_media_count(req.kind, &req.media)?;
        for (i, item) in req.media.iter().enumerate() {
            check_item(req.kind, i, item)?;
        }
        check_caption(req.kind, &req.caption)?;
        Ok(Self {
            media: req
                .media
                .into_iter()
                .map(|m| MediaItem {
                    url: m.url.trim().to_string(),
                    ..m
                })
                .collect(),
            account_id: req.account_id,
            kind: req.kind,
            caption: req.caption,
            scheduled_at: req.scheduled_at,
            request_hash,
        })
    }
}

impl PostDraft {
    /// The schedule is in the future (give or take clock skew) and within reach.
    pub fn check_schedule(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        match self.scheduled_at {
            Some(at) => check_schedule(at, now),
            None => Ok(()),
        }
    }

    /// No media host resolves to a private address (a public-looking name pointing inside a
    /// network). Each lookup is bounded in time.
    pub async fn check_hosts(&self) -> Result<(), DomainError> {
        for (i, item) in self.media.iter().enumerate() {
            let Ok(url) = Url::parse(&item.url) else {
                continue;
            };
            if resolves_to_private(&url).await {
                return Err(invalid(
                    format!("media[{i}].url"),
                    "The URL's host resolves to a private address. Use a public URL.",
                ));
            }
        }
        Ok(())
    }
}

fn check_media_count(kind: PostKind, media: &[MediaItem]) -> Result<(), DomainError> {
    let n = media.len();
    let only = |t: Option<MediaType>, what: &str| -> Result<(), DomainError> {
        if n != 1 {
            return Err(invalid(
                "media",
                format!("{what} takes exactly one media item; {n} were given."),
            ));
        }
        match t {
            Some(t) if media[0].media_type != t => Err(invalid(
                "media[0].media_type",
                format!(
                    "{what} needs {}.",
                    if t == MediaType::Image {
                        "an image"
                    } else {
                        "a video"
                    }
                ),
            )),
            _ => Ok(()),
        }
    };
    match kind {
        PostKind::Image => only(Some(MediaType::Image), "An image post"),
        PostKind::Reel => only(Some(MediaType::Video), "A reel"),
        PostKind::Story => only(None, "A story"),
        PostKind::Carousel if !(MIN_CAROUSEL_ITEMS..=MAX_CAROUSEL_ITEMS).contains(&n) => Err(invalid(
            "media",
            format!("A carousel needs between {MIN_CAROUSEL_ITEMS} and {MAX_CAROUSEL_ITEMS} items; {n} were given."),
        )),
        PostKind::Carousel => Ok(()),
    }
}

fn check_item(kind: PostKind, i: usize, item: &MediaItem) -> Result<(), DomainError> {
    public_https_url(&item.url).map_err(|m| invalid(format!("media[{i}].url"), m))?;
    if let Some(alt) = &item.alt_text {
        if item.media_type != MediaType::Image || kind == PostKind::Story {
            return Err(invalid(
                format!("media[{i}].alt_text"),
                "Alt text applies to feed images only.",
            ));
        }
        if alt.chars().count() > MAX_ALT_TEXT_CHARS {
            return Err(invalid(
                format!("media[{i}].alt_text"),
                format!("Alt text may be at most {MAX_ALT_TEXT_CHARS} characters."),
            ));
        }
        check_text(&format!("media[{i}].alt_text"), alt)?;
    }
    Ok(())
}

/// A public `https` URL: no credentials, no IP literal or name that points inside a network.
/// Instagram fetches media itself, so anything else would fail there, or worse, probe a network.
pub fn public_https_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(format!("The URL is longer than {MAX_URL_LEN} characters."));
    }
    let url = Url::parse(raw)
        .map_err(|_| "This is not a valid URL. Use a full https:// address.".to_string())?;
    if url.scheme() != "https" {
        return Err("Only https URLs are accepted: Instagram fetches media over https.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with a user name or password are not accepted.".into());
    }
    match url.host() {
        None => Err("The URL has no host.".into()),
        Some(Host::Ipv4(ip)) if !is_public_v4(ip) => Err(private_message()),
        Some(Host::Ipv6(ip)) if !is_public_v6(ip) => Err(private_message()),
        Some(Host::Domain(name)) if is_internal_name(name) => Err(private_message()),
        Some(_) => Ok(url),
    }
}

fn private_message() -> String {
    "The URL points at a private, loopback or link-local address. Use a public URL.".into()
}

fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || !name.contains('.')
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Special-purpose IPv4 blocks that are not globally reachable, from IANA's IPv4 Special-Purpose
/// Address Registry (plus multicast and the reserved 240/4): `(network, prefix length)`.
const SPECIAL_V4: [([u8; 4], u8); 16] = [
    ([0, 0, 0, 0], 8),          // "this network"
    ([10, 0, 0, 0], 8),         // private
    ([100, 64, 0, 0], 10),      // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),        // loopback
    ([169, 254, 0, 0], 16),     // link-local (cloud metadata lives here)
    ([172, 16, 0, 0], 12),      // private
    ([192, 0, 0, 0], 24),       // IETF protocol assignments
    ([192, 0, 2, 0], 24),       // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),     // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),     // private
    ([198, 18, 0, 0], 15),      // benchmarking
    ([198, 51, 100, 0], 24),    // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),     // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),        // multicast
    ([240, 0, 0, 0], 4),        // reserved, and 255.255.255.255 broadcast
    ([255, 255, 255, 255], 32), // limited broadcast
];

fn in_v4(ip: Ipv4Addr, (net, len): ([u8; 4], u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !SPECIAL_V4.iter().any(|&block| in_v4(ip, block))
}

/// Special-purpose IPv6 blocks inside the global unicast space (2000::/3) that are not globally
/// reachable or not for fetching media, from IANA's IPv6 Special-Purpose Address Registry:
/// `(network, prefix length)`. Everything outside 2000::/3 is refused anyway (loopback,
/// unspecified, unique local fc00::/7, link-local fe80::/10, site-local, multicast, discard-only
/// 100::/64, the NAT64 and IPv4-compatible forms unless their IPv4 address is public).
const SPECIAL_V6: [(u128, u8); 4] = [
    // IETF protocol assignments, with Teredo (2001::/32, which tunnels to any IPv4 address),
    // benchmarking (2001:2::/48) and ORCHID among them.
    (0x2001_0000 << 96, 23),
    (0x2001_0db8 << 96, 32), // documentation
    (0x3fff_0000 << 96, 20), // documentation (RFC 9637)
    (0x5f00 << 112, 16),     // SRv6 SIDs
];

fn in_v6(ip: Ipv6Addr, (net, len): (u128, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

/// The IPv4 address an IPv6 address carries, for the forms that carry one: IPv4-mapped
/// (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96, and 64:ff9b:1::/48 local use),
/// and 6to4 (2002::/16, the address in bits 16-47).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from(bits as u32);
    if in_v6(ip, (0xffff << 32, 96)) || in_v6(ip, (0, 96)) {
        return Some(low);
    }
    if in_v6(ip, (0x0064_ff9b << 96, 96)) || in_v6(ip, (0x0064_ff9b_0001 << 80, 48)) {
        return Some(low);
    }
    if in_v6(ip, (0x2002 << 112, 16)) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        // The local-use NAT64 prefix is never public, whatever it carries.
        return is_public_v4(v4) && !in_v6(ip, (0x0064_ff9b_0001 << 80, 48));
    }
    in_v6(ip, (0x2000 << 112, 3)) && !SPECIAL_V6.iter().any(|&block| in_v6(ip, block))
}

/// Whether the host's DNS answer holds a non-public address (a name pointing inside a network).
/// Names that do not resolve here are left to Instagram's fetch, which will report them.
async fn resolves_to_private(url: &Url) -> bool {
    let Some(Host::Domain(name)) = url.host() else {
        return false;
    };
    let lookup =
        tokio::net::lookup_host((name.to_string(), url.port_or_known_default().unwrap_or(443)));
    match tokio::time::timeout(DNS_TIMEOUT, lookup).await {
        Ok(Ok(addrs)) => addrs.into_iter().any(|a| match a.ip() {
            IpAddr::V4(v4) => !is_public_v4(v4),
            IpAddr::V6(v6) => !is_public_v6(v6),
        }),
        _ => false,
    }
}

fn check_caption(kind: PostKind, caption: &str) -> Result<(), DomainError> {
    if kind == PostKind::Story && !caption.trim().is_empty() {
        return Err(invalid(
            "caption",
            "Stories cannot have a caption on Instagram. Remove it, or post to the feed.",
        ));
    }
    let counts = CaptionCounts::of(caption);
    if counts.characters > MAX_CAPTION_CHARS {
        return Err(invalid(
            "caption",
            format!(
                "The caption has {} characters; Instagram allows {MAX_CAPTION_CHARS}.",
                counts.characters
            ),
        ));
    }
    if counts.hashtags > MAX_HASHTAGS {
        return Err(invalid(
            "caption",
            format!(
                "The caption has {} hashtags; Instagram allows {MAX_HASHTAGS}.",
                counts.hashtags
            ),
        ));
    }
    if counts.mentions > MAX_MENTIONS {
        return Err(invalid(
            "caption",
            format!(
                "The caption mentions {} accounts; Instagram allows {MAX_MENTIONS}.",
                counts.mentions
            ),
        ));
    }
    check_text("caption", caption)
}

/// Refuses control characters (other than line breaks and tabs) and bidirectional overrides, which
/// can disguise what a caption says. Emoji joiners and other invisible formatting stay allowed.
fn check_text(field: &str, text: &str) -> Result<(), DomainError> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(
            field,
            format!(
                "The text contains a control character (U+{:04X}). Remove it.",
                c as u32
            ),
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(invalid(
            field,
            format!(
                "The text contains a text-direction override (U+{:04X}). Remove it.",
                c as u32
            ),
        ));
    }
    Ok(())
}

fn check_schedule(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), DomainError> {
    if at < now - PAST_TOLERANCE {
        return Err(invalid(
            "scheduled_at",
            "The scheduled time is in the past. Pick a later time, or publish now.",
        ));
    }
    if at > now + TimeDelta::days(MAX_SCHEDULE_AHEAD_DAYS) {
        return Err(invalid(
            "scheduled_at",
            format!("Posts can be scheduled at most {MAX_SCHEDULE_AHEAD_DAYS} days ahead."),
        ));
    }
    Ok(())
}

/// An `Idempotency-Key` is printable ASCII, at most 255 characters.
pub fn check_idempotency_key(key: &str) -> Result<(), DomainError> {
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !key.bytes().all(|b| (0x21..=0x7e).contains(&b))
    {
        return Err(invalid(
            "Idempotency-Key",
            format!("The Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters without spaces."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_and_non_https_urls_are_refused() {
        let bad = [
            "http://cdn.example.com/a.jpg",
            "https://127.0.0.1/a.jpg",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/a.jpg",
            "https://[::ffff:127.0.0.1]/a.jpg",
            "https://[fd00::1]/a.jpg",
            "https://[fe80::1]/a.jpg",
            "https://[::]/a.jpg",
            "https://[ff02::1]/a.jpg",
            "https://[100::1]/a.jpg",
            "https://[::127.0.0.1]/a.jpg",
            "https://[::ffff:169.254.169.254]/a.jpg",
            "https://[64:ff9b::10.0.0.1]/a.jpg",
            "https://[64:ff9b:1::93.184.216.34]/a.jpg",
            "https://[2002:a9fe:a9fe::1]/a.jpg",
            "https://[2002:7f00:1::]/a.jpg",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.jpg",
            "https://[2001:db8::1]/a.jpg",
            "https://[3fff::1]/a.jpg",
            "https://[5f00::1]/a.jpg",
            "https://[fec0::1]/a.jpg",
            "https://198.18.0.1/a.jpg",
            "https://192.0.0.8/a.jpg",
            "https://203.0.113.9/a.jpg",
            "https://224.0.0.1/a.jpg",
            "https://255.255.255.255/a.jpg",
            "https://2130706433/a.jpg",
            "https://0x7f000001/a.jpg",
            "https://017700000001/a.jpg",
            "https://10.1.2.3/a.jpg",
            "https://192.168.0.10/a.jpg",
            "https://100.64.0.1/a.jpg",
            "https://0.0.0.0/a.jpg",
            "https://localhost/a.jpg",
            "https://localhost./a.jpg",
            "https://printer.local/a.jpg",
            "https://intranet/a.jpg",
            "https://user@cdn.example.com/a.jpg",
            "https://user:pw@cdn.example.com/a.jpg",
            "file:///etc/passwd",
            "gopher://cdn.example.com/",
            "javascript:alert(1)",
            "data:image/jpeg;base64,AAAA",
            "not a url",
        ];
        for url in bad {
            assert!(public_https_url(url).is_err(), "{url} was accepted");
        }
        for good in [
            "https://cdn.example.com/a.jpg",
            "https://93.184.216.34/a.jpg",
            "https://[2606:2800:220:1::]/a.mp4",
            "https://[::ffff:93.184.216.34]/a.jpg",
            "https://[64:ff9b::93.184.216.34]/a.jpg",
            "https://[2002:5db8:d822::1]/a.jpg",
            "https://192.31.196.1/a.jpg",
        ] {
            assert!(public_https_url(good).is_ok(), "{good} was refused");
        }
    }

    #[test]
    fn captions_are_counted_and_cleaned() {
        assert!(check_caption(PostKind::Image, &"a".repeat(2200)).is_ok());
        assert!(check_caption(PostKind::Image, &"a".repeat(2201)).is_err());
        assert!(
            check_caption(PostKind::Image, &"👋".repeat(2200)).is_ok(),
            "counted in characters, not bytes"
        );
        let tags: String = (0..31).map(|i| format!("#tag{i} ")).collect();
        assert!(check_caption(PostKind::Image, &tags).is_err());
        let mentions: String = (0..21).map(|i| format!("@user{i} ")).collect();
        assert!(check_caption(PostKind::Image, &mentions).is_err());
        assert!(check_caption(PostKind::Image, "nul\0byte").is_err());
        assert!(check_caption(PostKind::Image, "evil \u{202E}txt.exe").is_err());
        assert!(
            check_caption(PostKind::Image, "family 👨\u{200D}👩\u{200D}👧 line\nbreak").is_ok()
        );
        assert!(check_caption(PostKind::Story, "stories take no caption").is_err());
    }

    #[test]
    fn each_kind_takes_its_media() {
        let image = MediaItem {
            url: "https://x.example.com/a.jpg".into(),
            media_type: MediaType::Image,
            alt_text: None,
        };
        let video = MediaItem {
            media_type: MediaType::Video,
            ..image.clone()
        };
        assert!(check_media_count(PostKind::Image, std::slice::from_ref(&image)).is_ok());
        assert!(check_media_count(PostKind::Image, std::slice::from_ref(&video)).is_err());
        assert!(check_media_count(PostKind::Image, &[image.clone(), image.clone()]).is_err());
        assert!(check_media_count(PostKind::Reel, std::slice::from_ref(&video)).is_ok());
        assert!(check_media_count(PostKind::Reel, std::slice::from_ref(&image)).is_err());
        assert!(check_media_count(PostKind::Story, std::slice::from_ref(&video)).is_ok());
        assert!(check_media_count(PostKind::Carousel, std::slice::from_ref(&image)).is_err());
        assert!(check_media_count(PostKind::Carousel, &vec![image.clone(); 11]).is_err());
        assert!(check_media_count(PostKind::Carousel, &[image, video]).is_ok());
    }

    #[test]
    fn schedules_are_in_the_future_and_within_reach() {
        let now = Utc::now();
        assert!(check_schedule(now + TimeDelta::hours(1), now).is_ok());
        assert!(
            check_schedule(now - TimeDelta::seconds(30), now).is_ok(),
            "a little skew is fine"
        );
        assert!(check_schedule(now - TimeDelta::hours(1), now).is_err());
        assert!(check_schedule(now + TimeDelta::days(76), now).is_err());
    }

    #[test]
    fn idempotency_keys_are_printable_and_bounded() {
        assert!(check_idempotency_key("order-42:attempt").is_ok());
        for bad in ["", "has space", "tab\t", &"k".repeat(256), "ünï"] {
            assert!(check_idempotency_key(bad).is_err(), "{bad:?}");
        }
    }
}
