//! Messages a user reads when something is wrong: each says what happened once, in words, and
//! what to do, without the client library's internals.

use crate::common;
use std::process::{Command, Output, Stdio};

fn kn_mesh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("KNATIVE_EVENT_MESH_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Words that belong to hyper, kube-rs or Rust's Debug output, not to a user.
fn assert_plain(text: &str) {
    for internal in [
        "ServiceError",
        "client error (",
        "os error",
        "(KnMesh)",
        "(Backend)",
        "Some(",
    ] {
        assert!(!text.contains(internal), "{internal:?} in: {text}");
    }
}

#[test]
fn a_missing_file_is_said_once_and_nothing_else_is_printed() {
    let output = kn_mesh(&["-f", "/no/such/file.yaml", "-o", "tree"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr(&output);
    assert_eq!(stderr, "kn-mesh: /no/such/file.yaml: does not exist\n");
    assert!(
        output.stdout.is_empty(),
        "an empty mesh would only repeat it"
    );
}

#[test]
fn an_unreachable_server_is_said_in_words() {
    // A port that was free a moment ago: nothing listens there (port 1 may be taken).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("https://127.0.0.1:{port}");
    let output = kn_mesh(&[
        "--server",
        &server,
        "--token",
        "not-a-real-token-0123",
        "-o",
        "tree",
    ]);
    assert_eq!(output.status.code(), Some(4));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(&format!("cannot reach the API server {server}")),
        "{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "{stderr}"
    );
    assert_plain(&stderr);
}

/// A server whose CA is not trusted: the message says which flag or kubeconfig field fixes it.
#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_certificate_suggests_the_ca_flag() {
    let sim = common::demo_sim().await;
    let token = sim.token("admin").unwrap().to_string();
    let url = sim.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        kn_mesh(&["--server", &url, "--token", &token, "-o", "tree"])
    })
    .await
    .unwrap();
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    assert!(stderr.contains("--certificate-authority"), "{stderr}");
    assert_plain(&stderr);
}

#[test]
fn rbac_names_its_purpose_in_words() {
    for (purpose, words) in [
        (
            "backend",
            "for the Knative eventmesh backend, as ServiceAccount kn-mesh",
        ),
        ("kn-mesh", "for kn-mesh, as ServiceAccount kn-mesh"),
    ] {
        let output = kn_mesh(&["rbac", "--for", purpose]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.lines().next().unwrap().contains(words), "{stdout}");
        assert_plain(&stdout);
    }
}

/// `--timeout` (or kubectl's `--request-timeout`) bounds each request to the API server too: a
/// server slower than it is unreachable in time, and says so.
#[tokio::test(flavor = "multi_thread")]
async fn the_timeout_applies_to_the_api_server() {
    let sim = common::demo_sim().await;
    sim.set_knobs(kn_mesh::sim::server::Knobs {
        latency: std::time::Duration::from_secs(5),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let kubeconfig = kubeconfig.display().to_string();
    let output = tokio::task::spawn_blocking(move || {
        kn_mesh(&[
            "--kubeconfig",
            &kubeconfig,
            "--context",
            "admin",
            "--request-timeout",
            "1s",
            "-o",
            "tree",
        ])
    })
    .await
    .unwrap();
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("no answer within 1s (--timeout)"),
        "{stderr}"
    );
}
