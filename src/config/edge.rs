//! How the service meets the outside world: which platform origins may hand users over and bind
//! connect flows, how long a browser session may last, the connection limits anonymous clients
//! meet, and the rate limits (docs/security.md B4, O10, S1, N1, RL1).

use std::time::Duration;

use url::Url;

use super::{ConfigError, Vars};

#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Origins of the platform's own pages (`PLATFORM_ORIGINS`): they may hand a user over
    /// (`POST /auth/session`) and bind a connect flow to a popup. Nothing else cross-site may.
    pub platform_origins: Vec<String>,
    /// A browser session ends at its JWT's `exp` and, at the latest, this long after sign-in.
    pub session_max: Duration,
    pub connections: ConnectionLimits,
    pub rate_limits: RateLimits,
    /// Where the client's address comes from behind a proxy (`CLIENT_IP_HEADER`); unset: the
    /// peer of the TCP connection.
    pub client_ip_header: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
    /// A client has this long to send a request's head.
    pub header_read_timeout: Duration,
    /// The largest request head (request line and headers); larger gets 431.
    pub max_header_bytes: usize,
    /// On shutdown, in-flight requests get this long before their connections are closed.
    pub shutdown_grace: Duration,
}

/// Requests per minute, per client address and per tenant. `None` turns a limit off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub connect_per_ip: Option<u32>,
    pub connect_per_tenant: Option<u32>,
    pub sign_in_per_ip: Option<u32>,
    pub posts_per_ip: Option<u32>,
    pub posts_per_tenant: Option<u32>,
    /// Place searches: each one is a Graph call with the customer's login.
    pub searches_per_tenant: Option<u32>,
}

pub(super) fn edge(vars: &Vars) -> Result<EdgeConfig, ConfigError> {
    Ok(EdgeConfig {
        platform_origins: platform_origins(vars)?,
        session_max: Duration::from_secs(
            3600 * positive(vars, "SESSION_MAX_HOURS", 12, "a whole number of hours")?,
        ),
        connections: ConnectionLimits {
            max_connections: positive(vars, "MAX_CONNECTIONS", 1024, "a whole number")? as usize,
            header_read_timeout: Duration::from_secs(positive(
                vars,
                "HEADER_READ_TIMEOUT_SECS",
                10,
                "a number of seconds",
            )?),
            max_header_bytes: 16 * 1024,
            shutdown_grace: Duration::from_secs(positive(
                vars,
                "SHUTDOWN_GRACE_SECS",
                10,
                "a number of seconds",
            )?),
        },
        rate_limits: rate_limits(vars)?,
        client_ip_header: vars.get("CLIENT_IP_HEADER").map(str::to_ascii_lowercase),
    })
}

fn positive(
    vars: &Vars,
    name: &'static str,
    default: u64,
    expect: &str,
) -> Result<u64, ConfigError> {
    let value: u64 = vars.parse(name, default, expect)?;
    if value == 0 {
        return Err(ConfigError::new(name, "is 0", "Set it to at least 1"));
    }
    Ok(value)
}

/// `https://platform.example.com,https://admin.example.com`: origins only, no paths.
fn platform_origins(vars: &Vars) -> Result<Vec<String>, ConfigError> {
    origins(vars, "PLATFORM_ORIGINS")
}

/// A comma-separated list of origins (scheme, host and port only) in `name`.
pub(super) fn origins(vars: &Vars, name: &'static str) -> Result<Vec<String>, ConfigError> {
    const FIX: &str = "List origins, comma-separated, like https://app.example.com";
    let Some(raw) = vars.get(name) else {
        return Ok(vec![]);
    };
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let url = Url::parse(origin)
                .map_err(|_| ConfigError::new(name, format!("`{origin}` is not a URL"), FIX))?;
            let serialized = url.origin().ascii_serialization();
            let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
            if !matches!(url.scheme(), "http" | "https") || !bare || serialized == "null" {
                return Err(ConfigError::new(
                    name,
                    format!("`{origin}` is not an origin (scheme, host and port only)"),
                    FIX,
                ));
            }
            Ok(serialized)
        })
        .collect()
}

/// Each limit is requests per minute; `0` turns it off (benchmarks, load tests).
fn rate_limits(vars: &Vars) -> Result<RateLimits, ConfigError> {
    let limit = |name: &'static str, default: u32| -> Result<Option<u32>, ConfigError> {
        let n: u32 = vars.parse(
            name,
            default,
            "a number of requests per minute (0: no limit)",
        )?;
        Ok((n > 0).then_some(n))
    };
    Ok(RateLimits {
        connect_per_ip: limit("RATE_LIMIT_CONNECT_PER_IP", 20)?,
        connect_per_tenant: limit("RATE_LIMIT_CONNECT_PER_TENANT", 10)?,
        sign_in_per_ip: limit("RATE_LIMIT_SIGN_IN_PER_IP", 30)?,
        posts_per_ip: limit("RATE_LIMIT_POSTS_PER_IP", 120)?,
        posts_per_tenant: limit("RATE_LIMIT_POSTS_PER_TENANT", 300)?,
        searches_per_tenant: limit("RATE_LIMIT_SEARCHES_PER_TENANT", 60)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn platform_origins_are_origins_only() {
        let ok = platform_origins(&vars(&[(
            "PLATFORM_ORIGINS",
            "https://app.example.com, http://localhost:3000",
        )]))
        .unwrap();
        assert_eq!(ok, ["https://app.example.com", "http://localhost:3000"]);
        for bad in [
            "https://app.example.com/login",
            "app.example.com",
            "javascript:alert(1)",
            "file:///etc",
            "https://app.example.com/?x=1",
        ] {
            assert!(
                platform_origins(&vars(&[("PLATFORM_ORIGINS", bad)])).is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn a_zero_rate_limit_turns_it_off() {
        let limits = rate_limits(&vars(&[("RATE_LIMIT_POSTS_PER_TENANT", "0")])).unwrap();
        assert_eq!(limits.posts_per_tenant, None);
        assert_eq!(limits.connect_per_ip, Some(20));
    }
}
