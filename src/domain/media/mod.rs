//! A post's media before it is queued: which URLs may be fetched ([`UrlPolicy`]), what the first
//! bytes behind a URL say ([`MediaFacts`], read through the [`MediaProbe`] port), and whether
//! Instagram would accept them for the post ([`check`], docs/graph-api.md §5 "Limits"). Refusing
//! now, with the rule named, beats a failure hours later when a scheduled post is published.

mod address;
mod facts;
mod rules;

use async_trait::async_trait;
use url::Url;

pub use address::{is_public, UrlPolicy};
pub use facts::{AudioCodec, Format, MediaFacts, VideoCodec, VideoFacts};
pub use rules::check;

/// Reads what a media URL holds from its first bytes, within a bounded time and size, fetching
/// only what the [`UrlPolicy`] allows at every hop (redirects included) and connecting only to
/// the addresses it checked.
#[async_trait]
pub trait MediaProbe: Send + Sync {
    async fn probe(&self, url: &Url) -> Result<MediaFacts, ProbeError>;
    /// The same reading of a file of the library, from the media store.
    async fn probe_stored(
        &self,
        blobs: &dyn crate::domain::library::BlobStore,
        key: &str,
    ) -> Result<MediaFacts, ProbeError>;
}

/// Why a media URL could not be looked at. Each message says what the customer can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The policy refused the URL or a redirect, or its name resolves to a private address.
    #[error("{0}")]
    NotAllowed(String),
    #[error("The media could not be downloaded from this URL ({0}). Instagram downloads it when the post is published, so it must be public.")]
    Unreachable(String),
    #[error("The media host answered HTTP {0} for this URL. Instagram downloads the media when the post is published, so the URL must be public and lead straight to the file.")]
    Status(u16),
    #[error("The media host did not answer within {0} s. Instagram needs to download the media when the post is published: use a host that answers quickly.")]
    TimedOut(u64),
    #[error("The URL redirects too many times. Use the direct link to the file.")]
    TooManyRedirects,
    #[error("The video could not be read ({0}). Export it again as MP4 (H.264, AAC).")]
    Unreadable(String),
}
