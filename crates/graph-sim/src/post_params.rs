//! What customers ask for when they create a container (docs/graph-api.md §5 "Creating
//! containers" and the bullets after it): which kind may send which parameter, and the values
//! `location_id`, `user_tags`, `collaborators`, the reel options and `is_ai_generated` may take.
//!
//! Documented wire forms: 110/2207018 for a collaborator with `@` [issue postiz#2088],
//! 1/2207057 for `thumb_offset` outside the video [doc ig-errors], 2207081 where trial reels
//! are not supported [code postiz], `INSTAGRAM_PLATFORM_API__INVALID_LOCATION_ID` for a
//! `location_id` that is no place [code openpost]. Everything else here (codes, wording, the
//! code of 2207081 and the envelope of the location error) is [believed].

use serde_json::Value;

use super::errors::{GraphError, GraphResult};
use super::files::{Query, VideoSpec};
use super::params::Params;
use super::state::{ContainerKind, PostExtras, State, UserTag};

/// The media reference allows 3 collaborators, the collaborators edge says 5: the lower holds.
const MAX_COLLABORATORS: usize = 3;

/// The six shapes of the "Creating containers" table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Image,
    Reel,
    ItemImage,
    ItemVideo,
    Carousel,
    Story,
}

impl Shape {
    pub fn of(kind: ContainerKind, is_carousel_item: bool, is_video: bool) -> Shape {
        match kind {
            ContainerKind::Carousel => Shape::Carousel,
            ContainerKind::Reels => Shape::Reel,
            ContainerKind::Stories => Shape::Story,
            _ if is_carousel_item && is_video => Shape::ItemVideo,
            _ if is_carousel_item => Shape::ItemImage,
            ContainerKind::Video => Shape::ItemVideo,
            ContainerKind::Image => Shape::Image,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Image => "image posts",
            Shape::Reel => "reels",
            Shape::ItemImage => "carousel items",
            Shape::ItemVideo => "carousel videos",
            Shape::Carousel => "carousels",
            Shape::Story => "stories",
        }
    }
}

/// Which shapes may send a parameter; the table's "Must not send" and the bullets.
fn allowed(param: &str, shape: Shape) -> bool {
    use Shape::*;
    match param {
        "caption" => !matches!(shape, ItemImage | ItemVideo),
        "alt_text" => matches!(shape, Image | ItemImage),
        "location_id" | "collaborators" => matches!(shape, Image | Reel | Carousel),
        "user_tags" => matches!(shape, Image | Reel | ItemImage | Story),
        "share_to_feed" | "cover_url" | "thumb_offset" | "audio_name" | "trial_params" => {
            shape == Reel
        }
        "is_ai_generated" => matches!(shape, Image | Reel | Carousel),
        _ => true,
    }
}

/// The parameters [`allowed`] rules on.
const RULED: &[&str] = &[
    "caption",
    "alt_text",
    "location_id",
    "collaborators",
    "user_tags",
    "share_to_feed",
    "cover_url",
    "thumb_offset",
    "audio_name",
    "trial_params",
    "is_ai_generated",
];

/// A parameter this kind must not send [believed wording].
fn misplaced(param: &str, shape: Shape) -> GraphError {
    GraphError::new(
        100,
        format!(
            "(#100) Param {param} is not supported for {}",
            shape.describe()
        ),
    )
}

fn invalid(message: impl Into<String>) -> GraphError {
    GraphError::new(100, format!("(#100) {}", message.into()))
}

/// 110/2207018: a collaborator given with `@` [issue postiz#2088]; wording [believed].
fn invalid_collaborator(name: &str) -> GraphError {
    GraphError::new(110, "Invalid user id")
        .subcode(2207018)
        .user(
            "Invalid collaborator",
            format!("The collaborator {name} is not valid: give usernames without @."),
        )
}

/// `location_id` that is not a Page with a location. The documented name is
/// `INSTAGRAM_PLATFORM_API__INVALID_LOCATION_ID` [code openpost]; the envelope is [believed].
fn invalid_location(id: &str) -> GraphError {
    GraphError::new(100, "INSTAGRAM_PLATFORM_API__INVALID_LOCATION_ID").user(
        "Invalid location",
        format!("The location {id} is not a Facebook Page with a location."),
    )
}

/// 2207081: the account cannot post trial reels [code postiz]; code 100 and wording
/// [believed].
fn trial_reels_unsupported() -> GraphError {
    GraphError::new(100, "Trial reels are not supported for this account")
        .subcode(2207081)
        .user(
            "Trial reels not available",
            "This account cannot share trial reels. Publish the reel without trial_params.",
        )
}

