//! Multi-tenant scale (issue 12): 300 namespaces, 50 ms per request, on the in-process sim.
//! For each reader, the wall time and the requests it took; `tests/it/scale.rs` asserts the
//! request counts. Run: `cargo bench --bench scale`.

#![allow(clippy::unwrap_used)] // bench code: an unwrap is an assertion

use kn_mesh::access::{self, Strategy};
use kn_mesh::sim::{RunningSim, SimConfig, synthetic};
use kn_mesh::source::connect::Endpoint;
use kn_mesh::source::fetch::{Fetcher, Scope};
use std::time::{Duration, Instant};

fn fetcher(sim: &RunningSim, identity: &str) -> Fetcher {
    let endpoint = Endpoint {
        server: sim.url.clone(),
        context: Some(identity.into()),
        token: None,
        acting_as: None,
    };
    Fetcher::new(sim.in_process_client(identity).unwrap(), endpoint)
}

async fn measure<F: std::future::Future<Output = ()>>(sim: &RunningSim, what: &str, run: F) {
    let before = sim.requests_served();
    let started = Instant::now();
    run.await;
    let elapsed = started.elapsed();
    let requests = sim.requests_served() - before;
    println!(
        "{what:<48} {requests:>6} requests  {:>6.2} s",
        elapsed.as_secs_f64()
    );
}

async fn run() {
    let mut config = SimConfig {
        objects: synthetic::tenants(300),
        ..Default::default()
    };
    config.knobs.latency = Duration::from_millis(50);
    let sim = RunningSim::start(config).await.unwrap();
    let scope = Scope::default();
    measure(&sim, "the mesh, namespace-scoped token", async {
        fetcher(&sim, "tenant").fetch(&scope).await.unwrap();
    })
    .await;
    measure(&sim, "the mesh, cluster-wide token", async {
        fetcher(&sim, "reader").fetch(&scope).await.unwrap();
    })
    .await;
    let token = sim.token("tenant").map(str::to_string);
    measure(&sim, "auth, namespace-scoped token (rules)", async {
        let fetcher = fetcher(&sim, "tenant");
        access::check_with_strategy(&fetcher, &scope, token.as_deref(), None, Strategy::Rules)
            .await
            .unwrap();
    })
    .await;
    measure(
        &sim,
        "auth, namespace-scoped token (a review per cell)",
        async {
            let fetcher = fetcher(&sim, "tenant");
            let slow = Strategy::AccessReviewsOnly;
            access::check_with_strategy(&fetcher, &scope, token.as_deref(), None, slow)
                .await
                .unwrap();
        },
    )
    .await;
}

fn main() {
    // `cargo test --all-targets` runs benches as tests with --bench absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}
