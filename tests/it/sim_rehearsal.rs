//! The sim as a place to rehearse: `kn-mesh sim serve` on the Knative release and the Kafka
//! CRDs as published, then every sample of the real-world corpus applied with plain
//! `kubectl apply -f`, as a user would on a fresh cluster with Knative Eventing installed.
//!
//! What a real cluster would do with each file is worked out here from the corpus alone, not
//! from the sim: INDEX.json's predictions (an object that breaks its schema or has an invalid
//! name is rejected; kubectl's default `fieldValidation=Strict` turns every unknown field into a
//! rejection too, while a pruned null is harmless), plus whether each kind is installed at all
//! (Kubernetes' own kinds, and those the release and Kafka CRDs define).

use crate::sim_kubectl::{kubectl, require_kubectl};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/real-world")
}

/// The built-in kinds the corpus uses, all of which every cluster serves.
const BUILTIN: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "Pod"),
    ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
];

fn documents(path: &Path) -> Option<Vec<Value>> {
    let text = std::fs::read_to_string(path).ok()?;
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).ok()?;
    // Text after a `...` document end is no object to kubectl; here it parses as a kindless one.
    Some(
        documents
            .into_iter()
            .filter(|d| d.get("kind").is_some_and(Value::is_string))
            .collect(),
    )
}

/// (apiVersion, kind) of every kind served once the release and the Kafka CRDs are installed.
fn installed_kinds() -> BTreeSet<(String, String)> {
    let mut kinds: BTreeSet<(String, String)> = BUILTIN
        .iter()
        .map(|(v, k)| (v.to_string(), k.to_string()))
        .collect();
    for dir in ["release", "kafka-crds"] {
        for entry in std::fs::read_dir(corpus().join(dir)).unwrap() {
            for crd in documents(&entry.unwrap().path()).unwrap_or_default() {
                if crd["kind"] != "CustomResourceDefinition" {
                    continue;
                }
                let group = crd["spec"]["group"].as_str().unwrap_or("");
                let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or("");
                for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
                    if version["served"] == true {
                        let name = version["name"].as_str().unwrap_or("");
                        kinds.insert((format!("{group}/{name}"), kind.to_string()));
                    }
                }
            }
        }
    }
    kinds
}

fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A sample, and why a real cluster would refuse it (None: it would take it).
struct Sample {
    file: String,
    namespaces: BTreeSet<String>,
    refusal: Option<String>,
}

