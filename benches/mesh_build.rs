//! `build(Snapshot) -> Mesh` on 10,000 triggers, 2,000 event types and 500 brokers.
//! Run: `cargo bench --bench mesh_build`. Prints the time (criterion) and the peak heap that
//! one build allocates on top of its input (a counting allocator).

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion
#![allow(unsafe_code)] // the counting allocator that measures peak heap

use criterion::{BatchSize, Criterion, criterion_group};
use kn_mesh::mesh::{self, catalog};
use kn_mesh::sim::synthetic::{self, Size};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn snapshot() -> mesh::Snapshot {
    catalog::snapshot_from_objects(synthetic::objects(Size::LARGE))
}

fn report_memory() {
    let input = snapshot();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mesh = mesh::build(input);
    let peak = PEAK.load(Ordering::Relaxed);
    let after = CURRENT.load(Ordering::Relaxed);
    println!(
        "mesh_build memory: input snapshot {:.1} MB held; peak during build {:.1} MB (+{:.1} MB over the input); mesh {:.1} MB",
        base as f64 / 1e6,
        peak as f64 / 1e6,
        (peak - base) as f64 / 1e6,
        after as f64 / 1e6
    );
    println!(
        "mesh_build shape: {} brokers, {} triggers, {} event types, {} consumer links",
        mesh.brokers.len(),
        mesh.triggers.len(),
        mesh.event_types.len(),
        mesh.event_types
            .iter()
            .map(|e| e.consumers.len())
            .sum::<usize>()
    );
}

fn bench(c: &mut Criterion) {
    report_memory();
    c.bench_function("build 10k triggers, 2k event types, 500 brokers", |b| {
        b.iter_batched(snapshot, mesh::build, BatchSize::LargeInput)
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
