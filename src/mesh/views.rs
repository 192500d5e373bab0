//! The trees every face shows: the text output (`-o tree`) prints them, the TUI navigates them.
//! Denied, missing and failed data get a node of their own in the place the data would be.

use super::filter::{self, Outcome};
use super::model::*;
use super::objects::{ObjectKey, Readiness, Status};
use super::snapshot::Role;
use serde::Serialize;

mod channels;
pub mod delivery;
mod flows;
mod markers;
mod sources;
mod triggers;
pub use flows::{component_text, retry_text};
pub use markers::unread;
use markers::{cluster_markers, group_locked, markers, namespace_node, undecodable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum View {
    Brokers,
    EventTypes,
    Sources,
    Channels,
    Flows,
    Policies,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Brokers,
        View::EventTypes,
        View::Sources,
        View::Channels,
        View::Flows,
        View::Policies,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Brokers => "Brokers",
            View::EventTypes => "Event types",
            View::Sources => "Sources",
            View::Channels => "Channels",
            View::Flows => "Flows & sinks",
            View::Policies => "Event policies",
        }
    }

    /// The roles whose denial belongs in this view.
    fn roles(self) -> &'static [Role] {
        match self {
            View::Brokers => &[Role::Broker, Role::Trigger, Role::EventType],
            View::EventTypes => &[Role::EventType],
            View::Sources => &[Role::Crd, Role::Source],
            View::Channels => &[Role::Crd, Role::Channel, Role::Subscription],
            View::Flows => &[Role::Component],
            View::Policies => &[Role::Policy],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NodeKind {
    Namespace,
    Broker,
    Trigger,
    Filter,
    Subscriber,
    EventType,
    Producer,
    Consumer,
    Source,
    Sink,
    Channel,
    Subscription,
    Reply,
    /// A flow, sink, transform, policy or other Knative object.
    Component,
    Step,
    DeadLetter,
    /// What an EventPolicy applies to or admits.
    Policy,
    Access,
    Note,
}

impl NodeKind {
    pub const ALL: [NodeKind; 19] = [
        NodeKind::Namespace,
        NodeKind::Broker,
        NodeKind::Trigger,
        NodeKind::Filter,
        NodeKind::Subscriber,
        NodeKind::EventType,
        NodeKind::Producer,
        NodeKind::Consumer,
        NodeKind::Source,
        NodeKind::Sink,
        NodeKind::Channel,
        NodeKind::Subscription,
        NodeKind::Reply,
        NodeKind::Component,
        NodeKind::Step,
        NodeKind::DeadLetter,
        NodeKind::Policy,
        NodeKind::Access,
        NodeKind::Note,
    ];

    /// The row's kind in words, for filtering by kind.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Namespace => "namespace",
            NodeKind::Broker => "broker",
            NodeKind::Trigger => "trigger",
            NodeKind::Filter => "filter",
            NodeKind::Subscriber => "subscriber",
            NodeKind::EventType => "event type",
            NodeKind::Producer => "producer",
            NodeKind::Consumer => "consumer",
            NodeKind::Source => "source",
            NodeKind::Sink => "sink",
            NodeKind::Channel => "channel",
            NodeKind::Subscription => "subscription",
            NodeKind::Reply => "reply",
            NodeKind::Component => "component",
            NodeKind::Step => "step",
            NodeKind::DeadLetter => "dead letter",
            NodeKind::Policy => "policy",
            NodeKind::Access => "access",
            NodeKind::Note => "note",
        }
    }
}

/// The kind and metadata of the object a node shows, if it shows one.
pub fn object_of<'m>(
    mesh: &'m Mesh,
    target: &Target,
) -> Option<(&'m str, &'m super::objects::ObjectMeta)> {
    object_facts(mesh, target).map(|(kind, meta, _)| (kind, meta))
}

