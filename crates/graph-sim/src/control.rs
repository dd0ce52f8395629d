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
use std::collections::BTreeMap;

use super::callbacks;
use super::demo::{self, CreateError, UserSpec};
use super::faults::FaultSpec;
use super::files;
use super::state::{
    AppRecord, AppType, CheckpointText, IgAppRecord, PostExtras, Settings, State, TokenDeath,
    TokenKind,
};
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
        .route("/_sim/apps/{app_id}/{callback}", post(app_callback))
        .route("/_sim/instagram_apps", post(create_instagram_app))
        .route("/_sim/pages/{page_id}", post(update_page))
        .route("/_sim/users/{user_id}/activity", post(user_activity))
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
    /// `classic` (default) or `business` (Facebook Login for Business: `config_id` required).
    #[serde(default)]
    app_type: AppType,
    /// Business apps: `{config_id: [permission, …]}`.
    #[serde(default)]
    login_configs: BTreeMap<String, Vec<String>>,
    /// Default targets of `POST /_sim/apps/{id}/deauthorize` and `/data_deletion`.
    deauthorize_callback_url: Option<String>,
    data_deletion_url: Option<String>,
}

async fn create_app(AxumState(sim): AxumState<Simulator>, body: Bytes) -> ControlResult {
    let app: AppBody = required_body(&body)?;
    if app.app_id.is_empty() || app.app_secret.is_empty() {
        return Err(bad_request("app_id and app_secret must not be empty"));
    }
    if app.app_type == AppType::Business && app.login_configs.is_empty() {
        return Err(bad_request(
            "a business app needs at least one login configuration in login_configs",
        ));
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
                app_type: app.app_type,
                login_configs: app.login_configs,
                deauthorize_callback_url: app.deauthorize_callback_url,
                data_deletion_url: app.data_deletion_url,
            },
        )
    });
    Ok((StatusCode::CREATED, Json(json!({ "app_id": app_id }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstagramAppBody {
    app_id: String,
    app_secret: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    name: Option<String>,
    deauthorize_callback_url: Option<String>,
    data_deletion_url: Option<String>,
}

/// `POST /_sim/instagram_apps`: an Instagram app (Business Login for Instagram), with its own
/// id and secret (§1).
async fn create_instagram_app(AxumState(sim): AxumState<Simulator>, body: Bytes) -> ControlResult {
    let app: InstagramAppBody = required_body(&body)?;
    if app.app_id.is_empty() || app.app_secret.is_empty() {
        return Err(bad_request("app_id and app_secret must not be empty"));
    }
    let app_id = app.app_id.clone();
    sim.with_state(|s| {
        insert_instagram_app(
            s,
            IgAppRecord {
                name: app.name.unwrap_or_else(|| default_app_name(&app.app_id)),
                app_id: app.app_id,
                app_secret: app.app_secret,
                redirect_uris: app.redirect_uris,
                deauthorize_callback_url: app.deauthorize_callback_url,
                data_deletion_url: app.data_deletion_url,
            },
        )
    });
    Ok((StatusCode::CREATED, Json(json!({ "app_id": app_id }))).into_response())
}

/// Registers (or replaces) an Instagram app.
pub(crate) fn insert_instagram_app(state: &mut State, app: IgAppRecord) {
    state.ig_apps.insert(app.app_id.clone(), app);
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

/// Optional body of `POST /_sim/users/{user_id}/tokens/{action}`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokenActionBody {
    /// Only this app's tokens (default: every app's).
    app_id: Option<String>,
    /// `page_role_lost`: only Page tokens of this Page (default: every Page of the person).
    page_id: Option<String>,
    /// `checkpoint`: `instagram` (default), `facebook` or `session_key`.
    variant: Option<CheckpointText>,
}

/// The token actions: what every later call with the person's tokens (Page tokens too)
/// answers. Tokens issued later (a new login) are fine, except after `page_role_lost`, which
/// also takes the Page away from the person.
const TOKEN_ACTIONS: &str = "expire (190/463), invalidate or password_changed (190/460), app_removed (190/458), checkpoint (190/459), unconfirmed (190/464), invalid (190/467), page_role_lost (190/492, Page tokens), session_invalid (102), lapse_data_access";

async fn token_action(
    AxumState(sim): AxumState<Simulator>,
    Path((user_id, action)): Path<(String, String)>,
    body: Bytes,
) -> ControlResult<StatusCode> {
    let options: TokenActionBody = optional_body(&body)?;
    sim.with_state(|s| {
        let is_ig_user = s.ig_users.contains_key(&user_id);
        if !s.users.contains_key(&user_id) && !is_ig_user {
            return Err(ControlError(StatusCode::NOT_FOUND, "unknown user".into()));
        }
        let now = s.now();
        let death = match action.as_str() {
            "expire" | "lapse_data_access" => None,
            "invalidate" | "password_changed" => Some(TokenDeath::PasswordChanged),
            "app_removed" => Some(TokenDeath::AppRemoved),
            "checkpoint" => Some(TokenDeath::Checkpoint(options.variant.unwrap_or_default())),
            "unconfirmed" => Some(TokenDeath::Unconfirmed),
            "invalid" => Some(TokenDeath::Invalid),
            "page_role_lost" => Some(TokenDeath::PageRoleLost),
            "session_invalid" => Some(TokenDeath::SessionInvalid),
            _ => {
                return Err(ControlError(
                    StatusCode::NOT_FOUND,
                    format!("action must be one of: {TOKEN_ACTIONS}"),
                ))
            }
        };
        let app_filter = options.app_id.clone();
        let of_app = |app_id: &str| app_filter.as_deref().is_none_or(|a| a == app_id);
        if action == "lapse_data_access" {
            for ((app_id, uid), grant) in s.grants.iter_mut() {
                if *uid == user_id && of_app(app_id) && grant.data_access_expires_at > now {
                    grant.data_access_expires_at = now;
                }
            }
            return Ok(StatusCode::NO_CONTENT);
        }
        if action == "page_role_lost" {
            lose_page_roles(s, &user_id, options.page_id.as_deref());
            return Ok(StatusCode::NO_CONTENT);
        }
        for t in s
            .tokens
            .values_mut()
            .filter(|t| t.user_id == user_id && of_app(&t.app_id))
        {
            match death {
                None => {
                    if t.expires_at.is_none_or(|at| at > now) {
                        t.expires_at = Some(now);
                    }
                }
                Some(death) => t.death = Some(death),
            }
        }
        if death == Some(TokenDeath::AppRemoved) {
            s.grants
                .retain(|(app_id, uid), _| !(*uid == user_id && of_app(app_id)));
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// The person loses their role on a Page (or on all their Pages): its Page tokens answer
/// 190/492, and the Page leaves the person's Pages, grants and dialog.
fn lose_page_roles(state: &mut State, user_id: &str, page_id: Option<&str>) {
    let pages: Vec<String> = state
        .users
        .get(user_id)
        .map(|u| u.page_ids.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|id| page_id.is_none_or(|p| p == id))
        .collect();
    for t in state.tokens.values_mut().filter(|t| t.user_id == user_id) {
        if let TokenKind::Page { page_id } = &t.kind {
            if pages.contains(page_id) {
                t.death = Some(TokenDeath::PageRoleLost);
            }
        }
    }
    if let Some(user) = state.users.get_mut(user_id) {
        user.page_ids.retain(|id| !pages.contains(id));
    }
    for ((_, uid), grant) in state.grants.iter_mut() {
        if uid == user_id {
            grant.pages.retain(|id| !pages.contains(id));
        }
    }
    for id in &pages {
        if let Some(page) = state.pages.get_mut(id) {
            page.owner_user_id.clear();
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActivityBody {
    app_id: Option<String>,
}

/// `POST /_sim/users/{user_id}/activity {app_id?}`: the person used the app: data access runs
/// `data_access_secs` (90 days) from now again, unless it has already lapsed (then only
/// `auth_type=reauthorize` restores it, setting `reauthorize_required_after_lapse`).
async fn user_activity(
    AxumState(sim): AxumState<Simulator>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ControlResult<StatusCode> {
    let ActivityBody { app_id } = optional_body(&body)?;
    sim.with_state(|s| {
        if !s.users.contains_key(&user_id) {
            return Err(ControlError(StatusCode::NOT_FOUND, "unknown user".into()));
        }
        let now = s.now();
        let until = now + Duration::seconds(s.settings.data_access_secs);
        let strict = s.settings.reauthorize_required_after_lapse;
        for ((app, uid), grant) in s.grants.iter_mut() {
            let lapsed = grant.data_access_expires_at <= now;
            if *uid == user_id && app_id.as_deref().is_none_or(|a| a == app) && !(lapsed && strict)
            {
                grant.data_access_expires_at = until;
            }
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// Body of `POST /_sim/pages/{page_id}`: changes a Page later (a PPA requirement can appear
/// after the connect, a role can shrink).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PagePatch {
    tasks: Option<Vec<String>>,
    publishing_authorization_pending: Option<bool>,
    via_business_manager: Option<bool>,
}

async fn update_page(
    AxumState(sim): AxumState<Simulator>,
    Path(page_id): Path<String>,
    body: Bytes,
) -> ControlResult<Json<Value>> {
    let patch: PagePatch = required_body(&body)?;
    sim.with_state(|s| {
        let page = s
            .pages
            .get_mut(&page_id)
            .ok_or_else(|| ControlError(StatusCode::NOT_FOUND, "unknown page".into()))?;
        if let Some(tasks) = patch.tasks {
            page.tasks = tasks;
        }
        if let Some(pending) = patch.publishing_authorization_pending {
            page.publishing_authorization_pending = pending;
        }
        if let Some(via) = patch.via_business_manager {
            page.via_business_manager = via;
        }
        Ok(Json(json!({
            "id": page.id,
            "tasks": page.tasks,
            "publishing_authorization_pending": page.publishing_authorization_pending,
            "via_business_manager": page.via_business_manager,
        })))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackBody {
    /// The app-scoped user id (what `/me` returns); for an Instagram app, the IG account id.
    user_id: String,
    /// Where to POST; default: the app's `deauthorize_callback_url` / `data_deletion_url`.
    url: Option<String>,
}

/// `POST /_sim/apps/{app_id}/deauthorize` and `/data_deletion`: Meta's callbacks (§8).
/// POSTs `signed_request=<sig>.<payload>` (form) to the URL and answers
/// `{signed_request, status, body}` (`body` parsed as JSON when it is JSON, else the text;
/// `status: null` and `error` when the POST failed). `deauthorize` also removes the app for
/// the person: their tokens of this app answer 190/458 and the grant is forgotten.
async fn app_callback(
    AxumState(sim): AxumState<Simulator>,
    Path((app_id, callback)): Path<(String, String)>,
    body: Bytes,
) -> ControlResult<Json<Value>> {
    let CallbackBody { user_id, url } = required_body(&body)?;
    let deauthorize = match callback.as_str() {
        "deauthorize" => true,
        "data_deletion" => false,
        _ => {
            return Err(ControlError(
                StatusCode::NOT_FOUND,
                "callback must be deauthorize or data_deletion".into(),
            ))
        }
    };
    let (secret, default_url, issued_at) = sim.with_state(|s| {
        let now = s.now().timestamp();
        if let Some(app) = s.apps.get(&app_id) {
            let url = if deauthorize {
                app.deauthorize_callback_url.clone()
            } else {
                app.data_deletion_url.clone()
            };
            Ok((app.app_secret.clone(), url, now))
        } else if let Some(app) = s.ig_apps.get(&app_id) {
            let url = if deauthorize {
                app.deauthorize_callback_url.clone()
            } else {
                app.data_deletion_url.clone()
            };
            Ok((app.app_secret.clone(), url, now))
        } else {
            Err(ControlError(StatusCode::NOT_FOUND, "unknown app".into()))
        }
    })?;
    let url = url
        .or(default_url)
        .ok_or_else(|| bad_request("no url given and the app has no callback URL"))?;
    let signed_request = callbacks::signed_request(&secret, &user_id, issued_at);
    if deauthorize {
        sim.with_state(|s| callbacks::remove_app(s, &app_id, &user_id));
    }
    let answer = callbacks::post_signed_request(&url, &signed_request).await;
    let mut out = json!({ "signed_request": signed_request, "url": url });
    match answer {
        Ok((status, body)) => {
            out["status"] = json!(status);
            out["body"] = serde_json::from_str::<Value>(&body).unwrap_or(Value::String(body));
        }
        Err(error) => {
            out["status"] = Value::Null;
            out["error"] = json!(error);
        }
    }
    Ok(Json(out))
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
        json!({ "count": data.len(), "total": s.calls_total, "data": data })
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
