//! Instagram content publishing: containers (rows H, I), `media_publish`
//! (row J), `content_publishing_limit` (row K), published media and the
//! `/{ig-user-id}/media` and `/{ig-user-id}/stories` listings.
//!
//! Per-URL hints on `image_url`/`video_url` shape one container without
//! global settings: `sim_processing_ms=N`, `sim_status=ERROR|EXPIRED|FINISHED`,
//! `sim_subcode=2207xxx` (which failure an ERROR container reports),
//! `sim_error_times=N` (only the first N containers made for that exact URL end
//! in ERROR; later ones succeed), `sim_fetch=fail` (the create call fails with
//! 9004/2207052).
//!
//! Quirks modelled by default (each has a setting, see `Settings`): the 400
//! containers per rolling 24 h, STORIES refused for Creator accounts, a status
//! that reads FINISHED for a while after the publish, stories only under
//! `/stories` and for 24 h, and captions read back without `@`. The 100/33 on
//! GETs of fresh objects lives in `graph::resolve`. Which kind may send which optional
//! parameter, and their values, is `post_params.rs`; comments are `comments.rs`.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::auth::{self, Viewer};
use super::download::Downloaded;
use super::errors::{self, GraphError, GraphResult};
use super::graph::GraphRequest;
use super::ids;
use super::nodes::{render, FieldValue};
use super::paging;
use super::params::{parse_fields, FieldSel, Params};
use super::post_params::{self, Shape};
use super::state::{
    plus_ms, plus_secs, AccountType, Container, ContainerKind, ContainerStatus, FinalStatus, Media,
    Settings, State, CONTAINER_WINDOW_SECS,
};

/// Longest `alt_text` Meta accepts (row H).
const MAX_ALT_TEXT: usize = 1000;

// ---- Errors of rows H and J ----

/// 9007/2207027, exactly as row J quotes it.
pub(crate) fn not_ready() -> GraphError {
    GraphError::new(9007, "Media ID is not available")
        .subcode(2207027)
        .user(
            "Cannot publish",
            "The media is not ready to be published. Please wait a moment.",
        )
}

/// 24/2207008: unknown, expired, foreign or already published container.
fn builder_not_found(creation_id: &str) -> GraphError {
    GraphError::new(24, "The requested resource does not exist")
        .subcode(2207008)
        .user(
            "Media builder expired",
            format!(
                "The media builder with creation id = {creation_id} does not exist or has been expired."
            ),
        )
}

/// A second `media_publish` of a published container. Meta's wording is not documented
/// [believed]: code 100 and a message saying so; never a second media.
fn already_published(creation_id: &str) -> GraphError {
    GraphError::new(
        100,
        format!("(#100) The media with creation id {creation_id} has already been published"),
    )
    .user(
        "Media already published",
        "This media has already been published and cannot be published again.",
    )
}

/// The 401st container in 24 h ("Containers": 400 per rolling 24 h). Code and wording
/// are [believed]; `minutes` goes into the BUC header's `estimated_time_to_regain_access`.
fn container_limit_reached(limit: u32, minutes: u64) -> GraphError {
    GraphError::new(
        4,
        format!(
            "(#4) Application request limit reached: the account has created {limit} media containers in 24 hours"
        ),
    )
    .transient(true)
    .regain_access_after(minutes)
}

/// STORIES for a Creator account (§1 "Account type": stories are for Business accounts
/// only [doc]); the code and wording are [believed].
fn stories_need_business_account() -> GraphError {
    GraphError::new(10, "(#10) Stories are only available to business accounts")
}

fn quota_reached(total: u32) -> GraphError {
    GraphError::new(9, "Application request limit reached")
        .subcode(2207042)
        .user(
            "Maximum posts reached",
            format!("You reached maximum number of posts ({total}) that is allowed to be published by Content Publishing API in 24 hours."),
        )
}

