//! Comments on published media (§5 "After publishing", first comment):
//! `POST /{ig-media-id}/comments?message=` → `{"id"}` and
//! `GET /{ig-media-id}/comments`, newest first, paged. Both need `instagram_manage_comments`
//! (or Instagram Login's `instagram_business_manage_comments`); that reading needs it too is
//! [believed]. Through the API the commenting account is the one that published the media.

use serde_json::json;

use super::auth::Viewer;
use super::errors::{self, GraphResult};
use super::graph::GraphRequest;
use super::nodes::{render, FieldValue};
use super::paging;
use super::params::parse_fields;
use super::state::{Comment, Media, State};

/// Either scope lets an app comment.
const COMMENT_PERMISSIONS: [&str; 2] = [
    "instagram_manage_comments",
    "instagram_business_manage_comments",
];

/// `(#10) Requires instagram_manage_comments permission to manage the object` otherwise.
fn require_comment_permission(state: &State, viewer: &Viewer) -> GraphResult<()> {
    if COMMENT_PERMISSIONS
        .iter()
        .any(|p| viewer.has_permission(state, p))
    {
        Ok(())
    } else {
        Err(errors::requires_permission(10, COMMENT_PERMISSIONS[0]))
    }
}

/// `POST /{ig-media-id}/comments?message=…`.
pub(crate) fn add_comment(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    media: &Media,
) -> GraphResult {
    require_comment_permission(state, viewer)?;
    let text = req
        .params
        .non_empty("message")
        .ok_or_else(|| errors::required_parameter("message"))?
        .to_string();
    let username = state
        .ig_users
        .get(&media.ig_user_id)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let id = state.new_id("1785", 17);
    let seq = state.comments.len() as u64;
    let comment = Comment {
        id: id.clone(),
        media_id: media.id.clone(),
        ig_user_id: media.ig_user_id.clone(),
        username,
        text,
        created_at: state.now(),
        seq,
    };
    state.comments.insert(id.clone(), comment);
    Ok(json!({ "id": id }))
}

/// `GET /{ig-media-id}/comments?fields=id,text,username,timestamp`: newest first, paged;
/// default fields `timestamp,text,id` [believed].
pub(crate) fn list_comments(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    media: &Media,
) -> GraphResult {
    require_comment_permission(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["timestamp", "text", "id"]);
    let mut comments: Vec<&Comment> = state.comments_on(&media.id).collect();
    comments.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.seq.cmp(&a.seq)));
    let mut items = Vec::with_capacity(comments.len());
    for comment in comments {
        let rendered = render(&fields, "IGComment", &comment.id, |field| {
            let value = match field.name.as_str() {
                "text" => json!(comment.text),
                "username" => json!(comment.username),
                "timestamp" => json!(super::publishing::ig_timestamp(comment.created_at)),
                "like_count" => json!(0),
                "hidden" => json!(false),
                "from" => json!({ "id": comment.ig_user_id, "username": comment.username }),
                "media" => json!({ "id": comment.media_id }),
                _ => return Ok(FieldValue::Unknown),
            };
            Ok(FieldValue::Value(value))
        })?;
        items.push((comment.id.clone(), rendered));
    }
    paging::paginate(req, &state.settings, items)
}
