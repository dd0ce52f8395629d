//! The small stand-alone pages of the connect flow (consent, refusals, the result): no Leptos, no
//! third-party resource, a per-response nonce for their one style (and script), no referrer, and
//! no COOP that would cut the popup from the page that opened it (docs/security.md O7, P3).

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
};

use super::escape;
use crate::crypto::random_token;

/// A page's content: its title, its body (already HTML), where its forms may go, and a script.
pub struct Page<'a> {
    pub title: &'a str,
    pub body: String,
    /// Origins a form on the page may submit to (and be redirected to), beyond our own.
    pub form_action: Option<&'a str>,
    /// JavaScript run at the end of the body, under the page's nonce.
    pub script: Option<String>,
}

impl Page<'_> {
    pub fn render(self, status: StatusCode) -> Response {
        let nonce = random_token(16);
        let script = self
            .script
            .map(|js| format!("<script nonce=\"{nonce}\">{js}</script>"))
            .unwrap_or_default();
        let html = format!(
            r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style nonce="{nonce}">body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328}}
h1{{font-size:1.3rem}}.ok{{color:#1a7f37}}.error{{color:#b42318}}.hint{{color:#57606a}}a{{color:#0969da}}
button{{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid #1f6feb;background:#1f6feb;color:#fff;cursor:pointer}}</style></head>
<body><main>{body}</main>{script}</body></html>"#,
            title = escape(self.title),
            body = self.body,
        );
        let form_action = match self.form_action {
            Some(extra) => format!("'self' {extra}"),
            None => "'none'".to_string(),
        };
        let csp = format!(
            "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; base-uri 'none'; \
             frame-ancestors 'none'; form-action {form_action}"
        );
        let mut response = (status, Html(html)).into_response();
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
}

/// A page that only says something: a refusal, or why a step failed.
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    Page {
        title,
        body: format!(
            "<h1 class=\"error\">{}</h1><p id=\"result-message\">{}</p>",
            escape(title),
            escape(message)
        ),
        form_action: None,
        script: None,
    }
    .render(status)
}

/// The popup passes through Facebook (no COOP, or its own) and back, and may have been opened by
/// the platform's page on another origin. A COOP other than `unsafe-none` on our pages in that
/// chain would move the popup to a new browsing context group and cut `window.opener`
/// (docs/security.md P3), so these pages opt out.
pub fn keep_opener(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        axum::http::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("unsafe-none"),
    );
}
