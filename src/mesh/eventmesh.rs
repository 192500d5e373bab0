//! The Knative eventmesh backend's `GET /v1/getEventMesh` body (DESIGN.md §3), projected from a
//! Mesh, and parsed back into a (reduced) Mesh for backend mode.
//!
//! The projection reproduces the backend's rules exactly, including where our own trees know
//! better (it ignores `filters`, matches sources to event types by type across namespaces, and
//! pins references to the event type's namespace). The rules themselves live in `build`, which
//! stores their results on the nodes; this module only maps field names.

use super::model::*;
use super::objects::*;
use super::snapshot::{Access, AccessMarker, ApiRequest, Incomplete};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMesh {
    pub event_types: Vec<EmEventType>,
    pub brokers: Vec<EmBroker>,
    pub subscribables: Vec<EmSubscribable>,
    #[serde(default)]
    pub sources: Vec<EmSource>,
    /// Only in a partial answer (`--partial`): what the token may not read. The Backstage
    /// provider ignores extra top-level fields; kn-mesh reads them back as markers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied: Option<Vec<String>>,
    /// Only in a partial answer: what failed or did not decode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<Vec<String>>,
}

/// The fields every object in the body starts with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmMeta {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: Option<StringMap>,
    pub annotations: Option<StringMap>,
}

impl EmMeta {
    /// As the backend fills them: annotations filtered, labels as they are.
    fn of(meta: &ObjectMeta) -> Self {
        Self {
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
            uid: meta.uid.clone(),
            labels: meta.labels.clone(),
            annotations: filter_annotations(&meta.annotations),
        }
    }

