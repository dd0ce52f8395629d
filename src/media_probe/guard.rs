//! The fetch may only reach what the media policy allows, at every hop: names resolve to public
//! addresses only, and the connection goes to exactly the addresses checked (no second lookup
//! an attacker's DNS could answer differently); every redirect is checked like the first URL
//! (docs/security.md §4, SSRF).

use std::{
    collections::HashMap,
    error::Error as StdError,
    fmt,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    redirect,
};

use crate::domain::media::{is_public, UrlPolicy};

/// Redirects followed before giving up.
pub(super) const MAX_REDIRECTS: usize = 5;

/// A lookup that takes longer fails the check: creating a post never waits longer on DNS.
pub(super) const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);
/// Answers are kept this long, so a burst of posts from one media host resolves it once.
const ANSWER_TTL: Duration = Duration::from_secs(60);
/// Hosts remembered at most; past that, expired answers go, then all of them.
const MAX_ANSWERS: usize = 1024;

/// Why the guard stopped a fetch; found again in reqwest's error chain.
#[derive(Debug)]
pub(super) enum Refused {
    /// The name resolves to a private, loopback or link-local address.
    PrivateAddress,
    /// A redirect to a URL the policy refuses.
    Redirect(String),
    TooManyRedirects,
    /// The name did not resolve within [`LOOKUP_TIMEOUT`].
    SlowLookup,
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
            Refused::SlowLookup => write!(
                f,
                "its name did not resolve within {} s",
                LOOKUP_TIMEOUT.as_secs()
            ),
        }
    }
}

impl StdError for Refused {}

/// Resolves names to public addresses only (all of them, or the lookup fails), except the hosts
/// of the policy's allowed private origins. Through the system's resolver (hosts file and all),
/// bounded by [`LOOKUP_TIMEOUT`], with answers kept a minute: the addresses kept are the checked
/// ones, and the connection goes to exactly those.
pub(super) struct PublicAddresses {
    policy: UrlPolicy,
    answers: Arc<Answers>,
}

impl PublicAddresses {
    pub(super) fn new(policy: UrlPolicy) -> Self {
        Self {
            policy,
            answers: Arc::default(),
        }
    }
}

impl Resolve for PublicAddresses {
    fn resolve(&self, name: Name) -> Resolving {
        let private_allowed = self.policy.allows_private_host(name.as_str());
        let answers = self.answers.clone();
        Box::pin(async move {
            let found = match remembered(&answers, name.as_str()) {
                Some(found) => found,
                None => {
                    let lookup = tokio::net::lookup_host((name.as_str(), 0));
                    let found: Vec<SocketAddr> = tokio::time::timeout(LOOKUP_TIMEOUT, lookup)
                        .await
                        .map_err(|_| {
                            Box::new(Refused::SlowLookup) as Box<dyn StdError + Send + Sync>
                        })??
                        .collect();
                    remember(&answers, name.as_str(), &found);
                    found
                }
            };
            if !private_allowed && found.iter().any(|a| !is_public(a.ip())) {
                return Err(Box::new(Refused::PrivateAddress) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Checked answers by host name, with when they were looked up.
type Answers = Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>;

fn remembered(answers: &Answers, name: &str) -> Option<Vec<SocketAddr>> {
    let answers = answers.lock().unwrap_or_else(|p| p.into_inner());
    answers
        .get(name)
        .filter(|(at, _)| at.elapsed() < ANSWER_TTL)
        .map(|(_, found)| found.clone())
}

fn remember(answers: &Answers, name: &str, found: &[SocketAddr]) {
    let mut answers = answers.lock().unwrap_or_else(|p| p.into_inner());
    if answers.len() >= MAX_ANSWERS {
        answers.retain(|_, (at, _)| at.elapsed() < ANSWER_TTL);
        if answers.len() >= MAX_ANSWERS {
            answers.clear();
        }
    }
    answers.insert(name.to_string(), (Instant::now(), found.to_vec()));
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
        let resolver = PublicAddresses::new(policy);
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

    #[test]
    fn answers_are_kept_a_minute_and_never_more_than_the_bound() {
        let answers = Answers::default();
        let found = vec![SocketAddr::from(([93, 184, 216, 34], 0))];
        remember(&answers, "cdn.example.com", &found);
        assert_eq!(remembered(&answers, "cdn.example.com"), Some(found.clone()));
        assert_eq!(remembered(&answers, "other.example.com"), None);
        answers
            .lock()
            .unwrap()
            .get_mut("cdn.example.com")
            .unwrap()
            .0 -= ANSWER_TTL;
        assert_eq!(remembered(&answers, "cdn.example.com"), None, "expired");
        for n in 0..MAX_ANSWERS + 10 {
            remember(&answers, &format!("h{n}.example.com"), &found);
        }
        assert!(answers.lock().unwrap().len() <= MAX_ANSWERS);
    }
}
