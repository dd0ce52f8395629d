//! One typed configuration, read from the environment (and `.env`) and validated at start-up.
//!
//! A missing or malformed value stops the server with a message that names the variable and says
//! how to fix it. Secrets are wrapped in [`SecretString`] so they never reach `Debug` output or logs.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::crypto::{KeyRing, TokenKey};

mod edge;
mod instagram_login;
mod media_store;

pub use edge::{ConnectionLimits, EdgeConfig, RateLimits};
pub use instagram_login::{
    InstagramLoginApp, DEFAULT_INSTAGRAM_LOGIN_SCOPES, DEMO_INSTAGRAM_APP_ID,
    INSTAGRAM_LOGIN_CALLBACK_PATH,
};
pub use media_store::{S3Config, DEFAULT_S3_REGION};

/// The callback path the platform's deployment registers in its Facebook App.
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:8097/api/instagram/oauth/callback";
/// Graph API versions live about two years; v24.0 (October 2025) is current and far from end of life.
pub const DEFAULT_GRAPH_API_VERSION: &str = "v24.0";
/// The seed's scopes, plus `pages_show_list` (without it /me/accounts is empty),
/// `business_management` (pages owned through a business portfolio) and
/// `instagram_manage_comments` (a post's first comment; optional: without it only that fails).
/// `ads_read`: Pages reached through a Business Manager role need it for every Instagram call
/// (docs/graph-api.md §4).
pub const DEFAULT_SCOPES: &str =
    "instagram_basic,instagram_content_publish,pages_read_engagement,pages_show_list,business_management,ads_read,instagram_manage_comments";
const DEFAULT_SIMULATOR_ADDR: &str = "127.0.0.1:8098";
/// Whether this build carries the demo's Graph simulator.
const DEMO_BUILT_IN: bool = cfg!(feature = "demo");

/// The app id the demo registers with its own simulator.
pub const DEMO_APP_ID: &str = "100000000000001";

#[derive(Debug, Clone)]
pub struct Config {
    /// `None` when INSTAGRAM_APP_ID/SECRET are unset: the server runs, connecting says so.
    pub instagram: Option<InstagramApp>,
    /// Instagram Login, when configured (`INSTAGRAM_LOGIN_APP_ID`/`_SECRET`) or in the demo.
    pub instagram_login: Option<InstagramLoginApp>,
    /// Exactly the URI registered in the Facebook App (never built from request headers).
    pub redirect_uri: Url,
    /// Our own origin, derived from the redirect URI: the only origin popups may talk to.
    pub public_origin: String,
    pub scopes: Vec<String>,
    pub graph: GraphConfig,
    pub storage: StorageConfig,
    pub data_dir: PathBuf,
    pub jwt: JwtConfig,
    pub token_keys: KeyRing,
    /// Set when the service runs on its own simulator with a demo sign-in form.
    pub demo: Option<DemoConfig>,
    pub publisher: PublisherConfig,
    /// The daily health check of connected accounts.
    pub health: crate::domain::accounts::SweepConfig,
    pub edge: EdgeConfig,
    pub media: MediaConfig,
    /// The media library: upload limits, quota, and where Instagram downloads from.
    pub library: crate::domain::library::LibraryConfig,
    /// Media bytes in S3-compatible object storage (`MEDIA_S3_BUCKET`) instead of beside the
    /// store, whichever store keeps the records.
    pub media_s3: Option<S3Config>,
}

