//! What kube-apiserver's own controllers do to an object as it is created or updated, which
//! clients rely on: a Namespace gets its `kubernetes.io/metadata.name` label and the `Active` phase, and a
//! CRD is Established with its names accepted at once (`kubectl wait --for condition=established`
//! returns).

use serde_json::{Value, json};

pub fn reconcile(group: &str, plural: &str, object: &mut Value) {
    match (group, plural) {
        ("", "namespaces") => namespace(object),
        ("apiextensions.k8s.io", "customresourcedefinitions") => crd(object),
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
        object["spec"] = json!({"finalizers": ["kubernetes"]});
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
