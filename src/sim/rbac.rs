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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(
        default,
        rename = "nonResourceURLs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub non_resource_urls: Vec<String>,
}

/// What a request asks to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Resource {
        verb: String,
        group: String,
        resource: String,
        subresource: String,
        /// None: cluster-scoped, or a request across all namespaces.
        namespace: Option<String>,
        name: Option<String>,
    },
    NonResource {
        verb: String,
        path: String,
    },
}

impl Request {
    pub fn resource(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Self {
        Request::Resource {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: String::new(),
            namespace: namespace.map(str::to_string),
            name: None,
        }
    }
}

fn has(list: &[String], wanted: &str) -> bool {
    list.iter().any(|item| item == "*" || item == wanted)
}

impl PolicyRule {
    pub fn matches(&self, request: &Request) -> bool {
        match request {
            Request::Resource {
                verb,
                group,
                resource,
                subresource,
                name,
                ..
            } => {
                if !has(&self.verbs, verb) || !has(&self.api_groups, group) {
                    return false;
                }
                let combined = if subresource.is_empty() {
                    resource.clone()
                } else {
                    format!("{resource}/{subresource}")
                };
                let resource_ok = self.resources.iter().any(|r| {
                    r == "*"
                        || *r == combined
                        || (!subresource.is_empty() && *r == format!("*/{subresource}"))
                });
                // A rule with names never matches an unnamed request (list, create, ...).
                let name_ok = self.resource_names.is_empty()
                    || name
                        .as_deref()
                        .is_some_and(|n| self.resource_names.iter().any(|r| r == n));
                resource_ok && name_ok
            }
            Request::NonResource { verb, path } => {
                has(&self.verbs, verb)
                    && self.non_resource_urls.iter().any(|url| {
                        url == "*"
                            || url == path
                            || url
                                .strip_suffix('*')
                                .is_some_and(|prefix| path.starts_with(prefix))
                    })
            }
        }
    }
}

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
            Request::Resource { namespace, .. } => namespace.as_deref(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(objects: Vec<Value>) -> Policy {
        Policy::from_objects(&objects)
    }

    fn cluster_role(name: &str, rules: Value) -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": name}, "rules": rules})
    }

