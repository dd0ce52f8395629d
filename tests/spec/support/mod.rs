//! The test harness: each test gets its own service on a random port, its own Graph simulator
//! over real HTTP, and its own store (a temporary SQLite directory, or a fresh database on the
//! FerretDB server the test command started, dropped afterwards).

pub mod flows;
pub mod logs;
pub mod media;
pub mod process;
pub mod publishing;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

use graph_sim::{self as sim, SimApp, SimInstagramApp};
use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::{redirect::Policy, Client, Response};
use serde_json::{json, Value};
use social_media_uploader::{
    config::{Config, S3Config, Vars, DEFAULT_S3_REGION},
    server::{self, Running},
    storage::Storage,
};

pub const JWT_SECRET: &str = "test-signing-secret-0123456789abcdef-0123456789";
pub const JWT_ISSUER: &str = "https://platform.test";
pub const JWT_AUDIENCE: &str = "social-media-uploader";
pub const APP_ID: &str = "424242424242";
pub const APP_SECRET: &str = "app-secret-canary-7f3a9c";
/// Instagram Login's own app (the simulator's `/_sim/instagram_apps`).
pub const IG_APP_ID: &str = "737373737373";
pub const IG_APP_SECRET: &str = "ig-app-secret-canary-5d1e";
pub const IG_CALLBACK_PATH: &str = "/api/social-media/instagram/oauth/instagram/callback";
pub const TOKEN_KEY: &str = "q4t7w9z$C&F)J@NcRfUjXn2r5u8x/A?D"; // 32 bytes, base64-encoded below

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Mongo,
}

/// Generates one test per backend from an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Embedded).await
                }
            )*
        }
        mod mongo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Mongo).await
                }
            )*
        }
    };
}

/// Where a test's data lives; removed when the test ends, pass or fail.
pub enum Store {
    Embedded(PathBuf),
    Mongo { uri: String, database: String },
}

impl Store {
    pub fn new(backend: Backend) -> Self {
        let suffix = social_media_uploader::crypto::random_token(9).replace(['-', '_'], "x");
        match backend {
            Backend::Embedded => {
                let dir = std::env::temp_dir().join(format!("smu-test-{suffix}"));
                std::fs::create_dir_all(&dir).unwrap();
                Store::Embedded(dir)
            }
            Backend::Mongo => Store::Mongo {
                uri: mongo_uri(),
                database: format!("test_{suffix}"),
            },
        }
    }

    pub fn vars(&self) -> Vec<(String, String)> {
        match self {
            Store::Embedded(dir) => vec![("DATA_DIR".into(), dir.to_string_lossy().into())],
            Store::Mongo { uri, database } => vec![
                ("MONGODB_URI".into(), uri.clone()),
                ("MONGODB_DATABASE".into(), database.clone()),
                (
                    "DATA_DIR".into(),
                    std::env::temp_dir().to_string_lossy().into(),
                ),
            ],
        }
    }

    pub async fn open(&self) -> Storage {
        match self {
            Store::Embedded(dir) => Storage::embedded(dir).await.unwrap(),
            Store::Mongo { uri, database } => Storage::mongo(uri, database).await.unwrap(),
        }
    }
}

/// A MongoDB run without a server is a failure, never a silent skip.
pub fn mongo_uri() -> String {
    std::env::var("MONGODB_TEST_URI").expect(
        "MONGODB_TEST_URI is not set. The MongoDB half of the suite needs a server: run the tests with \
         `scripts/test`, which starts FerretDB, or point MONGODB_TEST_URI at a MongoDB or FerretDB server.",
    )
}

