//! Flows, sinks, transforms and policies: their own views, and where they are met. A trigger,
//! subscription or source that points at a flow continues into it, so a chain does not stop
//! at "subscriber (found)".

use super::{NodeKind, NodeStatus, Target, TreeNode, View, by_namespace, subscriber_text};
use crate::mesh::components::{ComponentKind, RelationRole};
use crate::mesh::model::{ComponentNode, Delivery, Mesh, Relation, Resolution, SubscriberLink};

/// How far a chain is followed into flows inside flows before it says where it goes on.
const MAX_DEPTH: usize = 4;

/// A node for where a field points, continued into the flow, sink or transform it names.
pub(super) fn destination_node(
    mesh: &Mesh,
    kind: NodeKind,
    label: &str,
    link: &SubscriberLink,
    depth: usize,
) -> TreeNode {
    let (text, status) = subscriber_text(link);
    let node = TreeNode::new(kind, format!("{label}: {text}")).status(status);
    let found = matches!(link.resolution, Resolution::Found { .. });
    let component = link
        .reference
        .as_ref()
        .filter(|_| found)
        .and_then(|reference| mesh.component_at(reference));
    let Some(index) = component else {
        return node;
    };
    let node = node.target(Target::Component(index));
    if depth >= MAX_DEPTH {
        let more = !mesh.components[index].relations.is_empty();
        return node.children(
            more.then(|| TreeNode::new(NodeKind::Note, "… continues (see Flows & sinks)"))
                .into_iter()
                .collect(),
        );
    }
    node.children(relation_nodes(mesh, &mesh.components[index], depth + 1))
}

fn relation_kind(role: RelationRole) -> NodeKind {
    match role {
        RelationRole::Step => NodeKind::Step,
        RelationRole::Filter => NodeKind::Filter,
        RelationRole::Subscriber => NodeKind::Subscriber,
        RelationRole::Reply => NodeKind::Reply,
        RelationRole::Sink => NodeKind::Sink,
        RelationRole::Broker => NodeKind::Broker,
        RelationRole::To | RelationRole::From => NodeKind::Policy,
    }
}

/// Each relation of a component, with its own dead-letter sink, in the order events flow.
fn relation_nodes(mesh: &Mesh, node: &ComponentNode, depth: usize) -> Vec<TreeNode> {
    let mut out: Vec<TreeNode> = node
        .relations
        .iter()
        .map(|relation: &Relation| {
            let kind = relation_kind(relation.role);
            let mut child = destination_node(mesh, kind, &relation.label, &relation.link, depth);
            child
                .children
                .extend(delivery_node(mesh, relation.delivery.as_ref(), depth));
            child
        })
        .collect();
    if node.component == ComponentKind::EventTransform
        && !node.relations.iter().any(|r| r.role == RelationRole::Sink)
    {
        out.push(TreeNode::new(
            NodeKind::Reply,
            "reply: the transformed event goes back to the caller",
        ));
    }
    out
}

/// The dead-letter sink of a delivery, with where it comes from and how often delivery is
/// retried before it.
pub(super) fn delivery_node(
    mesh: &Mesh,
    delivery: Option<&Delivery>,
    depth: usize,
) -> Option<TreeNode> {
    let delivery = delivery?;
    let link = delivery.dead_letter_sink.as_ref()?;
    let mut label = String::from("dead letter");
    if let Some(from) = &delivery.dead_letter_sink_from {
        label = format!(
            "dead letter (from {} {})",
            from.kind.to_lowercase(),
            from.key.name
        );
    }
    let node = destination_node(mesh, NodeKind::DeadLetter, &label, link, depth.max(1));
    let retry = retry_text(delivery);
    Some(if retry.is_empty() {
        node
    } else {
        let text = format!("{}  [{retry}]", node.text);
        TreeNode { text, ..node }
    })
}

