//! What kube-apiserver's own controllers do to an object as it is created or updated, which
//! clients rely on, and the defaults it fills: a Namespace gets its `kubernetes.io/metadata.name`
//! label and the `Active` phase, a Secret without a type is Opaque, and a CRD is Established with
//! its names accepted at once (`kubectl wait --for condition=established` returns). And the
//! ClusterRole aggregation controller: an aggregated role's `rules` are the union of the rules of
//! the roles its selectors pick, as `kubectl get -o yaml` shows them.

use serde_json::{Value, json};

pub fn reconcile(group: &str, plural: &str, object: &mut Value) {
    match (group, plural) {
        ("", "namespaces") => namespace(object),
        ("apiextensions.k8s.io", "customresourcedefinitions") => crd(object),
        // kube-apiserver's defaulting: a Secret without a type is Opaque.
        ("", "secrets") if object.get("type").is_none_or(Value::is_null) => {
            object["type"] = json!("Opaque");
        }
        _ => {}
    }
}

fn namespace(object: &mut Value) {
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if !object["metadata"]["labels"].is_object() {
        object["metadata"]["labels"] = json!({});
    }
    object["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
    if !object["spec"].is_object() {
        object["spec"] = json!({});
    }
    if object["spec"].get("finalizers").is_none() {
        object["spec"]["finalizers"] = json!(["kubernetes"]);
    }
    object["status"] = json!({"phase": "Active"});
}

fn crd(object: &mut Value) {
    let names = object["spec"]["names"].clone();
    let now = jiff::Timestamp::now().to_string();
    let condition = |kind: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": "True", "reason": reason, "message": message,
               "lastTransitionTime": now})
    };
    object["status"] = json!({
        "acceptedNames": names,
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "storedVersions": stored_versions(object),
    });
}

/// The version the CRD stores, as its `storedVersions` lists it.
fn stored_versions(object: &Value) -> Value {
    let versions = object["spec"]["versions"].as_array();
    let stored: Vec<&Value> = versions
        .into_iter()
        .flatten()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .filter_map(|v| v.get("name"))
        .collect();
    json!(stored)
}

/// A LabelSelector (`matchLabels`, `matchExpressions`) as label selector text, which the same
/// parser as `?labelSelector=` reads. An empty selector selects everything, as kube's
/// `LabelSelectorAsSelector` makes it: a role aggregating `{}` gets every role's rules.
fn selector_text(selector: &Value) -> String {
    let mut parts: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or("")))
        .collect();
    for expression in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = expression["key"].as_str().unwrap_or("");
        let values: Vec<&str> = expression["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match expression["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "DoesNotExist" => format!("!{key}"),
            _ => key.to_string(),
        });
    }
    parts.join(",")
}

fn selects(selector: &Value, role: &Value) -> bool {
    super::selectors::Selectors::parse(Some(&selector_text(selector)), None)
        .is_ok_and(|parsed| parsed.matches(role))
}

/// The aggregated ClusterRoles whose `rules` are not the union their selectors pick, with the
/// rules they should have, from the roles as they are now: a role that aggregates an aggregated
/// role settles once that one has been written.
pub fn aggregation_changes(cluster_roles: &[&Value]) -> Vec<(String, Value)> {
    let mut changes = Vec::new();
    for role in cluster_roles {
        let Some(selectors) = role
            .pointer("/aggregationRule/clusterRoleSelectors")
            .and_then(Value::as_array)
        else {
            continue;
        };
        let name = role["metadata"]["name"].as_str().unwrap_or("");
        let mut rules: Vec<Value> = Vec::new();
        // As kube's controller: selector by selector, the picked roles by name.
        for selector in selectors {
            for other in cluster_roles {
                if other["metadata"]["name"].as_str() == Some(name) || !selects(selector, other) {
                    continue;
                }
                for rule in other["rules"].as_array().into_iter().flatten() {
                    if !rules.contains(rule) {
                        rules.push(rule.clone());
                    }
                }
            }
        }
        let rules = Value::Array(rules);
        if role.get("rules").unwrap_or(&Value::Null) != &rules {
            changes.push((name.to_string(), rules));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, labels: Value, rules: Value, selectors: Option<Value>) -> Value {
        let mut role = json!({"metadata": {"name": name, "labels": labels}, "rules": rules});
        if let Some(selectors) = selectors {
            role["aggregationRule"] = json!({"clusterRoleSelectors": selectors});
        }
        role
    }

    #[test]
    fn selectors_match_labels_expressions_and_an_empty_one_everything() {
        let picked = role(
            "p",
            json!({"tier": "a", "x": "1"}),
            json!([{"verbs": ["get"]}]),
            None,
        );
        let other = role(
            "o",
            json!({"tier": "b"}),
            json!([{"verbs": ["list"]}]),
            None,
        );
        let by_expression = role(
            "e",
            json!({}),
            json!([]),
            Some(
                json!([{"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]}]}]),
            ),
        );
        let everything = role("all", json!({}), json!([]), Some(json!([{}])));
        let roles = [&picked, &other, &by_expression, &everything];
        let changes = aggregation_changes(&roles);
        assert_eq!(
            changes,
            [
                ("e".to_string(), json!([{"verbs": ["get"]}])),
                (
                    "all".to_string(),
                    json!([{"verbs": ["get"]}, {"verbs": ["list"]}])
                ),
            ]
        );
    }
}
