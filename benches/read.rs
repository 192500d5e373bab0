//! Reading manifests: time grows linearly with the input, for YAML documents, one large List and
//! a JSON stream (objects back to back, as `kubectl get -o json` piped through jq gives them).
//! Run: `cargo bench --bench read`. Prints seconds and MB/s per input; no criterion, since each
//! input takes seconds and the claim is about the shape of the curve.

#![allow(clippy::unwrap_used)] // test code: an unwrap is an assertion

use kn_mesh::source::manifests;
use std::time::Instant;

fn trigger(i: usize) -> String {
    format!(
        "apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {{name: t{i}, namespace: ns{}, labels: {{app: a{i}}}}}\nspec: {{broker: default, filter: {{attributes: {{type: com.example.t{i}}}}}, subscriber: {{ref: {{apiVersion: v1, kind: Service, name: s{i}}}}}}}\n",
        i % 50
    )
}

fn json_trigger(i: usize) -> String {
    format!(
        "{{\"apiVersion\": \"eventing.knative.dev/v1\", \"kind\": \"Trigger\", \"metadata\": {{\"name\": \"t{i}\", \"namespace\": \"ns{}\"}},\n \"spec\": {{\"broker\": \"default\", \"subscriber\": {{\"uri\": \"http://x/{i}\"}}}}}}\n",
        i % 50
    )
}

fn documents(n: usize) -> String {
    (0..n).map(|i| format!("---\n{}", trigger(i))).collect()
}

fn list(n: usize) -> String {
    let items: String = (0..n)
        .map(|i| {
            trigger(i)
                .lines()
                .enumerate()
                .map(|(j, line)| {
                    if j == 0 {
                        format!("- {line}\n")
                    } else {
                        format!("  {line}\n")
                    }
                })
                .collect::<String>()
        })
        .collect();
    format!("apiVersion: v1\nkind: List\nitems:\n{items}")
}

fn stream(n: usize) -> String {
    (0..n).map(json_trigger).collect()
}

fn measure(label: &str, name: &str, text: String, expected: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, &text).unwrap();
    let started = Instant::now();
    let read = manifests::read_snapshot(&[path], None).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(read.problems.is_empty(), "{:?}", read.problems.first());
    assert_eq!(read.snapshot.triggers.len(), expected);
    println!(
        "read {label:<32} {:>7.1} MB  {seconds:>6.2} s  {:>5.1} MB/s",
        text.len() as f64 / 1e6,
        text.len() as f64 / 1e6 / seconds
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for n in [25_000, 50_000, 100_000] {
        measure(&format!("{n} YAML documents"), "docs.yaml", documents(n), n);
    }
    for n in [50_000, 100_000, 200_000] {
        measure(
            &format!("one List of {n} triggers"),
            "list.yaml",
            list(n),
            n,
        );
    }
    for n in [20_000, 40_000, 80_000] {
        measure(
            &format!("a JSON stream of {n} objects"),
            "stream.json",
            stream(n),
            n,
        );
    }
}
