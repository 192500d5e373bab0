//! `build(Snapshot) -> Mesh`: sorts the objects, links them, evaluates trigger filters and
//! computes the eventmesh backend's derived fields. Pure and single-pass over each kind, with
//! hash lookups, so it stays linear in the size of the cluster.
//!
//! The passes run in the order they depend on each other: sources (which types each emits),
//! event types and their producers (`event_types`), then triggers and subscriptions, which
//! consume them (`consumers`). Each pass reads the sorted objects through `Inputs` and fills in
//! its part of `Nodes`; the objects move into their nodes at the end.

mod components;
mod consumers;
mod event_types;

use super::model::*;
use super::objects::*;
use super::resolve::Resolver;
pub use super::resolve::guess_resource;
use super::snapshot::{AccessMarker, Snapshot};
use std::collections::{BTreeSet, HashMap};

use super::resolve::RefKey;

/// The sorted objects, and the indexes every pass looks things up in.
struct Inputs<'a> {
    brokers: &'a [Broker],
    triggers: &'a [Trigger],
    event_types: &'a [EventType],
    channels: &'a [Channel],
    subscriptions: &'a [Subscription],
    sources: &'a [Source],
    /// Sorted by namespace, name and kind.
    components: &'a [super::components::Component],
    crd_by_kind: HashMap<(&'a str, &'a str), &'a Crd>,
    broker_index: HashMap<(&'a str, &'a str), usize>,
    channel_index: HashMap<RefKey<'a>, usize>,
    source_index: HashMap<RefKey<'a>, usize>,
    resolver: Resolver<'a>,
}

impl Inputs<'_> {
    /// The index of an event type by its key (event types are sorted by key).
    fn event_type_at(&self, key: &ObjectKey) -> Option<usize> {
        self.event_types
            .binary_search_by(|et| {
                (et.namespace(), et.name()).cmp(&(key.namespace.as_str(), key.name.as_str()))
            })
            .ok()
    }
}

/// The nodes as the passes fill them in, objects still to come.
struct Nodes {
    brokers: Vec<BrokerNode>,
    triggers: Vec<TriggerNode>,
    event_types: Vec<EventTypeNode>,
    channels: Vec<ChannelNode>,
    subscriptions: Vec<SubscriptionNode>,
    sources: Vec<SourceNode>,
    components: Vec<ComponentNode>,
}

pub fn build(snapshot: Snapshot) -> Mesh {
    let Snapshot {
        mut brokers,
        mut triggers,
        mut event_types,
        mut channels,
        mut subscriptions,
        mut sources,
        mut components,
        crds,
        subscribers,
        namespaces,
        access,
        mut notes,
        features,
    } = snapshot;
    brokers.sort_by(by_key);
    triggers.sort_by(by_key);
    event_types.sort_by(by_key);
    subscriptions.sort_by(by_key);
    components.sort_by(|a, b| {
        (a.namespace(), a.name(), &a.kind).cmp(&(b.namespace(), b.name(), &b.kind))
    });
    let crd_by_kind: HashMap<(&str, &str), &Crd> = crds
        .iter()
        .map(|crd| ((crd.spec.group.as_str(), crd.spec.names.kind.as_str()), crd))
        .collect();
    sort_by_crd(&mut channels, &mut sources, &crd_by_kind);

    let mut resolver = Resolver::new(&access, &crds);
    resolver.know(&subscribers);
    resolver.know(&brokers);
    resolver.know(&triggers);
    resolver.know(&channels);
    resolver.know(&subscriptions);
    resolver.know(&sources);
    resolver.know(&components);
    let inputs = Inputs {
        brokers: &brokers,
        triggers: &triggers,
        event_types: &event_types,
        channels: &channels,
        subscriptions: &subscriptions,
        sources: &sources,
        components: &components,
        crd_by_kind,
        broker_index: index_by(&brokers, |b| (b.namespace(), b.name())),
        channel_index: index_by(&channels, |c| {
            (c.group(), c.kind.as_str(), c.namespace(), c.name())
        }),
        source_index: index_by(&sources, |s| {
            (s.group(), s.kind.as_str(), s.namespace(), s.name())
        }),
        resolver,
    };
    let (source_nodes, types_by_source) = source_nodes(&inputs, &mut notes);
    let mut nodes = Nodes {
        brokers: brokers
            .iter()
            .map(|broker| broker_node(&inputs, broker))
            .collect(),
        triggers: Vec::with_capacity(triggers.len()),
        event_types: Vec::with_capacity(event_types.len()),
        channels: channels
            .iter()
            .map(|channel| channel_node(&inputs, channel))
            .collect(),
        subscriptions: Vec::with_capacity(subscriptions.len()),
        sources: source_nodes,
        components: components::component_nodes(&inputs),
    };
    let flows = event_types::event_type_nodes(&inputs, &types_by_source, &mut nodes);
    event_types::link_source_event_types(&inputs, &flows.by_type, &mut nodes.sources);
    consumers::trigger_nodes(&inputs, &flows.inflow, &mut nodes);
    consumers::subscription_nodes(&inputs, &mut nodes);
    components::link_owned(&inputs, &mut nodes);
    let namespaces = all_namespaces(namespaces, &inputs, &access);
    drop(inputs);

    let objects = Objects {
        brokers,
        triggers,
        event_types,
        channels,
        subscriptions,
        sources,
        components,
    };
    let mut mesh = assemble(nodes, objects);
    mesh.namespaces = namespaces;
    mesh.access = access;
    for marker in &mut mesh.access {
        marker.role = super::catalog::role_of_marker(marker, &crds);
    }
    mesh.notes = notes;
    mesh.features = features;
    mesh
}

