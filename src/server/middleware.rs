//! The layers every response goes through: request ids and tracing without secrets, security
//! headers, a guard against cross-site state changes, and dev-host canonicalisation.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_http::trace::{MakeSpan, OnResponse};
use tracing::Span;

use super::Services;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a random prefix per process and a counter. Unique across processes and restarts
/// for log correlation, without a system call per request (a UUID per request showed in profiles).
#[derive(Clone)]
pub struct RequestIds {
    prefix: std::sync::Arc<str>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    pub fn new() -> Self {
        Self {
            prefix: crate::crypto::random_token(6).into(),
            next: Default::default(),
        }
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(
        &mut self,
        _request: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// Query parameters that carry secrets and never reach a log line (docs/security.md L2).
const SECRET_PARAMS: [&str; 8] = [
    "code",
    "state",
    "access_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "appsecret_proof",
    "token",
];

/// The path and query of a URI with secret parameter values replaced by `[redacted]`.
pub fn redacted_uri(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_string();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_PARAMS.contains(&k) => format!("{k}=[redacted]"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{}?{}", uri.path(), redacted.join("&"))
}

/// One span per request, carrying its id, so every log line of the request has it.
#[derive(Clone)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &axum::http::Request<B>) -> Span {
        let id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", id, method = %request.method(), uri = %redacted_uri(request.uri()))
    }
}

#[derive(Clone)]
pub struct ResponseLog;

impl<B> OnResponse<B> for ResponseLog {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        let status = response.status().as_u16();
        // Whole microseconds: a float of milliseconds logs as 0.5584210000000001.
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        if status >= 500 {
            tracing::error!(status, us, "response");
        } else {
            tracing::info!(status, us, "response");
        }
    }
}

/// The page's policy: our own scripts (with this response's nonce) and wasm; images from https
/// (Instagram's CDN) and the simulator in demo; forms may go to Facebook's dialog.
pub fn page_csp(nonce: &str, extra_img: &str, dialog_origin: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' https: data: {extra_img}; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self' {dialog_origin}"
    )
}

/// Headers every response gets unless its handler set its own, layer-made answers (timeouts,
/// panics, oversized bodies) included: this layer is the outermost. Nothing but the static assets
/// may be stored by a cache: pages and API answers are a signed-in person's own.
pub async fn security_headers(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    let cacheable = is_static_asset(request.uri().path());
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let defaults: [(HeaderName, &str); 6] = [
        // JSON and other non-page responses load nothing at all.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Lets our OAuth popup talk to its opener, unlike `same-origin` (docs/security.md P3).
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin-allow-popups",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if services.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// The hydration bundle, styles and icons: the same for everyone.
fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

/// Browser routes a page of the platform (an allow-listed origin, `PLATFORM_ORIGINS`) may post to
/// from its own site: the JWT hand-off, and binding a connect flow to the popup it opens.
fn platform_may_post(path: &str) -> bool {
    path == "/auth/session"
        || (path.starts_with("/connect/instagram/flows/") && path.ends_with("/bind"))
}

/// Refuses cookie-authenticated state changes that come from another site (docs/security.md B2,
/// B4): the browser says where a request comes from in `Sec-Fetch-Site` or `Origin`. Only the
/// platform's own origins may post cross-site, and only to [`platform_may_post`] routes. An
/// `Authorization` header changes nothing here: these routes act on the cookie.
pub async fn same_origin_writes(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let config = &services.config;
    let allowed = match cross_site_origin(&request, &config.public_origin) {
        None => true,
        Some(origin) => {
            platform_may_post(request.uri().path())
                && origin.is_some_and(|o| config.edge.platform_origins.iter().any(|p| p == o))
        }
    };
    if safe || allowed {
        return next.run(request).await;
    }
    tracing::warn!(target: "security", uri = %redacted_uri(request.uri()), "cross-site state change refused");
    crate::http::json_error(
        StatusCode::FORBIDDEN,
        "Cross-site requests may not change anything.",
    )
}

/// `None` when the request comes from our own origin (or from no browser at all: browsers send
/// `Origin` on every cross-site POST); otherwise `Some` with the `Origin` it names, if any.
fn cross_site_origin<'r>(request: &'r Request, public_origin: &str) -> Option<Option<&'r str>> {
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let same = match (site, origin) {
        (Some(site), _) => matches!(site, "same-origin" | "none"),
        (None, Some(origin)) => origin == public_origin,
        (None, None) => true,
    };
    (!same).then_some(origin)
}

/// Server functions that fail in a browser without JavaScript send it back with the error in the
/// URL (`__err`, `__path`), and Leptos would show whatever text such a URL carries: a crafted link
/// could put "call this number" on our page (docs/security.md U1). Page loads drop both parameters
/// (a redirect to the same page without them); the page shows the server's own words, kept for
/// this browser in its session (`app::flash`).
pub async fn drop_url_errors(request: Request, next: Next) -> Response {
    let Some(query) = request.uri().query() else {
        return next.run(request).await;
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
            key != "__err" && key != "__path"
        })
        .collect();
    if request.method() != Method::GET || kept.len() == query.split('&').count() {
        return next.run(request).await;
    }
    let path = request.uri().path();
    let target = match kept.is_empty() {
        true => path.to_string(),
        false => format!("{path}?{}", kept.join("&")),
    };
    Redirect::to(&target).into_response()
}

/// In development the same server answers on localhost and 127.0.0.1, but cookies and the popup's
/// `postMessage` target belong to one of them: page loads on the other host are sent to the
/// configured one, so the connect flow works whichever address was typed.
pub async fn canonical_dev_host(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    let public = &services.config.redirect_uri;
    let wants_page = request.method() == Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (host_name, port) = host.rsplit_once(':').unwrap_or((host, ""));
    let public_host = public.host_str().unwrap_or("");
    let same_port = public
        .port_or_known_default()
        .map(|p| p.to_string())
        .as_deref()
        == Some(port);
    if wants_page
        && same_port
        && is_loopback(host_name)
        && is_loopback(public_host)
        && host_name != public_host
    {
        let target = format!("{}{}", services.config.public_origin, request.uri());
        return Redirect::temporary(&target).into_response();
    }
    next.run(request).await
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// A body that is not allowed to be larger than this many bytes gets a JSON 413.
pub async fn json_413(request: Request<Body>, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return crate::http::json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_platform_routes_may_be_posted_cross_site() {
        assert!(platform_may_post("/auth/session"));
        assert!(platform_may_post("/connect/instagram/flows/abc/bind"));
        for path in [
            "/auth/signout",
            "/connect/instagram",
            "/connect/instagram/flows/abc/continue",
            "/app/fn/create_post",
            "/auth/session/x",
        ] {
            assert!(!platform_may_post(path), "{path}");
        }
    }

    #[test]
    fn secrets_are_redacted_from_logged_uris() {
        let uri: axum::http::Uri =
            "/api/instagram/oauth/callback?code=AQB-secret&state=s3cret&error_reason=user_denied"
                .parse()
                .unwrap();
        let logged = redacted_uri(&uri);
        assert_eq!(logged, "/api/instagram/oauth/callback?code=[redacted]&state=[redacted]&error_reason=user_denied");
        assert_eq!(redacted_uri(&"/healthz".parse().unwrap()), "/healthz");
    }
}
