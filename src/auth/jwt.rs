//! Validation of the platform's JWTs (docs/security.md J1-J4).
//!
//! The algorithm is pinned by configuration, never taken from the token header, so `alg: none` and
//! algorithm confusion fail. Keys come only from configuration: `jku`, `x5u`, `jwk` and `kid` headers
//! are ignored. `exp` is required and may lie no further ahead than the configured horizon; `nbf`,
//! `iss` and `aud` are checked (`iss`, when present, must be a string); `iat` may not be in the
//! future; clock skew is 30 seconds.

use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;

use crate::{
    config::{JwtConfig, JwtKey},
    domain::tenant::Tenant,
};

/// Tokens larger than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
const LEEWAY_SECS: u64 = 30;

#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    /// How far ahead a token's `exp` may be.
    max_lifetime: chrono::TimeDelta,
}

/// A valid token: whom it names, and until when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub tenant: Tenant,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the token is too large")]
    TooLarge,
    #[error("the token is invalid: {0}")]
    Invalid(String),
    #[error("the token carries no {0} claim")]
    MissingClaim(&'static str),
    #[error("the token's tenant claims are malformed: {0}")]
    BadTenant(String),
    #[error("the token's {0}")]
    BadClaim(&'static str),
}

/// The claims we read; everything else in the token is ignored.
#[derive(Deserialize)]
struct Claims {
    /// Checked for its type and horizon here (the library checks that it has passed).
    exp: i64,
    #[serde(default)]
    iat: Option<Value>,
    #[serde(default)]
    iss: Option<Value>,
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    customer_id: Option<Value>,
    #[serde(default)]
    user_id: Option<Value>,
}

impl JwtVerifier {
    pub fn new(config: &JwtConfig) -> Result<Self, jsonwebtoken::errors::Error> {
        let (key, algorithm) = match &config.key {
            JwtKey::Hs256(secret) => (
                DecodingKey::from_secret(secret.expose_secret().as_bytes()),
                Algorithm::HS256,
            ),
            JwtKey::Rs256(pem) => (DecodingKey::from_rsa_pem(pem)?, Algorithm::RS256),
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match &config.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Ok(Self {
            key,
            validation,
            max_lifetime: config.max_lifetime,
        })
    }

    /// The tenant named by a valid token's `customer_id` and `user_id` (or `sub`) claims, and the
    /// token's expiry (a browser session it starts ends then).
    pub fn verify(&self, token: &str) -> Result<Verified, JwtError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::TooLarge);
        }
        let data = decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| JwtError::Invalid(describe(&e)))?;
        let claims = data.claims;
        let expires_at = self.check_times(&claims)?;
        if claims.iss.as_ref().is_some_and(|iss| !iss.is_string()) {
            return Err(JwtError::BadClaim("iss is not a string"));
        }
        let customer_id =
            claim_string(claims.customer_id).ok_or(JwtError::MissingClaim("customer_id"))?;
        let user_id = claim_string(claims.user_id)
            .or_else(|| claim_string(claims.sub))
            .ok_or(JwtError::MissingClaim("user_id"))?;
        let tenant =
            Tenant::new(customer_id, user_id).map_err(|e| JwtError::BadTenant(e.to_string()))?;
        Ok(Verified { tenant, expires_at })
    }

    /// `exp` no further ahead than the horizon; `iat`, when present, a number not in the future.
    fn check_times(&self, claims: &Claims) -> Result<DateTime<Utc>, JwtError> {
        let now = Utc::now();
        let leeway = chrono::TimeDelta::seconds(LEEWAY_SECS as i64);
        let expires_at = DateTime::from_timestamp(claims.exp, 0)
            .ok_or(JwtError::BadClaim("exp is out of range"))?;
        if expires_at > now + self.max_lifetime + leeway {
            return Err(JwtError::BadClaim(
                "exp is further ahead than this service accepts",
            ));
        }
        match &claims.iat {
            None => {}
            Some(Value::Number(n)) => {
                let issued = n
                    .as_i64()
                    .and_then(|t| DateTime::from_timestamp(t, 0))
                    .ok_or(JwtError::BadClaim("iat is not a time"))?;
                if issued > now + leeway {
                    return Err(JwtError::BadClaim("iat is in the future"));
                }
            }
            Some(_) => return Err(JwtError::BadClaim("iat is not a number")),
        }
        Ok(expires_at)
    }
}

