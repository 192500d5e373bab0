//! Load check of `kn-mesh serve`: 50 concurrent clients for 5 seconds, on loopback only, against
//! serve in front of the demo sim (each request is a full mesh fetch with the caller's token).
//! Reports requests per second, latency percentiles, errors, and resident memory over the run.
//! Run: `cargo bench --bench serve_load`.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

use http_body_util::BodyExt;
use kn_mesh::serve::ServeState;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const RUN: Duration = Duration::from_secs(5);

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn run() {
    let sim = kn_mesh::demo::start().await.unwrap();
    let mut base = sim.client_config("admin").await.unwrap();
    base.auth_info = kube::config::AuthInfo::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(kn_mesh::serve::serve_on(
        listener,
        ServeState {
            base,
            partial: false,
            request_timeout: Duration::from_secs(30),
        },
        std::future::pending(),
    ));
    let token = sim.token("mesh-viewer").unwrap().to_string();
    let mut config = kube::Config::new(format!("http://{address}").parse().unwrap());
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.into()),
        ..Default::default()
    };
    let client = kube::Client::try_from(config).unwrap();

    let started = Instant::now();
    let samples = Arc::new(std::sync::Mutex::new(Vec::<(Duration, bool)>::new()));
    let rss_start = rss_mb();
    let memory = tokio::spawn(async move {
        let mut readings = Vec::new();
        while started.elapsed() < RUN {
            readings.push(rss_mb());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        readings
    });
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (client, samples) = (client.clone(), samples.clone());
        workers.push(tokio::spawn(async move {
            while started.elapsed() < RUN {
                let request = axum::http::Request::get("/v1/getEventMesh")
                    .body(kube::client::Body::empty())
                    .unwrap();
                let sent = Instant::now();
                let ok = match client.send(request).await {
                    Ok(response) => {
                        let good = response.status().is_success();
                        let body = response
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes().len())
                            .unwrap_or(0);
                        good && body > 100
                    }
                    Err(_) => false,
                };
                samples.lock().unwrap().push((sent.elapsed(), ok));
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed();
    let readings = memory.await.unwrap();
    let mut samples = samples.lock().unwrap().clone();
    let errors = samples.iter().filter(|(_, ok)| !ok).count();
    samples.sort_by_key(|(latency, _)| *latency);
    let percentile = |p: f64| {
        samples[((samples.len() as f64 - 1.0) * p) as usize]
            .0
            .as_secs_f64()
            * 1e3
    };
    println!(
        "kn-mesh serve, {CLIENTS} concurrent clients for {:.1} s on loopback (demo mesh, each request a full fetch)",
        elapsed.as_secs_f64()
    );
    println!(
        "  requests: {}   errors: {errors}   throughput: {:.0} req/s",
        samples.len(),
        samples.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency: p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile(0.5),
        percentile(0.99),
        percentile(1.0)
    );
    let (low, high) = readings
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    println!(
        "  resident memory (sim + serve + clients): start {rss_start:.0} MB, during the run {low:.0}–{high:.0} MB, end {:.0} MB",
        rss_mb()
    );
    let trace: Vec<String> = readings.iter().map(|r| format!("{r:.0}")).collect();
    println!("  every 0.5 s: {} MB", trace.join(" "));
    drop(sim);
}

fn main() {
    // Only `cargo bench` (which passes --bench) measures; under `cargo test` building is the check.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}
