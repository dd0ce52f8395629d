//! The background publisher, a loop of its own: claim a due post with a lease ([`publisher`]),
//! advance it step by step through its recovery points ([`worker`]: containers, then
//! `media_publish` and reconciling, each saved before the next), decide from the class of every
//! Graph error ([`failures`]), and release it. It reaches Meta through the [`PublishingGraph`]
//! port and its posts through the `PostStore` port.

mod backoff;
mod containers;
mod failures;
mod graph;
mod publisher;
mod publishing;
mod worker;

pub use graph::{
    Comment, ContainerSpec, ContainerStatus, FoundPlace, MediaEdge, PublishingGraph,
    PublishingHosts, PublishingLimit, RecentMedia,
};
pub use publisher::Publisher;
pub use worker::Worker;
