//! The resources the simulated cluster serves (the discovery documents are in `discovery`).
//! Built-in kinds, kinds defined by CRDs (the Knative ones are installed from the start), and
//! any other kind found in the manifests, served under its guessed lower-case plural.

use crate::mesh::build::guess_resource;
use crate::mesh::objects::Crd;

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
    /// Served versions, by Kubernetes version priority: the first is the preferred one.
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
    /// Served for a CRD (or guessed from a manifest) rather than built in: patched with JSON
    /// merge patches only, as kube-apiserver serves custom resources.
    pub custom: bool,
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
            custom: false,
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
        let mut versions = served;
        versions.sort_by(|a, b| version_priority(a, b));
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
            custom: true,
        })
    }

    /// A kind with no CRD and no built-in definition, served as kubectl would guess it.
    pub fn guessed(api_version: &str, kind: &str) -> Self {
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        Self {
            custom: true,
            ..Self::new(group, version, &guess_resource(kind), kind, true)
        }
    }
}

/// The built-in kinds served as stored objects: (group, version, plural, kind, namespaced,
/// short names, in `kubectl get all`). No controllers run for them beyond those in
/// `controllers.rs`: a Deployment is kept, never rolled out.
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    bool,
);
const STORED_BUILTINS: &[Builtin] = &[
    ("", "v1", "namespaces", "Namespace", false, &["ns"], false),
    ("", "v1", "services", "Service", true, &["svc"], true),
    ("", "v1", "secrets", "Secret", true, &[], false),
    ("", "v1", "configmaps", "ConfigMap", true, &["cm"], false),
    ("", "v1", "pods", "Pod", true, &["po"], true),
    ("", "v1", "endpoints", "Endpoints", true, &["ep"], false),
    ("", "v1", "events", "Event", true, &["ev"], false),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        false,
    ),
    (
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        false,
        &["pv"],
        false,
    ),
    ("", "v1", "nodes", "Node", false, &["no"], false),
    (
        "",
        "v1",
        "limitranges",
        "LimitRange",
        true,
        &["limits"],
        false,
    ),
    (
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        true,
        &["quota"],
        false,
    ),
    (
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        true,
        &["rc"],
        true,
    ),
    (
        "apps",
        "v1",
        "deployments",
        "Deployment",
        true,
        &["deploy"],
        true,
    ),
    (
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        true,
        &["sts"],
        true,
    ),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"], true),
    (
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        true,
        &["rs"],
        true,
    ),
    (
        "apps",
        "v1",
        "controllerrevisions",
        "ControllerRevision",
        true,
        &[],
        false,
    ),
    ("batch", "v1", "jobs", "Job", true, &[], true),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"], true),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        true,
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        true,
        &["ing"],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "IngressClass",
        false,
        &[],
        false,
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "EndpointSlice",
        true,
        &[],
        false,
    ),
    (
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
        true,
        &[],
        false,
    ),
    ("events.k8s.io", "v1", "events", "Event", true, &[], false),
    (
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "PriorityClass",
        false,
        &["pc"],
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "CSIDriver",
        false,
        &[],
        false,
    ),
    (
        "node.k8s.io",
        "v1",
        "runtimeclasses",
        "RuntimeClass",
        false,
        &[],
        false,
    ),
    (
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        "CertificateSigningRequest",
        false,
        &["csr"],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
        &[],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
        &[],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        false,
        &[],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        false,
        &[],
        false,
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "APIService",
        false,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "Role",
        true,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        false,
    ),
];

/// Kinds with a status subresource: an update through the main resource leaves status alone,
/// and only a spec change moves metadata.generation.
const WITH_STATUS: &[&str] = &[
    "Namespace",
    "Service",
    "Pod",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "Node",
    "ResourceQuota",
    "ReplicationController",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
    "CertificateSigningRequest",
    "ValidatingAdmissionPolicy",
    "APIService",
    "CustomResourceDefinition",
];

/// The kinds every cluster serves.
pub fn builtin() -> Vec<ResourceDef> {
    let mut defs: Vec<ResourceDef> = STORED_BUILTINS
        .iter()
        .map(
            |&(group, version, plural, kind, namespaced, short, in_all)| {
                let mut def =
                    ResourceDef::new(group, version, plural, kind, namespaced).short(short);
                if in_all {
                    def.categories = vec!["all".into()];
                }
                if WITH_STATUS.contains(&kind) {
                    def.subresources.push((
                        "status".into(),
                        kind.into(),
                        vec!["get", "patch", "update"],
                    ));
                }
                def
            },
        )
        .collect();
    let mut service_accounts =
        ResourceDef::new("", "v1", "serviceaccounts", "ServiceAccount", true).short(&["sa"]);
    service_accounts
        .subresources
        .push(("token".into(), "TokenRequest".into(), vec!["create"]));
    defs.push(service_accounts);
    for (group, plural, kind) in [
        (
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
            "SelfSubjectAccessReview",
        ),
        (
            "authorization.k8s.io",
            "selfsubjectrulesreviews",
            "SelfSubjectRulesReview",
        ),
        (
            "authentication.k8s.io",
            "selfsubjectreviews",
            "SelfSubjectReview",
        ),
    ] {
        defs.push(ResourceDef::new(group, "v1", plural, kind, false).create_only());
    }
    defs
}

/// A version as Kubernetes ranks it: GA, then beta, then alpha, each by major then minor
/// number, highest first; versions of no such shape last, alphabetically.
fn version_rank(version: &str) -> (u8, u64, u64, String) {
    let parsed = version.strip_prefix('v').and_then(|rest| {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let major: u64 = rest[..digits].parse().ok()?;
        let tail = &rest[digits..];
        if tail.is_empty() {
            return Some((0, major, 0));
        }
        let (stage, minor) = if let Some(minor) = tail.strip_prefix("beta") {
            (1, minor)
        } else {
            (2, tail.strip_prefix("alpha")?)
        };
        Some((stage, major, minor.parse().ok()?))
    });
    match parsed {
        Some((stage, major, minor)) => (stage, u64::MAX - major, u64::MAX - minor, String::new()),
        None => (3, 0, 0, version.to_string()),
    }
}

/// Kubernetes version priority (v1 > v1beta3 > v1beta2 > v1alpha1 > foo), as discovery orders
/// versions and picks the preferred one.
pub fn version_priority(a: &str, b: &str) -> std::cmp::Ordering {
    version_rank(a).cmp(&version_rank(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_by_kubernetes_priority() {
        let mut versions = vec![
            "v1alpha1",
            "foo",
            "v1beta2",
            "v2",
            "v1",
            "v1beta3",
            "v10",
            "v11alpha2",
            "v2beta1",
        ];
        versions.sort_by(|a, b| version_priority(a, b));
        assert_eq!(
            versions,
            [
                "v10",
                "v2",
                "v1",
                "v2beta1",
                "v1beta3",
                "v1beta2",
                "v11alpha2",
                "v1alpha1",
                "foo"
            ]
        );
    }
}
