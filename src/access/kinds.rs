//! The kinds the mesh is made of in this cluster, as far as the token can see.

use crate::mesh::catalog::{NEVER_SUBSCRIBERS, plural_of};
use crate::mesh::objects::group_of;
use crate::mesh::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet};

/// The kinds the mesh needs, learned from what the token could see (CRDs, subscriber refs).
pub struct Kinds {
    /// (group, plural) of brokers, triggers, event types, subscriptions, channels and sources.
    pub mesh: Vec<(String, String)>,
    /// (group, plural) of subscriber kinds, with the namespaces they are used in.
    pub subscribers: BTreeMap<(String, String), BTreeSet<String>>,
    /// (group, plural) of the flow, sink, transform and policy kinds kn-mesh lists beside the
    /// mesh (the eventmesh backend reads none of them).
    pub components: Vec<(String, String)>,
}

pub fn kinds(snapshot: &Snapshot) -> Kinds {
    let mut mesh: Vec<(String, String)> = [
        ("eventing.knative.dev", "brokers"),
        ("eventing.knative.dev", "triggers"),
        ("eventing.knative.dev", "eventtypes"),
        ("messaging.knative.dev", "subscriptions"),
    ]
    .iter()
    .map(|(g, r)| (g.to_string(), r.to_string()))
    .collect();
    for crd in &snapshot.crds {
        if crd.is_subscribable() || crd.is_source() {
            mesh.push((crd.spec.group.clone(), crd.spec.names.plural.clone()));
        }
    }
    let mut subscribers: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut add = |api_version: &str, kind: &str, namespace: &str| {
        let group = group_of(api_version);
        // A ref to a Secret, a ServiceAccount or an RBAC kind is never followed: granting it
        // would let the "least-privilege" role read Secrets.
        if NEVER_SUBSCRIBERS.contains(&(group, kind)) {
            return;
        }
        // The CRD's plural where the snapshot has it (`octopi`), else client-go's guess.
        let key = (group.to_string(), plural_of(group, kind, &snapshot.crds));
        if !kind.is_empty() && !mesh.contains(&key) {
            subscribers
                .entry(key)
                .or_default()
                .insert(namespace.to_string());
        }
    };
    for trigger in &snapshot.triggers {
        if let Some(r) = &trigger.spec.subscriber.reference {
            add(&r.api_version, &r.kind, r.namespace_or(trigger.namespace()));
        }
    }
    for subscription in &snapshot.subscriptions {
        for destination in [&subscription.spec.subscriber, &subscription.spec.reply]
            .into_iter()
            .flatten()
        {
            if let Some(r) = &destination.reference {
                add(
                    &r.api_version,
                    &r.kind,
                    r.namespace_or(subscription.namespace()),
                );
            }
        }
    }
    for source in &snapshot.sources {
        if let Some(r) = source.spec.sink.as_ref().and_then(|s| s.reference.as_ref()) {
            add(&r.api_version, &r.kind, r.namespace_or(source.namespace()));
        }
    }
    let components = crate::mesh::components::KNOWN_COMPONENTS
        .iter()
        .map(|(group, _, plural, ..)| (group.to_string(), plural.to_string()))
        .collect();
    Kinds {
        mesh,
        subscribers,
        components,
    }
}
