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
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve"])
        .arg("-f")
        .arg(corpus().join("release"))
        .arg("-f")
        .arg(corpus().join("kafka-crds"))
        .arg("--kubeconfig-out")
        .arg(kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The URL comes first, once the kubeconfig is written.
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    assert!(
        first_line.starts_with("https://"),
        "sim serve on the release did not start: {first_line:?}"
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