/// The kind, metadata and status of the object a node shows: what `kubectl get` columns read.
pub fn object_facts<'m>(
    mesh: &'m Mesh,
    target: &Target,
) -> Option<(&'m str, &'m super::objects::ObjectMeta, &'m Status)> {
    fn parts<S>(
        object: &super::objects::Object<S, Status>,
    ) -> (&str, &super::objects::ObjectMeta, &Status) {
        (object.kind.as_str(), &object.metadata, &object.status)
    }
    match target {
        Target::Broker(key) => mesh.broker(key).map(|n| parts(&n.object)),
        Target::Trigger(key) => mesh.trigger(key).map(|n| parts(&n.object)),
        Target::EventType(key) => mesh.event_type(key).map(|n| parts(&n.object)),
        Target::Channel(key) => mesh.channel(key).map(|n| parts(&n.object)),
        Target::Subscription(key) => mesh.subscription(key).map(|n| parts(&n.object)),
        Target::Source(index) => mesh.sources.get(*index).map(|n| parts(&n.object)),
        Target::Component(index) => mesh.components.get(*index).map(|n| parts(&n.object)),
        Target::Access(_) => None,
    }
}

/// How a node looks: the four states of missing data each have their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeStatus {
    Normal,
    Ready,
    NotReady,
    Forbidden,
    NotFound,
    Failed,
    Loading,
    /// A finding about the token: something it may do and should not.
    Finding,
}

impl NodeStatus {
    /// The glyph printed before the text, so that the state shows without colour too.
    pub fn glyph(self) -> &'static str {
        match self {
            NodeStatus::Forbidden => "🔒 ",
            NodeStatus::NotFound => "∅ ",
            NodeStatus::Failed => "⚠ ",
            NodeStatus::Loading => "… ",
            NodeStatus::NotReady => "✗ ",
            NodeStatus::Finding => "⚑ ",
            _ => "",
        }
    }
}

/// What the detail pane shows for a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Target {
    Broker(ObjectKey),
    Trigger(ObjectKey),
    EventType(ObjectKey),
    Channel(ObjectKey),
    Subscription(ObjectKey),
    Source(usize),
    /// A flow, sink, transform or policy, by its place in `Mesh::components`.
    Component(usize),
    Access(usize),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeNode {
    pub text: String,
    pub kind: NodeKind,
    pub status: NodeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
    /// What identifies the node among its siblings when neither its text (which may hold
    /// counts and statuses) nor its target (which may be an index) is stable.
    #[serde(skip)]
    pub key: Option<String>,
}

impl TreeNode {
    /// A node with no children and no target, for trees other faces build (the token report).
    pub fn leaf(kind: NodeKind, text: String, status: NodeStatus) -> Self {
        Self::new(kind, text).status(status)
    }

    pub fn new(kind: NodeKind, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind,
            status: NodeStatus::Normal,
            target: None,
            children: Vec::new(),
            key: None,
        }
    }

    pub fn status(mut self, status: NodeStatus) -> Self {
        self.status = status;
        self
    }

    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    pub fn children(mut self, children: Vec<TreeNode>) -> Self {
        self.children = children;
        self
    }

    /// The node's stable identity among its siblings (see `key`).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Nodes in this subtree, this one included.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(TreeNode::count).sum::<usize>()
    }
}

/// A trigger's broker as the trees name it: its name, with its namespace when that is another.
pub fn broker_name(trigger: &super::objects::Trigger, broker: &ObjectKey) -> String {
    if broker.namespace == trigger.namespace() {
        broker.name.clone()
    } else {
        broker.to_string()
    }
}

fn readiness(status: &Status) -> (NodeStatus, &'static str) {
    match status.ready() {
        Readiness::Ready => (NodeStatus::Ready, "Ready"),
        Readiness::NotReady => (NodeStatus::NotReady, "NotReady"),
        Readiness::Unknown => (NodeStatus::Normal, "Ready=Unknown"),
        Readiness::NoStatus => (NodeStatus::Normal, ""),
    }
}

fn with_ready(text: String, status: &Status) -> (String, NodeStatus) {
    let (node_status, label) = readiness(status);
    if label.is_empty() {
        (text, node_status)
    } else {
        (format!("{text}  {label}"), node_status)
    }
}

