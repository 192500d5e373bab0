//! The built mesh: the objects plus the relations between them. Relations are stored as
//! "namespace/name" keys in both directions, so the JSON output reads well with jq and parses
//! back into exactly the same model.

use super::components::{Component, ComponentKind, RelationRole};
use super::filter::FilterOutcome;
use super::objects::{
    Broker, Channel, EventType, KReference, ObjectKey, Source, Subscription, Trigger,
};
use super::snapshot::AccessMarker;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mesh {
    /// True when the mesh came from the eventmesh backend: no triggers or subscriptions, and
    /// consumers known only by their Backstage id.
    #[serde(default)]
    pub reduced: bool,
    pub namespaces: Vec<String>,
    pub brokers: Vec<BrokerNode>,
    pub triggers: Vec<TriggerNode>,
    pub event_types: Vec<EventTypeNode>,
    pub channels: Vec<ChannelNode>,
    pub subscriptions: Vec<SubscriptionNode>,
    pub sources: Vec<SourceNode>,
    /// Flows, sinks, transforms, policies and other Knative objects, by namespace, name, kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<ComponentNode>,
    pub access: Vec<AccessMarker>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// ConfigMap `knative-eventing/config-features`, when it was read (`mesh::authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<super::objects::StringMap>,
}

/// How an event type is tied to its producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Via {
    /// `spec.reference` names the producer.
    Reference,
    /// The deprecated v1beta2 `spec.broker` field names the broker.
    BrokerField,
    /// The source's CRD declares the type in `registry.knative.dev/eventTypes`.
    SourceRegistry,
    /// The source reports the type in `status.ceAttributes`.
    SourceStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerNode {
    pub object: Broker,
    pub triggers: Vec<ObjectKey>,
    /// Event types this broker produces, in event type order.
    pub event_types: Vec<EventTypeLink>,
    /// `providedEventTypes` exactly as the eventmesh backend computes it (DESIGN.md §3): it
    /// links an event type whose reference names a broker in another namespace to the broker
    /// of that name in the event type's own namespace.
    #[serde(default)]
    pub backstage_event_types: Vec<ObjectKey>,
    /// Channels the broker owns (`<broker>-kne-trigger`), as "namespace/name".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub internal_channels: Vec<ObjectKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeLink {
    pub key: ObjectKey,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerNode {
    pub object: Trigger,
    /// Whether `spec.broker` names a broker we know of in the trigger's namespace.
    pub broker_found: bool,
    pub subscriber: SubscriberLink,
    /// Event types reaching the trigger's broker, with the filter's verdict on each.
    pub event_types: Vec<EventTypeMatch>,
    /// The per-trigger Subscriptions a channel-based broker creates, as "namespace/name".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub internal_subscriptions: Vec<ObjectKey>,
    /// Its own delivery, or what it inherits from its broker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// `spec.delivery`: where undeliverable events go, and how often delivery is retried first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_sink: Option<SubscriberLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// The dead-letter sink's address as the controller resolved it (status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_sink_uri: Option<String>,
    /// The object whose dead-letter sink this is, when not the object's own (a trigger's
    /// broker, a subscription's channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_sink_from: Option<OwnerLink>,
}

/// A flow, sink, transform, policy or other Knative object, with where its fields point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentNode {
    pub object: Component,
    pub component: ComponentKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// What the detail pane shows besides relations: "image", "topic", ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
    /// Channels and subscriptions the flow's controller made (ownerReference to it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned_channels: Vec<ObjectKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned_subscriptions: Vec<ObjectKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub name: String,
    pub value: String,
}

/// A field that points somewhere: a step, a branch's subscriber, a reply, a policy's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    pub role: RelationRole,
    /// "step 2", "branch 1 filter".
    pub label: String,
    /// `spec.steps[1]`.
    pub field: String,
    pub link: SubscriberLink,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeMatch {
    pub key: ObjectKey,
    pub outcome: FilterOutcome,
}

