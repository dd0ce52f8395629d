//! The control API under `/_sim` (JSON, no auth): for tests and the demo.
//! The full route list is in the `sim` module documentation.

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::demo::{self, CreateError, UserSpec};
use super::faults::FaultSpec;
use super::files;
use super::state::{AppRecord, PostExtras, Settings, State};
use super::Simulator;

pub(crate) fn routes() -> Router<Simulator> {
    Router::new()
        .merge(control_routes())
        .route_layer(axum::middleware::from_fn(same_site_only))
        .merge(public_routes())
}

/// What stands for the public web: media files and avatars. Servers fetch them without an
/// `Origin`, and pages on any site may show them, so the same-site guard does not apply;
/// they change nothing.
fn public_routes() -> Router<Simulator> {
    Router::new()
        .route("/_sim/avatar/{file}", get(avatar))
        .route("/_sim/files/{name}", get(files::serve))
}

/// The control API changes what the simulator does for everyone, and in the demo it listens on
/// the person's own machine: a page on another site must not drive it from their browser (a
/// cross-site POST needs no CORS permission). Browsers say where a request comes from in
/// `Sec-Fetch-Site` or `Origin`; requests without either (tests, curl) are not from a page.
async fn same_site_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|o| o.split_once("://").map_or(o, |(_, rest)| rest));
    let cross_site = match (site, origin_host) {
        (Some(site), _) => !matches!(site, "same-origin" | "none"),
        (None, Some(origin)) => Some(origin) != host,
        (None, None) => false,
    };
    if cross_site {
        return ControlError(
            StatusCode::FORBIDDEN,
            "the control API refuses requests from other sites".into(),
        )
        .into_response();
    }
    next.run(request).await
}

fn control_routes() -> Router<Simulator> {
    Router::new()
        .route("/_sim/healthz", get(|| async { "ok" }))
        .route("/_sim/reset", post(reset))
        .route("/_sim/apps", post(create_app))
        .route("/_sim/users", post(create_user).get(list_users))
        .route("/_sim/scenarios/{name}", post(create_scenario))
        .route("/_sim/login", post(login))
        .route(
            "/_sim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_sim/settings", get(get_settings).post(update_settings))
        .route("/_sim/clock", get(get_clock))
        .route("/_sim/clock/advance", post(advance_clock))
        .route("/_sim/users/{user_id}/tokens/{action}", post(token_action))
        .route("/_sim/media", get(list_media))
        .route("/_sim/containers", get(list_containers))
        .route("/_sim/calls", get(list_calls))
}

/// A control API failure: `{"error": "…"}` with a status.
pub(crate) struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type ControlResult<T = Response> = Result<T, ControlError>;

fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

/// Parses a JSON body; an empty body gives the type's default.
fn optional_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> ControlResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| bad_request(format!("invalid JSON body: {e}")))
}

fn required_body<T: DeserializeOwned>(bytes: &Bytes) -> ControlResult<T> {
    serde_json::from_slice(bytes).map_err(|e| bad_request(format!("invalid JSON body: {e}")))
}

