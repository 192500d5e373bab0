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
    let (child, url) = spawn_sim_serve(&[
        "-f".as_ref(),
        demo_dir().as_os_str(),
        "--addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--kubeconfig-out".as_ref(),
        kubeconfig.as_os_str(),
        "--token-auth-file".as_ref(),
        tokens.as_os_str(),
    ]);
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
    // A manifest kube-apiserver would refuse is refused at load, with its Status message.
    let broker = dir.path().join("broker.yaml");
    std::fs::write(
        &broker,
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: <broker-name>, namespace: default}\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve", "-f"])
        .arg(&broker)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(
            r#"cannot load Broker default/<broker-name>: Broker.eventing.knative.dev "<broker-name>" is invalid: metadata.name"#
        ),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A state that is not one is refused, never taken for an empty cluster.
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(state.join("state.json"), "not json").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve", "--state-dir"])
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the sim's state"));
    // Neither manifests nor a state: nothing to serve.
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// `kn-mesh sim serve ARGS`, once it serves: the process (stdout taken, stderr piped) and the
/// URL it printed first (empty when it stopped before serving).
pub(crate) fn spawn_sim_serve(args: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    (child, first_line.trim().to_string())
}

/// `sim serve --state-dir DIR` started (with the demo's manifests or none), and its URL.
fn serve_with_state(
    dir: &std::path::Path,
    kubeconfig: &std::path::Path,
    manifests: bool,
) -> (std::process::Child, String) {
    let demo = demo_dir();
    let mut args = vec![
        "--state-dir".as_ref(),
        dir.as_os_str(),
        "--kubeconfig-out".as_ref(),
        kubeconfig.as_os_str(),
    ];
    if manifests {
        args.extend(["-f".as_ref(), demo.as_os_str()]);
    }
    spawn_sim_serve(&args)
}

async fn client_for(kubeconfig: &str, context: &str) -> kube::Client {
    let parsed = kube::config::Kubeconfig::from_yaml(kubeconfig).unwrap();
    let options = kube::config::KubeConfigOptions {
        context: Some(context.into()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(parsed, &options)
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn stop(mut child: std::process::Child) -> String {
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    stderr
}

/// With --state-dir, a restart keeps what was applied, the address, the CA and the tokens: a
/// kubeconfig written before the restart works after it, for the admin and for a legacy and a
/// bound ServiceAccount token.
#[tokio::test(flavor = "multi_thread")]
async fn a_restart_with_a_state_dir_keeps_the_cluster_and_the_kubeconfig_working() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, PostParams};
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let kubeconfig = dir.path().join("kubeconfig");
    let (first, url) = serve_with_state(&state, &kubeconfig, true);
    let written = std::fs::read_to_string(&kubeconfig).unwrap();
    let configmaps: Api<ConfigMap> =
        Api::namespaced(client_for(&written, "admin").await, "payments");
    let made = configmaps
        .create(
            &PostParams::default(),
            &serde_json::from_value(
                serde_json::json!({"metadata": {"name": "kept"}, "data": {"a": "b"}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    stop(first);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(state.join("state.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the state holds keys and tokens");

    // The restart needs no manifests, and says where the cluster came from.
    let (second, url_again) = serve_with_state(&state, &kubeconfig, false);
    assert_eq!(
        url_again, url,
        "the kubeconfigs point where the server listens"
    );
    let configmaps: Api<ConfigMap> =
        Api::namespaced(client_for(&written, "admin").await, "payments");
    let kept = configmaps.get("kept").await.unwrap();
    assert_eq!(kept.metadata.uid, made.metadata.uid);
    assert_eq!(kept.data.unwrap()["a"], "b");
    for (context, user) in [
        ("docs-reader", "system:serviceaccount:backstage:docs-reader"),
        ("mesh-viewer", "system:serviceaccount:backstage:mesh-viewer"),
    ] {
        let client = client_for(&written, context).await;
        let review = serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
        let request =
            axum::http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&review).unwrap())
                .unwrap();
        let answer: serde_json::Value =
            serde_json::from_str(&client.request_text(request).await.unwrap()).unwrap();
        assert_eq!(answer["status"]["userInfo"]["username"], user, "{context}");
    }
    // The legacy token is still the Secret's, so the new kubeconfig says so too.
    let rewritten = std::fs::read_to_string(&kubeconfig).unwrap();
    assert_eq!(
        rewritten.matches("token:").count(),
        written.matches("token:").count()
    );
    let stderr = stop(second);
    assert!(stderr.contains("restored the cluster saved in"), "{stderr}");
    assert!(stderr.contains("docs-reader [legacy]"), "{stderr}");
}

/// Listening on every address, the URL (and so the kubeconfig) names loopback, which the
/// certificate covers, and a kubeconfig works.
#[tokio::test(flavor = "multi_thread")]
async fn listening_on_every_address_gives_a_kubeconfig_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let demo = demo_dir();
    let (child, url) = spawn_sim_serve(&[
        "-f".as_ref(),
        demo.as_os_str(),
        "--addr".as_ref(),
        "0.0.0.0:0".as_ref(),
        "--kubeconfig-out".as_ref(),
        kubeconfig.as_os_str(),
    ]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let written = std::fs::read_to_string(&kubeconfig).unwrap();
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(client_for(&written, "admin").await);
    assert!(namespaces.get("payments").await.is_ok());
    stop(child);
}

/// The same object in two manifests: the later one is kept, and that is said, never silent.
#[test]
fn an_object_given_twice_is_said_and_the_later_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let broker = |class: &str| {
        format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {{name: orders, namespace: default, annotations: {{eventing.knative.dev/broker.class: {class}}}}}\n"
        )
    };
    let first = dir.path().join("a.yaml");
    let second = dir.path().join("b.yaml");
    std::fs::write(&first, broker("First")).unwrap();
    std::fs::write(&second, broker("Second")).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let (child, _url) = spawn_sim_serve(&[
        "-f".as_ref(),
        first.as_os_str(),
        "-f".as_ref(),
        second.as_os_str(),
        "--kubeconfig-out".as_ref(),
        kubeconfig.as_os_str(),
    ]);
    let kept = crate::sim_kubectl::require_kubectl().then(|| {
        let out = std::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["get", "broker", "orders", "-n", "default"])
            .args(["-o", "jsonpath={.metadata.annotations}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    });
    let stderr = stop(child);
    assert!(
        stderr.contains("Broker default/orders is defined twice: ")
            && stderr.contains("b.yaml")
            && stderr.contains("replaces"),
        "{stderr}"
    );
    if let Some(annotations) = kept {
        assert!(annotations.contains("Second"), "{annotations}");
    }
}

/// A manifest's unknown field is pruned at load, as kube-apiserver prunes it, and said.
#[test]
fn an_unknown_field_in_a_manifest_is_pruned_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let broker = dir.path().join("broker.yaml");
    std::fs::write(
        &broker,
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: orders, namespace: default}\nspec: {colour: blue}\n",
    )
    .unwrap();
    // The release's CRDs, whose schemas describe every field (the built-in ones keep any).
    let release = demo_dir().join("../../shared/conformance/real-world/release");
    let (child, url) = spawn_sim_serve(&[
        "-f".as_ref(),
        release.as_os_str(),
        "-f".as_ref(),
        broker.as_os_str(),
    ]);
    assert!(url.starts_with("https://"), "{url}");
    let stderr = stop(child);
    assert!(
        stderr.contains(r#"Broker default/orders: unknown field "spec.colour" (pruned)"#),
        "{stderr}"
    );
}
