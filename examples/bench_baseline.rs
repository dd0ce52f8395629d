//! The benchmark's yardstick: a bare axum server that answers the same bytes as the service's page
//! and credentials API, so the service's figures can be read as a ratio of what axum alone does
//! on this machine. Used by `scripts/bench`.
//!
//! `bench_baseline <addr> <page.html> <credentials.json>`

use axum::{http::header, routing::get, Router};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, page, api] = args.as_slice() else {
        eprintln!("usage: bench_baseline <addr> <page.html> <credentials.json>");
        std::process::exit(2);
    };
    let page = std::fs::read(page).expect("page bytes");
    let api = std::fs::read(api).expect("api bytes");
    let app = Router::new()
        .route(
            "/",
            get(
                move || async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page) },
            ),
        )
        .route(
            "/api/social-media/instagram/credentials",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], api) }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    // As the service does (see server::serve).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.expect("serve");
}
