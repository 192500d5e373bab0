//! Everything that reads from the outside world and turns it into a Snapshot.

pub mod manifests;
