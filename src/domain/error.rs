//! What can go wrong in a domain service. Each error keeps its source (a store's, a decryption's)
//! for the log, knows the HTTP status both front doors answer with, and has a message a customer can act
//! on that never shows internals (ids, key ids, storage text).

use http::StatusCode;

use super::{store::BoxError, StoreError};

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
    /// The caller may not do this (another person's flow, say); the message says why.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// A file or chunk over a size limit, or a full library; the message names the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The account's saved login no longer works.
    #[error("{0}")]
    NeedsReconnect(String),
    /// Instagram failed or refused a call made for the customer; the message says what to do.
    #[error("{0}")]
    Upstream(String),
    /// The store failed; the customer is told to try again, the log gets the source.
    #[error("storage failed")]
    Storage(#[source] StoreError),
    /// A bug, a broken invariant or a misconfiguration only the operator can fix.
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        DomainError::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// The status both front doors answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            DomainError::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            DomainError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::NotFound(_) => StatusCode::NOT_FOUND,
            DomainError::Conflict(_) | DomainError::NeedsReconnect(_) => StatusCode::CONFLICT,
            DomainError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            DomainError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            DomainError::Upstream(_) => StatusCode::BAD_GATEWAY,
            DomainError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a customer may read. Server faults get words they can act on; the details stay in
    /// the log (see `crate::http::ApiError`, which logs them with their sources).
    pub fn public_message(&self) -> String {
        match self {
            DomainError::Storage(_) => {
                "The service's storage is unavailable. Try again in a moment.".into()
            }
            DomainError::Internal { .. } => {
                "Something went wrong on our side. Try again; if it persists, contact support."
                    .into()
            }
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for DomainError {
    /// A uniqueness rule's refusal is the customer's conflict; every other store failure is ours.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => DomainError::Conflict(message),
            other => DomainError::Storage(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_faults_keep_their_details_out_of_the_message() {
        let storage = DomainError::from(StoreError::unavailable(
            "instagram_credentials",
            std::io::Error::other("connection refused to 10.0.0.7:27017"),
        ));
        assert_eq!(storage.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!storage.public_message().contains("10.0.0.7"));
        assert!(
            std::error::Error::source(&storage).is_some(),
            "the source is kept"
        );

        let internal = DomainError::internal(
            "token of account 6b05a5c0 does not decrypt under key k2",
            std::io::Error::other("aead"),
        );
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.public_message().contains("6b05a5c0"));
        assert!(!internal.public_message().contains("k2"));
    }

    #[test]
    fn a_uniqueness_refusal_is_the_customers_conflict() {
        let e = DomainError::from(StoreError::Conflict("@a is taken".into()));
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.public_message(), "@a is taken");
    }
}
