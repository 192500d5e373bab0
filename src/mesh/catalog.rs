//! Which kinds make up the mesh, and sorting arbitrary objects into a Snapshot by kind.
//!
//! Channel and source kinds are not a fixed list: any CRD labelled
//! `messaging.knative.dev/subscribable=true` or `duck.knative.dev/source=true` adds one. The
//! CRDs of a Knative Eventing installation are built in (`assets/knative-crds.yaml`); CRDs that
//! come with the objects add to them or replace them by name.

use super::components::{Component, ComponentKind};
use super::objects::{Channel, Crd, DeliverySpec, GenericObject, group_of};
use super::snapshot::{Access, AccessMarker, ApiRequest, Role, Snapshot};
use serde::Deserialize;
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
pub const NEVER_SUBSCRIBERS: &[(&str, &str)] = &[
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "ConfigMap"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
];

#[derive(serde::Deserialize)]
struct FeaturesConfigMap {
    #[serde(default)]
    data: crate::mesh::objects::StringMap,
}

/// Whether an object is ConfigMap `knative-eventing/config-features`, Knative's feature flags.
pub fn is_features(value: &Value) -> bool {
    let metadata = value.get("metadata");
    let field = |name| metadata.and_then(|m| m.get(name)).and_then(Value::as_str);
    field("namespace") == Some(crate::mesh::snapshot::FEATURES_NAMESPACE)
        && field("name") == Some(crate::mesh::snapshot::FEATURES_NAME)
}

/// The role of what a marker stands for: Knative's own kinds by group and plural, channel and
/// source kinds by their CRD's labels (the given CRDs, else the built-in ones). An object that
/// could not be decoded belongs where its kind's objects are shown (an ApiServerSource among
/// the sources), even though its marker names it as a lookup by name does.
pub fn role_of_marker(marker: &AccessMarker, crds: &[Crd]) -> Role {
    let looked_up = !matches!(marker.access, Access::Undecodable { .. })
        && marker.request.name.is_some()
        && marker.request.verb == crate::k8s::Verb::Get;
    role_by_kind(&marker.request, crds, looked_up)
}

fn role_by_kind(request: &ApiRequest, crds: &[Crd], looked_up_by_name: bool) -> Role {
    if request.is_file() {
        return Role::File;
    }
    let resource = &request.resource;
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("eventing.knative.dev", "brokers") => return Role::Broker,
        ("eventing.knative.dev", "triggers") => return Role::Trigger,
        ("eventing.knative.dev", "eventtypes") => return Role::EventType,
        ("messaging.knative.dev", "subscriptions") => return Role::Subscription,
        ("apiextensions.k8s.io", "customresourcedefinitions") => return Role::Crd,
        ("", "namespaces") => return Role::Namespace,
        _ => {}
    }
    let declared =
        |crd: &Crd| crd.spec.group == resource.group && crd.spec.names.plural == resource.plural;
    let crd = crds
        .iter()
        .find(|crd| declared(crd))
        .or_else(|| builtin_crds().iter().find(|crd| declared(crd)));
    let component = ComponentKind::of_resource(&resource.group, &resource.plural);
    match crd {
        // A flow or sink is shown as itself wherever it is met, also when looked up by name.
        _ if component == Some(ComponentKind::EventPolicy) => Role::Policy,
        _ if component.is_some() => Role::Component,
        // A subscriber looked up by name is a subscriber, whatever its kind's labels say.
        _ if looked_up_by_name => Role::Other,
        Some(crd) if crd.is_subscribable() => Role::Channel,
        Some(crd) if crd.is_source() => Role::Source,
        // Without its CRD, a Knative kind is placed as its objects are (DESIGN.md §2b).
        None if resource.group == "sources.knative.dev" => Role::Source,
        _ if super::components::is_component_group(&resource.group) => Role::Component,
        _ => Role::Other,
    }
}