async fn reset(AxumState(sim): AxumState<Simulator>) -> StatusCode {
    sim.with_state(|s| *s = State::default());
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppBody {
    app_id: String,
    app_secret: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    require_appsecret_proof: bool,
    /// Shown in the dialog and as `application` in debug_token.
    name: Option<String>,
}

async fn create_app(AxumState(sim): AxumState<Simulator>, body: Bytes) -> ControlResult {
    let app: AppBody = required_body(&body)?;
    if app.app_id.is_empty() || app.app_secret.is_empty() {
        return Err(bad_request("app_id and app_secret must not be empty"));
    }
    let app_id = app.app_id.clone();
    sim.with_state(|s| {
        insert_app(
            s,
            AppRecord {
                name: app.name.unwrap_or_else(|| default_app_name(&app.app_id)),
                app_id: app.app_id,
                app_secret: app.app_secret,
                redirect_uris: app.redirect_uris,
                require_appsecret_proof: app.require_appsecret_proof,
            },
        )
    });
    Ok((StatusCode::CREATED, Json(json!({ "app_id": app_id }))).into_response())
}

pub(crate) fn default_app_name(app_id: &str) -> String {
    format!("App {app_id}")
}

/// Registers (or replaces) an app.
pub(crate) fn insert_app(state: &mut State, app: AppRecord) {
    state.apps.insert(app.app_id.clone(), app);
}

fn created(result: Result<Value, CreateError>) -> ControlResult {
    match result {
        Ok(value) => Ok((StatusCode::CREATED, Json(value)).into_response()),
        Err(CreateError::UsernameTaken(name)) => Err(ControlError(
            StatusCode::CONFLICT,
            format!("instagram username {name} is already taken"),
        )),
        Err(CreateError::Invalid(message)) => Err(bad_request(message)),
    }
}

async fn create_user(AxumState(sim): AxumState<Simulator>, body: Bytes) -> ControlResult {
    let spec: UserSpec = optional_body(&body)?;
    let base = sim.public_base_url().to_string();
    created(sim.with_state(|s| demo::create_user(s, &base, &spec)))
}

async fn list_users(AxumState(sim): AxumState<Simulator>) -> Json<Value> {
    Json(sim.with_state(|s| {
        let signed_in = s.signed_in_user().map(|u| u.id.clone());
        let data: Vec<Value> = s
            .users
            .values()
            .map(|u| {
                json!({
                    "user_id": u.id,
                    "name": u.name,
                    "page_ids": u.page_ids,
                    "signed_in": Some(&u.id) == signed_in.as_ref(),
                })
            })
            .collect();
        json!({ "data": data })
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ScenarioBody {
    suffix: Option<String>,
}

async fn create_scenario(
    AxumState(sim): AxumState<Simulator>,
    Path(name): Path<String>,
    body: Bytes,
) -> ControlResult {
    let ScenarioBody { suffix } = optional_body(&body)?;
    let base = sim.public_base_url().to_string();
    match sim.with_state(|s| demo::create_scenario(s, &base, &name, suffix.as_deref())) {
        Some(result) => created(result),
        None => Err(ControlError(
            StatusCode::NOT_FOUND,
            format!(
                "unknown scenario {name}; known: {}",
                demo::SCENARIOS.join(", ")
            ),
        )),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    user_id: String,
}

async fn login(AxumState(sim): AxumState<Simulator>, body: Bytes) -> ControlResult<StatusCode> {
    let LoginBody { user_id } = required_body(&body)?;
    sim.with_state(|s| {
        if s.users.contains_key(&user_id) {
            s.signed_in = Some(user_id);
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ControlError(
                StatusCode::NOT_FOUND,
                "unknown user_id".into(),
            ))
        }
    })
}

async fn add_fault(AxumState(sim): AxumState<Simulator>, body: Bytes) -> ControlResult {
    let spec: FaultSpec = required_body(&body)?;
    spec.validate().map_err(bad_request)?;
    let id = sim.with_state(|s| s.add_fault(spec));
    Ok((StatusCode::CREATED, Json(json!({ "id": id.to_string() }))).into_response())
}

async fn list_faults(AxumState(sim): AxumState<Simulator>) -> Json<Value> {
    Json(sim.with_state(|s| {
        let data: Vec<Value> = s
            .faults
            .iter()
            .map(|f| {
                json!({
                    "id": f.id.to_string(),
                    "method": f.spec.method,
                    "path_contains": f.spec.path_contains,
                    "remaining": f.remaining,
                })
            })
            .collect();
        json!({ "data": data })
    }))
}

async fn clear_faults(AxumState(sim): AxumState<Simulator>) -> StatusCode {
    sim.with_state(|s| s.faults.clear());
    StatusCode::NO_CONTENT
}

async fn get_settings(AxumState(sim): AxumState<Simulator>) -> Json<Settings> {
    Json(sim.with_state(|s| s.settings.clone()))
}

/// Merges the given keys into the current settings; unknown keys are refused.
async fn update_settings(
    AxumState(sim): AxumState<Simulator>,
    body: Bytes,
) -> ControlResult<Json<Settings>> {
    let patch: serde_json::Map<String, Value> = optional_body(&body)?;
    sim.with_state(|s| {
        let mut merged =
            serde_json::to_value(&s.settings).map_err(|e| bad_request(e.to_string()))?;
        let object = merged
            .as_object_mut()
            .ok_or_else(|| bad_request("settings are not an object"))?;
        for (key, value) in patch {
            if !object.contains_key(&key) {
                return Err(bad_request(format!("unknown setting {key}")));
            }
            object.insert(key, value);
        }
        let settings: Settings =
            serde_json::from_value(merged).map_err(|e| bad_request(e.to_string()))?;
        s.settings = settings.clone();
        Ok(Json(settings))
    })
}

fn clock_json(state: &State) -> Value {
    json!({
        "now": state.now().to_rfc3339(),
        "offset_seconds": state.clock.offset().num_milliseconds() as f64 / 1000.0,
    })
}

async fn get_clock(AxumState(sim): AxumState<Simulator>) -> Json<Value> {
    Json(sim.with_state(|s| clock_json(s)))
}

#[derive(Deserialize)]
struct AdvanceBody {
    seconds: f64,
}

async fn advance_clock(
    AxumState(sim): AxumState<Simulator>,
    body: Bytes,
) -> ControlResult<Json<Value>> {
    let AdvanceBody { seconds } = required_body(&body)?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(bad_request("seconds must be a non-negative number"));
    }
    Ok(Json(sim.with_state(|s| {
        s.clock
            .advance(Duration::milliseconds((seconds * 1000.0).round() as i64));
        clock_json(s)
    })))
}

/// `expire`: the user's tokens (page tokens too) now fail with 190/463;
/// `invalidate`: with 190/460.
async fn token_action(
    AxumState(sim): AxumState<Simulator>,
    Path((user_id, action)): Path<(String, String)>,
) -> ControlResult<StatusCode> {
    sim.with_state(|s| {
        if !s.users.contains_key(&user_id) {
            return Err(ControlError(StatusCode::NOT_FOUND, "unknown user".into()));
        }
        let now = s.now();
        let tokens = s.tokens.values_mut().filter(|t| t.user_id == user_id);
        match action.as_str() {
            "expire" => tokens.for_each(|t| {
                if t.expires_at.is_none_or(|at| at > now) {
                    t.expires_at = Some(now);
                }
            }),
            "invalidate" => tokens.for_each(|t| t.invalidated = true),
            _ => {
                return Err(ControlError(
                    StatusCode::NOT_FOUND,
                    "action must be expire or invalidate".into(),
                ))
            }
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

#[derive(Deserialize)]
struct IgFilter {
    ig_user_id: Option<String>,
}

/// Published posts (carousel children only inside `children`), oldest first.
async fn list_media(
    AxumState(sim): AxumState<Simulator>,
    Query(filter): Query<IgFilter>,
) -> Json<Value> {
    Json(sim.with_state(|s| {
        let mut media: Vec<_> = s
            .media
            .values()
            .filter(|m| m.parent_id.is_none())
            .filter(|m| {
                filter
                    .ig_user_id
                    .as_ref()
                    .is_none_or(|id| *id == m.ig_user_id)
            })
            .collect();
        media.sort_by_key(|m| m.published_at);
        let data: Vec<Value> = media
            .into_iter()
            .map(|m| {
                let mut entry = json!({
                    "id": m.id,
                    "ig_user_id": m.ig_user_id,
                    "container_id": m.container_id,
                    "media_type": m.media_type,
                    "media_product_type": m.media_product_type,
                    "caption": m.caption,
                    "alt_text": m.alt_text,
                    "permalink": m.permalink,
                    "children": m.children,
                    "published_at": m.published_at.to_rfc3339(),
                    "share_to_feed": s.containers.get(&m.container_id).and_then(|c| c.share_to_feed),
                    "comments": comments_json(s, &m.id),
                });
                extend(&mut entry, extras_json(s, &m.extras));
                if !m.children.is_empty() {
                    let items: Vec<Value> = m
                        .children
                        .iter()
                        .filter_map(|id| s.media.get(id))
                        .map(|c| {
                            let mut item = json!({
                                "id": c.id,
                                "media_type": c.media_type,
                                "alt_text": c.alt_text,
                            });
                            extend(&mut item, extras_json(s, &c.extras));
                            item
                        })
                        .collect();
                    entry["items"] = json!(items);
                }
                entry
            })
            .collect();
        json!({ "data": data })
    }))
}

fn extend(target: &mut Value, extra: serde_json::Map<String, Value>) {
    if let Some(object) = target.as_object_mut() {
        object.extend(extra);
    }
}

/// What a container asked for beyond media and caption, as the control API shows it:
/// `location_id`, `location_name`, `user_tags`, `collaborators`, `cover_url`, `thumb_offset`,
/// `audio_name`, `trial_params` and `is_ai_generated` (absent ones left out, except the flag).
fn extras_json(state: &State, extras: &PostExtras) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if let Some(id) = &extras.location_id {
        out.insert("location_id".into(), json!(id));
        if let Some(page) = state.pages.get(id) {
            out.insert("location_name".into(), json!(page.name));
        }
    }
    if !extras.user_tags.is_empty() {
        out.insert("user_tags".into(), json!(extras.user_tags));
    }
    if !extras.collaborators.is_empty() {
        out.insert("collaborators".into(), json!(extras.collaborators));
    }
    if let Some(cover) = &extras.cover_url {
        out.insert("cover_url".into(), json!(cover));
    }
    if let Some(offset) = extras.thumb_offset {
        out.insert("thumb_offset".into(), json!(offset));
    }
    if let Some(audio) = &extras.audio_name {
        out.insert("audio_name".into(), json!(audio));
    }
    if let Some(strategy) = &extras.trial_graduation_strategy {
        out.insert(
            "trial_params".into(),
            json!({ "graduation_strategy": strategy }),
        );
    }
    out.insert("is_ai_generated".into(), json!(extras.is_ai_generated));
    out
}

/// A post's comments, oldest first: `[{id, text, username, timestamp}]`.
fn comments_json(state: &State, media_id: &str) -> Value {
    let mut comments: Vec<_> = state.comments_on(media_id).collect();
    comments.sort_by_key(|c| (c.created_at, c.seq));
    json!(comments
        .into_iter()
        .map(|c| json!({
            "id": c.id,
            "text": c.text,
            "username": c.username,
            "timestamp": c.created_at.to_rfc3339(),
        }))
        .collect::<Vec<_>>())
}

async fn list_containers(
    AxumState(sim): AxumState<Simulator>,
    Query(filter): Query<IgFilter>,
) -> Json<Value> {
    Json(sim.with_state(|s| {
        let now = s.now();
        let mut containers: Vec<_> = s
            .containers
            .values()
            .filter(|c| {
                filter
                    .ig_user_id
                    .as_ref()
                    .is_none_or(|id| *id == c.ig_user_id)
            })
            .collect();
        containers.sort_by_key(|c| c.created_at);
        let data: Vec<Value> = containers
            .into_iter()
            .map(|c| {
                let mut entry = json!({
                    "id": c.id,
                    "ig_user_id": c.ig_user_id,
                    "kind": format!("{:?}", c.kind).to_uppercase(),
                    "is_carousel_item": c.is_carousel_item,
                    "children": c.children,
                    "status_code": c.status(now, &s.settings).code(),
                    "created_at": c.created_at.to_rfc3339(),
                    "published_media_id": c.published_media_id,
                    "caption": c.caption,
                    "alt_text": c.alt_text,
                    "share_to_feed": c.share_to_feed,
                });
                extend(&mut entry, extras_json(s, &c.extras));
                entry
            })
            .collect();
        json!({ "data": data })
    }))
}

#[derive(Deserialize)]
struct CallFilter {
    path_contains: Option<String>,
}

/// Received Graph calls: method, path (no query string) and how
/// `appsecret_proof` was sent. Never tokens or secrets.
async fn list_calls(
    AxumState(sim): AxumState<Simulator>,
    Query(filter): Query<CallFilter>,
) -> Json<Value> {
    Json(sim.with_state(|s| {
        let data: Vec<Value> = s
            .calls
            .iter()
            .filter(|c| {
                filter
                    .path_contains
                    .as_ref()
                    .is_none_or(|p| c.path.contains(p.as_str()))
            })
            .map(|c| json!({ "method": c.method, "path": c.path, "appsecret_proof": c.proof }))
            .collect();
        json!({ "count": data.len(), "data": data })
    }))
}

async fn avatar(AxumState(sim): AxumState<Simulator>, Path(file): Path<String>) -> Response {
    let key = file.strip_suffix(".svg").unwrap_or(&file).to_string();
    let svg = sim.with_state(|s| demo::avatar_svg(s, &key));
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        svg,
    )
        .into_response()
}
