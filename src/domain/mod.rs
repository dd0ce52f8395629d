//! The rules of the service. Nothing here knows axum, Leptos or a database driver: services take
//! the ports they need (storage traits, the Graph client) and return [`DomainError`].

pub mod clock;
pub mod connect;
pub mod credentials;
pub mod posts;
pub mod publish;
pub mod tenant;

/// What can go wrong in a domain service, in words a customer can act on.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The Facebook App is not configured on this deployment.
    #[error("{0}")]
    NotConfigured(String),
    /// The request is malformed or breaks a rule; `field` names the input at fault.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// The account's saved login no longer works.
    #[error("{0}")]
    NeedsReconnect(String),
    /// Instagram or Facebook refused or failed; the message says what to do.
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Storage(String),
    /// A bug or a broken invariant; the details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}
