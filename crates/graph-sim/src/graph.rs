//! The front door for everything that is not `/_sim/…`: the Login dialog
//! (www.facebook.com) and the Graph API (graph.facebook.com), with or without
//! a version prefix such as `/v23.0`.
//!
//! Graph calls are recorded (without tokens), may meet an injected fault or
//! the latency setting, are dispatched by node type, and carry the usage
//! headers once usage is high enough (`usage.rs`).

use std::time::Duration as StdDuration;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{self, Viewer};
use super::comments;
use super::dialog;
use super::errors::{self, GraphError, GraphResult};
use super::faults;
use super::instagram;
use super::nodes;
use super::oauth;
use super::params::Params;
use super::publishing;
use super::state::{BusinessRelation, CallRecord, Container, Media, State};
use super::usage;
use super::Simulator;

/// The Graph version reported when a call used the unversioned path.
const DEFAULT_VERSION: &str = "v23.0";

/// One parsed Graph call.
#[derive(Debug, Clone)]
pub(crate) struct GraphRequest {
    pub method: String,
    /// The path as received, version included: used for `paging.next`.
    pub path: String,
    /// The path after the version, split on `/`.
    pub segments: Vec<String>,
    pub params: Params,
    pub headers: HeaderMap,
    pub base_url: String,
    /// The version prefix, if the path had one.
    pub version: Option<String>,
    /// graph.instagram.com (path prefix `/_ig` or that `Host`) rather than graph.facebook.com.
    pub instagram_host: bool,
    /// For a container's creation: what downloading its media found (`fetch_media`).
    pub downloaded: Option<super::download::Downloaded>,
}

/// Path prefix that stands for graph.instagram.com (see the crate docs).
pub(crate) const INSTAGRAM_PREFIX: &str = "/_ig";

/// Whether a request is meant for graph.instagram.com: its path starts with `/_ig/` (or is
/// `/_ig`), or its `Host` header names graph.instagram.com.
fn instagram_host(path: &str, headers: &HeaderMap) -> bool {
    let by_path = path == INSTAGRAM_PREFIX || path.starts_with("/_ig/");
    let by_host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| h.split(':').next() == Some("graph.instagram.com"));
    by_path || by_host
}

