//! What `kn-mesh version` and `--version` say: the crate's version, the git commit it was built
//! from (`build.rs`), and the Kubernetes API version its types are built against.

/// "0.1.0 (commit 1a2b3c4d5e6f, Kubernetes API 1.37)". The API version is k8s-openapi's
/// `v1_37` feature, which Cargo.toml pins.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("KN_MESH_COMMIT"),
    ", Kubernetes API 1.37)"
);
