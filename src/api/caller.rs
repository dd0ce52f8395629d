//! The platform server calling the API: a Bearer JWT, and tenant headers that must agree with it
//! (docs/security.md J4). The tenant comes from the verified claims only.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};

use crate::http::ApiError;
use crate::{domain::tenant::Tenant, server::AppState};

/// An authenticated API caller.
pub struct ApiCaller(pub Tenant);

/// Whoever a request acts for: the platform's server (JWT, [`ApiCaller`]) or a browser signed in
/// here ([`SessionCaller`]). Handlers that serve both are written once over this.
pub trait Caller: FromRequestParts<AppState, Rejection = ApiError> + Send {
    fn tenant(self) -> Tenant;
}

impl Caller for ApiCaller {
    fn tenant(self) -> Tenant {
        self.0
    }
}

/// A browser signed in here (its session), on routes behind the session layer and the
/// cross-site guard.
pub struct SessionCaller(pub Tenant);

impl Caller for SessionCaller {
    fn tenant(self) -> Tenant {
        self.0
    }
}

impl FromRequestParts<AppState> for SessionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unauthorized("Sign in first.".into()))?;
        match crate::auth::session::tenant(&session).await {
            Ok(Some(tenant)) => Ok(SessionCaller(tenant)),
            Ok(None) => Err(ApiError::Unauthorized(
                "Your session has ended: sign in again.".into(),
            )),
            Err(e) => {
                tracing::error!(error = %e, "session unavailable");
                Err(ApiError::from(crate::domain::DomainError::NotConfigured(
                    "Sessions are unavailable; try again.".into(),
                )))
            }
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)?;
        let tenant = state
            .services
            .jwt
            .verify(token)
            .map_err(|e| ApiError::Unauthorized(format!("Invalid token: {e}.")))?
            .tenant;
        check_header(
            &parts.headers,
            "x-customer-id",
            tenant.customer_id(),
            &tenant,
        )?;
        check_header(&parts.headers, "x-user-id", tenant.user_id(), &tenant)?;
        Ok(ApiCaller(tenant))
    }
}

fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::Unauthorized(
            "Missing or malformed Authorization header: send `Authorization: Bearer <JWT>`.".into(),
        )
    };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or_else(missing)?;
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "Send one Authorization header.".into(),
        ));
    }
    let value = value.to_str().map_err(|_| missing())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
}

/// An optional tenant header must name exactly the token's tenant.
fn check_header(
    headers: &HeaderMap,
    name: &'static str,
    expected: &str,
    tenant: &Tenant,
) -> Result<(), ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(());
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(format!("Send one {name} header.")));
    }
    if value.to_str().ok() != Some(expected) {
        tracing::warn!(target: "security", %name, tenant = ?tenant, "tenant header does not match the token");
        return Err(ApiError::Forbidden(format!(
            "The {name} header does not match the signed-in tenant."
        )));
    }
    Ok(())
}
