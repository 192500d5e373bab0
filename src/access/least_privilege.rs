//! Least-privilege RBAC for reading the mesh: a ServiceAccount, a role that reads exactly the
//! mesh kinds in use and the subscriber kinds the triggers point at (instead of the `get */*`
//! the Knative docs publish), and the binding.

use super::{Kinds, kinds};
use crate::mesh::snapshot::Snapshot;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Purpose {
    /// What the Knative eventmesh backend needs: cluster-wide lists, and get on subscribers.
    Backend,
    /// What kn-mesh needs: get, list and watch, for live updates.
    KnMesh,
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

fn rule(out: &mut String, group: &str, resources: &[String], verbs: &[&str]) {
    let _ = writeln!(out, "  - apiGroups: [\"{group}\"]");
    let _ = writeln!(out, "    resources: [{}]", resources.join(", "));
    let _ = writeln!(out, "    verbs: [{}]", verbs.join(", "));
}

/// The rules, grouped by API group, for the given kinds.
fn rules(out: &mut String, kinds: &Kinds, purpose: Purpose, namespaced_only: bool) {
    let (mesh_verbs, subscriber_verbs): (&[&str], &[&str]) = match purpose {
        Purpose::Backend => (&["list"], &["get"]),
        Purpose::KnMesh => (&["get", "list", "watch"], &["get", "list", "watch"]),
    };
    let mut by_group: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    for (group, plural) in &kinds.mesh {
        by_group.entry(group).or_default().push(plural.clone());
    }
    for (group, resources) in &by_group {
        rule(out, group, resources, mesh_verbs);
    }
    let mut subscribers: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    for (group, plural) in kinds.subscribers.keys() {
        subscribers.entry(group).or_default().push(plural.clone());
    }
    for (group, resources) in &subscribers {
        rule(out, group, resources, subscriber_verbs);
    }
    if !namespaced_only {
        rule(
            out,
            "apiextensions.k8s.io",
            &["customresourcedefinitions".into()],
            mesh_verbs,
        );
        if purpose == Purpose::KnMesh {
            rule(out, "", &["namespaces".into()], &["get", "list", "watch"]);
        }
    }
}

/// The manifests, as YAML with comments, for the kinds the snapshot uses (a snapshot from
/// manifests or a live cluster; an empty one gives the built-in Knative kinds and Services).
pub fn manifests(options: &Options, snapshot: &Snapshot) -> String {
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
    let name = match options.purpose {
        Purpose::Backend => "eventmesh-backend-reader",
        Purpose::KnMesh => "kn-mesh-reader",
    };
    let (sa, ns) = (&options.service_account, &options.namespace);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Least-privilege access for {} ({:?}): reads the mesh kinds in use and the",
        sa, options.purpose
    );
    let _ = writeln!(
        out,
        "# subscriber kinds triggers point at; no Secrets, no writes, no wildcards."
    );
    let _ = writeln!(
        out,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  namespace: {ns}"
    );
    if options.namespaces.is_empty() {
        let _ = writeln!(
            out,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\nrules:"
        );
        rules(&mut out, &kinds, options.purpose, false);
        let _ = writeln!(
            out,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}-{sa}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {name}\nsubjects:\n  - kind: ServiceAccount\n    name: {sa}\n    namespace: {ns}"
        );
    } else {
        for namespace in &options.namespaces {
            let _ = writeln!(
                out,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {namespace}\nrules:"
            );
            rules(&mut out, &kinds, options.purpose, true);
            let _ = writeln!(
                out,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}-{sa}\n  namespace: {namespace}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {name}\nsubjects:\n  - kind: ServiceAccount\n    name: {sa}\n    namespace: {ns}"
            );
        }
        // CRDs have no namespace: which channel and source kinds exist is a cluster-wide read.
        let _ = writeln!(
            out,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}-crds\nrules:"
        );
        rule(
            &mut out,
            "apiextensions.k8s.io",
            &["customresourcedefinitions".into()],
            &["get", "list", "watch"],
        );
        let _ = writeln!(
            out,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}-crds-{sa}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {name}-crds\nsubjects:\n  - kind: ServiceAccount\n    name: {sa}\n    namespace: {ns}"
        );
    }
    if options.legacy_token_secret {
        let _ = writeln!(
            out,
            "---\n# WARNING: a Secret-based token never expires and is not rotated. Prefer a bound token:\n#   kubectl create token {sa} -n {ns} --duration=24h"
        );
        let _ = writeln!(
            out,
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {sa}-token\n  namespace: {ns}\n  annotations:\n    kubernetes.io/service-account.name: {sa}\ntype: kubernetes.io/service-account-token"
        );
    } else {
        let _ = writeln!(
            out,
            "# Get a token that expires (recommended):\n#   kubectl create token {sa} -n {ns} --duration=24h > token && kn-mesh auth --token-file token"
        );
    }
    out
}
