//! Real kubectl against the simulated cluster, with the kubeconfig the sim writes. These run
//! whenever kubectl is on PATH; `.ci/run` makes sure it is.

use crate::common;
use common::demo_sim;
use kn_mesh::sim::RunningSim;
use std::process::Command;

/// kubectl 1.26 or newer (`auth whoami` arrived in 1.26, `create token` in 1.24).
pub(crate) fn kubectl_available() -> bool {
    let Ok(output) = Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .output()
    else {
        return false;
    };
    let version: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let minor = version["clientVersion"]["minor"]
        .as_str()
        .unwrap_or("0")
        .trim_end_matches('+')
        .parse::<u32>()
        .unwrap_or(0);
    minor >= 26
}

/// Whether kubectl is here to run: false (skip) outside CI; under CI a missing tool is a
/// failure, never a silent pass.
pub(crate) fn require_kubectl() -> bool {
    if kubectl_available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "kubectl 1.26 or newer is required under CI (.ci/run installs it)"
    );
    eprintln!("kubectl 1.26 or newer is not on PATH: skipping (.ci/run installs it)");
    false
}

/// Runs kubectl with the sim's kubeconfig; returns (exit code, stdout, stderr).
pub(crate) async fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let kubeconfig = kubeconfig.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let output = Command::new("kubectl")
            .env("KUBECONFIG", &kubeconfig)
            .args(&args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// The demo sim and its kubeconfig in a file, or None (skip) when kubectl is missing outside
/// CI. Under CI a missing tool is a failure, never a silent pass.
pub(crate) async fn sim_with_kubeconfig()
-> Option<(RunningSim, tempfile::TempDir, std::path::PathBuf)> {
    if !require_kubectl() {
        return None;
    }
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    Some((sim, dir, kubeconfig))
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kubectl_works_against_the_sim() {
    let Some((_sim, _dir, kubeconfig)) = sim_with_kubeconfig().await else {
        return;
    };

    let (code, out, err) =
        kubectl(&kubeconfig, &["get", "brokers,triggers,eventtypes", "-A"]).await;
    assert_eq!(code, 0, "{err}");
    for expected in [
        "broker.eventing.knative.dev/default",
        "trigger.eventing.knative.dev/order-created",
        "eventtype.eventing.knative.dev/payment-settled",
        "SubscriberResolvedFailed",
    ] {
        assert!(out.contains(expected), "missing {expected} in\n{out}");
    }

    let (code, out, err) = kubectl(
        &kubeconfig,
        &["get", "triggers", "-n", "payments", "-o", "yaml"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 9);
    assert_eq!(list["items"][0]["kind"], "Trigger");

    for (context, ops, payments) in [
        ("admin", "yes", "yes"),
        ("mesh-viewer", "yes", "yes"),
        ("payments-only", "no", "yes"),
        ("docs-reader", "yes", "yes"),
    ] {
        let (_, out, err) = kubectl(
            &kubeconfig,
            &[
                "--context",
                context,
                "auth",
                "can-i",
                "list",
                "triggers",
                "-n",
                "ops",
            ],
        )
        .await;
        assert_eq!(out.trim(), ops, "{context} in ops: {err}");
        let (_, out, _) = kubectl(
            &kubeconfig,
            &[
                "--context",
                context,
                "auth",
                "can-i",
                "list",
                "triggers",
                "-n",
                "payments",
            ],
        )
        .await;
        assert_eq!(out.trim(), payments, "{context} in payments");
    }
    let (_, out, _) = kubectl(
        &kubeconfig,
        &[
            "--context",
            "docs-reader",
            "auth",
            "can-i",
            "get",
            "secrets",
            "-n",
            "payments",
        ],
    )
    .await;
    assert_eq!(out.trim(), "yes", "the docs role reads secrets");

    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "--context",
            "payments-only",
            "auth",
            "can-i",
            "--list",
            "-n",
            "payments",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("triggers.eventing.knative.dev") && out.contains("[get list watch]"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_identities_tokens_and_denials() {
    let Some((sim, _dir, kubeconfig)) = sim_with_kubeconfig().await else {
        return;
    };
    let (code, out, err) =
        kubectl(&kubeconfig, &["--context", "mesh-viewer", "auth", "whoami"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("system:serviceaccount:backstage:mesh-viewer"),
        "{out}"
    );
    assert!(out.contains("system:serviceaccounts:backstage"), "{out}");

    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "create",
            "token",
            "mesh-viewer",
            "-n",
            "backstage",
            "--duration",
            "1h",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim().split('.').count(), 3, "a JWT");
    // The new token works.
    let client =
        kube::Client::try_from(sim.client_config_with_token(out.trim()).await.unwrap()).unwrap();
    let request = axum::http::Request::get("/apis/eventing.knative.dev/v1/brokers")
        .body(vec![])
        .unwrap();
    assert!(
        client
            .request_text(request)
            .await
            .unwrap()
            .contains("alerts")
    );

    let (code, _, err) = kubectl(
        &kubeconfig,
        &["--context", "payments-only", "get", "secrets", "-A"],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:backstage:payments-only\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
    );
}

/// The sim impersonates as kube-apiserver does: `--as` runs the request as that user, after the
/// caller's own `impersonate` right is checked, never as the caller.
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_as_impersonates_and_needs_the_right_to() {
    let Some((_sim, _dir, kubeconfig)) = sim_with_kubeconfig().await else {
        return;
    };
    let payments_only = "--as=system:serviceaccount:backstage:payments-only";
    // As the ServiceAccount: its own RBAC, not the admin's.
    let (code, _, err) = kubectl(
        &kubeconfig,
        &["get", "triggers.eventing.knative.dev", "-A", payments_only],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("User \"system:serviceaccount:backstage:payments-only\" cannot list resource \"triggers\""),
        "{err}"
    );
    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "triggers.eventing.knative.dev",
            "-n",
            "payments",
            "-o",
            "name",
            payments_only,
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("trigger.eventing.knative.dev/audit-all"),
        "{out}"
    );
    // whoami and can-i answer for the impersonated user, with the ServiceAccount's groups.
    let (code, out, err) = kubectl(
        &kubeconfig,
        &["auth", "whoami", payments_only, "-o", "json"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let review: serde_json::Value = serde_json::from_str(&out).unwrap();
    let info = &review["status"]["userInfo"];
    assert_eq!(
        info["username"],
        "system:serviceaccount:backstage:payments-only"
    );
    let groups: Vec<&str> = info["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "system:serviceaccounts",
            "system:serviceaccounts:backstage",
            "system:authenticated"
        ]
    );
    let (_, out, _) = kubectl(
        &kubeconfig,
        &[
            "auth",
            "can-i",
            "list",
            "triggers.eventing.knative.dev",
            "-n",
            "ops",
            payments_only,
        ],
    )
    .await;
    assert_eq!(out.trim(), "no");
}

/// A user with groups is impersonated with exactly those groups; a caller without the right to
/// impersonate is refused, and told which right it lacks.
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_as_a_user_with_groups_and_a_refused_impersonation() {
    let Some((_sim, _dir, kubeconfig)) = sim_with_kubeconfig().await else {
        return;
    };
    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "auth",
            "whoami",
            "--as=alice",
            "--as-group=team-a",
            "-o",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let review: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(review["status"]["userInfo"]["username"], "alice");
    assert_eq!(
        review["status"]["userInfo"]["groups"],
        serde_json::json!(["team-a", "system:authenticated"])
    );
    // A caller without the right to impersonate is refused, and told which right it lacks.
    let (code, _, err) = kubectl(
        &kubeconfig,
        &[
            "--context",
            "mesh-viewer",
            "get",
            "--raw",
            "/apis/eventing.knative.dev/v1/brokers",
            "--as=system:serviceaccount:backstage:docs-reader",
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"backstage\""),
        "{err}"
    );
}

/// What kube-apiserver's controllers do at creation, clients rely on: a namespace is labelled
/// with its name and Active, and a CRD is Established at once (`kubectl wait` returns).
#[tokio::test(flavor = "multi_thread")]
async fn namespaces_are_active_and_crds_established() {
    let Some((_sim, _dir, kubeconfig)) = sim_with_kubeconfig().await else {
        return;
    };
    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "namespace",
            "payments",
            "-o",
            "jsonpath={.metadata.labels.kubernetes\\.io/metadata\\.name} {.status.phase}",
        ],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "payments Active"), "{err}");
    let (code, _, err) = kubectl(&kubeconfig, &["create", "namespace", "rehearsal"]).await;
    if code == 0 {
        let (_, out, _) = kubectl(
            &kubeconfig,
            &[
                "get",
                "namespace",
                "rehearsal",
                "-o",
                "jsonpath={.status.phase}",
            ],
        )
        .await;
        assert_eq!(out, "Active");
    } else {
        // kubectl sends protobuf for built-in kinds, which the sim does not read yet.
        assert!(err.contains("415") || err.contains("Unsupported"), "{err}");
    }
    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "wait",
            "--for",
            "condition=established",
            "--timeout",
            "5s",
            "crd/pingsources.sources.knative.dev",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
}

/// `--dry-run=server` is checked and answered, and nothing is kept: a rehearsal that really
/// wrote would be no rehearsal.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_dry_run_keeps_nothing() {
    let Some((_sim, dir, kubeconfig)) = sim_with_kubeconfig().await else {
        return;
    };
    let manifest = dir.path().join("broker.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: rehearsed, namespace: payments}\n",
    )
    .unwrap();
    let file = manifest.display().to_string();
    let (code, out, err) = kubectl(&kubeconfig, &["apply", "--dry-run=server", "-f", &file]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("broker.eventing.knative.dev/rehearsed created (server dry run)"),
        "{out}"
    );
    let (code, _, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "brokers.eventing.knative.dev",
            "rehearsed",
            "-n",
            "payments",
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("not found"), "{err}");
    // Deleting for real-looking, and the broker stays.
    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "delete",
            "brokers.eventing.knative.dev",
            "default",
            "-n",
            "payments",
            "--dry-run=server",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(server dry run)"), "{out}");
    let (code, _, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "brokers.eventing.knative.dev",
            "default",
            "-n",
            "payments",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
}
