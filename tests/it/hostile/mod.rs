//! Hostile and careless input is harmless: no panic, no token on screen, no terminal or YAML
//! injection, no unbounded resource, and files read as kubectl reads them. One test per finding
//! of the review (issue "Never silently wrong").

mod files;
mod injection;
mod second_round;
mod servers;
mod tokens;

use crate::common;
use common::{demo_dir, demo_sim};
use kn_mesh::sim::RunningSim;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn kn_mesh(args: &[&str]) -> Output {
    kn_mesh_env(args, &[])
}

fn kn_mesh_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kn-mesh"));
    command
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("KNATIVE_EVENT_MESH_TOKEN")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

async fn kn_mesh_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kn_mesh(&args)
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}
