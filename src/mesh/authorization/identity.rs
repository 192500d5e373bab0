//! Who a sender is to a receiver: the OIDC subject `system:serviceaccount:<ns>:<sa>` of the
//! ServiceAccount Knative makes for it. Read from `status.auth` where the controller published it;
//! else named as Knative names it (`auth.GetOIDCServiceAccountNameForResource`, research
//! eventpolicy.md §2.2 and §2.3).

use crate::mesh::Mesh;
use crate::mesh::objects::{Map, Status};
use crate::mesh::snapshot::Role;
use md5::{Digest, Md5};
use serde_json::Value;

/// The sender kinds kn-mesh can name, by the object found in the mesh.
pub struct SenderObject<'m> {
    pub group: &'m str,
    pub kind: &'m str,
    pub namespace: &'m str,
    pub name: &'m str,
    pub status: &'m Status,
    pub spec: Option<&'m Map>,
}

/// A sender's subject, or why it has none.
pub fn subject_of(sender: &SenderObject) -> Result<String, String> {
    let account = service_account(sender)?;
    Ok(format!(
        "system:serviceaccount:{}:{account}",
        sender.namespace
    ))
}

/// The ServiceAccount a sender delivers as.
fn service_account(sender: &SenderObject) -> Result<String, String> {
    let auth = sender.status.extra.get("auth");
    let published = auth
        .and_then(|a| a.get("serviceAccountName"))
        .and_then(Value::as_str);
    if let Some(name) = published.filter(|n| !n.is_empty()) {
        return Ok(name.to_string());
    }
    // A Sequence replies as its last step's subscription.
    let names = auth
        .and_then(|a| a.get("serviceAccountNames"))
        .and_then(Value::as_array);
    if sender.kind == "Sequence"
        && let Some(last) = names.and_then(|n| n.last()).and_then(Value::as_str)
    {
        return Ok(last.to_string());
    }
    let name = sender.name;
    Ok(match (sender.group, sender.kind) {
        ("sources.knative.dev", "ContainerSource") => {
            sink_binding_account(&child_name(name, "-sinkbinding"))
        }
        ("sources.knative.dev", "IntegrationSource") => {
            let container_source = child_name(name, "-containersource");
            sink_binding_account(&child_name(&container_source, "-sinkbinding"))
        }
        ("eventing.knative.dev", "EventTransform") => {
            let sink = sender.spec.and_then(|s| s.get("sink"));
            if sink.is_none() {
                return Err(format!(
                    "EventTransform {name} has no spec.sink: it only answers its caller, and \
                     sends nothing as itself"
                ));
            }
            sink_binding_account(&child_name(name, "-jsonata"))
        }
        ("flows.knative.dev", "Sequence") => {
            let steps = sender
                .spec
                .and_then(|s| s.get("steps"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let last = format!("{name}-kn-sequence-{}", steps.saturating_sub(1));
            oidc_account(&last, "messaging.knative.dev", "Subscription")
        }
        ("flows.knative.dev", "Parallel") => {
            return Err(format!(
                "a Parallel sends as each branch's subscription: name one, \
                 subscription/<ns>/{name}-kn-parallel-<i>"
            ));
        }
        (group, kind) if group == "sources.knative.dev" || is_sender(group, kind) => {
            oidc_account(name, group, kind)
        }
        (group, kind) => {
            return Err(format!(
                "{kind} {name} ({group}) sends with no identity Knative gives it: name its \
                 subject with sub:SUBJECT"
            ));
        }
    })
}

/// Kinds outside `sources.knative.dev` that deliver with their own identity.
fn is_sender(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("eventing.knative.dev", "Trigger") | ("messaging.knative.dev", "Subscription")
    ) || kind.ends_with("Source")
}

fn sink_binding_account(binding: &str) -> String {
    oidc_account(binding, "sources.knative.dev", "SinkBinding")
}

/// `auth.GetOIDCServiceAccountNameForResource`: the child name is made from the CamelCase kind,
/// then lower-cased.
fn oidc_account(name: &str, group: &str, kind: &str) -> String {
    child_name(name, &format!("-oidc-{group}-{kind}")).to_ascii_lowercase()
}

/// knative.dev/pkg `kmeta.ChildName`: `parent + suffix` when it fits in 63 characters, else a
/// head of the parent and an MD5 that keeps the name unique.
pub fn child_name(parent: &str, suffix: &str) -> String {
    const LONGEST: usize = 63;
    const HEAD: usize = LONGEST - 32;
    if parent.len() + suffix.len() <= LONGEST {
        return format!("{parent}{suffix}");
    }
    let md5 = |text: &str| -> String {
        Md5::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    // Go slices bytes, and Kubernetes names are ASCII; a name from a manifest may not be, so a
    // cut never falls inside a character.
    let head = |n: usize| &parent[..floor_boundary(parent, n)];
    if suffix.len() >= HEAD {
        let mut name = format!("{}{}", head(HEAD), md5(&format!("{parent}{suffix}")));
        if name.len() < LONGEST {
            name.push_str(&suffix[..floor_boundary(suffix, LONGEST - name.len())]);
        }
        // Kubernetes names end in a letter or digit.
        let trimmed = name.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        return trimmed.to_string();
    }
    format!("{}{}{suffix}", head(HEAD - suffix.len()), md5(parent))
}

/// A sender's subject, and how it was found.
pub struct Sender {
    pub subject: String,
    /// Set when the sender could not be read, so its identity was named from its kind and
    /// name, as Knative names it.
    pub note: Option<String>,
}

/// Why a sender has no subject kn-mesh can give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSubject {
    /// It is not there, and could have been read: bad input.
    NotFound(String),
    /// It could not be read, or sends with no identity kn-mesh can name: not known.
    Unknown(String),
}

/// The subject a `--from` names: `sub:SUBJECT` as it is, or `KIND/NAMESPACE/NAME` as the
/// identity Knative gives that sender.
pub fn parse_sender(mesh: &Mesh, text: &str) -> Result<Sender, NoSubject> {
    if let Some(subject) = text.strip_prefix("sub:") {
        if subject.is_empty() {
            return Err(NoSubject::NotFound("sub: names no subject".into()));
        }
        let subject = subject.to_string();
        return Ok(Sender {
            subject,
            note: None,
        });
    }
    let [kind, namespace, name] = split_object(text).map_err(NoSubject::NotFound)?;
    sender_named(mesh, kind, namespace, name)
}

/// The subject of a sender named by kind, namespace and name: read from the mesh, or, where it
/// could not be read and its identity follows from its name alone, as Knative names it.
pub fn sender_named(
    mesh: &Mesh,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<Sender, NoSubject> {
    if let Some(sender) = find_sender(mesh, kind, namespace, name) {
        let subject = subject_of(&sender).map_err(NoSubject::Unknown)?;
        return Ok(Sender {
            subject,
            note: None,
        });
    }
    // The denied list of the sender's own kind when there is one, else any that could hide it.
    let plural = crate::mesh::catalog::builtin_crds()
        .iter()
        .find(|crd| super::same_kind(kind, &crd.spec.names.kind))
        .map(|crd| crd.spec.names.plural.as_str());
    let roles = [
        Role::Source,
        Role::Trigger,
        Role::Subscription,
        Role::Component,
    ];
    let Some(marker) = super::unread_list(mesh, &roles, namespace, plural) else {
        return Err(NoSubject::NotFound(format!(
            "no sender {kind} {namespace}/{name} in the mesh"
        )));
    };
    let unknown = |why: String| {
        NoSubject::Unknown(format!(
            "{kind} {namespace}/{name} could not be read ({marker}){why}"
        ))
    };
    let subject = subject_from_name(kind, namespace, name)
        .map_err(|_| unknown(", and who it sends as depends on its spec".into()))?;
    Ok(Sender {
        subject,
        note: Some(format!(
            "{kind} {namespace}/{name} could not be read ({marker}): its identity is the one \
             Knative gives a {kind} of that name"
        )),
    })
}

/// The subject Knative gives a sender of this kind and name, where its name alone decides it
/// (a source, a trigger, a subscription, as their controllers name them).
pub fn subject_from_name(kind: &str, namespace: &str, name: &str) -> Result<String, String> {
    let Some((group, kind)) = super::canonical_kind(kind) else {
        return Err(format!(
            "{kind} is not a kind kn-mesh knows the identity of"
        ));
    };
    let by_name_alone =
        group == "sources.knative.dev" || matches!(kind, "Trigger" | "Subscription");
    if !by_name_alone {
        return Err(format!("who a {kind} sends as depends on its spec"));
    }
    let status = Status::default();
    subject_of(&SenderObject {
        group,
        kind,
        namespace,
        name,
        status: &status,
        spec: None,
    })
}

/// `KIND/NAMESPACE/NAME`, each part non-empty.
pub fn split_object(text: &str) -> Result<[&str; 3], String> {
    let parts: Vec<&str> = text.split('/').collect();
    match parts.as_slice() {
        [kind, namespace, name] if parts.iter().all(|p| !p.is_empty()) => {
            Ok([kind, namespace, name])
        }
        _ => Err(format!(
            "{:?}: want KIND/NAMESPACE/NAME (or sub:SUBJECT for a sender)",
            crate::text::escape(text)
        )),
    }
}

/// The largest char boundary of `text` at or below `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A sender in the mesh by kind (case-insensitive, with its plural, singular or short name),
/// namespace and name.
pub fn find_sender<'m>(
    mesh: &'m Mesh,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<SenderObject<'m>> {
    let wanted = |k: &str| super::same_kind(kind, k);
    let at = |o_ns: &str, o_name: &str| o_ns == namespace && o_name == name;
    // Triggers and subscriptions are sorted by key: looked up, not scanned, since the trees ask
    // once per trigger.
    let key = crate::mesh::objects::ObjectKey::new(namespace, name);
    if wanted("Trigger") {
        let o = &mesh.trigger(&key)?.object;
        return Some(sender(o.group(), &o.kind, &o.metadata, &o.status, None));
    }
    if wanted("Subscription") {
        let o = &mesh.subscription(&key)?.object;
        return Some(sender(o.group(), &o.kind, &o.metadata, &o.status, None));
    }
    if let Some(node) = mesh
        .sources
        .iter()
        .find(|s| wanted(&s.object.kind) && at(s.object.namespace(), s.object.name()))
    {
        let o = &node.object;
        let spec = Some(&o.spec.extra);
        return Some(sender(o.group(), &o.kind, &o.metadata, &o.status, spec));
    }
    let node = mesh
        .components
        .iter()
        .find(|c| wanted(&c.object.kind) && at(c.object.namespace(), c.object.name()))?;
    let o = &node.object;
    Some(sender(
        o.group(),
        &o.kind,
        &o.metadata,
        &o.status,
        Some(&o.spec),
    ))
}

fn sender<'m>(
    group: &'m str,
    kind: &'m str,
    metadata: &'m crate::mesh::objects::ObjectMeta,
    status: &'m Status,
    spec: Option<&'m Map>,
) -> SenderObject<'m> {
    SenderObject {
        group,
        kind,
        namespace: &metadata.namespace,
        name: &metadata.name,
        status,
        spec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of research eventpolicy.md §2.2.
    #[test]
    fn service_account_names_are_knatives() {
        let cases = [
            (
                "ping-2",
                "sources.knative.dev",
                "PingSource",
                "ping-2-oidc-sources.knative.dev-pingsource",
            ),
            (
                "trigger",
                "eventing.knative.dev",
                "Trigger",
                "trigger-oidc-eventing.knative.dev-trigger",
            ),
            (
                "seq-kn-sequence-0",
                "messaging.knative.dev",
                "Subscription",
                "seq-kn-sequence-0-oidc-messaging.knative.dev-subscription",
            ),
            (
                "very-long-trigger-name-for-orders",
                "eventing.knative.dev",
                "Trigger",
                "very-long-trigger-name-for-orde716bcdfeb43acfe4f77a41a4e83ca09b",
            ),
            (
                "k8s-events-apiserversource",
                "sources.knative.dev",
                "ApiServerSource",
                "k8s-events-apiserversource2df4d78f5c9bbd792185e7990e399e67-oidc",
            ),
        ];
        for (name, group, kind, expected) in cases {
            assert_eq!(oidc_account(name, group, kind), expected, "{name} {kind}");
        }
        // A name no API server takes, from a manifest: cut on a character, never panicking.
        let odd = oidc_account(&"é".repeat(40), "sources.knative.dev", "PingSource");
        assert!(odd.len() <= 63 && odd.is_char_boundary(odd.len()));
        let integration = child_name(&child_name("my-is", "-containersource"), "-sinkbinding");
        assert_eq!(
            sink_binding_account(&integration),
            "my-is-containersource-sinkbindi98a294053708a8d8b95bbc81c9c60580"
        );
    }
}