/// An object that could not be read as the kind it claims to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    /// Position of the object in the input sequence.
    pub index: usize,
    /// The field path, such as `spec.broker`.
    pub path: String,
    pub message: String,
    pub identity: Box<ObjectIdentity>,
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
///
/// An object that cannot be decoded as its kind costs only itself: it is left out and becomes
/// an `Undecodable` marker in the Snapshot (DESIGN.md §1).
pub fn snapshot_from_objects(objects: Vec<Value>) -> Snapshot {
    sort_objects(objects).0
}

/// The same, also returning each object that could not be decoded, with its position in the
/// input (the manifest reader turns that into a file and a line).
pub fn sort_objects(objects: Vec<Value>) -> (Snapshot, Vec<ConvertError>) {
    let mut snapshot = Snapshot::default();
    let mut errors = Vec::new();
    let mut crds = Vec::new();
    let mut rest = Vec::new();
    for (index, value) in objects.into_iter().enumerate() {
        let (group, kind) = kind_of(&value);
        if group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition" {
            match convert::<Crd>(index, value) {
                Ok(crd) => crds.push(crd),
                Err(error) => errors.push(error),
            }
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
        let sorted = match (group, kind) {
            ("eventing.knative.dev", "Broker") => {
                convert(index, value).map(|o| snapshot.brokers.push(o))
            }
            ("eventing.knative.dev", "Trigger") => {
                convert(index, value).map(|o| snapshot.triggers.push(o))
            }
            ("eventing.knative.dev", "EventType") => {
                convert(index, value).map(|o| snapshot.event_types.push(o))
            }
            ("messaging.knative.dev", "Subscription") => {
                convert(index, value).map(|o| snapshot.subscriptions.push(o))
            }
            ("", "Namespace") => convert::<GenericObject>(index, value)
                .map(|namespace| snapshot.namespaces.push(namespace.metadata.name)),
            _ if subscribable.contains(&group_kind) => {
                convert_channel(index, value).map(|o| snapshot.channels.push(o))
            }
            _ if source.contains(&group_kind) || is_unlisted_source(&value) => {
                convert(index, value).map(|o| snapshot.sources.push(o))
            }
            _ if let Some(kind) = ComponentKind::of(group, kind) => {
                convert_component(index, value, kind).map(|o| snapshot.components.push(o))
            }
            ("", "ConfigMap") if is_features(&value) => convert::<FeaturesConfigMap>(index, value)
                .map(|config| snapshot.features = Some(config.data)),
            _ if NEVER_SUBSCRIBERS.contains(&(group, kind)) => Ok(()),
            _ => convert(index, value).map(|o| snapshot.subscribers.push(o)),
        };
        if let Err(error) = sorted {
            errors.push(error);
        }
    }
    snapshot
        .access
        .extend(errors.iter().map(|e| e.marker(&crds)));
    snapshot.crds = crds;
    (snapshot, errors)
}

/// A kind of `sources.knative.dev` with a `spec.sink` whose CRD is not at hand is a source all
/// the same: the group says what it is.
fn is_unlisted_source(value: &Value) -> bool {
    kind_of(value).0 == "sources.knative.dev" && value.pointer("/spec/sink").is_some()
}

/// A component whose relations cannot be read as Destinations is undecodable as a whole, as a
/// trigger with a subscriber of the wrong shape is.
fn convert_component(
    index: usize,
    value: Value,
    kind: ComponentKind,
) -> Result<Component, ConvertError> {
    let identity = Box::new(ObjectIdentity::of(&value));
    let component: Component = convert(index, value)?;
    let broken = super::components::relations(kind, &component)
        .into_iter()
        .find_map(|r| r.destination.err().map(|message| (r.field, message)));
    match broken {
        Some((path, message)) => Err(ConvertError {
            index,
            path,
            message,
            identity,
        }),
        None => Ok(component),
    }
}

