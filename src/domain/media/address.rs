//! Which media URLs the service downloads, and lets Instagram download: public `https` URLs, no IP
//! literal or name that points inside a network (docs/security.md §4, SSRF), plus the origins an
//! operator names for a media host on a private network (the demo's simulator, the tests' host).
//! The address rules follow IANA's special-purpose address registries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// What the media URLs of a post may be.
#[derive(Debug, Clone, Default)]
pub struct UrlPolicy {
    /// Origins (`http://127.0.0.1:8098`) trusted although private or plain http.
    private_origins: Vec<String>,
}

impl UrlPolicy {
    pub fn new(private_origins: Vec<String>) -> Self {
        Self { private_origins }
    }

    /// A public `https` URL without credentials, or one on an allowed private origin. Instagram
    /// fetches media itself, so anything else would fail there, or worse, probe a network.
    pub fn check(&self, url: &Url) -> Result<(), String> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err("URLs with a user name or password are not accepted.".into());
        }
        if self.allows_origin(url) {
            return Ok(());
        }
        // The resolver lets an allowed private host's name resolve inside the network, whatever
        // the port: every other origin on that host is refused here.
        if url.host_str().is_some_and(|h| self.allows_private_host(h)) {
            return Err(private_message());
        }
        if url.scheme() != "https" {
            return Err("Only https URLs are accepted: Instagram fetches media over https.".into());
        }
        match url.host() {
            None => Err("The URL has no host.".into()),
            Some(Host::Ipv4(ip)) if !is_public_v4(ip) => Err(private_message()),
            Some(Host::Ipv6(ip)) if !is_public_v6(ip) => Err(private_message()),
            Some(Host::Domain(name)) if is_internal_name(name) => Err(private_message()),
            Some(_) => Ok(()),
        }
    }

    fn allows_origin(&self, url: &Url) -> bool {
        let origin = url.origin().ascii_serialization();
        self.private_origins.contains(&origin)
    }

    /// Whether `host` belongs to an allowed private origin, so that its DNS answer may hold a
    /// private address ([`UrlPolicy::check`] refuses the host's other origins).
    pub fn allows_private_host(&self, host: &str) -> bool {
        self.private_origins
            .iter()
            .filter_map(|o| Url::parse(o).ok())
            .any(|o| o.host_str() == Some(host))
    }
}

/// Whether an address is globally reachable, by the special-purpose registries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn private_message() -> String {
    "The URL points at a private, loopback or link-local address. Use a public URL.".into()
}

fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || !name.contains('.')
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Special-purpose IPv4 blocks that are not globally reachable, from IANA's IPv4 Special-Purpose
/// Address Registry (plus multicast and the reserved 240/4): `(network, prefix length)`.
const SPECIAL_V4: [([u8; 4], u8); 16] = [
    ([0, 0, 0, 0], 8),          // "this network"
    ([10, 0, 0, 0], 8),         // private
    ([100, 64, 0, 0], 10),      // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),        // loopback
    ([169, 254, 0, 0], 16),     // link-local (cloud metadata lives here)
    ([172, 16, 0, 0], 12),      // private
    ([192, 0, 0, 0], 24),       // IETF protocol assignments
    ([192, 0, 2, 0], 24),       // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),     // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),     // private
    ([198, 18, 0, 0], 15),      // benchmarking
    ([198, 51, 100, 0], 24),    // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),     // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),        // multicast
    ([240, 0, 0, 0], 4),        // reserved, and 255.255.255.255 broadcast
    ([255, 255, 255, 255], 32), // limited broadcast
];

