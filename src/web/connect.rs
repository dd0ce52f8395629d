//! Starting a connection from our own page, and the page Facebook redirects back to.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    escape, flows,
    page::{keep_opener, Page},
};
use crate::{
    auth::session,
    domain::{
        accounts::LoginKind,
        connect::{CallbackParams, CallbackResult, ConnectOutcome, ReturnMode},
        tenant::Tenant,
    },
    http::{
        json_error,
        limits::{client_ip, Action},
        log_server_fault, too_many_requests,
    },
    server::Services,
};

/// The message type the callback page posts to its opener.
pub const MESSAGE_TYPE: &str = "instagram-connect";

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    mode: Option<String>,
    /// `facebook` (default) or `instagram`: which login's dialog to open.
    #[serde(default)]
    login: Option<String>,
}

/// `POST /connect/instagram` (a form on our page, submitted into the popup or the page itself):
/// starts a flow bound to this browser's session and sends it to Facebook's dialog.
pub async fn start(
    State(services): State<Services>,
    session: Session,
    parts: Parts,
    form: Form<StartForm>,
) -> Response {
    let mode = match form.mode.as_deref() {
        Some("redirect") => ReturnMode::Redirect,
        _ => ReturnMode::Popup,
    };
    let (tenant, binding) = match (
        session::tenant(&session).await,
        session::oauth_binding(&session).await,
    ) {
        (Ok(Some(t)), Ok(Some(b))) => (t, b),
        (Ok(_), Ok(_)) => return Redirect::to("/signin").into_response(),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "session unavailable");
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sessions are unavailable; try again.",
            );
        }
    };
    let ip = client_ip(&services.config.edge, &parts.headers, &parts.extensions);
    if let Err(limited) = services.limits.check(Action::Connect, ip, Some(&tenant)) {
        return too_many_requests(limited);
    }
    let login = LoginKind::parse(form.login.as_deref());
    match services.connect.start(&tenant, &binding, mode, login).await {
        Ok(flow) => {
            let mut response = Redirect::to(&flow.auth_url).into_response();
            keep_opener(response.headers_mut());
            response
        }
        Err(e) => {
            log_server_fault(&e);
            let outcome = ConnectOutcome::failed(&e.public_message(), "");
            result_page(e.status(), &services, &outcome, None, None)
        }
    }
}

/// `GET /api/instagram/oauth/callback` and `/api/social-media/instagram/oauth/callback`. Only the
/// browser that went to Facebook (its session's or its flow cookie's binding secret) can finish.
pub async fn callback(
    State(services): State<Services>,
    session: Session,
    parts: Parts,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let params = CallbackParams {
        state: query.get("state").cloned(),
        code: query.get("code").cloned(),
        error: query.get("error").cloned(),
        error_reason: query.get("error_reason").cloned(),
        error_description: query.get("error_description").cloned(),
        error_code: query.get("error_code").cloned(),
        error_message: query.get("error_message").cloned(),
    };
    let session_binding = session::oauth_binding(&session).await.ok().flatten();
    let flow_binding = flows::flow_binding(&parts.headers, services.config.secure_cookies());
    let bindings: Vec<&str> = [session_binding.as_deref(), flow_binding.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    match services.connect.callback(&params, &bindings).await {
        Ok(CallbackResult::Finished {
            mode: ReturnMode::Redirect,
            flow_id,
            ..
        }) => Redirect::to(&format!("/?connect_flow={flow_id}")).into_response(),
        Ok(CallbackResult::Finished {
            mode: ReturnMode::Popup,
            flow_id,
            tenant,
            outcome,
        }) => result_page(
            StatusCode::OK,
            &services,
            &outcome,
            Some(&flow_id),
            Some(&tenant),
        ),
        Ok(CallbackResult::Rejected { message }) => {
            let outcome = ConnectOutcome::failed(&message, "");
            result_page(StatusCode::BAD_REQUEST, &services, &outcome, None, None)
        }
        Err(e) => {
            log_server_fault(&e);
            let outcome = ConnectOutcome::failed(&e.public_message(), "Try again in a moment.");
            result_page(e.status(), &services, &outcome, None, None)
        }
    }
}

/// The small page that ends a flow and names the customer the accounts now belong to. In a popup
/// it tells its opener, our page or the platform's (each exact origin, never `*`, never a token),
/// and closes; opened on its own it shows the result and a way back. It removes `code`/`state`
/// from the address bar (docs/security.md O7, P1).
fn result_page(
    status: StatusCode,
    services: &Services,
    outcome: &ConnectOutcome,
    flow_id: Option<&str>,
    tenant: Option<&Tenant>,
) -> Response {
    let title = if outcome.ok {
        "Instagram connected"
    } else {
        "Instagram not connected"
    };
    let hint = outcome
        .hint
        .as_deref()
        .filter(|h| !h.is_empty())
        .map(|h| format!("<p class=\"hint\">{}</p>", escape(h)))
        .unwrap_or_default();
    let owner = tenant
        .map(|t| {
            format!(
                "<p id=\"result-customer\">For customer <strong>{}</strong> (user {}).</p>",
                escape(t.customer_id()),
                escape(t.user_id())
            )
        })
        .unwrap_or_default();
    let message = serde_json::json!({
        "type": MESSAGE_TYPE,
        "status": if outcome.ok { "success" } else { "error" },
        "flow_id": flow_id,
    });
    let config = &services.config;
    let mut targets = vec![config.public_origin.clone()];
    targets.extend(config.edge.platform_origins.iter().cloned());
    // JSON in a script: `<` is escaped so no string can close the script element.
    let js = |value: String| value.replace('<', "\\u003c");
    let script = format!(
        r#"history.replaceState(null, "", location.pathname);
if (window.opener && !window.opener.closed) {{
  for (const origin of {targets}) {{ window.opener.postMessage({message}, origin); }}
  window.close();
}}"#,
        targets = js(serde_json::to_string(&targets).unwrap_or_default()),
        message = js(message.to_string()),
    );
    Page {
        title,
        body: format!(
            "<h1 class=\"{class}\" id=\"result-title\">{title}</h1><p id=\"result-message\">{message}</p>{owner}{hint}\n<p><a href=\"/\">Back to Social Platform</a></p>",
            class = if outcome.ok { "ok" } else { "error" },
            message = escape(&outcome.message),
        ),
        form_action: None,
        script: Some(script),
    }
    .render(status)
}
