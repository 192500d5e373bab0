//! The Channels view: channels with their subscriptions, and subscriptions whose channel is
//! missing, each with its subscriber, reply and dead-letter sink.

use super::{NodeKind, NodeStatus, Target, TreeNode, View, by_namespace, flows, with_ready};
use crate::mesh::model::{Mesh, SubscriptionNode};

pub(super) fn channels_tree(mesh: &Mesh) -> Vec<TreeNode> {
    by_namespace(mesh, View::Channels, |ns| {
        let channels = mesh
            .channels
            .iter()
            .filter(|c| c.object.namespace() == ns && c.owner.is_none())
            .map(|channel| {
                let object = &channel.object;
                let (text, status) =
                    with_ready(format!("{} {}", object.kind, object.name()), &object.status);
                let who = super::delivery::who_may_send(mesh, &object.kind, ns, object.name());
                let children = who
                    .into_iter()
                    .chain(
                        channel
                            .subscriptions
                            .iter()
                            .filter_map(|key| mesh.subscription(key))
                            .map(|sub| subscription_node(mesh, sub, None)),
                    )
                    .collect();
                TreeNode::new(NodeKind::Channel, text)
                    .status(status)
                    .target(Target::Channel(object.key()))
                    .children(children)
            });
        // A subscription whose channel is not there is shown with its missing channel, never
        // dropped: it is where events stop.
        let orphans = mesh
            .subscriptions
            .iter()
            .filter(|s| s.object.namespace() == ns && s.owner.is_none() && !s.channel_found)
            .map(|sub| {
                let channel = &sub.object.spec.channel;
                let key = sub.object.channel_key();
                let name = if key.namespace == ns {
                    key.name
                } else {
                    key.to_string()
                };
                let missing = TreeNode::new(
                    NodeKind::Channel,
                    format!("channel: {} {name} (not found)", channel.kind),
                )
                .status(NodeStatus::NotFound);
                subscription_node(mesh, sub, Some(missing))
            });
        channels.chain(orphans).collect()
    })
}

/// A subscription with its subscriber and reply, and first, when given, the channel it names.
fn subscription_node(mesh: &Mesh, sub: &SubscriptionNode, channel: Option<TreeNode>) -> TreeNode {
    let mut children: Vec<TreeNode> = channel.into_iter().collect();
    children.push(flows::destination_node(
        mesh,
        NodeKind::Subscriber,
        "subscriber",
        &sub.subscriber,
        0,
    ));
    if let Some(reply) = &sub.reply {
        children.push(flows::destination_node(
            mesh,
            NodeKind::Reply,
            "reply",
            reply,
            0,
        ));
    }
    children.extend(flows::delivery_node(mesh, sub.delivery.as_ref(), 0));
    // A subscription sends as itself: to its subscriber, its reply, and its dead letters.
    let sender = ("Subscription", sub.object.namespace(), sub.object.name());
    let dead_letters = sub
        .delivery
        .as_ref()
        .and_then(|d| d.dead_letter_sink.as_ref());
    children.extend(super::delivery::may_deliver_all(
        mesh,
        sender,
        &[
            (Some(&sub.subscriber), super::delivery::Sends::Events),
            (sub.reply.as_ref(), super::delivery::Sends::Replies),
            (dead_letters, super::delivery::Sends::DeadLetters),
        ],
    ));
    let (text, status) = with_ready(
        format!("subscription {}", sub.object.name()),
        &sub.object.status,
    );
    TreeNode::new(NodeKind::Subscription, text)
        .status(status)
        .target(Target::Subscription(sub.object.key()))
        .children(children)
}