pub fn subscriber_text(link: &SubscriberLink) -> (String, NodeStatus) {
    let target = match (&link.reference, &link.uri) {
        (Some(r), Some(uri)) => format!("{} {}/{} + {uri}", r.kind, r.namespace, r.name),
        (Some(r), None) => format!("{} {}/{}", r.kind, r.namespace, r.name),
        (None, Some(uri)) => uri.clone(),
        (None, None) => "(none)".into(),
    };
    match &link.resolution {
        Resolution::Found {
            backstage_id: Some(id),
        } => (format!("{target}  [backstage: {id}]"), NodeStatus::Normal),
        Resolution::Found { backstage_id: None } | Resolution::UriOnly => {
            (target, NodeStatus::Normal)
        }
        Resolution::NotFound => (format!("{target}  (not found)"), NodeStatus::NotFound),
        Resolution::Forbidden { .. } => (
            format!(
                "{target}  (forbidden: get {})",
                link.reference
                    .as_ref()
                    .map(|r| super::build::guess_resource(&r.kind))
                    .unwrap_or_default()
            ),
            NodeStatus::Forbidden,
        ),
        Resolution::Failed { message } => {
            (format!("{target}  (failed: {message})"), NodeStatus::Failed)
        }
        Resolution::Missing => ("(no subscriber)".into(), NodeStatus::NotFound),
    }
}

fn outcome_text(outcome: &filter::FilterOutcome) -> String {
    match outcome.outcome {
        Outcome::Match => "match".into(),
        Outcome::NoMatch => format!("no match: {}", outcome.reason),
        Outcome::Unknown => format!("unknown: {}", outcome.reason),
    }
}

/// Namespaces in order, each with the nodes `build` makes for it; empty ones are left out
/// unless something was denied there.
fn by_namespace(
    mesh: &Mesh,
    view: View,
    mut build: impl FnMut(&str) -> Vec<TreeNode>,
) -> Vec<TreeNode> {
    let mut roots = cluster_markers(markers(mesh, view.roles(), None));
    roots.extend(undecodable(mesh, view.roles(), None));
    for namespace in &mesh.namespaces {
        let mut children = markers(mesh, view.roles(), Some(namespace));
        children.extend(undecodable(mesh, view.roles(), Some(namespace)));
        children.extend(build(namespace));
        if !children.is_empty() {
            roots.push(namespace_node(namespace, children));
        }
    }
    group_locked(roots)
}

pub fn tree(mesh: &Mesh, view: View) -> Vec<TreeNode> {
    match view {
        View::Brokers => brokers_tree(mesh),
        View::EventTypes => event_types_tree(mesh),
        View::Sources => sources::sources_tree(mesh),
        View::Channels => channels::channels_tree(mesh),
        View::Flows => flows::flows_tree(mesh),
        View::Policies => flows::policies_tree(mesh),
    }
}

fn consumer_nodes(mesh: &Mesh, node: &EventTypeNode) -> Vec<TreeNode> {
    let mut children: Vec<TreeNode> = node
        .consumers
        .iter()
        .map(|consumer| {
            let (kind, target, subscriber) = match consumer.kind {
                ConsumerKind::Trigger => (
                    "trigger",
                    Target::Trigger(consumer.key.clone()),
                    mesh.trigger(&consumer.key)
                        .map(|t| subscriber_text(&t.subscriber)),
                ),
                ConsumerKind::Subscription => (
                    "subscription",
                    Target::Subscription(consumer.key.clone()),
                    mesh.subscription(&consumer.key)
                        .map(|s| subscriber_text(&s.subscriber)),
                ),
            };
            let (subscriber, status) = subscriber.unwrap_or(("?".into(), NodeStatus::Normal));
            TreeNode::new(
                NodeKind::Consumer,
                format!(
                    "consumed by {kind} {} → {subscriber}  [{}]",
                    consumer.key.name,
                    outcome_text(&consumer.outcome)
                ),
            )
            .status(status)
            .target(target)
        })
        .collect();
    if mesh.reduced {
        children.extend(
            node.backstage_consumers
                .iter()
                .map(|id| TreeNode::new(NodeKind::Consumer, format!("consumed by backstage:{id}"))),
        );
    }
    children
}

fn event_type_text(node: &EventTypeNode) -> String {
    let et = &node.object;
    format!("event type {}  ({})", et.cloud_event_type(), et.name())
}

