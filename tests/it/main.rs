//! The integration tests, in one binary: every module tests kn-mesh from outside, through its
//! library, its binary, the simulated API server, real kubectl and tmux. One binary links once.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

mod access;
mod architecture;
mod backend;
mod can_send;
mod cesql;
mod cli;
mod common;
mod completion;
mod components;
mod corpus;
mod direct;
mod eventmesh_rules;
mod exact_consumers;
mod faults;
mod filters;
mod hostile;
mod impersonation;
mod mesh_build;
mod messages;
mod namespaces;
mod picture;
mod properties;
mod rbac;
mod readme;
mod round_trip;
mod scale;
mod ship;
mod sim_api;
mod sim_kubectl;
mod sim_rehearsal;
mod sim_serve;
mod trace;
mod tui;
mod tui_loop;
mod tui_support;
mod tui_tmux;
mod tui_trace;
