//! Listing 10,000 triggers from the simulated cluster in pages of 500 through kube-rs, over
//! HTTPS on loopback. Run: `cargo bench --bench sim_list`.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

use criterion::{Criterion, Throughput, criterion_group};
use kn_mesh::sim::synthetic::{self, Size};
use kn_mesh::sim::{RunningSim, SimConfig};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};

async fn list_all(api: &Api<DynamicObject>) -> usize {
    let mut params = ListParams::default().limit(500);
    let mut count = 0;
    loop {
        let page = api.list(&params).await.expect("list");
        count += page.items.len();
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return count,
        }
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (sim, api) = runtime.block_on(async {
        let config = SimConfig {
            objects: synthetic::objects(Size::LARGE),
            ..Default::default()
        };
        let sim = RunningSim::start(config).await.unwrap();
        let client = kube::Client::try_from(sim.client_config("admin").await.unwrap()).unwrap();
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("eventing.knative.dev", "v1", "Trigger"),
            "triggers",
        );
        (sim, Api::<DynamicObject>::all_with(client, &resource))
    });
    assert_eq!(runtime.block_on(list_all(&api)), 10_000);
    let mut group = c.benchmark_group("sim_list");
    group.throughput(Throughput::Elements(10_000));
    group.sample_size(10);
    group.bench_function("10,000 triggers in pages of 500 via kube-rs", |b| {
        b.iter(|| runtime.block_on(list_all(&api)))
    });
    group.finish();
    drop(sim);
}

criterion_group!(benches, bench);

fn main() {
    // Only `cargo bench` (which passes --bench) measures; under `cargo test` building is the check.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
