//! Everything that reads from the outside world and turns it into a Snapshot.

pub mod backend;
pub mod backstage;
pub mod connect;
pub mod demo;
pub mod fetch;
pub mod follow;
pub mod live;
pub mod manifests;
pub mod names;
pub mod open;
pub mod spec;

pub use follow::Following;
pub use open::{Source, open};
pub use spec::{Connection, Control, Freshness, Origin, Reading, SourceError, SourceSpec, Update};
