//! Facebook-side nodes and edges: the person (`/me`, `/me/permissions`,
//! `/me/accounts`, `/me/businesses`), pages (row F), businesses and their
//! `owned_pages`/`client_pages`, and IG users (row G).

use serde_json::{json, Map, Value};

use super::auth::{self, Viewer};
use super::errors::{self, GraphError, GraphResult};
use super::graph::GraphRequest;
use super::oauth;
use super::paging;
use super::params::{parse_fields, FieldSel};
use super::state::{BusinessRelation, Page, State};

/// What a node answers for one requested field.
pub(crate) enum FieldValue {
    /// Not a field of this node type: the whole call fails with (#100).
    Unknown,
    /// A field of this node type with no value here: the key is left out.
    Absent,
    Value(Value),
}

/// Renders `fields` of one node; `id` is always included, as Graph does.
pub(crate) fn render(
    fields: &[FieldSel],
    node_type: &str,
    id: &str,
    mut value_of: impl FnMut(&FieldSel) -> GraphResult<FieldValue>,
) -> GraphResult {
    let mut out = Map::new();
    for field in fields {
        if field.name == "id" {
            continue;
        }
        match value_of(field)? {
            FieldValue::Unknown => return Err(errors::nonexisting_field(&field.name, node_type)),
            FieldValue::Absent => {}
            FieldValue::Value(value) => {
                out.insert(field.name.clone(), value);
            }
        }
    }
    out.insert("id".into(), json!(id));
    Ok(Value::Object(out))
}

fn value(v: impl Into<Value>) -> GraphResult<FieldValue> {
    Ok(FieldValue::Value(v.into()))
}

/// Profile pictures are served by the simulator itself: nothing else is reachable.
pub(crate) fn avatar_url(base_url: &str, key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}/_sim/avatar/{safe}.svg", base_url.trim_end_matches('/'))
}

/// `picture` as `{"data":{"height","is_silhouette","url","width"}}`, honouring
/// `.type(small|normal|large|square)` and `.width(n)`/`.height(n)`.
fn picture(base_url: &str, key: &str, field: &FieldSel) -> Value {
    let by_type = match field.modifier("type") {
        Some("large") => 200,
        Some("normal") => 100,
        _ => 50,
    };
    let size = field
        .modifier("width")
        .or_else(|| field.modifier("height"))
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(by_type);
    json!({ "data": {
        "height": size,
        "is_silhouette": false,
        "url": avatar_url(base_url, key),
        "width": size,
    }})
}

// ---- The person ----

/// `GET /me` (or `/{own-user-id}`) with a user token.
pub(crate) fn user_node(state: &State, req: &GraphRequest, viewer: &Viewer) -> GraphResult {
    let user = state
        .users
        .get(&viewer.user_id)
        .ok_or_else(|| errors::unsupported_request(&req.method, &viewer.user_id))?;
    let fields = parse_fields(req.params.get("fields"), &["id", "name"]);
    let has_email = viewer.has_permission(state, "email");
    let mut names = user.name.splitn(2, ' ');
    let first = names.next().unwrap_or("").to_string();
    let last = names.next().unwrap_or("").to_string();
    render(&fields, "User", &user.id, |field| {
        match field.name.as_str() {
            "name" => value(user.name.clone()),
            "first_name" | "short_name" => value(first.clone()),
            "last_name" => value(last.clone()),
            "picture" => value(picture(&req.base_url, &user.id, field)),
            "email" if has_email => value(format!(
                "{}@example.test",
                user.name.to_lowercase().replace(' ', ".")
            )),
            "email" => Ok(FieldValue::Absent),
            _ => Ok(FieldValue::Unknown),
        }
    })
}

