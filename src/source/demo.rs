//! The demo cluster's manifests, compiled into the binary so `kn-mesh --demo` works from any
//! directory.

use crate::sim::{RunningSim, SimConfig};
use serde_json::Value;

pub const MANIFESTS: &[(&str, &str)] = &[
    (
        "demo/00-namespaces.yaml",
        include_str!("../../demo/00-namespaces.yaml"),
    ),
    (
        "demo/05-knative-config.yaml",
        include_str!("../../demo/05-knative-config.yaml"),
    ),
    (
        "demo/10-payments-broker.yaml",
        include_str!("../../demo/10-payments-broker.yaml"),
    ),
    (
        "demo/11-payments-triggers.yaml",
        include_str!("../../demo/11-payments-triggers.yaml"),
    ),
    (
        "demo/12-payments-services.yaml",
        include_str!("../../demo/12-payments-services.yaml"),
    ),
    (
        "demo/13-payments-eventtypes.yaml",
        include_str!("../../demo/13-payments-eventtypes.yaml"),
    ),
    ("demo/20-ops.yaml", include_str!("../../demo/20-ops.yaml")),
    (
        "demo/30-shipping.yaml",
        include_str!("../../demo/30-shipping.yaml"),
    ),
    (
        "demo/40-source-crds.yaml",
        include_str!("../../demo/40-source-crds.yaml"),
    ),
    ("demo/50-rbac.yaml", include_str!("../../demo/50-rbac.yaml")),
    (
        "demo/60-flows-and-sinks.yaml",
        include_str!("../../demo/60-flows-and-sinks.yaml"),
    ),
];

/// The demo's identities, in the order the TUI's `i` cycles through them; the first is the
/// default, bound to one namespace.
pub const IDENTITIES: [&str; 4] = ["payments-only", "mesh-viewer", "docs-reader", "admin"];

pub fn objects() -> Vec<Value> {
    crate::source::manifests::objects_from_texts(MANIFESTS)
        .expect("the demo manifests compiled into the binary are valid")
}

/// Starts the demo cluster in-process on a free loopback port.
pub async fn start() -> Result<RunningSim, crate::sim::cluster::SimError> {
    RunningSim::start(SimConfig {
        objects: objects(),
        ..Default::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_demo_file_is_compiled_in() {
        let mut on_disk: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/demo"))
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| format!("demo/{}", e.file_name().to_string_lossy()))
                .collect();
        on_disk.sort();
        let compiled: Vec<String> = super::MANIFESTS
            .iter()
            .map(|(name, _)| name.to_string())
            .collect();
        assert_eq!(compiled, on_disk);
        assert!(!super::objects().is_empty());
    }
}
