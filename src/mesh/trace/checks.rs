//! Delivery authorization on a trace's hops: with OIDC on, a receiver that checks senders
//! answers the hop before it, as `kn-mesh can-send` would (DESIGN.md §6).

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
}
