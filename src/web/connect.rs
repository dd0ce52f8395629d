//! Starting a connection from our own page, and the page Facebook redirects back to.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::escape;
use crate::{
    auth::session,
    crypto::random_token,
    domain::connect::{CallbackParams, CallbackResult, ConnectOutcome, ReturnMode},
    http::{json_error, log_server_fault},
    server::Services,
};

/// The message type the callback page posts to its opener.
pub const MESSAGE_TYPE: &str = "instagram-connect";

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    mode: Option<String>,
}

/// `POST /connect/instagram` (a form on our page, submitted into the popup or the page itself):
/// starts a flow bound to this browser and sends it to Facebook's dialog.
pub async fn start(
    State(services): State<Services>,
    session: Session,
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
    match services.connect.start(&tenant, Some(&binding), mode).await {
        Ok(flow) => {
            let mut response = Redirect::to(&flow.auth_url).into_response();
            keep_opener(response.headers_mut());
            response
        }
        Err(e) => {
            log_server_fault(&e);
            result_page(
                e.status(),
                &services.config.public_origin,
                &ConnectOutcome {
                    ok: false,
                    message: e.public_message(),
                    hint: None,
                    usernames: vec![],
                },
                None,
            )
        }
    }
}

/// `GET /api/instagram/oauth/callback` and `/api/social-media/instagram/oauth/callback`.
pub async fn callback(
    State(services): State<Services>,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let params = CallbackParams {
        state: query.get("state").cloned(),
        code: query.get("code").cloned(),
        error: query.get("error").cloned(),
        error_reason: query.get("error_reason").cloned(),
        error_description: query.get("error_description").cloned(),
    };
    let binding = session::oauth_binding(&session).await.ok().flatten();
    let origin = &services.config.public_origin;
    match services.connect.callback(&params, binding.as_deref()).await {
        Ok(CallbackResult::Finished {
            mode: ReturnMode::Redirect,
            flow_id,
            ..
        }) => Redirect::to(&format!("/?connect_flow={flow_id}")).into_response(),
        Ok(CallbackResult::Finished {
            mode: ReturnMode::Popup,
            flow_id,
            outcome,
        }) => result_page(StatusCode::OK, origin, &outcome, Some(&flow_id)),
        Ok(CallbackResult::Rejected { message }) => result_page(
            StatusCode::BAD_REQUEST,
            origin,
            &ConnectOutcome {
                ok: false,
                message,
                hint: None,
                usernames: vec![],
            },
            None,
        ),
        Err(e) => {
            log_server_fault(&e);
            result_page(
                e.status(),
                origin,
                &ConnectOutcome {
                    ok: false,
                    message: e.public_message(),
                    hint: Some("Try again in a moment.".into()),
                    usernames: vec![],
                },
                None,
            )
        }
    }
}

/// The small page that ends a flow. In a popup it tells its opener (exact origin, never `*`, never
/// a token) and closes; opened on its own it shows the result and a way back. It loads nothing,
/// sends no referrer and removes `code`/`state` from the address bar (docs/security.md O7, P1).
fn result_page(
    status: StatusCode,
    origin: &str,
    outcome: &ConnectOutcome,
    flow_id: Option<&str>,
) -> Response {
    let nonce = random_token(16);
    let title = if outcome.ok {
        "Instagram connected"
    } else {
        "Instagram not connected"
    };
    let hint = outcome
        .hint
        .as_deref()
        .map(|h| format!("<p class=\"hint\">{}</p>", escape(h)))
        .unwrap_or_default();
    let message = serde_json::json!({
        "type": MESSAGE_TYPE,
        "status": if outcome.ok { "success" } else { "error" },
        "flow_id": flow_id,
    });
    // JSON in a script: `<` is escaped so no string can close the script element.
    let message_js = message.to_string().replace('<', "\\u003c");
    let origin_js = serde_json::to_string(origin)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let body = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style nonce="{nonce}">body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328}}
h1{{font-size:1.3rem}}.ok{{color:#1a7f37}}.error{{color:#b42318}}.hint{{color:#57606a}}a{{color:#0969da}}</style></head>
<body><main><h1 class="{class}" id="result-title">{title}</h1><p id="result-message">{message}</p>{hint}
<p><a href="/">Back to Social Platform</a></p></main>
<script nonce="{nonce}">
history.replaceState(null, "", location.pathname);
if (window.opener && !window.opener.closed) {{
  window.opener.postMessage({message_js}, {origin_js});
  window.close();
}}
</script></body></html>"#,
        class = if outcome.ok { "ok" } else { "error" },
        message = escape(&outcome.message),
    );
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    );
    let mut response = (status, Html(body)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    keep_opener(h);
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// The popup passes through Facebook (no COOP, or its own) and back. A COOP other than
/// `unsafe-none` on our pages in that chain would move the popup to a new browsing context group
/// and cut `window.opener` (docs/security.md P3), so these two responses opt out.
fn keep_opener(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        axum::http::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("unsafe-none"),
    );
}
