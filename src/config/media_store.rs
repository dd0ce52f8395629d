//! Where media bytes are kept: beside the store by default (files with the embedded store, GridFS
//! with MongoDB), or in S3-compatible object storage when `MEDIA_S3_BUCKET` is set, whichever
//! store keeps the records.

use secrecy::SecretString;
use url::Url;

use super::{ConfigError, Vars};
use crate::domain::library::is_valid_key;

pub const DEFAULT_S3_REGION: &str = "us-east-1";

/// An S3 bucket (AWS, or an S3-compatible server at `endpoint`) for the media library's bytes.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// An S3-compatible server (MinIO, Ceph, R2 ...), addressed path-style (`{endpoint}/{bucket}`);
    /// `None` for AWS itself.
    pub endpoint: Option<Url>,
    pub region: String,
    /// Both keys are secrets: neither reaches Debug output or the logs.
    pub access_key_id: SecretString,
    pub secret_access_key: SecretString,
    /// Every object lives under it (`{prefix}/{key}`), so one bucket may serve several
    /// deployments; no leading or trailing `/`.
    pub prefix: Option<String>,
}

/// S3 when `MEDIA_S3_BUCKET` is set; `None` keeps the bytes beside the store.
pub(super) fn s3(vars: &Vars) -> Result<Option<S3Config>, ConfigError> {
    const KEYS_FIX: &str = "Set MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY to an access key that may list, read, write and delete objects in the bucket";
    let (key_id, secret) = (
        vars.get("MEDIA_S3_ACCESS_KEY_ID"),
        vars.get("MEDIA_S3_SECRET_ACCESS_KEY"),
    );
    let Some(bucket) = vars.get("MEDIA_S3_BUCKET") else {
        // Any other S3 setting without a bucket is a half-done configuration, not a choice.
        let stray = [
            "MEDIA_S3_ENDPOINT",
            "MEDIA_S3_REGION",
            "MEDIA_S3_ACCESS_KEY_ID",
            "MEDIA_S3_SECRET_ACCESS_KEY",
            "MEDIA_S3_PREFIX",
        ]
        .into_iter()
        .find(|name| vars.get(name).is_some());
        return match stray {
            Some(name) => Err(ConfigError::new(
                "MEDIA_S3_BUCKET",
                format!("is not set while {name} is"),
                "Set MEDIA_S3_BUCKET to keep media in S3, or unset every MEDIA_S3_ variable to keep it beside the store",
            )),
            None => Ok(None),
        };
    };
    if !is_bucket_name(bucket) {
        return Err(ConfigError::new(
            "MEDIA_S3_BUCKET",
            format!("`{bucket}` is not an S3 bucket name"),
            "Use the bucket's name alone (3-63 lowercase letters, digits, dots and hyphens), not its URL",
        ));
    }
    let (access_key_id, secret_access_key) = match (key_id, secret) {
        (Some(id), Some(secret)) => (
            SecretString::from(id.to_string()),
            SecretString::from(secret.to_string()),
        ),
        (None, _) => {
            return Err(ConfigError::new(
                "MEDIA_S3_ACCESS_KEY_ID",
                "is not set while MEDIA_S3_BUCKET is",
                KEYS_FIX,
            ))
        }
        (Some(_), None) => {
            return Err(ConfigError::new(
                "MEDIA_S3_SECRET_ACCESS_KEY",
                "is not set while MEDIA_S3_ACCESS_KEY_ID is",
                KEYS_FIX,
            ))
        }
    };
    let region = vars.get("MEDIA_S3_REGION").unwrap_or(DEFAULT_S3_REGION);
    if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ConfigError::new(
            "MEDIA_S3_REGION",
            format!("`{region}` is not a region name"),
            format!("Set it to the bucket's region, e.g. {DEFAULT_S3_REGION}, or leave it unset"),
        ));
    }
    let prefix = match vars.get("MEDIA_S3_PREFIX").map(|p| p.trim_matches('/')) {
        None | Some("") => None,
        // The same rule as the keys themselves, so no prefix can name another place.
        Some(p) if is_valid_key(p) => Some(p.to_string()),
        Some(p) => {
            return Err(ConfigError::new(
                "MEDIA_S3_PREFIX",
                format!("`{p}` is not a usable prefix"),
                "Use path segments of letters, digits, -, _ and . separated by /, e.g. social-media/production",
            ))
        }
    };
    Ok(Some(S3Config {
        bucket: bucket.to_string(),
        endpoint: endpoint(vars)?,
        region: region.to_string(),
        access_key_id,
        secret_access_key,
        prefix,
    }))
}

