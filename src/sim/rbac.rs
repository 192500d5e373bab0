//! RBAC evaluation as kube-apiserver's RBAC authorizer does it (DESIGN.md §4): every
//! ClusterRoleBinding applies, RoleBindings apply in their own namespace (also when they point
//! at a ClusterRole), aggregated ClusterRoles take the union of the roles their selectors pick,
//! there is no deny, and `system:masters` may do anything.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const MASTERS_GROUP: &str = "system:masters";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub username: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A ServiceAccount's identity: its user name and the groups every ServiceAccount has.
    pub fn service_account(namespace: &str, name: &str, uid: &str) -> Self {
        Self {
            username: format!("system:serviceaccount:{namespace}:{name}"),
            uid: uid.to_string(),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
            extra: BTreeMap::new(),
        }
    }
}

pub use crate::k8s::rbac::{PolicyRule, Request};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subject {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct RoleRef {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Clone)]
struct Binding {
    kind: &'static str,
    name: String,
    /// None for a ClusterRoleBinding.
    namespace: Option<String>,
    role_ref: RoleRef,
    subjects: Vec<Subject>,
}

#[derive(Debug, Clone, Default)]
struct Role {
    labels: BTreeMap<String, String>,
    rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors[].matchLabels`.
    aggregation: Vec<BTreeMap<String, String>>,
}

/// The RBAC objects of a cluster, ready to answer questions.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    cluster_roles: BTreeMap<String, Role>,
    roles: BTreeMap<(String, String), Role>,
    bindings: Vec<Binding>,
}

/// The answer to "may this user do this?", with the binding that allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

fn field<T: serde::de::DeserializeOwned + Default>(object: &Value, pointer: &str) -> T {
    object
        .pointer(pointer)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

impl Policy {
    /// Reads Roles, ClusterRoles, RoleBindings and ClusterRoleBindings from any objects; others
    /// are ignored.
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut policy = Policy::default();
        for object in objects {
            if !object
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with("rbac.authorization.k8s.io/"))
            {
                continue;
            }
            let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
            let name: String = field(object, "/metadata/name");
            let namespace: String = field(object, "/metadata/namespace");
            let role = || Role {
                labels: field(object, "/metadata/labels"),
                rules: field(object, "/rules"),
                aggregation: field::<Vec<Value>>(object, "/aggregationRule/clusterRoleSelectors")
                    .iter()
                    .map(|selector| field(selector, "/matchLabels"))
                    .collect(),
            };
            let binding = |kind: &'static str, namespace: Option<String>| Binding {
                kind,
                name: name.clone(),
                namespace,
                role_ref: field(object, "/roleRef"),
                subjects: field(object, "/subjects"),
            };
            match kind {
                "ClusterRole" => {
                    policy.cluster_roles.insert(name.clone(), role());
                }
                "Role" => {
                    policy
                        .roles
                        .insert((namespace.clone(), name.clone()), role());
                }
                "ClusterRoleBinding" => policy.bindings.push(binding("ClusterRoleBinding", None)),
                "RoleBinding" => policy
                    .bindings
                    .push(binding("RoleBinding", Some(namespace.clone()))),
                _ => {}
            }
        }
        policy
    }

    /// The rules of a role, with an aggregated ClusterRole's picked roles added.
    fn rules_of(&self, binding: &Binding) -> Vec<PolicyRule> {
        let role = match (binding.role_ref.kind.as_str(), &binding.namespace) {
            ("ClusterRole", _) => self.cluster_roles.get(&binding.role_ref.name),
            ("Role", Some(namespace)) => self
                .roles
                .get(&(namespace.clone(), binding.role_ref.name.clone())),
            _ => None,
        };
        let Some(role) = role else {
            return Vec::new();
        };
        let mut rules = role.rules.clone();
        for selector in &role.aggregation {
            for other in self.cluster_roles.values() {
                if selector.iter().all(|(k, v)| other.labels.get(k) == Some(v)) {
                    rules.extend(other.rules.iter().cloned());
                }
            }
        }
        rules
    }

    fn subject_matches(subject: &Subject, binding: &Binding, user: &UserInfo) -> bool {
        match subject.kind.as_str() {
            "User" => subject.name == user.username,
            "Group" => user.groups.contains(&subject.name),
            "ServiceAccount" => {
                let namespace = if subject.namespace.is_empty() {
                    binding.namespace.as_deref().unwrap_or("")
                } else {
                    &subject.namespace
                };
                user.username == format!("system:serviceaccount:{namespace}:{}", subject.name)
            }
            _ => false,
        }
    }

    /// The bindings that apply to this user for a request in this namespace (None: cluster
    /// scope, where only ClusterRoleBindings apply).
    fn applicable<'a>(
        &'a self,
        user: &'a UserInfo,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Binding, &'a Subject)> + 'a {
        self.bindings
            .iter()
            .filter(move |b| b.namespace.is_none() || b.namespace.as_deref() == namespace)
            .filter_map(move |b| {
                b.subjects
                    .iter()
                    .find(|s| Self::subject_matches(s, b, user))
                    .map(|s| (b, s))
            })
    }

    pub fn decide(&self, user: &UserInfo, request: &Request) -> Decision {
        if user.groups.iter().any(|g| g == MASTERS_GROUP) {
            return Decision {
                allowed: true,
                reason: format!("member of {MASTERS_GROUP}"),
            };
        }
        let namespace = match request {
            Request::Resource { request, .. } => request.namespace(),
            Request::NonResource { .. } => None,
        };
        for (binding, subject) in self.applicable(user, namespace) {
            if self
                .rules_of(binding)
                .iter()
                .any(|rule| rule.matches(request))
            {
                let namespace = binding
                    .namespace
                    .as_ref()
                    .map(|n| format!(" in namespace {n:?}"))
                    .unwrap_or_default();
                return Decision {
                    allowed: true,
                    reason: format!(
                        "RBAC: allowed by {} {:?} of {} {:?} to {} {:?}{namespace}",
                        binding.kind,
                        binding.name,
                        binding.role_ref.kind,
                        binding.role_ref.name,
                        subject.kind,
                        subject.name
                    ),
                };
            }
        }
        Decision {
            allowed: false,
            reason: String::new(),
        }
    }

    /// Every rule that applies to the user in a namespace (SelfSubjectRulesReview).
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
        if user.groups.iter().any(|g| g == MASTERS_GROUP) {
            return vec![
                PolicyRule {
                    verbs: vec!["*".into()],
                    api_groups: vec!["*".into()],
                    resources: vec!["*".into()],
                    ..PolicyRule::default()
                },
                PolicyRule {
                    verbs: vec!["*".into()],
                    non_resource_urls: vec!["*".into()],
                    ..PolicyRule::default()
                },
            ];
        }
        let mut rules: Vec<PolicyRule> = Vec::new();
        for (binding, _) in self.applicable(user, Some(namespace)) {
            for rule in self.rules_of(binding) {
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
        }
        rules
    }
}
