//! EventPolicies as a receiver sees them: which apply to it (`spec.to`), whether they are Ready,
//! and the subjects they admit (`status.from`, or what the controller would resolve from
//! `spec.from` when there is no status, as in manifests). Research eventpolicy.md §1–§3.

use super::identity;
use crate::mesh::Mesh;
use crate::mesh::components::ComponentKind;
use crate::mesh::objects::{ObjectKey, ObjectMeta, Readiness, SubscriptionsApiFilter, group_of};
use serde_json::Value;

/// One EventPolicy, read for a decision.
pub struct Policy {
    pub key: ObjectKey,
    /// Ready as the controller would have it: only Ready policies are in a receiver's
    /// `status.policies`. Why not, when not.
    pub ready: Result<(), String>,
    pub subjects: Vec<String>,
    /// `spec.filters`, or why they cannot be read (then what the policy allows is not known).
    pub filters: Result<Vec<SubscriptionsApiFilter>, String>,
    /// Whether it applies to the receiver, labels and all, as the controllers match it.
    pub with_labels: bool,
    /// Whether it applies as the auth-proxy sees the receiver: with no labels, so a selector
    /// counts only if it selects an object that has none.
    pub at_proxy: bool,
}

/// What a receiver is to a policy's `to`: its group, kind, name and labels.
pub struct Receiver<'m> {
    pub group: &'m str,
    pub kind: &'m str,
    pub namespace: &'m str,
    pub name: &'m str,
    pub meta: &'m ObjectMeta,
    /// Where a Channel, Sequence or Parallel is enforced: its backing channel, whose own
    /// policies apply beside the copies of the parent's.
    pub backing: Option<Backing<'m>>,
}

/// The channel a Channel, Sequence or Parallel is backed by: group, kind, name, and its
/// labels when the mesh holds it.
pub struct Backing<'m> {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub meta: Option<&'m ObjectMeta>,
}

/// The policies in the receiver's namespace that apply to it, by name, Ready or not, as the
/// controllers match them or as the auth-proxy does.
pub fn applying(mesh: &Mesh, receiver: &Receiver) -> Vec<Policy> {
    let mut out: Vec<Policy> = mesh
        .components
        .iter()
        .filter(|c| c.component == ComponentKind::EventPolicy)
        .filter(|c| c.object.namespace() == receiver.namespace)
        .filter_map(|c| {
            let spec = &c.object.spec;
            let own = (receiver.group, receiver.kind, receiver.name, receiver.meta);
            let with_labels = applies(spec, own)
                || receiver.backing.as_ref().is_some_and(|b| {
                    let none = ObjectMeta::default();
                    let meta = b.meta.unwrap_or(&none);
                    applies(spec, (&b.group, &b.kind, &b.name, meta))
                });
            // The auth-proxy is not given the receiver's labels.
            let unlabelled = ObjectMeta::default();
            let bare = (receiver.group, receiver.kind, receiver.name, &unlabelled);
            let at_proxy = applies(spec, bare);
            (with_labels || at_proxy).then(|| Policy {
                with_labels,
                at_proxy,
                ..read(mesh, &c.object)
            })
        })
        .collect();
    out.sort_by(|a, b| a.key.name.cmp(&b.key.name));
    out
}

/// `GetEventPoliciesForResource`: an empty `to`, a `to.ref` naming the receiver (group, kind
/// and name, ignoring case and version), or a `to.selector` of its group and kind whose labels
/// match.
fn applies(
    spec: &crate::mesh::objects::Map,
    (group, kind, name, meta): (&str, &str, &str, &ObjectMeta),
) -> bool {
    let to = spec.get("to").and_then(Value::as_array);
    let Some(to) = to.filter(|t| !t.is_empty()) else {
        return true;
    };
    to.iter().any(|entry| {
        let same_type = |target: &Value| {
            let field = |name| target.get(name).and_then(Value::as_str).unwrap_or("");
            group_of(field("apiVersion")).eq_ignore_ascii_case(group)
                && field("kind").eq_ignore_ascii_case(kind)
        };
        if let Some(reference) = entry.get("ref") {
            return same_type(reference) && ref_name(reference).eq_ignore_ascii_case(name);
        }
        entry
            .get("selector")
            .is_some_and(|selector| same_type(selector) && selects(selector, meta))
    })
}

fn ref_name(reference: &Value) -> &str {
    reference.get("name").and_then(Value::as_str).unwrap_or("")
}

