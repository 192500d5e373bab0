//! RBAC's escalation check, as kube-apiserver makes it: whoever writes a Role or ClusterRole
//! must already hold every permission it grants (or have `escalate` on it), and whoever binds
//! a role must hold the role's permissions (or have `bind` on it). A binding's roleRef never
//! changes. Without this, a rehearsal would let a delegated admin do what production refuses.

use super::rbac::{Policy, PolicyRule, Request, UserInfo};
use super::resources::ResourceDef;
use super::status::{self, ApiError, Cause};
use super::store::Store;
use serde_json::Value;

const RBAC: &str = "rbac.authorization.k8s.io";

fn allowed(
    policy: &Policy,
    user: &UserInfo,
    verb: &str,
    plural: &str,
    namespace: &str,
    name: &str,
) -> bool {
    let request = Request::Resource {
        request: crate::k8s::ResourceRequest {
            name: Some(name.to_string()),
            ..crate::k8s::ResourceRequest::new(
                verb,
                RBAC,
                plural,
                Some(namespace).filter(|n| !n.is_empty()),
            )
        },
        subresource: String::new(),
    };
    policy.decide(user, &request).allowed
}

/// A rule broken into the single permissions it grants.
fn atoms(rule: &PolicyRule) -> Vec<Request> {
    let mut atoms = Vec::new();
    for verb in &rule.verbs {
        for url in &rule.non_resource_urls {
            atoms.push(Request::NonResource {
                verb: verb.clone(),
                path: url.clone(),
            });
        }
        let names: Vec<Option<&String>> = if rule.resource_names.is_empty() {
            vec![None]
        } else {
            rule.resource_names.iter().map(Some).collect()
        };
        for group in &rule.api_groups {
            for resource in &rule.resources {
                let (plural, subresource) = resource.split_once('/').unwrap_or((resource, ""));
                for name in &names {
                    atoms.push(Request::Resource {
                        request: crate::k8s::ResourceRequest {
                            name: name.cloned(),
                            ..crate::k8s::ResourceRequest::new(verb.as_str(), group, plural, None)
                        },
                        subresource: subresource.to_string(),
                    });
                }
            }
        }
    }
    atoms
}

fn describe(rule: &PolicyRule) -> String {
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
        format!("[{}]", quoted.join(" "))
    };
    let mut parts = Vec::new();
    if !rule.non_resource_urls.is_empty() {
        parts.push(format!("NonResourceURLs:{}", list(&rule.non_resource_urls)));
    } else {
        parts.push(format!("APIGroups:{}", list(&rule.api_groups)));
        parts.push(format!("Resources:{}", list(&rule.resources)));
        if !rule.resource_names.is_empty() {
            parts.push(format!("ResourceNames:{}", list(&rule.resource_names)));
        }
    }
    parts.push(format!("Verbs:{}", list(&rule.verbs)));
    format!("{{{}}}", parts.join(", "))
}

fn rules_of(value: &Value) -> Vec<PolicyRule> {
    serde_json::from_value(value.get("rules").cloned().unwrap_or(Value::Null)).unwrap_or_default()
}

/// The rules `granted` holds that the user does not, in `namespace` ("" for the cluster scope,
/// where only ClusterRoleBindings count).
fn not_held(
    policy: &Policy,
    user: &UserInfo,
    namespace: &str,
    granted: &[PolicyRule],
) -> Vec<PolicyRule> {
    let held = policy.rules_for(user, namespace);
    granted
        .iter()
        .filter(|rule| {
            atoms(rule)
                .iter()
                .any(|atom| !held.iter().any(|owner| owner.matches(atom)))
        })
        .cloned()
        .collect()
}

fn refuse(def: &ResourceDef, name: &str, user: &UserInfo, missing: &[PolicyRule]) -> ApiError {
    let groups: Vec<String> = user.groups.iter().map(|g| format!("{g:?}")).collect();
    let rules: Vec<String> = missing.iter().map(describe).collect();
    status::forbidden_with(
        RBAC,
        &def.plural,
        name,
        format!(
            "user {:?} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
            user.username,
            groups.join(" "),
            rules.join("\n")
        ),
    )
}

/// Checks a write of an RBAC object by `user` into `namespace` (the request's: the body may
/// not name one); other kinds pass.
pub fn check(
    policy: &Policy,
    store: &Store,
    user: &UserInfo,
    (def, namespace): (&ResourceDef, &str),
    object: &Value,
) -> Result<(), ApiError> {
    if def.group != RBAC {
        return Ok(());
    }
    let text = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let name = text("/metadata/name");
    match def.kind.as_str() {
        "Role" | "ClusterRole" => {
            if allowed(policy, user, "escalate", &def.plural, namespace, name) {
                return Ok(());
            }
            // An aggregated role grants whatever is labelled for it later: only someone who may
            // escalate may make one.
            if object
                .get("aggregationRule")
                .is_some_and(|rule| !rule.is_null())
            {
                return Err(status::forbidden_with(
                    RBAC,
                    &def.plural,
                    name,
                    "must have cluster-admin privileges to use the aggregationRule".into(),
                ));
            }
            let missing = not_held(policy, user, namespace, &rules_of(object));
            if missing.is_empty() {
                Ok(())
            } else {
                Err(refuse(def, name, user, &missing))
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            if let Some(current) = store.get(RBAC, &def.plural, namespace, name)
                && current.get("roleRef") != object.get("roleRef")
            {
                let cause = Cause::new(
                    "FieldValueInvalid",
                    "roleRef",
                    "Invalid value: cannot change roleRef",
                );
                return Err(status::invalid_causes(RBAC, &def.kind, name, vec![cause]));
            }
            let (role_kind, role_name) = (text("/roleRef/kind"), text("/roleRef/name"));
            let (plural, role_namespace) = match role_kind {
                "Role" => ("roles", namespace),
                _ => ("clusterroles", ""),
            };
            if allowed(policy, user, "bind", plural, role_namespace, role_name) {
                return Ok(());
            }
            // A role that does not exist grants nothing, so binding it escalates nothing.
            let granted = store
                .get(RBAC, plural, role_namespace, role_name)
                .map(rules_of)
                .unwrap_or_default();
            let missing = not_held(policy, user, namespace, &granted);
            if missing.is_empty() {
                Ok(())
            } else {
                Err(refuse(def, name, user, &missing))
            }
        }
        _ => Ok(()),
    }
}
