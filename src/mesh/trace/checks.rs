//! Delivery authorization on a trace's hops: with OIDC on, a receiver that checks senders
//! answers the hop before it, as `kn-mesh can-send` would (DESIGN.md §6). Also who sends what
//! a path does not name: a trigger's reply, a dead letter, a flow's step or branch.

use super::{Authorization, Forbidden, Path, Walker, hop};
use crate::mesh::Mesh;
use crate::mesh::authorization::{self, DecidedBy};
use crate::mesh::objects::{KReference, ObjectKey};
use crate::mesh::views::{NodeKind, NodeStatus, TreeNode};

/// Whether receivers check who sends (DESIGN.md §6).
pub(super) enum Checks {
    /// OIDC is off, or nothing read says whether it is on (manifests without the flags).
    Off,
    On,
    /// The flags could not be read: every checking receiver's answer is unknown.
    Unknown(String),
}

impl Checks {
    /// What the mesh says of the flags, and a note for the top of the trace when nothing does.
    pub(super) fn of(mesh: &Mesh) -> (Self, Option<String>) {
        match authorization::features(mesh) {
            Ok(features) if features.oidc => (Checks::On, None),
            Ok(_) => (Checks::Off, None),
            Err(why) if !authorization::features_asked(mesh) => (
                Checks::Off,
                Some(format!("delivery authorization is not checked: {why}")),
            ),
            Err(why) => (Checks::Unknown(why), None),
        }
    }
}

/// What decided an authorization, in words.
fn decided_text(decided_by: &DecidedBy) -> String {
    match decided_by {
        DecidedBy::Policy(policy) => format!("EventPolicy {policy}"),
        DecidedBy::DefaultMode(mode) => format!("default-authorization-mode {mode}"),
        DecidedBy::OidcDisabled(_) => "OIDC is off".into(),
        DecidedBy::NotEnforced(why) | DecidedBy::Unknown(why) => why.clone(),
    }
}

