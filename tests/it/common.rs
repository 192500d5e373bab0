//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kn_mesh::mesh::{self, Mesh, catalog};
use serde_json::Value;

/// Builds a mesh from inline multi-document YAML, the way `-f` does.
pub fn mesh_of(yaml: &str) -> Mesh {
    let objects: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("test YAML parses");
    mesh::build(catalog::snapshot_from_objects(objects))
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

/// Starts the simulated cluster in-process with the demo manifests and RBAC.
pub async fn demo_sim() -> kn_mesh::sim::RunningSim {
    let objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .expect("demo manifests load")
        .0;
    start_sim(objects).await
}

pub async fn start_sim(objects: Vec<serde_json::Value>) -> kn_mesh::sim::RunningSim {
    let config = kn_mesh::sim::SimConfig {
        objects,
        ..Default::default()
    };
    kn_mesh::sim::RunningSim::start(config)
        .await
        .expect("the sim starts")
}

/// A kube-rs client for one of the sim's identities, calling the sim in-process (no TLS, no
/// socket): the same routing, RBAC and request log, for tests that are not about transport.
pub async fn client(sim: &kn_mesh::sim::RunningSim, context: &str) -> kube::Client {
    sim.in_process_client(context)
        .expect("the sim has this identity")
}

/// A kube-rs client over HTTPS from the sim's kubeconfig, for tests about the transport: TLS,
/// a server that stops, connection limits.
pub async fn tls_client(sim: &kn_mesh::sim::RunningSim, context: &str) -> kube::Client {
    kube::Client::try_from(sim.client_config(context).await.unwrap()).unwrap()
}

/// A fetcher for one of the sim's identities, as the CLI makes one from a kubeconfig context.
pub async fn fetcher(
    sim: &kn_mesh::sim::RunningSim,
    context: &str,
) -> kn_mesh::source::fetch::Fetcher {
    fetcher_with(client(sim, context).await, sim, context)
}

/// The same over HTTPS, for tests about the transport.
pub async fn tls_fetcher(
    sim: &kn_mesh::sim::RunningSim,
    context: &str,
) -> kn_mesh::source::fetch::Fetcher {
    fetcher_with(tls_client(sim, context).await, sim, context)
}

fn fetcher_with(
    client: kube::Client,
    sim: &kn_mesh::sim::RunningSim,
    context: &str,
) -> kn_mesh::source::fetch::Fetcher {
    kn_mesh::source::fetch::Fetcher::new(
        client,
        kn_mesh::source::connect::Endpoint {
            server: sim.url.clone(),
            context: Some(context.into()),
            token: None,
            acting_as: None,
        },
    )
}

/// The binary as a user runs it, with nothing on stdin.
pub fn kn_mesh(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}