/// Position of each object by its key.
fn index_by<'a, T, K: std::hash::Hash + Eq>(
    objects: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> HashMap<K, usize> {
    objects
        .iter()
        .enumerate()
        .map(|(i, object)| (key(object), i))
        .collect()
}

/// The backend lists channels and sources per CRD, in CRD name order.
fn sort_by_crd(
    channels: &mut [Channel],
    sources: &mut [Source],
    crd_by_kind: &HashMap<(&str, &str), &Crd>,
) {
    let crd_rank = |group: &str, kind: &str| {
        crd_by_kind
            .get(&(group, kind))
            .map(|crd| crd.name().to_string())
            .unwrap_or_else(|| format!("~{kind}.{group}"))
    };
    channels.sort_by_cached_key(|c| {
        let (namespace, name) = (c.namespace().to_string(), c.name().to_string());
        (crd_rank(c.group(), &c.kind), namespace, name)
    });
    sources.sort_by_cached_key(|s| {
        let (namespace, name) = (s.namespace().to_string(), s.name().to_string());
        (crd_rank(s.group(), &s.kind), namespace, name)
    });
}

/// Sources, and the event types each emits: those its CRD declares and those its status
/// reports. Event types need these to know their producers.
fn source_nodes(
    inputs: &Inputs,
    notes: &mut Vec<String>,
) -> (Vec<SourceNode>, Vec<BTreeSet<String>>) {
    let mut nodes = Vec::with_capacity(inputs.sources.len());
    let mut types_by_source = Vec::with_capacity(inputs.sources.len());
    for source in inputs.sources {
        let crd = inputs
            .crd_by_kind
            .get(&(source.group(), source.kind.as_str()));
        let provided_types = match crd.map(|crd| crd.registry_event_types()) {
            Some(Ok(entries)) => entries.into_iter().map(|e| e.event_type).collect(),
            Some(Err(message)) => {
                if !notes.contains(&message) {
                    notes.push(message);
                }
                Vec::new()
            }
            None => Vec::new(),
        };
        let mut emitted: BTreeSet<String> = provided_types.iter().cloned().collect();
        let reported = source.status.ce_attributes.iter();
        emitted.extend(reported.filter_map(|a| a.event_type.clone()));
        types_by_source.push(emitted);
        let group = crd.map_or_else(|| source.group().to_string(), |crd| crd.spec.group.clone());
        nodes.push(SourceNode {
            group,
            sink: inputs
                .resolver
                .link(source.spec.sink.as_ref(), source.namespace()),
            backend_sink: backend_sink(source),
            provided_types,
            event_types: Vec::new(),
            object: Source::default(),
        });
    }
    (nodes, types_by_source)
}

fn broker_node(inputs: &Inputs, broker: &Broker) -> BrokerNode {
    BrokerNode {
        object: Broker::default(),
        triggers: Vec::new(),
        event_types: Vec::new(),
        backstage_event_types: Vec::new(),
        internal_channels: Vec::new(),
        delivery: components::delivery(
            &inputs.resolver,
            broker.spec.delivery.as_ref(),
            broker.namespace(),
            components::status_dls_uri(&broker.status),
        ),
    }
}

fn channel_node(inputs: &Inputs, channel: &Channel) -> ChannelNode {
    ChannelNode {
        group: channel.group().to_string(),
        owner: components::owner_link(&channel.metadata, channel.namespace()),
        subscriptions: Vec::new(),
        event_types: Vec::new(),
        delivery: components::delivery(
            &inputs.resolver,
            components::channel_delivery_spec(channel).as_ref(),
            channel.namespace(),
            components::status_dls_uri(&channel.status),
        ),
        object: Channel::default(),
    }
}

