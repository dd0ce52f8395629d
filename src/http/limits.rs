//! Rate limits per client address and per tenant on what is costly or abusable: starting a
//! connection, signing in (hand-off and the demo form), creating posts (docs/security.md RL1).
//! Answers past a limit are 429 with `Retry-After`. Requests from the platform's API server all
//! come from its address, so the API is limited per tenant only; browsers per address too.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    time::Duration,
};

use axum::http::{Extensions, HeaderMap};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{
    config::{EdgeConfig, RateLimits},
    domain::tenant::Tenant,
};

/// What a request does, for its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Connect,
    SignIn,
    Post,
    /// A place search, from the API or the composer.
    Search,
}

/// A request over its limit: when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for `Retry-After`, at least one.
    pub fn seconds(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }

    pub fn message(&self) -> String {
        format!(
            "Too many requests. Try again in {} seconds.",
            self.seconds()
        )
    }
}

type ByIp = DefaultKeyedRateLimiter<IpAddr>;
type ByTenant = DefaultKeyedRateLimiter<Tenant>;

pub struct RateLimiters {
    connect_ip: Option<ByIp>,
    connect_tenant: Option<ByTenant>,
    sign_in_ip: Option<ByIp>,
    posts_ip: Option<ByIp>,
    posts_tenant: Option<ByTenant>,
    searches_tenant: Option<ByTenant>,
}

fn per_minute<K: std::hash::Hash + Eq + Clone>(
    n: Option<u32>,
) -> Option<DefaultKeyedRateLimiter<K>> {
    let n = NonZeroU32::new(n?)?;
    Some(RateLimiter::keyed(Quota::per_minute(n)))
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<DefaultKeyedRateLimiter<K>>,
    key: Option<&K>,
) -> Result<(), Limited> {
    let (Some(limiter), Some(key)) = (limiter, key) else {
        return Ok(());
    };
    limiter.check_key(key).map_err(|not_until| Limited {
        retry_after: not_until.wait_time_from(governor::clock::DefaultClock::default().now()),
    })
}

impl RateLimiters {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            connect_ip: per_minute(limits.connect_per_ip),
            connect_tenant: per_minute(limits.connect_per_tenant),
            sign_in_ip: per_minute(limits.sign_in_per_ip),
            posts_ip: per_minute(limits.posts_per_ip),
            posts_tenant: per_minute(limits.posts_per_tenant),
            searches_tenant: per_minute(limits.searches_per_tenant),
        }
    }

    /// Counts one `action` for the client address (when known) and the tenant (when known).
    pub fn check(
        &self,
        action: Action,
        ip: Option<IpAddr>,
        tenant: Option<&Tenant>,
    ) -> Result<(), Limited> {
        let ip = ip.as_ref();
        match action {
            Action::Connect => {
                check(&self.connect_ip, ip)?;
                check(&self.connect_tenant, tenant)
            }
            Action::SignIn => check(&self.sign_in_ip, ip),
            Action::Post => {
                check(&self.posts_ip, ip)?;
                check(&self.posts_tenant, tenant)
            }
            Action::Search => check(&self.searches_tenant, tenant),
        }
    }

    /// Forgets clients that have been quiet long enough to be back at a full allowance, so the
    /// tables stay as small as the set of recent clients.
    pub fn forget_idle(&self) {
        for limiter in [&self.connect_ip, &self.sign_in_ip, &self.posts_ip]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in [
            &self.connect_tenant,
            &self.posts_tenant,
            &self.searches_tenant,
        ]
        .into_iter()
        .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The client's address: the configured header's rightmost address behind a proxy that sets it
/// (`CLIENT_IP_HEADER`), otherwise the connection's peer.
pub fn client_ip(
    edge: &EdgeConfig,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<IpAddr> {
    if let Some(name) = &edge.client_ip_header {
        return headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
            .next_back();
    }
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(n: u32) -> RateLimits {
        RateLimits {
            connect_per_ip: Some(n),
            connect_per_tenant: Some(n),
            sign_in_per_ip: Some(n),
            posts_per_ip: None,
            posts_per_tenant: Some(n),
            searches_per_tenant: Some(n),
        }
    }

    #[test]
    fn a_client_past_its_limit_is_told_when_to_come_back() {
        let limiters = RateLimiters::new(&limits(3));
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..3 {
            assert!(limiters.check(Action::SignIn, Some(ip), None).is_ok());
        }
        let limited = limiters.check(Action::SignIn, Some(ip), None).unwrap_err();
        assert!(
            limited.seconds() >= 1 && limited.seconds() <= 20,
            "{limited:?}"
        );
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert!(
            limiters.check(Action::SignIn, Some(other), None).is_ok(),
            "each address has its own allowance"
        );
    }

    #[test]
    fn tenants_are_limited_apart_and_unset_limits_never_refuse() {
        let limiters = RateLimiters::new(&limits(2));
        let a = Tenant::new("a", "u").unwrap();
        let b = Tenant::new("b", "u").unwrap();
        assert!(limiters.check(Action::Post, None, Some(&a)).is_ok());
        assert!(limiters.check(Action::Post, None, Some(&a)).is_ok());
        assert!(limiters.check(Action::Post, None, Some(&a)).is_err());
        assert!(limiters.check(Action::Post, None, Some(&b)).is_ok());
        assert!(
            limiters.check(Action::Search, None, Some(&a)).is_ok(),
            "searches count apart"
        );
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        let open = RateLimiters::new(&RateLimits {
            connect_per_ip: None,
            connect_per_tenant: None,
            sign_in_per_ip: None,
            posts_per_ip: None,
            posts_per_tenant: None,
            searches_per_tenant: None,
        });
        for _ in 0..1000 {
            assert!(open.check(Action::Post, Some(ip), Some(&a)).is_ok());
        }
    }
}
