//! kn-mesh: the Knative Eventing mesh as navigable trees, and what a bearer token may read.
//!
//! Data flows one way (DESIGN.md §1): a `source` produces a `Snapshot`, `mesh::build` turns it
//! into a `Mesh`, and a face (`output`, later the TUI) shows it.

pub mod access;
pub mod cesql;
pub mod cli;
pub mod commands;
pub mod completion;
pub mod exit;
pub mod k8s;
pub mod mesh;
pub mod net;
pub mod output;
pub mod serve;
pub mod sim;
pub mod source;
pub mod text;
pub mod tui;
pub mod version;

/// The demo cluster is one of the sources.
pub use source::demo;