/// A label selector against an object's labels, as apimachinery matches one. A selector with
/// no label fields at all selects nothing; `matchLabels: {}` selects everything.
fn selects(selector: &Value, meta: &ObjectMeta) -> bool {
    let labels = meta.labels.clone().unwrap_or_default();
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    if match_labels.is_none() && expressions.is_none() {
        return false;
    }
    // A value that is not a string selects nothing (apimachinery would refuse it).
    let labels_match = match_labels.into_iter().flatten().all(|(key, value)| {
        value
            .as_str()
            .is_some_and(|value| labels.get(key).map(String::as_str) == Some(value))
    });
    let expressions_match = expressions.into_iter().flatten().all(|expression| {
        let key = expression.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = expression
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let value = labels.get(key).map(String::as_str);
        match expression.get("operator").and_then(Value::as_str) {
            Some("In") => value.is_some_and(|v| values.contains(&v)),
            Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
            Some("Exists") => value.is_some(),
            Some("DoesNotExist") => value.is_none(),
            // An operator apimachinery refuses makes the selector invalid: it selects nothing.
            _ => false,
        }
    });
    labels_match && expressions_match
}

/// A policy's readiness and subjects: from its status when the controller wrote one, else
/// worked out as the controller would (every `from.ref` must resolve to a sender with an
/// identity, or the policy is not Ready).
fn read(mesh: &Mesh, policy: &crate::mesh::components::Component) -> Policy {
    let spec = &policy.spec;
    let filters = match spec.get("filters") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(filters) => serde_json::from_value(filters.clone())
            .map_err(|e| format!("its spec.filters cannot be read: {e}")),
    };
    let (resolved, unresolved) = resolve_from(mesh, policy);
    let status_from: Vec<String> = policy
        .status
        .extra
        .get("from")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    let has_status = !policy.status.conditions.is_empty();
    let ready = if has_status {
        match policy.status.ready() {
            Readiness::Ready => Ok(()),
            _ => Err(not_ready_reason(policy)),
        }
    } else {
        match unresolved.first() {
            None => Ok(()),
            Some(why) => Err(why.clone()),
        }
    };
    Policy {
        key: policy.key(),
        ready,
        subjects: if has_status { status_from } else { resolved },
        filters,
        with_labels: true,
        at_proxy: true,
    }
}

fn not_ready_reason(policy: &crate::mesh::components::Component) -> String {
    let condition = policy.status.condition("Ready");
    let reason = condition.and_then(|c| c.reason.as_deref()).unwrap_or("");
    let message = condition.and_then(|c| c.message.as_deref()).unwrap_or("");
    match (reason, message) {
        ("", "") => "it is not Ready".to_string(),
        (reason, "") => format!("it is not Ready ({reason})"),
        (_, message) => format!("it is not Ready: {message}"),
    }
}

/// `spec.from` as subjects: a `sub` as it is, a `ref` as the sender's identity. What does not
/// resolve is said, since it keeps the policy from being Ready.
fn resolve_from(
    mesh: &Mesh,
    policy: &crate::mesh::components::Component,
) -> (Vec<String>, Vec<String>) {
    let (mut subjects, mut problems) = (Vec::new(), Vec::new());
    let from = policy.spec.get("from").and_then(Value::as_array);
    for entry in from.into_iter().flatten() {
        if let Some(sub) = entry.get("sub").and_then(Value::as_str) {
            subjects.push(sub.to_string());
            continue;
        }
        let Some(reference) = entry.get("ref") else {
            continue;
        };
        let field = |name| reference.get(name).and_then(Value::as_str).unwrap_or("");
        let namespace = match field("namespace") {
            "" => policy.namespace(),
            namespace => namespace,
        };
        let (kind, name) = (field("kind"), field("name"));
        let found = identity::find_sender(mesh, kind, namespace, name);
        match found.map(|sender| identity::subject_of(&sender)) {
            Some(Ok(subject)) => subjects.push(subject),
            Some(Err(why)) => problems.push(format!("from {kind} {namespace}/{name}: {why}")),
            None => problems.push(format!(
                "from {kind} {namespace}/{name} is not in the mesh, so it does not resolve"
            )),
        }
    }
    (subjects, problems)
}