/// `/v23.0/me/accounts` → `(Some("v23.0"), ["me", "accounts"])`. Any `vNN` or
/// `vNN.N` first segment is a version.
pub(crate) fn split_path(path: &str) -> (Option<String>, Vec<String>) {
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let is_version = segments.first().is_some_and(|first| {
        first.strip_prefix('v').is_some_and(|rest| {
            let mut parts = rest.splitn(2, '.');
            let major = parts.next().unwrap_or("");
            let minor = parts.next();
            !major.is_empty()
                && major.chars().all(|c| c.is_ascii_digit())
                && minor.is_none_or(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
        })
    });
    let version = if is_version {
        Some(segments.remove(0))
    } else {
        None
    };
    (version, segments)
}

/// The axum fallback handler.
pub(crate) async fn entry(
    AxumState(sim): AxumState<Simulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let on_instagram = instagram_host(uri.path(), &headers);
    let path = if on_instagram {
        uri.path()
            .strip_prefix(INSTAGRAM_PREFIX)
            .unwrap_or(uri.path())
    } else {
        uri.path()
    };
    let (version, segments) = split_path(path);
    let params = Params::parse(uri.query(), &headers, &body);
    let prefix = version
        .as_ref()
        .map(|v| format!("/{v}"))
        .unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (&method, segs.as_slice()) {
        (&Method::GET, ["dialog", "oauth"]) => {
            return sim.with_state(|s| dialog::show(s, &prefix, &params))
        }
        (&Method::POST, ["dialog", "oauth", "confirm"]) => {
            return sim.with_state(|s| dialog::confirm(s, &params))
        }
        // www.instagram.com / api.instagram.com: the Instagram Login dialog.
        (&Method::GET, ["oauth", "authorize"]) => {
            return sim.with_state(|s| instagram::show_dialog(s, &params))
        }
        (&Method::POST, ["oauth", "authorize", "confirm"]) => {
            return sim.with_state(|s| instagram::confirm_dialog(s, &params))
        }
        _ => {}
    }
    let downloaded = download_for(&sim, &method, &segments, &params).await;
    let request = GraphRequest {
        method: method.as_str().to_ascii_uppercase(),
        path: uri.path().to_string(),
        segments,
        params,
        headers,
        base_url: sim.public_base_url().to_string(),
        version: version.clone(),
        instagram_host: on_instagram,
        downloaded,
    };
    graph_call(&sim, request, version.as_deref().unwrap_or(DEFAULT_VERSION)).await
}

/// A container's creation downloads its media first, outside the state's lock, as Instagram
/// does while the creation call waits.
async fn download_for(
    sim: &Simulator,
    method: &Method,
    segments: &[String],
    params: &Params,
) -> Option<super::download::Downloaded> {
    let creating = method == Method::POST && segments.len() == 2 && segments[1] == "media";
    if !creating || !sim.with_state(|s| s.settings.fetch_media) {
        return None;
    }
    let (url, is_video) = match (params.non_empty("image_url"), params.non_empty("video_url")) {
        (Some(url), _) => (url, false),
        (None, Some(url)) => (url, true),
        (None, None) => return None,
    };
    let feed_shape = !params
        .non_empty("media_type")
        .is_some_and(|t| t.eq_ignore_ascii_case("STORIES"));
    Some(super::download::download(sim.downloader(), url, is_video, feed_shape).await)
}

/// What happens to a call before it is handled.
struct CallPlan {
    delay_ms: u64,
    error: Option<GraphError>,
    drop_response: bool,
    after_effect: bool,
    app_id: Option<String>,
    buc: Option<(String, &'static str)>,
}

async fn graph_call(sim: &Simulator, request: GraphRequest, version: &str) -> Response {
    let plan = sim.with_state(|s| begin_call(s, &request));
    if plan.delay_ms > 0 {
        tokio::time::sleep(StdDuration::from_millis(plan.delay_ms)).await;
    }
    let (result, usage) = sim.with_state(|s| {
        let result = match plan.error.clone() {
            // The call takes effect (a publish really happens), then the error is answered.
            Some(error) if plan.after_effect => {
                let _ = dispatch(s, &request);
                Err(error)
            }
            Some(error) => Err(error),
            None => dispatch(s, &request),
        };
        let usage = usage::headers(
            s,
            plan.app_id.as_deref(),
            plan.buc.as_ref(),
            result.as_ref().err(),
        );
        (result, usage)
    });
    let status_for_log = result.as_ref().map_or_else(|e| e.code, |_| 0);
    tracing::debug!(
        method = %request.method,
        path = %request.path,
        graph_error_code = status_for_log,
        "graph simulator call"
    );
    let trace_id = super::ids::fbtrace_id();
    let mut response = match result {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.response_traced(&trace_id),
    };
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    if let Some(app) = &usage.app {
        put("x-app-usage", app);
    }
    if let Some(business) = &usage.business {
        put("x-business-use-case-usage", business);
    }
    put("facebook-api-version", version);
    put("x-fb-trace-id", &trace_id);
    if plan.drop_response {
        return faults::drop_connection(response);
    }
    response
}

/// Records the call, takes a matching fault and adds the latency setting.
fn begin_call(state: &mut State, request: &GraphRequest) -> CallPlan {
    let token = auth::access_token(&request.params, &request.headers);
    let app_id = token
        .and_then(|t| {
            state
                .tokens
                .get(t)
                .map(|tok| tok.app_id.clone())
                .or_else(|| auth::app_token_app(state, t).map(|a| a.app_id.clone()))
        })
        .or_else(|| request.params.non_empty("client_id").map(str::to_string));
    let buc = business_object(state, &request.segments);
    let proof = auth::describe_proof(state, &request.params, &request.headers);
    let now = state.now();
    state.record_call(CallRecord {
        method: request.method.clone(),
        path: request.path.clone(),
        proof,
        at: now,
        app_id: app_id.clone(),
        buc: buc.clone(),
    });
    let effect = state
        .take_fault(&request.method, &request.path)
        .unwrap_or_default();
    CallPlan {
        delay_ms: state.settings.latency_ms + effect.delay_ms,
        error: effect.error,
        drop_response: effect.drop_response,
        after_effect: effect.after_effect,
        app_id,
        buc,
    }
}

/// The business-use-case object a path touches: an IG account (directly or via
/// its containers and media) or a page.
fn business_object(state: &State, segments: &[String]) -> Option<(String, &'static str)> {
    let id = segments.first()?;
    if state.ig_users.contains_key(id) {
        return Some((id.clone(), "instagram"));
    }
    if let Some(c) = state.containers.get(id) {
        return Some((c.ig_user_id.clone(), "instagram"));
    }
    if let Some(m) = state.media.get(id) {
        return Some((m.ig_user_id.clone(), "instagram"));
    }
    if state.pages.contains_key(id) {
        return Some((id.clone(), "pages"));
    }
    None
}

/// Graph objects the dispatcher knows.
enum Node {
    User,
    Page(String),
    Business(String),
    IgUser(String),
    Container(Container),
    Media(Media),
}

pub(crate) fn dispatch(state: &mut State, req: &GraphRequest) -> GraphResult {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    // api.instagram.com's code exchange shares the path with Facebook's: the client_id tells.
    if segs == ["oauth", "access_token"]
        && req
            .params
            .non_empty("client_id")
            .is_some_and(|id| state.ig_apps.contains_key(id))
    {
        return instagram::exchange_code(state, &req.params);
    }
    if req.instagram_host {
        return instagram::dispatch(state, req);
    }
    match segs.as_slice() {
        ["oauth", "access_token"] => oauth::access_token(state, &req.params),
        ["debug_token"] => oauth::debug_token(state, &req.params, &req.headers),
        [] => Err(errors::unsupported_request(&req.method, "")),
        // Places: Pages with a location, for `location_id` (§5 "Creating containers").
        ["pages", "search"] if req.method == "GET" => {
            let viewer = auth::authenticate(state, &req.params, &req.headers)?;
            auth::check_data_access(state, &viewer)?;
            nodes::pages_search(state, req)
        }
        _ => {
            let viewer = auth::authenticate(state, &req.params, &req.headers)?;
            // `/me/permissions` still answers after data access lapsed: it is how an app
            // finds out what to ask again.
            if segs.as_slice() != ["me", "permissions"] {
                auth::check_data_access(state, &viewer)?;
            }
            object_call(state, req, &viewer)
        }
    }
}

/// `/{id}` and `/{id}/{edge}` for an authenticated viewer, on either host.
pub(crate) fn object_call(state: &mut State, req: &GraphRequest, viewer: &Viewer) -> GraphResult {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] => Err(errors::unsupported_request(&req.method, "")),
        [id] => {
            let node = resolve(state, viewer, id, &req.method)?;
            check_ig_access(state, viewer, &node)?;
            node_call(state, req, viewer, id, node)
        }
        [id, edge] => {
            let node = resolve(state, viewer, id, &req.method)?;
            check_ig_access(state, viewer, &node)?;
            edge_call(state, req, viewer, node, edge)
        }
        [_, _, rest @ ..] => Err(errors::unknown_path(&format!("/{}", rest.join("/")))),
    }
}

