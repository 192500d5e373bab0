//! The detail pane's relations: a flow's or sink's own lines, delivery (dead-letter sink and
//! retries), and every object that points at the selected one.

use super::lines::{conditions, field, heading, labels_and_annotations, link};
use crate::mesh::model::{Delivery, Mesh};
use crate::mesh::objects::Status;
use crate::mesh::views::{Target, retry_text};
use ratatui::text::Line;

pub(super) fn component_lines(mesh: &Mesh, index: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.components.get(index) else {
        return out;
    };
    let object = &node.object;
    out.push(heading(&format!("{} {}", object.kind, object.key())));
    out.push(field("Kind of", node.component.family()));
    if let Some(url) = object.status.address.as_ref().and_then(|a| a.url.clone()) {
        out.push(field("Address", url));
    }
    for fact in &node.facts {
        out.push(field(&capitalized(&fact.name), fact.value.clone()));
    }
    for relation in &node.relations {
        link(&capitalized(&relation.label), &relation.link, &mut out);
        delivery_lines(relation.delivery.as_ref(), &mut out);
    }
    for key in &node.owned_channels {
        out.push(field("Internal channel", key.name.clone()));
    }
    for key in &node.owned_subscriptions {
        out.push(field("Internal subscription", key.name.clone()));
    }
    applied_policies_lines(&object.status, &mut out);
    conditions(&object.status, &mut out);
    labels_and_annotations(&object.metadata, &mut out);
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The dead-letter sink (and where it is inherited from), the address the controller resolved
/// for it, and the retry policy.
pub(super) fn delivery_lines(delivery: Option<&Delivery>, out: &mut Vec<Line<'static>>) {
    let Some(delivery) = delivery else {
        return;
    };
    if let Some(dls) = &delivery.dead_letter_sink {
        let label = match &delivery.dead_letter_sink_from {
            Some(from) => format!(
                "Dead letter sink (from {} {})",
                from.kind.to_lowercase(),
                from.key
            ),
            None => "Dead letter sink".to_string(),
        };
        link(&label, dls, out);
    }
    if let Some(uri) = &delivery.dead_letter_sink_uri {
        out.push(field("Dead letter URI", uri.clone()));
    }
    let retry = retry_text(delivery);
    if !retry.is_empty() {
        out.push(field("Delivery", retry));
    }
}

/// Every object whose subscriber, reply, sink, dead-letter sink, step or branch names this one.
pub(super) fn pointed_at_by_lines(mesh: &Mesh, target: &Target, out: &mut Vec<Line<'static>>) {
    let referrers = crate::mesh::referrers::pointed_at_by(mesh, target);
    if referrers.is_empty() {
        return;
    }
    out.push(heading("Pointed at by"));
    for (what, _) in referrers {
        out.push(Line::from(format!("  {what}")));
    }
}

/// `status.policies`: the EventPolicies that apply to an addressable, as its controller lists
/// them (only Ready ones).
pub(super) fn applied_policies_lines(status: &Status, out: &mut Vec<Line<'static>>) {
    let names: Vec<String> = status
        .extra
        .get("policies")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
        .map(str::to_string)
        .collect();
    if !names.is_empty() {
        out.push(field("Event policies", names.join(", ")));
    }
}