/// `SubjectAndFiltersPass`'s subject test: an exact entry ignoring case (the Kafka receiver
/// minds case), or a trailing `*` as a case-sensitive prefix.
pub fn subject_matches(entry: &str, subject: &str, mind_case: bool) -> bool {
    match entry.strip_suffix('*') {
        Some(prefix) => subject.starts_with(prefix),
        None if mind_case => entry == subject,
        None => entry.eq_ignore_ascii_case(subject),
    }
}

/// A receiver in the mesh by kind (as [`super::same_kind`] reads it), namespace and name, with
/// the rule it checks by, or why it checks nothing. None when the mesh does not hold it.
pub fn find_receiver<'m>(
    mesh: &'m Mesh,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<(Receiver<'m>, Result<super::Rule, String>)> {
    let wanted = |k: &str| super::same_kind(kind, k);
    let receiver = |group, kind, meta: &'m ObjectMeta| Receiver {
        group,
        kind,
        namespace: &meta.namespace,
        name: &meta.name,
        meta,
        backing: None,
    };
    if wanted("Broker") {
        let node = mesh.broker(&ObjectKey::new(namespace, name))?;
        let o = &node.object;
        let rule = super::rule_of(o.group(), &o.kind, Some(o.class()));
        return Some((receiver(o.group(), &o.kind, &o.metadata), rule));
    }
    if let Some(node) = mesh.channels.iter().find(|c| {
        wanted(&c.object.kind) && c.object.namespace() == namespace && c.object.name() == name
    }) {
        let o = &node.object;
        let rule = enforced_at(o.group(), &o.kind, &o.spec);
        let mut found = receiver(o.group(), &o.kind, &o.metadata);
        found.backing = backing(mesh, o.group(), &o.kind, &o.metadata, &o.spec);
        return Some((found, rule));
    }
    let node = mesh.components.iter().find(|c| {
        wanted(&c.object.kind) && c.object.namespace() == namespace && c.object.name() == name
    })?;
    let o = &node.object;
    let rule = enforced_at(o.group(), &o.kind, &o.spec);
    let mut found = receiver(o.group(), &o.kind, &o.metadata);
    found.backing = backing(mesh, o.group(), &o.kind, &o.metadata, &o.spec);
    Some((found, rule))
}

/// The channel a Channel (same name), Sequence (`<name>-kn-sequence-0`) or Parallel
/// (`<name>-kn-parallel`) is enforced at, of its `channelTemplate` kind.
fn backing<'m>(
    mesh: &'m Mesh,
    group: &str,
    kind: &str,
    meta: &ObjectMeta,
    spec: &crate::mesh::objects::Map,
) -> Option<Backing<'m>> {
    let name = match (group, kind) {
        ("messaging.knative.dev", "Channel") => meta.name.clone(),
        ("flows.knative.dev", "Sequence") => format!("{}-kn-sequence-0", meta.name),
        ("flows.knative.dev", "Parallel") => format!("{}-kn-parallel", meta.name),
        _ => return None,
    };
    let template = spec.get("channelTemplate");
    let field = |field| template.and_then(|t| t.get(field)).and_then(Value::as_str);
    let kind = field("kind").unwrap_or("InMemoryChannel").to_string();
    let group = group_of(field("apiVersion").unwrap_or("messaging.knative.dev/v1")).to_string();
    let channel = mesh.channels.iter().find(|c| {
        c.object.namespace() == meta.namespace && c.object.name() == name && c.object.kind == kind
    });
    Some(Backing {
        group,
        kind,
        name,
        meta: channel.map(|c| &c.object.metadata),
    })
}

/// A Channel, Sequence or Parallel is enforced at the channel it is backed by (its
/// `channelTemplate`, an InMemoryChannel by default), under policies copied from its own.
fn enforced_at(
    group: &str,
    kind: &str,
    spec: &crate::mesh::objects::Map,
) -> Result<super::Rule, String> {
    let backed = matches!(
        (group, kind),
        ("messaging.knative.dev", "Channel") | ("flows.knative.dev", "Sequence" | "Parallel")
    );
    if !backed {
        return super::rule_of(group, kind, None);
    }
    let template = spec.get("channelTemplate");
    let field = |name| template.and_then(|t| t.get(name)).and_then(Value::as_str);
    let backing_kind = field("kind").unwrap_or("InMemoryChannel");
    let backing_group = group_of(field("apiVersion").unwrap_or("messaging.knative.dev/v1"));
    super::rule_of(backing_group, backing_kind, None)
}