/// How a post's media URLs are checked before it is queued.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The whole check of one URL (first bytes, and a video's index) ends within this.
    pub probe_timeout: Duration,
    /// Origins of a media host on a private network that may be fetched although private or
    /// plain http (`MEDIA_PRIVATE_ORIGINS`; the demo adds its simulator).
    pub private_origins: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct InstagramApp {
    pub app_id: String,
    pub app_secret: SecretString,
    /// Facebook Login for Business: the login configuration the dialog opens with instead of
    /// scopes (`FACEBOOK_LOGIN_CONFIG_ID`). Business-type apps refuse a dialog without it.
    pub login_config_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GraphConfig {
    pub api_base_url: Url,
    pub dialog_base_url: Url,
    /// Instagram Login's hosts: www.instagram.com, api.instagram.com, graph.instagram.com.
    pub instagram_dialog_base_url: Url,
    pub instagram_api_base_url: Url,
    pub instagram_graph_base_url: Url,
    pub version: String,
    /// Every outbound call has a timeout (docs/security.md R8).
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum StorageConfig {
    Mongo { uri: SecretString, database: String },
    Embedded,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub key: JwtKey,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// How far ahead a token's `exp` may lie (`JWT_MAX_LIFETIME_HOURS`).
    pub max_lifetime: chrono::TimeDelta,
}

#[derive(Debug, Clone)]
pub enum JwtKey {
    /// HS256 with a shared secret (the default).
    Hs256(SecretString),
    /// RS256 with the issuer's public key (PEM).
    Rs256(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Where the in-process Graph simulator listens.
    pub simulator_addr: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct PublisherConfig {
    /// Whether this process publishes (replicas may serve only HTTP).
    pub enabled: bool,
    /// How many posts one process publishes at the same time.
    pub concurrency: usize,
    /// How long a claimed post stays ours without a heartbeat.
    pub lease: Duration,
    /// How often a container's processing status is polled at first (then with backoff).
    pub poll_interval: Duration,
    /// Retryable failures before a post fails for good.
    pub max_attempts: u32,
    /// The first retry waits up to this long (exponential backoff with jitter from here).
    pub retry_base: Duration,
    /// Fallback publishing quota when Graph does not say (posts per 24 h per account).
    pub daily_quota: u32,
    /// Containers Meta lets one account make in a rolling day, re-uploads included.
    pub container_budget: u32,
    /// After an unclear publish, a container's status may read FINISHED for a while although the
    /// post went out: it is published again only this long after, once the media lists agree.
    pub status_lag: Duration,
}

/// A configuration problem, naming the variable and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}. {fix}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
    pub fix: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// Where configuration values come from: the process environment, or a map in tests.
pub struct Vars(HashMap<String, String>);

impl Vars {
    /// The process environment, after loading `.env` if there is one (existing variables win).
    pub fn from_env() -> Self {
        let _ = dotenvy::dotenv();
        Self(std::env::vars().collect())
    }

    pub fn from_map<K: Into<String>, V: Into<String>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(map.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// A set, non-blank value.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn flag(&self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(None),
            Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
            Some("0" | "false" | "no" | "off") => Ok(Some(false)),
            Some(other) => Err(ConfigError::new(
                name,
                format!("`{other}` is not a boolean"),
                "Use true or false",
            )),
        }
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        expect: &str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| {
                ConfigError::new(
                    name,
                    format!("`{raw}` is not {expect}"),
                    format!("Set it to {expect}"),
                )
            }),
        }
    }
}

impl Config {
    pub fn load(vars: &Vars) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(vars.get("DATA_DIR").unwrap_or("data"));
        let app = instagram_app(vars)?;
        let demo = match demo_mode(vars)? {
            true => Some(DemoConfig {
                simulator_addr: parse_addr(vars, "SIMULATOR_ADDR", DEFAULT_SIMULATOR_ADDR)?,
            }),
            false => None,
        };
        let redirect_uri = redirect_uri(vars)?;
        let public_origin = redirect_uri.origin().ascii_serialization();
        let graph = graph_config(vars, demo.as_ref())?;
        let media = media(vars, demo.as_ref())?;
        let instagram = match (&demo, app) {
            (_, Some(app)) => Some(app),
            // The demo's own app, registered with its own simulator at start-up.
            (Some(_), None) => Some(InstagramApp {
                app_id: DEMO_APP_ID.into(),
                app_secret: SecretString::from(crate::crypto::random_token(24)),
                login_config_id: None,
            }),
            (None, None) => None,
        };
        let instagram_login =
            instagram_login::instagram_login(vars, &public_origin, demo.as_ref())?;
        let library = library(vars, &public_origin)?;
        Ok(Self {
            instagram,
            instagram_login,
            redirect_uri,
            public_origin,
            scopes: scopes(vars),
            graph,
            storage: storage(vars)?,
            jwt: jwt(vars, demo.is_some())?,
            token_keys: token_keys(vars, demo.is_some(), &data_dir)?,
            data_dir,
            demo,
            publisher: publisher(vars)?,
            health: health(vars)?,
            edge: edge::edge(vars)?,
            library,
            media,
            media_s3: media_store::s3(vars)?,
        })
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// Where our forms may send the browser: Facebook's dialog, and Instagram's when Instagram
    /// Login is offered (space-separated, for a CSP `form-action`).
    pub fn dialog_origins(&self) -> String {
        let mut origins = vec![self.graph.dialog_base_url.origin().ascii_serialization()];
        if self.instagram_login.is_some() {
            let instagram = self.graph.instagram_dialog_base_url.origin();
            origins.push(instagram.ascii_serialization());
        }
        origins.dedup();
        origins.join(" ")
    }

    /// Whether cookies may carry `Secure` (and the `__Host-` prefix): everywhere but plain-http.
    pub fn secure_cookies(&self) -> bool {
        self.redirect_uri.scheme() == "https"
    }
}

/// Settings that make a deployment production-like. Any of them turns the automatic demo off: a
/// demo lets anyone sign in as anyone, so it must never start by accident (docs/security.md D1).
const PRODUCTION_SETTINGS: [&str; 8] = [
    "INSTAGRAM_APP_ID",
    "INSTAGRAM_APP_SECRET",
    "INSTAGRAM_LOGIN_APP_ID",
    "INSTAGRAM_LOGIN_APP_SECRET",
    "JWT_SECRET",
    "JWT_PUBLIC_KEY_FILE",
    "TOKEN_ENCRYPTION_KEY",
    "MONGODB_URI",
];

/// Demo mode runs when asked for (`DEMO_MODE=true`), or when nothing production-like is set and
/// this build carries the demo. It never runs against MongoDB.
fn demo_mode(vars: &Vars) -> Result<bool, ConfigError> {
    let asked = vars.flag("DEMO_MODE")?;
    let production: Vec<&str> = PRODUCTION_SETTINGS
        .into_iter()
        .filter(|name| vars.get(name).is_some())
        .collect();
    match asked {
        Some(true) if !DEMO_BUILT_IN => Err(ConfigError::new(
            "DEMO_MODE",
            "this build has no demo (it was built without the `demo` feature)",
            "Unset DEMO_MODE, or run a build with the demo",
        )),
        Some(true) if vars.get("MONGODB_URI").is_some() => Err(ConfigError::new(
            "DEMO_MODE",
            "is true while MONGODB_URI is set, and the demo (where anyone may sign in as anyone) never runs on a real database",
            "Unset MONGODB_URI to try the demo on the embedded store, or set DEMO_MODE=false",
        )),
        Some(asked) => Ok(asked),
        None => Ok(production.is_empty() && DEMO_BUILT_IN),
    }
}

fn instagram_app(vars: &Vars) -> Result<Option<InstagramApp>, ConfigError> {
    match (
        vars.get("INSTAGRAM_APP_ID"),
        vars.get("INSTAGRAM_APP_SECRET"),
    ) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => {
            if !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(ConfigError::new(
                    "INSTAGRAM_APP_ID",
                    "must be the numeric App ID",
                    "Copy it from your Facebook App's dashboard (App settings > Basic)",
                ));
            }
            let login_config_id = vars.get("FACEBOOK_LOGIN_CONFIG_ID").map(str::to_string);
            if login_config_id
                .as_deref()
                .is_some_and(|c| !c.chars().all(|c| c.is_ascii_digit()))
            {
                return Err(ConfigError::new(
                    "FACEBOOK_LOGIN_CONFIG_ID",
                    "must be the numeric configuration ID",
                    "Copy it from your Facebook App's dashboard (Facebook Login for Business > Configurations)",
                ));
            }
            Ok(Some(InstagramApp {
                app_id: id.to_string(),
                app_secret: SecretString::from(secret.to_string()),
                login_config_id,
            }))
        }
        (Some(_), None) => Err(ConfigError::new(
            "INSTAGRAM_APP_SECRET",
            "is missing while INSTAGRAM_APP_ID is set",
            "Set both, from your Facebook App's dashboard (App settings > Basic)",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            "INSTAGRAM_APP_ID",
            "is missing while INSTAGRAM_APP_SECRET is set",
            "Set both, from your Facebook App's dashboard (App settings > Basic)",
        )),
    }
}

