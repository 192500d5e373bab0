//! `kn-mesh trace`: every place one event goes. From a broker through each trigger whose filter
//! passes (or may), to its subscriber, into flows, channels and their subscriptions, with the
//! dead-letter sink that takes the event when delivery fails. Replies are new events whose
//! attributes are not known, so filters after one are "maybe".

use super::authorization::DecidedBy;
use super::filter::{self, Outcome};
use super::model::*;
use super::objects::{KReference, ObjectKey};
use super::snapshot::Role;
use super::views::{NodeKind, NodeStatus, TreeNode};
use crate::cesql::{Attributes, Lookup};
use checks::{Checks, made_subscription};
use serde::Serialize;
use std::collections::BTreeMap;

mod checks;

/// Where the event enters.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Broker(ObjectKey),
    Channel(ObjectKey),
    /// A source (by kind, case-insensitive): the event goes to its sink.
    Source {
        kind: String,
        key: ObjectKey,
    },
    /// Every broker in the mesh.
    Brokers,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Whether the hop before may deliver here, where a receiver checks it (OIDC on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
}

/// A receiver's answer to the sender before it (`kn-mesh can-send`'s verdict, in short).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    pub allowed: Option<bool>,
    pub decided_by: DecidedBy,
}

/// A hop a receiver refuses: 403 at its ingress, and the path ends there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forbidden {
    pub sender: Hop,
    pub receiver: Hop,
    pub decided_by: DecidedBy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Subscriber {
    Object(Hop),
    Uri { uri: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Delivered,
    Maybe,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub subscriber: Subscriber,
    pub via: Vec<Hop>,
    pub verdict: Verdict,
    /// Whether the last hop may deliver to the subscriber, where the subscriber checks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub trigger: Named,
    pub clause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Trace {
    pub deliveries: Vec<Delivery>,
    pub rejected: Vec<Rejected>,
    /// Hops a receiver refuses with 403 (EventPolicy, or the default authorization mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forbidden: Vec<Forbidden>,
    /// What could not be read or followed where the path met it (denied or failed lists,
    /// undecodable objects, paths cut short): the event may also go there.
    pub unread: Vec<String>,
    #[serde(skip)]
    pub tree: Vec<TreeNode>,
    /// What became of each trigger the path met, with the clause that decided it: the TUI marks
    /// them in place.
    #[serde(skip)]
    pub triggers: BTreeMap<ObjectKey, (Mark, String)>,
}

/// A trigger's part in a trace. Ordered so that, met on several paths, its best part counts:
/// a trigger that passes the event itself and may pass a reply passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Fails,
    /// Its filter cannot be decided, or it passes an event that may not exist (a reply).
    Maybe,
    Passes,
}

/// The trace fails when the entry is not in the mesh.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TraceError(pub String);

/// An event after a reply or a transform: nothing is known but the required attributes.
struct Reply;

impl Attributes for Reply {
    fn lookup(&self, name: &str) -> Lookup {
        match name {
            "id" | "specversion" | "source" | "type" => Lookup::Present,
            _ => Lookup::Unknown,
        }
    }
}

/// How far a path goes before it is cut, beyond cycle detection.
const MAX_HOPS: usize = 32;

pub fn trace(mesh: &Mesh, event: &dyn Attributes, entry: &Entry) -> Result<Trace, TraceError> {
    if mesh.reduced {
        return Err(TraceError(
            "the eventmesh backend sends no triggers, so there is nothing to trace; read the \
             cluster or the manifests instead"
                .into(),
        ));
    }
    let (checks, not_checked) = Checks::of(mesh);
    let mut walker = Walker {
        mesh,
        trace: Trace::default(),
        checks,
    };
    let path = Path {
        hops: Vec::new(),
        event,
        certain: true,
        authorization: None,
        sender: None,
    };
    let mut roots = match entry {
        Entry::Brokers => {
            // Brokers that could not be read may take the event too.
            let mut roots: Vec<TreeNode> = mesh
                .namespaces
                .iter()
                .flat_map(|ns| walker.unread(Role::Broker, ns))
                .collect();
            for broker in &mesh.brokers {
                roots.push(walker.broker(&broker.object.key(), &path));
            }
            if roots.is_empty() {
                roots.push(TreeNode::new(NodeKind::Note, "(no brokers)"));
            }
            roots
        }
        Entry::Broker(key) => match mesh.broker(key) {
            Some(_) => vec![walker.broker(key, &path)],
            None => walker.missing(Role::Broker, "broker", key)?,
        },
        Entry::Channel(key) => match mesh.channel(key) {
            Some(_) => vec![walker.channel(key, &path)],
            None => walker.missing(Role::Channel, "channel", key)?,
        },
        Entry::Source { kind, key } => {
            let found = mesh
                .sources
                .iter()
                .find(|s| s.object.kind.eq_ignore_ascii_case(kind) && s.object.key() == *key);
            match found {
                Some(source) => {
                    let hop = hop(&source.object.kind, key);
                    let next = path.then(hop.clone(), true);
                    let sink = walker.destination("sink", &source.sink, &next);
                    let text = format!("{} {key}", hop.kind);
                    vec![TreeNode::new(NodeKind::Source, text).children(vec![sink])]
                }
                None => walker.missing(Role::Source, kind, key)?,
            }
        }
    };
    if let Some(note) = not_checked {
        roots.insert(0, TreeNode::new(NodeKind::Note, note));
    }
    walker.trace.tree = roots;
    Ok(walker.trace)
}

fn hop(kind: &str, key: &ObjectKey) -> Hop {
    Hop {
        kind: kind.to_string(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        authorization: None,
    }
}

impl Hop {
    /// The same object, whatever was found of its authorization.
    fn same(&self, other: &Hop) -> bool {
        (&self.kind, &self.namespace, &self.name) == (&other.kind, &other.namespace, &other.name)
    }
}

#[derive(Clone)]
struct Path<'e> {
    hops: Vec<Hop>,
    event: &'e dyn Attributes,
    /// Every filter on the way passed for certain.
    certain: bool,
    /// The receiver's answer to the last hop, for the hop the receiver becomes.
    authorization: Option<Authorization>,
    /// Who sends the next hop when it is not the last hop itself: a Sequence's step or a
    /// Parallel's branch is sent by the subscription its controller made for it.
    sender: Option<Hop>,
}

impl<'e> Path<'e> {
    fn then(&self, mut hop: Hop, certain: bool) -> Path<'e> {
        let mut hops = self.hops.clone();
        hop.authorization = self.authorization.clone();
        hops.push(hop);
        Path {
            hops,
            event: self.event,
            certain: self.certain && certain,
            authorization: None,
            sender: None,
        }
    }

    /// The same path, carrying a reply: a new event, which exists only if the replier
    /// answers with one, so what follows is "maybe".
    fn replied(&self) -> Path<'e> {
        Path {
            hops: self.hops.clone(),
            event: &Reply,
            certain: false,
            authorization: None,
            sender: self.sender.clone(),
        }
    }

    fn cycle(&self, next: &Hop) -> bool {
        self.hops.iter().any(|hop| hop.same(next))
    }

    fn too_long(&self) -> bool {
        self.hops.len() >= MAX_HOPS
    }
}

