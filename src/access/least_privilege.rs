//! Least-privilege RBAC for reading the mesh: a ServiceAccount, a role that reads exactly the
//! mesh kinds in use and the subscriber kinds the triggers point at (instead of the `get */*`
//! the Knative docs publish), and the binding.

use super::{Kinds, kinds};
use crate::k8s::{self, InvalidName};
use crate::mesh::snapshot::Snapshot;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// What the Knative eventmesh backend needs: cluster-wide lists, and get on subscribers.
    Backend,
    /// What kn-mesh needs: get, list and watch, for live updates.
    KnMesh,
    /// What evaluating delivery authorization adds to a mesh reader: EventPolicies, and the
    /// feature flags in `knative-eventing/config-features`.
    EventPolicyReader,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub purpose: Purpose,
    pub service_account: String,
    pub namespace: String,
    /// Grant in these namespaces only (a Role and RoleBinding each); empty: cluster-wide.
    pub namespaces: Vec<String>,
    pub legacy_token_secret: bool,
}

fn rule(group: &str, resources: &[String], verbs: &[&str]) -> Value {
    json!({"apiGroups": [group], "resources": resources, "verbs": verbs})
}

/// The rules, grouped by API group, for the given kinds.
fn rules(kinds: &Kinds, purpose: Purpose, namespaced_only: bool) -> Vec<Value> {
    let (mesh_verbs, subscriber_verbs): (&[&str], &[&str]) = match purpose {
        Purpose::Backend => (&["list"], &["get"]),
        Purpose::KnMesh => (&["get", "list", "watch"], &["get", "list", "watch"]),
        Purpose::EventPolicyReader => {
            let policies = ["eventpolicies".to_string()];
            return vec![rule(
                "eventing.knative.dev",
                &policies,
                &["get", "list", "watch"],
            )];
        }
    };
    let mut out = Vec::new();
    let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let components = match purpose {
        Purpose::Backend | Purpose::EventPolicyReader => &[][..],
        Purpose::KnMesh => &kinds.components[..],
    };
    for (group, plural) in kinds.mesh.iter().chain(components) {
        by_group.entry(group).or_default().push(plural.clone());
    }
    for (group, resources) in &by_group {
        out.push(rule(group, resources, mesh_verbs));
    }
    let mut subscribers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (group, plural) in kinds.subscribers.keys() {
        subscribers.entry(group).or_default().push(plural.clone());
    }
    for (group, resources) in &subscribers {
        out.push(rule(group, resources, subscriber_verbs));
    }
    if !namespaced_only {
        out.push(rule(
            "apiextensions.k8s.io",
            &["customresourcedefinitions".into()],
            mesh_verbs,
        ));
        if purpose == Purpose::KnMesh {
            out.push(rule("", &["namespaces".into()], &["get", "list", "watch"]));
        }
    }
    out
}

/// Every name that goes into the manifests must be one the API server accepts: the options',
/// and the groups and resources learned from manifests (a crafted Trigger could otherwise
/// smuggle a wildcard into a "least-privilege" role).
fn check_names(options: &Options, kinds: &Kinds) -> Result<(), InvalidName> {
    k8s::check_subdomain("the ServiceAccount", &options.service_account)?;
    k8s::check_label("the namespace", &options.namespace)?;
    for namespace in &options.namespaces {
        k8s::check_label("the namespace", namespace)?;
    }
    for (group, resource) in kinds.mesh.iter().chain(kinds.subscribers.keys()) {
        if !group.is_empty() {
            k8s::check_subdomain("the API group", group)?;
        }
        k8s::check_label("the resource", resource)?;
    }
    Ok(())
}

fn binding(
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    role: &str,
    options: &Options,
) -> Value {
    let mut metadata = json!({"name": name});
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind.trim_end_matches("Binding"), "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": options.service_account, "namespace": options.namespace}],
    })
}

fn role(kind: &str, name: &str, namespace: Option<&str>, rules: Vec<Value>) -> Value {
    let mut metadata = json!({"name": name});
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": metadata, "rules": rules})
}

/// Who may deliver where depends on two flags in one ConfigMap: a Role in the Knative
/// namespace that may get that ConfigMap by name, and nothing else there.
fn features_reader(name: &str, binding_name: &str, options: &Options) -> [Value; 2] {
    use crate::mesh::snapshot::{FEATURES_NAME, FEATURES_NAMESPACE};
    let role_name = format!("{name}-features");
    let mut get = rule("", &["configmaps".into()], &["get"]);
    get["resourceNames"] = json!([FEATURES_NAME]);
    [
        role("Role", &role_name, Some(FEATURES_NAMESPACE), vec![get]),
        binding(
            "RoleBinding",
            &format!("{binding_name}-features"),
            Some(FEATURES_NAMESPACE),
            &role_name,
            options,
        ),
    ]
}