fn redirect_uri(vars: &Vars) -> Result<Url, ConfigError> {
    let raw = vars
        .get("INSTAGRAM_REDIRECT_URI")
        .unwrap_or(DEFAULT_REDIRECT_URI);
    let url = Url::parse(raw).map_err(|e| {
        ConfigError::new(
            "INSTAGRAM_REDIRECT_URI",
            format!("`{raw}` is not a URL ({e})"),
            format!("Set it to the exact callback URL registered in your Facebook App, e.g. {DEFAULT_REDIRECT_URI}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::new(
            "INSTAGRAM_REDIRECT_URI",
            format!("`{raw}` must be an absolute http(s) URL"),
            format!("Set it to e.g. {DEFAULT_REDIRECT_URI}"),
        ));
    }
    Ok(url)
}

fn media(vars: &Vars, demo: Option<&DemoConfig>) -> Result<MediaConfig, ConfigError> {
    let mut private_origins = edge::origins(vars, "MEDIA_PRIVATE_ORIGINS")?;
    if let Some(d) = demo {
        private_origins.push(format!("http://{}", d.simulator_addr));
    }
    let timeout = vars.parse("MEDIA_CHECK_TIMEOUT_SECS", 10, "a number of seconds")?;
    Ok(MediaConfig {
        probe_timeout: Duration::from_secs(at_least_one("MEDIA_CHECK_TIMEOUT_SECS", timeout)?),
        private_origins,
    })
}

/// The media library's limits and public address (README, Configuration).
fn library(
    vars: &Vars,
    public_origin: &str,
) -> Result<crate::domain::library::LibraryConfig, ConfigError> {
    const MIB: u64 = 1024 * 1024;
    let mib = |var: &'static str, default: u64| -> Result<u64, ConfigError> {
        Ok(at_least_one(var, vars.parse(var, default, "a number of MiB")?)? * MIB)
    };
    let public_base_url = base_url(vars, "PUBLIC_BASE_URL", public_origin)?;
    Ok(crate::domain::library::LibraryConfig {
        max_image_bytes: mib("MEDIA_MAX_IMAGE_MB", 30)?,
        max_video_bytes: mib("MEDIA_MAX_VIDEO_MB", 300)?,
        quota_bytes: mib("MEDIA_QUOTA_MB", 5 * 1024)?,
        max_chunk_bytes: mib("MEDIA_CHUNK_MB", 8)?,
        upload_lifetime: Duration::from_secs(24 * 3600),
        retention: Duration::from_secs(retention_days(vars)? * 24 * 3600),
        public_base_url: public_base_url.as_str().trim_end_matches('/').to_string(),
    })
}

