//! The relation graph for pictures: one graph built from the Mesh, rendered as Graphviz DOT or
//! Mermaid. Nodes are grouped by namespace; denied data appears as a red node of its own.

use crate::mesh::components::{ComponentKind, RelationRole};
use crate::mesh::filter::Outcome;
use crate::mesh::model::{
    BrokerNode, ChannelNode, ComponentNode, ConsumerKind, Delivery, EventTypeNode, Mesh,
    Resolution, SourceNode, SubscriberLink, SubscriptionNode, TriggerNode,
};
use crate::mesh::objects::ObjectKey;
use crate::mesh::snapshot::{Access, AccessMarker};
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Broker,
    Trigger,
    EventType,
    Source,
    Channel,
    Subscription,
    Subscriber,
    /// A flow, sink or transform.
    Component,
    Denied,
    /// Data that failed to arrive or to decode: drawn, so that a picture is never silently
    /// missing a part.
    Failed,
}

struct GraphNode {
    id: String,
    label: String,
    namespace: String,
    shape: Shape,
    /// The broker a trigger hangs under: drawn inside the broker's own box.
    parent: Option<String>,
}

struct Edge {
    from: String,
    to: String,
    /// "subscriber", "step 2", "dead letter": ours when built from objects, but a saved mesh
    /// read back supplies relation labels, so they are quoted like any other text.
    label: String,
    dashed: bool,
}

#[derive(Default)]
struct Graph {
    nodes: BTreeMap<String, GraphNode>,
    edges: Vec<Edge>,
    /// Each object's id: (kind, namespace, name) → id, and the ids given out.
    ids: std::collections::HashMap<(String, String, String), String>,
    taken: std::collections::HashSet<String>,
}

