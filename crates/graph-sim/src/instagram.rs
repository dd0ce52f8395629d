//! Instagram Login ("Business Login for Instagram", §1–§3): the dialog of www.instagram.com,
//! the code exchange of api.instagram.com and the token endpoints and Graph of
//! graph.instagram.com. How requests reach these hosts is in the crate docs ("Instagram Login").
//!
//! An Instagram app has its own id, secret and redirect URIs (`POST /_sim/instagram_apps`).
//! The accounts that can log in are the simulator's IG accounts: the dialog offers those of
//! the signed-in person. Instagram Login tokens work only on graph.instagram.com; Facebook
//! tokens only on graph.facebook.com (the other host answers a bare 190).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Duration;
use serde_json::{json, Value};

use super::auth;
use super::errors::{self, GraphError, GraphResult};
use super::graph::{self, GraphRequest};
use super::html::{self, escape};
use super::ids;
use super::params::Params;
use super::permissions;
use super::state::{AuthCode, Grant, IgAppRecord, State, Token, TokenKind};

/// Scopes Instagram Login knows (2025-03-24 names, §1); anything else is an invalid scope.
pub(crate) const INSTAGRAM_SCOPES: &[&str] = &[
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
    "instagram_business_manage_messages",
];

struct IgDialog<'a> {
    app: &'a IgAppRecord,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
}

fn validate<'a>(state: &'a State, params: &Params) -> Result<IgDialog<'a>, Box<Response>> {
    let app = params
        .non_empty("client_id")
        .and_then(|id| state.ig_apps.get(id))
        .ok_or_else(|| {
            Box::new(html::error_page(
                "Invalid Request",
                "Invalid Request: Request parameters are invalid: Invalid platform app",
            ))
        })?;
    let redirect_uri = params.get("redirect_uri").unwrap_or("");
    if !app.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return Err(Box::new(html::error_page(
            "Invalid Request",
            "Invalid Request: Request parameters are invalid: Invalid redirect_uri",
        )));
    }
    if params.non_empty("response_type").unwrap_or("code") != "code" {
        return Err(Box::new(html::error_page(
            "Invalid Request",
            "Invalid Request: Request parameters are invalid: response_type must be code",
        )));
    }
    let scopes = permissions::split_scope(params.get("scope").unwrap_or(""));
    let invalid: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !INSTAGRAM_SCOPES.contains(s))
        .collect();
    if !invalid.is_empty() {
        return Err(Box::new(html::error_page(
            "Invalid Scopes",
            &format!("Invalid Scopes: {}", invalid.join(", ")),
        )));
    }
    Ok(IgDialog {
        app,
        redirect_uri: redirect_uri.to_string(),
        state: params.get("state").map(str::to_string),
        scopes,
    })
}

/// The IG accounts the signed-in person (or `sim_user`) can log in as.
fn accounts_of(state: &State, params: &Params) -> Vec<(String, String)> {
    let user = params
        .non_empty("sim_user")
        .and_then(|id| state.users.get(id))
        .or_else(|| state.signed_in_user());
    user.map(|u| {
        u.page_ids
            .iter()
            .filter_map(|p| state.pages.get(p))
            .filter_map(|p| p.ig_user_id.as_ref())
            .filter_map(|id| state.ig_users.get(id))
            .map(|ig| (ig.id.clone(), ig.username.clone()))
            .collect()
    })
    .unwrap_or_default()
}

/// `GET /oauth/authorize` (www.instagram.com or api.instagram.com).
pub(crate) fn show_dialog(state: &State, params: &Params) -> Response {
    let request = match validate(state, params) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let accounts = accounts_of(state, params);
    if accounts.is_empty() {
        return html::error_page(
            "No one is signed in",
            "The Graph simulator has no Instagram account for the signed-in person.",
        );
    }
    let mut hidden = String::new();
    let mut add = |name: &str, value: &str| {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        ));
    };
    add("client_id", &request.app.app_id);
    add("redirect_uri", &request.redirect_uri);
    if let Some(s) = &request.state {
        add("state", s);
    }
    add("scope", &request.scopes.join(","));
    let choices: Vec<String> = accounts
        .iter()
        .enumerate()
        .map(|(i, (id, username))| {
            format!(
                "<div class=\"choice\"><input type=\"radio\" id=\"ig-{id}\" name=\"ig_user_id\" value=\"{id}\"{checked}>\
<label for=\"ig-{id}\">@{name}</label></div>",
                id = escape(id),
                name = escape(username),
                checked = if i == 0 { " checked" } else { "" },
            )
        })
        .collect();
    let perms: Vec<String> = request
        .scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let body = format!(
        "<h1>Allow {app} to access your Instagram account?</h1>\
<form method=\"post\" action=\"/oauth/authorize/confirm\">{hidden}\
<fieldset><legend>Log in as</legend>{choices}</fieldset>\
<ul>{perms}</ul>\
<div class=\"actions\" style=\"flex-direction:row-reverse;justify-content:flex-start\">\
<button type=\"submit\" name=\"action\" value=\"allow\" class=\"primary\">Allow</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\" class=\"secondary\">Cancel</button>\
</div></form>",
        app = escape(&request.app.name),
        choices = choices.concat(),
        perms = perms.concat(),
    );
    html::respond(StatusCode::OK, html::page("Instagram", &body))
}

