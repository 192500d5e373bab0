//! Jumping along the mesh's relations, as k9s users navigate: from a trigger to its broker,
//! subscriber and event types; from an event type to its producers and consumers; and back.
//! Pure: what is related to what, from the Mesh.

use crate::mesh::Mesh;
use crate::mesh::model::{ConsumerKind, SubscriberLink};
use crate::mesh::objects::ObjectKey;
use crate::mesh::views::Target;

/// Where a jump can go: a label for the list, and the object.
pub type Related = (String, Target);

/// The objects related to a target, in the order a user thinks of them.
pub fn related(mesh: &Mesh, target: &Target) -> Vec<Related> {
    let mut out = Vec::new();
    match target {
        Target::Trigger(key) => {
            let Some(trigger) = mesh.trigger(key) else {
                return out;
            };
            let broker = trigger.object.broker_key();
            if mesh.broker(&broker).is_some() {
                let name = crate::mesh::views::broker_name(&trigger.object, &broker);
                out.push((format!("broker {name}"), Target::Broker(broker)));
            }
            out.extend(link(mesh, "subscriber", &trigger.subscriber));
            for matched in &trigger.event_types {
                out.push(event_type(&matched.key));
            }
        }
        Target::EventType(key) => {
            let Some(node) = mesh.event_type(key) else {
                return out;
            };
            for producer in node.producers.iter().filter(|p| p.found) {
                out.extend(object(mesh, "produced by", &producer.kind, &producer.key));
            }
            for consumer in &node.consumers {
                let (kind, target) = match consumer.kind {
                    ConsumerKind::Trigger => ("trigger", Target::Trigger(consumer.key.clone())),
                    ConsumerKind::Subscription => {
                        ("subscription", Target::Subscription(consumer.key.clone()))
                    }
                };
                out.push((format!("consumed by {kind} {}", consumer.key), target));
            }
        }
        Target::Broker(key) => {
            let Some(broker) = mesh.broker(key) else {
                return out;
            };
            for trigger in &broker.triggers {
                out.push((
                    format!("trigger {}", trigger.name),
                    Target::Trigger(trigger.clone()),
                ));
            }
            for produced in &broker.event_types {
                out.push(event_type(&produced.key));
            }
        }
        Target::Source(index) => {
            let Some(source) = mesh.sources.get(*index) else {
                return out;
            };
            out.extend(link(mesh, "sink", &source.sink));
            out.extend(source.event_types.iter().map(event_type));
        }
        Target::Channel(key) => {
            let Some(channel) = mesh.channel(key) else {
                return out;
            };
            for subscription in &channel.subscriptions {
                out.push((
                    format!("subscription {}", subscription.name),
                    Target::Subscription(subscription.clone()),
                ));
            }
            out.extend(channel.event_types.iter().map(event_type));
        }
        Target::Subscription(key) => {
            let Some(subscription) = mesh.subscription(key) else {
                return out;
            };
            let channel = &subscription.object.spec.channel;
            let channel_key = subscription.object.channel_key();
            out.extend(object(mesh, "channel", &channel.kind, &channel_key));
            out.extend(link(mesh, "subscriber", &subscription.subscriber));
            if let Some(reply) = &subscription.reply {
                out.extend(link(mesh, "reply", reply));
            }
        }
        Target::Component(index) => component_related(mesh, *index, &mut out),
        Target::Access(_) => {}
    }
    for (what, target) in crate::mesh::referrers::pointed_at_by(mesh, target) {
        out.push((format!("pointed at by {what}"), target));
    }
    out
}

/// A flow's or sink's relations, with their dead-letter sinks, and the channels and
/// subscriptions its controller made.
fn component_related(mesh: &Mesh, index: usize, out: &mut Vec<Related>) {
    let Some(component) = mesh.components.get(index) else {
        return;
    };
    for relation in &component.relations {
        out.extend(link(mesh, &relation.label, &relation.link));
        if let Some(dls) = relation
            .delivery
            .as_ref()
            .and_then(|d| d.dead_letter_sink.as_ref())
        {
            out.extend(link(mesh, "dead letter", dls));
        }
    }
    for key in &component.owned_channels {
        out.push((
            format!("internal channel {}", key.name),
            Target::Channel(key.clone()),
        ));
    }
    for key in &component.owned_subscriptions {
        out.push((
            format!("internal subscription {}", key.name),
            Target::Subscription(key.clone()),
        ));
    }
}

fn event_type(key: &ObjectKey) -> Related {
    (
        format!("event type {}", key.name),
        Target::EventType(key.clone()),
    )
}

/// A subscriber, reply or sink, when it is an object the views show.
fn link(mesh: &Mesh, role: &str, link: &SubscriberLink) -> Option<Related> {
    let reference = link.reference.as_ref()?;
    let key = ObjectKey::new(&reference.namespace, &reference.name);
    if let Some(index) = mesh.component_at(reference) {
        return Some((
            format!("{role} {} {}", reference.kind, key.name),
            Target::Component(index),
        ));
    }
    object(mesh, role, &reference.kind, &key)
}

/// An object by kind and key, when the mesh has it.
fn object(mesh: &Mesh, role: &str, kind: &str, key: &ObjectKey) -> Option<Related> {
    let target = match kind {
        "Broker" => mesh.broker(key).map(|_| Target::Broker(key.clone())),
        "Trigger" => mesh.trigger(key).map(|_| Target::Trigger(key.clone())),
        "Subscription" => mesh
            .subscription(key)
            .map(|_| Target::Subscription(key.clone())),
        _ => mesh
            .channel(key)
            .filter(|c| c.object.kind == kind)
            .map(|_| Target::Channel(key.clone()))
            .or_else(|| {
                mesh.sources
                    .iter()
                    .position(|s| s.object.kind == kind && s.object.key() == *key)
                    .map(Target::Source)
            }),
    }?;
    Some((format!("{role} {kind} {}", key.name), target))
}