/// Every namespace anything was seen in, so that empty or denied ones still show.
fn all_namespaces(listed: Vec<String>, inputs: &Inputs, access: &[AccessMarker]) -> Vec<String> {
    let mut all: BTreeSet<String> = listed.into_iter().collect();
    let seen = inputs
        .brokers
        .iter()
        .map(|o| o.namespace())
        .chain(inputs.triggers.iter().map(|o| o.namespace()))
        .chain(inputs.event_types.iter().map(|o| o.namespace()))
        .chain(inputs.channels.iter().map(|o| o.namespace()))
        .chain(inputs.subscriptions.iter().map(|o| o.namespace()))
        .chain(inputs.sources.iter().map(|o| o.namespace()))
        .chain(inputs.components.iter().map(|o| o.namespace()))
        .chain(access.iter().filter_map(|m| m.request.namespace()));
    all.extend(seen.filter(|n| !n.is_empty()).map(str::to_string));
    all.into_iter().collect()
}

/// The objects, moved into their nodes once every borrow of them has ended.
struct Objects {
    brokers: Vec<Broker>,
    triggers: Vec<Trigger>,
    event_types: Vec<EventType>,
    channels: Vec<Channel>,
    subscriptions: Vec<Subscription>,
    sources: Vec<Source>,
    components: Vec<super::components::Component>,
}

fn assemble(mut nodes: Nodes, objects: Objects) -> Mesh {
    fn fill<N, O>(nodes: &mut [N], objects: Vec<O>, slot: impl Fn(&mut N) -> &mut O) {
        for (node, object) in nodes.iter_mut().zip(objects) {
            *slot(node) = object;
        }
    }
    fill(&mut nodes.brokers, objects.brokers, |n| &mut n.object);
    fill(&mut nodes.triggers, objects.triggers, |n| &mut n.object);
    fill(&mut nodes.event_types, objects.event_types, |n| {
        &mut n.object
    });
    fill(&mut nodes.channels, objects.channels, |n| &mut n.object);
    fill(&mut nodes.subscriptions, objects.subscriptions, |n| {
        &mut n.object
    });
    fill(&mut nodes.sources, objects.sources, |n| &mut n.object);
    fill(&mut nodes.components, objects.components, |n| &mut n.object);
    Mesh {
        reduced: false,
        namespaces: Vec::new(),
        brokers: nodes.brokers,
        triggers: nodes.triggers,
        event_types: nodes.event_types,
        channels: nodes.channels,
        subscriptions: nodes.subscriptions,
        sources: nodes.sources,
        components: nodes.components,
        access: Vec::new(),
        notes: Vec::new(),
        features: None,
    }
}

fn by_key<S, T>(a: &Object<S, T>, b: &Object<S, T>) -> std::cmp::Ordering {
    (a.namespace(), a.name()).cmp(&(b.namespace(), b.name()))
}

/// The name of the owner of the given kind, from ownerReferences.
fn owner<'a>(meta: &'a ObjectMeta, kind: &str) -> Option<&'a str> {
    meta.owner_references
        .iter()
        .find(|o| o.kind == kind)
        .map(|o| o.name.as_str())
}

fn sink_broker(source: &Source, broker_index: &HashMap<(&str, &str), usize>) -> Option<usize> {
    let reference = source.spec.sink.as_ref()?.reference.as_ref()?;
    if reference.kind != "Broker" || reference.group() != "eventing.knative.dev" {
        return None;
    }
    broker_index
        .get(&(
            reference.namespace_or(source.namespace()),
            reference.name.as_str(),
        ))
        .copied()
}

/// The sink exactly as the backend reports it: a ref with apiVersion, kind and name, placed in
/// the source's own namespace; nothing for a URI or an incomplete ref.
fn backend_sink(source: &Source) -> Option<GroupKindRef> {
    let reference = source.spec.sink.as_ref()?.reference.as_ref()?;
    if reference.api_version.is_empty() || reference.kind.is_empty() || reference.name.is_empty() {
        return None;
    }
    Some(GroupKindRef {
        group: group_of(&reference.api_version).to_string(),
        kind: reference.kind.clone(),
        namespace: source.namespace().to_string(),
        name: reference.name.clone(),
    })
}

/// The Backstage id a trigger contributes to `consumedBy`, under the backend's rules: a
/// subscriber ref whose object exists and carries `backstage.io/kubernetes-id`.
fn backstage_consumer<'a>(trigger: &Trigger, subscriber: &'a SubscriberLink) -> Option<&'a str> {
    trigger.spec.subscriber.reference.as_ref()?;
    match &subscriber.resolution {
        Resolution::Found { backstage_id } => backstage_id.as_deref(),
        _ => None,
    }
}

/// The backend's only filter rule: a non-empty `filter.attributes.type` selects event types of
/// that type; anything else selects all. The newer `filters` are ignored.
fn backend_type_filter(trigger: &Trigger) -> Option<&str> {
    trigger
        .spec
        .filter
        .as_ref()?
        .attributes
        .as_ref()?
        .get("type")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
}
