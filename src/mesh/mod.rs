//! The domain: typed views of the objects, the Snapshot a source produces, `build` into a Mesh,
//! filter evaluation, the eventmesh projection and the view trees. No I/O and no async.

pub mod authorization;
pub mod build;
pub mod catalog;
pub mod components;
pub mod eventmesh;
pub mod filter;
pub mod model;
pub mod objects;
pub mod referrers;
mod resolve;
pub mod snapshot;
pub mod trace;
pub mod views;

pub use build::build;
pub use model::Mesh;
pub use snapshot::Snapshot;
