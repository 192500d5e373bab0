//! Delivery authorization in the trees: who may send to each receiver, and whether each sender
//! may deliver where it points (DESIGN.md §6). A refused delivery looks like an RBAC denial: 🔒.

use super::{NodeKind, NodeStatus, TreeNode};
use crate::mesh::authorization::{self, Admits, identity, policies};
use crate::mesh::model::{Mesh, SubscriberLink};

/// "who may send" for a receiver: the policies that decide with their subjects, or the default
/// mode, or why it cannot be told. None where nothing checks, or nothing read says.
pub(super) fn who_may_send(
    mesh: &Mesh,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<TreeNode> {
    let (receiver, rule) = policies::find_receiver(mesh, kind, namespace, name)?;
    // What is no receiver at all (an EventPolicy) has no senders; RequestReply is one that
    // checks no one, which is worth saying.
    if rule.is_err() && kind != "RequestReply" {
        return None;
    }
    let node = |text: String| TreeNode::new(NodeKind::Policy, format!("who may send: {text}"));
    Some(match authorization::admits(mesh, &receiver, rule) {
        Admits::NotKnown => return None,
        Admits::Anyone(why) => node(format!("anyone ({why})")),
        Admits::Unknown(why) => node(format!("cannot tell: {why}")).status(NodeStatus::Forbidden),
        Admits::DefaultMode {
            mode,
            who,
            left_out,
        } => {
            let ready = if left_out.is_empty() { "" } else { "Ready " };
            let left_out = left_out.into_iter().map(|(policy, why)| {
                TreeNode::new(
                    NodeKind::Policy,
                    format!("EventPolicy {policy} left out: {why}"),
                )
                .status(NodeStatus::NotReady)
            });
            node(format!(
                "{who} (default-authorization-mode {mode}: no {ready}EventPolicy applies)"
            ))
            .children(left_out.collect())
        }
        Admits::Policies { counted, left_out } => {
            let mut children: Vec<TreeNode> = counted
                .into_iter()
                .map(|(policy, subjects, filters)| {
                    let subjects = match subjects.is_empty() {
                        true => "no one (no subjects)".to_string(),
                        false => subjects.join(", "),
                    };
                    let filters = match filters.is_empty() {
                        true => String::new(),
                        false => format!("  [if {}]", filters.join(", ")),
                    };
                    TreeNode::new(
                        NodeKind::Policy,
                        format!("EventPolicy {policy}: {subjects}{filters}"),
                    )
                })
                .collect();
            let left_count = left_out.len();
            children.extend(left_out.into_iter().map(|(policy, why)| {
                TreeNode::new(
                    NodeKind::Policy,
                    format!("EventPolicy {policy} left out: {why}"),
                )
                .status(NodeStatus::NotReady)
            }));
            let count = match children.len() - left_count {
                1 => "1 EventPolicy decides".to_string(),
                n => format!("{n} EventPolicies decide"),
            };
            node(count).children(children)
        }
    })
}

/// How a sender sends to a destination: its events, its replies, or what failed delivery.
#[derive(Clone, Copy)]
pub(super) enum Sends {
    Events,
    Replies,
    DeadLetters,
}

/// "may deliver to" for a sender and one of its destinations, where the destination checks
/// senders: allowed, refused (🔒, 403) or not known, with what decided. The event is not known
/// here, so a policy's filters make it "depends".
pub(super) fn may_deliver(
    mesh: &Mesh,
    sender: (&str, &str, &str),
    link: &SubscriberLink,
    sends: Sends,
) -> Option<TreeNode> {
    let reference = link.reference.as_ref()?;
    let receiver = (
        reference.kind.as_str(),
        reference.namespace.as_str(),
        reference.name.as_str(),
    );
    may_deliver_to(mesh, sender, receiver, sends)
}

/// The same, for a receiver named by kind, namespace and name.
pub(super) fn may_deliver_to(
    mesh: &Mesh,
    (kind, namespace, name): (&str, &str, &str),
    (to_kind, to_namespace, to_name): (&str, &str, &str),
    sends: Sends,
) -> Option<TreeNode> {
    let found = policies::find_receiver(mesh, to_kind, to_namespace, to_name);
    let (receiver, rule) = found.filter(|(_, rule)| rule.is_ok())?;
    if !authorization::features_asked(mesh) {
        return None;
    }
    let sender = identity::find_sender(mesh, kind, namespace, name)?;
    let verdict = match identity::subject_of(&sender) {
        Ok(subject) => authorization::can_send(mesh, &subject, &receiver, rule, None),
        Err(why) => authorization::Verdict::unknown(why),
    };
    let (may, may_not) = match sends {
        Sends::Events => ("may deliver to", "may not deliver to"),
        Sends::Replies => ("may reply to", "may not reply to"),
        Sends::DeadLetters => ("may dead-letter to", "may not dead-letter to"),
    };
    let target = format!("{to_kind} {to_namespace}/{to_name}");
    let decided = match &verdict.decided_by {
        authorization::DecidedBy::Policy(policy) => format!("EventPolicy {policy}"),
        authorization::DecidedBy::DefaultMode(mode) => format!("default mode {mode}"),
        authorization::DecidedBy::OidcDisabled(_) => "OIDC is off".into(),
        authorization::DecidedBy::NotEnforced(why) | authorization::DecidedBy::Unknown(why) => {
            why.clone()
        }
    };
    Some(match verdict.allowed {
        Some(true) => TreeNode::new(NodeKind::Policy, format!("{may} {target}: {decided}")),
        Some(false) => TreeNode::new(
            NodeKind::Policy,
            format!("{may_not} {target}: 403, {decided}"),
        )
        .status(NodeStatus::Forbidden),
        None => {
            let why = verdict.depends_on.unwrap_or(decided);
            TreeNode::new(NodeKind::Policy, format!("{may} {target}? {why}"))
        }
    })
}

/// Where a sender's events, replies and dead letters go, as far as receivers check them.
pub(super) fn may_deliver_all(
    mesh: &Mesh,
    sender: (&str, &str, &str),
    links: &[(Option<&SubscriberLink>, Sends)],
) -> Vec<TreeNode> {
    links
        .iter()
        .filter_map(|(link, sends)| may_deliver(mesh, sender, (*link)?, *sends))
        .collect()
}

/// The Permissions view's delivery section: the flags, and the policies read, by namespace.
pub fn permissions_section(mesh: &Mesh) -> Option<TreeNode> {
    if !authorization::features_asked(mesh) {
        return None;
    }
    let mut children = Vec::new();
    match authorization::features(mesh) {
        Ok(features) => {
            let oidc = if features.oidc {
                "on"
            } else {
                "off: nothing is checked"
            };
            children.push(TreeNode::new(
                NodeKind::Note,
                format!("OIDC authentication: {oidc}"),
            ));
            let mode = match &features.mode {
                authorization::DefaultMode::Unrecognised(value) => format!(
                    "{value:?} (not a mode Knative knows: core allows all, Kafka denies all)"
                ),
                mode => mode.name().to_string(),
            };
            children.push(TreeNode::new(
                NodeKind::Note,
                format!("default-authorization-mode: {mode}"),
            ));
        }
        Err(why) => children.push(
            TreeNode::new(NodeKind::Note, format!("the flags: cannot tell: {why}"))
                .status(NodeStatus::Forbidden),
        ),
    }
    let policies: Vec<TreeNode> = mesh
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.component == crate::mesh::components::ComponentKind::EventPolicy)
        .map(|(index, c)| {
            TreeNode::new(NodeKind::Policy, format!("EventPolicy {}", c.object.key()))
                .target(super::Target::Component(index))
        })
        .collect();
    let title = format!("EventPolicies read ({})", policies.len());
    children.push(
        TreeNode::new(NodeKind::Note, title)
            .key("policies")
            .children(policies),
    );
    Some(
        TreeNode::new(NodeKind::Note, "Delivery authorization")
            .key("delivery")
            .children(children),
    )
}
