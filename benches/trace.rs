//! `trace` and `can-send` on a large mesh: one event through every broker of the synthetic
//! cluster (10,000 triggers, 500 brokers, with CESQL and every filters dialect among their
//! filters), and one delivery verdict on the demo.
//! Run: `cargo bench --bench trace`.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

use criterion::{Criterion, criterion_group};
use kn_mesh::cesql::EventAttributes;
use kn_mesh::mesh::authorization::{self, identity, policies};
use kn_mesh::mesh::trace::{self, Entry};
use kn_mesh::mesh::{self, catalog};
use kn_mesh::sim::synthetic::{self, Size};
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let large = mesh::build(catalog::snapshot_from_objects(synthetic::objects(
        Size::LARGE,
    )));
    let event = EventAttributes::from_pairs([("type", "com.example.t3"), ("source", "/s")]);
    let traced = trace::trace(&large, &event, &Entry::Brokers).unwrap();
    println!(
        "trace shape: {} brokers, {} triggers; {} deliveries, {} rejected",
        large.brokers.len(),
        large.triggers.len(),
        traced.deliveries.len(),
        traced.rejected.len()
    );
    c.bench_function("trace one event through 500 brokers, 10k triggers", |b| {
        b.iter(|| trace::trace(&large, &event, &Entry::Brokers).unwrap())
    });

    let demo_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo");
    let demo = mesh::build(
        kn_mesh::source::manifests::read_snapshot(&[demo_dir], None)
            .unwrap()
            .snapshot,
    );
    c.bench_function("can-send on the demo (policy, identity, rule)", |b| {
        b.iter(|| {
            let subject = identity::parse_sender(&demo, "pingsource/ops/heartbeat")
                .unwrap()
                .subject;
            let (receiver, rule) =
                policies::find_receiver(&demo, "broker", "payments", "default").unwrap();
            authorization::can_send(&demo, &subject, &receiver, rule, None)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}

fn main() {
    // Only `cargo bench` (which passes --bench) measures; under `cargo test` building is the check.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
