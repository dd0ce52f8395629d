//! Starting a connection from the platform's API server, and asking how it ended.

use axum::{extract::State, routing::get, Router};
use serde::{Deserialize, Serialize};

use super::caller::ApiCaller;
use crate::{
    domain::{accounts::LoginKind, connect::ReturnMode},
    dto::ConnectOutcomeView,
    http::{limits::Action, ApiError, Path, Query, Success},
    server::{AppState, Services},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/initiate", get(initiate))
        .route("/oauth/flows/{flow_id}", get(flow))
}

#[derive(Deserialize)]
pub struct InitiateQuery {
    /// `popup` (default): the callback page tells its opener and closes; `redirect`: it shows the result.
    #[serde(default)]
    mode: Option<String>,
    /// `facebook` (default): Facebook Login, through the account's Page; `instagram`: Instagram
    /// Login, for accounts without a Page.
    #[serde(default)]
    login: Option<String>,
}

/// A flow the platform started. `auth_url` opens the consent page, in a browser signed in here as
/// the same customer and user; `bind` is how the platform's own page binds the popup it opens
/// instead (README, "Connecting from the platform's page"). Only the browser that proves it
/// belongs to the flow's customer and user can finish it (docs/security.md O10).
#[derive(Serialize)]
pub struct Started {
    auth_url: String,
    flow_id: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    bind: Bind,
}

/// `POST` `secret` (form-encoded) to `url` from the platform's page, once, with the popup as the
/// form's target.
#[derive(Serialize)]
pub struct Bind {
    url: String,
    method: &'static str,
    secret: String,
}

/// `GET /api/social-media/instagram/oauth/initiate` -> `{"status":"success","auth_url":...,"flow_id":...,"bind":{...}}`
pub async fn initiate(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Query(query): Query<InitiateQuery>,
) -> Result<Success<Started>, ApiError> {
    let mode = match query.mode.as_deref() {
        None => ReturnMode::Popup,
        Some(m) => ReturnMode::parse(m)
            .ok_or_else(|| ApiError::BadRequest("mode must be popup or redirect.".into()))?,
    };
    let login = match query.login.as_deref() {
        None | Some("facebook") => LoginKind::Facebook,
        Some("instagram") => LoginKind::Instagram,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "login must be facebook or instagram.".into(),
            ))
        }
    };
    services
        .limits
        .check(Action::Connect, None, Some(&tenant))?;
    let flow = services.connect.initiate(&tenant, mode, login).await?;
    let origin = &services.config.public_origin;
    let page = format!("{origin}/connect/instagram/flows/{}", flow.flow_id);
    Ok(Success::ok(Started {
        bind: Bind {
            url: format!("{page}/bind"),
            method: "POST",
            secret: flow.secret,
        },
        auth_url: page,
        flow_id: flow.flow_id,
        expires_at: flow.expires_at,
    }))
}

#[derive(Serialize)]
pub struct FlowBody {
    flow: Flow,
}

/// How a flow stands: `pending`, or `connected`/`failed` with its outcome.
#[derive(Serialize)]
pub struct Flow {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<ConnectOutcomeView>,
}

/// `GET /api/social-media/instagram/oauth/flows/{flow_id}`: how a started flow ended (or `pending`).
pub async fn flow(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(flow_id): Path<String>,
) -> Result<Success<FlowBody>, ApiError> {
    let outcome = services.connect.outcome(&tenant, &flow_id).await?;
    let flow = match outcome {
        Some(o) => Flow {
            state: if o.ok { "connected" } else { "failed" },
            outcome: Some(o.view()),
        },
        None => Flow {
            state: "pending",
            outcome: None,
        },
    };
    Ok(Success::ok(FlowBody { flow }))
}
