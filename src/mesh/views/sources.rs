//! The Sources view: each source with its sink (continued into a flow or sink it names), the
//! event types it emits, and a SinkBinding's subject.

use super::{NodeKind, Target, TreeNode, View, by_namespace, event_type_text, flows, with_ready};
use crate::mesh::model::Mesh;

pub(super) fn sources_tree(mesh: &Mesh) -> Vec<TreeNode> {
    by_namespace(mesh, View::Sources, |ns| {
        mesh.sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.object.namespace() == ns)
            .map(|(index, source)| {
                let object = &source.object;
                let (text, status) =
                    with_ready(format!("{} {}", object.kind, object.name()), &object.status);
                let emitted: Vec<TreeNode> = mesh
                    .event_types
                    .iter()
                    .filter(|et| {
                        et.producers
                            .iter()
                            .any(|p| p.kind == object.kind && p.key == object.key())
                    })
                    .map(|et| {
                        TreeNode::new(NodeKind::EventType, event_type_text(et))
                            .target(Target::EventType(et.object.key()))
                    })
                    .collect();
                // A SinkBinding's subject: what it injects the sink into.
                let subject = binding_subject(object)
                    .map(|subject| TreeNode::new(NodeKind::Note, format!("subject: {subject}")));
                let mut sink =
                    flows::destination_node(mesh, NodeKind::Sink, "sink", &source.sink, 0);
                // What it emits first, then whether it may deliver there, then where the sink
                // leads on.
                let sender = (object.kind.as_str(), object.namespace(), object.name());
                let allowed = super::delivery::may_deliver(
                    mesh,
                    sender,
                    &source.sink,
                    super::delivery::Sends::Events,
                );
                sink.children
                    .splice(0..0, emitted.into_iter().chain(allowed));
                TreeNode::new(NodeKind::Source, text)
                    .status(status)
                    .target(Target::Source(index))
                    .key(format!("{} {}", object.kind, object.key()))
                    .children(subject.into_iter().chain([sink]).collect())
            })
            .collect()
    })
}

/// `spec.subject` of a binding (SinkBinding): "Deployment web", or "Job objects labelled app=web"
/// when it selects by labels.
fn binding_subject(source: &crate::mesh::objects::Source) -> Option<String> {
    let subject = source.spec.extra.get("subject")?;
    let text = |key: &str| subject.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let kind = text("kind");
    if !text("name").is_empty() {
        let namespace = match text("namespace") {
            "" => String::new(),
            other if other == source.namespace() => String::new(),
            other => format!("{other}/"),
        };
        return Some(format!("{kind} {namespace}{}", text("name")));
    }
    let labels = subject
        .get("selector")
        .map(crate::mesh::components::match_labels_text)
        .unwrap_or_default();
    Some(format!("{kind} objects labelled {labels}"))
}