/// How long prepared copies stay after their posts: 0 removes them at the next sweep.
fn retention_days(vars: &Vars) -> Result<u64, ConfigError> {
    const MAX_DAYS: u64 = 3650;
    let days = vars.parse("MEDIA_RETENTION_DAYS", 30, "a number of days")?;
    match days > MAX_DAYS {
        true => Err(ConfigError::new(
            "MEDIA_RETENTION_DAYS",
            "is more than ten years",
            "Set at most 3650",
        )),
        false => Ok(days),
    }
}

/// A count or duration where 0 would stop the feature (every check timing out, no container
/// allowed) rather than switch it off.
fn at_least_one<T: PartialEq + From<u8>>(var: &'static str, value: T) -> Result<T, ConfigError> {
    match value == T::from(0) {
        true => Err(ConfigError::new(
            var,
            "is 0",
            "Set it to at least 1, or leave it unset for the default",
        )),
        false => Ok(value),
    }
}

fn scopes(vars: &Vars) -> Vec<String> {
    vars.get("INSTAGRAM_SCOPES")
        .unwrap_or(DEFAULT_SCOPES)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn graph_config(vars: &Vars, demo: Option<&DemoConfig>) -> Result<GraphConfig, ConfigError> {
    // The demo points at its own simulator unless told otherwise.
    let (graph_default, dialog_default) = match demo {
        Some(d) => {
            let sim = format!("http://{}", d.simulator_addr);
            (sim.clone(), sim)
        }
        None => (
            "https://graph.facebook.com".to_string(),
            "https://www.facebook.com".to_string(),
        ),
    };
    let version = vars
        .get("GRAPH_API_VERSION")
        .unwrap_or(DEFAULT_GRAPH_API_VERSION);
    if !is_graph_version(version) {
        return Err(ConfigError::new(
            "GRAPH_API_VERSION",
            format!("`{version}` is not a Graph API version"),
            format!("Use the form {DEFAULT_GRAPH_API_VERSION}"),
        ));
    }
    let (instagram_dialog_base_url, instagram_api_base_url, instagram_graph_base_url) =
        instagram_login::instagram_hosts(vars, demo)?;
    Ok(GraphConfig {
        api_base_url: base_url(vars, "GRAPH_API_BASE_URL", &graph_default)?,
        dialog_base_url: base_url(vars, "FACEBOOK_DIALOG_BASE_URL", &dialog_default)?,
        instagram_dialog_base_url,
        instagram_api_base_url,
        instagram_graph_base_url,
        version: version.to_string(),
        timeout: Duration::from_secs(vars.parse(
            "GRAPH_API_TIMEOUT_SECS",
            20,
            "a number of seconds",
        )?),
    })
}

fn is_graph_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(major), Some(minor), None)
            if !major.is_empty() && !minor.is_empty()
                && major.chars().chain(minor.chars()).all(|c| c.is_ascii_digit())
    )
}