/// "retry 3, exponential from PT1S".
pub fn retry_text(delivery: &Delivery) -> String {
    let mut parts = Vec::new();
    if let Some(retry) = delivery.retry {
        parts.push(format!("retry {retry}"));
    }
    match (&delivery.backoff_policy, &delivery.backoff_delay) {
        (Some(policy), Some(delay)) => parts.push(format!("{policy} from {delay}")),
        (Some(policy), None) => parts.push(policy.clone()),
        (None, Some(delay)) => parts.push(format!("backoff {delay}")),
        (None, None) => {}
    }
    if let Some(timeout) = &delivery.timeout {
        parts.push(format!("timeout {timeout}"));
    }
    parts.join(", ")
}

/// "Sequence checkout  [InMemoryChannel]  http://…  Ready".
pub fn component_text(node: &ComponentNode) -> (String, NodeStatus) {
    let object = &node.object;
    let mut text = format!("{} {}", object.kind, object.name());
    if let Some(channel) = node.facts.iter().find(|f| f.name == "channel") {
        text.push_str(&format!("  [{}]", channel.value));
    }
    if let Some(url) = object.status.address.as_ref().and_then(|a| a.url.as_ref()) {
        text.push_str(&format!("  {url}"));
    }
    super::with_ready(text, &object.status)
}

fn component_node(mesh: &Mesh, index: usize) -> TreeNode {
    let node = &mesh.components[index];
    let (text, status) = component_text(node);
    let object = &node.object;
    let who = super::delivery::who_may_send(mesh, &object.kind, object.namespace(), object.name());
    let mut children: Vec<TreeNode> = who.into_iter().collect();
    children.extend(relation_nodes(mesh, node, 1));
    // What a transform or flow sends on, it sends as itself.
    let sender = (object.kind.as_str(), object.namespace(), object.name());
    for relation in &node.relations {
        let sends = match relation.role {
            RelationRole::Sink => super::delivery::Sends::Events,
            RelationRole::Reply => super::delivery::Sends::Replies,
            _ => continue,
        };
        children.extend(super::delivery::may_deliver(
            mesh,
            sender,
            &relation.link,
            sends,
        ));
    }
    // A policy's selectors and OIDC subjects name no object: they are shown as written.
    if node.component == ComponentKind::EventPolicy {
        children.extend(
            node.facts.iter().map(|fact| {
                TreeNode::new(NodeKind::Policy, format!("{}: {}", fact.name, fact.value))
            }),
        );
    }
    children.extend(
        node.owned_channels
            .iter()
            .filter_map(|key| super::internal_channel_node(mesh, key)),
    );
    for key in &node.owned_subscriptions {
        children.push(
            TreeNode::new(
                NodeKind::Subscription,
                format!("internal subscription {}", key.name),
            )
            .target(Target::Subscription(key.clone())),
        );
    }
    TreeNode::new(NodeKind::Component, text)
        .status(status)
        .target(Target::Component(index))
        .key(format!("{} {}", node.object.kind, node.object.key()))
        .children(children)
}

/// Sequences, parallels, transforms, sinks, RequestReplies and other Knative objects, by
/// namespace: flows first, as events enter them.
pub(super) fn flows_tree(mesh: &Mesh) -> Vec<TreeNode> {
    components_tree(mesh, View::Flows, |kind| kind != ComponentKind::EventPolicy)
}

/// EventPolicies, each with what it applies to and whom it admits.
pub(super) fn policies_tree(mesh: &Mesh) -> Vec<TreeNode> {
    components_tree(mesh, View::Policies, |kind| {
        kind == ComponentKind::EventPolicy
    })
}

fn components_tree(
    mesh: &Mesh,
    view: View,
    wanted: impl Fn(ComponentKind) -> bool,
) -> Vec<TreeNode> {
    by_namespace(mesh, view, |ns| {
        let mut indexes: Vec<usize> = (0..mesh.components.len())
            .filter(|&i| {
                let node = &mesh.components[i];
                node.object.namespace() == ns && wanted(node.component)
            })
            .collect();
        indexes.sort_by_key(|&i| (mesh.components[i].component, i));
        indexes
            .into_iter()
            .map(|i| component_node(mesh, i))
            .collect()
    })
}