/// S3 settings for one test: the S3-compatible server the test command started (s3s-fs, see
/// `start_s3` in scripts/common.sh), under a prefix of the test's own so tests and runs never
/// meet (the server's directory goes when it stops). Without the server a failure, never a skip.
pub fn s3_test_config() -> S3Config {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set. The S3 half of the media tests needs an S3-compatible server: run the \
                 tests with `scripts/test`, which starts s3s-fs, or `source scripts/common.sh && start_s3` \
                 (it sets S3_TEST_ENDPOINT, S3_TEST_BUCKET, S3_TEST_ACCESS_KEY_ID and S3_TEST_SECRET_ACCESS_KEY)."
            )
        })
    };
    let endpoint = var("S3_TEST_ENDPOINT");
    S3Config {
        endpoint: Some(url::Url::parse(&endpoint).expect("S3_TEST_ENDPOINT is a URL")),
        bucket: var("S3_TEST_BUCKET"),
        region: DEFAULT_S3_REGION.into(),
        access_key_id: var("S3_TEST_ACCESS_KEY_ID").into(),
        secret_access_key: var("S3_TEST_SECRET_ACCESS_KEY").into(),
        prefix: Some(unique("test")),
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        match self {
            Store::Embedded(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Store::Mongo { uri, database } => {
                let (uri, database) = (uri.clone(), database.clone());
                // Drop runs outside async code: a short-lived runtime on its own thread drops the database.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async move {
                        if let Ok(client) = mongodb::Client::with_uri_str(&uri).await {
                            let _ = client.database(&database).drop().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// One running service with its simulator.
pub struct TestApp {
    pub base: String,
    pub sim_base: String,
    pub redirect_uri: String,
    pub running: Running,
    pub store: Store,
    pub http: Client,
}

pub struct Options {
    pub app_configured: bool,
    pub extra: Vec<(&'static str, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            app_configured: true,
            extra: vec![],
        }
    }
}

pub fn token_key_b64() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(TOKEN_KEY.as_bytes())
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> Self {
        Self::spawn_on(Store::new(backend), options).await
    }

    /// On a store the test prepared itself.
    pub async fn spawn_with_store(store: Store) -> Self {
        Self::spawn_on(store, Options::default()).await
    }

    /// On a store the test prepared itself, with options.
    pub async fn spawn_with_store_and(store: Store, options: Options) -> Self {
        Self::spawn_on(store, options).await
    }

    async fn spawn_on(store: Store, options: Options) -> Self {
        logs::init();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (sim, sim_addr) = sim::spawn_new("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let base = format!("http://{addr}");
        let sim_base = format!("http://{sim_addr}");
        let redirect_uri = format!("{base}/api/instagram/oauth/callback");
        sim.register_app(SimApp {
            app_id: APP_ID.into(),
            app_secret: APP_SECRET.into(),
            redirect_uris: vec![redirect_uri.clone()],
            require_appsecret_proof: true,
        });
        sim.register_instagram_app(SimInstagramApp {
            app_id: IG_APP_ID.into(),
            app_secret: IG_APP_SECRET.into(),
            redirect_uris: vec![format!("{base}{IG_CALLBACK_PATH}")],
        });
        let config = config(&store, &redirect_uri, &sim_base, &options);
        let storage = server::open_storage(&config).await.unwrap();
        let services = server::services(config, storage).unwrap();
        let running = server::serve(listener, leptos_options(addr), services)
            .await
            .unwrap();
        Self {
            base,
            sim_base,
            redirect_uri,
            running,
            store,
            http: client().build().unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn sim_url(&self, path: &str) -> String {
        format!("{}{path}", self.sim_base)
    }

    pub fn storage(&self) -> &Storage {
        &self.running.services.storage
    }

    /// A GET with the tenant's JWT.
    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// A browser: keeps cookies, does not follow redirects (tests look at each hop).
    pub fn browser(&self) -> Client {
        client().cookie_store(true).build().unwrap()
    }

    /// A browser signed in as the tenant through the JWT hand-off.
    pub async fn signed_in_browser(&self, customer: &str, user: &str) -> Client {
        let browser = self.browser();
        let response = browser
            .post(self.url("/auth/session"))
            .form(&[("token", token(customer, user))])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            303,
            "hand-off failed: {}",
            response.text().await.unwrap()
        );
        browser
    }

    /// Creates simulator people and pages through its control API.
    pub async fn sim_scenario(&self, name: &str) -> Value {
        let r = self
            .http
            .post(self.sim_url(&format!("/_sim/scenarios/{name}")))
            .json(&json!({"suffix": social_media_uploader::crypto::random_token(4).to_lowercase().replace(['-', '_'], "x")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    pub async fn sim_post(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.sim_url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn sim_get(&self, path: &str) -> Value {
        self.http
            .get(self.sim_url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Clients that never follow redirects (tests look at each hop) and never wait forever: a hung
/// request fails its test instead of stalling the suite.
fn client() -> reqwest::ClientBuilder {
    Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(30))
}

fn config(store: &Store, redirect_uri: &str, sim_base: &str, options: &Options) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("INSTAGRAM_REDIRECT_URI".into(), redirect_uri.into()),
        ("GRAPH_API_BASE_URL".into(), sim_base.into()),
        ("FACEBOOK_DIALOG_BASE_URL".into(), sim_base.into()),
        ("JWT_SECRET".into(), JWT_SECRET.into()),
        ("JWT_ISSUER".into(), JWT_ISSUER.into()),
        ("JWT_AUDIENCE".into(), JWT_AUDIENCE.into()),
        ("TOKEN_ENCRYPTION_KEY".into(), token_key_b64()),
        ("DEMO_MODE".into(), "false".into()),
        ("GRAPH_API_TIMEOUT_SECS".into(), "5".into()),
        // The simulator's file host stands in for the customers' media hosts.
        ("MEDIA_PRIVATE_ORIGINS".into(), sim_base.into()),
    ]);
    if options.app_configured {
        vars.insert("INSTAGRAM_APP_ID".into(), APP_ID.into());
        vars.insert("INSTAGRAM_APP_SECRET".into(), APP_SECRET.into());
        // Instagram Login too (a test turns it off by blanking INSTAGRAM_LOGIN_APP_ID/_SECRET).
        vars.insert("INSTAGRAM_LOGIN_APP_ID".into(), IG_APP_ID.into());
        vars.insert("INSTAGRAM_LOGIN_APP_SECRET".into(), IG_APP_SECRET.into());
        vars.insert("INSTAGRAM_DIALOG_BASE_URL".into(), sim_base.into());
        vars.insert("INSTAGRAM_API_BASE_URL".into(), sim_base.into());
        vars.insert("INSTAGRAM_GRAPH_BASE_URL".into(), format!("{sim_base}/_ig"));
    }
    vars.extend(store.vars());
    vars.extend(
        options
            .extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone())),
    );
    Config::load(&Vars::from_map(vars)).expect("test configuration")
}

fn leptos_options(addr: SocketAddr) -> leptos::prelude::LeptosOptions {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let mut options = leptos::config::get_configuration(Some(&format!("{manifest}/Leptos.toml")))
        .unwrap()
        .leptos_options;
    options.site_addr = addr;
    options.site_root = format!("{manifest}/target/site").into();
    options
}

/// A platform JWT for the tenant, valid for ten minutes.
pub fn token(customer: &str, user: &str) -> String {
    token_with(json!({"customer_id": customer, "user_id": user}))
}

/// A platform JWT with the given claims plus valid `iss`, `aud` and `exp` unless overridden.
pub fn token_with(claims: Value) -> String {
    let mut all = json!({"iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "exp": chrono::Utc::now().timestamp() + 600});
    all.as_object_mut()
        .unwrap()
        .extend(claims.as_object().unwrap().clone());
    encode(
        &Header::default(),
        &all,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// A unique tenant id for one test.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        social_media_uploader::crypto::random_token(6).replace(['-', '_'], "x")
    )
}

pub async fn json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON ({status}): {body}")),
    )
}
