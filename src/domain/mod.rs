//! The rules of the service. Nothing here knows axum, Leptos or a database driver: each concept
//! owns its types, its rules and the ports (traits) it needs; adapters (`crate::storage`,
//! `crate::graph`) implement the ports and only translate.

pub mod accounts;
pub mod clock;
pub mod compliance;
pub mod connect;
mod error;
pub mod graph;
pub mod keys;
pub mod library;
pub mod media;
pub mod places;
pub mod posts;
pub mod publish;
pub mod store;
pub mod tenant;

pub use error::DomainError;
pub use store::StoreError;