fn in_v4(ip: Ipv4Addr, (net, len): ([u8; 4], u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !SPECIAL_V4.iter().any(|&block| in_v4(ip, block))
}

/// Special-purpose IPv6 blocks inside the global unicast space (2000::/3) that are not globally
/// reachable or not for fetching media, from IANA's IPv6 Special-Purpose Address Registry:
/// `(network, prefix length)`. Everything outside 2000::/3 is refused anyway (loopback,
/// unspecified, unique local fc00::/7, link-local fe80::/10, site-local, multicast, discard-only
/// 100::/64, the NAT64 and IPv4-compatible forms unless their IPv4 address is public).
const SPECIAL_V6: [(u128, u8); 4] = [
    // IETF protocol assignments, with Teredo (2001::/32, which tunnels to any IPv4 address),
    // benchmarking (2001:2::/48) and ORCHID among them.
    (0x2001_0000 << 96, 23),
    (0x2001_0db8 << 96, 32), // documentation
    (0x3fff_0000 << 96, 20), // documentation (RFC 9637)
    (0x5f00 << 112, 16),     // SRv6 SIDs
];

fn in_v6(ip: Ipv6Addr, (net, len): (u128, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

/// The IPv4 address an IPv6 address carries, for the forms that carry one: IPv4-mapped
/// (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96, and 64:ff9b:1::/48 local use),
/// and 6to4 (2002::/16, the address in bits 16-47).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from(bits as u32);
    if in_v6(ip, (0xffff << 32, 96)) || in_v6(ip, (0, 96)) {
        return Some(low);
    }
    if in_v6(ip, (0x0064_ff9b << 96, 96)) || in_v6(ip, (0x0064_ff9b_0001 << 80, 48)) {
        return Some(low);
    }
    if in_v6(ip, (0x2002 << 112, 16)) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        // The local-use NAT64 prefix is never public, whatever it carries.
        return is_public_v4(v4) && !in_v6(ip, (0x0064_ff9b_0001 << 80, 48));
    }
    in_v6(ip, (0x2000 << 112, 3)) && !SPECIAL_V6.iter().any(|&block| in_v6(ip, block))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_urls_pass_unless_their_origin_is_allowed() {
        let bad = [
            "http://cdn.example.com/a.jpg",
            "https://127.0.0.1/a.jpg",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/a.jpg",
            "https://[::ffff:127.0.0.1]/a.jpg",
            "https://[fd00::1]/a.jpg",
            "https://[fe80::1]/a.jpg",
            "https://[::]/a.jpg",
            "https://[ff02::1]/a.jpg",
            "https://[100::1]/a.jpg",
            "https://[::127.0.0.1]/a.jpg",
            "https://[::ffff:169.254.169.254]/a.jpg",
            "https://[64:ff9b::10.0.0.1]/a.jpg",
            "https://[64:ff9b:1::93.184.216.34]/a.jpg",
            "https://[2002:a9fe:a9fe::1]/a.jpg",
            "https://[2002:7f00:1::]/a.jpg",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.jpg",
            "https://[2001:db8::1]/a.jpg",
            "https://[3fff::1]/a.jpg",
            "https://[5f00::1]/a.jpg",
            "https://[fec0::1]/a.jpg",
            "https://198.18.0.1/a.jpg",
            "https://192.0.0.8/a.jpg",
            "https://203.0.113.9/a.jpg",
            "https://224.0.0.1/a.jpg",
            "https://255.255.255.255/a.jpg",
            "https://2130706433/a.jpg",
            "https://0x7f000001/a.jpg",
            "https://017700000001/a.jpg",
            "https://10.1.2.3/a.jpg",
            "https://192.168.0.10/a.jpg",
            "https://100.64.0.1/a.jpg",
            "https://0.0.0.0/a.jpg",
            "https://localhost/a.jpg",
            "https://localhost./a.jpg",
            "https://printer.local/a.jpg",
            "https://intranet/a.jpg",
            "https://user@cdn.example.com/a.jpg",
            "https://user:pw@cdn.example.com/a.jpg",
            "file:///etc/passwd",
            "gopher://cdn.example.com/",
            "javascript:alert(1)",
            "data:image/jpeg;base64,AAAA",
            "not a url",
        ];
        let policy = UrlPolicy::default();
        for url in bad {
            let parsed = Url::parse(url);
            assert!(
                parsed.is_err() || policy.check(&parsed.unwrap()).is_err(),
                "{url} was accepted"
            );
        }
        for good in [
            "https://cdn.example.com/a.jpg",
            "https://93.184.216.34/a.jpg",
            "https://[2606:2800:220:1::]/a.mp4",
            "https://[::ffff:93.184.216.34]/a.jpg",
            "https://[64:ff9b::93.184.216.34]/a.jpg",
            "https://[2002:5db8:d822::1]/a.jpg",
            "https://192.31.196.1/a.jpg",
        ] {
            assert!(
                policy.check(&Url::parse(good).unwrap()).is_ok(),
                "{good} was refused"
            );
        }
        let sim = UrlPolicy::new(vec!["http://127.0.0.1:8098".into()]);
        assert!(sim
            .check(&Url::parse("http://127.0.0.1:8098/_sim/files/a.jpg").unwrap())
            .is_ok());
        assert!(
            sim.check(&Url::parse("http://127.0.0.1:8099/a.jpg").unwrap())
                .is_err(),
            "another port of the same host is not allowed"
        );
        assert!(sim
            .check(&Url::parse("https://127.0.0.1:8098/a.jpg").unwrap())
            .is_err());
        assert!(sim.allows_private_host("127.0.0.1"));
        let named = UrlPolicy::new(vec!["http://media.internal:8098".into()]);
        assert!(
            named
                .check(&Url::parse("https://media.internal:9999/a.jpg").unwrap())
                .is_err(),
            "another port of an allowed private host"
        );
        assert!(!sim.allows_private_host("10.0.0.1"));
    }
}
