//! Second round: what a hostile user found.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_kubeconfig_token_with_a_line_break_is_trimmed_and_a_control_character_refused() {
    let sim = demo_sim().await;
    let config: serde_json::Value = serde_saphyr::from_str(&sim.kubeconfig()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with_token = |token: String| {
        let mut config = config.clone();
        for user in config["users"].as_array_mut().unwrap() {
            if user["name"] == "mesh-viewer" {
                user["user"]["token"] = token.clone().into();
            }
        }
        let path = dir.path().join(format!("kc{}", token.len()));
        std::fs::write(&path, serde_json::to_string(&config).unwrap()).unwrap();
        path.display().to_string()
    };
    let token = sim.token("mesh-viewer").unwrap().to_string();
    let args = |path: &str| {
        [
            "--kubeconfig",
            path,
            "--context",
            "mesh-viewer",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec()
    };
    let trailing = kn_mesh_async(args(&with_token(format!("{token}\n")))).await;
    assert_eq!(
        trailing.status.code(),
        Some(0),
        "{}",
        text(&trailing.stderr)
    );
    let inner = kn_mesh_async(args(&with_token(format!("ab\u{1b}{token}")))).await;
    assert_eq!(inner.status.code(), Some(2), "{}", text(&inner.stderr));
    assert!(text(&inner.stderr).contains("the kubeconfig"));
}

/// An API server (or a proxy before it) that puts the caller's Authorization header in every
/// error message.
async fn echoing_api_server() -> String {
    use axum::http::{HeaderMap, StatusCode};
    let echo = |headers: HeaderMap| async move {
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let status = serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": format!("upstream rejected {header}"), "reason": "InternalError", "code": 500});
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "application/json")],
            status.to_string(),
        )
    };
    let app = axum::Router::new()
        .route(
            "/version",
            axum::routing::get(|| async {
                axum::Json(
                    serde_json::json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0"}),
                )
            }),
        )
        .fallback(echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_server_that_echoes_the_token_never_gets_it_printed() {
    let server = echoing_api_server().await;
    let token = "TOPSECRET-TOKEN-1234567890";
    for command in [
        vec!["-o", "json"],
        vec!["-o", "yaml"],
        vec!["auth", "-o", "json"],
        vec!["auth"],
    ] {
        let mut args: Vec<String> = ["--server", &server, "--token", token]
            .map(String::from)
            .to_vec();
        args.extend(command.iter().map(|s| s.to_string()));
        let output = kn_mesh_async(args).await;
        let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(
            !all.contains("TOPSECRET"),
            "{command:?} printed the token:\n{all}"
        );
        assert!(
            all.contains("upstream rejected Bearer"),
            "{command:?}:\n{all}"
        );
        assert_ne!(output.status.code(), Some(0), "{command:?}");
    }
}

#[test]
fn a_namespace_that_is_not_a_name_is_bad_input() {
    for namespace in ["payments/triggers?", "", "a/b", " payments", "Payments"] {
        let output = kn_mesh(&[
            "--server",
            "https://127.0.0.1:9",
            "--token",
            "t",
            "-n",
            namespace,
            "-o",
            "json",
        ]);
        assert_eq!(output.status.code(), Some(2), "-n {namespace:?}");
        let output = kn_mesh(&[
            "auth",
            "--server",
            "https://127.0.0.1:9",
            "--token",
            "t",
            "-n",
            namespace,
        ]);
        assert_eq!(output.status.code(), Some(2), "auth -n {namespace:?}");
    }
}

const OCTOPUS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: octopi.sea.example.com}
spec:
  group: sea.example.com
  scope: Namespaced
  names: {kind: Octopus, plural: octopi, singular: octopus}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: sea.example.com/v1
