//! Health and readiness, as an orchestrator sees them.

use serde_json::json;

use crate::{
    on_both_stores,
    support::{json, Backend, TestApp},
};

async fn healthz_and_readyz_answer_when_storage_is_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = json(app.http.get(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = json(app.http.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["storage"],
        if backend == Backend::Mongo {
            "mongodb"
        } else {
            "embedded"
        }
    );
}

on_both_stores!(healthz_and_readyz_answer_when_storage_is_up);

#[tokio::test]
async fn readyz_says_503_with_a_reason_when_mongodb_is_unreachable() {
    use crate::support::{mongo_uri, Store};
    // A TCP relay to the real server: cutting it makes MongoDB unreachable for this service only.
    let upstream = mongo_uri()
        .trim_start_matches("mongodb://")
        .trim_end_matches('/')
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let relay = Relay::start(upstream).await;
    let database = format!(
        "test_ready_{}",
        social_media_uploader::crypto::random_token(6).replace(['-', '_'], "x")
    );
    let uri = format!(
        "mongodb://{}/?serverSelectionTimeoutMS=1500&directConnection=true",
        relay.addr
    );
    let store = Store::Mongo {
        uri: uri.clone(),
        database: database.clone(),
    };
    let app = TestApp::spawn_with_store(store).await;
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    relay.cut();
    let (status, body) = json(app.http.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "error");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Storage is unreachable"),
        "{body}"
    );
    // Liveness is not readiness: the process is still up.
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Forwards TCP to `upstream` until cut.
struct Relay {
    addr: std::net::SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, cut) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut accept_cut = cut.clone();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { return };
                        let upstream = upstream.clone();
                        let mut conn_cut = cut.clone();
                        tokio::spawn(async move {
                            let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = conn_cut.wait_for(|c| *c) => {}
                            }
                        });
                    }
                    _ = accept_cut.wait_for(|c| *c) => return,
                }
            }
        });
        Self { addr, stop }
    }

    fn cut(&self) {
        let _ = self.stop.send(true);
    }
}