/// A readable id: kind, namespace and name with anything but letters and digits as `_`.
fn readable_id(kind: &str, namespace: &str, name: &str) -> String {
    let raw = format!("{kind}_{namespace}_{name}");
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl Graph {
    /// The object's id, unique per object: readable ids that collide (`payments-eu/default`
    /// and `payments/eu-default`) get a numbered suffix, in the order objects are met.
    fn id(&mut self, kind: &str, namespace: &str, name: &str) -> String {
        let key = (kind.to_string(), namespace.to_string(), name.to_string());
        if let Some(id) = self.ids.get(&key) {
            return id.clone();
        }
        let readable = readable_id(kind, namespace, name);
        let mut id = readable.clone();
        let mut suffix = 2;
        while self.taken.contains(&id) {
            id = format!("{readable}_{suffix}");
            suffix += 1;
        }
        self.taken.insert(id.clone());
        self.ids.insert(key, id.clone());
        id
    }

    fn node(&mut self, kind: &str, key: &ObjectKey, label: String, shape: Shape) -> String {
        let node_id = self.id(kind, &key.namespace, &key.name);
        self.nodes.entry(node_id.clone()).or_insert(GraphNode {
            id: node_id.clone(),
            label,
            namespace: key.namespace.clone(),
            shape,
            parent: None,
        });
        node_id
    }

    fn edge(&mut self, from: &str, to: &str, label: &str, dashed: bool) {
        self.edges.push(Edge {
            from: from.to_string(),
            to: to.to_string(),
            label: label.to_string(),
            dashed,
        });
    }

    /// A dead-letter sink: dashed, as it carries only what could not be delivered.
    fn dead_letter(&mut self, from: &str, delivery: Option<&Delivery>, namespace: &str) {
        let own = delivery.filter(|d| d.dead_letter_sink_from.is_none());
        let Some(link) = own.and_then(|d| d.dead_letter_sink.as_ref()) else {
            return;
        };
        if let Some(sink) = self.target(link, namespace) {
            self.edge(from, &sink, "dead letter", true);
        }
    }

    /// The node a subscriber, reply or sink points at, if it points anywhere.
    fn target(&mut self, link: &SubscriberLink, namespace: &str) -> Option<String> {
        let (kind, key, mut label) = match (&link.reference, &link.uri) {
            (Some(r), _) => (
                r.kind.clone(),
                ObjectKey::new(&r.namespace, &r.name),
                format!("{} {}", r.kind, r.name),
            ),
            (None, Some(uri)) => (
                "uri".to_string(),
                ObjectKey::new(namespace, uri),
                uri.clone(),
            ),
            (None, None) => return None,
        };
        let shape = match (&link.resolution, kind.as_str()) {
            (Resolution::Forbidden { .. }, _) => {
                label.push_str(" (forbidden)");
                Shape::Denied
            }
            (Resolution::NotFound, _) => {
                label.push_str(" (not found)");
                Shape::Subscriber
            }
            (_, "Broker") => Shape::Broker,
            _ => Shape::Subscriber,
        };
        let node_kind = if kind == "Broker" { "broker" } else { &kind };
        Some(self.node(node_kind, &key, label, shape))
    }
}

fn build(mesh: &Mesh) -> Graph {
    let mut graph = Graph::default();
    // Objects first, so that a ref to one of them (a sink, a reply) reuses its node and shape.
    graph.add_brokers(&mesh.brokers);
    graph.add_channels(&mesh.channels);
    graph.add_components(&mesh.components);
    graph.add_triggers(&mesh.triggers);
    graph.add_event_types(&mesh.event_types);
    graph.add_sources(&mesh.sources);
    graph.add_subscriptions(&mesh.subscriptions);
    graph.add_markers(&mesh.access);
    graph.drop_dangling_edges();
    graph
}

impl Graph {
    fn add_brokers(&mut self, brokers: &[BrokerNode]) {
        for broker in brokers {
            let key = broker.object.key();
            let id = self.node(
                "broker",
                &key,
                format!("Broker {}", key.name),
                Shape::Broker,
            );
            self.dead_letter(&id, broker.delivery.as_ref(), &key.namespace);
        }
    }

    /// Flows, sinks and transforms, with an edge per relation. EventPolicies say who may
    /// send, not where events go: the picture leaves them out.
    fn add_components(&mut self, components: &[ComponentNode]) {
        let drawn = components
            .iter()
            .filter(|c| c.component != ComponentKind::EventPolicy);
        let ids: Vec<String> = drawn
            .clone()
            .map(|c| {
                let key = c.object.key();
                let kind = c.object.kind.clone();
                self.node(
                    &kind,
                    &key,
                    format!("{kind} {}", key.name),
                    Shape::Component,
                )
            })
            .collect();
        for (component, id) in drawn.zip(ids) {
            let namespace = component.object.namespace();
            for relation in &component.relations {
                if let Some(target) = self.target(&relation.link, namespace) {
                    let dashed = relation.role == RelationRole::Reply;
                    self.edge(&id, &target, &relation.label, dashed);
                }
                self.dead_letter(&id, relation.delivery.as_ref(), namespace);
            }
        }
    }

    /// A broker's internal channel and per-trigger subscriptions are plumbing: the trees show
    /// them under their owners, the picture leaves them out.
    fn add_channels(&mut self, channels: &[ChannelNode]) {
        for channel in channels.iter().filter(|c| c.owner.is_none()) {
            let key = channel.object.key();
            let kind = channel.object.kind.clone();
            self.node(&kind, &key, format!("{kind} {}", key.name), Shape::Channel);
        }
    }

    fn add_triggers(&mut self, triggers: &[TriggerNode]) {
        for trigger in triggers {
            let key = trigger.object.key();
            let trigger_id = self.node(
                "trigger",
                &key,
                format!("Trigger {}", key.name),
                Shape::Trigger,
            );
            if trigger.broker_found {
                let broker = trigger.object.broker_key();
                let broker_id = self.id("broker", &broker.namespace, &broker.name);
                self.edge(&broker_id, &trigger_id, "", false);
                if let Some(node) = self.nodes.get_mut(&trigger_id) {
                    node.parent = Some(broker_id);
                }
            }
            if let Some(subscriber) = self.target(&trigger.subscriber, &key.namespace) {
                self.edge(&trigger_id, &subscriber, "subscriber", false);
            }
            self.dead_letter(&trigger_id, trigger.delivery.as_ref(), &key.namespace);
        }
    }

    fn add_event_types(&mut self, event_types: &[EventTypeNode]) {
        for et in event_types {
            let key = et.object.key();
            let et_id = self.node(
                "eventtype",
                &key,
                et.object.cloud_event_type().to_string(),
                Shape::EventType,
            );
            for producer in et.producers.iter().filter(|p| p.found) {
                let kind = if producer.kind == "Broker" {
                    "broker".to_string()
                } else {
                    producer.kind.clone()
                };
                let producer_id = self.id(&kind, &producer.key.namespace, &producer.key.name);
                self.edge(&producer_id, &et_id, "produces", false);
            }
            // Consumers are only those whose filter lets the type through, or may (build's
            // consumers pass): no edge says a trigger receives a type its filter refuses.
            for consumer in &et.consumers {
                let kind = match consumer.kind {
                    ConsumerKind::Trigger => "trigger",
                    ConsumerKind::Subscription => "subscription",
                };
                let consumer_id = self.id(kind, &consumer.key.namespace, &consumer.key.name);
                let unknown = consumer.outcome.outcome == Outcome::Unknown;
                self.edge(
                    &et_id,
                    &consumer_id,
                    if unknown { "maybe" } else { "" },
                    unknown,
                );
            }
        }
    }

    fn add_sources(&mut self, sources: &[SourceNode]) {
        for source in sources {
            let key = source.object.key();
            let kind = source.object.kind.clone();
            let source_id = self.node(&kind, &key, format!("{kind} {}", key.name), Shape::Source);
            if let Some(sink) = self.target(&source.sink, &key.namespace) {
                self.edge(&source_id, &sink, "sink", false);
            }
        }
    }

    /// The subscriptions a broker makes for its triggers are plumbing, as its channel is.
    fn add_subscriptions(&mut self, subscriptions: &[SubscriptionNode]) {
        for subscription in subscriptions.iter().filter(|s| s.owner.is_none()) {
            let key = subscription.object.key();
            let sub_id = self.node(
                "subscription",
                &key,
                format!("Subscription {}", key.name),
                Shape::Subscription,
            );
            let channel = &subscription.object.spec.channel;
            if subscription.channel_found {
                let channel_id = self.id(&channel.kind, &key.namespace, &channel.name);
                self.edge(&channel_id, &sub_id, "", false);
            }
            if let Some(subscriber) = self.target(&subscription.subscriber, &key.namespace) {
                self.edge(&sub_id, &subscriber, "subscriber", false);
            }
            if let Some(reply) = subscription
                .reply
                .as_ref()
                .and_then(|r| self.target(r, &key.namespace))
            {
                self.edge(&sub_id, &reply, "reply", true);
            }
            self.dead_letter(&sub_id, subscription.delivery.as_ref(), &key.namespace);
        }
    }

    /// A node per marker that hides data; a marker's position in the list keeps its id unique.
    /// Lists denied in one scope are one node: a locked namespace is one fact, not a red box
    /// per kind.
    fn add_markers(&mut self, markers: &[AccessMarker]) {
        let mut denied_lists: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (index, marker) in markers.iter().enumerate() {
            let request = &marker.request;
            let namespace = request.namespace().unwrap_or_default().to_string();
            if matches!(marker.access, Access::Forbidden { .. }) && request.name.is_none() {
                denied_lists
                    .entry(namespace)
                    .or_default()
                    .push(&request.resource.plural);
                continue;
            }
            let Some(label) = failed_label(marker) else {
                continue;
            };
            let key = ObjectKey::new(&namespace, &format!("failed{index}"));
            self.node("failed", &key, label, Shape::Failed);
        }
        for (namespace, plurals) in denied_lists {
            let lists = match plurals.as_slice() {
                [one] => format!("{one}: forbidden"),
                many => format!("{} lists forbidden", many.len()),
            };
            // A namespace's box names it; the cluster scope has no box.
            let label = if namespace.is_empty() {
                format!("cluster scope: {lists}")
            } else {
                lists
            };
            let key = ObjectKey::new(&namespace, "denied");
            self.node("denied", &key, label, Shape::Denied);
        }
    }

    /// Edges to nodes we never saw (a producer that was filtered out) would draw phantom boxes.
    fn drop_dangling_edges(&mut self) {
        let known: std::collections::HashSet<String> = self.nodes.keys().cloned().collect();
        self.edges
            .retain(|e| known.contains(&e.from) && known.contains(&e.to));
    }
}

/// The label of a node for data that failed to arrive or to decode. Words, not glyphs: an
/// emoji renders as a box where the picture's font has none.
fn failed_label(marker: &AccessMarker) -> Option<String> {
    let request = &marker.request;
    match &marker.access {
        Access::Failed { .. } => Some(format!("{request}: failed")),
        Access::Undecodable { kind, .. } => Some(format!(
            "{kind} {}: cannot decode",
            request.name.as_deref().unwrap_or("?")
        )),
        _ => None,
    }
}

fn by_namespace(graph: &Graph) -> BTreeMap<&str, Vec<&GraphNode>> {
    let mut groups: BTreeMap<&str, Vec<&GraphNode>> = BTreeMap::new();
    for node in graph.nodes.values() {
        groups
            .entry(node.namespace.as_str())
            .or_default()
            .push(node);
    }
    groups
}

/// A namespace's nodes as drawn: brokers with the triggers that hang under them, and the rest.
fn families<'a>(
    nodes: &[&'a GraphNode],
) -> (Vec<(&'a GraphNode, Vec<&'a GraphNode>)>, Vec<&'a GraphNode>) {
    let mut families: Vec<(&GraphNode, Vec<&GraphNode>)> = Vec::new();
    let mut loose = Vec::new();
    for node in nodes {
        let children: Vec<&GraphNode> = nodes
            .iter()
            .filter(|n| n.parent.as_deref() == Some(node.id.as_str()))
            .copied()
            .collect();
        // A trigger whose broker is not drawn here stands on its own, never vanishes.
        let parent_drawn = node
            .parent
            .as_deref()
            .is_some_and(|p| nodes.iter().any(|n| n.id == p));
        if !children.is_empty() {
            families.push((node, children));
        } else if !parent_drawn {
            loose.push(*node);
        }
    }
    (families, loose)
}

/// A DOT string: quotes and backslashes escaped, and control characters as text.
fn quote(text: &str) -> String {
    crate::text::escape(text)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

/// One node's DOT line.
fn dot_node(node: &GraphNode) -> String {
    let style = match node.shape {
        Shape::Broker => "shape=box3d, style=filled, fillcolor=\"#dbeafe\"",
        Shape::Trigger => "shape=cds, style=filled, fillcolor=\"#fef9c3\"",
        Shape::EventType => "shape=note, style=filled, fillcolor=\"#ede9fe\"",
        Shape::Source => "shape=invhouse, style=filled, fillcolor=\"#dcfce7\"",
        Shape::Channel => "shape=cylinder, style=filled, fillcolor=\"#e0f2fe\"",
        Shape::Subscription => "shape=cds, style=filled, fillcolor=\"#f1f5f9\"",
        Shape::Subscriber => "shape=box, style=rounded",
        Shape::Component => "shape=component, style=filled, fillcolor=\"#fce7f3\"",
        Shape::Denied => "shape=octagon, style=filled, color=\"#b91c1c\", fillcolor=\"#fee2e2\"",
        Shape::Failed => {
            "shape=octagon, style=\"filled,dashed\", color=\"#b45309\", fillcolor=\"#fef3c7\""
        }
    };
    format!("{} [label=\"{}\", {style}];", node.id, quote(&node.label))
}

pub fn dot(mesh: &Mesh) -> String {
    let graph = build(mesh);
    // Edge labels are smaller than node labels: they qualify an arrow, they are not the picture.
    let mut out = String::from(
        "digraph mesh {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n",
    );
    for (cluster, (namespace, nodes)) in by_namespace(&graph).into_iter().enumerate() {
        let indent = if namespace.is_empty() { "  " } else { "    " };
        if !namespace.is_empty() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{cluster} {{\n    label=\"{}\";",
                quote(namespace)
            );
        }
        let (families, loose) = families(&nodes);
        for (index, (broker, triggers)) in families.iter().enumerate() {
            let _ = writeln!(
                out,
                "{indent}subgraph cluster_{cluster}_{index} {{ label=\"\"; style=dashed; color=\"#94a3b8\";"
            );
            for node in std::iter::once(broker).chain(triggers) {
                let _ = writeln!(out, "{indent}  {}", dot_node(node));
            }
            let _ = writeln!(out, "{indent}}}");
        }
        for node in loose {
            let _ = writeln!(out, "{indent}{}", dot_node(node));
        }
        if !namespace.is_empty() {
            out.push_str("  }\n");
        }
    }
    for edge in &graph.edges {
        let mut attributes = Vec::new();
        if !edge.label.is_empty() {
            attributes.push(format!("label=\"{}\"", quote(&edge.label)));
        }
        if edge.dashed {
            attributes.push("style=dashed".into());
        }
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attributes.join(", "))
        };
        let _ = writeln!(out, "  {} -> {}{attributes};", edge.from, edge.to);
    }
    out.push_str("}\n");
    out
}