fn base_url(vars: &Vars, name: &'static str, default: &str) -> Result<Url, ConfigError> {
    let raw = vars.get(name).unwrap_or(default);
    let url = Url::parse(raw).map_err(|e| {
        ConfigError::new(
            name,
            format!("`{raw}` is not a URL ({e})"),
            format!("Set it to e.g. {default}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ConfigError::new(
            name,
            format!("`{raw}` must be an absolute http(s) URL"),
            format!("Set it to e.g. {default}"),
        ));
    }
    Ok(url)
}

fn parse_addr(vars: &Vars, name: &'static str, default: &str) -> Result<SocketAddr, ConfigError> {
    let raw = vars.get(name).unwrap_or(default);
    raw.parse().map_err(|_| {
        ConfigError::new(
            name,
            format!("`{raw}` is not host:port"),
            format!("Set it to e.g. {default}"),
        )
    })
}

fn storage(vars: &Vars) -> Result<StorageConfig, ConfigError> {
    let Some(uri) = vars.get("MONGODB_URI") else {
        return Ok(StorageConfig::Embedded);
    };
    if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
        return Err(ConfigError::new(
            "MONGODB_URI",
            "must start with mongodb:// or mongodb+srv://",
            "Set it to your MongoDB connection string, or unset it to use the embedded store",
        ));
    }
    let database = vars
        .get("MONGODB_DATABASE")
        .unwrap_or("social_media_uploader");
    if database.is_empty() || database.contains(['/', '\\', '.', ' ', '"', '$']) {
        return Err(ConfigError::new(
            "MONGODB_DATABASE",
            format!("`{database}` is not a valid database name"),
            "Use letters, digits, - and _",
        ));
    }
    Ok(StorageConfig::Mongo {
        uri: SecretString::from(uri.to_string()),
        database: database.to_string(),
    })
}

fn jwt(vars: &Vars, demo: bool) -> Result<JwtConfig, ConfigError> {
    let key = match (vars.get("JWT_SECRET"), vars.get("JWT_PUBLIC_KEY_FILE")) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                "JWT_PUBLIC_KEY_FILE",
                "is set together with JWT_SECRET",
                "Set one: JWT_SECRET for HS256 or JWT_PUBLIC_KEY_FILE for RS256",
            ))
        }
        (Some(secret), None) => {
            if secret.len() < 32 {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "is shorter than 32 bytes, too weak for HS256",
                    "Use the platform's signing secret; generate one with `openssl rand -base64 48`",
                ));
            }
            JwtKey::Hs256(SecretString::from(secret.to_string()))
        }
        (None, Some(path)) => {
            let pem = std::fs::read(path).map_err(|e| {
                ConfigError::new("JWT_PUBLIC_KEY_FILE", format!("cannot read `{path}` ({e})"), "Point it at the issuer's RSA public key in PEM form")
            })?;
            jsonwebtoken::DecodingKey::from_rsa_pem(&pem).map_err(|e| {
                ConfigError::new("JWT_PUBLIC_KEY_FILE", format!("`{path}` is not an RSA public key in PEM form ({e})"), "Point it at the issuer's RSA public key in PEM form")
            })?;
            JwtKey::Rs256(pem)
        }
        // The demo runs without the platform; its API then accepts no token at all.
        (None, None) if demo => JwtKey::Hs256(SecretString::from(crate::crypto::random_token(48))),
        (None, None) => {
            return Err(ConfigError::new(
                "JWT_SECRET",
                "is not set (nor JWT_PUBLIC_KEY_FILE)",
                "Set JWT_SECRET to the platform's HS256 signing secret, or JWT_PUBLIC_KEY_FILE to its RS256 public key",
            ))
        }
    };
    let hours: i64 = vars.parse("JWT_MAX_LIFETIME_HOURS", 24, "a whole number of hours")?;
    if !(1..=24 * 30).contains(&hours) {
        return Err(ConfigError::new(
            "JWT_MAX_LIFETIME_HOURS",
            format!("{hours} is outside 1 to 720"),
            "Set it to the longest lifetime the platform gives its tokens, in hours",
        ));
    }
    Ok(JwtConfig {
        key,
        issuer: vars.get("JWT_ISSUER").map(String::from),
        audience: vars.get("JWT_AUDIENCE").map(String::from),
        max_lifetime: chrono::TimeDelta::hours(hours),
    })
}

fn token_keys(vars: &Vars, demo: bool, data_dir: &std::path::Path) -> Result<KeyRing, ConfigError> {
    const FIX: &str = "Set it to 32 random bytes in base64: `openssl rand -base64 32`";
    let current = match vars.get("TOKEN_ENCRYPTION_KEY") {
        Some(raw) => decode_key("TOKEN_ENCRYPTION_KEY", raw)?,
        // The demo keeps a generated key beside its data so its tokens survive restarts.
        None if demo => demo_key(data_dir)?,
        None => return Err(ConfigError::new("TOKEN_ENCRYPTION_KEY", "is not set", FIX)),
    };
    let previous = vars
        .get("TOKEN_ENCRYPTION_PREVIOUS_KEYS")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|raw| decode_key("TOKEN_ENCRYPTION_PREVIOUS_KEYS", raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeyRing::new(current, previous))
}

