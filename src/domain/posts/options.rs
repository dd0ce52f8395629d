//! The rules for what a post carries besides its media and caption (docs/graph-api.md §5,
//! "Creating containers"): which kinds take collaborators, a place, the AI label and a first
//! comment; the reel-only settings; and where people may be tagged. Usernames lose a leading `@`
//! (Graph refuses it: 110/2207018).

use super::draft::{check_counted_text, check_text};
use crate::{
    domain::DomainError,
    dto::{
        instagram_username, MediaItem, MediaType, PostKind, PostOptions, PostRequest, UserTag,
        MAX_COLLABORATORS, MAX_USERNAME_LEN, MAX_USER_TAGS,
    },
};

const MAX_PLACE_NAME_LEN: usize = 200;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> DomainError {
    DomainError::invalid(field, message)
}

/// The request's options, checked for its kind and cleaned (usernames without `@`, an empty
/// first comment dropped).
pub(super) fn options(req: &PostRequest) -> Result<PostOptions, DomainError> {
    let mut o = req.options();
    let story = req.kind == PostKind::Story;
    let not_on_stories = |field: &str, what: &str| -> Result<(), DomainError> {
        match story {
            true => Err(invalid(
                field,
                format!("Stories cannot have {what} on Instagram. Remove it, or post to the feed."),
            )),
            false => Ok(()),
        }
    };
    if !o.collaborators.is_empty() {
        not_on_stories("collaborators", "collaborators")?;
        o.collaborators = collaborators(&o.collaborators)?;
    }
    if let Some(place) = &o.location {
        not_on_stories("location", "a location")?;
        if place.id.is_empty()
            || place.id.len() > 32
            || !place.id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid(
                "location",
                "A location is a Facebook Page id (digits only). Search for the place and pick it.",
            ));
        }
        if let Some(name) = &place.name {
            if name.chars().count() > MAX_PLACE_NAME_LEN {
                return Err(invalid("location", "The place's name is too long."));
            }
            check_text("location", name)?;
        }
    }
    if o.is_ai_generated {
        not_on_stories("is_ai_generated", "the AI label")?;
    }
    o.first_comment = o.first_comment.filter(|c| !c.trim().is_empty());
    // Media URLs are sent trimmed; so is the cover.
    o.cover_url = o.cover_url.map(|c| c.trim().to_string());
    if let Some(comment) = &o.first_comment {
        not_on_stories("first_comment", "comments")?;
        check_counted_text("first_comment", "first comment", comment)?;
    }
    reel_settings(req.kind, &o)?;
    Ok(o)
}

/// Sharing to the feed, the cover and trial reels apply to reels only.
fn reel_settings(kind: PostKind, o: &PostOptions) -> Result<(), DomainError> {
    let set = [
        ("share_to_feed", o.share_to_feed.is_some()),
        ("cover_url", o.cover_url.is_some()),
        ("cover_media_id", o.cover_media_id.is_some()),
        ("thumb_offset_ms", o.thumb_offset_ms.is_some()),
        ("trial_reel", o.trial_reel.is_some()),
    ];
    if kind != PostKind::Reel {
        if let Some((field, _)) = set.iter().find(|(_, on)| *on) {
            return Err(invalid(*field, "This setting applies to reels only."));
        }
        return Ok(());
    }
    let covers = [
        o.cover_url.is_some(),
        o.cover_media_id.is_some(),
        o.thumb_offset_ms.is_some(),
    ];
    if covers.iter().filter(|set| **set).count() > 1 {
        return Err(invalid(
            "cover_url",
            "Choose one cover, not both: an image URL, a photo of your library, or a frame of the video.",
        ));
    }
    if let Some(cover) = &o.cover_url {
        super::draft::media_url(cover).map_err(|m| invalid("cover_url", m))?;
    }
    Ok(())
}

fn collaborators(names: &[String]) -> Result<Vec<String>, DomainError> {
    if names.len() > MAX_COLLABORATORS {
        return Err(invalid(
            "collaborators",
            format!(
                "Instagram allows at most {MAX_COLLABORATORS} collaborators; {} were given.",
                names.len()
            ),
        ));
    }
    let mut clean: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let name = username("collaborators", name)?;
        if clean.contains(&name) {
            return Err(invalid(
                "collaborators",
                format!("@{name} is listed twice."),
            ));
        }
        clean.push(name);
    }
    Ok(clean)
}

/// An Instagram username: 1 to 30 letters, digits, `.` and `_`, given with or without `@`.
fn username(field: &str, raw: &str) -> Result<String, DomainError> {
    instagram_username(raw).map(str::to_string).ok_or_else(|| {
        invalid(
            field,
            format!("\"{raw}\" is not an Instagram username (letters, digits, dots and underscores, at most {MAX_USERNAME_LEN})."),
        )
    })
}

