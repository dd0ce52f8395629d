//! Tiny HTML helpers for the dialog: escaping and a page shell with inline CSS
//! only (no external resources, no script), as the OAuth pages must load
//! offline and under a strict CSP.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Escapes text for element content and double-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;background:#f0f2f5;color:#1c1e21}\
header.bar{background:#1877f2;color:#fff;padding:12px 24px;font-weight:700;font-size:20px}\
main{max-width:560px;margin:32px auto;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.2);padding:24px}\
h1{font-size:22px;margin:0 0 8px}\
h2{font-size:17px;margin:0 0 8px}\
p{margin:0 0 12px}\
fieldset{border:1px solid #dddfe2;border-radius:6px;margin:0 0 16px;padding:12px 16px}\
legend{font-weight:600;padding:0 4px}\
.choice{display:flex;align-items:center;gap:8px;padding:4px 0}\
.choice input{width:18px;height:18px}\
.note{color:#606770;font-size:13px}\
.actions{display:flex;gap:12px;justify-content:flex-end;margin-top:16px}\
button{font:inherit;font-weight:600;border-radius:6px;padding:8px 20px;border:1px solid transparent;cursor:pointer}\
button.primary{background:#1877f2;color:#fff}\
button.secondary{background:#e4e6eb;color:#050505}\
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f7b928;outline-offset:2px}\
.error{border-left:4px solid #fa383e;padding-left:12px}\
ul.switch{padding-left:20px;margin:4px 0 0}\
a{color:#1877f2}";

/// A complete HTML document around `body`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head>\
<body><header class=\"bar\" role=\"banner\">facebook <span class=\"note\" style=\"color:#e4e6eb\">(Graph simulator)</span></header>\
<main>{body}</main></body></html>",
        escape(title)
    )
}

/// An HTML response with headers that keep the page self-contained.
pub(crate) fn respond(status: StatusCode, document: String) -> Response {
    let mut response = (status, document).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // No form-action directive: browsers apply it to the redirect after the
    // form post, which must reach the app's redirect_uri.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The dialog's error page: shown instead of redirecting (row A).
pub(crate) fn error_page(title: &str, message: &str) -> Response {
    let body = format!(
        "<section class=\"error\" role=\"alert\"><h1>{}</h1><p>{}</p></section>",
        escape(title),
        escape(message)
    );
    respond(StatusCode::BAD_REQUEST, page(title, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
