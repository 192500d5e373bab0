//! Resolving refs (subscribers, replies, sinks) to the objects they point at, and what we know
//! when we could not see them: not found, forbidden, or failed.

use super::model::{Resolution, SubscriberLink};
use super::objects::{BACKSTAGE_ID_LABEL, Crd, Destination, Object};
use super::snapshot::{Access, AccessMarker};
use std::collections::HashMap;

/// Identifies an object across kinds: (group, kind, namespace, name).
pub type RefKey<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Looks up the objects that refs point at: subscribers, replies and sinks.
pub struct Resolver<'a> {
    labels: HashMap<RefKey<'a>, Option<&'a str>>,
    denied: HashMap<(&'a str, &'a str, &'a str), &'a Access>,
    /// What each list answered, by (group, plural, namespace; None for the cluster scope): a
    /// ref into a namespace whose list of its kind was denied is unreadable, not missing.
    lists: HashMap<(&'a str, &'a str, Option<&'a str>), &'a Access>,
    /// The CRDs, for a kind's plural (`octopi`), as the lists name it.
    crds: &'a [Crd],
}

impl<'a> Resolver<'a> {
    /// A resolver that knows no object yet; `know` adds the kinds refs may point at.
    pub fn new(access: &'a [AccessMarker], crds: &'a [Crd]) -> Self {
        // Named markers say what happened when a subscriber was looked up one by one. They are
        // matched by group, not by plural: the fetcher learns plurals from discovery, which a
        // guess from the kind would miss (`octopi`).
        let denied = access
            .iter()
            .filter_map(|m| {
                let name = m.request.name.as_deref()?;
                let namespace = m.request.namespace().unwrap_or("");
                Some((
                    (m.request.resource.group.as_str(), namespace, name),
                    &m.access,
                ))
            })
            .collect();
        let lists = access
            .iter()
            .filter(|m| m.request.name.is_none() && m.request.verb == crate::k8s::Verb::List)
            .map(|m| {
                let resource = &m.request.resource;
                let key = (
                    resource.group.as_str(),
                    resource.plural.as_str(),
                    m.request.namespace(),
                );
                (key, &m.access)
            })
            .collect();
        Self {
            labels: HashMap::new(),
            denied,
            lists,
            crds,
        }
    }

    /// Objects refs may point at, with their Backstage ids: subscribers and sinks, brokers,
    /// channels, flows and sinks, and the senders an EventPolicy names.
    pub fn know<Spec, Status>(&mut self, objects: &'a [Object<Spec, Status>]) {
        for o in objects {
            let id = o.metadata.label(BACKSTAGE_ID_LABEL);
            let key = (o.group(), o.kind.as_str(), o.namespace(), o.name());
            self.labels.insert(key, id);
        }
    }

    /// What the list of the ref's kind answered where the ref points: in its namespace, else
    /// at the cluster scope when no namespace list stood in for it.
    fn listed(&self, group: &str, kind: &str, namespace: &str) -> Option<&'a Access> {
        let plural = plural_of(group, kind, self.crds);
        self.lists
            .get(&(group, plural.as_str(), Some(namespace)))
            .or_else(|| self.lists.get(&(group, plural.as_str(), None)))
            .copied()
    }

    pub fn link(&self, destination: Option<&Destination>, namespace: &str) -> SubscriberLink {
        let Some(destination) = destination else {
            return SubscriberLink {
                reference: None,
                uri: None,
                resolution: Resolution::Missing,
            };
        };
        let uri = destination.uri.clone();
        let Some(reference) = &destination.reference else {
            let resolution = if uri.is_some() {
                Resolution::UriOnly
            } else {
                Resolution::Missing
            };
            return SubscriberLink {
                reference: None,
                uri,
                resolution,
            };
        };
        let mut reference = reference.clone();
        if reference.namespace.is_empty() {
            reference.namespace = namespace.to_string();
        }
        let key = (
            reference.group(),
            reference.kind.as_str(),
            reference.namespace.as_str(),
            reference.name.as_str(),
        );
        let resolution = match self.labels.get(&key) {
            Some(id) => Resolution::Found {
                backstage_id: id.map(str::to_string),
            },
            None => {
                match self.denied.get(&(key.0, key.2, key.3)).copied() {
                    Some(Access::Forbidden { message }) => Resolution::Forbidden {
                        message: message.clone(),
                    },
                    Some(Access::Failed { message }) => Resolution::Failed {
                        message: message.clone(),
                    },
                    Some(Access::Fallback { message }) => Resolution::Failed {
                        message: message.clone(),
                    },
                    // It exists, but could not be read as its kind: not "not found".
                    Some(Access::Undecodable { field, message, .. }) => Resolution::Failed {
                        message: format!("cannot decode field {field}: {message}"),
                    },
                    _ => match self.listed(key.0, key.1, key.2) {
                        Some(Access::Forbidden { message }) => Resolution::Forbidden {
                            message: message.clone(),
                        },
                        Some(Access::Failed { message }) => Resolution::Failed {
                            message: message.clone(),
                        },
                        _ => Resolution::NotFound,
                    },
                }
            }
        };
        SubscriberLink {
            reference: Some(reference),
            uri,
            resolution,
        }
    }
}

/// The plural resource name of a kind, from its CRD, else as kubectl guesses it.
pub fn plural_of(group: &str, kind: &str, crds: &[Crd]) -> String {
    crds.iter()
        .find(|crd| crd.spec.group == group && crd.spec.names.kind == kind)
        .map(|crd| crd.spec.names.plural.clone())
        .unwrap_or_else(|| guess_resource(kind))
}

/// The plural resource name kubectl and client-go guess from a kind (UnsafeGuessKindToResource).
pub fn guess_resource(kind: &str) -> String {
    let lower = kind.to_lowercase();
    if lower.is_empty() {
        return lower;
    }
    if lower.ends_with('s') {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    format!("{lower}s")
}