/// `POST /oauth/authorize/confirm`: `client_id, redirect_uri, state, scope, ig_user_id,
/// action=allow|cancel`. Allow: `302 {redirect_uri}?code=…&state=…#_`; cancel:
/// `302 {redirect_uri}?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=…#_` (§2).
pub(crate) fn confirm_dialog(state: &mut State, params: &Params) -> Response {
    let (app_id, redirect_uri, oauth_state, scopes) = match validate(state, params) {
        Ok(r) => (r.app.app_id.clone(), r.redirect_uri, r.state, r.scopes),
        Err(page) => return *page,
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    match params.get("action") {
        Some("cancel") => {
            pairs.push(("error".into(), "access_denied".into()));
            pairs.push(("error_reason".into(), "user_denied".into()));
            pairs.push((
                "error_description".into(),
                "The user denied your request".into(),
            ));
        }
        Some("allow") => {
            let accounts = accounts_of(state, params);
            let chosen = params
                .non_empty("ig_user_id")
                .map(str::to_string)
                .or_else(|| accounts.first().map(|(id, _)| id.clone()));
            let Some(ig_user_id) = chosen.filter(|id| state.ig_users.contains_key(id)) else {
                return html::error_page(
                    "Something went wrong",
                    "The ig_user_id field does not name a simulator Instagram account.",
                );
            };
            let code = ids::auth_code();
            let now = state.now();
            state.codes.insert(
                code.clone(),
                AuthCode {
                    app_id: app_id.clone(),
                    user_id: String::new(),
                    ig_user_id: Some(ig_user_id),
                    ig_scopes: scopes,
                    redirect_uri: redirect_uri.clone(),
                    created_at: now,
                    used: false,
                },
            );
            pairs.push(("code".into(), code));
        }
        _ => {
            return html::error_page(
                "Something went wrong",
                "The action field must be allow or cancel.",
            )
        }
    }
    if let Some(s) = oauth_state {
        pairs.push(("state".into(), s));
    }
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        encoded.append_pair(k, v);
    }
    let base = redirect_uri.split('#').next().unwrap_or(&redirect_uri);
    let separator = if base.contains('?') { "&" } else { "?" };
    // Instagram appends `#_` (not Facebook's `#_=_`).
    let location = format!("{base}{separator}{}#_", encoded.finish());
    let mut response = html::respond(StatusCode::FOUND, String::new());
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `POST api.instagram.com/oauth/access_token` (form `client_id, client_secret,
/// grant_type=authorization_code, redirect_uri, code`) → `{access_token, user_id,
/// permissions}` with a 1 h token; errors in api.instagram.com's flat shape [believed].
pub(crate) fn exchange_code(state: &mut State, params: &Params) -> GraphResult {
    let app = params
        .non_empty("client_id")
        .and_then(|id| state.ig_apps.get(id))
        .cloned()
        .ok_or_else(|| GraphError::instagram_api("Invalid platform app"))?;
    if params.get("client_secret") != Some(app.app_secret.as_str()) {
        return Err(GraphError::instagram_api("Error validating client secret."));
    }
    if params.non_empty("grant_type") != Some("authorization_code") {
        return Err(GraphError::instagram_api(
            "Invalid grant_type: must be authorization_code",
        ));
    }
    let code_value = params
        .non_empty("code")
        .ok_or_else(|| GraphError::instagram_api("Missing required parameter 'code'"))?;
    let now = state.now();
    let ttl = Duration::seconds(state.settings.ig_code_ttl_secs);
    let code = state
        .codes
        .get_mut(code_value)
        .filter(|c| c.app_id == app.app_id && c.ig_user_id.is_some())
        .ok_or_else(|| {
            GraphError::instagram_api("Matching code was not found or was already used.")
        })?;
    if code.used {
        return Err(GraphError::instagram_api(
            "Matching code was not found or was already used.",
        ));
    }
    if now >= code.created_at + ttl {
        return Err(GraphError::instagram_api(
            "This authorization code has expired.",
        ));
    }
    if params.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(GraphError::instagram_api(
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        ));
    }
    code.used = true;
    let ig_user_id = code.ig_user_id.clone().unwrap_or_default();
    let scopes = code.ig_scopes.clone();
    state.grants.insert(
        (app.app_id.clone(), ig_user_id.clone()),
        Grant {
            granted: scopes.clone(),
            declined: Vec::new(),
            pages: Vec::new(),
            data_access_expires_at: now + Duration::seconds(state.settings.data_access_secs),
        },
    );
    let lifetime = state.settings.ig_short_lived_token_secs;
    let token = issue(state, &app.app_id, &ig_user_id, false, lifetime);
    let answer = json!({
        "access_token": token,
        "user_id": ig_user_id,
        "permissions": scopes.join(","),
    });
    Ok(if state.settings.ig_exchange_data_wrapper {
        json!({ "data": [answer] })
    } else {
        answer
    })
}

