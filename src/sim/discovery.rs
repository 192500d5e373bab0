//! Discovery documents (`/api`, `/apis`, `/apis/{group}`, `/api/v1`, `/apis/{group}/{version}`)
//! built from the resources served, their versions in Kubernetes' priority order.

use super::resources::{ResourceDef, version_priority};
use serde_json::{Value, json};

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
    for def in defs {
        for version in &def.versions {
            if !versions.contains(version) {
                versions.push(version.clone());
            }
        }
    }
    versions.sort_by(|a, b| version_priority(a, b));
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
