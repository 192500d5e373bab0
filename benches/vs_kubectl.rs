//! kn-mesh against kubectl on the same simulated cluster holding 10,000 triggers:
//! `kn-mesh --server … -o json` (everything the mesh needs, listed concurrently) and
//! `kubectl get brokers,triggers,eventtypes,subscriptions -A -o json`.
//! Run: `cargo bench --bench vs_kubectl`. Prints the median of several runs of each.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

use kn_mesh::sim::synthetic::{self, Size};
use kn_mesh::sim::{RunningSim, SimConfig};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time(mut command: impl FnMut() -> Command) -> Option<Duration> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let output = command().output().ok()?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            eprintln!("failed: {}", String::from_utf8_lossy(&output.stderr));
            return None;
        }
        times.push(elapsed);
    }
    Some(median(times))
}

fn main() {
    // Only `cargo bench` (which passes --bench) measures; under `cargo test` building is the check.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(RunningSim::start(SimConfig {
            objects: synthetic::objects(Size::LARGE),
            ..Default::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let token = dir.path().join("token");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    std::fs::write(&token, sim.token("admin").unwrap()).unwrap();
    std::fs::write(&ca, &sim.ca_pem).unwrap();

    let kn_mesh = time(|| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kn-mesh"));
        command
            .args(["--server", &sim.url, "-o", "json"])
            .arg("--token-file")
            .arg(&token)
            .arg("--certificate-authority")
            .arg(&ca);
        command
    });
    let kubectl = time(|| {
        let mut command = Command::new("kubectl");
        command.env("KUBECONFIG", &kubeconfig).args([
            "get",
            "brokers,triggers,eventtypes,subscriptions",
            "-A",
            "-o",
            "json",
        ]);
        command
    });
    println!("10,000 triggers, 2,000 event types, 500 brokers; median of {RUNS} runs");
    match kn_mesh {
        Some(t) => println!(
            "kn-mesh --server ... -o json:                                 {:>8.1} ms",
            t.as_secs_f64() * 1e3
        ),
        None => println!("kn-mesh failed"),
    }
    match kubectl {
        Some(t) => println!(
            "kubectl get brokers,triggers,eventtypes,subscriptions -A -o json: {:>8.1} ms",
            t.as_secs_f64() * 1e3
        ),
        None => println!("kubectl: not available"),
    }
    if let (Some(a), Some(b)) = (kn_mesh, kubectl) {
        println!(
            "kn-mesh is {:.1}x faster",
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    drop(sim);
}
