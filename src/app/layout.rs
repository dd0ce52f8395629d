//! The frame of every page: header, navigation, who is signed in, the demo banner.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use super::{compose::CreatePost, error_text, get_session_info, SessionResource};
use crate::dto::SessionInfo;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Refetched on every navigation, so signing in or out shows at once.
    let path = use_location().pathname;
    let session: SessionResource = Resource::new(move || path.get(), |_| get_session_info());
    provide_context(session);
    view! {
        <Suspense fallback=|| ()>
            {move || session.get().map(|s| view! { <Header session=s/> })}
        </Suspense>
        <main class="container">{children()}</main>
        <footer class="footer container">
            "Social Platform · publishing to Instagram Business and Creator accounts"
        </footer>
    }
}

#[component]
fn Header(session: Result<SessionInfo, ServerFnError>) -> impl IntoView {
    let (demo, user) = match &session {
        Ok(s) => (s.demo, s.signed_in.clone()),
        Err(_) => (false, None),
    };
    // A refusal kept for this browser after a plain form post; the composer shows its own.
    let flash = session
        .as_ref()
        .ok()
        .and_then(|s| s.flash.clone())
        .filter(|f| f.action != <CreatePost as leptos::server_fn::ServerFn>::PATH);
    let load_error = session.as_ref().err().map(error_text);
    view! {
        {demo.then(|| view! {
            <div class="demo-banner" role="status" data-testid="demo-banner">
                <strong>"Demo mode"</strong>
                " · anyone may sign in as any customer: accounts come from the built-in Graph simulator and data stays on this machine."
            </div>
        })}
        <header class="topbar">
            <div class="container topbar-inner">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◎"</span>
                    "Social Platform"
                </A>
                <nav class="nav" aria-label="Main">
                    <A href="/" exact=true>"Accounts"</A>
                    <A href="/compose">"Compose"</A>
                    <A href="/history">"History"</A>
                    <A href="/media">"Media"</A>
                </nav>
                <div class="who">
                    {match user {
                        Some(u) => view! {
                            <span class="who-name" data-testid="signed-in-as">
                                {u.user_id.clone()} <span class="muted">" · " {u.customer_id.clone()}</span>
                            </span>
                            <form method="post" action="/auth/signout" class="inline">
                                <button type="submit" class="button ghost small">"Sign out"</button>
                            </form>
                        }.into_any(),
                        None if demo => view! { <A href="/signin" attr:class="button small">"Sign in"</A> }.into_any(),
                        None => view! { <span class="muted">"Not signed in"</span> }.into_any(),
                    }}
                </div>
            </div>
        </header>
        {load_error.map(|e| view! { <div class="container"><p class="alert error">{e}</p></div> })}
        {flash.map(|f| view! { <div class="container"><p class="alert error" role="alert" data-testid="flash">{f.message}</p></div> })}
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card empty">
            <h1>"Page not found"</h1>
            <p><A href="/">"Back to your accounts"</A></p>
        </section>
    }
}

/// Shown where a page needs a signed-in person.
#[component]
pub fn SignInPrompt(demo: bool) -> impl IntoView {
    view! {
        <section class="card empty" data-testid="signin-prompt">
            <h1>"Sign in to manage Instagram"</h1>
            {if demo {
                view! {
                    <p>"This demo lets you sign in as any customer and user."</p>
                    <p><A href="/signin" attr:class="button">"Sign in"</A></p>
                }.into_any()
            } else {
                view! {
                    <p>"Open this page from the platform: it signs you in here automatically."</p>
                }.into_any()
            }}
        </section>
    }
}