/// The comment the manifests open with: for whom, as whom, and what they read.
fn header(options: &Options) -> String {
    let (whose, what) = match options.purpose {
        Purpose::Backend => (
            "the Knative eventmesh backend",
            "reads the mesh kinds in use\n# and the subscriber kinds triggers point at",
        ),
        Purpose::KnMesh => (
            "kn-mesh",
            "reads the mesh kinds in use\n# and the subscriber kinds triggers point at",
        ),
        Purpose::EventPolicyReader => (
            "evaluating delivery authorization",
            "reads EventPolicies\n# and knative-eventing/config-features, beside a mesh reader role",
        ),
    };
    format!(
        "# Least-privilege access for {whose}, as ServiceAccount {sa}: {what}; no Secrets, no \
         writes, no wildcards.\n",
        sa = options.service_account
    )
}

/// The manifests, as YAML with comments, for the kinds the snapshot uses (a snapshot from
/// manifests or a live cluster; an empty one gives the built-in Knative kinds and Services).
/// Every document comes from a serializer; names are checked first.
pub fn manifests(options: &Options, snapshot: &Snapshot) -> Result<String, InvalidName> {
    let mut snapshot = snapshot.clone();
    if snapshot.crds.is_empty() {
        snapshot.crds = crate::mesh::catalog::builtin_crds().to_vec();
    }
    let mut kinds = kinds(&snapshot);
    if kinds.subscribers.is_empty() {
        kinds
            .subscribers
            .insert((String::new(), "services".into()), Default::default());
    }
    check_names(options, &kinds)?;
    let name = match options.purpose {
        Purpose::Backend => "eventmesh-backend-reader",
        Purpose::KnMesh => "kn-mesh-reader",
        Purpose::EventPolicyReader => "kn-mesh-eventpolicy-reader",
    };
    let (sa, ns) = (&options.service_account, &options.namespace);
    let binding_name = format!("{name}-{sa}");
    let mut documents = vec![json!({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}
    })];
    if options.namespaces.is_empty() {
        documents.push(role(
            "ClusterRole",
            name,
            None,
            rules(&kinds, options.purpose, false),
        ));
        documents.push(binding(
            "ClusterRoleBinding",
            &binding_name,
            None,
            name,
            options,
        ));
    } else {
        for namespace in &options.namespaces {
            let rules = rules(&kinds, options.purpose, true);
            documents.push(role("Role", name, Some(namespace), rules));
            documents.push(binding(
                "RoleBinding",
                &binding_name,
                Some(namespace),
                name,
                options,
            ));
        }
    }
    if options.purpose != Purpose::EventPolicyReader && !options.namespaces.is_empty() {
        // CRDs have no namespace: which channel and source kinds exist is a cluster-wide read.
        let crds = format!("{name}-crds");
        let crd_rule = rule(
            "apiextensions.k8s.io",
            &["customresourcedefinitions".into()],
            &["get", "list", "watch"],
        );
        documents.push(role("ClusterRole", &crds, None, vec![crd_rule]));
        documents.push(binding(
            "ClusterRoleBinding",
            &format!("{crds}-{sa}"),
            None,
            &crds,
            options,
        ));
    }
    if options.purpose != Purpose::Backend {
        documents.extend(features_reader(name, &binding_name, options));
    }
    let mut out = header(options);
    let yaml = |document: &Value| serde_saphyr::to_string(document).unwrap_or_default();
    out.push_str(&documents.iter().map(yaml).collect::<Vec<_>>().join("---\n"));
    if options.legacy_token_secret {
        out.push_str(&format!(
            "---\n# WARNING: a Secret-based token never expires and is not rotated. Prefer a bound token:\n#   kubectl create token {sa} -n {ns} --duration=24h\n"
        ));
        out.push_str(&yaml(&json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": format!("{sa}-token"), "namespace": ns,
                "annotations": {"kubernetes.io/service-account.name": sa}},
            "type": "kubernetes.io/service-account-token",
        })));
    } else {
        out.push_str(&format!(
            "# Get a token that expires (recommended):\n#   kubectl create token {sa} -n {ns} --duration=24h > token && kn-mesh auth --token-file token\n"
        ));
    }
    Ok(out)
}