/// 1/2207057, as Meta's error table words it [doc ig-errors].
pub(crate) fn bad_thumb_offset(duration_ms: Option<u64>) -> GraphError {
    let message = match duration_ms {
        Some(ms) => format!(
            "Thumbnail offset must be greater than or equal to 0 and less than video duration, i.e. {ms}"
        ),
        None => {
            "Thumbnail offset must be greater than or equal to 0 and less than video duration."
                .to_string()
        }
    };
    GraphError::new(1, "An unknown error occurred")
        .subcode(2207057)
        .user("Invalid thumbnail offset", message)
}

pub(crate) fn parse_bool(name: &str, raw: &str) -> GraphResult<bool> {
    match raw.trim() {
        "true" | "True" | "TRUE" | "1" => Ok(true),
        "false" | "False" | "FALSE" | "0" => Ok(false),
        _ => Err(invalid(format!("Param {name} must be a boolean"))),
    }
}

/// Refuses (or, with `refuse_misplaced_params` off, drops) parameters this shape must not send.
/// Returns the parameters without the dropped ones.
pub(crate) fn check_placement(state: &State, params: &Params, shape: Shape) -> GraphResult<Params> {
    let mut kept = params.clone();
    for param in RULED {
        if !params.has(param) || allowed(param, shape) {
            continue;
        }
        // Empty values are no request; a story's caption is dropped later, as stories show none.
        if params.non_empty(param).is_some() && state.settings.refuse_misplaced_params {
            return Err(misplaced(param, shape));
        }
        kept = kept.without_param(param);
    }
    Ok(kept)
}

/// Validates and collects the optional parameters of an allowed shape.
pub(crate) fn parse_extras(
    state: &State,
    params: &Params,
    shape: Shape,
    ig_user_id: &str,
    media_url: Option<&str>,
) -> GraphResult<PostExtras> {
    let mut extras = PostExtras::default();
    if let Some(id) = params.non_empty("location_id") {
        let id = id.trim();
        if state.pages.get(id).is_none_or(|p| p.location.is_none()) {
            return Err(invalid_location(id));
        }
        extras.location_id = Some(id.to_string());
    }
    if let Some(raw) = params.non_empty("user_tags") {
        extras.user_tags = user_tags(raw, matches!(shape, Shape::Image | Shape::ItemImage))?;
    }
    if let Some(raw) = params.non_empty("collaborators") {
        extras.collaborators = collaborators(raw)?;
    }
    if let Some(raw) = params.non_empty("is_ai_generated") {
        extras.is_ai_generated = parse_bool("is_ai_generated", raw)?;
    }
    if shape == Shape::Reel {
        reel_options(state, params, ig_user_id, media_url, &mut extras)?;
    }
    Ok(extras)
}

fn reel_options(
    state: &State,
    params: &Params,
    ig_user_id: &str,
    media_url: Option<&str>,
    extras: &mut PostExtras,
) -> GraphResult<()> {
    if let Some(raw) = params.non_empty("share_to_feed") {
        parse_bool("share_to_feed", raw)?;
    }
    extras.audio_name = params.non_empty("audio_name").map(str::to_string);
    if let Some(cover) = params.non_empty("cover_url") {
        // The cover wins over thumb_offset, which is then not looked at.
        extras.cover_url = Some(cover.trim().to_string());
    } else if let Some(raw) = params.get("thumb_offset") {
        let duration = media_url.and_then(video_duration_ms);
        let offset = raw
            .trim()
            .parse::<u64>()
            .map_err(|_| bad_thumb_offset(duration))?;
        if duration.is_some_and(|d| offset >= d) {
            return Err(bad_thumb_offset(duration));
        }
        extras.thumb_offset = Some(offset);
    }
    if let Some(raw) = params.non_empty("trial_params") {
        let strategy = serde_json::from_str::<Value>(raw)
            .ok()
            .and_then(|v| v.get("graduation_strategy").and_then(Value::as_str).map(str::to_string))
            .filter(|s| s == "MANUAL" || s == "SS_PERFORMANCE")
            .ok_or_else(|| {
                invalid(
                    "Param trial_params must be {\"graduation_strategy\":\"MANUAL\"} or {\"graduation_strategy\":\"SS_PERFORMANCE\"}",
                )
            })?;
        let supported = state
            .ig_users
            .get(ig_user_id)
            .is_none_or(|ig| ig.trial_reels_supported);
        if !supported {
            return Err(trial_reels_unsupported());
        }
        extras.trial_graduation_strategy = Some(strategy);
    }
    Ok(())
}

