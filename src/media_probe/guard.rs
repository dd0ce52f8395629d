//! The fetch may only reach what the media policy allows, at every hop: names resolve to public
//! addresses only, and the connection goes to exactly the addresses checked (no second lookup
//! an attacker's DNS could answer differently); every redirect is checked like the first URL
//! (docs/security.md §4, SSRF).

use std::{error::Error as StdError, fmt, net::SocketAddr};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    redirect,
};

use crate::domain::media::{is_public, UrlPolicy};

/// Redirects followed before giving up.
pub(super) const MAX_REDIRECTS: usize = 5;

/// Why the guard stopped a fetch; found again in reqwest's error chain.
#[derive(Debug)]
pub(super) enum Refused {
    /// The name resolves to a private, loopback or link-local address.
    PrivateAddress,
    /// A redirect to a URL the policy refuses.
    Redirect(String),
    TooManyRedirects,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::PrivateAddress => {
                f.write_str("The URL's host resolves to a private address. Use a public URL.")
            }
            Refused::Redirect(why) => write!(
                f,
                "The URL redirects somewhere Instagram cannot fetch from: {why}"
            ),
            Refused::TooManyRedirects => f.write_str("too many redirects"),
        }
    }
}

impl StdError for Refused {}

/// Resolves names to public addresses only (all of them, or the lookup fails), except the hosts
/// of the policy's allowed private origins.
pub(super) struct PublicAddresses {
    pub(super) policy: UrlPolicy,
}

impl Resolve for PublicAddresses {
    fn resolve(&self, name: Name) -> Resolving {
        let private_allowed = self.policy.allows_private_host(name.as_str());
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if !private_allowed && found.iter().any(|a| !is_public(a.ip())) {
                return Err(Box::new(Refused::PrivateAddress) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Follows a redirect only to a URL the policy allows, at most [`MAX_REDIRECTS`] times.
pub(super) fn redirects(policy: UrlPolicy) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(Refused::TooManyRedirects);
        }
        match policy.check(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(why) => attempt.error(Refused::Redirect(why)),
        }
    })
}

/// The guard's refusal in a failed request's error chain, if it was one.
pub(super) fn refusal<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    async fn resolve(policy: UrlPolicy, name: &str) -> Result<Vec<SocketAddr>, String> {
        let resolver = PublicAddresses { policy };
        match resolver.resolve(Name::from_str(name).unwrap()).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused_unless_their_origin_is_allowed() {
        let refused = resolve(UrlPolicy::default(), "localhost").await;
        assert_eq!(
            refused,
            Err(Refused::PrivateAddress.to_string()),
            "a public-looking name that points inside the network"
        );
        let allowed = resolve(
            UrlPolicy::new(vec!["http://localhost:8098".into()]),
            "localhost",
        )
        .await
        .unwrap();
        assert!(allowed.iter().all(|a| a.ip().is_loopback()), "{allowed:?}");
    }
}