struct Walker<'m> {
    mesh: &'m Mesh,
    trace: Trace,
    checks: Checks,
}

impl Walker<'_> {
    /// An entry that is not in the mesh: unread where its kind could not be read (the event
    /// may go on from there), else not there at all.
    fn missing(
        &mut self,
        role: Role,
        kind: &str,
        key: &ObjectKey,
    ) -> Result<Vec<TreeNode>, TraceError> {
        let unread = self.unread(role, &key.namespace);
        if unread.is_empty() {
            return Err(TraceError(format!("no {kind} {key} in the mesh")));
        }
        let text =
            format!("{kind} {key} could not be read: where the event goes from it is not known");
        Ok(vec![TreeNode::new(NodeKind::Note, text).children(unread)])
    }

    /// What of a role could not be read in a namespace, placed and remembered.
    fn unread(&mut self, role: Role, namespace: &str) -> Vec<TreeNode> {
        let nodes = super::views::unread(self.mesh, role, namespace);
        self.trace
            .unread
            .extend(nodes.iter().map(|n| n.text.clone()));
        nodes
    }

    /// Where a path stops before `next`: a cycle back to it, or a path too long to follow.
    fn stop(&mut self, path: &Path, next: &Hop) -> Option<TreeNode> {
        let text = if path.cycle(next) {
            format!(
                "↺ back to {} {}/{}: a cycle, not followed again",
                next.kind, next.namespace, next.name
            )
        } else if path.too_long() {
            let text = format!("… {MAX_HOPS} hops: the path is not followed further");
            self.trace.unread.push(text.clone());
            text
        } else {
            return None;
        };
        Some(TreeNode::new(NodeKind::Note, text))
    }

    fn broker(&mut self, key: &ObjectKey, path: &Path) -> TreeNode {
        let here = hop("Broker", key);
        if let Some(stop) = self.stop(path, &here) {
            return stop;
        }
        let Some(broker) = self.mesh.broker(key) else {
            return TreeNode::new(NodeKind::Broker, format!("broker {key} (not in the mesh)"))
                .status(NodeStatus::NotFound);
        };
        let path = path.then(here, true);
        // Triggers that could not be read may take the event too: shown in their place.
        let mut children = self.unread(Role::Trigger, &key.namespace);
        let unread = !children.is_empty();
        for trigger_key in &broker.triggers {
            if let Some(trigger) = self.mesh.trigger(trigger_key) {
                children.push(self.trigger(trigger, broker.object.class(), &path));
            }
        }
        if broker.triggers.is_empty() && !unread {
            children.push(TreeNode::new(
                NodeKind::Note,
                "no triggers: the event goes nowhere",
            ));
        }
        TreeNode::new(
            NodeKind::Broker,
            format!("broker {key}  [{}]", broker.object.class()),
        )
        .children(children)
    }

    fn trigger(&mut self, node: &TriggerNode, class: &str, path: &Path) -> TreeNode {
        let trigger = &node.object;
        let mut outcome = filter::evaluate_on_broker(&trigger.spec, path.event, Some(class));
        // A trigger that is not Ready may have no subscription to deliver through.
        if outcome.outcome == Outcome::Match
            && trigger.status.ready() == super::objects::Readiness::NotReady
        {
            let why = trigger.status.condition("Ready");
            let why = why.and_then(|c| c.message.as_deref().or(c.reason.as_deref()));
            outcome = filter::FilterOutcome::unknown(format!(
                "its filter passes, but the trigger is not Ready ({}): it may not deliver",
                why.unwrap_or("no reason given")
            ));
        }
        let name = trigger.name();
        let caveats = filter::caveats(&trigger.spec, Some(class));
        let caveats: Vec<TreeNode> = caveats
            .into_iter()
            .map(|caveat| TreeNode::new(NodeKind::Note, format!("⚑ {caveat}")))
            .collect();
        let mark = match outcome.outcome {
            Outcome::NoMatch => Mark::Fails,
            Outcome::Match if path.certain => Mark::Passes,
            Outcome::Match | Outcome::Unknown => Mark::Maybe,
        };
        let reason = match (mark, outcome.outcome) {
            (Mark::Maybe, Outcome::Match) => {
                "its filter passes the event, but the way here is not certain: the event may \
                 not reach it"
                    .to_string()
            }
            _ => outcome.reason.clone(),
        };
        let kept = self.trace.triggers.entry(trigger.key());
        let kept = kept.or_insert((mark, reason.clone()));
        if mark > kept.0 {
            *kept = (mark, reason);
        }
        match outcome.outcome {
            Outcome::NoMatch => {
                self.trace.rejected.push(Rejected {
                    trigger: Named {
                        namespace: trigger.namespace().to_string(),
                        name: name.to_string(),
                    },
                    clause: outcome.reason.clone(),
                });
                let text = format!("✗ trigger {name} rejects it: {}", outcome.reason);
                TreeNode::new(NodeKind::Trigger, text).children(caveats)
            }
            Outcome::Match | Outcome::Unknown => {
                let certain = outcome.outcome == Outcome::Match;
                let text = if certain {
                    format!("✓ trigger {name} passes it")
                } else {
                    format!("? trigger {name} may pass it: {}", outcome.reason)
                };
                let next = path.then(hop("Trigger", &trigger.key()), certain);
                let mut children = caveats;
                children.push(self.destination("subscriber", &node.subscriber, &next));
                children.extend(self.dead_letter(node.delivery.as_ref(), Some(&next)));
                children.push(self.reply_into_broker(&trigger.broker_key(), &next));
                TreeNode::new(NodeKind::Trigger, text).children(children)
            }
        }
    }

    fn channel(&mut self, key: &ObjectKey, path: &Path) -> TreeNode {
        let Some(channel) = self.mesh.channel(key) else {
            return TreeNode::new(
                NodeKind::Channel,
                format!("channel {key} (not in the mesh)"),
            )
            .status(NodeStatus::NotFound);
        };
        let here = hop(&channel.object.kind, key);
        if let Some(stop) = self.stop(path, &here) {
            return stop;
        }
        let path = path.then(here, true);
        let mut children = self.unread(Role::Subscription, &key.namespace);
        let unread = !children.is_empty();
        for sub_key in &channel.subscriptions {
            let Some(subscription) = self.mesh.subscription(sub_key) else {
                continue;
            };
            let next = path.then(hop("Subscription", sub_key), true);
            let mut rows = vec![self.destination("subscriber", &subscription.subscriber, &next)];
            if let Some(reply) = &subscription.reply {
                rows.push(self.destination("reply", reply, &next.replied()));
            }
            rows.extend(self.dead_letter(subscription.delivery.as_ref(), Some(&next)));
            children.push(
                TreeNode::new(
                    NodeKind::Subscription,
                    format!("subscription {}", sub_key.name),
                )
                .children(rows),
            );
        }
        if channel.subscriptions.is_empty() && !unread {
            children.push(TreeNode::new(
                NodeKind::Note,
                "no subscriptions: the event goes nowhere",
            ));
        }
        TreeNode::new(NodeKind::Channel, format!("{} {key}", channel.object.kind))
            .children(children)
    }

    /// Where a link leads: into a broker, channel or flow, or to a subscriber that receives it.
    fn destination(&mut self, label: &str, link: &SubscriberLink, path: &Path) -> TreeNode {
        let (text, status) = super::views::subscriber_text(link);
        let node = TreeNode::new(NodeKind::Subscriber, format!("{label}: {text}")).status(status);
        let Some(reference) = &link.reference else {
            if let Some(uri) = &link.uri {
                self.deliver(Subscriber::Uri { uri: uri.clone() }, path);
            }
            return node;
        };
        let key = ObjectKey::new(&reference.namespace, &reference.name);
        match link.resolution {
            Resolution::Found { .. } | Resolution::UriOnly | Resolution::Missing => {}
            // A ref that does not resolve has no address: delivery fails (a `uri` beside it is
            // a path on the ref's address, not an address of its own).
            Resolution::NotFound => return node,
            // Whether it exists cannot be told: the event may be delivered.
            Resolution::Forbidden { .. } | Resolution::Failed { .. } => {
                let mut unsure = path.clone();
                unsure.certain = false;
                self.deliver(Subscriber::Object(hop(&reference.kind, &key)), &unsure);
                return node;
            }
        }
        let checked = self.authorize(path, reference, &key);
        let mut notes = Vec::new();
        let path = &mut path.clone();
        if let Some((authorization, note)) = checked {
            let refused = authorization.allowed == Some(false);
            path.certain &= authorization.allowed == Some(true);
            path.authorization = Some(authorization);
            notes.push(note);
            if refused {
                return node.children(notes);
            }
        }
        let mut node = match (reference.group(), reference.kind.as_str()) {
            ("eventing.knative.dev", "Broker") => node.children(vec![self.broker(&key, path)]),
            _ if self
                .mesh
                .channel(&key)
                .is_some_and(|c| c.object.kind == reference.kind) =>
            {
                node.children(vec![self.channel(&key, path)])
            }
            _ => match self.mesh.component_at(reference) {
                Some(index) => {
                    let children = self.component(index, reference, path);
                    node.children(children)
                }
                None => {
                    self.deliver(Subscriber::Object(hop(&reference.kind, &key)), path);
                    node
                }
            },
        };
        notes.append(&mut node.children);
        node.children(notes)
    }

    /// A flow, transform or sink: it receives the event, and what it sends on is a reply.
    fn component(&mut self, index: usize, reference: &KReference, path: &Path) -> Vec<TreeNode> {
        let key = ObjectKey::new(&reference.namespace, &reference.name);
        let here = hop(&reference.kind, &key);
        if let Some(stop) = self.stop(path, &here) {
            return vec![stop];
        }
        let component = &self.mesh.components[index];
        // A flow passes the event on to its steps or branches; a sink or transform receives it.
        let flow = matches!(
            component.component,
            super::components::ComponentKind::Sequence | super::components::ComponentKind::Parallel
        );
        if !flow {
            self.deliver(Subscriber::Object(here.clone()), path);
        }
        let path = path.then(here, true);
        let mut out = Vec::new();
        let mut first_step = true;
        let mut step = 0;
        for relation in &component.relations {
            use super::components::RelationRole as R;
            let made = made_subscription(&key, relation, &mut step);
            let mut carried = match relation.role {
                // The first step gets the event itself; every later hop gets a reply.
                R::Step if first_step => {
                    first_step = false;
                    path.clone()
                }
                R::Step | R::Reply | R::Sink => path.replied(),
                // A Parallel's branch filter is a service that answers; its subscriber gets
                // the event when the filter accepts, which kn-mesh cannot know.
                R::Subscriber => {
                    let branch = relation.label.strip_suffix(" subscriber");
                    let filtered = component
                        .relations
                        .iter()
                        .any(|r| r.role == R::Filter && r.label.strip_suffix(" filter") == branch);
                    let mut maybe = path.clone();
                    maybe.certain = path.certain && !filtered;
                    maybe
                }
                R::Filter => path.clone(),
                R::Broker | R::To | R::From => continue,
            };
            carried.sender =
                made.map(|name| hop("Subscription", &ObjectKey::new(&key.namespace, &name)));
            out.push(self.destination(&relation.label, &relation.link, &carried));
            // A step's or branch's dead letters are sent by its own subscription.
            let sender = carried.sender.is_some().then_some(&carried);
            out.extend(self.dead_letter(relation.delivery.as_ref(), sender));
        }
        out
    }

    fn deliver(&mut self, subscriber: Subscriber, path: &Path) {
        let verdict = if path.certain {
            Verdict::Delivered
        } else {
            Verdict::Maybe
        };
        self.trace.deliveries.push(Delivery {
            subscriber,
            via: path.hops.clone(),
            verdict,
            authorization: path.authorization.clone(),
        });
    }
}
