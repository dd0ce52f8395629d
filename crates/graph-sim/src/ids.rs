//! Random values: tokens, codes, ids, trace ids. All from the OS CSPRNG via
//! `getrandom`, because tests treat tokens and codes as secrets (docs/security.md L1).

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const SHORTCODE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    // The OS generator failing is not recoverable for a token issuer.
    getrandom::fill(&mut bytes).expect("the OS random generator failed");
    bytes
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so no bias).
fn random_string(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes(len * 2) {
            if (byte as usize) < limit && out.len() < len {
                out.push(alphabet[byte as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// `len` decimal digits, the first one never zero.
pub(crate) fn digits(len: usize) -> String {
    let mut out = random_string(b"0123456789", len);
    if out.starts_with('0') {
        out.replace_range(0..1, "1");
    }
    out
}

/// A user or page access token. Meta's start with `EAA`; `EAAG` marks the
/// Graph API family (the spec's "tokens look like EAAG…").
pub(crate) fn access_token() -> String {
    format!("EAAG{}", random_string(ALPHANUMERIC, 176))
}

/// An Instagram Login user token (Instagram's start with `IGAA` [believed]).
pub(crate) fn instagram_token() -> String {
    format!("IGAA{}", random_string(ALPHANUMERIC, 180))
}

/// An authorization code as the dialog returns it (Meta's start with `AQ`).
pub(crate) fn auth_code() -> String {
    format!("AQ{}", random_string(ALPHANUMERIC, 190))
}

/// Meta's `fbtrace_id`: 11 characters.
pub(crate) fn fbtrace_id() -> String {
    random_string(ALPHANUMERIC, 11)
}

/// An Instagram shortcode as used in permalinks.
pub(crate) fn shortcode() -> String {
    random_string(SHORTCODE, 11)
}

/// A short lower-case suffix that keeps generated usernames unique.
pub(crate) fn username_suffix() -> String {
    random_string(LOWER_ALPHANUMERIC, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_meta_tokens_and_differ() {
        let a = access_token();
        let b = access_token();
        assert!(a.starts_with("EAAG"));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_eq!(digits(17).len(), 17);
        assert!(!digits(5).starts_with('0'));
    }
}