/// Where a post's item may carry people, and whether their tags need a position.
enum TagPlace {
    /// Feed images: x and y required.
    Positioned,
    /// Stories: x and y optional (both or neither).
    MaybePositioned,
    /// Reels: tags without a position.
    Unpositioned,
    /// Carousel videos: no tags.
    Nowhere,
}

fn tag_place(kind: PostKind, item: &MediaItem) -> TagPlace {
    match (kind, item.media_type) {
        (PostKind::Story, _) => TagPlace::MaybePositioned,
        (PostKind::Reel, _) => TagPlace::Unpositioned,
        (_, MediaType::Image) => TagPlace::Positioned,
        (_, MediaType::Video) => TagPlace::Nowhere,
    }
}

/// The item's tags, checked for where it is and cleaned.
pub(super) fn user_tags(
    kind: PostKind,
    i: usize,
    item: &MediaItem,
) -> Result<Vec<UserTag>, DomainError> {
    let field = format!("media[{i}].user_tags");
    if item.user_tags.is_empty() {
        return Ok(vec![]);
    }
    let place = tag_place(kind, item);
    if matches!(place, TagPlace::Nowhere) {
        return Err(invalid(
            field,
            "People cannot be tagged in a carousel video; tag them in an image.",
        ));
    }
    if item.user_tags.len() > MAX_USER_TAGS {
        return Err(invalid(
            field,
            format!("At most {MAX_USER_TAGS} people can be tagged in one image or video."),
        ));
    }
    let mut clean: Vec<UserTag> = Vec::with_capacity(item.user_tags.len());
    for (j, tag) in item.user_tags.iter().enumerate() {
        let at = format!("{field}[{j}]");
        let username = username(&format!("{at}.username"), &tag.username)?;
        if clean.iter().any(|t| t.username == username) {
            return Err(invalid(
                format!("{at}.username"),
                format!("@{username} is tagged twice."),
            ));
        }
        let (x, y) = position(&at, &place, tag)?;
        clean.push(UserTag { username, x, y });
    }
    Ok(clean)
}