/// A subscriber, reply or sink: where it points and what we found there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriberLink {
    /// The ref with its namespace defaulted to the referrer's, as the Knative webhook does.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<KReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub resolution: Resolution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Resolution {
    /// The referenced object exists; its Backstage id, when it carries one.
    #[serde(rename_all = "camelCase")]
    Found {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backstage_id: Option<String>,
    },
    NotFound,
    /// The token may not read the referenced object: it exists or not, we cannot tell.
    Forbidden {
        message: String,
    },
    Failed {
        message: String,
    },
    /// No ref: only a URI, nothing to look up.
    UriOnly,
    /// Neither a ref nor a URI.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeNode {
    pub object: EventType,
    pub producers: Vec<Producer>,
    pub consumers: Vec<Consumer>,
    /// `consumedBy` exactly as the eventmesh backend computes it (DESIGN.md §3).
    pub backstage_consumers: Vec<String>,
    /// `consumedBy` with Knative's filter semantics (`--consumers exact`): the backend's
    /// candidates whose filter does not reject the event type. A filter that cannot be decided
    /// over the type keeps its trigger: an event of the type may pass it.
    /// None for a mesh read from a backend, which cannot know it: "unknown", never "none".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_consumers: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Producer {
    pub group: String,
    pub kind: String,
    pub key: ObjectKey,
    pub via: Via,
    /// False when the event type points at an object we did not find.
    pub found: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consumer {
    pub kind: ConsumerKind,
    pub key: ObjectKey,
    pub outcome: FilterOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsumerKind {
    Trigger,
    Subscription,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelNode {
    pub object: Channel,
    /// The API group of the channel kind (from its CRD).
    pub group: String,
    /// The broker that owns this channel, if it is a broker's internal channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerLink>,
    pub subscriptions: Vec<ObjectKey>,
    /// Event types whose reference names this channel (the backend's `providedEventTypes`).
    pub event_types: Vec<ObjectKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerLink {
    pub kind: String,
    pub key: ObjectKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionNode {
    pub object: Subscription,
    pub channel_found: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerLink>,
    pub subscriber: SubscriberLink,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<SubscriberLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceNode {
    pub object: Source,
    /// The API group of the source kind (from its CRD).
    pub group: String,
    pub sink: SubscriberLink,
    /// Types the source kind declares in its CRD (`providedEventTypeTypes`).
    pub provided_types: Vec<String>,
    /// Event types, in any namespace, whose type the source declares (`providedEventTypes`).
    pub event_types: Vec<ObjectKey>,
    /// The sink as the eventmesh backend reports it: only a complete ref, in the source's own
    /// namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_sink: Option<GroupKindRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupKindRef {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Mesh {
    /// Every object the mesh holds, of every kind, with its kind.
    pub fn objects(&self) -> impl Iterator<Item = (&str, &super::objects::ObjectMeta)> {
        fn of<'a, T>(
            nodes: &'a [T],
            object: impl Fn(&'a T) -> (&'a str, &'a super::objects::ObjectMeta) + 'a,
        ) -> impl Iterator<Item = (&'a str, &'a super::objects::ObjectMeta)> + 'a {
            nodes.iter().map(object)
        }
        of(&self.brokers, |n| (&n.object.kind, &n.object.metadata))
            .chain(of(&self.triggers, |n| (&n.object.kind, &n.object.metadata)))
            .chain(of(&self.event_types, |n| {
                (&n.object.kind, &n.object.metadata)
            }))
            .chain(of(&self.channels, |n| (&n.object.kind, &n.object.metadata)))
            .chain(of(&self.subscriptions, |n| {
                (&n.object.kind, &n.object.metadata)
            }))
            .chain(of(&self.sources, |n| (&n.object.kind, &n.object.metadata)))
            .chain(of(&self.components, |n| {
                (&n.object.kind, &n.object.metadata)
            }))
    }

    pub fn broker(&self, key: &ObjectKey) -> Option<&BrokerNode> {
        find(&self.brokers, key, |n| &n.object.metadata)
    }

    pub fn trigger(&self, key: &ObjectKey) -> Option<&TriggerNode> {
        find(&self.triggers, key, |n| &n.object.metadata)
    }

    pub fn event_type(&self, key: &ObjectKey) -> Option<&EventTypeNode> {
        find(&self.event_types, key, |n| &n.object.metadata)
    }

    pub fn subscription(&self, key: &ObjectKey) -> Option<&SubscriptionNode> {
        find(&self.subscriptions, key, |n| &n.object.metadata)
    }

    /// Channels are ordered as the backend lists them (by CRD), not by key, so this one scans;
    /// it is asked once per internal channel or selected node, never per consumer.
    pub fn channel(&self, key: &ObjectKey) -> Option<&ChannelNode> {
        self.channels
            .iter()
            .find(|n| n.object.namespace() == key.namespace && n.object.name() == key.name)
    }

    /// The component a reference names, if the mesh holds it.
    pub fn component_at(&self, reference: &KReference) -> Option<usize> {
        let (namespace, name) = (&reference.namespace, &reference.name);
        let mut at = named(&self.components, namespace, name, |n| {
            (n.object.namespace(), n.object.name())
        });
        at.find(|&i| {
            let object = &self.components[i].object;
            object.kind == reference.kind && object.group() == reference.group()
        })
    }

    /// Whether the mesh is whole, and what is missing if not.
    pub fn completeness(&self) -> super::snapshot::Completeness {
        super::snapshot::Completeness::of(&self.access)
    }

    /// No object at all: nothing was read.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
            && self.brokers.is_empty()
            && self.triggers.is_empty()
            && self.event_types.is_empty()
            && self.channels.is_empty()
            && self.subscriptions.is_empty()
            && self.sources.is_empty()
            && self.components.is_empty()
    }

    /// Namespaces `-n` named that do not exist (a get of the Namespace answered not found).
    pub fn missing_namespaces(&self) -> Vec<&str> {
        use super::snapshot::Access;
        self.access
            .iter()
            .filter(|m| matches!(m.access, Access::NotFound))
            .filter(|m| {
                let resource = &m.request.resource;
                resource.group.is_empty()
                    && resource.plural == "namespaces"
                    && m.request.namespace().is_none()
            })
            .filter_map(|m| m.request.name.as_deref())
            .collect()
    }

    /// How many places the token was denied.
    pub fn denied_count(&self) -> usize {
        self.access.iter().filter(|m| m.access.is_denied()).count()
    }

    /// Where something was denied: how many namespaces, and whether the cluster scope too.
    pub fn denied_scopes(&self) -> (usize, bool) {
        let denied = self.access.iter().filter(|m| m.access.is_denied());
        let mut namespaces = std::collections::BTreeSet::new();
        let mut cluster = false;
        for marker in denied {
            match marker.request.namespace() {
                Some(namespace) => {
                    namespaces.insert(namespace);
                }
                None => cluster = true,
            }
        }
        (namespaces.len(), cluster)
    }
}

/// The positions of the items named `namespace/name` in a slice sorted by namespace, then
/// name (components: several kinds may share a name).
pub(crate) fn named<T>(
    items: &[T],
    namespace: &str,
    name: &str,
    key: impl Fn(&T) -> (&str, &str),
) -> std::ops::Range<usize> {
    let start = items.partition_point(|item| key(item) < (namespace, name));
    let count = items[start..]
        .iter()
        .take_while(|item| key(item) == (namespace, name))
        .count();
    start..start + count
}

/// Brokers, triggers, event types and subscriptions are kept sorted by namespace, then name, so a key finds
/// its node by binary search.
fn find<'a, T>(
    nodes: &'a [T],
    key: &ObjectKey,
    meta: impl Fn(&T) -> &super::objects::ObjectMeta,
) -> Option<&'a T> {
    nodes
        .binary_search_by(|node| {
            let m = meta(node);
            (m.namespace.as_str(), m.name.as_str())
                .cmp(&(key.namespace.as_str(), key.name.as_str()))
        })
        .ok()
        .map(|i| &nodes[i])
}
