//! Who points at an object: every relation of the mesh read backwards (subscribers, replies,
//! sinks, dead-letter sinks, steps, branches, policy targets), so the detail pane and the jump
//! list show "pointed at by" beside "points to".

use super::model::{Delivery, Mesh, SubscriberLink};
use super::objects::ObjectKey;
use super::views::Target;

/// (what points here and through which field, that object), in mesh order.
pub fn pointed_at_by(mesh: &Mesh, target: &Target) -> Vec<(String, Target)> {
    let Some((group, kind, key)) = identity(mesh, target) else {
        return Vec::new();
    };
    let points_here = |link: &SubscriberLink| {
        link.reference.as_ref().is_some_and(|r| {
            r.group() == group
                && r.kind == kind
                && r.namespace == key.namespace
                && r.name == key.name
        })
    };
    let dead_letter = |delivery: Option<&Delivery>| {
        delivery
            .and_then(|d| d.dead_letter_sink.as_ref())
            .is_some_and(points_here)
    };
    let mut out = Vec::new();
    for node in &mesh.brokers {
        if dead_letter(node.delivery.as_ref()) {
            out.push((
                format!("broker {} (dead letter)", node.object.key()),
                Target::Broker(node.object.key()),
            ));
        }
    }
    for node in &mesh.triggers {
        let fields = [
            ("subscriber", points_here(&node.subscriber)),
            ("dead letter", dead_letter(node.delivery.as_ref())),
        ];
        for (field, _) in fields.iter().filter(|(_, yes)| *yes) {
            let key = node.object.key();
            out.push((format!("trigger {key} ({field})"), Target::Trigger(key)));
        }
    }
    for node in &mesh.channels {
        if dead_letter(node.delivery.as_ref()) {
            out.push((
                format!("{} {} (dead letter)", node.object.kind, node.object.key()),
                Target::Channel(node.object.key()),
            ));
        }
    }
    for node in &mesh.subscriptions {
        let fields = [
            ("subscriber", points_here(&node.subscriber)),
            ("reply", node.reply.as_ref().is_some_and(points_here)),
            ("dead letter", dead_letter(node.delivery.as_ref())),
        ];
        for (field, _) in fields.iter().filter(|(_, yes)| *yes) {
            let key = node.object.key();
            out.push((
                format!("subscription {key} ({field})"),
                Target::Subscription(key),
            ));
        }
    }
    for (index, node) in mesh.sources.iter().enumerate() {
        if points_here(&node.sink) {
            let object = &node.object;
            out.push((
                format!("{} {} (sink)", object.kind, object.key()),
                Target::Source(index),
            ));
        }
    }
    for (index, node) in mesh.components.iter().enumerate() {
        let object = &node.object;
        for relation in &node.relations {
            let field = if points_here(&relation.link) {
                relation.label.clone()
            } else if dead_letter(relation.delivery.as_ref()) {
                format!("{} dead letter", relation.label)
            } else {
                continue;
            };
            out.push((
                format!("{} {} ({field})", object.kind, object.key()),
                Target::Component(index),
            ));
        }
    }
    out
}

/// The group, kind and key of the object a target shows, for the kinds relations point at.
fn identity(mesh: &Mesh, target: &Target) -> Option<(String, String, ObjectKey)> {
    let of = |object_group: &str, kind: &str, key: ObjectKey| {
        Some((object_group.to_string(), kind.to_string(), key))
    };
    match target {
        Target::Broker(key) => {
            let broker = &mesh.broker(key)?.object;
            of(broker.group(), "Broker", key.clone())
        }
        Target::Channel(key) => {
            let channel = &mesh.channel(key)?.object;
            of(channel.group(), &channel.kind, key.clone())
        }
        Target::Source(index) => {
            let source = &mesh.sources.get(*index)?.object;
            of(source.group(), &source.kind, source.key())
        }
        Target::Component(index) => {
            let component = &mesh.components.get(*index)?.object;
            of(component.group(), &component.kind, component.key())
        }
        Target::Trigger(_) | Target::EventType(_) | Target::Subscription(_) | Target::Access(_) => {
            None
        }
    }
}