fn position(
    at: &str,
    place: &TagPlace,
    tag: &UserTag,
) -> Result<(Option<f64>, Option<f64>), DomainError> {
    let inside = |v: f64| (0.0..=1.0).contains(&v);
    match (place, tag.x, tag.y) {
        (TagPlace::Unpositioned, None, None) => Ok((None, None)),
        (TagPlace::Unpositioned, _, _) => Err(invalid(
            format!("{at}.x"),
            "Tags on a reel have no position: leave x and y out.",
        )),
        (TagPlace::MaybePositioned, None, None) => Ok((None, None)),
        (_, Some(x), Some(y)) if inside(x) && inside(y) => Ok((Some(x), Some(y))),
        (_, Some(_), Some(_)) => Err(invalid(
            format!("{at}.x"),
            "A tag's x and y run from 0 to 1 (left to right, top to bottom).",
        )),
        (TagPlace::Positioned, _, _) => Err(invalid(
            format!("{at}.x"),
            "A tag on an image needs its position: x and y from 0 to 1.",
        )),
        _ => Err(invalid(format!("{at}.x"), "Give both x and y, or neither.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{Place, TrialReel};

    fn request(kind: PostKind) -> PostRequest {
        let media_type = match kind {
            PostKind::Reel => MediaType::Video,
            _ => MediaType::Image,
        };
        let item = MediaItem {
            media_id: None,
            fit: None,
            focal_x: None,
            focal_y: None,
            url: "https://cdn.example.com/a".into(),
            media_type,
            alt_text: None,
            user_tags: vec![],
        };
        PostRequest::new("acct".into(), kind, vec![item])
    }

    fn field_of(result: Result<PostOptions, DomainError>) -> String {
        match result {
            Err(DomainError::Invalid { field, .. }) => field.unwrap_or_default(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn feed_posts_and_reels_take_collaborators_a_place_the_ai_label_and_a_first_comment() {
        for kind in [PostKind::Image, PostKind::Carousel, PostKind::Reel] {
            let mut r = request(kind);
            r.collaborators = vec!["@Ana.B".into(), "cafe_2".into()];
            r.location = Some(Place {
                id: "110843418940484".into(),
                name: Some("Lisbon".into()),
            });
            r.is_ai_generated = true;
            r.first_comment = Some("More at the link #menu".into());
            let o = options(&r).unwrap();
            assert_eq!(o.collaborators, ["Ana.B", "cafe_2"], "the @ is dropped");
        }
        let mut story = request(PostKind::Story);
        story.collaborators = vec!["ana".into()];
        assert_eq!(field_of(options(&story)), "collaborators");
        let mut story = request(PostKind::Story);
        story.first_comment = Some("hi".into());
        assert_eq!(field_of(options(&story)), "first_comment");
        let mut blank = request(PostKind::Story);
        blank.first_comment = Some("  ".into());
        assert_eq!(
            options(&blank).unwrap().first_comment,
            None,
            "an empty comment is no comment"
        );
    }

    #[test]
    fn collaborators_are_at_most_three_real_usernames() {
        let mut r = request(PostKind::Image);
        r.collaborators = vec!["a".into(), "b".into(), "c".into(), "d".into()];
        assert_eq!(field_of(options(&r)), "collaborators");
        r.collaborators = vec!["not a name".into()];
        assert_eq!(field_of(options(&r)), "collaborators");
        r.collaborators = vec!["ana".into(), "@ana".into()];
        assert_eq!(field_of(options(&r)), "collaborators");
        let mut r = request(PostKind::Image);
        r.location = Some(Place {
            id: "12ab".into(),
            name: None,
        });
        assert_eq!(field_of(options(&r)), "location");
    }

    #[test]
    fn reel_settings_apply_to_reels_only_and_one_cover_at_a_time() {
        let mut reel = request(PostKind::Reel);
        reel.share_to_feed = Some(false);
        reel.trial_reel = Some(TrialReel::Performance);
        reel.thumb_offset_ms = Some(1500);
        assert!(options(&reel).is_ok());
        reel.cover_url = Some("https://cdn.example.com/cover.jpg".into());
        assert_eq!(field_of(options(&reel)), "cover_url");
        let mut image = request(PostKind::Image);
        image.share_to_feed = Some(true);
        assert_eq!(field_of(options(&image)), "share_to_feed");
        let mut image = request(PostKind::Image);
        image.trial_reel = Some(TrialReel::Manual);
        assert_eq!(field_of(options(&image)), "trial_reel");
    }

    fn tag(username: &str, x: Option<f64>, y: Option<f64>) -> UserTag {
        UserTag {
            username: username.into(),
            x,
            y,
        }
    }

    fn tagged(
        kind: PostKind,
        media_type: MediaType,
        tags: Vec<UserTag>,
    ) -> Result<Vec<UserTag>, DomainError> {
        let item = MediaItem {
            media_id: None,
            fit: None,
            focal_x: None,
            focal_y: None,
            url: "https://cdn.example.com/a".into(),
            media_type,
            alt_text: None,
            user_tags: tags,
        };
        user_tags(kind, 0, &item)
    }

    #[test]
    fn people_are_tagged_where_instagram_allows_with_a_position_on_images() {
        let at = |x, y| tag("@ana", Some(x), Some(y));
        assert_eq!(
            tagged(PostKind::Image, MediaType::Image, vec![at(0.5, 0.25)]).unwrap(),
            [tag("ana", Some(0.5), Some(0.25))]
        );
        assert!(
            tagged(
                PostKind::Image,
                MediaType::Image,
                vec![tag("ana", None, None)]
            )
            .is_err(),
            "images need a position"
        );
        assert!(tagged(PostKind::Image, MediaType::Image, vec![at(1.5, 0.2)]).is_err());
        assert!(tagged(PostKind::Carousel, MediaType::Image, vec![at(0.1, 0.9)]).is_ok());
        assert!(
            tagged(PostKind::Carousel, MediaType::Video, vec![at(0.1, 0.9)]).is_err(),
            "never on carousel videos"
        );
        assert!(tagged(
            PostKind::Reel,
            MediaType::Video,
            vec![tag("ana", None, None)]
        )
        .is_ok());
        assert!(
            tagged(PostKind::Reel, MediaType::Video, vec![at(0.5, 0.5)]).is_err(),
            "reels have no position"
        );
        assert!(tagged(
            PostKind::Story,
            MediaType::Video,
            vec![tag("ana", None, None)]
        )
        .is_ok());
        assert!(tagged(PostKind::Story, MediaType::Image, vec![at(0.5, 0.5)]).is_ok());
        assert!(tagged(
            PostKind::Story,
            MediaType::Image,
            vec![tag("ana", Some(0.5), None)]
        )
        .is_err());
        let many = (0..21)
            .map(|i| tag(&format!("u{i}"), Some(0.5), Some(0.5)))
            .collect();
        assert!(tagged(PostKind::Image, MediaType::Image, many).is_err());
        assert!(
            tagged(
                PostKind::Image,
                MediaType::Image,
                vec![at(0.1, 0.1), at(0.2, 0.2)]
            )
            .is_err(),
            "once each"
        );
    }
}
