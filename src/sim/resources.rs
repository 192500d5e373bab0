//! The resources the simulated cluster serves, and discovery documents built from them.
//! Built-in kinds, kinds defined by CRDs (the Knative ones are installed from the start), and
//! any other kind found in the manifests, served under its guessed lower-case plural.

use crate::mesh::build::guess_resource;
use crate::mesh::objects::Crd;
use serde_json::{Value, json};

const READ_WRITE: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    pub group: String,
    /// Served versions; the first is the preferred one.
    pub versions: Vec<String>,
    /// The version objects are stored in.
    pub storage_version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<&'static str>,
    /// Subresources with their kind and verbs, e.g. ("token", TokenRequest, create).
    pub subresources: Vec<(String, String, Vec<&'static str>)>,
}

impl ResourceDef {
    fn new(group: &str, version: &str, plural: &str, kind: &str, namespaced: bool) -> Self {
        Self {
            group: group.into(),
            versions: vec![version.into()],
            storage_version: version.into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            kind: kind.into(),
            namespaced,
            short_names: Vec::new(),
            categories: Vec::new(),
            verbs: READ_WRITE.to_vec(),
            subresources: Vec::new(),
        }
    }

    fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    fn create_only(mut self) -> Self {
        self.verbs = vec!["create"];
        self
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    pub fn is_review(&self) -> bool {
        self.verbs == ["create"]
    }

    pub fn from_crd(crd: &Crd) -> Option<Self> {
        let served: Vec<String> = crd
            .spec
            .versions
            .iter()
            .filter(|v| v.served)
            .map(|v| v.name.clone())
            .collect();
        if served.is_empty() || crd.spec.names.plural.is_empty() {
            return None;
        }
        let storage = crd
            .spec
            .versions
            .iter()
            .find(|v| v.storage)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| served[0].clone());
        // Discovery lists the storage version first, as the preferred one.
        let mut versions = vec![storage.clone()];
        versions.extend(served.into_iter().filter(|v| *v != storage));
        Some(Self {
            group: crd.spec.group.clone(),
            versions,
            storage_version: storage,
            plural: crd.spec.names.plural.clone(),
            singular: if crd.spec.names.singular.is_empty() {
                crd.spec.names.kind.to_lowercase()
            } else {
                crd.spec.names.singular.clone()
            },
            kind: crd.spec.names.kind.clone(),
            namespaced: crd.spec.scope != "Cluster",
            short_names: crd.spec.names.short_names.clone(),
            categories: crd.spec.names.categories.clone(),
            verbs: READ_WRITE.to_vec(),
            subresources: vec![(
                "status".into(),
                crd.spec.names.kind.clone(),
                vec!["get", "patch", "update"],
            )],
        })
    }

    /// A kind with no CRD and no built-in definition, served as kubectl would guess it.
    pub fn guessed(api_version: &str, kind: &str) -> Self {
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        Self::new(group, version, &guess_resource(kind), kind, true)
    }
}

/// The kinds every cluster serves.
pub fn builtin() -> Vec<ResourceDef> {
    let mut service_accounts =
        ResourceDef::new("", "v1", "serviceaccounts", "ServiceAccount", true).short(&["sa"]);
    service_accounts
        .subresources
        .push(("token".into(), "TokenRequest".into(), vec!["create"]));
    vec![
        ResourceDef::new("", "v1", "namespaces", "Namespace", false).short(&["ns"]),
        ResourceDef::new("", "v1", "services", "Service", true).short(&["svc"]),
        ResourceDef::new("", "v1", "secrets", "Secret", true),
        service_accounts,
        ResourceDef::new("", "v1", "configmaps", "ConfigMap", true).short(&["cm"]),
        // What `kubectl describe` and kn-mesh's detail pane read about an object.
        ResourceDef::new("events.k8s.io", "v1", "events", "Event", true).short(&["ev"]),
        ResourceDef::new("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
        ResourceDef::new(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "RoleBinding",
            true,
        ),
        ResourceDef::new(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "ClusterRole",
            false,
        ),
        ResourceDef::new(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            false,
        ),
        ResourceDef::new(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
        )
        .short(&["crd", "crds"]),
        ResourceDef::new(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "SelfSubjectAccessReview",
            false,
        )
        .create_only(),
        ResourceDef::new(
            "authorization.k8s.io",
            "v1",
            "selfsubjectrulesreviews",
            "SelfSubjectRulesReview",
            false,
        )
        .create_only(),
        ResourceDef::new(
            "authentication.k8s.io",
            "v1",
            "selfsubjectreviews",
            "SelfSubjectReview",
            false,
        )
        .create_only(),
    ]
}

/// Discovery: `/api`.
pub fn api_versions(address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}]
    })
}

fn group_entry(group: &str, defs: &[&ResourceDef]) -> Value {
    let mut versions: Vec<String> = Vec::new();
    // The preferred version is the first of the first resource that names one.
    for def in defs {
        for version in &def.versions {
            if !versions.contains(version) {
                versions.push(version.clone());
            }
        }
    }
    let entries: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": entries,
        "preferredVersion": entries.first().cloned().unwrap_or(Value::Null),
    })
}

fn groups(defs: &[ResourceDef]) -> Vec<(String, Vec<&ResourceDef>)> {
    let mut out: Vec<(String, Vec<&ResourceDef>)> = Vec::new();
    for def in defs.iter().filter(|d| !d.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == def.group) {
            Some((_, list)) => list.push(def),
            None => out.push((def.group.clone(), vec![def])),
        }
    }
    out
}

/// Discovery: `/apis`.
pub fn api_group_list(defs: &[ResourceDef]) -> Value {
    let groups: Vec<Value> = groups(defs)
        .iter()
        .map(|(group, list)| group_entry(group, list))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Discovery: `/apis/{group}`.
pub fn api_group(defs: &[ResourceDef], group: &str) -> Option<Value> {
    let (_, list) = groups(defs).into_iter().find(|(g, _)| g == group)?;
    let mut entry = group_entry(group, &list);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

/// Discovery: `/api/v1` or `/apis/{group}/{version}`.
pub fn api_resource_list(defs: &[ResourceDef], group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for def in defs
        .iter()
        .filter(|d| d.group == group && d.versions.iter().any(|v| v == version))
    {
        let mut entry = json!({
            "name": def.plural,
            "singularName": def.singular,
            "namespaced": def.namespaced,
            "kind": def.kind,
            "verbs": def.verbs,
        });
        if !def.short_names.is_empty() {
            entry["shortNames"] = json!(def.short_names);
        }
        if !def.categories.is_empty() {
            entry["categories"] = json!(def.categories);
        }
        resources.push(entry);
        for (sub, kind, verbs) in &def.subresources {
            let mut sub_entry = json!({
                "name": format!("{}/{sub}", def.plural),
                "singularName": "",
                "namespaced": def.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if sub == "token" {
                sub_entry["group"] = json!("authentication.k8s.io");
                sub_entry["version"] = json!("v1");
            }
            resources.push(sub_entry);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}
