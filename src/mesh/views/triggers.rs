//! A trigger in the trees: its filter, its subscriber (continued into the flow or sink it
//! names), its delivery, where it may deliver, and its internal subscription.

use super::{
    NodeKind, NodeStatus, Role, Target, TreeNode, broker_name, delivery, flows, with_ready,
};
use crate::mesh::filter;
use crate::mesh::model::{Mesh, TriggerNode};
use crate::mesh::objects::Readiness;

pub(super) fn trigger_node(mesh: &Mesh, node: &TriggerNode) -> TreeNode {
    let trigger = &node.object;
    // A trigger with no status yet has not been reconciled: "unknown", not a healthy-looking
    // nothing, since "why does my trigger not receive events" starts here.
    let (text, status) = match trigger.status.ready() {
        Readiness::NoStatus => (
            format!("trigger {}  Ready=Unknown (no status yet)", trigger.name()),
            NodeStatus::Normal,
        ),
        _ => with_ready(format!("trigger {}", trigger.name()), &trigger.status),
    };
    let mut children: Vec<TreeNode> = filter::describe(&trigger.spec)
        .into_iter()
        .map(|line| TreeNode::new(NodeKind::Filter, format!("filter: {line}")))
        .collect();
    let class = mesh.broker(&trigger.broker_key()).map(|b| b.object.class());
    children.extend(
        filter::caveats(&trigger.spec, class)
            .into_iter()
            .map(|caveat| TreeNode::new(NodeKind::Note, format!("⚑ {caveat}"))),
    );
    children.push(flows::destination_node(
        mesh,
        NodeKind::Subscriber,
        "subscriber",
        &node.subscriber,
        0,
    ));
    // A trigger sends as itself: to its subscriber, the subscriber's reply back into the
    // broker, and what fails to its dead-letter sink.
    let sender = ("Trigger", trigger.namespace(), trigger.name());
    let dead_letters = node
        .delivery
        .as_ref()
        .and_then(|d| d.dead_letter_sink.as_ref());
    children.extend(delivery::may_deliver_all(
        mesh,
        sender,
        &[
            (Some(&node.subscriber), delivery::Sends::Events),
            (dead_letters, delivery::Sends::DeadLetters),
        ],
    ));
    if node.broker_found {
        let broker = trigger.broker_key();
        let to = ("Broker", broker.namespace.as_str(), broker.name.as_str());
        children.extend(delivery::may_deliver_to(
            mesh,
            sender,
            to,
            delivery::Sends::Replies,
        ));
    }
    children.extend(flows::delivery_node(mesh, node.delivery.as_ref(), 0));
    for key in &node.internal_subscriptions {
        let mut internal = TreeNode::new(
            NodeKind::Subscription,
            format!("internal subscription {}", key.name),
        );
        if mesh.subscription(key).is_some() {
            internal = internal.target(Target::Subscription(key.clone()));
        }
        children.push(internal);
    }
    if !mesh.reduced && !node.broker_found {
        // A broker that exists but could not be decoded is not "not found".
        let broker = trigger.broker_key();
        let undecodable = mesh.access.iter().find(|m| {
            matches!(m.access, crate::mesh::snapshot::Access::Undecodable { .. })
                && m.role == Role::Broker
                && m.request.namespace() == Some(broker.namespace.as_str())
                && m.request.name.as_deref() == Some(broker.name.as_str())
        });
        let (text, status) = match undecodable {
            Some(_) => (
                format!(
                    "broker {} (cannot be decoded)",
                    broker_name(trigger, &broker)
                ),
                NodeStatus::Failed,
            ),
            None => (
                format!("broker {} (not found)", broker_name(trigger, &broker)),
                NodeStatus::NotFound,
            ),
        };
        children.push(TreeNode::new(NodeKind::Broker, text).status(status));
    }
    TreeNode::new(NodeKind::Trigger, text)
        .status(status)
        .target(Target::Trigger(trigger.key()))
        .children(children)
}
