//! Randomness, hashing and the encryption of tokens at rest.
//!
//! Tokens are sealed with AES-256-GCM under a key ring (docs/security.md C1-C3): a fresh random 96-bit
//! nonce per value, the key id stored beside the ciphertext so keys can rotate, and associated data
//! that binds the ciphertext to its collection, field, tenant and account, so a ciphertext pasted
//! into another tenant's document does not decrypt.

use std::{fmt, sync::Arc};

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// An unguessable URL-safe token carrying `bytes` random bytes (docs/security.md O1 asks for >= 16).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    B64URL.encode(buf)
}

/// A new record id: a 24-hex-digit ObjectId, unique across processes and growing with time, so ids
/// double as a creation-order cursor in both stores.
pub fn new_id() -> String {
    mongodb::bson::oid::ObjectId::new().to_hex()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `appsecret_proof` for a Graph call: HMAC-SHA256 of the access token keyed by the app secret.
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// One 256-bit data key and its id (the first 8 hex digits of its SHA-256).
#[derive(Clone)]
pub struct TokenKey {
    kid: [u8; 4],
    cipher: Arc<Aes256Gcm>,
    /// The key media URLs are signed with, derived from this one so no other secret is needed
    /// (and a rotation keeps old URLs valid while the old key is listed).
    url_key: [u8; 32],
}

impl TokenKey {
    pub fn new(key: [u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(b"social-media-uploader media URLs v1");
        Self {
            kid: [digest[0], digest[1], digest[2], digest[3]],
            cipher: Arc::new(Aes256Gcm::new(&key.into())),
            url_key: mac.finalize().into_bytes().into(),
        }
    }

    pub fn kid(&self) -> String {
        hex::encode(self.kid)
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey(kid={})", self.kid())
    }
}

/// Encrypts with the current key; decrypts with the current or any previous key.
#[derive(Clone, Debug)]
pub struct KeyRing {
    current: TokenKey,
    previous: Vec<TokenKey>,
}

/// Where a sealed value lives; becomes the associated data.
pub struct SealContext<'a> {
    pub collection: &'a str,
    pub field: &'a str,
    pub customer_id: &'a str,
    pub account_id: &'a str,
}

impl SealContext<'_> {
    fn aad(&self) -> Vec<u8> {
        // `|` cannot appear in ids we accept, so the encoding is unambiguous.
        format!(
            "{}|{}|{}|{}",
            self.collection, self.field, self.customer_id, self.account_id
        )
        .into_bytes()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value was made with key {0}, which is not in the key ring")]
    UnknownKey(String),
    #[error("the sealed value does not decrypt here (wrong key, tenant or account)")]
    Forged,
}

/// Envelope layout, version 1: `[1][kid: 4][nonce: 12][ciphertext + tag]`.
const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 12;

impl KeyRing {
    pub fn new(current: TokenKey, previous: Vec<TokenKey>) -> Self {
        Self { current, previous }
    }

    pub fn current_kid(&self) -> String {
        self.current.kid()
    }

    /// Signs and checks media URLs with keys derived from the ring's.
    pub fn url_signer(&self) -> UrlSigner {
        UrlSigner {
            keys: std::iter::once(&self.current)
                .chain(&self.previous)
                .map(|k| k.url_key)
                .collect(),
        }
    }

    /// The ids of the previous keys, still accepted for decryption until every token is
    /// sealed again under the current one (`rotate-token-keys`).
    pub fn previous_kids(&self) -> Vec<String> {
        self.previous.iter().map(TokenKey::kid).collect()
    }

    pub fn seal(&self, plaintext: &str, ctx: &SealContext<'_>) -> Vec<u8> {
        let nonce_bytes = random_bytes::<12>();
        let aad = ctx.aad();
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(HEADER + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&self.current.kid);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn open(&self, sealed: &[u8], ctx: &SealContext<'_>) -> Result<String, CryptoError> {
        if sealed.len() <= HEADER || sealed[0] != VERSION {
            return Err(CryptoError::Malformed);
        }
        let kid = &sealed[1..5];
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)
            .ok_or_else(|| CryptoError::UnknownKey(hex::encode(kid)))?;
        let aad = ctx.aad();
        let plaintext = key
            .cipher
            .decrypt(
                Nonce::from_slice(&sealed[5..HEADER]),
                Payload {
                    msg: &sealed[HEADER..],
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Forged)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::Malformed)
    }

    /// Whether a sealed value was made with an older key and should be sealed again.
    pub fn is_stale(&self, sealed: &[u8]) -> bool {
        sealed.get(1..5) != Some(&self.current.kid[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(customer: &'a str, account: &'a str) -> SealContext<'a> {
        SealContext {
            collection: "instagram_credentials",
            field: "access_token",
            customer_id: customer,
            account_id: account,
        }
    }

    #[test]
    fn sealed_tokens_round_trip_and_hide_the_plaintext() {
        let ring = KeyRing::new(TokenKey::new([1; 32]), vec![]);
        let sealed = ring.seal("EAAG-secret-token", &ctx("acme", "1784"));
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            ring.open(&sealed, &ctx("acme", "1784")).unwrap(),
            "EAAG-secret-token"
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let ring = KeyRing::new(TokenKey::new([1; 32]), vec![]);
        let a = ring.seal("same", &ctx("acme", "1"));
        let b = ring.seal("same", &ctx("acme", "1"));
        assert_ne!(a[5..HEADER], b[5..HEADER]);
    }

    #[test]
    fn a_ciphertext_moved_to_another_tenant_or_account_does_not_open() {
        let ring = KeyRing::new(TokenKey::new([1; 32]), vec![]);
        let sealed = ring.seal("token", &ctx("acme", "1"));
        assert_eq!(
            ring.open(&sealed, &ctx("globex", "1")),
            Err(CryptoError::Forged)
        );
        assert_eq!(
            ring.open(&sealed, &ctx("acme", "2")),
            Err(CryptoError::Forged)
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_marks_them_stale() {
        let old = TokenKey::new([1; 32]);
        let sealed = KeyRing::new(old.clone(), vec![]).seal("token", &ctx("a", "1"));
        let rotated = KeyRing::new(TokenKey::new([2; 32]), vec![old]);
        assert_eq!(rotated.open(&sealed, &ctx("a", "1")).unwrap(), "token");
        assert!(rotated.is_stale(&sealed));
        assert!(!rotated.is_stale(&rotated.seal("token", &ctx("a", "1"))));
        let without_old = KeyRing::new(TokenKey::new([2; 32]), vec![]);
        assert!(matches!(
            without_old.open(&sealed, &ctx("a", "1")),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let ring = KeyRing::new(TokenKey::new([1; 32]), vec![]);
        let mut sealed = ring.seal("token", &ctx("a", "1"));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(ring.open(&sealed, &ctx("a", "1")), Err(CryptoError::Forged));
        assert_eq!(
            ring.open(b"plaintext-token", &ctx("a", "1")),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn random_tokens_carry_enough_entropy() {
        let t = random_token(32);
        assert_eq!(t.len(), 43);
        assert_ne!(t, random_token(32));
    }

    #[test]
    fn appsecret_proof_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            appsecret_proof("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

/// Signs what a media URL grants (its path and expiry) so that only URLs the service made open a
/// file (docs/security.md F4).
#[derive(Clone)]
pub struct UrlSigner {
    /// The current key first; older ones still verify.
    keys: Vec<[u8; 32]>,
}

impl fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UrlSigner({} keys)", self.keys.len())
    }
}

impl UrlSigner {
    fn mac(key: &[u8; 32], path: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(format!("{path}|{expires}").as_bytes());
        mac
    }

    /// The signature of `path` valid until `expires` (Unix seconds), URL-safe.
    pub fn sign(&self, path: &str, expires: i64) -> String {
        B64URL.encode(
            Self::mac(&self.keys[0], path, expires)
                .finalize()
                .into_bytes(),
        )
    }

    /// Whether `signature` was made by one of the keys for this path and expiry (constant time).
    pub fn verify(&self, path: &str, expires: i64, signature: &str) -> bool {
        let Ok(given) = B64URL.decode(signature) else {
            return false;
        };
        self.keys
            .iter()
            .any(|key| Self::mac(key, path, expires).verify_slice(&given).is_ok())
    }
}
