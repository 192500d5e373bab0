//! Which kinds make up the mesh, and sorting arbitrary objects into a Snapshot by kind.
//!
//! Channel and source kinds are not a fixed list: any CRD labelled
//! `messaging.knative.dev/subscribable=true` or `duck.knative.dev/source=true` adds one. The
//! CRDs of a Knative Eventing installation are built in (`assets/knative-crds.yaml`); CRDs that
//! come with the objects add to them or replace them by name.

use super::objects::{Crd, GenericObject, group_of};
use super::snapshot::Snapshot;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

const BUILTIN_CRDS_YAML: &str = include_str!("../../assets/knative-crds.yaml");

/// The CRDs of a Knative Eventing installation.
pub fn builtin_crds() -> &'static [Crd] {
    static CRDS: OnceLock<Vec<Crd>> = OnceLock::new();
    CRDS.get_or_init(|| {
        serde_saphyr::from_multiple(BUILTIN_CRDS_YAML).expect("assets/knative-crds.yaml is valid")
    })
}

/// Kinds that carry secrets or access rules, and are never subscribers: they are not kept.
const NEVER_SUBSCRIBERS: &[(&str, &str)] = &[
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "ConfigMap"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
];

/// An object that could not be read as the kind it claims to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    /// Position of the object in the input sequence.
    pub index: usize,
    /// The field path, such as `spec.broker`.
    pub path: String,
    pub message: String,
    /// "Trigger payments/order-created", for the message.
    pub object: String,
}

/// Merges the built-in CRDs with the given ones (which win by name), sorted by name as an API
/// server lists them.
pub fn merge_crds(crds: Vec<Crd>) -> Vec<Crd> {
    let mut by_name: BTreeMap<String, Crd> = builtin_crds()
        .iter()
        .map(|crd| (crd.name().to_string(), crd.clone()))
        .collect();
    for crd in crds {
        by_name.insert(crd.name().to_string(), crd);
    }
    by_name.into_values().collect()
}

/// Sorts objects into a Snapshot by kind. CRDs among the objects are merged with the built-in
/// ones first, so that they can declare channel and source kinds used by earlier objects.
pub fn snapshot_from_objects(objects: Vec<Value>) -> Result<Snapshot, ConvertError> {
    let mut snapshot = Snapshot::default();
    let mut crds = Vec::new();
    let mut rest = Vec::new();
    for (index, value) in objects.into_iter().enumerate() {
        let (group, kind) = kind_of(&value);
        if group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition" {
            crds.push(convert::<Crd>(index, value)?);
        } else {
            rest.push((index, value));
        }
    }
    let crds = merge_crds(crds);
    let subscribable: HashSet<(String, String)> = crds
        .iter()
        .filter(|crd| crd.is_subscribable())
        .map(|crd| (crd.spec.group.clone(), crd.spec.names.kind.clone()))
        .collect();
    let source: HashSet<(String, String)> = crds
        .iter()
        .filter(|crd| crd.is_source())
        .map(|crd| (crd.spec.group.clone(), crd.spec.names.kind.clone()))
        .collect();

    for (index, value) in rest {
        let (group, kind) = kind_of(&value);
        let group_kind = (group.to_string(), kind.to_string());
        match (group, kind) {
            ("eventing.knative.dev", "Broker") => snapshot.brokers.push(convert(index, value)?),
            ("eventing.knative.dev", "Trigger") => snapshot.triggers.push(convert(index, value)?),
            ("eventing.knative.dev", "EventType") => {
                snapshot.event_types.push(convert(index, value)?)
            }
            ("messaging.knative.dev", "Subscription") => {
                snapshot.subscriptions.push(convert(index, value)?)
            }
            ("", "Namespace") => {
                let namespace: GenericObject = convert(index, value)?;
                snapshot.namespaces.push(namespace.metadata.name);
            }
            _ if subscribable.contains(&group_kind) => {
                snapshot.channels.push(convert(index, value)?)
            }
            _ if source.contains(&group_kind) => snapshot.sources.push(convert(index, value)?),
            _ if NEVER_SUBSCRIBERS.contains(&(group, kind)) => {}
            _ => snapshot.subscribers.push(convert(index, value)?),
        }
    }
    snapshot.crds = crds;
    Ok(snapshot)
}

/// (group, kind) of a JSON object.
pub fn kind_of(value: &Value) -> (&str, &str) {
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    (group_of(api_version), kind)
}

fn describe_object(value: &Value) -> String {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let metadata = value.get("metadata");
    let field = |name| {
        metadata
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    match (field("namespace"), field("name")) {
        ("", "") => kind.to_string(),
        ("", name) => format!("{kind} {name}"),
        (namespace, name) => format!("{kind} {namespace}/{name}"),
    }
}

/// Converts one object to its typed view, keeping the path of a field of the wrong type.
pub fn convert<T: DeserializeOwned>(index: usize, value: Value) -> Result<T, ConvertError> {
    let object = describe_object(&value);
    serde_path_to_error::deserialize(value).map_err(|error| ConvertError {
        index,
        path: error.path().to_string(),
        message: error.inner().to_string(),
        object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_crds_declare_channel_and_source_kinds() {
        let crds = builtin_crds();
        let subscribable: Vec<_> = crds
            .iter()
            .filter(|c| c.is_subscribable())
            .map(|c| c.spec.names.kind.as_str())
            .collect();
        assert_eq!(subscribable, ["Channel", "InMemoryChannel"]);
        let ping = crds
            .iter()
            .find(|c| c.spec.names.kind == "PingSource")
            .unwrap();
        assert!(ping.is_source());
        assert_eq!(
            ping.registry_event_types().unwrap()[0].event_type,
            "dev.knative.sources.ping"
        );
        assert_eq!(ping.served_version(), Some("v1beta2"));
    }

    #[test]
    fn secrets_and_rbac_are_never_kept() {
        let objects = vec![
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}, "data": {"token": "c2VjcmV0"}}),
            serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "a"}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "a"}}),
        ];
        let snapshot = snapshot_from_objects(objects).unwrap();
        assert_eq!(snapshot.subscribers.len(), 1);
        assert_eq!(snapshot.subscribers[0].name(), "svc");
    }

    #[test]
    fn a_wrong_type_names_the_field_and_the_object() {
        let objects = vec![serde_json::json!({
            "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
            "metadata": {"name": "t", "namespace": "a"}, "spec": {"broker": 5}
        })];
        let error = snapshot_from_objects(objects).unwrap_err();
        assert_eq!(error.path, "spec.broker");
        assert_eq!(error.object, "Trigger a/t");
        assert!(
            error.message.contains("expected a string"),
            "{}",
            error.message
        );
    }
}