fn fetch_failed(url: &str) -> GraphError {
    GraphError::new(9004, "The media could not be fetched from this uri")
        .subcode(2207052)
        .user(
            "Media download has failed",
            format!("The media could not be fetched from this uri: {url}"),
        )
}

fn carousel_count() -> GraphError {
    GraphError::new(100, "Invalid parameter")
        .subcode(2207028)
        .user(
            "Carousel validation failed",
            "Carousels must contain between 2 and 10 photos and videos.",
        )
}

fn media_not_found(id: &str) -> GraphError {
    GraphError::new(24, "The requested resource does not exist")
        .subcode(2207006)
        .user(
            "Media not found",
            format!("The media with id {id} cannot be found."),
        )
}

fn standalone_carousel_item() -> GraphError {
    GraphError::new(100, "Carousel item cannot be published standalone").subcode(2207089)
}

fn unknown_media_type(kind: &str) -> GraphError {
    GraphError::new(100, "The media type is unknown")
        .subcode(2207023)
        .user(
            "Unknown media type",
            format!("The media type {kind} is unknown."),
        )
}

fn caption_too_long(max: usize) -> GraphError {
    GraphError::new(36004, "The caption was too long")
        .subcode(2207010)
        .user(
            "Caption too long",
            format!("The caption can be at most {max} characters long."),
        )
}

// ---- Hints ----

/// The `sim_*` query parameters of a media URL.
#[derive(Debug, Default)]
struct UrlHints {
    processing_ms: Option<u64>,
    status: Option<FinalStatus>,
    subcode: Option<i64>,
    error_times: Option<u32>,
    fetch_fails: bool,
}

fn hints(media_url: &str) -> UrlHints {
    let mut hints = UrlHints::default();
    let Ok(url) = url::Url::parse(media_url) else {
        return hints;
    };
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "sim_processing_ms" => hints.processing_ms = v.parse().ok(),
            "sim_status" => {
                hints.status = match v.as_ref() {
                    "ERROR" => Some(FinalStatus::Error),
                    "EXPIRED" => Some(FinalStatus::Expired),
                    "FINISHED" => Some(FinalStatus::Finished),
                    _ => None,
                }
            }
            "sim_subcode" => hints.subcode = v.parse().ok(),
            "sim_error_times" => hints.error_times = v.parse().ok(),
            "sim_fetch" => hints.fetch_fails = v == "fail",
            _ => {}
        }
    }
    hints
}

/// How an ERROR container with this 2207xxx subcode reads: the code `media_publish`
/// answers (the code §6 pairs with the subcode; -1 where §6 names none) and the `status`
/// text, which always carries the subcode ("Containers": extract `2207\d{3}`).
fn failure(subcode: i64) -> (i64, String) {
    let (code, text) = match subcode {
        2207001 => (-1, "Error: Instagram has encountered an unknown server error. Please try again."),
        2207003 => (-2, "Error: It took too long to download the media. Please try again."),
        2207004 => (36000, "Error: The image is too large to download. It should be less than 8 MiB."),
        2207005 => (36001, "Error: The image format is not supported. Supported formats are: JPEG."),
        2207006 => (24, "Error: The media cannot be found."),
        2207009 => (36003, "Error: The submitted image's aspect ratio is not supported. It should be between 4:5 and 1.91:1."),
        2207020 => (-2, "Error: The media you are trying to access has expired. Please upload it again."),
        2207026 => (352, "Error: The video format is not supported. Please check the video specifications."),
        2207032 => (-1, "Error: Create media has failed. Please try again."),
        2207052 => (9004, "Error: Media download has failed. The media URI doesn't meet our requirements."),
        2207053 => (-1, "Error: An unknown error occurred during the upload. Please upload the media again."),
        // "Media upload has failed with error code 2207082" is quoted as it reads [issue postiz#1992].
        _ => return (-1, format!("Error: Media upload has failed with error code {subcode}")),
    };
    (code, format!("{text} ({subcode})"))
}

