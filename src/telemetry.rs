//! Logging: `RUST_LOG` picks what is logged, `LOG_FORMAT=json` makes it machine-readable. Secrets
//! never reach it: configuration is `SecretString`, URIs are redacted, Graph errors carry no URL.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,mongodb=warn,leptos=warn"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// An error and every source under it, `outer: inner: innermost`, for the log. (Display shows one
/// level; a storage failure's reason is usually two levels down.)
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("storage failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause() {
        let e = Outer(std::io::Error::other("connection refused"));
        assert_eq!(super::chain(&e), "storage failed: connection refused");
    }
}
