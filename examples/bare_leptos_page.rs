//! The page benchmark's yardstick: a bare Leptos 0.8 page of the same shape as the signed-in
//! accounts page (a layout, one resource under `Suspense`, two account cards, rendered by
//! leptos_axum with the same hydration scripts, over TCP_NODELAY), so the service's pages can be
//! read as a ratio of what the framework alone does on this machine. Used by `scripts/bench`.
//!
//! `bare_leptos_page <addr>`

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_router::{
    components::{Route, Router as Routes_, Routes},
    path,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Card {
    username: String,
    name: String,
    page: String,
    state: String,
}

fn cards() -> Vec<Card> {
    ["demo.cafe", "demo.bakery"]
        .iter()
        .map(|u| Card {
            username: (*u).into(),
            name: format!("The {u} account"),
            page: format!("{u} Facebook Page"),
            state: "active".into(),
        })
        .collect()
}

fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <link rel="stylesheet" href="/pkg/app.css"/>
                <title>"Social Platform"</title>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Routes_>
            <header class="topbar">
                <nav>
                    <a href="/">"Accounts"</a>
                    <a href="/compose">"Compose"</a>
                    <a href="/history">"History"</a>
                    <a href="/media">"Media"</a>
                </nav>
            </header>
            <main class="container">
                <Routes fallback=|| "Not found.">
                    <Route path=path!("/") view=Accounts/>
                </Routes>
            </main>
            <footer class="muted small">"Instagram publishing for the platform's customers."</footer>
        </Routes_>
    }
}

#[component]
fn Accounts() -> impl IntoView {
    let list = Resource::new(|| (), |_| async { Ok::<_, ServerFnError>(cards()) });
    view! {
        <section class="page-head">
            <h1>"Instagram accounts"</h1>
            <p class="muted">"Connect the Instagram Business or Creator accounts you publish to."</p>
            <form method="post" action="/connect"><button class="button primary">"Connect Instagram Account"</button></form>
        </section>
        <Suspense fallback=|| view! { <p>"Loading accounts…"</p> }>
            {move || list.get().map(|r| match r {
                Ok(cards) => view! {
                    <ul class="accounts">
                        {cards.into_iter().map(|c| view! { <AccountCard card=c/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="alert error">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn AccountCard(card: Card) -> impl IntoView {
    view! {
        <li class="card account">
            <img src="/avatar.png" alt="" width="48" height="48"/>
            <div>
                <h2>"@" {card.username.clone()}</h2>
                <p>{card.name}</p>
                <p class="muted small">"Facebook Page: " {card.page}</p>
                <span class="badge ok">{card.state}</span>
            </div>
            <form method="post" action="/disconnect">
                <input type="hidden" name="id" value=card.username/>
                <button class="button ghost small">"Disconnect"</button>
            </form>
        </li>
    }
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .expect("usage: bare_leptos_page <addr>");
    let options = LeptosOptions::builder()
        .output_name("bare")
        .site_addr(addr.parse::<std::net::SocketAddr>().expect("addr"))
        .build();
    let routes = generate_route_list(App);
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    // As the service does (see server::serve).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.expect("serve");
}
