//! `kn-mesh sim serve` as a user runs it.

use crate::common;
use common::demo_dir;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread")]
async fn sim_serve_prints_the_url_first_writes_a_private_kubeconfig_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(
        &tokens,
        "s3cr3t-static,jane,1001,\"platform,system:masters\"\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args([
            "sim",
            "serve",
            "-f",
            &demo_dir().display().to_string(),
            "--addr",
            "127.0.0.1:0",
        ])
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .arg("--token-auth-file")
        .arg(&tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let url = first_line.trim().to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&kubeconfig).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the kubeconfig holds tokens");
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    for context in [
        "admin",
        "jane",
        "mesh-viewer",
        "payments-only",
        "docs-reader",
    ] {
        assert!(
            text.contains(&format!("name: {context}\n")),
            "no context {context}"
        );
    }

    // The static token from the token file authenticates as its user.
    let parsed = kube::config::Kubeconfig::from_yaml(&text).unwrap();
    let options = kube::config::KubeConfigOptions {
        context: Some("jane".into()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(parsed, &options)
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let review =
        serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let request = axum::http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&review).unwrap())
        .unwrap();
    let answer: serde_json::Value =
        serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();
    assert_eq!(answer["status"]["userInfo"]["username"], "jane");
    assert_eq!(answer["status"]["userInfo"]["groups"][0], "platform");

    // Nothing printed a token.
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("s3cr3t-static") && !stderr.contains("eyJ"),
        "{stderr}"
    );
}

#[test]
fn sim_serve_rejects_a_bad_token_file_and_bad_knobs() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, "only-a-token\n").unwrap();
    let demo = demo_dir().display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve", "-f", &demo, "--token-auth-file"])
        .arg(&tokens)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 1: expected token,user,uid"));
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve", "-f", &demo, "--latency", "20"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve", "-f", &demo, "--fail-rate", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
