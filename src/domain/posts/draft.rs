//! What may be posted: a [`PostRequest`] becomes a [`PostDraft`] at the edge (the JSON API, the
//! composer) by passing every rule that needs nothing but the request itself, with messages a
//! person can act on (docs/graph-api.md §5 limits; docs/security.md §4 for the abuse cases). What
//! needs the world (the clock, the media behind each URL, the account) is checked by
//! `PostService::create`.

use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use super::options;
use crate::{
    crypto::sha256_hex,
    domain::DomainError,
    dto::{
        CaptionCounts, MediaItem, MediaType, PostKind, PostOptions, PostRequest,
        MAX_ALT_TEXT_CHARS, MAX_CAPTION_CHARS, MAX_CAROUSEL_ITEMS, MAX_HASHTAGS, MAX_MENTIONS,
        MIN_CAROUSEL_ITEMS,
    },
};

/// How far ahead a post may be scheduled (Instagram's own scheduler allows 75 days).
pub const MAX_SCHEDULE_AHEAD_DAYS: i64 = 75;
/// A "scheduled" time this little in the past is taken as "now" (clock skew, slow forms).
const PAST_TOLERANCE: TimeDelta = TimeDelta::minutes(2);
const MAX_URL_LEN: usize = 2048;
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> DomainError {
    DomainError::invalid(field, message)
}

/// A post request that passed every rule that needs nothing but itself. Everything past the edge
/// takes this type, never a raw [`PostRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct PostDraft {
    pub account_id: String,
    pub kind: PostKind,
    /// Each URL trimmed and a public `https` URL by its syntax.
    pub media: Vec<MediaItem>,
    pub caption: String,
    /// Checked for the kind, usernames without `@`.
    pub options: PostOptions,
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
        let mut media = Vec::with_capacity(req.media.len());
        for (i, item) in req.media.iter().enumerate() {
            check_item(req.kind, i, item)?;
            media.push(MediaItem {
                url: item.url.trim().to_string(),
                user_tags: options::user_tags(req.kind, i, item)?,
                ..item.clone()
            });
        }
        check_caption(req.kind, &req.caption)?;
        let options = options::options(&req)?;
        Ok(Self {
            media,
            options,
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
    match &item.media_id {
        Some(id) => {
            if !item.url.trim().is_empty() {
                return Err(invalid(
                    format!("media[{i}].url"),
                    "Give either a URL or a media_id from your library, not both.",
                ));
            }
            if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(
                    format!("media[{i}].media_id"),
                    "This is not a media id: use the _id of a file of your library (GET /media).",
                ));
            }
            if !matches!(item.fit.as_deref(), None | Some("crop" | "pad")) {
                return Err(invalid(
                    format!("media[{i}].fit"),
                    "fit must be crop or pad.",
                ));
            }
            for (name, value) in [("focal_x", item.focal_x), ("focal_y", item.focal_y)] {
                if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                    return Err(invalid(
                        format!("media[{i}].{name}"),
                        "The focal point is a fraction of the photo: 0 to 1 from the top-left.",
                    ));
                }
            }
        }
        None => {
            media_url(&item.url).map_err(|m| invalid(format!("media[{i}].url"), m))?;
            if item.fit.is_some() || item.focal_x.is_some() || item.focal_y.is_some() {
                return Err(invalid(
                    format!("media[{i}].fit"),
                    "fit and the focal point apply to files of your library (media_id) only.",
                ));
            }
        }
    }
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

/// A URL by its syntax: at most 2,048 characters, http(s), no user name or password. Whether it is
/// public and https (or a private origin the operator allows) is the media policy's call
/// (`domain::media::UrlPolicy`), checked with the world by `PostService::create`.
pub fn media_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(format!("The URL is longer than {MAX_URL_LEN} characters."));
    }
    let url = Url::parse(raw)
        .map_err(|_| "This is not a valid URL. Use a full https:// address.".to_string())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("Only https URLs are accepted: Instagram fetches media over https.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with a user name or password are not accepted.".into());
    }
    if url.host().is_none() {
        return Err("The URL has no host.".into());
    }
    Ok(url)
}

fn check_caption(kind: PostKind, caption: &str) -> Result<(), DomainError> {
    if kind == PostKind::Story && !caption.trim().is_empty() {
        return Err(invalid(
            "caption",
            "Stories cannot have a caption on Instagram. Remove it, or post to the feed.",
        ));
    }
    check_counted_text("caption", "caption", caption)
}

/// Instagram's limits on a caption or comment: characters, hashtags and mentions, then no
/// control characters.
pub(super) fn check_counted_text(field: &str, what: &str, text: &str) -> Result<(), DomainError> {
    let counts = CaptionCounts::of(text);
    if counts.characters > MAX_CAPTION_CHARS {
        return Err(invalid(
            field,
            format!(
                "The {what} has {} characters; Instagram allows {MAX_CAPTION_CHARS}.",
                counts.characters
            ),
        ));
    }
    if counts.hashtags > MAX_HASHTAGS {
        return Err(invalid(
            field,
            format!(
                "The {what} has {} hashtags; Instagram allows {MAX_HASHTAGS}.",
                counts.hashtags
            ),
        ));
    }
    if counts.mentions > MAX_MENTIONS {
        return Err(invalid(
            field,
            format!(
                "The {what} mentions {} accounts; Instagram allows {MAX_MENTIONS}.",
                counts.mentions
            ),
        ));
    }
    check_text(field, text)
}

/// Refuses control characters (other than line breaks and tabs) and bidirectional overrides, which
/// can disguise what a caption says. Emoji joiners and other invisible formatting stay allowed.
pub(super) fn check_text(field: &str, text: &str) -> Result<(), DomainError> {
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
    fn media_urls_are_refused_by_their_syntax_alone() {
        for bad in [
            "https://user@cdn.example.com/a.jpg",
            "https://user:pw@cdn.example.com/a.jpg",
            "file:///etc/passwd",
            "gopher://cdn.example.com/",
            "javascript:alert(1)",
            "data:image/jpeg;base64,AAAA",
            "not a url",
        ] {
            assert!(media_url(bad).is_err(), "{bad} was accepted");
        }
        let long = format!("https://cdn.example.com/{}", "a".repeat(2100));
        assert!(media_url(&long).is_err());
        assert!(media_url(" https://cdn.example.com/a.jpg ").is_ok());
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
            media_id: None,
            fit: None,
            focal_x: None,
            focal_y: None,
            url: "https://x.example.com/a.jpg".into(),
            media_type: MediaType::Image,
            alt_text: None,
            user_tags: vec![],
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