fn brokers_tree(mesh: &Mesh) -> Vec<TreeNode> {
    let in_namespace = |ns: &str| {
        let mut nodes = Vec::new();
        for broker in mesh.brokers.iter().filter(|b| b.object.namespace() == ns) {
            let object = &broker.object;
            let mut text = format!("broker {}  [{}]", object.name(), object.class());
            if let Some(url) = object.status.address.as_ref().and_then(|a| a.url.as_ref()) {
                text.push_str(&format!("  {url}"));
            }
            let (text, status) = with_ready(text, &object.status);
            let mut children = markers(mesh, &[Role::Trigger], Some(ns));
            children.extend(delivery::who_may_send(
                mesh,
                &object.kind,
                ns,
                object.name(),
            ));
            children.extend(
                broker
                    .triggers
                    .iter()
                    .filter_map(|key| mesh.trigger(key))
                    .map(|t| triggers::trigger_node(mesh, t)),
            );
            children.extend(markers(mesh, &[Role::EventType], Some(ns)));
            for link in &broker.event_types {
                if let Some(et) = mesh.event_type(&link.key) {
                    let mut text = event_type_text(et);
                    // A reference from another namespace: say whose it is.
                    if et.object.namespace() != ns {
                        text.push_str(&format!(" from namespace {}", et.object.namespace()));
                    }
                    children.push(
                        TreeNode::new(NodeKind::EventType, text)
                            .target(Target::EventType(link.key.clone()))
                            .children(consumer_nodes(mesh, et)),
                    );
                }
            }
            children.extend(
                broker
                    .internal_channels
                    .iter()
                    .filter_map(|key| internal_channel_node(mesh, key)),
            );
            nodes.push(
                TreeNode::new(NodeKind::Broker, text)
                    .status(status)
                    .target(Target::Broker(object.key()))
                    .children(children),
            );
        }
        // Triggers whose broker we do not know still belong on screen.
        nodes.extend(
            mesh.triggers
                .iter()
                .filter(|t| !t.broker_found && t.object.namespace() == ns)
                .map(|t| triggers::trigger_node(mesh, t)),
        );
        nodes
    };
    // Namespaces where brokers were denied get their marker from `by_namespace`; markers for
    // triggers and event types go inside each broker, or at the namespace if it has none.
    let mut roots = cluster_markers(markers(mesh, View::Brokers.roles(), None));
    roots.extend(undecodable(mesh, View::Brokers.roles(), None));
    for namespace in &mesh.namespaces {
        let has_brokers = mesh
            .brokers
            .iter()
            .any(|b| b.object.namespace() == namespace);
        let roles: &[Role] = if has_brokers {
            &[Role::Broker]
        } else {
            View::Brokers.roles()
        };
        let mut children = markers(mesh, roles, Some(namespace));
        children.extend(undecodable(mesh, View::Brokers.roles(), Some(namespace)));
        children.extend(in_namespace(namespace));
        if !children.is_empty() {
            roots.push(namespace_node(namespace, children));
        }
    }
    group_locked(roots)
}

/// A channel its owner's controller made (a broker's, a flow's step), under the owner.
fn internal_channel_node(mesh: &Mesh, key: &ObjectKey) -> Option<TreeNode> {
    let channel = mesh.channel(key)?;
    Some(
        TreeNode::new(
            NodeKind::Channel,
            format!("internal {} {}", channel.object.kind, key.name),
        )
        .target(Target::Channel(key.clone())),
    )
}

fn event_types_tree(mesh: &Mesh) -> Vec<TreeNode> {
    by_namespace(mesh, View::EventTypes, |ns| {
        mesh.event_types
            .iter()
            .filter(|et| et.object.namespace() == ns)
            .map(|et| {
                let mut children: Vec<TreeNode> = et
                    .producers
                    .iter()
                    .map(|p| {
                        let via = match p.via {
                            Via::Reference => "reference",
                            Via::BrokerField => "spec.broker (deprecated)",
                            Via::SourceRegistry => "declared by its CRD",
                            Via::SourceStatus => "reported in status",
                        };
                        let node = TreeNode::new(
                            NodeKind::Producer,
                            format!(
                                "produced by {} {}  ({via}){}",
                                p.kind,
                                p.key.name,
                                if p.found { "" } else { " (not found)" }
                            ),
                        );
                        if p.found {
                            node
                        } else {
                            node.status(NodeStatus::NotFound)
                        }
                    })
                    .collect();
                children.extend(consumer_nodes(mesh, et));
                TreeNode::new(NodeKind::EventType, event_type_text(et))
                    .target(Target::EventType(et.object.key()))
                    .children(children)
            })
            .collect()
    })
}