    fn to_object_meta(&self) -> ObjectMeta {
        meta(
            &self.namespace,
            &self.name,
            &self.uid,
            &self.labels,
            &self.annotations,
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmBroker {
    #[serde(flatten)]
    pub meta: EmMeta,
    pub provided_event_types: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmEventType {
    pub namespace: String,
    pub name: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_data: Option<String>,
    #[serde(default, rename = "schemaURL", skip_serializing_if = "Option::is_none")]
    pub schema_url: Option<String>,
    pub labels: Option<StringMap>,
    pub annotations: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<EmReference>,
    pub consumed_by: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmReference {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmSubscribable {
    #[serde(flatten)]
    pub meta: EmMeta,
    pub group: String,
    pub kind: String,
    pub provided_event_types: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmSource {
    #[serde(flatten)]
    pub meta: EmMeta,
    pub group: String,
    pub kind: String,
    pub provided_event_type_types: Vec<String>,
    pub provided_event_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<EmReference>,
}

/// The backend drops `last-applied-configuration` and turns an empty result into null.
fn filter_annotations(annotations: &Option<StringMap>) -> Option<StringMap> {
    let filtered: StringMap = annotations
        .as_ref()?
        .iter()
        .filter(|(key, _)| key.as_str() != LAST_APPLIED_ANNOTATION)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!filtered.is_empty()).then_some(filtered)
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

/// The projection when the mesh is whole. A mesh that is not whole fails (the Go backend
/// answers 500 on any forbidden list), unless `partial` is asked for; then the answer carries
/// `denied` and `failed` lists beside the projection.
pub fn answer(mesh: &Mesh, partial: bool, consumers: Consumers) -> Result<EventMesh, Incomplete> {
    let mut completeness = mesh.completeness();
    // A namespace named with -n that does not exist makes an empty answer that looks whole:
    // Backstage would delete what it knew there. Never whole, even with `partial`.
    let missing = mesh.missing_namespaces();
    if !missing.is_empty() {
        completeness.failed.extend(
            missing
                .iter()
                .map(|n| format!("namespace {n:?} does not exist (named with -n)")),
        );
        return Err(Incomplete(completeness));
    }
    if !partial && !completeness.is_whole() {
        return Err(Incomplete(completeness));
    }
    let mut body = project_with(mesh, consumers);
    if partial {
        body.denied = Some(completeness.denied);
        body.failed = Some(completeness.failed);
    }
    Ok(body)
}

/// Which rule fills `consumedBy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Consumers {
    /// The Go backend's, byte for byte: `filter.attributes.type` alone, `filters` ignored.
    #[default]
    Backend,
    /// Knative's filter semantics: a trigger whose filter rejects the event type is not its
    /// consumer.
    Exact,
}

/// The Go backend's answer for a mesh, byte for byte.
pub fn project(mesh: &Mesh) -> EventMesh {
    project_with(mesh, Consumers::Backend)
}

pub fn project_with(mesh: &Mesh, consumers: Consumers) -> EventMesh {
    let event_types = mesh
        .event_types
        .iter()
        .map(|node| {
            let et = &node.object;
            EmEventType {
                namespace: et.namespace().to_string(),
                name: et.name().to_string(),
                event_type: et.cloud_event_type().to_string(),
                uid: et.metadata.uid.clone(),
                description: non_empty(&et.spec.description),
                schema_data: non_empty(&et.spec.schema_data),
                schema_url: non_empty(&et.spec.schema),
                labels: et.metadata.labels.clone(),
                annotations: filter_annotations(&et.metadata.annotations),
                reference: et.spec.reference.as_ref().map(|r| EmReference {
                    group: group_of(&r.api_version).to_string(),
                    kind: r.kind.clone(),
                    namespace: et.namespace().to_string(),
                    name: r.name.clone(),
                }),
                consumed_by: match consumers {
                    Consumers::Backend => node.backstage_consumers.clone(),
                    Consumers::Exact => node.exact_consumers.clone().unwrap_or_default(),
                },
            }
        })
        .collect();
    let brokers = mesh
        .brokers
        .iter()
        .map(|node| EmBroker {
            meta: EmMeta::of(&node.object.metadata),
            provided_event_types: node
                .backstage_event_types
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
        .collect();
    let subscribables = mesh
        .channels
        .iter()
        .map(|node| EmSubscribable {
            meta: EmMeta::of(&node.object.metadata),
            group: node.group.clone(),
            kind: node.object.kind.clone(),
            provided_event_types: node.event_types.iter().map(ToString::to_string).collect(),
        })
        .collect();
    let sources = mesh
        .sources
        .iter()
        .map(|node| EmSource {
            meta: EmMeta::of(&node.object.metadata),
            group: node.group.clone(),
            kind: node.object.kind.clone(),
            provided_event_type_types: node.provided_types.clone(),
            provided_event_types: node.event_types.iter().map(ToString::to_string).collect(),
            sink: node.backend_sink.as_ref().map(|s| EmReference {
                group: s.group.clone(),
                kind: s.kind.clone(),
                namespace: s.namespace.clone(),
                name: s.name.clone(),
            }),
        })
        .collect();
    EventMesh {
        event_types,
        brokers,
        subscribables,
        sources,
        denied: None,
        failed: None,
    }
}

fn meta(
    namespace: &str,
    name: &str,
    uid: &str,
    labels: &Option<StringMap>,
    annotations: &Option<StringMap>,
) -> ObjectMeta {
    ObjectMeta {
        name: name.to_string(),
        namespace: namespace.to_string(),
        uid: uid.to_string(),
        labels: labels.clone(),
        annotations: annotations.clone(),
        ..ObjectMeta::default()
    }
}

fn parse_key(text: &str) -> ObjectKey {
    ObjectKey::try_from(text.to_string()).unwrap_or_else(|_| ObjectKey::new("", text))
}

/// Turns the backend's body into a reduced Mesh: objects carry only what the backend sends,
/// there are no triggers or subscriptions, and consumers are Backstage ids.
pub fn into_mesh(event_mesh: EventMesh) -> Mesh {
    let mut brokers: Vec<BrokerNode> = event_mesh.brokers.iter().map(broker_node).collect();
    // The backend already sorts event types; brokers come in list order. Keep our invariant.
    brokers.sort_by(|a, b| {
        (a.object.namespace(), a.object.name()).cmp(&(b.object.namespace(), b.object.name()))
    });
    let mut mesh = Mesh {
        reduced: true,
        access: partial_answer_markers(&event_mesh),
        event_types: event_mesh.event_types.iter().map(event_type_node).collect(),
        brokers,
        channels: event_mesh.subscribables.iter().map(channel_node).collect(),
        sources: event_mesh.sources.iter().map(source_node).collect(),
        ..Mesh::default()
    };
    mesh.namespaces = namespaces_of(&mesh);
    mesh
}

/// A partial answer says what is missing: it stays missing here, marked, never whole.
fn partial_answer_markers(event_mesh: &EventMesh) -> Vec<AccessMarker> {
    let denied = event_mesh.denied.iter().flatten().map(|denied| {
        backend_marker(
            ApiRequest::from_description(denied),
            Access::Forbidden {
                message: "denied to the backend's caller".into(),
            },
        )
    });
    let failed = event_mesh.failed.iter().flatten().map(|failed| {
        let (request, message) = match failed.split_once(": ") {
            Some((described, message)) => (ApiRequest::from_description(described), message),
            None => (ApiRequest::from_description(failed), failed.as_str()),
        };
        let access = Access::Failed {
            message: message.to_string(),
        };
        backend_marker(request, access)
    });
    denied.chain(failed).collect()
}

/// The backend sends no CRDs, so a marker's role comes from the request alone.
fn backend_marker(request: ApiRequest, access: Access) -> AccessMarker {
    let mut marker = AccessMarker::new(request, access);
    marker.role = crate::mesh::catalog::role_of_marker(&marker, &[]);
    marker
}

fn event_type_node(et: &EmEventType) -> EventTypeNode {
    let reference = et.reference.as_ref().map(|r| KReference {
        // The backend keeps only the group; "group/v1" keeps `group_of` exact.
        api_version: format!("{}/v1", r.group),
        kind: r.kind.clone(),
        name: r.name.clone(),
        namespace: r.namespace.clone(),
        ..KReference::default()
    });
    let producers = reference
        .iter()
        .map(|r| Producer {
            group: group_of(&r.api_version).to_string(),
            kind: r.kind.clone(),
            key: ObjectKey::new(&r.namespace, &r.name),
            via: Via::Reference,
            found: true,
        })
        .collect();
    EventTypeNode {
        object: EventType {
            api_version: "eventing.knative.dev/v1beta2".into(),
            kind: "EventType".into(),
            metadata: meta(
                &et.namespace,
                &et.name,
                &et.uid,
                &et.labels,
                &et.annotations,
            ),
            spec: EventTypeSpec {
                event_type: Some(et.event_type.clone()),
                schema: et.schema_url.clone(),
                schema_data: et.schema_data.clone(),
                description: et.description.clone(),
                reference,
                ..EventTypeSpec::default()
            },
            ..EventType::default()
        },
        producers,
        consumers: Vec::new(),
        backstage_consumers: et.consumed_by.clone(),
        // A backend sends its own consumedBy only: which filter made it is not known.
        exact_consumers: None,
    }
}

fn broker_node(broker: &EmBroker) -> BrokerNode {
    BrokerNode {
        object: Broker {
            api_version: "eventing.knative.dev/v1".into(),
            kind: "Broker".into(),
            metadata: broker.meta.to_object_meta(),
            ..Broker::default()
        },
        triggers: Vec::new(),
        event_types: broker
            .provided_event_types
            .iter()
            .map(|key| EventTypeLink {
                key: parse_key(key),
                via: Via::Reference,
            })
            .collect(),
        backstage_event_types: broker
            .provided_event_types
            .iter()
            .map(|key| parse_key(key))
            .collect(),
        internal_channels: Vec::new(),
        delivery: None,
    }
}

fn channel_node(channel: &EmSubscribable) -> ChannelNode {
    ChannelNode {
        object: Channel {
            api_version: format!("{}/v1", channel.group),
            kind: channel.kind.clone(),
            metadata: channel.meta.to_object_meta(),
            ..Channel::default()
        },
        group: channel.group.clone(),
        owner: None,
        subscriptions: Vec::new(),
        event_types: channel
            .provided_event_types
            .iter()
            .map(|k| parse_key(k))
            .collect(),
        delivery: None,
    }
}

fn source_node(source: &EmSource) -> SourceNode {
    let sink_ref = source.sink.as_ref().map(|s| KReference {
        api_version: format!("{}/v1", s.group),
        kind: s.kind.clone(),
        name: s.name.clone(),
        namespace: s.namespace.clone(),
        ..KReference::default()
    });
    let resolution = if sink_ref.is_some() {
        Resolution::Found { backstage_id: None }
    } else {
        Resolution::Missing
    };
    SourceNode {
        object: Source {
            api_version: format!("{}/v1", source.group),
            kind: source.kind.clone(),
            metadata: source.meta.to_object_meta(),
            spec: SourceSpec {
                sink: sink_ref.clone().map(|r| Destination {
                    reference: Some(r),
                    ..Destination::default()
                }),
                ..SourceSpec::default()
            },
            ..Source::default()
        },
        group: source.group.clone(),
        sink: SubscriberLink {
            reference: sink_ref,
            uri: None,
            resolution,
        },
        provided_types: source.provided_event_type_types.clone(),
        event_types: source
            .provided_event_types
            .iter()
            .map(|k| parse_key(k))
            .collect(),
        backend_sink: source.sink.as_ref().map(|s| GroupKindRef {
            group: s.group.clone(),
            kind: s.kind.clone(),
            namespace: s.namespace.clone(),
            name: s.name.clone(),
        }),
    }
}

/// Every namespace an object is in, sorted, once each.
fn namespaces_of(mesh: &Mesh) -> Vec<String> {
    let mut namespaces: Vec<String> = mesh
        .brokers
        .iter()
        .map(|b| b.object.namespace().to_string())
        .chain(
            mesh.event_types
                .iter()
                .map(|e| e.object.namespace().to_string()),
        )
        .chain(
            mesh.channels
                .iter()
                .map(|c| c.object.namespace().to_string()),
        )
        .chain(
            mesh.sources
                .iter()
                .map(|s| s.object.namespace().to_string()),
        )
        .collect();
    namespaces.sort();
    namespaces.dedup();
    namespaces
}