/// One node's Mermaid line, its text made safe by `label`.
fn mermaid_node(node: &GraphNode, label: &dyn Fn(&str) -> String) -> String {
    let text = label(&node.label);
    let shape = match node.shape {
        Shape::Broker => format!("[[\"{text}\"]]"),
        Shape::Trigger | Shape::Subscription => format!(">\"{text}\"]"),
        Shape::EventType => format!("[/\"{text}\"/]"),
        Shape::Source => format!("([\"{text}\"])"),
        Shape::Channel => format!("[(\"{text}\")]"),
        Shape::Subscriber => format!("(\"{text}\")"),
        Shape::Component => format!("[/\"{text}\"\\]"),
        Shape::Denied | Shape::Failed => format!("{{{{\"{text}\"}}}}"),
    };
    format!("{}{shape}", node.id)
}

pub fn mermaid(mesh: &Mesh) -> String {
    let graph = build(mesh);
    let mut out = String::from("flowchart LR\n");
    // Mermaid entity codes for what would end a label or a line; controls escaped as text.
    let label = |text: &str| {
        crate::text::escape(text)
            .replace('#', "#35;")
            .replace('"', "#quot;")
            .replace('|', "#124;")
            .replace('<', "#lt;")
            .replace('>', "#gt;")
    };
    // Subgraph ids, unique as node ids are: `a-b` and `a_b` read alike.
    let mut subgraphs = std::collections::HashSet::new();
    let mut family = 0;
    for (namespace, nodes) in by_namespace(&graph) {
        let indent = if namespace.is_empty() { "  " } else { "    " };
        if !namespace.is_empty() {
            let readable = format!(
                "ns_{}",
                readable_id("", "", namespace).trim_start_matches('_')
            );
            let mut subgraph = readable.clone();
            let mut suffix = 2;
            while !subgraphs.insert(subgraph.clone()) {
                subgraph = format!("{readable}_{suffix}");
                suffix += 1;
            }
            let _ = writeln!(out, "  subgraph {subgraph}[\"{}\"]", label(namespace));
        }
        let (families, loose) = families(&nodes);
        for (broker, triggers) in &families {
            // Readable node ids always hold underscores: `famN` cannot be one of them.
            family += 1;
            let _ = writeln!(out, "{indent}subgraph fam{family}[\" \"]");
            for node in std::iter::once(broker).chain(triggers) {
                let _ = writeln!(out, "{indent}  {}", mermaid_node(node, &label));
            }
            let _ = writeln!(out, "{indent}end");
        }
        for node in loose {
            let _ = writeln!(out, "{indent}{}", mermaid_node(node, &label));
        }
        if !namespace.is_empty() {
            out.push_str("  end\n");
        }
    }
    for edge in &graph.edges {
        let text = label(&edge.label);
        let arrow = match (edge.dashed, text.is_empty()) {
            (false, true) => "-->".to_string(),
            (false, false) => format!("-->|{text}|"),
            (true, true) => "-.->".to_string(),
            (true, false) => format!("-.->|{text}|"),
        };
        let _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to);
    }
    for (shape, class, style) in [
        (
            Shape::Denied,
            "denied",
            "fill:#fee2e2,stroke:#b91c1c,color:#7f1d1d",
        ),
        (
            Shape::Failed,
            "failed",
            "fill:#fef3c7,stroke:#b45309,stroke-dasharray:4,color:#78350f",
        ),
    ] {
        let members: Vec<&str> = graph
            .nodes
            .values()
            .filter(|n| n.shape == shape)
            .map(|n| n.id.as_str())
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  classDef {class} {style}");
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
    }
    out
}