/// The length of a video the simulator's media host serves (`…/_sim/files/x.mp4?secs=…`);
/// `None` for any other URL (then any offset ≥ 0 passes).
pub(crate) fn video_duration_ms(media_url: &str) -> Option<u64> {
    let url = url::Url::parse(media_url).ok()?;
    let name = url.path().strip_prefix("/_sim/files/")?;
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    if extension != "mp4" && extension != "mov" {
        return None;
    }
    let spec = VideoSpec::from_query(&Query::parse(url.query())).ok()?;
    Some(spec.duration_ms())
}

/// `user_tags=[{"username":"a","x":0.5,"y":0.5}]`; x and y in [0, 1], required on images.
fn user_tags(raw: &str, need_position: bool) -> GraphResult<Vec<UserTag>> {
    let shape_error =
        || invalid("Param user_tags must be a JSON array of objects with username, x and y");
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(raw) else {
        return Err(shape_error());
    };
    let mut tags = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let username = entry
            .get("username")
            .and_then(Value::as_str)
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(shape_error)?;
        let mut position = [None, None];
        for (slot, axis) in position.iter_mut().zip(["x", "y"]) {
            match entry.get(axis) {
                None | Some(Value::Null) if need_position => {
                    return Err(invalid(format!(
                        "Param user_tags[{i}] needs x and y between 0 and 1 on images"
                    )))
                }
                None | Some(Value::Null) => {}
                Some(value) => {
                    let number = value
                        .as_f64()
                        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                        .filter(|n: &f64| (0.0..=1.0).contains(n))
                        .ok_or_else(|| {
                            invalid(format!(
                                "Param user_tags[{i}][{axis}] must be a number between 0 and 1"
                            ))
                        })?;
                    *slot = Some(number);
                }
            }
        }
        tags.push(UserTag {
            username: username.trim().to_string(),
            x: position[0],
            y: position[1],
        });
    }
    Ok(tags)
}

/// `collaborators=["name1","name2"]`: at most 3 usernames, none with `@`.
fn collaborators(raw: &str) -> GraphResult<Vec<String>> {
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(raw) else {
        return Err(invalid(
            "Param collaborators must be a JSON array of usernames",
        ));
    };
    let mut names = Vec::with_capacity(entries.len());
    for entry in &entries {
        let name = entry
            .as_str()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("Param collaborators must be a JSON array of usernames"))?;
        if name.contains('@') {
            return Err(invalid_collaborator(name));
        }
        names.push(name.to_string());
    }
    if names.len() > MAX_COLLABORATORS {
        return Err(invalid(format!(
            "Param collaborators can name at most {MAX_COLLABORATORS} accounts"
        )));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_decides_who_may_send_what() {
        assert!(allowed("alt_text", Shape::ItemImage));
        assert!(!allowed("alt_text", Shape::ItemVideo));
        assert!(!allowed("alt_text", Shape::Reel));
        assert!(!allowed("user_tags", Shape::ItemVideo));
        assert!(allowed("user_tags", Shape::Story));
        assert!(!allowed("location_id", Shape::ItemImage));
        assert!(!allowed("collaborators", Shape::Story));
        assert!(!allowed("trial_params", Shape::Image));
        assert!(!allowed("caption", Shape::ItemImage));
        assert!(allowed("is_ai_generated", Shape::Carousel));
        assert!(!allowed("is_ai_generated", Shape::ItemImage));
    }

    #[test]
    fn durations_come_from_media_host_urls() {
        assert_eq!(
            video_duration_ms("http://127.0.0.1:1/_sim/files/a.mp4?secs=5&audio=0"),
            Some(5000)
        );
        assert_eq!(
            video_duration_ms("http://h/_sim/files/a.MOV?secs=2.5&audio=0"),
            Some(2500)
        );
        assert_eq!(video_duration_ms("https://cdn.test/a.mp4?secs=5"), None);
        assert_eq!(video_duration_ms("http://h/_sim/files/a.jpg"), None);
    }

    #[test]
    fn user_tags_need_positions_on_images_only() {
        let tags = user_tags(r#"[{"username":"a","x":0.5,"y":"1"}]"#, true).unwrap();
        assert_eq!(tags[0].y, Some(1.0));
        assert!(user_tags(r#"[{"username":"a"}]"#, true).is_err());
        assert_eq!(
            user_tags(r#"[{"username":"a"}]"#, false).unwrap()[0].x,
            None
        );
        assert!(user_tags(r#"[{"username":"a","x":1.5,"y":0}]"#, false).is_err());
        assert!(user_tags(r#"{"username":"a"}"#, false).is_err());
    }
}
