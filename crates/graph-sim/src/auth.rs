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
    /// An Instagram Login token (graph.instagram.com): `user_id` is the IG account's id and
    /// `app_id` the Instagram app's.
    pub instagram: bool,
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
    if let Some(death) = token.death {
        return Err(errors::dead_token(death, &token.app_id, &token.user_id));
    }
    if let Some(expires_at) = token.expires_at {
        if now >= expires_at {
            return Err(errors::expired_token(expires_at, now));
        }
    }
    Ok(token)
}

/// Authenticates a user- or page-token call on graph.facebook.com, including `appsecret_proof`.
pub(crate) fn authenticate(
    state: &State,
    params: &Params,
    headers: &HeaderMap,
) -> GraphResult<Viewer> {
    authenticate_on(state, params, headers, false)
}

/// Authenticates a call on graph.facebook.com (`instagram_host` false) or graph.instagram.com
/// (true). Each host knows only its own tokens: the other's answer a bare 190.
pub(crate) fn authenticate_on(
    state: &State,
    params: &Params,
    headers: &HeaderMap,
    instagram_host: bool,
) -> GraphResult<Viewer> {
    let value = access_token(params, headers).ok_or_else(errors::missing_token)?;
    let now = state.now();
    let is_instagram = state
        .tokens
        .get(value)
        .is_some_and(|t| matches!(t.kind, TokenKind::Instagram { .. }));
    if is_instagram != instagram_host {
        return Err(errors::unparsable_token());
    }
    let token = check_token(state, value, now)?;
    if let TokenKind::Instagram { ig_user_id, .. } = &token.kind {
        return Ok(Viewer {
            token: value.to_string(),
            app_id: token.app_id.clone(),
            user_id: ig_user_id.clone(),
            page_id: None,
            instagram: true,
        });
    }
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
        instagram: false,
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
        let permission = self.permission_name(permission);
        self.grant(state).is_some_and(|g| g.has(permission))
    }

    /// The name of a Facebook Login permission for this viewer: Instagram Login tokens carry
    /// the `instagram_business_*` scopes instead (§1).
    pub fn permission_name<'a>(&self, permission: &'a str) -> &'a str {
        if !self.instagram {
            return permission;
        }
        match permission {
            "instagram_basic" => "instagram_business_basic",
            "instagram_content_publish" => "instagram_business_content_publish",
            "instagram_manage_comments" => "instagram_business_manage_comments",
            "instagram_manage_insights" => "instagram_business_manage_insights",
            "instagram_manage_messages" => "instagram_business_manage_messages",
            other => other,
        }
    }

    /// A page is reachable when the person ticked it in the dialog and, for a
    /// page token, when it is the token's own page.
    pub fn can_see_page(&self, state: &State, page_id: &str) -> bool {
        if self.instagram {
            return false;
        }
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
        if self.instagram {
            return self.user_id == ig_user_id && state.ig_users.contains_key(ig_user_id);
        }
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
        Err(errors::requires_permission(
            10,
            viewer.permission_name(permission),
        ))
    }
}

/// Data access lapses 90 days after the person's last activity (§3 "Data access"): the token
/// stays valid but data calls fail, until a dialog run with `auth_type=reauthorize`. Page
/// tokens are hit only with `data_access_lapse_blocks_page_tokens`.
pub(crate) fn check_data_access(state: &State, viewer: &Viewer) -> GraphResult<()> {
    if viewer.instagram {
        return Ok(());
    }
    if viewer.page_id.is_some() && !state.settings.data_access_lapse_blocks_page_tokens {
        return Ok(());
    }
    match viewer.grant(state) {
        Some(grant) if state.now() >= grant.data_access_expires_at => {
            Err(errors::data_access_expired(&viewer.app_id))
        }
        _ => Ok(()),
    }
}

/// Pages reached through a Business Manager role need `ads_read` or `ads_management` for the
/// Page→IG lookup, IG user reads, containers and `content_publishing_limit` (§4).
pub(crate) fn business_role_allows_ig(state: &State, viewer: &Viewer, page_id: &str) -> bool {
    if viewer.instagram {
        return true;
    }
    let via_bm = state
        .pages
        .get(page_id)
        .is_some_and(|p| p.via_business_manager);
    !via_bm
        || viewer.has_permission(state, "ads_read")
        || viewer.has_permission(state, "ads_management")
}

/// The #10 for an IG call through a Business-Manager-role Page without `ads_read` [believed
/// wording; §4 says "#10/#200"].
pub(crate) fn require_ads_permission_for(
    state: &State,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult<()> {
    let page_id = state
        .ig_users
        .get(ig_user_id)
        .map(|ig| ig.page_id.clone())
        .unwrap_or_default();
    if business_role_allows_ig(state, viewer, &page_id) {
        Ok(())
    } else {
        Err(GraphError::new(
            10,
            "(#10) Requires ads_read or ads_management permission: the user's role on this Page comes through Business Manager",
        ))
    }
}

/// Publishing through a Page needs the MANAGE or CREATE_CONTENT task and no pending Page
/// Publishing Authorization (§4). Both refusals are code 10 [believed wording; §4 and §6 say
/// "#10/#200"]. Instagram Login tokens have no Page and skip this.
pub(crate) fn check_page_may_publish(
    state: &State,
    viewer: &Viewer,
    ig_user_id: &str,
) -> GraphResult<()> {
    if viewer.instagram {
        return Ok(());
    }
    let Some(page) = state
        .ig_users
        .get(ig_user_id)
        .and_then(|ig| state.pages.get(&ig.page_id))
    else {
        return Ok(());
    };
    if !page.can_publish() {
        return Err(GraphError::new(
            10,
            "(#10) Application does not have permission for this action",
        )
        .user(
            "Not allowed to publish",
            "Your role on the Facebook Page linked to this Instagram account does not allow publishing (needs the MANAGE or CREATE_CONTENT task).",
        ));
    }
    if page.publishing_authorization_pending {
        return Err(GraphError::new(
            10,
            "(#10) To publish on behalf of this Page, a Page admin must first complete Page Publishing Authorization.",
        )
        .user(
            "Page Publishing Authorization required",
            "Complete Page Publishing Authorization (and two-factor authentication) for the Facebook Page, then try again.",
        ));
    }
    Ok(())
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