/// A channel kind's spec is not typed, but its `spec.delivery` is Knative's: one that cannot
/// be read makes the channel undecodable, as it does a Trigger, never a channel without its
/// dead-letter sink.
fn convert_channel(index: usize, value: Value) -> Result<Channel, ConvertError> {
    let identity = Box::new(ObjectIdentity::of(&value));
    let channel: Channel = convert(index, value)?;
    match channel.spec.get("delivery").map(DeliverySpec::deserialize) {
        Some(Err(error)) => Err(ConvertError {
            index,
            path: "spec.delivery".into(),
            message: error.to_string(),
            identity,
        }),
        _ => Ok(channel),
    }
}

pub use super::resolve::plural_of;

/// Kinds with no namespace, among those a manifest may hold next to the mesh. A CRD with
/// `scope: Cluster` adds its own kind.
const CLUSTER_SCOPED_KINDS: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("networking.k8s.io", "IngressClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
];

/// Gives every namespaced object without `metadata.namespace` the namespace kubectl would:
/// the one given with `-n`, else `default`. Cluster-scoped kinds are left alone.
pub fn default_namespaces(objects: &mut [Value], namespace: &str) {
    let crds: Vec<Crd> = objects
        .iter()
        .filter(|o| kind_of(o) == ("apiextensions.k8s.io", "CustomResourceDefinition"))
        .filter_map(|o| serde_json::from_value(o.clone()).ok())
        .collect();
    let cluster_scoped = |group: &str, kind: &str| {
        CLUSTER_SCOPED_KINDS.contains(&(group, kind))
            || crds.iter().chain(builtin_crds()).any(|c| {
                c.spec.group == group && c.spec.names.kind == kind && c.spec.scope == "Cluster"
            })
    };
    for object in objects.iter_mut() {
        let (group, kind) = kind_of(object);
        if cluster_scoped(group, kind) {
            continue;
        }
        let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        // Absent, null or "": kubectl fills it in. Anything else (a number) is left for the
        // decoder to refuse, never quietly moved.
        let missing = match metadata.get("namespace") {
            None | Some(Value::Null) => true,
            Some(Value::String(namespace)) => namespace.is_empty(),
            Some(_) => false,
        };
        if missing {
            metadata.insert("namespace".into(), Value::from(namespace));
        }
    }
}

/// Removes null values from every mapping, as the API server does: `spec:` or `filters:` left
/// empty in YAML means "not set", not "the wrong type".
pub fn prune_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
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

/// Converts one object to its typed view, keeping the path of a field of the wrong type.
pub fn convert<T: DeserializeOwned>(index: usize, mut value: Value) -> Result<T, ConvertError> {
    let identity = Box::new(ObjectIdentity::of(&value));
    prune_nulls(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| ConvertError {
        index,
        path: error.path().to_string(),
        message: error.inner().to_string(),
        identity,
    })
}

/// Group, kind, namespace and name of a raw object, read leniently (an undecodable object
/// still has to be named).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ObjectIdentity {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectIdentity {
    pub fn of(value: &Value) -> Self {
        let (group, kind) = kind_of(value);
        let field = |name: &str| {
            value
                .get("metadata")
                .and_then(|m| m.get(name))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Self {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: field("namespace"),
            name: field("name").unwrap_or_default(),
        }
    }
}

impl ConvertError {
    /// "Trigger payments/order-created", for messages.
    pub fn object(&self) -> String {
        let identity = &self.identity;
        let kind = if identity.kind.is_empty() {
            "object"
        } else {
            &identity.kind
        };
        match (&identity.namespace, identity.name.as_str()) {
            (_, "") => kind.to_string(),
            (None, name) => format!("{kind} {name}"),
            (Some(namespace), name) => format!("{kind} {namespace}/{name}"),
        }
    }

