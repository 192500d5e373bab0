//! `/metrics` in Prometheus' text format: requests by status, their latency, cache hits, and the
//! requests made upstream to the API server and how many failed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<u16, u64>>,
    latency: Mutex<([u64; BUCKETS.len()], u64, f64)>,
    cache_hits: AtomicU64,
    upstream_requests: AtomicU64,
    upstream_failures: AtomicU64,
}

impl Metrics {
    pub fn answered(&self, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(status)
            .or_default() += 1;
        let seconds = took.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        for (bucket, bound) in latency.0.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        latency.1 += 1;
        latency.2 += seconds;
    }

    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// A fetch made `requests` requests upstream; `failed` when it did not give a whole mesh.
    pub fn upstream(&self, requests: u64, failed: bool) {
        self.upstream_requests
            .fetch_add(requests, Ordering::Relaxed);
        if failed {
            self.upstream_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn upstream_requests(&self) -> u64 {
        self.upstream_requests.load(Ordering::Relaxed)
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP kn_mesh_serve_requests_total GET /v1/getEventMesh answers, by status."
        );
        let _ = writeln!(out, "# TYPE kn_mesh_serve_requests_total counter");
        for (status, count) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "kn_mesh_serve_requests_total{{code=\"{status}\"}} {count}"
            );
        }
        let (buckets, count, sum) = *self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(
            out,
            "# HELP kn_mesh_serve_request_duration_seconds Time to answer GET /v1/getEventMesh."
        );
        let _ = writeln!(
            out,
            "# TYPE kn_mesh_serve_request_duration_seconds histogram"
        );
        for (bucket, bound) in buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "kn_mesh_serve_request_duration_seconds_bucket{{le=\"{bound}\"}} {bucket}"
            );
        }
        let _ = writeln!(
            out,
            "kn_mesh_serve_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(out, "kn_mesh_serve_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "kn_mesh_serve_request_duration_seconds_count {count}");
        let counters = [
            (
                "kn_mesh_serve_cache_hits_total",
                "Answers from the cache or a shared fetch.",
                &self.cache_hits,
            ),
            (
                "kn_mesh_serve_upstream_requests_total",
                "Requests made to the API server.",
                &self.upstream_requests,
            ),
            (
                "kn_mesh_serve_upstream_failures_total",
                "Fetches that did not give a whole mesh.",
                &self.upstream_failures,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}
