//! Flows, sinks, transforms and policies (`mesh::components`), the channels and subscriptions a
//! flow's controller made for it, and delivery (`spec.delivery`) on every kind that has it.

use super::{Inputs, Nodes};
use crate::mesh::components::{self, ComponentKind};
use crate::mesh::model::named;
use crate::mesh::model::*;
use crate::mesh::objects::*;
use crate::mesh::resolve::Resolver;
use serde::Deserialize;
use serde_json::Value;

/// Kinds whose controller makes channels and subscriptions owned by the object.
pub(super) const OWNER_KINDS: &[&str] = &["Broker", "Sequence", "Parallel"];

pub(super) fn component_nodes(inputs: &Inputs) -> Vec<ComponentNode> {
    inputs
        .components
        .iter()
        .map(|component| {
            let kind = ComponentKind::of(component.group(), &component.kind)
                .unwrap_or(ComponentKind::OtherKnative);
            let namespace = component.namespace();
            let relations = components::relations(kind, component)
                .into_iter()
                .map(|spec| Relation {
                    link: match &spec.destination {
                        Ok(destination) => inputs.resolver.link(Some(destination), namespace),
                        // The catalog refuses such objects; kept here as a visible failure.
                        Err(message) => SubscriberLink {
                            reference: None,
                            uri: None,
                            resolution: Resolution::Failed {
                                message: format!("cannot decode {}: {message}", spec.field),
                            },
                        },
                    },
                    delivery: delivery(&inputs.resolver, spec.delivery.as_ref(), namespace, None),
                    role: spec.role,
                    label: spec.label,
                    field: spec.field,
                })
                .collect();
            ComponentNode {
                component: kind,
                relations,
                facts: components::facts(kind, component)
                    .into_iter()
                    .map(|(name, value)| Fact { name, value })
                    .collect(),
                owned_channels: Vec::new(),
                owned_subscriptions: Vec::new(),
                object: Default::default(),
            }
        })
        .collect()
}

/// The owner among the kinds whose controllers make channels and subscriptions.
pub(super) fn owner_link(meta: &ObjectMeta, namespace: &str) -> Option<OwnerLink> {
    meta.owner_references
        .iter()
        .find(|o| OWNER_KINDS.contains(&o.kind.as_str()))
        .map(|o| OwnerLink {
            kind: o.kind.clone(),
            key: ObjectKey::new(namespace, &o.name),
        })
}

/// The flow an owner link names, by kind and key.
fn owning_flow(inputs: &Inputs, owner: &OwnerLink) -> Option<usize> {
    let key = &owner.key;
    let mut at = named(inputs.components, &key.namespace, &key.name, |c| {
        (c.namespace(), c.name())
    });
    at.find(|&i| {
        let component = &inputs.components[i];
        component.kind == owner.kind && component.group() == "flows.knative.dev"
    })
}

/// The channels and subscriptions a broker's or a flow's controller made (ownerReference to
/// it) are grouped under their owner.
pub(super) fn link_owned(inputs: &Inputs, nodes: &mut Nodes) {
    for (c, channel) in inputs.channels.iter().enumerate() {
        let Some(owner) = &nodes.channels[c].owner else {
            continue;
        };
        let broker = (owner.kind == "Broker")
            .then(|| {
                let key = (owner.key.namespace.as_str(), owner.key.name.as_str());
                inputs.broker_index.get(&key).copied()
            })
            .flatten();
        if let Some(b) = broker {
            nodes.brokers[b].internal_channels.push(channel.key());
        } else if let Some(i) = owning_flow(inputs, owner) {
            nodes.components[i].owned_channels.push(channel.key());
        } else {
            // An owner not in the mesh (denied, outside -n or -l, being deleted): the channel
            // stands on its own rather than vanish with it.
            nodes.channels[c].owner = None;
        }
    }
    for (s, subscription) in inputs.subscriptions.iter().enumerate() {
        let Some(owner) = &nodes.subscriptions[s].owner else {
            continue;
        };
        match owning_flow(inputs, owner) {
            Some(i) => nodes.components[i]
                .owned_subscriptions
                .push(subscription.key()),
            // A trigger's subscription hangs under its trigger; any other owner that is not
            // here leaves it on its own.
            None if owner.kind != "Trigger" => nodes.subscriptions[s].owner = None,
            None => {}
        }
    }
}

/// A delivery spec with its dead-letter sink resolved, and the address status gives for it.
pub(super) fn delivery(
    resolver: &Resolver,
    spec: Option<&DeliverySpec>,
    namespace: &str,
    resolved_uri: Option<&str>,
) -> Option<Delivery> {
    if spec.is_none() && resolved_uri.is_none() {
        return None;
    }
    let spec = spec.cloned().unwrap_or_default();
    Some(Delivery {
        dead_letter_sink: spec
            .dead_letter_sink
            .as_ref()
            .map(|dls| resolver.link(Some(dls), namespace)),
        retry: spec.retry,
        backoff_policy: spec.backoff_policy,
        backoff_delay: spec.backoff_delay,
        timeout: spec.timeout,
        dead_letter_sink_uri: resolved_uri.map(str::to_string),
        dead_letter_sink_from: None,
    })
}

/// `status.deadLetterSinkUri` (Broker, Trigger, Channel).
pub(super) fn status_dls_uri(status: &Status) -> Option<&str> {
    status
        .extra
        .get("deadLetterSinkUri")
        .and_then(Value::as_str)
}

/// `status.physicalSubscription.deadLetterSinkUri` (Subscription).
pub(super) fn subscription_dls_uri(status: &Status) -> Option<&str> {
    status
        .extra
        .get("physicalSubscription")?
        .get("deadLetterSinkUri")?
        .as_str()
}

/// A channel's `spec.delivery` (the catalog refused channels whose delivery cannot be read).
pub(super) fn channel_delivery_spec(channel: &Channel) -> Option<DeliverySpec> {
    DeliverySpec::deserialize(channel.spec.get("delivery")?).ok()
}

/// What a trigger or subscription delivers with: its own delivery, with the dead-letter sink of
/// its broker (or channel) when it has none of its own (Knative's `resolveDeadLetterSink`). A
/// trigger with no delivery at all takes its broker's whole delivery.
pub(super) fn inherit(
    own: Option<Delivery>,
    parent: Option<&Delivery>,
    from: OwnerLink,
    whole: bool,
) -> Option<Delivery> {
    let Some(parent) = parent.filter(|p| p.dead_letter_sink.is_some()) else {
        return own;
    };
    let mut delivery = match own {
        Some(own) if own.dead_letter_sink.is_some() => return Some(own),
        Some(own) => own,
        None if whole => Delivery {
            dead_letter_sink_uri: None,
            ..parent.clone()
        },
        None => Delivery::default(),
    };
    delivery.dead_letter_sink = parent.dead_letter_sink.clone();
    if delivery.dead_letter_sink_uri.is_none() {
        delivery.dead_letter_sink_uri = parent.dead_letter_sink_uri.clone();
    }
    delivery.dead_letter_sink_from = Some(from);
    Some(delivery)
}
