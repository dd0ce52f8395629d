//! Access-token checks for every token-bearing Graph call: missing (2500),
//! unknown (190), invalidated (190/460), expired (190/463) and
//! `appsecret_proof` (code 100) when the app requires it.

use axum::http::{header, HeaderMap};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::errors::{self, GraphError, GraphResult};
use super::params::Params;
use super::state::{Grant, ProofStatus, State, Token, TokenKind};

/// Who is calling: the checked token and what it stands for.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub token: String,
    pub app_id: String,
    pub user_id: String,
    /// Set for page tokens: the page the token acts as.
    pub page_id: Option<String>,
}

/// The access token from `access_token` or an `Authorization: OAuth|Bearer` header.
pub(crate) fn access_token<'a>(params: &'a Params, headers: &'a HeaderMap) -> Option<&'a str> {
    params.non_empty("access_token").or_else(|| {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("OAuth ")
                    .or_else(|| v.strip_prefix("Bearer "))
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
    })
}

/// Looks a token up and checks its lifetime, as the Graph front door does.
pub(crate) fn check_token<'a>(
    state: &'a State,
    value: &str,
    now: DateTime<Utc>,
) -> GraphResult<&'a Token> {
    let token = state
        .tokens
        .get(value)
        .ok_or_else(errors::unparsable_token)?;
    if token.invalidated {
        return Err(errors::invalidated_token());
    }
    if let Some(expires_at) = token.expires_at {
        if now >= expires_at {
            return Err(errors::expired_token(expires_at, now));
        }
    }
    Ok(token)
}

/// Authenticates a user- or page-token call, including `appsecret_proof`.
pub(crate) fn authenticate(
    state: &State,
    params: &Params,
    headers: &HeaderMap,
) -> GraphResult<Viewer> {
    let value = access_token(params, headers).ok_or_else(errors::missing_token)?;
    let now = state.now();
    let token = check_token(state, value, now)?;
    let app = state
        .apps
        .get(&token.app_id)
        .ok_or_else(errors::unparsable_token)?;
    match proof_status(&app.app_secret, value, params) {
        ProofStatus::Invalid => return Err(errors::appsecret_proof_invalid()),
        ProofStatus::Absent if app.require_appsecret_proof => {
            return Err(errors::appsecret_proof_missing())
        }
        _ => {}
    }
    let page_id = match &token.kind {
        TokenKind::Page { page_id } => Some(page_id.clone()),
        _ => None,
    };
    Ok(Viewer {
        token: value.to_string(),
        app_id: token.app_id.clone(),
        user_id: token.user_id.clone(),
        page_id,
    })
}

/// `appsecret_proof` = hex HMAC-SHA256 of the token keyed by the app secret;
/// with `appsecret_time`, of `token|time` (Meta's newer variant).
pub(crate) fn expected_proof(app_secret: &str, token: &str, time: Option<&str>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    match time {
        Some(time) => mac.update(format!("{token}|{time}").as_bytes()),
        None => mac.update(token.as_bytes()),
    }
    hex::encode(mac.finalize().into_bytes())
}

pub(crate) fn proof_status(app_secret: &str, token: &str, params: &Params) -> ProofStatus {
    match params.non_empty("appsecret_proof") {
        None => ProofStatus::Absent,
        Some(given) => {
            let expected = expected_proof(app_secret, token, params.non_empty("appsecret_time"));
            if given.trim().eq_ignore_ascii_case(&expected) {
                ProofStatus::Valid
            } else {
                ProofStatus::Invalid
            }
        }
    }
}

/// How the call carried its proof, for `GET /_sim/calls` (never the values).
pub(crate) fn describe_proof(state: &State, params: &Params, headers: &HeaderMap) -> ProofStatus {
    if params.non_empty("appsecret_proof").is_none() {
        return ProofStatus::Absent;
    }
    let Some(token) = access_token(params, headers) else {
        return ProofStatus::Invalid;
    };
    let app = state
        .tokens
        .get(token)
        .and_then(|t| state.apps.get(&t.app_id))
        .or_else(|| app_token_app(state, token));
    match app {
        Some(app) => proof_status(&app.app_secret, token, params),
        None => ProofStatus::Invalid,
    }
}

/// The app of an app access token `app_id|app_secret`, if the pair is right.
pub(crate) fn app_token_app<'a>(
    state: &'a State,
    token: &str,
) -> Option<&'a super::state::AppRecord> {
    let (id, secret) = token.split_once('|')?;
    state.apps.get(id).filter(|app| app.app_secret == secret)
}

impl Viewer {
    pub fn grant<'a>(&self, state: &'a State) -> Option<&'a Grant> {
        state.grant(&self.app_id, &self.user_id)
    }

    pub fn has_permission(&self, state: &State, permission: &str) -> bool {
        self.grant(state).is_some_and(|g| g.has(permission))
    }

    /// A page is reachable when the person ticked it in the dialog and, for a
    /// page token, when it is the token's own page.
    pub fn can_see_page(&self, state: &State, page_id: &str) -> bool {
        if self.page_id.as_deref().is_some_and(|own| own != page_id) {
            return false;
        }
        let owned = state
            .pages
            .get(page_id)
            .is_some_and(|p| p.owner_user_id == self.user_id);
        owned
            && self
                .grant(state)
                .is_some_and(|g| g.pages.iter().any(|p| p == page_id))
    }

    /// An IG account is reachable through its (reachable) page.
    pub fn can_see_ig_user(&self, state: &State, ig_user_id: &str) -> bool {
        state
            .ig_users
            .get(ig_user_id)
            .is_some_and(|ig| self.can_see_page(state, &ig.page_id))
    }
}

/// Checks `permission`, failing with `(#10) Requires … permission to manage the object`.
pub(crate) fn require(state: &State, viewer: &Viewer, permission: &str) -> Result<(), GraphError> {
    if viewer.has_permission(state, permission) {
        Ok(())
    } else {
        Err(errors::requires_permission(10, permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_is_hex_hmac_sha256() {
        // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog"), RFC 4231-style vector.
        assert_eq!(
            expected_proof("key", "The quick brown fox jumps over the lazy dog", None),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        let params = Params::from_pairs(&[(
            "appsecret_proof",
            "F7BC83F430538424B13298E6AA6FB143EF4D59A14946175997479DBC2D1A3CD8",
        )]);
        assert_eq!(
            proof_status(
                "key",
                "The quick brown fox jumps over the lazy dog",
                &params
            ),
            ProofStatus::Valid
        );
    }
}