kind: Octopus
metadata: {name: s, namespace: x, labels: {backstage.io/kubernetes-id: ink}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: x}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: x}
spec: {broker: default, subscriber: {ref: {apiVersion: sea.example.com/v1, kind: Octopus, name: s}}}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_kind_is_read_under_its_crds_plural() {
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(OCTOPUS).unwrap();
    let sim = common::start_sim(objects).await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(sim.kubeconfig().as_bytes()).unwrap();
    let output = kn_mesh_async(
        [
            "--kubeconfig",
            &file.path().display().to_string(),
            "--context",
            "admin",
            "-n",
            "x",
            "-o",
            "tree",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let tree = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        tree.contains("subscriber: Octopus x/s") && !tree.contains("not found"),
        "{tree}"
    );
    // And the least-privilege role names the plural the API server serves.
    let dir = tempfile::tempdir().unwrap();
    let manifests = write(dir.path(), "octopus.yaml", OCTOPUS);
    let role = text(&kn_mesh(&["rbac", "-f", &manifests]).stdout);
    assert!(
        role.contains("octopi") && !role.contains("octopuses"),
        "{role}"
    );
}

#[test]
fn rbac_never_grants_secrets_for_a_subscriber_that_names_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = String::new();
    for (api_version, kind) in [
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ] {
        manifests.push_str(&format!(
            "---\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {{name: t-{}, namespace: a}}\nspec: {{broker: default, subscriber: {{ref: {{apiVersion: {api_version}, kind: {kind}, name: s}}}}}}\n",
            kind.to_lowercase()
        ));
    }
    let file = write(dir.path(), "triggers.yaml", &manifests);
    let output = kn_mesh(&["rbac", "-f", &file]);
    assert_eq!(output.status.code(), Some(0));
    let role = text(&output.stdout);
    for resource in ["secrets", "serviceaccounts", "clusterroles"] {
        assert!(
            !role.contains(&format!("- {resource}")),
            "{resource} granted:\n{role}"
        );
    }
}

#[test]
fn an_object_without_a_name_costs_only_its_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "mixed.yaml",
        &format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\n---\n{}---\nkind: Trigger\n",
            common::BROKER
        ),
    );
    let output = kn_mesh(&["-f", &file, "-o", "tree"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("mixed.yaml:1: not a Kubernetes object: it has no metadata.name"),
        "{stderr}"
    );
    assert!(stderr.contains("it has no apiVersion and kind"), "{stderr}");
    assert!(
        text(&output.stdout).contains("broker default"),
        "the named broker is read"
    );
}

#[test]
fn a_broken_link_in_a_directory_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", common::BROKER);
    std::os::unix::fs::symlink("/nonexistent/kn-mesh", dir.path().join("broken.yaml")).unwrap();
    let output = kn_mesh(&["-f", &dir.path().display().to_string(), "-o", "tree"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("broken.yaml: does not exist"),
        "{}",
        text(&output.stderr)
    );
    assert!(text(&output.stdout).contains("broker default"));
}

#[test]
fn a_missing_certificate_authority_and_a_negative_timeout_are_bad_input() {
    let output = kn_mesh(&[
        "--server",
        "https://127.0.0.1:9",
        "--token",
        "t",
        "--certificate-authority",
        "/nonexistent.pem",
        "-o",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("/nonexistent.pem"));
    let serve = kn_mesh(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--server",
        "https://127.0.0.1:9",
        "--certificate-authority",
        "/nonexistent.pem",
    ]);
    assert_eq!(serve.status.code(), Some(2), "serve must not start");
    assert_eq!(
        // 0 is "no limit", as kubectl's --request-timeout 0; a negative one is no duration.
        kn_mesh(&["--backend", "http://127.0.0.1:9", "--timeout", "-1s"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn auth_shows_no_tick_over_needs_it_could_not_check() {
    let report = kn_mesh::access::AccessReport {
        server: "s".into(),
        acting_as: None,
        identity: None,
        identity_note: None,
        token: None,
        token_error: None,
        warnings: Vec::new(),
        matrix: Vec::new(),
        fit: vec![kn_mesh::access::Fit {
            purpose: "the Knative eventmesh backend".into(),
            target: kn_mesh::access::least_privilege::Purpose::Backend,
            missing: Vec::new(),
            unknown: vec!["list brokers.eventing.knative.dev at the cluster scope".into()],
            notes: Vec::new(),
        }],
        findings: Vec::new(),
        rules: Vec::new(),
        reviews: 0,
        unknown: vec!["list brokers: 503".into()],
    };
    let text = kn_mesh::access::render::text(&report, false, 0);
    assert!(!text.contains("✓ the Knative eventmesh backend"), "{text}");
    assert!(
        text.contains("? the Knative eventmesh backend: 1 unknown"),
        "{text}"
    );
}