fn samples() -> Vec<Sample> {
    let installed = installed_kinds();
    let text = std::fs::read_to_string(corpus().join("INDEX.json")).unwrap();
    let index: Vec<Value> = serde_json::from_str(&text).unwrap();
    index
        .iter()
        .filter(|entry| entry["kubectl_client_parse_ok"] == true)
        .map(|entry| {
            let file = entry["file"].as_str().unwrap().to_string();
            let mut refusal = None;
            for prediction in entry["real_apiserver_prediction"].as_array().unwrap() {
                let rejects = prediction["rejects"].as_array().unwrap();
                let unknown = prediction["prunes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|p| !p.ends_with("(null)"));
                if let Some(reject) = rejects.first() {
                    refusal = Some(format!("invalid: {reject}"));
                } else if let Some(field) = unknown {
                    refusal = Some(format!("unknown field {field} (Strict)"));
                }
            }
            let objects = documents(&corpus().join(&file)).unwrap_or_default();
            let mut namespaces = BTreeSet::new();
            for object in &objects {
                let key = (
                    object["apiVersion"].as_str().unwrap_or("").to_string(),
                    object["kind"].as_str().unwrap_or("").to_string(),
                );
                if !installed.contains(&key) && refusal.is_none() {
                    refusal = Some(format!("{} {} is not installed", key.0, key.1));
                }
                // INDEX.json predicts nothing for files its YAML 1.1 parser could not read; a
                // placeholder name is refused all the same.
                let name = object["metadata"]["name"].as_str().unwrap_or("x");
                let rbac = key.0.starts_with("rbac.authorization.k8s.io/");
                if !rbac && !name.split('.').all(is_dns_label) && refusal.is_none() {
                    refusal = Some(format!("invalid: metadata.name {name:?}"));
                }
                if let Some(namespace) = object["metadata"]["namespace"].as_str() {
                    if is_dns_label(namespace) {
                        namespaces.insert(namespace.to_string());
                    } else if refusal.is_none() {
                        refusal = Some(format!("namespace {namespace:?} cannot exist"));
                    }
                }
            }
            Sample {
                file,
                namespaces,
                refusal,
            }
        })
        .collect()
}

/// A `sim serve` process, stopped however the test ends.
pub(crate) struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `kn-mesh sim serve` on the release and the Kafka CRDs, and the kubeconfig it wrote.
pub(crate) fn serve_release(kubeconfig: &Path) -> Served {
    let (release, kafka) = (corpus().join("release"), corpus().join("kafka-crds"));
    let (child, url) = crate::sim_serve::spawn_sim_serve(&[
        "-f".as_ref(),
        release.as_os_str(),
        "-f".as_ref(),
        kafka.as_os_str(),
        "--kubeconfig-out".as_ref(),
        kubeconfig.as_os_str(),
    ]);
    assert!(
        url.starts_with("https://"),
        "sim serve on the release did not start: {url:?}"
    );
    Served(child)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sample_a_real_cluster_accepts_applies_with_plain_kubectl() {
    if !require_kubectl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let _sim = serve_release(&kubeconfig);
    let mut existing: BTreeSet<String> = ["default".to_string()].into();
    let mut wrong: Vec<String> = Vec::new();
    let mut accepted = 0;
    let samples = samples();
    let mut refusals: BTreeMap<&str, usize> = BTreeMap::new();
    for sample in &samples {
        for namespace in sample.namespaces.difference(&existing.clone()) {
            let (code, _, err) = kubectl(&kubeconfig, &["create", "namespace", namespace]).await;
            assert!(code == 0 || err.contains("AlreadyExists"), "{err}");
            existing.insert(namespace.clone());
        }
        let path = corpus().join(&sample.file).display().to_string();
        let (code, _, err) = kubectl(&kubeconfig, &["apply", "-f", &path]).await;
        if code == 0 {
            accepted += 1;
        }
        match (&sample.refusal, code == 0) {
            (None, false) => wrong.push(format!("{}: refused: {err}", sample.file)),
            (Some(why), true) => wrong.push(format!("{}: accepted, but {why}", sample.file)),
            (Some(why), false) => {
                let reason = why.split(':').next().unwrap_or(why);
                let reason = if why.contains("not installed") {
                    "kind not installed"
                } else if why.contains("cannot exist") {
                    "namespace cannot exist"
                } else if why.contains("Strict") {
                    "unknown field"
                } else {
                    reason
                };
                *refusals.entry(reason).or_default() += 1;
            }
            (None, true) => {}
        }
        // Leave the cluster as the next sample expects to find it.
        let (_, out, _) = kubectl(
            &kubeconfig,
            &["delete", "--ignore-not-found", "--wait=false", "-f", &path],
        )
        .await;
        for line in out.lines().filter(|l| l.starts_with("namespace \"")) {
            existing.remove(line.split('"').nth(1).unwrap_or(""));
        }
    }
    let expected = samples.iter().filter(|s| s.refusal.is_none()).count();
    eprintln!(
        "kubectl apply accepted {accepted} of {} samples ({expected} expected); refused as a real cluster would: {refusals:?}",
        samples.len()
    );
    assert_eq!(samples.len(), 251, "INDEX.json's kubectl-parsable samples");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The release sim and its kubeconfig, or None (skip) when kubectl is missing outside CI.
fn release_sim() -> Option<(Served, tempfile::TempDir, PathBuf)> {
    if !require_kubectl() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let sim = serve_release(&kubeconfig);
    Some((sim, dir, kubeconfig))
}

/// Applies YAML from a string, with extra kubectl arguments.
async fn apply(kubeconfig: &Path, yaml: &str, extra: &[&str]) -> (i32, String, String) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), yaml).unwrap();
    let path = file.path().display().to_string();
    let mut args = vec!["apply", "-f", path.as_str()];
    args.extend_from_slice(extra);
    kubectl(kubeconfig, &args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_explain_reads_the_crd_schemas() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    let (code, out, err) = kubectl(&kubeconfig, &["explain", "triggers.spec.filter"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("KIND:       Trigger"), "{out}");
    assert!(out.contains("FIELD: filter <Object>"), "{out}");
    assert!(out.contains("attributes\t<Object>"), "{out}");
    let (code, out, err) = kubectl(&kubeconfig, &["explain", "kafkasources.spec.net.sasl"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("enable\t<boolean>"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_create_sends_protobuf_and_the_sim_reads_it() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    for args in [
        &["create", "namespace", "team-a"][..],
        &[
            "create",
            "configmap",
            "settings",
            "-n",
            "team-a",
            "--from-literal=mode=fast",
        ],
        &[
            "create",
            "secret",
            "generic",
            "db",
            "-n",
            "team-a",
            "--from-literal=password=s3cret",
        ],
        &["create", "serviceaccount", "robot", "-n", "team-a"],
        &[
            "create",
            "clusterrole",
            "broker-reader",
            "--verb=get,list",
            "--resource=brokers.eventing.knative.dev",
        ],
        &[
            "create",
            "rolebinding",
            "robot-reads",
            "-n",
            "team-a",
            "--clusterrole=broker-reader",
            "--serviceaccount=team-a:robot",
        ],
    ] {
        let (code, _, err) = kubectl(&kubeconfig, args).await;
        assert_eq!(code, 0, "kubectl {args:?}: {err}");
    }
    let get = |args: &'static [&'static str]| {
        let kubeconfig = kubeconfig.clone();
        async move {
            let (code, out, err) = kubectl(&kubeconfig, args).await;
            assert_eq!(code, 0, "{err}");
            serde_json::from_str::<Value>(&out).unwrap()
        }
    };
    let namespace = get(&["get", "namespace", "team-a", "-o", "json"]).await;
    assert_eq!(
        namespace["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team-a"
    );
    assert_eq!(namespace["status"]["phase"], "Active");
    assert!(
        namespace["metadata"].get("generateName").is_none(),
        "{namespace}"
    );
    let config = get(&["get", "configmap", "settings", "-n", "team-a", "-o", "json"]).await;
    assert_eq!(config["data"]["mode"], "fast");
    let secret = get(&["get", "secret", "db", "-n", "team-a", "-o", "json"]).await;
    assert_eq!(secret["data"]["password"], "czNjcmV0", "base64 of s3cret");
    assert_eq!(secret["type"], "Opaque");
    let (code, out, _) = kubectl(
        &kubeconfig,
        &[
            "auth",
            "can-i",
            "list",
            "brokers.eventing.knative.dev",
            "-n",
            "team-a",
            "--as=system:serviceaccount:team-a:robot",
        ],
    )
    .await;
    assert_eq!(
        (code, out.trim()),
        (0, "yes"),
        "the binding made from protobuf grants"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_violations_are_422_and_unknown_fields_follow_validate() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    let broker = |spec: &str| {
        format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {{name: orders, namespace: default}}\nspec: {spec}\n"
        )
    };
    let (code, _, err) = apply(&kubeconfig, &broker("{delivery: {retry: three}}"), &[]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains(r#"The Broker "orders" is invalid: spec.delivery.retry: Invalid value: "string": spec.delivery.retry in body must be of type integer: "string""#),
        "{err}"
    );
    // kubectl's default is Strict: an unknown field refuses the object.
    let (code, _, err) = apply(&kubeconfig, &broker("{colour: blue}"), &[]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains(r#"strict decoding error: unknown field "spec.colour""#),
        "{err}"
    );
    // Warn takes it, says so, and prunes the field.
    let (code, _, err) = apply(&kubeconfig, &broker("{colour: blue}"), &["--validate=warn"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(r#"unknown field "spec.colour""#), "{err}");
    let (_, out, _) = kubectl(
        &kubeconfig,
        &["get", "broker", "orders", "-o", "jsonpath={.spec}"],
    )
    .await;
    assert!(!out.contains("colour"), "{out}");
    // A placeholder name is no name.
    let (code, _, err) = apply(
        &kubeconfig,
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: <broker-name>, namespace: default}\n",
        &[],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("a lowercase RFC 1123 subdomain must consist of"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_resources_refuse_strategic_merge_and_labels_keep_the_generation() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    let yaml = "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: orders, namespace: default}\n";
    assert_eq!(apply(&kubeconfig, yaml, &[]).await.0, 0);
    let generation = || async {
        let (_, out, _) = kubectl(
            &kubeconfig,
            &[
                "get",
                "broker",
                "orders",
                "-o",
                "jsonpath={.metadata.generation}",
            ],
        )
        .await;
        out
    };
    assert_eq!(generation().await, "1");
    let (code, _, err) =
        kubectl(&kubeconfig, &["label", "broker", "orders", "team=payments"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(generation().await, "1", "a label is no new generation");
    let (code, _, err) = kubectl(
        &kubeconfig,
        &[
            "patch",
            "broker",
            "orders",
            "--type=strategic",
            "-p",
            r#"{"spec":{"delivery":{"retry":3}}}"#,
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"), "{err}");
    let (code, _, err) = kubectl(
        &kubeconfig,
        &[
            "patch",
            "broker",
            "orders",
            "--type=merge",
            "-p",
            r#"{"spec":{"delivery":{"retry":3}}}"#,
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(generation().await, "2", "a spec change is");
}

#[tokio::test(flavor = "multi_thread")]
async fn view_grants_triggers_through_knatives_aggregated_role() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    for args in [
        &["create", "namespace", "docs"][..],
        &["create", "serviceaccount", "reader", "-n", "docs"],
        &[
            "create",
            "rolebinding",
            "reader-views",
            "-n",
            "docs",
            "--clusterrole=view",
            "--serviceaccount=docs:reader",
        ],
    ] {
        let (code, _, err) = kubectl(&kubeconfig, args).await;
        assert_eq!(code, 0, "{err}");
    }
    let can = |verb: &'static str, resource: &'static str| {
        let kubeconfig = kubeconfig.clone();
        async move {
            let (_, out, _) = kubectl(
                &kubeconfig,
                &[
                    "auth",
                    "can-i",
                    verb,
                    resource,
                    "-n",
                    "docs",
                    "--as=system:serviceaccount:docs:reader",
                ],
            )
            .await;
            out.trim().to_string()
        }
    };
    assert_eq!(can("list", "triggers.eventing.knative.dev").await, "yes");
    assert_eq!(can("list", "pods").await, "yes");
    assert_eq!(
        can("get", "secrets").await,
        "no",
        "view never reads secrets"
    );
    assert_eq!(can("create", "triggers.eventing.knative.dev").await, "no");
    // The aggregated rules are written into the role, as `kubectl get` shows them.
    let (_, out, _) = kubectl(&kubeconfig, &["get", "clusterrole", "view", "-o", "json"]).await;
    let view: Value = serde_json::from_str(&out).unwrap();
    let groups: Vec<&str> = view["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["apiGroups"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
        })
        .collect();
    assert!(groups.contains(&"eventing.knative.dev"), "{groups:?}");
    assert!(groups.contains(&"apps"), "{groups:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_secret_applied_late_gets_its_token() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: late-token\n  namespace: default\n  annotations: {kubernetes.io/service-account.name: late}\ntype: kubernetes.io/service-account-token\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: late, namespace: default}\n";
    // The Secret comes first, before its ServiceAccount exists: the controller waits for it.
    let (code, _, err) = apply(&kubeconfig, yaml, &[]).await;
    assert_eq!(code, 0, "{err}");
    let (_, token, _) = kubectl(
        &kubeconfig,
        &[
            "get",
            "secret",
            "late-token",
            "-o",
            "jsonpath={.data.token}",
        ],
    )
    .await;
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .unwrap();
    let token = String::from_utf8(token).unwrap();
    let (code, out, err) = kubectl(
        &kubeconfig,
        &[
            "auth",
            "whoami",
            "--token",
            &token,
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "system:serviceaccount:default:late");
    let (_, ca, _) = kubectl(
        &kubeconfig,
        &[
            "get",
            "secret",
            "late-token",
            "-o",
            "jsonpath={.data.ca\\.crt}",
        ],
    )
    .await;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca.trim())
        .unwrap();
    assert!(
        String::from_utf8(ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_rehearsal_runs_as_written() {
    if !require_kubectl() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("### Rehearse RBAC before you apply it")
        .nth(1)
        .expect("the README has the rehearsal section");
    let script = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section's script");
    // Its files go to a directory of the test's own, not to the shared /tmp.
    let dir = tempfile::tempdir().unwrap();
    let script = script.replace("/tmp/", &format!("{}/", dir.path().display()));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_kn-mesh"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .args(["120", "sh", "-e", "-c", &script])
            .current_dir(root)
            .env("PATH", path)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("clusterrolebinding.rbac.authorization.k8s.io/eventmesh-backend-reader-eventmesh created"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✓ fit for purpose, nothing over-privileged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(impersonated: the server answered every review as this user)"),
        "{stdout}"
    );
    let tree = std::fs::read_to_string(dir.path().join("rehearsal.tree")).unwrap();
    // The backend's role reads every broker; what it was not given (EventPolicies, the
    // features ConfigMap) shows as such, in place.
    for seen in [
        "broker alerts",
        "broker default",
        "may not read ConfigMap knative-eventing/config-features",
    ] {
        assert!(tree.contains(seen), "{seen} missing from\n{tree}");
    }
}

/// kubectl applies a built-in kind the second time with a strategic merge patch: the
/// containers merge by name, nothing else is lost, and no directive is stored.
#[tokio::test(flavor = "multi_thread")]
async fn applying_a_deployment_twice_merges_its_containers() {
    let Some((_sim, _dir, kubeconfig)) = release_sim() else {
        return;
    };
    let deployment = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: default}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n        ports: [{{containerPort: 8080}}]\n        env: [{{name: MODE, value: fast}}]\n      - name: side\n        image: side:1\n"
        )
    };
    assert_eq!(apply(&kubeconfig, &deployment("app:1"), &[]).await.0, 0);
    let (code, _, err) = apply(&kubeconfig, &deployment("app:2"), &[]).await;
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = kubectl(&kubeconfig, &["get", "deployment", "web", "-o", "json"]).await;
    let containers =
        serde_json::from_str::<Value>(&out).unwrap()["spec"]["template"]["spec"]["containers"]
            .clone();
    assert_eq!(
        containers,
        serde_json::json!([
            {"name": "app", "image": "app:2", "ports": [{"containerPort": 8080}], "env": [{"name": "MODE", "value": "fast"}]},
            {"name": "side", "image": "side:1"}
        ])
    );
    assert!(!out.contains("$setElementOrder"), "{out}");
}