/// An S3-compatible server's address. Plain http is allowed, for a server on this machine or
/// inside the deployment's network (requests are signed, so the secret key never travels).
fn endpoint(vars: &Vars) -> Result<Option<Url>, ConfigError> {
    const FIX: &str =
        "Set it to the server's base URL, e.g. http://127.0.0.1:9000, or unset it for AWS S3";
    let Some(raw) = vars.get("MEDIA_S3_ENDPOINT") else {
        return Ok(None);
    };
    let url = Url::parse(raw).map_err(|e| {
        ConfigError::new(
            "MEDIA_S3_ENDPOINT",
            format!("`{raw}` is not a URL ({e})"),
            FIX,
        )
    })?;
    let problem = if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        Some("must be an absolute http(s) URL")
    } else if !url.username().is_empty() || url.password().is_some() {
        Some("must not carry a user name or password (the keys have their own variables)")
    } else if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        Some("must be the server's address alone, without a path (the bucket has its own variable)")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ConfigError::new("MEDIA_S3_ENDPOINT", problem, FIX)),
        None => Ok(Some(url)),
    }
}

/// S3's rules for new buckets: 3-63 characters, lowercase letters, digits, dots and hyphens,
/// beginning and ending with a letter or digit.
fn is_bucket_name(name: &str) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last())
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn s3_of(pairs: &[(&str, &str)]) -> Result<Option<S3Config>, ConfigError> {
        s3(&Vars::from_map(pairs.iter().copied()))
    }

    const KEYS: [(&str, &str); 2] = [
        ("MEDIA_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("MEDIA_S3_SECRET_ACCESS_KEY", "s3-secret-canary-9b2e"),
    ];

    #[test]
    fn a_bucket_with_keys_turns_s3_on_with_defaults() {
        assert!(s3_of(&[]).unwrap().is_none(), "beside the store by default");
        let c = s3_of(&[KEYS[0], KEYS[1], ("MEDIA_S3_BUCKET", "smu-media")])
            .unwrap()
            .unwrap();
        assert_eq!(c.bucket, "smu-media");
        assert_eq!(c.region, DEFAULT_S3_REGION);
        assert!(c.endpoint.is_none() && c.prefix.is_none());
        assert_eq!(c.access_key_id.expose_secret(), "AKIDEXAMPLE");
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3-secret-canary-9b2e") && !debug.contains("AKIDEXAMPLE"));
    }

    #[test]
    fn a_compatible_server_takes_an_endpoint_and_a_prefix() {
        let c = s3_of(&[
            KEYS[0],
            KEYS[1],
            ("MEDIA_S3_BUCKET", "media"),
            ("MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("MEDIA_S3_REGION", "eu-central-1"),
            ("MEDIA_S3_PREFIX", "/social-media/production/"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            c.endpoint.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:9000/")
        );
        assert_eq!(c.region, "eu-central-1");
        assert_eq!(c.prefix.as_deref(), Some("social-media/production"));
    }

    #[test]
    fn half_a_configuration_names_what_is_missing() {
        let cases: [(&[(&str, &str)], &str); 9] = [
            (&[("MEDIA_S3_BUCKET", "media")], "MEDIA_S3_ACCESS_KEY_ID"),
            (
                &[("MEDIA_S3_BUCKET", "media"), KEYS[0]],
                "MEDIA_S3_SECRET_ACCESS_KEY",
            ),
            (&[KEYS[0], KEYS[1]], "MEDIA_S3_BUCKET"),
            (
                &[("MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000")],
                "MEDIA_S3_BUCKET",
            ),
            (
                &[KEYS[0], KEYS[1], ("MEDIA_S3_BUCKET", "s3://media")],
                "MEDIA_S3_BUCKET",
            ),
            (
                &[
                    KEYS[0],
                    KEYS[1],
                    ("MEDIA_S3_BUCKET", "media"),
                    ("MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000/media"),
                ],
                "MEDIA_S3_ENDPOINT",
            ),
            (
                &[
                    KEYS[0],
                    KEYS[1],
                    ("MEDIA_S3_BUCKET", "media"),
                    ("MEDIA_S3_ENDPOINT", "ftp://files.example"),
                ],
                "MEDIA_S3_ENDPOINT",
            ),
            (
                &[
                    KEYS[0],
                    KEYS[1],
                    ("MEDIA_S3_BUCKET", "media"),
                    ("MEDIA_S3_PREFIX", "a/../b"),
                ],
                "MEDIA_S3_PREFIX",
            ),
            (
                &[
                    KEYS[0],
                    KEYS[1],
                    ("MEDIA_S3_BUCKET", "media"),
                    ("MEDIA_S3_REGION", "eu central"),
                ],
                "MEDIA_S3_REGION",
            ),
        ];
        for (pairs, var) in cases {
            let err = s3_of(pairs).unwrap_err();
            assert_eq!(err.var, var, "{err}");
            assert!(!err.fix.is_empty());
            assert!(!err.to_string().contains("s3-secret-canary-9b2e"), "{err}");
        }
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["abc", "smu-media", "media.example.com", "a1b"] {
            assert!(is_bucket_name(good), "{good}");
        }
        for bad in [
            "ab", "Media", "-media", "media-", "me..dia", "me_dia", "s3://m",
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }
}