impl Walker<'_> {
    /// Whether the path's last hop may deliver to a receiver that checks, with the line that
    /// says so. None where nothing is checked: OIDC off, or a receiver that checks no one.
    pub(super) fn authorize(
        &mut self,
        path: &Path,
        reference: &KReference,
        key: &ObjectKey,
    ) -> Option<(Authorization, TreeNode)> {
        if matches!(self.checks, Checks::Off) {
            return None;
        }
        let found = authorization::policies::find_receiver(
            self.mesh,
            &reference.kind,
            &key.namespace,
            &key.name,
        );
        let (receiver, rule) = found.filter(|(_, rule)| rule.is_ok())?;
        let sender = path.sender.as_ref().or(path.hops.last())?;
        let verdict = match &self.checks {
            Checks::Unknown(why) => authorization::Verdict::unknown(why.clone()),
            _ => {
                let (kind, namespace, name) = (&sender.kind, &sender.namespace, &sender.name);
                // A subscription a flow's controller made is named, not read.
                let subject =
                    match authorization::identity::sender_named(self.mesh, kind, namespace, name) {
                        Ok(found) => Ok(found.subject),
                        Err(_) if path.sender.is_some() => {
                            authorization::identity::subject_from_name(kind, namespace, name)
                        }
                        Err(authorization::identity::NoSubject::NotFound(why))
                        | Err(authorization::identity::NoSubject::Unknown(why)) => Err(why),
                    };
                match subject {
                    Ok(subject) => authorization::can_send(
                        self.mesh,
                        &subject,
                        &receiver,
                        rule,
                        Some(path.event),
                    ),
                    Err(why) => authorization::Verdict::unknown(why),
                }
            }
        };
        let decided = decided_text(&verdict.decided_by);
        let target = format!("{} {key}", reference.kind);
        let node = match verdict.allowed {
            Some(true) => TreeNode::new(
                NodeKind::Note,
                format!("may deliver to {target}: {decided}"),
            ),
            Some(false) => {
                self.trace.forbidden.push(Forbidden {
                    sender: sender.clone(),
                    receiver: hop(&reference.kind, key),
                    decided_by: verdict.decided_by.clone(),
                });
                TreeNode::new(
                    NodeKind::Note,
                    format!("403 at the ingress of {target}: {decided}"),
                )
                .status(NodeStatus::Forbidden)
            }
            None => {
                let why = verdict.depends_on.clone().unwrap_or(decided);
                if matches!(verdict.decided_by, DecidedBy::Unknown(_)) {
                    self.trace
                        .unread
                        .push(format!("whether {target} takes it: {why}"));
                }
                TreeNode::new(NodeKind::Note, format!("? {target} may refuse it: {why}"))
            }
        };
        let authorization = Authorization {
            allowed: verdict.allowed,
            decided_by: verdict.decided_by,
        };
        Some((authorization, node))
    }

    /// The dead-letter sink that takes the event when delivery fails: a branch, not a place
    /// the event goes.
    /// With the path that fails, whether its last hop may send the dead letter there.
    pub(super) fn dead_letter(
        &mut self,
        delivery: Option<&crate::mesh::model::Delivery>,
        path: Option<&Path>,
    ) -> Option<TreeNode> {
        let delivery = delivery?;
        let sink = delivery.dead_letter_sink.as_ref()?;
        let retry = crate::mesh::views::retry_text(delivery);
        let (text, status) = crate::mesh::views::subscriber_text(sink);
        let text = format!("if delivery fails ({retry}): dead letter {text}");
        let checked = match (path, &sink.reference) {
            (Some(path), Some(reference)) => {
                let key = ObjectKey::new(&reference.namespace, &reference.name);
                self.authorize(path, reference, &key)
            }
            _ => None,
        };
        let node = TreeNode::new(NodeKind::DeadLetter, text).status(status);
        Some(node.children(checked.into_iter().map(|(_, note)| note).collect()))
    }

    /// A trigger's subscriber answers with a reply: a new event back into the broker, sent as
    /// the trigger, so the broker checks the trigger.
    pub(super) fn reply_into_broker(&mut self, broker: &ObjectKey, path: &Path) -> TreeNode {
        let reference = KReference {
            api_version: "eventing.knative.dev/v1".into(),
            kind: "Broker".into(),
            name: broker.name.clone(),
            namespace: broker.namespace.clone(),
            ..KReference::default()
        };
        let checked = self.authorize(path, &reference, broker);
        let text = format!("its reply goes back into broker {broker} as a new event");
        TreeNode::new(NodeKind::Reply, text)
            .children(checked.into_iter().map(|(_, note)| note).collect())
    }
}

/// The subscription a flow's controller makes to carry a relation: `<seq>-kn-sequence-<i>`
/// for a Sequence's step i, `<p>-kn-parallel-<i>` and `<p>-kn-parallel-filter-<i>` for a
/// Parallel's branch. The Sequence's reply goes from its last step's.
pub(super) fn made_subscription(
    flow: &ObjectKey,
    relation: &crate::mesh::model::Relation,
    step: &mut usize,
) -> Option<String> {
    use crate::mesh::components::RelationRole as R;
    let name = &flow.name;
    match relation.role {
        R::Step => {
            *step += 1;
            Some(format!("{name}-kn-sequence-{}", *step - 1))
        }
        R::Reply if *step > 0 => Some(format!("{name}-kn-sequence-{}", *step - 1)),
        R::Subscriber | R::Filter => {
            let branch: usize = relation
                .field
                .strip_prefix("spec.branches[")?
                .split(']')
                .next()?
                .parse()
                .ok()?;
            let part = if relation.role == R::Filter {
                "filter-"
            } else {
                ""
            };
            Some(format!("{name}-kn-parallel-{part}{branch}"))
        }
        _ => None,
    }
}