fn issue(state: &mut State, app_id: &str, ig_user_id: &str, long_lived: bool, secs: i64) -> String {
    let now = state.now();
    let value = ids::instagram_token();
    state.tokens.insert(
        value.clone(),
        Token {
            kind: TokenKind::Instagram {
                ig_user_id: ig_user_id.to_string(),
                long_lived,
            },
            app_id: app_id.to_string(),
            user_id: ig_user_id.to_string(),
            issued_at: now,
            expires_at: Some(now + Duration::seconds(secs)),
            death: None,
        },
    );
    value
}

/// "Unsupported request - method type: get": what a versioned `access_token` or
/// `refresh_access_token` answers [issue diwenne/openreply#31].
fn unsupported_method(method: &str) -> GraphError {
    GraphError::new(
        100,
        format!(
            "Unsupported request - method type: {}",
            method.to_ascii_lowercase()
        ),
    )
    .kind("IGApiException")
}

/// Everything on graph.instagram.com.
pub(crate) fn dispatch(state: &mut State, req: &GraphRequest) -> GraphResult {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["access_token"] if req.version.is_some() => Err(unsupported_method(&req.method)),
        ["refresh_access_token"] if req.version.is_some() => Err(unsupported_method(&req.method)),
        ["access_token"] => exchange_long_lived(state, &req.params, req),
        ["refresh_access_token"] => refresh(state, req),
        _ => {
            let viewer = auth::authenticate_on(state, &req.params, &req.headers, true)?;
            graph::object_call(state, req, &viewer)
        }
    }
}

/// `GET graph.instagram.com/access_token?grant_type=ig_exchange_token&client_secret&access_token`
/// (unversioned) → `{access_token, token_type: "bearer", expires_in: 5184000}`.
fn exchange_long_lived(state: &mut State, params: &Params, req: &GraphRequest) -> GraphResult {
    if params.non_empty("grant_type") != Some("ig_exchange_token") {
        return Err(
            GraphError::new(100, "Invalid grant_type: must be ig_exchange_token")
                .kind("IGApiException"),
        );
    }
    let secret = params
        .non_empty("client_secret")
        .ok_or_else(|| errors::missing_parameter("client_secret"))?
        .to_string();
    let viewer = auth::authenticate_on(state, params, &req.headers, true)?;
    let app_secret = state
        .ig_apps
        .get(&viewer.app_id)
        .map(|a| a.app_secret.clone())
        .unwrap_or_default();
    if secret != app_secret {
        return Err(errors::invalid_client_secret());
    }
    let lifetime = state.settings.ig_long_lived_token_secs;
    let token = issue(state, &viewer.app_id, &viewer.user_id, true, lifetime);
    Ok(json!({ "access_token": token, "token_type": "bearer", "expires_in": lifetime }))
}

/// `GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token`
/// (unversioned): a long-lived token at least `ig_refresh_min_age_secs` (24 h) old and not
/// expired, with `instagram_business_basic`, becomes a new one valid 60 days from now (§3).
fn refresh(state: &mut State, req: &GraphRequest) -> GraphResult {
    if req.params.non_empty("grant_type") != Some("ig_refresh_token") {
        return Err(
            GraphError::new(100, "Invalid grant_type: must be ig_refresh_token")
                .kind("IGApiException"),
        );
    }
    let viewer = auth::authenticate_on(state, &req.params, &req.headers, true)?;
    let token = state
        .tokens
        .get(&viewer.token)
        .cloned()
        .ok_or_else(errors::unparsable_token)?;
    let long_lived = matches!(
        token.kind,
        TokenKind::Instagram {
            long_lived: true,
            ..
        }
    );
    if !long_lived {
        // [believed] wording: only long-lived tokens can be refreshed.
        return Err(
            GraphError::new(100, "(#100) Only long-lived access tokens can be refreshed")
                .kind("IGApiException"),
        );
    }
    let now = state.now();
    if now < token.issued_at + Duration::seconds(state.settings.ig_refresh_min_age_secs) {
        // [believed] wording; the rule is documented [doc ig-refresh].
        return Err(GraphError::new(
            100,
            "(#100) The access token can be refreshed only when it is at least 24 hours old",
        )
        .kind("IGApiException"));
    }
    auth::require(state, &viewer, "instagram_basic")?;
    let lifetime = state.settings.ig_long_lived_token_secs;
    let value = issue(state, &viewer.app_id, &viewer.user_id, true, lifetime);
    let answer: Value =
        json!({ "access_token": value, "token_type": "bearer", "expires_in": lifetime });
    Ok(answer)
}