/// IG objects behind a Business-Manager-role Page need `ads_read`/`ads_management` (§4).
fn check_ig_access(state: &State, viewer: &Viewer, node: &Node) -> GraphResult<()> {
    let ig_user_id = match node {
        Node::IgUser(id) => id.as_str(),
        Node::Container(c) => c.ig_user_id.as_str(),
        Node::Media(m) => m.ig_user_id.as_str(),
        _ => return Ok(()),
    };
    auth::require_ads_permission_for(state, viewer, ig_user_id)
}

/// Finds what `id` names among the objects the viewer may reach; anything else is 100/33.
/// GETs of a container or media object younger than `fresh_object_invisible_ms` are 100/33
/// too, although the object exists (§6, complaint 8).
fn resolve(state: &State, viewer: &Viewer, id: &str, method: &str) -> GraphResult<Node> {
    if id == "me" && viewer.instagram {
        return Ok(Node::IgUser(viewer.user_id.clone()));
    }
    if id == "me" {
        return Ok(match &viewer.page_id {
            Some(page_id) => Node::Page(page_id.clone()),
            None => Node::User,
        });
    }
    if id == viewer.user_id && viewer.page_id.is_none() && !viewer.instagram {
        return Ok(Node::User);
    }
    if state.pages.contains_key(id) && viewer.can_see_page(state, id) {
        return Ok(Node::Page(id.to_string()));
    }
    if state.businesses.contains_key(id) && nodes::can_see_business(state, viewer, id) {
        return Ok(Node::Business(id.to_string()));
    }
    if viewer.can_see_ig_user(state, id) {
        return Ok(Node::IgUser(id.to_string()));
    }
    let now = state.now();
    let get = method == "GET";
    if let Some(c) = state.containers.get(id) {
        let fresh = get && c.is_fresh(now, &state.settings);
        if viewer.can_see_ig_user(state, &c.ig_user_id) && !fresh {
            return Ok(Node::Container(c.clone()));
        }
    }
    if let Some(m) = state.media.get(id) {
        let fresh = get && m.is_fresh(now, &state.settings);
        if viewer.can_see_ig_user(state, &m.ig_user_id) && !fresh {
            return Ok(Node::Media(m.clone()));
        }
    }
    if state.settings.ungranted_ig_read_code == 10
        && nodes::is_ungranted_portfolio_ig(state, viewer, id)
    {
        return Err(errors::requires_permission(10, "instagram_basic"));
    }
    Err(errors::unsupported_request(method, id))
}

