//! Event types and their producers: a reference, a `broker` field, or a source in the same
//! namespace that declares or reports the type. Also which event types flow into each broker,
//! for the triggers to be evaluated against.

use super::{Inputs, Nodes, sink_broker};
use crate::mesh::model::*;
use crate::mesh::objects::*;
use std::collections::HashMap;

/// What the event types pass learned for the passes after it.
pub(super) struct Flows<'a> {
    /// Event types flowing into each broker, whichever way they get there.
    pub inflow: Vec<Vec<usize>>,
    /// Event types by their CloudEvent type.
    pub by_type: HashMap<&'a str, Vec<usize>>,
}

pub(super) fn event_type_nodes<'a>(
    inputs: &Inputs<'a>,
    types_by_source: &[std::collections::BTreeSet<String>],
    nodes: &mut Nodes,
) -> Flows<'a> {
    let mut flows = Flows {
        inflow: vec![Vec::new(); inputs.brokers.len()],
        by_type: HashMap::new(),
    };
    // Only a source's own namespace can produce into an event type.
    let mut sources_by_namespace: HashMap<&str, Vec<usize>> = HashMap::new();
    for (s, source) in inputs.sources.iter().enumerate() {
        let namespace = source.namespace();
        sources_by_namespace.entry(namespace).or_default().push(s);
    }
    for (index, et) in inputs.event_types.iter().enumerate() {
        let by_type = flows.by_type.entry(et.cloud_event_type()).or_default();
        by_type.push(index);
        let mut producers = Vec::new();
        if let Some(producer) = referenced_producer(inputs, index, nodes, &mut flows.inflow) {
            producers.push(producer);
        }
        if let Some(producer) =
            broker_field_producer(inputs, index, &producers, nodes, &mut flows.inflow)
        {
            producers.push(producer);
        }
        let candidates = sources_by_namespace
            .get(et.namespace())
            .into_iter()
            .flatten();
        for &s in candidates {
            if let Some(producer) =
                source_producer(inputs, index, s, types_by_source, &producers, nodes)
            {
                producers.push(producer);
                // A source whose sink is a broker feeds the type into that broker.
                if let Some(b) = sink_broker(&inputs.sources[s], &inputs.broker_index) {
                    flows.inflow[b].push(index);
                }
            }
        }
        nodes.event_types.push(EventTypeNode {
            object: EventType::default(),
            producers,
            consumers: Vec::new(),
            backstage_consumers: Vec::new(),
            exact_consumers: Some(Vec::new()),
        });
    }
    flows
}

/// The producer `spec.reference` names: a broker, a channel or a source.
fn referenced_producer(
    inputs: &Inputs,
    index: usize,
    nodes: &mut Nodes,
    inflow: &mut [Vec<usize>],
) -> Option<Producer> {
    let et = &inputs.event_types[index];
    let reference = et.spec.reference.as_ref()?;
    let (namespace, key) = (et.namespace(), et.key());
    let group = reference.group();
    let ref_namespace = reference.namespace_or(namespace);
    let name = reference.name.as_str();
    let target = (group, reference.kind.as_str(), ref_namespace, name);
    let mut found = false;
    if group == "eventing.knative.dev" && reference.kind == "Broker" {
        if let Some(&b) = inputs.broker_index.get(&(ref_namespace, name)) {
            found = true;
            inflow[b].push(index);
            let link = EventTypeLink {
                key: key.clone(),
                via: Via::Reference,
            };
            nodes.brokers[b].event_types.push(link);
        }
        // The backend pins the reference to the event type's own namespace, wherever it points.
        if let Some(&b) = inputs.broker_index.get(&(namespace, name)) {
            nodes.brokers[b].backstage_event_types.push(key);
        }
    } else if let Some(&c) = inputs.channel_index.get(&target) {
        found = true;
        nodes.channels[c].event_types.push(key);
    } else if inputs.source_index.contains_key(&target) {
        found = true;
    }
    Some(Producer {
        group: group.to_string(),
        kind: reference.kind.clone(),
        key: ObjectKey::new(ref_namespace, name),
        via: Via::Reference,
        found,
    })
}

/// The broker `spec.broker` names, unless the reference already named it.
fn broker_field_producer(
    inputs: &Inputs,
    index: usize,
    producers: &[Producer],
    nodes: &mut Nodes,
    inflow: &mut [Vec<usize>],
) -> Option<Producer> {
    let et = &inputs.event_types[index];
    let broker = et.spec.broker.as_deref().filter(|b| !b.is_empty())?;
    let namespace = et.namespace();
    let already = producers
        .iter()
        .any(|p| p.kind == "Broker" && p.key.name == broker && p.key.namespace == namespace);
    if already {
        return None;
    }
    let b = inputs.broker_index.get(&(namespace, broker)).copied();
    if let Some(b) = b {
        inflow[b].push(index);
        let link = EventTypeLink {
            key: et.key(),
            via: Via::BrokerField,
        };
        nodes.brokers[b].event_types.push(link);
    }
    Some(Producer {
        group: "eventing.knative.dev".into(),
        kind: "Broker".into(),
        key: ObjectKey::new(namespace, broker),
        via: Via::BrokerField,
        found: b.is_some(),
    })
}

/// A source in the event type's namespace that declares or reports its type. (The backend's
/// `providedEventTypes` also crosses namespaces; that is kept separately.)
fn source_producer(
    inputs: &Inputs,
    index: usize,
    s: usize,
    types_by_source: &[std::collections::BTreeSet<String>],
    producers: &[Producer],
    nodes: &Nodes,
) -> Option<Producer> {
    let et = &inputs.event_types[index];
    let source = &inputs.sources[s];
    let listed = producers
        .iter()
        .any(|p| p.kind == source.kind && p.key.name == source.name());
    if !types_by_source[s].contains(et.cloud_event_type()) || listed {
        return None;
    }
    let node = &nodes.sources[s];
    let declared = node
        .provided_types
        .iter()
        .any(|t| t == et.cloud_event_type());
    let via = if declared {
        Via::SourceRegistry
    } else {
        Via::SourceStatus
    };
    Some(Producer {
        group: node.group.clone(),
        kind: source.kind.clone(),
        key: source.key(),
        via,
        found: true,
    })
}

/// The backend's source → event types relation: every event type, in any namespace, whose
/// type the source's CRD declares.
pub(super) fn link_source_event_types(
    inputs: &Inputs,
    by_type: &HashMap<&str, Vec<usize>>,
    sources: &mut [SourceNode],
) {
    for node in sources {
        let mut matched: Vec<usize> = node
            .provided_types
            .iter()
            .filter_map(|t| by_type.get(t.as_str()))
            .flatten()
            .copied()
            .collect();
        matched.sort_unstable();
        matched.dedup();
        node.event_types = matched
            .iter()
            .map(|&i| inputs.event_types[i].key())
            .collect();
    }
}