    fn cluster_binding(role: &str, subject: Value) -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": format!("{role}-binding")},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
               "subjects": [subject]})
    }

    fn user() -> UserInfo {
        UserInfo::service_account("ns", "sa", "uid")
    }

    const SA: fn() -> Value = || json!({"kind": "ServiceAccount", "name": "sa", "namespace": "ns"});

    fn allowed_by(rules: Value, request: &Request) -> bool {
        policy(vec![cluster_role("r", rules), cluster_binding("r", SA())])
            .decide(&user(), request)
            .allowed
    }

    fn get(group: &str, resource: &str, subresource: &str, name: Option<&str>) -> Request {
        Request::Resource {
            verb: "get".into(),
            group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: Some("ns".into()),
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn verbs_match_by_star_or_exactly() {
        let list = Request::resource("list", "", "pods", Some("ns"));
        assert!(allowed_by(
            json!([{"verbs": ["*"], "apiGroups": [""], "resources": ["pods"]}]),
            &list
        ));
        assert!(allowed_by(
            json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]),
            &list
        ));
        assert!(!allowed_by(
            json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
            &list
        ));
    }

    #[test]
    fn api_groups_match_by_star_or_exactly_and_empty_is_core() {
        let core = Request::resource("list", "", "pods", Some("ns"));
        let knative = Request::resource("list", "eventing.knative.dev", "brokers", Some("ns"));
        let rule = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["*"]}]);
        assert!(allowed_by(rule.clone(), &core));
        assert!(!allowed_by(rule, &knative));
        let star = json!([{"verbs": ["list"], "apiGroups": ["*"], "resources": ["brokers"]}]);
        assert!(allowed_by(star, &knative));
    }

    #[test]
    fn resources_match_star_exact_subresource_and_star_subresource() {
        let plain = get("", "serviceaccounts", "", Some("x"));
        let token = get("", "serviceaccounts", "token", Some("x"));
        let exact =
            json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["serviceaccounts"]}]);
        assert!(allowed_by(exact.clone(), &plain));
        assert!(
            !allowed_by(exact, &token),
            "a resource rule does not cover its subresources"
        );
        let sub =
            json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["serviceaccounts/token"]}]);
        assert!(allowed_by(sub.clone(), &token));
        assert!(!allowed_by(sub, &plain));
        let star_sub = json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["*/token"]}]);
        assert!(allowed_by(star_sub.clone(), &token));
        assert!(!allowed_by(star_sub, &plain));
        let star = json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["*"]}]);
        assert!(allowed_by(star.clone(), &plain));
        assert!(allowed_by(star, &token));
    }

    #[test]
    fn resource_names_limit_named_requests_and_never_match_unnamed_ones() {
        let rule = json!([{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["mine"]}]);
        assert!(allowed_by(
            rule.clone(),
            &get("", "secrets", "", Some("mine"))
        ));
        assert!(!allowed_by(
            rule.clone(),
            &get("", "secrets", "", Some("theirs"))
        ));
        assert!(!allowed_by(
            rule,
            &Request::resource("list", "", "secrets", Some("ns"))
        ));
    }

    #[test]
    fn non_resource_urls_match_star_exact_or_prefix() {
        let version = Request::NonResource {
            verb: "get".into(),
            path: "/version".into(),
        };
        let apis = Request::NonResource {
            verb: "get".into(),
            path: "/apis/eventing.knative.dev".into(),
        };
        assert!(allowed_by(
            json!([{"verbs": ["get"], "nonResourceURLs": ["/version"]}]),
            &version
        ));
        assert!(!allowed_by(
            json!([{"verbs": ["get"], "nonResourceURLs": ["/version"]}]),
            &apis
        ));
        assert!(allowed_by(
            json!([{"verbs": ["get"], "nonResourceURLs": ["/apis/*"]}]),
            &apis
        ));
        assert!(!allowed_by(
            json!([{"verbs": ["get"], "nonResourceURLs": ["/api/*"]}]),
            &apis
        ));
        assert!(allowed_by(
            json!([{"verbs": ["get"], "nonResourceURLs": ["*"]}]),
            &apis
        ));
        assert!(!allowed_by(
            json!([{"verbs": ["post"], "nonResourceURLs": ["*"]}]),
            &apis
        ));
    }

    #[test]
    fn group_subjects_match_service_account_groups() {
        let rules = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
        let list = Request::resource("list", "", "pods", None);
        for group in [
            "system:serviceaccounts",
            "system:serviceaccounts:ns",
            "system:authenticated",
        ] {
            let p = policy(vec![
                cluster_role("r", rules.clone()),
                cluster_binding("r", json!({"kind": "Group", "name": group})),
            ]);
            assert!(p.decide(&user(), &list).allowed, "{group}");
        }
        let other = policy(vec![
            cluster_role("r", rules),
            cluster_binding(
                "r",
                json!({"kind": "Group", "name": "system:serviceaccounts:other"}),
            ),
        ]);
        assert!(!other.decide(&user(), &list).allowed);
    }

    #[test]
    fn user_subjects_match_by_name() {
        let rules = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
        let p = policy(vec![
            cluster_role("r", rules),
            cluster_binding("r", json!({"kind": "User", "name": "jane"})),
        ]);
        let list = Request::resource("list", "", "pods", None);
        let jane = UserInfo {
            username: "jane".into(),
            ..UserInfo::default()
        };
        assert!(p.decide(&jane, &list).allowed);
        assert!(!p.decide(&user(), &list).allowed);
    }

    #[test]
    fn a_role_binding_to_a_cluster_role_applies_in_its_namespace_only() {
        let p = policy(vec![
            cluster_role(
                "reader",
                json!([{"verbs": ["list"], "apiGroups": ["eventing.knative.dev"], "resources": ["triggers"]}]),
            ),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "b", "namespace": "payments"},
                   "roleRef": {"kind": "ClusterRole", "name": "reader"},
                   "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]}),
        ]);
        let in_payments =
            Request::resource("list", "eventing.knative.dev", "triggers", Some("payments"));
        let in_ops = Request::resource("list", "eventing.knative.dev", "triggers", Some("ops"));
        let cluster = Request::resource("list", "eventing.knative.dev", "triggers", None);
        assert!(p.decide(&user(), &in_payments).allowed);
        assert!(!p.decide(&user(), &in_ops).allowed);
        assert!(!p.decide(&user(), &cluster).allowed);
    }

    #[test]
    fn a_role_applies_in_its_namespace_and_a_service_account_subject_defaults_to_it() {
        let p = policy(vec![
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": "r", "namespace": "ns"},
                   "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}]}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "b", "namespace": "ns"},
                   "roleRef": {"kind": "Role", "name": "r"},
                   "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}),
        ]);
        assert!(
            p.decide(&user(), &get("", "configmaps", "", Some("c")))
                .allowed
        );
        let elsewhere = Request::Resource {
            verb: "get".into(),
            group: String::new(),
            resource: "configmaps".into(),
            subresource: String::new(),
            namespace: Some("other".into()),
            name: Some("c".into()),
        };
        assert!(!p.decide(&user(), &elsewhere).allowed);
    }

    #[test]
    fn aggregated_cluster_roles_take_the_union_of_the_selected_roles() {
        let p = policy(vec![
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "mesh-aggregate"},
                   "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"mesh/aggregate": "true"}}]},
                   "rules": []}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "part", "labels": {"mesh/aggregate": "true"}},
                   "rules": [{"verbs": ["list"], "apiGroups": ["eventing.knative.dev"], "resources": ["brokers"]}]}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "unlabelled"},
                   "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]}]}),
            cluster_binding("mesh-aggregate", SA()),
        ]);
        assert!(
            p.decide(
                &user(),
                &Request::resource("list", "eventing.knative.dev", "brokers", None)
            )
            .allowed
        );
        assert!(
            !p.decide(&user(), &Request::resource("list", "", "secrets", None))
                .allowed
        );
    }

    #[test]
    fn system_masters_may_do_anything_and_there_is_no_deny() {
        let admin = UserInfo {
            username: "admin".into(),
            groups: vec![MASTERS_GROUP.into()],
            ..UserInfo::default()
        };
        let p = Policy::default();
        assert!(
            p.decide(&admin, &Request::resource("delete", "", "secrets", None))
                .allowed
        );
        assert!(
            !p.decide(&user(), &Request::resource("get", "", "secrets", None))
                .allowed
        );
    }

    #[test]
    fn rules_for_collects_cluster_and_namespace_rules_without_duplicates() {
        let rule = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
        let p = policy(vec![
            cluster_role("r", rule.clone()),
            cluster_binding("r", SA()),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "b", "namespace": "payments"},
                   "roleRef": {"kind": "ClusterRole", "name": "r"},
                   "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]}),
        ]);
        assert_eq!(p.rules_for(&user(), "payments").len(), 1);
        assert_eq!(p.rules_for(&user(), "ops").len(), 1);
    }
}
