//! The TUI on a mesh of over 100,000 tree nodes, fully expanded: the time to draw a frame and
//! to apply a filter keystroke. And `--demo` start-up to the first frame, timed from outside
//! under a pty. Run: `cargo bench --bench tui`.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

use criterion::{Criterion, criterion_group};
use kn_mesh::mesh::{self, catalog, views};
use kn_mesh::sim::synthetic::{self, Size};
use kn_mesh::tui::state::{App, SourceInfo};
use kn_mesh::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn big_app() -> App {
    let size = Size {
        namespaces: 50,
        brokers: 500,
        triggers: 20_000,
        event_types: 2_000,
    };
    let mesh = mesh::build(catalog::snapshot_from_objects(synthetic::objects(size)));
    let nodes: usize = views::tree(&mesh, views::View::Brokers)
        .iter()
        .map(|n| n.count())
        .sum();
    println!("brokers view: {nodes} nodes");
    assert!(nodes >= 100_000, "only {nodes} nodes");
    let mut app = App::new(Arc::new(mesh), SourceInfo::default());
    app.current_mut().expand_all();
    app.reflow();
    println!("fully expanded: {} rows", app.current().rows.len());
    app
}

fn bench(c: &mut Criterion) {
    let mut app = big_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    // Somewhere in the middle, so the frame is not the easy top of the tree.
    app.current_mut().selected = app.current().rows.len() / 2;
    app.current_mut().scroll_into_view(57);
    c.bench_function(
        "draw a frame (200x60) of a 100k-node tree, fully expanded",
        |b| {
            b.iter(|| {
                terminal.draw(|frame| view::draw(frame, &app)).unwrap();
            })
        },
    );
    c.bench_function("filter keystroke on a 100k-node tree", |b| {
        b.iter(|| {
            // Type one more character, then take it back: two keystrokes, two reflows.
            app.filter = "trigger-19".into();
            app.reflow();
            app.filter = "trigger-1".into();
            app.reflow();
        })
    });
    // A kind or label is looked up in the object a row shows: a search per row, not a scan.
    c.bench_function("kind filter keystroke on a 100k-node tree", |b| {
        b.iter(|| {
            app.filter = "kind:Trigger".into();
            app.reflow();
            app.filter = "kind:Trigge".into();
            app.reflow();
        })
    });
    c.bench_function("expand all + reflow of a 100k-node tree", |b| {
        b.iter(|| {
            app.filter.clear();
            app.current_mut().collapse_all();
            app.current_mut().expand_all();
            app.reflow();
        })
    });
}

/// `kn-mesh --demo` under a pty, leaving right after the first frame (and after the first frame
/// with data): the whole process, start to exit.
fn startup() {
    let binary = env!("CARGO_BIN_EXE_kn-mesh");
    for what in ["any", "data"] {
        let mut times = Vec::new();
        for _ in 0..9 {
            let started = Instant::now();
            let status = Command::new("script")
                .args(["-qec", &format!("{binary} --demo"), "/dev/null"])
                .env("KN_MESH_EXIT_AFTER_FIRST_FRAME", what)
                .env("TERM", "xterm-256color")
                .output();
            match status {
                Ok(output) if output.status.success() => times.push(started.elapsed()),
                _ => {
                    println!(
                        "startup: `script` (util-linux) is needed to time start-up under a pty"
                    );
                    return;
                }
            }
        }
        times.sort();
        let median: Duration = times[times.len() / 2];
        let label = if what == "any" {
            "first frame"
        } else {
            "first frame with data (sim started, mesh fetched)"
        };
        println!(
            "--demo start-up to the {label}: median {:.1} ms of 9",
            median.as_secs_f64() * 1e3
        );
    }
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
    startup();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