/// Code, subcode and `status` text of an ERROR container: the hint's subcode with Meta's
/// text, else the settings (whose `null` code and message follow their subcode).
fn error_details(settings: &Settings, hint: Option<i64>) -> (i64, i64, String) {
    if let Some(subcode) = hint {
        let (code, text) = failure(subcode);
        return (code, subcode, text);
    }
    let subcode = settings.container_error_subcode;
    let (code, text) = failure(subcode);
    (
        settings.container_error_code.unwrap_or(code),
        subcode,
        settings.container_error_message.clone().unwrap_or(text),
    )
}

/// Meta fetches the media with cURL: only absolute http(s) URLs can work.
fn fetchable(media_url: &str) -> bool {
    url::Url::parse(media_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

// ---- Create a container: POST /{ig-user-id}/media ----

/// Validated creation input.
struct NewContainer {
    kind: ContainerKind,
    is_carousel_item: bool,
    media_url: Option<String>,
    is_video: bool,
    children: Vec<String>,
}

pub(crate) fn create_container(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    auth::require(state, viewer, "instagram_content_publish")?;
    auth::check_page_may_publish(state, viewer, ig_user_id)?;
    let now = state.now();
    check_container_budget(state, ig_user_id, now)?;
    let params = &req.params;
    if params.get("upload_type") == Some("resumable") {
        return Err(GraphError::new(
            100,
            "(#100) upload_type=resumable is not supported by the Graph simulator",
        ));
    }
    let new = parse_kind(req)?;
    check_account_type(state, ig_user_id, new.kind)?;
    let shape = Shape::of(new.kind, new.is_carousel_item, new.is_video);
    let params = &post_params::check_placement(state, params, shape)?;
    check_text_params(params, &state.settings)?;
    let extras =
        post_params::parse_extras(state, params, shape, ig_user_id, new.media_url.as_deref())?;
    let mut outcome = match new.kind {
        ContainerKind::Carousel => carousel_processing(state, ig_user_id, &new.children, now)?,
        _ => media_processing(state, new.media_url.as_deref().unwrap_or(""))?,
    };
    match &req.downloaded {
        Some(Downloaded::Unreachable(_)) => {
            return Err(fetch_failed(new.media_url.as_deref().unwrap_or("")))
        }
        Some(Downloaded::Refused(subcode)) if outcome.error_subcode.is_none() => {
            outcome.final_status = FinalStatus::Error;
            outcome.error_subcode = Some(*subcode);
        }
        _ => {}
    }
    let (error_code, error_subcode, error_message) =
        error_details(&state.settings, outcome.error_subcode);
    let id = state.new_id("1788", 17);
    // Stories carry no caption (§5 "Creating containers"); one sent anyway is not kept.
    let caption = params
        .get("caption")
        .filter(|_| new.kind != ContainerKind::Stories)
        .map(str::to_string);
    let container = Container {
        id: id.clone(),
        ig_user_id: ig_user_id.to_string(),
        kind: new.kind,
        is_carousel_item: new.is_carousel_item,
        media_url: new.media_url,
        is_video: new.is_video,
        children: new.children,
        caption,
        alt_text: params.get("alt_text").map(str::to_string),
        share_to_feed: params.get("share_to_feed").map(is_true),
        extras,
        created_at: now,
        ready_at: plus_ms(now, outcome.processing_ms),
        processing_ms: outcome.processing_ms,
        final_status: outcome.final_status,
        error_message,
        error_code,
        error_subcode,
        published_media_id: None,
        published_at: None,
    };
    state.add_container(container);
    Ok(json!({ "id": id }))
}

/// At most `container_limit_per_day` containers per IG account in any 24 h; every container
/// counts (carousel items, parents, and new containers for the same media alike).
fn check_container_budget(state: &State, ig_user_id: &str, now: DateTime<Utc>) -> GraphResult<()> {
    let limit = state.settings.container_limit_per_day;
    let made = state.containers_created_within_day(ig_user_id, now);
    if made.len() < limit as usize {
        return Ok(());
    }
    // One more fits once the container at this position leaves the window.
    let minutes = made
        .get(made.len() - limit as usize)
        .map(|&oldest| {
            let seconds = (oldest + Duration::seconds(CONTAINER_WINDOW_SECS) - now).num_seconds();
            (seconds.max(1) as u64).div_ceil(60)
        })
        .unwrap_or(24 * 60);
    Err(container_limit_reached(limit, minutes))
}

/// Creator accounts cannot post stories (`stories_business_only`).
fn check_account_type(state: &State, ig_user_id: &str, kind: ContainerKind) -> GraphResult<()> {
    let creator = state
        .ig_users
        .get(ig_user_id)
        .is_some_and(|ig| ig.account_type == AccountType::Creator);
    if kind == ContainerKind::Stories && creator && state.settings.stories_business_only {
        return Err(stories_need_business_account());
    }
    Ok(())
}

fn is_true(v: &str) -> bool {
    matches!(v, "true" | "1" | "True" | "TRUE")
}

/// media_type and the URL it needs.
fn parse_kind(req: &GraphRequest) -> GraphResult<NewContainer> {
    let params = &req.params;
    let is_carousel_item = params.get("is_carousel_item").is_some_and(is_true);
    let image_url = params.non_empty("image_url").map(str::to_string);
    let video_url = params.non_empty("video_url").map(str::to_string);
    let media_type = params.non_empty("media_type").unwrap_or("IMAGE");
    let (kind, media_url, is_video) = match media_type {
        "IMAGE" => (
            ContainerKind::Image,
            Some(image_url.ok_or_else(|| errors::required_parameter("image_url"))?),
            false,
        ),
        "VIDEO" => {
            // Standalone feed videos are gone: only carousel items may be VIDEO (row H).
            if !is_carousel_item {
                return Err(standalone_carousel_item());
            }
            let url = video_url.ok_or_else(|| errors::required_parameter("video_url"))?;
            (ContainerKind::Video, Some(url), true)
        }
        "REELS" => {
            if is_carousel_item {
                return Err(GraphError::new(
                    100,
                    "(#100) Reels cannot be carousel items",
                ));
            }
            let url = video_url.ok_or_else(|| errors::required_parameter("video_url"))?;
            (ContainerKind::Reels, Some(url), true)
        }
        "STORIES" => match (image_url, video_url) {
            (_, Some(video)) => (ContainerKind::Stories, Some(video), true),
            (Some(image), None) => (ContainerKind::Stories, Some(image), false),
            (None, None) => return Err(errors::required_parameter("image_url")),
        },
        "CAROUSEL" => {
            let children: Vec<String> = params
                .get("children")
                .unwrap_or("")
                .split(',')
                .map(|c| c.trim().trim_matches(|c| c == '[' || c == ']' || c == '"'))
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            if !(2..=10).contains(&children.len()) {
                return Err(carousel_count());
            }
            return Ok(NewContainer {
                kind: ContainerKind::Carousel,
                is_carousel_item: false,
                media_url: None,
                is_video: false,
                children,
            });
        }
        other => return Err(unknown_media_type(other)),
    };
    Ok(NewContainer {
        kind,
        is_carousel_item,
        media_url,
        is_video,
        children: Vec::new(),
    })
}

/// Caption (row H, "Limits") and alt_text (≤1000). Where each may be sent is checked before.
fn check_text_params(params: &Params, settings: &Settings) -> GraphResult<()> {
    if let Some(caption) = params.get("caption") {
        if caption.chars().count() > settings.caption_max_chars {
            return Err(caption_too_long(settings.caption_max_chars));
        }
        if count_tags(caption, '#') > settings.caption_max_hashtags {
            return Err(GraphError::new(
                100,
                format!(
                    "(#100) The caption can contain at most {} hashtags",
                    settings.caption_max_hashtags
                ),
            ));
        }
        if count_tags(caption, '@') > settings.caption_max_mentions {
            return Err(GraphError::new(100, "Invalid parameter")
                .subcode(2207040)
                .user(
                    "Too many tags",
                    format!(
                        "The caption can mention at most {} accounts.",
                        settings.caption_max_mentions
                    ),
                ));
        }
    }
    if params
        .get("alt_text")
        .is_some_and(|t| t.chars().count() > MAX_ALT_TEXT)
    {
        return Err(GraphError::new(
            100,
            format!("(#100) Param alt_text must be at most {MAX_ALT_TEXT} characters long."),
        ));
    }
    Ok(())
}

/// Counts `#tag`/`@name` words: the marker followed by a word character and
/// not glued to a preceding word (so e-mail addresses are not mentions).
fn count_tags(text: &str, marker: char) -> usize {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .filter(|&i| chars[i] == marker)
        .filter(|&i| {
            chars
                .get(i + 1)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        })
        .filter(|&i| i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
        .count()
}

/// How a new container will be processed.
struct Outcome {
    processing_ms: u64,
    final_status: FinalStatus,
    /// The `sim_subcode` hint, if any.
    error_subcode: Option<i64>,
}

/// Processing time and final status of a single-media container, or the fetch failure.
/// Counts the container against its exact URL for `sim_error_times`.
fn media_processing(state: &mut State, media_url: &str) -> GraphResult<Outcome> {
    let hints = hints(media_url);
    if hints.fetch_fails || !fetchable(media_url) {
        return Err(fetch_failed(media_url));
    }
    let made_before = state
        .containers_per_url
        .entry(media_url.to_string())
        .or_insert(0);
    let earlier = *made_before;
    *made_before += 1;
    let settings = &state.settings;
    let final_status = match hints.error_times {
        // "A new container may then succeed" (§10 row 19).
        Some(times) if earlier < times => FinalStatus::Error,
        Some(_) => FinalStatus::Finished,
        None => hints.status.unwrap_or(settings.container_final_status),
    };
    Ok(Outcome {
        processing_ms: hints
            .processing_ms
            .unwrap_or(settings.container_processing_ms),
        final_status,
        error_subcode: hints.subcode,
    })
}

/// Children must be FINISHED carousel items of the same IG user. The carousel
/// takes as long as its slowest child took and ends in the global final status.
fn carousel_processing(
    state: &State,
    ig_user_id: &str,
    children: &[String],
    now: DateTime<Utc>,
) -> GraphResult<Outcome> {
    let mut slowest = 0;
    for child_id in children {
        let child = state
            .containers
            .get(child_id)
            .filter(|c| c.ig_user_id == ig_user_id && c.is_carousel_item)
            .ok_or_else(|| media_not_found(child_id))?;
        match child.status(now, &state.settings) {
            ContainerStatus::Finished => {}
            ContainerStatus::InProgress => return Err(not_ready()),
            ContainerStatus::Error => return Err(container_error(child)),
            ContainerStatus::Expired | ContainerStatus::Published => {
                return Err(builder_not_found(child_id))
            }
        }
        slowest = slowest.max(child.processing_ms);
    }
    Ok(Outcome {
        processing_ms: slowest,
        final_status: state.settings.container_final_status,
        error_subcode: None,
    })
}

/// The error `media_publish` gives for an ERROR container.
fn container_error(container: &Container) -> GraphError {
    GraphError::new(container.error_code, "Media upload has failed")
        .subcode(container.error_subcode)
        .user("Media upload failed", container.error_message.clone())
}

// ---- Publish: POST /{ig-user-id}/media_publish ----

/// Row J. The lock held by the caller makes "check status, then publish"
/// atomic, so one container can never produce two media: a published container is
/// refused even while its status still reads FINISHED (`publish_status_lag_ms`).
pub(crate) fn publish(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    auth::require(state, viewer, "instagram_content_publish")?;
    auth::check_page_may_publish(state, viewer, ig_user_id)?;
    let creation_id = req
        .params
        .non_empty("creation_id")
        .ok_or_else(|| errors::required_parameter("creation_id"))?
        .to_string();
    let now = state.now();
    let container = state
        .containers
        .get(&creation_id)
        .filter(|c| c.ig_user_id == ig_user_id)
        .cloned()
        .ok_or_else(|| builder_not_found(&creation_id))?;
    if container.published_media_id.is_some() {
        return Err(already_published(&creation_id));
    }
    match container.status(now, &state.settings) {
        ContainerStatus::Finished => {}
        ContainerStatus::InProgress => return Err(not_ready()),
        ContainerStatus::Error => return Err(container_error(&container)),
        ContainerStatus::Expired => return Err(builder_not_found(&creation_id)),
        ContainerStatus::Published => return Err(already_published(&creation_id)),
    }
    if container.is_carousel_item {
        return Err(standalone_carousel_item());
    }
    if state.quota_usage(ig_user_id, now) >= state.settings.quota_total {
        return Err(quota_reached(state.settings.quota_total));
    }
    let media_id = create_media(state, &container, None, now);
    if let Some(c) = state.containers.get_mut(&creation_id) {
        c.published_media_id = Some(media_id.clone());
        c.published_at = Some(now);
    }
    Ok(json!({ "id": media_id }))
}

/// Creates the media object (and, for a carousel, one child media per item).
fn create_media(
    state: &mut State,
    container: &Container,
    parent: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let id = state.new_id("1791", 17);
    let username = state
        .ig_users
        .get(&container.ig_user_id)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let shortcode = ids::shortcode();
    let video_type = if container.is_video { "VIDEO" } else { "IMAGE" };
    let (media_type, product_type, permalink) = match container.kind {
        ContainerKind::Reels => (
            "VIDEO",
            "REELS",
            format!("https://www.instagram.com/reel/{shortcode}/"),
        ),
        ContainerKind::Stories => (
            video_type,
            "STORY",
            format!("https://www.instagram.com/stories/{username}/{id}/"),
        ),
        ContainerKind::Carousel => (
            "CAROUSEL_ALBUM",
            "FEED",
            format!("https://www.instagram.com/p/{shortcode}/"),
        ),
        ContainerKind::Image | ContainerKind::Video => (
            video_type,
            "FEED",
            format!("https://www.instagram.com/p/{shortcode}/"),
        ),
    };
    let mut children = Vec::new();
    for child_id in &container.children {
        if let Some(child) = state.containers.get(child_id).cloned() {
            children.push(create_media(state, &child, Some(&id), now));
        }
    }
    let media = Media {
        id: id.clone(),
        ig_user_id: container.ig_user_id.clone(),
        container_id: container.id.clone(),
        media_type: media_type.to_string(),
        media_product_type: product_type.to_string(),
        caption: container.caption.clone(),
        alt_text: container.alt_text.clone(),
        extras: container.extras.clone(),
        shortcode,
        permalink,
        media_url: container.media_url.clone(),
        published_at: now,
        children,
        parent_id: parent.map(str::to_string),
    };
    state.add_media(media);
    id
}

// ---- Reads ----

/// `GET /{ig-user-id}/content_publishing_limit` (row K).
pub(crate) fn publishing_limit(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    require_ig_read(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["quota_usage"]);
    let now = state.now();
    let mut entry = serde_json::Map::new();
    for field in &fields {
        match field.name.as_str() {
            "quota_usage" => {
                entry.insert(
                    "quota_usage".into(),
                    json!(state.quota_usage(ig_user_id, now)),
                );
            }
            "config" => {
                entry.insert(
                    "config".into(),
                    json!({
                        "quota_total": state.settings.quota_total,
                        "quota_duration": state.settings.quota_duration_secs,
                    }),
                );
            }
            other => {
                return Err(errors::nonexisting_field(
                    other,
                    "ContentPublishingLimitResponse",
                ))
            }
        }
    }
    Ok(json!({ "data": [Value::Object(entry)] }))
}

/// IG reads need `instagram_basic` (or the publishing permission, which implies access).
fn require_ig_read(state: &State, viewer: &Viewer) -> GraphResult<()> {
    if viewer.has_permission(state, "instagram_content_publish") {
        return Ok(());
    }
    auth::require(state, viewer, "instagram_basic")
}

/// `GET /{ig-user-id}/media`: published posts except stories ("After publishing"),
/// newest first, paged.
pub(crate) fn list_media(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    list_posts(state, req, viewer, ig_user_id, |m| !m.is_story())
}

/// `GET /{ig-user-id}/stories`: stories published within `story_lifetime_secs` (24 h),
/// newest first, paged.
pub(crate) fn list_stories(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    let since = plus_secs(
        state.now(),
        state.settings.story_lifetime_secs.saturating_neg(),
    );
    list_posts(state, req, viewer, ig_user_id, |m| {
        m.is_story() && m.published_at > since
    })
}

fn list_posts(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
    keep: impl Fn(&Media) -> bool,
) -> GraphResult {
    require_ig_read(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["id"]);
    let now = state.now();
    let mut posts: Vec<&Media> = state
        .media
        .values()
        .filter(|m| m.ig_user_id == ig_user_id && m.parent_id.is_none())
        .filter(|m| m.published_at <= now && keep(m))
        .collect();
    posts.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
    let mut items = Vec::with_capacity(posts.len());
    for media in posts {
        items.push((media.id.clone(), render_media(state, media, &fields)?));
    }
    paging::paginate(req, &state.settings, items)
}

/// `GET /{container-id}?fields=status_code,status` (row I).
pub(crate) fn container_node(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    container: &Container,
) -> GraphResult {
    require_ig_read(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["id"]);
    let status = container.status(state.now(), &state.settings);
    render(
        &fields,
        "ShadowIGMediaBuilder",
        &container.id,
        |field| match field.name.as_str() {
            "status_code" => Ok(FieldValue::Value(json!(status.code()))),
            "status" => Ok(FieldValue::Value(json!(container.status_text(status)))),
            "copyright_check_status" if container.is_video => {
                let done = status != ContainerStatus::InProgress;
                Ok(FieldValue::Value(json!({
                    "status": if done { "complete" } else { "in_progress" },
                    "matches_found": false,
                })))
            }
            "copyright_check_status" => Ok(FieldValue::Absent),
            _ => Ok(FieldValue::Unknown),
        },
    )
}

/// `GET /{media-id}` (published media fields).
pub(crate) fn media_node(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    media: &Media,
) -> GraphResult {
    require_ig_read(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["id"]);
    render_media(state, media, &fields)
}

/// `GET /{media-id}/children`.
pub(crate) fn media_children(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    media: &Media,
) -> GraphResult {
    require_ig_read(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["id"]);
    let mut data = Vec::new();
    for child in media.children.iter().filter_map(|id| state.media.get(id)) {
        data.push(render_media(state, child, &fields)?);
    }
    Ok(json!({ "data": data }))
}

/// `GET /{ig-media-id}/collaborators`: `{data:[{id, username, invite_status}]}` [doc
/// ig-media collaborators]. Only accounts that allow collaborator tagging are listed: here,
/// the simulator's own IG accounts; every invitation reads `Pending` [believed].
pub(crate) fn media_collaborators(state: &State, viewer: &Viewer, media: &Media) -> GraphResult {
    require_ig_read(state, viewer)?;
    let data: Vec<Value> = media
        .extras
        .collaborators
        .iter()
        .filter_map(|name| state.ig_users.values().find(|ig| ig.username == *name))
        .map(|ig| json!({ "id": ig.id, "username": ig.username, "invite_status": "Pending" }))
        .collect();
    Ok(json!({ "data": data }))
}

/// Instagram's timestamp format, e.g. `2025-01-31T12:00:00+0000`.
pub(crate) fn ig_timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

fn render_media(state: &State, media: &Media, fields: &[FieldSel]) -> GraphResult {
    let username = state
        .ig_users
        .get(&media.ig_user_id)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let is_top = media.parent_id.is_none();
    render(fields, "IGMedia", &media.id, |field| {
        let v = match field.name.as_str() {
            "media_type" => json!(media.media_type),
            "media_product_type" => json!(media.media_product_type),
            "permalink" => json!(media.permalink),
            "shortcode" => json!(media.shortcode),
            "timestamp" => json!(ig_timestamp(media.published_at)),
            "username" => json!(username),
            "owner" => json!({ "id": media.ig_user_id }),
            "like_count" => json!(0),
            "comments_count" => json!(state.comments_on(&media.id).count()),
            "is_ai_generated" => json!(media.extras.is_ai_generated),
            "is_comment_enabled" => json!(true),
            "is_shared_to_feed" if media.media_product_type == "REELS" => {
                let shared = state
                    .containers
                    .get(&media.container_id)
                    .and_then(|c| c.share_to_feed)
                    .unwrap_or(true);
                json!(shared)
            }
            "is_shared_to_feed" => return Ok(FieldValue::Absent),
            // Carousel items have no caption of their own.
            "caption" => match media.caption.as_ref().filter(|_| is_top) {
                // Readers who are not admins of the app get captions without `@`.
                Some(text) if state.settings.captions_without_at => json!(text.replace('@', "")),
                Some(text) => json!(text),
                None => return Ok(FieldValue::Absent),
            },
            // Alt text belongs to images, carousel items included.
            "alt_text" => match &media.alt_text {
                Some(text) => json!(text),
                None => return Ok(FieldValue::Absent),
            },
            "media_url" => match &media.media_url {
                Some(url) => json!(url),
                None => return Ok(FieldValue::Absent),
            },
            // A reel's cover wins over the frame at thumb_offset.
            "thumbnail_url" if media.media_type == "VIDEO" => json!(media
                .extras
                .cover_url
                .clone()
                .or_else(|| media.media_url.clone())
                .unwrap_or_default()),
            "thumbnail_url" => return Ok(FieldValue::Absent),
            "children" if !media.children.is_empty() => {
                let nested = field
                    .nested
                    .clone()
                    .unwrap_or_else(|| parse_fields(None, &["id"]));
                let mut data = Vec::new();
                for child in media.children.iter().filter_map(|id| state.media.get(id)) {
                    data.push(render_media(state, child, &nested)?);
                }
                json!({ "data": data })
            }
            "children" => return Ok(FieldValue::Absent),
            _ => return Ok(FieldValue::Unknown),
        };
        Ok(FieldValue::Value(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_counted_like_instagram_words() {
        assert_eq!(count_tags("#a #b#c mail@example.com @x", '#'), 2);
        assert_eq!(count_tags("#a #b#c mail@example.com @x", '@'), 1);
        assert_eq!(count_tags("# alone", '#'), 0);
    }

    #[test]
    fn url_hints_are_read() {
        let h = hints("https://cdn.test/a.jpg?sim_processing_ms=5&sim_status=ERROR&sim_fetch=fail&sim_subcode=2207003&sim_error_times=2");
        assert_eq!(h.processing_ms, Some(5));
        assert_eq!(h.status, Some(FinalStatus::Error));
        assert_eq!(h.subcode, Some(2207003));
        assert_eq!(h.error_times, Some(2));
        assert!(h.fetch_fails);
        assert!(!fetchable("file:///etc/passwd"));
    }

    #[test]
    fn every_failure_text_names_its_subcode() {
        for subcode in [
            2207001, 2207003, 2207020, 2207052, 2207082, 2207085, 2207999,
        ] {
            let (_, text) = failure(subcode);
            assert!(text.starts_with("Error: "), "{text}");
            assert!(text.contains(&subcode.to_string()), "{text}");
        }
        assert_eq!(
            failure(2207082).1,
            "Error: Media upload has failed with error code 2207082"
        );
        assert_eq!(failure(2207052).0, 9004);
        assert_eq!(failure(2207003).0, -2);
    }
}
