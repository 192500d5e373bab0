//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kn_mesh::mesh::{self, Mesh, catalog};
use serde_json::Value;

/// Builds a mesh from inline multi-document YAML, the way `-f` does.
pub fn mesh_of(yaml: &str) -> Mesh {
    let objects: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("test YAML parses");
    mesh::build(catalog::snapshot_from_objects(objects).expect("test objects convert"))
}

/// The eventmesh JSON for inline YAML, as a JSON value.
pub fn eventmesh_of(yaml: &str) -> Value {
    serde_json::to_value(mesh::eventmesh::project(&mesh_of(yaml))).unwrap()
}

pub fn demo_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

pub const BROKER: &str = "
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a, uid: b-1}
";