/// Ids may be strings or numbers in the token; anything else is not an id.
fn claim_string(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A reason without echoing the token.
fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind::*;
    match e.kind() {
        ExpiredSignature => "it has expired".into(),
        ImmatureSignature => "it is not valid yet (nbf)".into(),
        InvalidIssuer => "wrong issuer".into(),
        InvalidAudience => "wrong audience".into(),
        InvalidSignature => "bad signature".into(),
        InvalidAlgorithm => "algorithm not allowed".into(),
        MissingRequiredClaim(claim) => format!("missing the {claim} claim"),
        InvalidToken | Base64(_) | Json(_) | Utf8(_) => "malformed".into(),
        _ => "rejected".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use secrecy::SecretString;
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    fn verifier(issuer: Option<&str>, audience: Option<&str>) -> JwtVerifier {
        JwtVerifier::new(&JwtConfig {
            key: JwtKey::Hs256(SecretString::from(SECRET)),
            issuer: issuer.map(String::from),
            audience: audience.map(String::from),
            max_lifetime: chrono::TimeDelta::hours(24),
        })
        .unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn sign(claims: Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn a_valid_token_names_the_tenant() {
        let t = verifier(Some("platform"), Some("smu"))
            .verify(&sign(json!({"customer_id": "c1", "user_id": "u1", "exp": now() + 60, "iss": "platform", "aud": "smu"})))
            .unwrap();
        assert_eq!((t.tenant.customer_id(), t.tenant.user_id()), ("c1", "u1"));
        assert_eq!(t.expires_at.timestamp(), now() + 60);
    }

    #[test]
    fn sub_stands_in_for_user_id_and_numbers_are_ids() {
        let t = verifier(None, None)
            .verify(&sign(
                json!({"customer_id": 42, "sub": "u9", "exp": now() + 60}),
            ))
            .unwrap();
        assert_eq!((t.tenant.customer_id(), t.tenant.user_id()), ("42", "u9"));
    }

    #[test]
    fn bad_tokens_are_refused() {
        let v = verifier(Some("platform"), Some("smu"));
        let ok = json!({"customer_id": "c", "user_id": "u", "iss": "platform", "aud": "smu"});
        let with = |extra: Value| {
            let mut c = ok.clone();
            c.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            c
        };
        let none_alg = {
            use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B, Engine};
            format!(
                "{}.{}.",
                B.encode(r#"{"alg":"none","typ":"JWT"}"#),
                B.encode(with(json!({"exp": now() + 60})).to_string())
            )
        };
        let cases = vec![
            ("expired", sign(with(json!({"exp": now() - 120})))),
            (
                "not yet valid",
                sign(with(json!({"exp": now() + 600, "nbf": now() + 300}))),
            ),
            ("missing exp", sign(ok.clone())),
            (
                "exp as a string",
                sign(with(json!({"exp": (now() + 60).to_string()}))),
            ),
            (
                "wrong issuer",
                sign(with(json!({"exp": now() + 60, "iss": "evil"}))),
            ),
            (
                "wrong audience",
                sign(with(json!({"exp": now() + 60, "aud": "other"}))),
            ),
            ("alg none", none_alg),
            (
                "wrong key",
                encode(
                    &Header::new(Algorithm::HS256),
                    &with(json!({"exp": now() + 60})),
                    &EncodingKey::from_secret(b"another-secret-another-secret-xx"),
                )
                .unwrap(),
            ),
            (
                "HS384 not pinned",
                encode(
                    &Header::new(Algorithm::HS384),
                    &with(json!({"exp": now() + 60})),
                    &EncodingKey::from_secret(SECRET.as_bytes()),
                )
                .unwrap(),
            ),
            ("two segments", "abc.def".to_string()),
            ("garbage", "not a token".to_string()),
            ("too large", "a".repeat(16 * 1024)),
            (
                "no customer",
                sign(json!({"user_id": "u", "exp": now() + 60, "iss": "platform", "aud": "smu"})),
            ),
            (
                "operator as id",
                sign(with(
                    json!({"exp": now() + 60, "customer_id": {"$ne": null}}),
                )),
            ),
            (
                "injection-ish id",
                sign(with(json!({"exp": now() + 60, "customer_id": "a|b"}))),
            ),
            (
                "exp beyond the horizon",
                sign(with(json!({"exp": now() + 25 * 3600}))),
            ),
            (
                "iat in the future",
                sign(with(json!({"exp": now() + 60, "iat": now() + 3600}))),
            ),
            (
                "iat not a number",
                sign(with(json!({"exp": now() + 60, "iat": "yesterday"}))),
            ),
        ];
        for (name, token) in cases {
            assert!(v.verify(&token).is_err(), "{name} was accepted");
        }
    }

    #[test]
    fn iss_must_be_a_string_even_when_no_issuer_is_configured() {
        let v = verifier(None, None);
        let claims =
            |iss: Value| json!({"customer_id": "c", "user_id": "u", "exp": now() + 60, "iss": iss});
        assert!(v.verify(&sign(claims(json!("platform")))).is_ok());
        for bad in [json!(42), json!(["platform"]), json!({"x": 1}), json!(true)] {
            assert!(
                v.verify(&sign(claims(bad.clone()))).is_err(),
                "iss {bad} accepted"
            );
        }
    }

    #[test]
    fn jku_and_kid_headers_change_nothing() {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("../../etc/passwd".into());
        header.jku = Some("https://attacker.test/jwks.json".into());
        let token = encode(
            &header,
            &json!({"customer_id": "c", "user_id": "u", "exp": now() + 60}),
            &EncodingKey::from_secret(b"attacker-secret-attacker-secret!"),
        )
        .unwrap();
        assert!(verifier(None, None).verify(&token).is_err());
    }
}
