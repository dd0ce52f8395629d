//! Token endpoints: `/{v}/oauth/access_token` (rows B1, B2) and
//! `/{v}/debug_token` (row C), plus token issuing for the rest of the sim.

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::auth;
use super::errors::{self, GraphError, GraphResult};
use super::ids;
use super::params::Params;
use super::permissions;
use super::state::{AppRecord, State, Token, TokenKind};

/// `GET|POST /{v}/oauth/access_token`: code exchange, long-lived exchange, or app token.
pub(crate) fn access_token(state: &mut State, params: &Params) -> GraphResult {
    let app = authenticate_app(state, params)?;
    match params.non_empty("grant_type") {
        Some("fb_exchange_token") => exchange_long_lived(state, &app, params),
        Some("client_credentials") => Ok(json!({
            "access_token": format!("{}|{}", app.app_id, app.app_secret),
            "token_type": "bearer",
        })),
        None | Some("authorization_code") => exchange_code(state, &app, params),
        Some(other) => Err(GraphError::new(
            100,
            format!("Unsupported grant_type: {other}"),
        )),
    }
}

/// client_id (101) then client_secret (1), as row B1 lists them.
fn authenticate_app(state: &State, params: &Params) -> GraphResult<AppRecord> {
    let client_id = params
        .non_empty("client_id")
        .ok_or_else(|| GraphError::new(101, "Missing client_id parameter."))?;
    let app = state
        .apps
        .get(client_id)
        .ok_or_else(errors::invalid_application)?;
    match params.get("client_secret") {
        Some(secret) if secret == app.app_secret => Ok(app.clone()),
        Some(_) => Err(errors::invalid_client_secret()),
        None => Err(errors::missing_parameter("client_secret")),
    }
}

/// Row B1. Checks, in order: unknown code, used (36009), expired (36007),
/// redirect_uri not identical (36008). A code is spent only by a successful exchange.
fn exchange_code(state: &mut State, app: &AppRecord, params: &Params) -> GraphResult {
    let code_value = params
        .non_empty("code")
        .ok_or_else(|| errors::missing_parameter("code"))?;
    let now = state.now();
    let code_ttl = Duration::seconds(state.settings.code_ttl_secs);
    let code = state
        .codes
        .get_mut(code_value)
        .filter(|c| c.app_id == app.app_id)
        .ok_or_else(errors::code_invalid)?;
    if code.used {
        return Err(errors::code_used());
    }
    if now >= code.created_at + code_ttl {
        return Err(errors::code_expired());
    }
    if params.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(errors::code_redirect_mismatch());
    }
    code.used = true;
    let user_id = code.user_id.clone();
    let lifetime = state.settings.short_lived_token_secs;
    let token = issue_user_token(
        state,
        &app.app_id,
        &user_id,
        TokenKind::ShortLivedUser,
        lifetime,
    );
    Ok(token_response(&token, lifetime))
}

/// Row B2: a valid (unexpired) user token of this app becomes a long-lived one.
fn exchange_long_lived(state: &mut State, app: &AppRecord, params: &Params) -> GraphResult {
    let input = params
        .non_empty("fb_exchange_token")
        .ok_or_else(|| errors::missing_parameter("fb_exchange_token"))?;
    let now = state.now();
    let token = auth::check_token(state, input, now)?;
    if token.app_id != app.app_id
        || !matches!(
            token.kind,
            TokenKind::ShortLivedUser | TokenKind::LongLivedUser
        )
    {
        return Err(errors::unparsable_token());
    }
    let user_id = token.user_id.clone();
    let lifetime = state.settings.long_lived_token_secs;
    let token = issue_user_token(
        state,
        &app.app_id,
        &user_id,
        TokenKind::LongLivedUser,
        lifetime,
    );
    if state.settings.long_lived_expires_in_omitted {
        // Seen in the wild (§3 "Long-lived"): no `expires_in` at all.
        return Ok(json!({ "access_token": token, "token_type": "bearer" }));
    }
    Ok(token_response(&token, lifetime))
}

fn token_response(token: &str, expires_in: i64) -> Value {
    json!({ "access_token": token, "token_type": "bearer", "expires_in": expires_in })
}

pub(crate) fn issue_user_token(
    state: &mut State,
    app_id: &str,
    user_id: &str,
    kind: TokenKind,
    lifetime_secs: i64,
) -> String {
    let now = state.now();
    let value = ids::access_token();
    state.tokens.insert(
        value.clone(),
        Token {
            kind,
            app_id: app_id.to_string(),
            user_id: user_id.to_string(),
            issued_at: now,
            expires_at: Some(now + Duration::seconds(lifetime_secs)),
            death: None,
        },
    );
    value
}

