//! The embedded simulated Kubernetes API server: what a client sees of a cluster with Knative
//! Eventing installed, with real RBAC, used by the demo, the tests and the benchmarks.

mod admission;
mod api;
pub mod auth;
pub mod cluster;
mod controllers;
mod conversion;
mod discovery;
mod escalation;
mod impersonation;
mod json;
mod openapi;
mod patch;
pub mod persist;
mod printer;
mod protobuf;
pub mod rbac;
pub mod request_log;
pub mod resources;
mod reviews;
mod routes;
pub mod selectors;
pub mod server;
pub mod state;
pub mod status;
pub mod store;
pub mod synthetic;
pub mod tls;
mod tokens;
mod watch;

pub use cluster::{Identity, RunningSim, SimConfig};
