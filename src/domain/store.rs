//! How every store port fails. Adapters map their driver's errors here and keep them as the
//! source: callers decide from the variant, and a log shows the whole chain.

/// Any error an adapter keeps as the source of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; the message says which, in the customer's words.
    #[error("{0}")]
    Conflict(String),
    /// The write was fenced off: another worker owns the record now.
    #[error("the record is no longer ours to change")]
    Fenced,
    /// The database could not be reached or refused the operation.
    #[error("storage unavailable: {context}")]
    Unavailable {
        context: String,
        #[source]
        source: BoxError,
    },
    /// A stored record could not be read back (or a value could not be encoded for storing).
    #[error("stored data is unreadable: {context}")]
    Corrupt {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl StoreError {
    pub fn unavailable(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StoreError::Unavailable {
            context: context.into(),
            source: source.into(),
        }
    }

    pub fn corrupt(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StoreError::Corrupt {
            context: context.into(),
            source: Some(source.into()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