/// `GET /me/permissions`: granted first, then declined.
pub(crate) fn permissions(state: &State, viewer: &Viewer) -> GraphResult {
    let data: Vec<Value> = viewer
        .grant(state)
        .map(|g| {
            g.granted
                .iter()
                .map(|p| json!({ "permission": p, "status": "granted" }))
                .chain(
                    g.declined
                        .iter()
                        .map(|p| json!({ "permission": p, "status": "declined" })),
                )
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({ "data": data }))
}

/// Default fields of `/me/accounts` (Meta returns these when `fields` is absent).
const ACCOUNT_DEFAULT_FIELDS: &[&str] = &[
    "access_token",
    "category",
    "category_list",
    "name",
    "id",
    "tasks",
];

/// `GET /me/accounts` (row E): ticked pages that no business portfolio holds;
/// empty without `pages_show_list`.
pub(crate) fn accounts(state: &mut State, req: &GraphRequest, viewer: &Viewer) -> GraphResult {
    if !viewer.has_permission(state, "pages_show_list") {
        return Ok(json!({ "data": [] }));
    }
    let page_ids: Vec<String> = ticked_pages(state, viewer)
        .into_iter()
        .filter(|id| state.pages.get(id).is_some_and(|p| p.business.is_none()))
        .collect();
    page_list(state, req, viewer, page_ids, ACCOUNT_DEFAULT_FIELDS)
}

/// The viewer's ticked pages, in the order the person's pages were created.
fn ticked_pages(state: &State, viewer: &Viewer) -> Vec<String> {
    let Some(user) = state.users.get(&viewer.user_id) else {
        return Vec::new();
    };
    user.page_ids
        .iter()
        .filter(|id| viewer.can_see_page(state, id))
        .cloned()
        .collect()
}

fn page_list(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    page_ids: Vec<String>,
    defaults: &[&str],
) -> GraphResult {
    let fields = parse_fields(req.params.get("fields"), defaults);
    let mut items = Vec::with_capacity(page_ids.len());
    for id in page_ids {
        let rendered = render_page(state, req, viewer, &id, &fields)?;
        items.push((id, rendered));
    }
    paging::paginate(req, &state.settings, items)
}

/// `GET /me/businesses`: needs `business_management` (code 200 otherwise).
pub(crate) fn businesses(state: &State, req: &GraphRequest, viewer: &Viewer) -> GraphResult {
    require_business_management(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["id", "name"]);
    let ids = state
        .users
        .get(&viewer.user_id)
        .map(|u| u.business_ids.clone())
        .unwrap_or_default();
    let mut items = Vec::new();
    for id in ids {
        items.push((id.clone(), render_business(state, &id, &fields)?));
    }
    paging::paginate(req, &state.settings, items)
}

fn require_business_management(state: &State, viewer: &Viewer) -> GraphResult<()> {
    if viewer.page_id.is_none() && viewer.has_permission(state, "business_management") {
        Ok(())
    } else {
        Err(errors::requires_permission(200, "business_management"))
    }
}

/// Whether the viewer's person belongs to the business.
pub(crate) fn can_see_business(state: &State, viewer: &Viewer, business_id: &str) -> bool {
    state
        .users
        .get(&viewer.user_id)
        .is_some_and(|u| u.business_ids.iter().any(|b| b == business_id))
}

pub(crate) fn business_node(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    business_id: &str,
) -> GraphResult {
    require_business_management(state, viewer)?;
    let fields = parse_fields(req.params.get("fields"), &["id", "name"]);
    render_business(state, business_id, &fields)
}

fn render_business(state: &State, business_id: &str, fields: &[FieldSel]) -> GraphResult {
    let name = state
        .businesses
        .get(business_id)
        .map(|b| b.name.clone())
        .unwrap_or_default();
    render(fields, "Business", business_id, |field| {
        match field.name.as_str() {
            "name" => value(name.clone()),
            "verification_status" => value("not_verified"),
            _ => Ok(FieldValue::Unknown),
        }
    })
}

/// `GET /{business-id}/owned_pages` and `/client_pages`: every Page of the portfolio, ticked
/// or not (§4 "Portfolio Pages"; `business_edges_list_ungranted_pages`). Ungranted Pages have
/// no `access_token` and their `instagram_business_account` is only `{id}`; reads of that
/// account fail (`ungranted_ig_read_code`). A portfolio the person does not administer
/// refuses the edge with #200 [believed].
pub(crate) fn business_pages(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    business_id: &str,
    relation: BusinessRelation,
) -> GraphResult {
    require_business_management(state, viewer)?;
    if state.businesses.get(business_id).is_some_and(|b| !b.admin) {
        return Err(GraphError::new(
            200,
            "(#200) Requires business_management permission to manage the object: the user is not an admin of this business",
        ));
    }
    let in_business = |p: &Page| {
        p.business
            .as_ref()
            .is_some_and(|(b, r)| b == business_id && *r == relation)
    };
    let ticked = ticked_pages(state, viewer);
    let page_ids: Vec<String> = if state.settings.business_edges_list_ungranted_pages {
        state
            .users
            .get(&viewer.user_id)
            .map(|u| u.page_ids.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|id| state.pages.get(id).is_some_and(in_business))
            .collect()
    } else {
        ticked
            .iter()
            .filter(|id| state.pages.get(*id).is_some_and(in_business))
            .cloned()
            .collect()
    };
    let fields = parse_fields(req.params.get("fields"), &["id", "name"]);
    let mut items = Vec::with_capacity(page_ids.len());
    for id in page_ids {
        let rendered = if ticked.contains(&id) {
            render_page(state, req, viewer, &id, &fields)?
        } else {
            render_ungranted_page(state, &id, &fields)?
        };
        items.push((id, rendered));
    }
    paging::paginate(req, &state.settings, items)
}

/// A portfolio Page the person did not tick: name and basics, no token, the IG id only.
fn render_ungranted_page(state: &State, page_id: &str, fields: &[FieldSel]) -> GraphResult {
    let page = state
        .pages
        .get(page_id)
        .cloned()
        .ok_or_else(|| errors::unsupported_request("GET", page_id))?;
    render(fields, "Page", &page.id, |field| {
        match field.name.as_str() {
            "name" => value(page.name.clone()),
            "category" => value(page.category.clone()),
            "category_list" => value(json!([{ "id": page.category_id, "name": page.category }])),
            "tasks" => value(page.tasks.clone()),
            "access_token" => Ok(FieldValue::Absent),
            "instagram_business_account" | "connected_instagram_account" => {
                Ok(page.ig_user_id.clone().map_or(FieldValue::Absent, |id| {
                    FieldValue::Value(json!({ "id": id }))
                }))
            }
            "picture" | "link" | "fan_count" | "followers_count" | "location" | "username"
            | "about" | "website" => Ok(FieldValue::Absent),
            _ => Ok(FieldValue::Unknown),
        }
    })
}

/// Whether `id` is the IG account of a portfolio Page the viewer's person belongs to but did
/// not tick (reads fail, §4).
pub(crate) fn is_ungranted_portfolio_ig(state: &State, viewer: &Viewer, id: &str) -> bool {
    let Some(page) = state
        .ig_users
        .get(id)
        .and_then(|ig| state.pages.get(&ig.page_id))
    else {
        return false;
    };
    page.owner_user_id == viewer.user_id
        && page.business.is_some()
        && !viewer.can_see_page(state, &page.id)
}

// ---- Pages ----

/// `GET /{page-id}` (row F); default fields `id,name`.
pub(crate) fn page_node(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    page_id: &str,
) -> GraphResult {
    let fields = parse_fields(req.params.get("fields"), &["id", "name"]);
    render_page(state, req, viewer, page_id, &fields)
}

/// Renders a page the viewer can see. `instagram_business_account` is present
/// only when requested and linked; `access_token` is the page token derived
/// from the viewer's token.
fn render_page(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    page_id: &str,
    fields: &[FieldSel],
) -> GraphResult {
    let page = state
        .pages
        .get(page_id)
        .cloned()
        .ok_or_else(|| errors::unsupported_request(&req.method, page_id))?;
    let wants_token = fields.iter().any(|f| f.name == "access_token");
    let page_token = if wants_token {
        oauth::page_token(state, &viewer.token, page_id)
    } else {
        None
    };
    let state: &State = state;
    render(fields, "Page", &page.id, |field| {
        match field.name.as_str() {
            "name" => value(page.name.clone()),
            "category" => value(page.category.clone()),
            "category_list" => value(json!([{ "id": page.category_id, "name": page.category }])),
            "tasks" => value(page.tasks.clone()),
            "access_token" => Ok(page_token
                .clone()
                .map_or(FieldValue::Absent, |t| FieldValue::Value(json!(t)))),
            "instagram_business_account" | "connected_instagram_account" => {
                match &page.ig_user_id {
                    // Business-Manager-role Pages hide the key without ads_read (§4).
                    Some(_) if !auth::business_role_allows_ig(state, viewer, &page.id) => {
                        Ok(FieldValue::Absent)
                    }
                    Some(ig_id) => {
                        let nested = field
                            .nested
                            .clone()
                            .unwrap_or_else(|| parse_fields(None, &["id"]));
                        value(render_ig_user(state, req, ig_id, &nested, false)?)
                    }
                    None => Ok(FieldValue::Absent),
                }
            }
            "picture" => value(picture(&req.base_url, &page.id, field)),
            "link" => value(format!("https://www.facebook.com/{}", page.id)),
            "fan_count" | "followers_count" => value(0),
            "location" => Ok(page
                .location
                .as_ref()
                .map_or(FieldValue::Absent, |l| FieldValue::Value(json!(l)))),
            "username" | "about" | "website" => Ok(FieldValue::Absent),
            _ => Ok(FieldValue::Unknown),
        }
    })
}

// ---- Places ----

/// `GET /pages/search?q=…&fields=id,name,location`: Pages with a location whose name holds
/// every word of `q` (any case), by name, paged like other edges; default fields `id,name`.
pub(crate) fn pages_search(state: &State, req: &GraphRequest) -> GraphResult {
    let q = req
        .params
        .non_empty("q")
        .ok_or_else(|| errors::required_parameter("q"))?;
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    let fields = parse_fields(req.params.get("fields"), &["id", "name"]);
    let mut places: Vec<_> = state
        .pages
        .values()
        .filter(|p| p.location.is_some())
        .filter(|p| {
            let name = p.name.to_lowercase();
            words.iter().all(|w| name.contains(w.as_str()))
        })
        .collect();
    places.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let mut items = Vec::with_capacity(places.len());
    for page in places {
        let rendered = render(&fields, "Page", &page.id, |field| {
            match field.name.as_str() {
                "name" => value(page.name.clone()),
                "location" => value(json!(page.location)),
                "category" => value(page.category.clone()),
                "category_list" => {
                    value(json!([{ "id": page.category_id, "name": page.category }]))
                }
                "link" => value(format!("https://www.facebook.com/{}", page.id)),
                "picture" => value(picture(&req.base_url, &page.id, field)),
                _ => Ok(FieldValue::Unknown),
            }
        })?;
        items.push((page.id.clone(), rendered));
    }
    paging::paginate(req, &state.settings, items)
}

// ---- Instagram users ----

/// `GET /{ig-user-id}` (row G): needs the page ticked and `instagram_basic`.
pub(crate) fn ig_user_node(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    auth::require(state, viewer, "instagram_basic")?;
    let fields = parse_fields(req.params.get("fields"), &["id"]);
    render_ig_user(state, req, ig_user_id, &fields, false)
}

/// `GET graph.instagram.com/{v}/me` (and `/{ig-user-id}`) with an Instagram Login token:
/// IGUser fields plus `user_id` and `account_type` (§4 [believed]); needs
/// `instagram_business_basic`.
pub(crate) fn ig_login_me(
    state: &State,
    req: &GraphRequest,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult {
    auth::require(state, viewer, "instagram_basic")?;
    let fields = parse_fields(req.params.get("fields"), &["id"]);
    render_ig_user(state, req, ig_user_id, &fields, true)
}

/// Renders an IGUser. `instagram_login` adds the fields only graph.instagram.com has
/// (`user_id`, `account_type`).
pub(crate) fn render_ig_user(
    state: &State,
    req: &GraphRequest,
    ig_user_id: &str,
    fields: &[FieldSel],
    instagram_login: bool,
) -> GraphResult {
    let ig = state
        .ig_users
        .get(ig_user_id)
        .ok_or_else(|| errors::unsupported_request(&req.method, ig_user_id))?;
    let published = state
        .media
        .values()
        .filter(|m| m.ig_user_id == ig.id && m.parent_id.is_none() && !m.is_story())
        .count() as u64;
    render(fields, "IGUser", &ig.id, |field| {
        match field.name.as_str() {
            "ig_id" => value(ig.ig_id),
            "username" => value(ig.username.clone()),
            "name" => value(ig.name.clone()),
            "profile_picture_url" => value(ig.profile_picture_url.clone()),
            "followers_count" => value(ig.followers_count),
            "follows_count" => value(ig.follows_count),
            // Stories are not part of `/media` and do not count here.
            "media_count" => value(ig.media_count + published),
            "biography" => value(ig.biography.clone()),
            "website" => value(ig.website.clone()),
            "user_id" if instagram_login => value(ig.id.clone()),
            "account_type" if instagram_login => value(ig.account_type.name()),
            _ => Ok(FieldValue::Unknown),
        }
    })
}
