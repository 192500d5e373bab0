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

/// serve's own metrics, as Prometheus would scrape them.
async fn metrics(client: &kube::Client) -> String {
    let request = axum::http::Request::get("/metrics")
        .body(kube::client::Body::empty())
        .unwrap();
    let response = client.send(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&body).to_string()
}

async fn run(cache_ttl: Duration) {
    let sim = kn_mesh::demo::start().await.unwrap();
    let mut base = sim.client_config("admin").await.unwrap();
    base.auth_info = kube::config::AuthInfo::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(kn_mesh::serve::serve_on(
        listener,
        ServeState::new(base, false, Duration::from_secs(30), cache_ttl),
        std::future::pending(),
    ));
    let mut config = kube::Config::new(format!("http://{address}").parse().unwrap());
    config.auth_info.token = Some(sim.token("mesh-viewer").unwrap().to_string().into());
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
    let metrics = metrics(&client).await;
    let counter = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0)
    };
    println!(
        "kn-mesh serve, cache {cache_ttl:?}, {CLIENTS} concurrent clients for {:.1} s on loopback (demo mesh, one token)",
        elapsed.as_secs_f64()
    );
    println!(
        "  upstream requests per client request: {:.2} ({} upstream, {} cache hits)",
        counter("kn_mesh_serve_upstream_requests_total") / samples.len().max(1) as f64,
        counter("kn_mesh_serve_upstream_requests_total"),
        counter("kn_mesh_serve_cache_hits_total")
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
    print_memory(rss_start, &readings);
    drop(sim);
}

fn print_memory(rss_start: f64, readings: &[f64]) {
    let (low, high) = readings
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    println!(
        "  resident memory (sim + serve + clients): start {rss_start:.0} MB, during the run {low:.0}–{high:.0} MB, end {:.0} MB",
        rss_mb()
    );
    let trace: Vec<String> = readings.iter().map(|r| format!("{r:.0}")).collect();
    println!("  every 0.5 s: {} MB", trace.join(" "));
}

fn main() {
    // Only `cargo bench` (which passes --bench) measures; under `cargo test` building is the check.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run(Duration::ZERO));
    runtime.block_on(run(Duration::from_secs(5)));
}
