//! Browser endpoints that are not Leptos pages: the JWT hand-off and sign-out, starting a
//! connection from our page, finishing one the platform started, and the OAuth callback page.

pub mod connect;
pub mod files;
pub mod flows;
pub mod meta;
mod page;
pub mod session;

use axum::{
    routing::{get, post},
    Router,
};

use crate::server::AppState;

/// The callback path the seed documents, its twin under the API prefix, and Instagram Login's
/// own (the flow's state says which login it was; each callback finishes only its own).
pub const CALLBACK_PATHS: [&str; 3] = [
    "/api/instagram/oauth/callback",
    "/api/social-media/instagram/oauth/callback",
    crate::config::INSTAGRAM_LOGIN_CALLBACK_PATH,
];

pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/auth/session", post(session::hand_off))
        .route("/auth/signout", post(session::sign_out))
        .route("/connect/instagram", post(connect::start))
        .route("/connect/instagram/flows/{flow_id}", get(flows::consent))
        .route("/connect/instagram/flows/{flow_id}/bind", post(flows::bind))
        .route(
            "/connect/instagram/flows/{flow_id}/continue",
            post(flows::proceed),
        );
    for path in CALLBACK_PATHS {
        router = router.route(path, get(connect::callback));
    }
    router
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
