//! Everything that reads from the outside world and turns it into a Snapshot.

pub mod backend;
pub mod backstage;
pub mod connect;
pub mod fetch;
pub mod live;
pub mod manifests;
