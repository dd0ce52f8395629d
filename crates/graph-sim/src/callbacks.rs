//! Meta's callbacks to the app (§8): the deauthorize and data deletion POSTs, each a form
//! body `signed_request=<sig>.<payload>`.
//!
//! `payload` is base64url without padding of the JSON
//! `{"algorithm":"HMAC-SHA256","issued_at":<unix seconds>,"user_id":"<app-scoped id>"}`;
//! `sig` is base64url without padding of HMAC-SHA256(payload segment, app secret) [doc deletion].

use std::time::Duration as StdDuration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::state::{State, TokenDeath};

/// `<sig>.<payload>` as Meta builds it.
pub(crate) fn signed_request(app_secret: &str, user_id: &str, issued_at: i64) -> String {
    let payload = json!({
        "algorithm": "HMAC-SHA256",
        "issued_at": issued_at,
        "user_id": user_id,
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(payload.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{sig}.{payload}")
}

/// POSTs `signed_request=…` form-encoded; answers the status and body text.
pub(crate) async fn post_signed_request(
    url: &str,
    signed_request: &str,
) -> Result<(u16, String), String> {
    let client = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("signed_request", signed_request)
        .finish();
    let response = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {url} failed: {e}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, text))
}

/// The person removed the app: their tokens of it answer 190/458 from now on and the grant
/// is forgotten (a later login starts afresh).
pub(crate) fn remove_app(state: &mut State, app_id: &str, user_id: &str) {
    for token in state
        .tokens
        .values_mut()
        .filter(|t| t.app_id == app_id && t.user_id == user_id)
    {
        token.death = Some(TokenDeath::AppRemoved);
    }
    state
        .grants
        .remove(&(app_id.to_string(), user_id.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_the_payload_segment() {
        let signed = signed_request("secret", "123", 1_700_000_000);
        let (sig, payload) = signed.split_once('.').unwrap();
        assert!(!signed.contains('='));
        let decoded: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(decoded["algorithm"], "HMAC-SHA256");
        assert_eq!(decoded["user_id"], "123");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(payload.as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
    }
}