fn node_call(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    id: &str,
    node: Node,
) -> GraphResult {
    if req.method != "GET" {
        return Err(errors::unsupported_request(&req.method, id));
    }
    match node {
        Node::User => nodes::user_node(state, req, viewer),
        Node::Page(page_id) => nodes::page_node(state, req, viewer, &page_id),
        Node::Business(business_id) => nodes::business_node(state, req, viewer, &business_id),
        Node::IgUser(ig_id) if viewer.instagram => nodes::ig_login_me(state, req, viewer, &ig_id),
        Node::IgUser(ig_id) => nodes::ig_user_node(state, req, viewer, &ig_id),
        Node::Container(container) => publishing::container_node(state, req, viewer, &container),
        Node::Media(media) => publishing::media_node(state, req, viewer, &media),
    }
}

fn edge_call(
    state: &mut State,
    req: &GraphRequest,
    viewer: &Viewer,
    node: Node,
    edge: &str,
) -> GraphResult {
    let get = req.method == "GET";
    let post = req.method == "POST";
    match (node, edge) {
        (Node::User, "permissions") if get => nodes::permissions(state, viewer),
        (Node::User, "accounts") if get => nodes::accounts(state, req, viewer),
        (Node::User, "businesses") if get => nodes::businesses(state, req, viewer),
        (Node::Page(_), "accounts" | "businesses" | "permissions") => {
            Err(errors::nonexisting_field(edge, "Page"))
        }
        (Node::Business(id), "owned_pages") if get => {
            nodes::business_pages(state, req, viewer, &id, BusinessRelation::Owned)
        }
        (Node::Business(id), "client_pages") if get => {
            nodes::business_pages(state, req, viewer, &id, BusinessRelation::Client)
        }
        (Node::IgUser(id), "media") if get => publishing::list_media(state, req, viewer, &id),
        (Node::IgUser(id), "stories") if get => publishing::list_stories(state, req, viewer, &id),
        (Node::IgUser(id), "media") if post => {
            publishing::create_container(state, req, viewer, &id)
        }
        (Node::IgUser(id), "media_publish") if post => publishing::publish(state, req, viewer, &id),
        (Node::IgUser(id), "content_publishing_limit") if get => {
            publishing::publishing_limit(state, req, viewer, &id)
        }
        (Node::Media(media), "children") if get => {
            publishing::media_children(state, req, viewer, &media)
        }
        (Node::Media(media), "comments") if get => {
            comments::list_comments(state, req, viewer, &media)
        }
        (Node::Media(media), "comments") if post => {
            comments::add_comment(state, req, viewer, &media)
        }
        (Node::Media(media), "collaborators") if get => {
            publishing::media_collaborators(state, viewer, &media)
        }
        _ => Err(errors::unknown_path(&format!("/{edge}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_recognised() {
        assert_eq!(
            split_path("/v23.0/me/accounts"),
            (Some("v23.0".into()), vec!["me".into(), "accounts".into()])
        );
        assert_eq!(split_path("/v9/me").0.as_deref(), Some("v9"));
        assert_eq!(split_path("/me/").1, vec!["me".to_string()]);
        assert_eq!(split_path("/vx.1/me").0, None);
        assert_eq!(split_path("/v23./me").0, None);
    }
}