    /// The marker that stands in the mesh where the object would have been.
    pub fn marker(&self, crds: &[Crd]) -> AccessMarker {
        let identity = &self.identity;
        AccessMarker {
            role: Role::Other,
            request: ApiRequest {
                name: Some(identity.name.clone()),
                ..ApiRequest::new(
                    crate::k8s::Verb::Get,
                    &identity.group,
                    &plural_of(&identity.group, &identity.kind, crds),
                    identity.namespace.as_deref(),
                )
            },
            access: Access::Undecodable {
                kind: identity.kind.clone(),
                field: self.path.clone(),
                message: self.message.clone(),
            },
        }
    }
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
        assert_eq!(subscribable, ["Channel", "InMemoryChannel", "KafkaChannel"]);
        let ping = crds
            .iter()
            .find(|c| c.spec.names.kind == "PingSource")
            .unwrap();
        assert!(ping.is_source());
        assert_eq!(
            ping.registry_event_types().unwrap()[0].event_type,
            "dev.knative.sources.ping"
        );
        assert_eq!(ping.served_version(), Some("v1"));
        for kind in ["IntegrationSource", "KafkaSource"] {
            let crd = crds.iter().find(|c| c.spec.names.kind == kind).unwrap();
            assert!(crd.is_source(), "{kind}");
        }
    }

    #[test]
    fn secrets_and_rbac_are_never_kept() {
        let objects = vec![
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}, "data": {"token": "c2VjcmV0"}}),
            serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "a"}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "a"}}),
        ];
        let snapshot = snapshot_from_objects(objects);
        assert_eq!(snapshot.subscribers.len(), 1);
        assert_eq!(snapshot.subscribers[0].name(), "svc");
    }

    #[test]
    fn a_wrong_type_names_the_field_and_the_object() {
        let objects = vec![serde_json::json!({
            "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
            "metadata": {"name": "t", "namespace": "a"}, "spec": {"broker": 5}
        })];
        let (snapshot, errors) = sort_objects(objects);
        let error = &errors[0];
        assert_eq!(error.path, "spec.broker");
        assert_eq!(error.object(), "Trigger a/t");
        assert!(
            error.message.contains("expected a string"),
            "{}",
            error.message
        );
        assert!(snapshot.triggers.is_empty());
        let marker = &snapshot.access[0];
        assert_eq!(
            marker.request.to_string(),
            "get triggers.eventing.knative.dev t in a"
        );
        assert!(
            matches!(&marker.access, Access::Undecodable { field, .. } if field == "spec.broker")
        );
    }

    #[test]
    fn one_bad_object_costs_only_itself() {
        let trigger = |name: &str, broker: Value| {
            serde_json::json!({"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
                "metadata": {"name": name, "namespace": "a"}, "spec": {"broker": broker}})
        };
        let snapshot = snapshot_from_objects(vec![
            trigger("good", "default".into()),
            trigger("bad", 5.into()),
            trigger("also-good", "default".into()),
        ]);
        assert_eq!(snapshot.triggers.len(), 2);
        assert!(!snapshot.completeness().is_whole());
        assert_eq!(snapshot.completeness().failed.len(), 1);
    }

    #[test]
    fn nulls_mean_not_set() {
        let snapshot = snapshot_from_objects(vec![serde_json::json!({
            "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
            "metadata": {"name": "t", "namespace": "a", "labels": null},
            "spec": {"broker": "default", "filters": null, "filter": null, "subscriber": {"uri": null}}
        })]);
        assert_eq!(snapshot.triggers.len(), 1);
        assert!(snapshot.completeness().is_whole());
    }

    #[test]
    fn namespaced_objects_without_a_namespace_get_the_default_one() {
        let mut objects = vec![
            serde_json::json!({"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "metadata": {"name": "b"}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}),
            serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}),
            serde_json::json!({"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger", "metadata": {"name": "t", "namespace": "other"}}),
        ];
        default_namespaces(&mut objects, "team");
        let namespace = |i: usize| objects[i].pointer("/metadata/namespace").cloned();
        assert_eq!(namespace(0), Some("team".into()));
        assert_eq!(namespace(1), None);
        assert_eq!(namespace(2), None);
        assert_eq!(namespace(3), Some("other".into()));
    }
}
