//! Meta's `signed_request` (graph-api.md §8): `<signature>.<payload>`, both base64url, where the
//! signature is HMAC-SHA256 of the payload *segment* (the base64 text as sent) keyed by the app
//! secret, and the payload is JSON naming the algorithm, when it was issued and the app-scoped
//! Facebook user it is about.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// How old a signed request may be. Meta calls us the moment a person removes the app or asks
/// for their data to be deleted, so a genuine request is seconds old; an hour leaves room for
/// Meta's queues and our clock's drift while bounding how long a captured request stays usable
/// and how long its signature must be remembered to refuse a replay.
pub const MAX_AGE: TimeDelta = TimeDelta::hours(1);
/// How far in the future `issued_at` may be: clocks on two sides of the Internet differ a little.
pub const MAX_SKEW: TimeDelta = TimeDelta::minutes(5);
/// Meta's signed requests are a few hundred bytes; anything far larger is not one.
const MAX_LEN: usize = 8 * 1024;
/// The only algorithm Meta documents, and the only one we verify with.
const ALGORITHM: &str = "HMAC-SHA256";

/// Why a signed request is refused. The messages go to the caller (Meta, or whoever forged it)
/// and to the log; they never carry the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    #[error("signed_request is malformed: {0}")]
    Malformed(&'static str),
    #[error("signed_request's signature does not match")]
    BadSignature,
    #[error("signed_request uses an algorithm other than HMAC-SHA256")]
    Algorithm,
    #[error("signed_request is too old")]
    Stale,
    #[error("signed_request is issued in the future")]
    FromTheFuture,
    #[error("signed_request was already used")]
    Replayed,
}

/// A verified signed request: genuine (signed with our app secret), recent, about one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The person's app-scoped Facebook user id.
    pub user_id: String,
    pub issued_at: DateTime<Utc>,
    signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Payload {
    algorithm: Option<String>,
    issued_at: Option<i64>,
    user_id: Option<serde_json::Value>,
}

impl SignedRequest {
    /// Verifies `raw` (the form field's value) against the app secret, at `now`: the signature
    /// first, in constant time, then what the signed payload says.
    pub fn verify(
        raw: &str,
        app_secret: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Self, SignedRequestError> {
        if raw.len() > MAX_LEN {
            return Err(SignedRequestError::Malformed("too long"));
        }
        let (sig_segment, payload_segment) = raw.split_once('.').ok_or(
            SignedRequestError::Malformed("no '.' between signature and payload"),
        )?;
        let signature = decode(sig_segment)
            .ok_or(SignedRequestError::Malformed("signature is not base64url"))?;
        let payload = decode(payload_segment)
            .ok_or(SignedRequestError::Malformed("payload is not base64url"))?;
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(app_secret).expect("HMAC takes any key length");
        mac.update(payload_segment.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| SignedRequestError::BadSignature)?;
        let payload: Payload = serde_json::from_slice(&payload)
            .map_err(|_| SignedRequestError::Malformed("payload is not the expected JSON"))?;
        if !payload
            .algorithm
            .is_some_and(|a| a.eq_ignore_ascii_case(ALGORITHM))
        {
            return Err(SignedRequestError::Algorithm);
        }
        let issued_at = payload
            .issued_at
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(SignedRequestError::Malformed("issued_at is missing"))?;
        if issued_at < now - MAX_AGE {
            return Err(SignedRequestError::Stale);
        }
        if issued_at > now + MAX_SKEW {
            return Err(SignedRequestError::FromTheFuture);
        }
        let user_id = payload
            .user_id
            .as_ref()
            .and_then(user_id)
            .ok_or(SignedRequestError::Malformed("user_id is missing"))?;
        Ok(Self {
            user_id,
            issued_at,
            signature,
        })
    }

    /// What remembers this request's use: the hash of its signature (as bytes, so that another
    /// spelling of the same signature, with padding, is the same request).
    pub fn replay_key(&self) -> String {
        crate::crypto::sha256_hex(&self.signature)
    }

    /// Until when its use must be remembered: after that it is refused as stale anyway.
    pub fn remember_until(&self) -> DateTime<Utc> {
        self.issued_at + MAX_AGE + MAX_SKEW
    }
}

/// base64url with or without its `=` padding.
fn decode(segment: &str) -> Option<Vec<u8>> {
    let bare = segment.trim_end_matches('=');
    (!bare.is_empty())
        .then(|| B64URL.decode(bare).ok())
        .flatten()
}

/// An app-scoped user id: Meta sends a numeric string; a number is taken too.
fn user_id(value: &serde_json::Value) -> Option<String> {
    let id = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return None,
    };
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";

    fn sign(payload: &serde_json::Value, secret: &[u8]) -> String {
        let payload = B64URL.encode(payload.to_string());
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
        mac.update(payload.as_bytes());
        format!("{}.{payload}", B64URL.encode(mac.finalize().into_bytes()))
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn payload(issued_at: i64) -> serde_json::Value {
        serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": "1234567"})
    }

    #[test]
    fn a_genuine_request_names_its_person() {
        let raw = sign(&payload(now().timestamp() - 10), SECRET);
        let r = SignedRequest::verify(&raw, SECRET, now()).unwrap();
        assert_eq!(r.user_id, "1234567");
        // Padding on either segment changes nothing, not even the replay key.
        let (sig, body) = raw.split_once('.').unwrap();
        let padded = format!("{sig}=.{body}");
        assert_eq!(
            SignedRequest::verify(&padded, SECRET, now())
                .unwrap()
                .replay_key(),
            r.replay_key()
        );
    }

    #[test]
    fn forged_old_future_and_broken_requests_are_refused() {
        let at = now().timestamp();
        let check = |raw: &str| SignedRequest::verify(raw, SECRET, now()).unwrap_err();
        assert_eq!(
            check(&sign(&payload(at), b"other")),
            SignedRequestError::BadSignature
        );
        assert_eq!(
            check(&sign(&payload(at - 3601), SECRET)),
            SignedRequestError::Stale
        );
        assert_eq!(
            check(&sign(&payload(at + 600), SECRET)),
            SignedRequestError::FromTheFuture
        );
        let mut md5 = payload(at);
        md5["algorithm"] = "HMAC-MD5".into();
        assert_eq!(check(&sign(&md5, SECRET)), SignedRequestError::Algorithm);
        let lower = {
            let mut p = payload(at);
            p["algorithm"] = "hmac-sha256".into();
            p
        };
        assert!(SignedRequest::verify(&sign(&lower, SECRET), SECRET, now()).is_ok());
        let no_user = serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": at});
        assert!(matches!(
            check(&sign(&no_user, SECRET)),
            SignedRequestError::Malformed(_)
        ));
        for raw in ["", "nodot", ".", "!!.??", &"a".repeat(9000)] {
            assert!(
                matches!(check(raw), SignedRequestError::Malformed(_)),
                "{raw}"
            );
        }
    }
}