fn decode_key(var: &'static str, raw: &str) -> Result<TokenKey, ConfigError> {
    const FIX: &str = "Set it to 32 random bytes in base64: `openssl rand -base64 32`";
    let bytes = B64
        .decode(raw)
        .map_err(|_| ConfigError::new(var, "is not valid base64", FIX))?;
    let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        ConfigError::new(var, format!("decodes to {} bytes, not 32", b.len()), FIX)
    })?;
    Ok(TokenKey::new(key))
}

fn demo_key(data_dir: &std::path::Path) -> Result<TokenKey, ConfigError> {
    let path = data_dir.join("demo-token-encryption.key");
    let fail = |e: std::io::Error| {
        ConfigError::new(
            "DATA_DIR",
            format!("cannot keep the demo key at {} ({e})", path.display()),
            "Point DATA_DIR at a writable directory, or set TOKEN_ENCRYPTION_KEY",
        )
    };
    if let Ok(raw) = std::fs::read_to_string(&path) {
        return decode_key("TOKEN_ENCRYPTION_KEY", raw.trim());
    }
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let key = crate::crypto::random_bytes::<32>();
    write_private(&path, B64.encode(key).as_bytes()).map_err(fail)?;
    Ok(TokenKey::new(key))
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

fn publisher(vars: &Vars) -> Result<PublisherConfig, ConfigError> {
    let concurrency: usize =
        vars.parse("PUBLISHER_CONCURRENCY", 8, "a whole number of at least 1")?;
    if concurrency == 0 {
        return Err(ConfigError::new(
            "PUBLISHER_CONCURRENCY",
            "is 0",
            "Set it to at least 1",
        ));
    }
    Ok(PublisherConfig {
        enabled: vars.flag("PUBLISHER_ENABLED")?.unwrap_or(true),
        concurrency,
        lease: Duration::from_secs(vars.parse(
            "PUBLISHER_LEASE_SECS",
            60,
            "a number of seconds",
        )?),
        poll_interval: Duration::from_millis(vars.parse(
            "PUBLISHER_POLL_MS",
            1000,
            "a number of milliseconds",
        )?),
        retry_base: Duration::from_millis(vars.parse(
            "PUBLISHER_RETRY_BASE_MS",
            2000,
            "a number of milliseconds",
        )?),
        max_attempts: vars.parse("PUBLISHER_MAX_ATTEMPTS", 6, "a whole number")?,
        daily_quota: vars.parse("INSTAGRAM_DAILY_PUBLISH_LIMIT", 50, "a whole number")?,
        container_budget: at_least_one(
            "INSTAGRAM_DAILY_CONTAINER_LIMIT",
            vars.parse("INSTAGRAM_DAILY_CONTAINER_LIMIT", 400, "a whole number")?,
        )?,
        status_lag: Duration::from_secs(vars.parse(
            "PUBLISHER_STATUS_LAG_SECS",
            20,
            "a number of seconds",
        )?),
    })
}

fn health(vars: &Vars) -> Result<crate::domain::accounts::SweepConfig, ConfigError> {
    let every: u64 = at_least_one(
        "ACCOUNT_CHECK_INTERVAL_SECS",
        vars.parse("ACCOUNT_CHECK_INTERVAL_SECS", 86_400, "a number of seconds")?,
    )?;
    Ok(crate::domain::accounts::SweepConfig {
        every: Duration::from_secs(every),
        pace: Duration::from_millis(vars.parse(
            "ACCOUNT_CHECK_PACE_MS",
            1000,
            "a number of milliseconds",
        )?),
        batch: 100,
    })
}

impl JwtKey {
    pub fn algorithm_name(&self) -> &'static str {
        match self {
            JwtKey::Hs256(_) => "HS256",
            JwtKey::Rs256(_) => "RS256",
        }
    }

    pub fn hs256_secret(&self) -> Option<&str> {
        match self {
            JwtKey::Hs256(s) => Some(s.expose_secret()),
            JwtKey::Rs256(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, String)> {
        vec![
            ("JWT_SECRET", "x".repeat(40)),
            ("TOKEN_ENCRYPTION_KEY", B64.encode([7u8; 32])),
            ("INSTAGRAM_APP_ID", "1234".into()),
            ("INSTAGRAM_APP_SECRET", "shh-its-a-secret".into()),
        ]
    }

    fn load(extra: &[(&'static str, &str)], drop: &[&str]) -> Result<Config, ConfigError> {
        let mut vars: HashMap<String, String> = base()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for name in drop {
            vars.remove(*name);
        }
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        Config::load(&Vars(vars))
    }

    #[test]
    fn defaults_follow_the_documented_names() {
        let c = load(&[], &[]).unwrap();
        assert_eq!(c.redirect_uri.as_str(), DEFAULT_REDIRECT_URI);
        assert_eq!(c.public_origin, "http://localhost:8097");
        assert_eq!(c.graph.version, DEFAULT_GRAPH_API_VERSION);
        assert_eq!(c.graph.api_base_url.as_str(), "https://graph.facebook.com/");
        assert!(matches!(c.storage, StorageConfig::Embedded));
        assert!(c.demo.is_none());
        assert!(c.scopes.contains(&"pages_show_list".to_string()));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn no_facebook_app_means_demo_on_the_simulator() {
        let dir =
            std::env::temp_dir().join(format!("smu-config-{}", crate::crypto::random_token(6)));
        let dir_str = dir.to_string_lossy().to_string();
        let c = load(
            &[("DATA_DIR", &dir_str)],
            &[
                "INSTAGRAM_APP_ID",
                "INSTAGRAM_APP_SECRET",
                "TOKEN_ENCRYPTION_KEY",
                "JWT_SECRET",
            ],
        )
        .unwrap();
        assert!(c.is_demo());
        assert_eq!(c.graph.api_base_url.as_str(), "http://127.0.0.1:8098/");
        assert_eq!(c.instagram.as_ref().unwrap().app_id, DEMO_APP_ID);
        // Both ways to connect, Instagram's hosts on the simulator too.
        let login = c.instagram_login.as_ref().unwrap();
        assert_eq!(login.app_id, DEMO_INSTAGRAM_APP_ID);
        assert_eq!(
            login.redirect_uri.as_str(),
            format!("http://localhost:8097{INSTAGRAM_LOGIN_CALLBACK_PATH}")
        );
        assert_eq!(
            c.graph.instagram_graph_base_url.as_str(),
            "http://127.0.0.1:8098/_ig"
        );
        // The generated demo key is kept, so a restart decrypts what the last run stored.
        let again = load(
            &[("DATA_DIR", &dir_str)],
            &[
                "INSTAGRAM_APP_ID",
                "INSTAGRAM_APP_SECRET",
                "TOKEN_ENCRYPTION_KEY",
                "JWT_SECRET",
            ],
        )
        .unwrap();
        assert_eq!(c.token_keys.current_kid(), again.token_keys.current_kid());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn instagram_login_is_offered_only_when_its_app_is_set() {
        let without = load(&[], &[]).unwrap();
        assert!(without.instagram_login.is_none());
        assert_eq!(
            without.graph.instagram_graph_base_url.as_str(),
            "https://graph.instagram.com/"
        );
        let with = load(
            &[
                ("INSTAGRAM_LOGIN_APP_ID", "9876"),
                ("INSTAGRAM_LOGIN_APP_SECRET", "ig-secret"),
            ],
            &[],
        )
        .unwrap();
        let login = with.instagram_login.as_ref().unwrap();
        assert_eq!(login.app_id, "9876");
        assert_eq!(
            login.scopes.join(","),
            DEFAULT_INSTAGRAM_LOGIN_SCOPES,
            "the 2025 scope names"
        );
        assert!(with.dialog_origins().contains("https://www.instagram.com"));
        let half = load(&[("INSTAGRAM_LOGIN_APP_ID", "9876")], &[]);
        assert_eq!(half.unwrap_err().var, "INSTAGRAM_LOGIN_APP_SECRET");
        let named = load(
            &[
                ("INSTAGRAM_LOGIN_APP_ID", "my-app"),
                ("INSTAGRAM_LOGIN_APP_SECRET", "ig-secret"),
            ],
            &[],
        );
        assert_eq!(named.unwrap_err().var, "INSTAGRAM_LOGIN_APP_ID");
    }

    #[test]
    fn demo_never_starts_by_accident() {
        let all = PRODUCTION_SETTINGS;
        // Nothing production-like: the README's run command gives the demo.
        let nothing = load(&[], &all).unwrap();
        assert!(nothing.is_demo());
        // Any one production setting without DEMO_MODE: no demo, and what production needs is
        // asked for by name.
        let jwt_only = load(
            &[("JWT_SECRET", "0123456789abcdef0123456789abcdef-x")],
            &all,
        );
        assert_eq!(jwt_only.unwrap_err().var, "TOKEN_ENCRYPTION_KEY");
        let keys = load(&[], &["INSTAGRAM_APP_ID", "INSTAGRAM_APP_SECRET"]).unwrap();
        assert!(
            !keys.is_demo(),
            "a JWT key and a token key make it production"
        );
        assert!(keys.instagram.is_none(), "connecting says: not configured");
        // Asked for, the demo may come with a JWT key (to try the API), never with MongoDB.
        let asked = load(
            &[("DEMO_MODE", "true")],
            &["INSTAGRAM_APP_ID", "INSTAGRAM_APP_SECRET"],
        );
        assert!(asked.unwrap().is_demo());
        let on_mongo = load(
            &[("DEMO_MODE", "true"), ("MONGODB_URI", "mongodb://db:27017")],
            &[],
        );
        assert_eq!(on_mongo.unwrap_err().var, "DEMO_MODE");
    }

    #[test]
    fn demo_off_without_an_app_still_starts_unconfigured() {
        let c = load(
            &[("DEMO_MODE", "false")],
            &["INSTAGRAM_APP_ID", "INSTAGRAM_APP_SECRET"],
        )
        .unwrap();
        assert!(c.instagram.is_none());
        assert!(!c.is_demo());
    }

    #[test]
    fn errors_name_the_variable_and_the_fix() {
        // (variables to set, variables to remove, the variable the error must name)
        type Case = (
            Vec<(&'static str, &'static str)>,
            Vec<&'static str>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                vec![("INSTAGRAM_REDIRECT_URI", "not a url")],
                vec![],
                "INSTAGRAM_REDIRECT_URI",
            ),
            (
                vec![("TOKEN_ENCRYPTION_KEY", "c2hvcnQ=")],
                vec![],
                "TOKEN_ENCRYPTION_KEY",
            ),
            (vec![], vec!["TOKEN_ENCRYPTION_KEY"], "TOKEN_ENCRYPTION_KEY"),
            (vec![], vec!["JWT_SECRET"], "JWT_SECRET"),
            (vec![("JWT_SECRET", "short")], vec![], "JWT_SECRET"),
            (
                vec![("GRAPH_API_VERSION", "18")],
                vec![],
                "GRAPH_API_VERSION",
            ),
            (
                vec![("MONGODB_URI", "localhost:27017")],
                vec![],
                "MONGODB_URI",
            ),
            (vec![("DEMO_MODE", "maybe")], vec![], "DEMO_MODE"),
            (vec![], vec!["INSTAGRAM_APP_SECRET"], "INSTAGRAM_APP_SECRET"),
            (
                vec![("JWT_PUBLIC_KEY_FILE", "/nonexistent.pem")],
                vec!["JWT_SECRET"],
                "JWT_PUBLIC_KEY_FILE",
            ),
        ];
        for (extra, drop, var) in cases {
            let err = load(&extra, &drop).unwrap_err();
            assert_eq!(err.var, var, "{err}");
            assert!(err.to_string().starts_with(var), "{err}");
            assert!(!err.fix.is_empty());
        }
    }

    #[test]
    fn secrets_never_reach_debug_output() {
        let c = load(&[("MONGODB_URI", "mongodb://user:hunter2@db:27017")], &[]).unwrap();
        let debug = format!("{c:?}");
        for secret in [
            "shh-its-a-secret",
            "hunter2",
            &"x".repeat(40),
            &B64.encode([7u8; 32]),
        ] {
            assert!(!debug.contains(secret), "{secret} leaked into Debug");
        }
    }

    #[test]
    fn media_goes_to_s3_only_with_a_bucket_and_its_keys() {
        assert!(load(&[], &[]).unwrap().media_s3.is_none());
        let c = load(
            &[
                ("MEDIA_S3_BUCKET", "smu-media"),
                ("MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("MEDIA_S3_ACCESS_KEY_ID", "AKIDCANARY4711"),
                ("MEDIA_S3_SECRET_ACCESS_KEY", "s3-secret-canary-4711"),
            ],
            &[],
        )
        .unwrap();
        let s3 = c.media_s3.as_ref().unwrap();
        assert_eq!(s3.bucket, "smu-media");
        assert_eq!(s3.region, DEFAULT_S3_REGION);
        let debug = format!("{c:?}");
        for secret in ["AKIDCANARY4711", "s3-secret-canary-4711"] {
            assert!(!debug.contains(secret), "{secret} leaked into Debug");
        }
        let without_keys = load(&[("MEDIA_S3_BUCKET", "smu-media")], &[]).unwrap_err();
        assert_eq!(without_keys.var, "MEDIA_S3_ACCESS_KEY_ID");
        assert!(
            without_keys
                .to_string()
                .starts_with("MEDIA_S3_ACCESS_KEY_ID: is not set"),
            "{without_keys}"
        );
    }

    #[test]
    fn graph_versions_are_checked() {
        assert!(is_graph_version("v24.0"));
        assert!(is_graph_version("v18.0"));
        assert!(!is_graph_version("24.0"));
        assert!(!is_graph_version("v24"));
        assert!(!is_graph_version("v24.x"));
    }
}
