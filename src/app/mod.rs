//! The Social Platform page: rendered on the server, hydrated in the browser. Every page works
//! before the wasm arrives (plain forms and links); hydration adds the popup, live counters and
//! in-place updates. Server functions sit next to the components that call them and reach the same
//! domain services as the JSON API.

mod accounts;
mod components;
mod compose;
mod history;
mod layout;
pub(crate) mod library;
#[cfg(feature = "ssr")]
mod server;
mod signin;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    SsrMode, StaticSegment,
};

use crate::dto::SessionInfo;

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/social-media-uploader.css"/>
        <Title text="Social Platform"/>
        <Router>
            <layout::Layout>
                <Routes fallback=|| view! { <layout::NotFound/> }>
                    <Route path=StaticSegment("") view=accounts::AccountsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("compose") view=compose::ComposePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("history") view=history::HistoryPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("media") view=library::MediaPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("signin") view=signin::SignInPage ssr=SsrMode::Async/>
                </Routes>
            </layout::Layout>
        </Router>
    }
}

/// Who is signed in, and whether connecting can work here.
#[server(prefix = "/app/fn", endpoint = "session_info")]
pub async fn get_session_info() -> Result<SessionInfo, ServerFnError> {
    server::session_info().await
}

/// The session, loaded once per page and shared through context.
pub type SessionResource = Resource<Result<SessionInfo, ServerFnError>>;

/// Reads a page's data for a signed-in person only: anyone else sees the sign-in prompt, and
/// nothing is read for them. Pages make their resources once, outside the `Suspense` that chooses
/// between the two, because it renders its children more than once while resources load (three
/// times on the server): a resource made in there would be read, and sent to the browser, each
/// time.
pub async fn when_signed_in<T>(
    session: SessionResource,
    read: impl std::future::Future<Output = Result<T, ServerFnError>>,
) -> Result<T, ServerFnError> {
    match session.await {
        Ok(info) if info.signed_in.is_some() => read.await,
        Ok(_) => Err(ServerFnError::new("Sign in to continue.")),
        Err(e) => Err(e),
    }
}

/// A server function error in the words its server side chose.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(message) => message.clone(),
        ServerFnError::Request(_) => {
            "The service could not be reached. Check your connection and try again.".into()
        }
        other => other.to_string(),
    }
}
