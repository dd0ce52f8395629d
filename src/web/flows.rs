//! Flows the platform started through the JSON API, taken to Facebook by the browser that proves
//! it belongs to their customer and user (docs/security.md O10; `domain::connect` has the rules):
//!
//! - `GET /connect/instagram/flows/{id}` (the API's `auth_url`): the consent page, naming the
//!   customer the account will belong to, for a browser signed in here as that customer and user,
//!   or bound by the platform's page; a refusal for any other browser. A GET never binds.
//! - `POST /connect/instagram/flows/{id}/bind` (`secret`, from an allow-listed platform origin,
//!   which the middleware checks): binds the popup the platform's page opened, then shows consent.
//! - `POST /connect/instagram/flows/{id}/continue` (the consent page's button): on to Facebook.

use axum::{
    extract::State,
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use tower_sessions::{cookie::Cookie, Session};

use super::{
    escape,
    page::{keep_opener, message_page, Page},
};
use crate::{
    auth::session,
    crypto::random_token,
    domain::{
        accounts::LoginKind,
        connect::{Browser, PendingFlow},
        tenant::Tenant,
        DomainError,
    },
    http::{
        limits::{client_ip, Action},
        log_server_fault, too_many_requests,
    },
    server::Services,
};

/// The cookie that carries a browser's flow binding secret once a platform page bound it.
fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-smu_flow"
    } else {
        "smu_flow"
    }
}

/// This browser's flow binding secret, if a platform page bound it.
pub fn flow_binding(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Who this browser is here: its signed-in tenant and its binding secrets.
struct BrowserProof {
    signed_in: Option<Tenant>,
    session_binding: Option<String>,
    flow_binding: Option<String>,
}

impl BrowserProof {
    async fn of(session: &Session, headers: &HeaderMap, secure: bool) -> Self {
        Self {
            signed_in: session::tenant(session).await.ok().flatten(),
            session_binding: session::oauth_binding(session).await.ok().flatten(),
            flow_binding: flow_binding(headers, secure),
        }
    }

    fn browser(&self) -> Browser<'_> {
        Browser {
            signed_in: self.signed_in.as_ref(),
            session_binding: self.session_binding.as_deref(),
            flow_binding: self.flow_binding.as_deref(),
        }
    }
}

fn refused(e: DomainError) -> Response {
    log_server_fault(&e);
    message_page(e.status(), "Instagram not connected", &e.public_message())
}

/// `GET /connect/instagram/flows/{id}`
pub async fn consent(
    State(services): State<Services>,
    session: Session,
    parts: Parts,
    axum::extract::Path(flow_id): axum::extract::Path<String>,
) -> Response {
    let proof = BrowserProof::of(&session, &parts.headers, services.config.secure_cookies()).await;
    match services
        .connect
        .pending_for(&flow_id, proof.browser())
        .await
    {
        Ok(flow) => consent_page(&services, &flow),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize)]
pub struct BindForm {
    #[serde(default)]
    secret: String,
}

/// `POST /connect/instagram/flows/{id}/bind`
pub async fn bind(
    State(services): State<Services>,
    parts: Parts,
    axum::extract::Path(flow_id): axum::extract::Path<String>,
    Form(form): Form<BindForm>,
) -> Response {
    let secure = services.config.secure_cookies();
    let ip = client_ip(&services.config.edge, &parts.headers, &parts.extensions);
    if let Err(limited) = services.limits.check(Action::Connect, ip, None) {
        return too_many_requests(limited);
    }
    let existing = flow_binding(&parts.headers, secure);
    let binding = existing.clone().unwrap_or_else(|| random_token(32));
    if let Err(e) = services
        .connect
        .bind(&flow_id, &form.secret, &binding)
        .await
    {
        return refused(e);
    }
    let mut response = Redirect::to(&format!("/connect/instagram/flows/{flow_id}")).into_response();
    if existing.is_none() {
        let cookie = Cookie::build((cookie_name(secure), binding))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(tower_sessions::cookie::SameSite::Lax)
            .max_age(tower_sessions::cookie::time::Duration::hours(1))
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    keep_opener(response.headers_mut());
    response
}

/// `POST /connect/instagram/flows/{id}/continue`
pub async fn proceed(
    State(services): State<Services>,
    session: Session,
    parts: Parts,
    axum::extract::Path(flow_id): axum::extract::Path<String>,
) -> Response {
    let proof = BrowserProof::of(&session, &parts.headers, services.config.secure_cookies()).await;
    match services
        .connect
        .continue_pending(&flow_id, proof.browser())
        .await
    {
        Ok(started) => {
            let mut response = Redirect::to(&started.auth_url).into_response();
            keep_opener(response.headers_mut());
            response
        }
        Err(e) => refused(e),
    }
}

/// Names the customer and user the account will belong to, and goes on to Facebook (or
/// Instagram) on a click.
fn consent_page(services: &Services, flow: &PendingFlow) -> Response {
    let dialog = services.config.dialog_origins();
    let platform = match flow.login {
        LoginKind::Facebook => "Facebook",
        LoginKind::Instagram => "Instagram",
    };
    let body = format!(
        r#"<h1 id="consent-title">Connect an Instagram account</h1>
<p id="consent-customer">The Instagram Business or Creator account you choose on {platform} will be connected to customer <strong>{customer}</strong>, for user <strong>{user}</strong>, who will be able to publish to it.</p>
<p class="hint">Only continue if you started this from your platform and this is you.</p>
<form method="post" action="/connect/instagram/flows/{flow}/continue"><button type="submit" id="consent-continue">Continue to {platform}</button></form>
<p><a href="/">Cancel</a></p>"#,
        customer = escape(flow.tenant.customer_id()),
        user = escape(flow.tenant.user_id()),
        flow = escape(&flow.flow_id),
    );
    Page {
        title: "Connect an Instagram account",
        body,
        form_action: Some(&dialog),
        script: None,
    }
    .render(StatusCode::OK)
}