/// The page token derived from `parent` (a user token) for `page_id`; one per
/// parent and page. It never expires when derived from a long-lived token
/// (setting `long_lived_page_tokens_never_expire`); from a short-lived one it lives
/// `short_page_token_secs` (1 h), never beyond its parent.
pub(crate) fn page_token(state: &mut State, parent: &str, page_id: &str) -> Option<String> {
    let key = (parent.to_string(), page_id.to_string());
    if let Some(existing) = state.page_tokens.get(&key) {
        return Some(existing.clone());
    }
    let parent_token = state.tokens.get(parent)?.clone();
    match &parent_token.kind {
        // A page token asking for its own page token gets itself back.
        TokenKind::Page { page_id: own } => return (own == page_id).then(|| parent.to_string()),
        TokenKind::Instagram { .. } => return None,
        _ => {}
    }
    let never_expires = parent_token.kind == TokenKind::LongLivedUser
        && state.settings.long_lived_page_tokens_never_expire;
    let now = state.now();
    let expires_at = if never_expires {
        None
    } else if parent_token.kind == TokenKind::ShortLivedUser {
        let own = now + Duration::seconds(state.settings.short_page_token_secs);
        Some(
            parent_token
                .expires_at
                .map_or(own, |parent| parent.min(own)),
        )
    } else {
        parent_token.expires_at
    };
    let value = ids::access_token();
    state.tokens.insert(
        value.clone(),
        Token {
            kind: TokenKind::Page {
                page_id: page_id.to_string(),
            },
            app_id: parent_token.app_id,
            user_id: parent_token.user_id,
            issued_at: now,
            expires_at,
            death: None,
        },
    );
    state.page_tokens.insert(key, value.clone());
    Some(value)
}

/// `GET /{v}/debug_token?input_token=…&access_token=<app_id>|<app_secret>` (row C).
pub(crate) fn debug_token(state: &State, params: &Params, headers: &HeaderMap) -> GraphResult {
    let caller = auth::access_token(params, headers).ok_or_else(errors::missing_token)?;
    let now = state.now();
    // An app token, or a valid user token of the app, may inspect tokens.
    if auth::app_token_app(state, caller).is_none() {
        auth::check_token(state, caller, now)?;
    }
    let input = params
        .non_empty("input_token")
        .ok_or_else(|| errors::required_parameter("input_token"))?;
    // Instagram Login tokens are not Facebook tokens: graph.facebook.com cannot parse them.
    let Some(token) = state
        .tokens
        .get(input)
        .filter(|t| !matches!(t.kind, TokenKind::Instagram { .. }))
    else {
        return Ok(json!({ "data": {
            "error": { "code": 190, "message": "Invalid OAuth access token - Cannot parse access token" },
            "is_valid": false,
            "scopes": [],
        }}));
    };
    let mut data = token_facts(state, token);
    if let Err(error) = auth::check_token(state, input, now) {
        data.insert("is_valid".into(), json!(false));
        let mut inner = Map::new();
        inner.insert("code".into(), json!(error.code));
        inner.insert("message".into(), json!(error.message));
        if let Some(subcode) = error.subcode {
            inner.insert("subcode".into(), json!(subcode));
        }
        data.insert("error".into(), Value::Object(inner));
    }
    Ok(json!({ "data": Value::Object(data) }))
}

fn unix(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// The `data` object for a known token, valid until proven otherwise.
fn token_facts(state: &State, token: &Token) -> Map<String, Value> {
    let app_name = state
        .apps
        .get(&token.app_id)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let grant = state.grant(&token.app_id, &token.user_id);
    let scopes: Vec<String> = grant.map(|g| g.granted.clone()).unwrap_or_default();
    let granular: Vec<Value> = grant
        .map(|g| {
            g.granted
                .iter()
                .map(|scope| match permissions::target_ids(state, g, scope) {
                    Some(ids) => json!({ "scope": scope, "target_ids": ids }),
                    None => json!({ "scope": scope }),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut data = Map::new();
    data.insert("app_id".into(), json!(token.app_id));
    let kind = match &token.kind {
        TokenKind::Page { page_id } => {
            data.insert("profile_id".into(), json!(page_id));
            "PAGE"
        }
        _ => "USER",
    };
    data.insert("type".into(), json!(kind));
    data.insert("application".into(), json!(app_name));
    data.insert(
        "data_access_expires_at".into(),
        json!(grant.map(|g| unix(g.data_access_expires_at)).unwrap_or(0)),
    );
    // Meta reports 0 for tokens that never expire.
    data.insert(
        "expires_at".into(),
        json!(token.expires_at.map(unix).unwrap_or(0)),
    );
    data.insert("is_valid".into(), json!(true));
    data.insert("issued_at".into(), json!(unix(token.issued_at)));
    data.insert("scopes".into(), json!(scopes));
    data.insert("granular_scopes".into(), json!(granular));
    data.insert("user_id".into(), json!(token.user_id));
    data
}
