//! The embedded simulated Kubernetes API server: what a client sees of a cluster with Knative
//! Eventing installed, with real RBAC, used by the demo, the tests and the benchmarks.

pub mod auth;
pub mod rbac;
pub mod resources;
pub mod status;
pub mod store;
pub mod synthetic;
