//! Instagram Login, the second way to connect (docs/graph-api.md §1): its own Instagram app, its
//! own redirect URI, its own scopes, and the hosts it talks to.

use secrecy::SecretString;
use url::Url;

use super::{base_url, ConfigError, DemoConfig, Vars};

/// The app the demo registers with its simulator for Instagram Login.
pub const DEMO_INSTAGRAM_APP_ID: &str = "200000000000002";
/// Where Instagram sends the browser back (apart from Facebook Login's callback).
pub const INSTAGRAM_LOGIN_CALLBACK_PATH: &str =
    "/api/social-media/instagram/oauth/instagram/callback";
/// Publishing, and the first comment; the 2025 names (the old `business_*` ones stopped working).
pub const DEFAULT_INSTAGRAM_LOGIN_SCOPES: &str =
    "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_comments";

#[derive(Debug, Clone)]
pub struct InstagramLoginApp {
    /// The Instagram app's id (Meta's dashboard: Instagram > API setup with Instagram login),
    /// which is not the Facebook App's.
    pub app_id: String,
    pub app_secret: SecretString,
    /// Exactly the URI registered in the Instagram app.
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
}

/// Instagram Login when `INSTAGRAM_LOGIN_APP_ID` and `_SECRET` are set (or the demo's own);
/// `None` otherwise: the accounts page then offers Facebook Login only.
pub(super) fn instagram_login(
    vars: &Vars,
    public_origin: &str,
    demo: Option<&DemoConfig>,
) -> Result<Option<InstagramLoginApp>, ConfigError> {
    let (app_id, app_secret) = match (
        vars.get("INSTAGRAM_LOGIN_APP_ID"),
        vars.get("INSTAGRAM_LOGIN_APP_SECRET"),
    ) {
        (Some(id), Some(secret)) => {
            if !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(ConfigError::new(
                    "INSTAGRAM_LOGIN_APP_ID",
                    "must be the numeric Instagram App ID",
                    "Copy it from Meta's dashboard (Instagram > API setup with Instagram login > Instagram App ID)",
                ));
            }
            (id.to_string(), SecretString::from(secret.to_string()))
        }
        (None, None) if demo.is_some() => (
            DEMO_INSTAGRAM_APP_ID.to_string(),
            SecretString::from(crate::crypto::random_token(24)),
        ),
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(ConfigError::new(
                "INSTAGRAM_LOGIN_APP_SECRET",
                "is missing while INSTAGRAM_LOGIN_APP_ID is set",
                "Set both, from Meta's dashboard (Instagram > API setup with Instagram login)",
            ))
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "INSTAGRAM_LOGIN_APP_ID",
                "is missing while INSTAGRAM_LOGIN_APP_SECRET is set",
                "Set both, from Meta's dashboard (Instagram > API setup with Instagram login)",
            ))
        }
    };
    let default_redirect = format!("{public_origin}{INSTAGRAM_LOGIN_CALLBACK_PATH}");
    let redirect_uri = base_url(vars, "INSTAGRAM_LOGIN_REDIRECT_URI", &default_redirect)?;
    Ok(Some(InstagramLoginApp {
        app_id,
        app_secret,
        redirect_uri,
        scopes: vars
            .get("INSTAGRAM_LOGIN_SCOPES")
            .unwrap_or(DEFAULT_INSTAGRAM_LOGIN_SCOPES)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    }))
}

/// The three hosts of Instagram Login: www.instagram.com (dialog), api.instagram.com (code
/// exchange), graph.instagram.com (tokens and publishing). The demo serves all three from its
/// simulator, graph.instagram.com under `/_ig`.
pub(super) fn instagram_hosts(
    vars: &Vars,
    demo: Option<&DemoConfig>,
) -> Result<(Url, Url, Url), ConfigError> {
    let (dialog, api, graph) = match demo {
        Some(d) => {
            let sim = format!("http://{}", d.simulator_addr);
            (sim.clone(), sim.clone(), format!("{sim}/_ig"))
        }
        None => (
            "https://www.instagram.com".to_string(),
            "https://api.instagram.com".to_string(),
            "https://graph.instagram.com".to_string(),
        ),
    };
    Ok((
        base_url(vars, "INSTAGRAM_DIALOG_BASE_URL", &dialog)?,
        base_url(vars, "INSTAGRAM_API_BASE_URL", &api)?,
        base_url(vars, "INSTAGRAM_GRAPH_BASE_URL", &graph)?,
    ))
}
