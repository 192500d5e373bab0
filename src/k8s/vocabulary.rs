//! The Kubernetes vocabulary as types: a verb, a group and resource, a scope, and the request
//! they make. The fetch markers, the access questions, the simulated API server's RBAC and its
//! 403 texts all use `ResourceRequest`, so a request is worded one way everywhere.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An API verb, as RBAC rules spell it. `Read` is kn-mesh's own: reading a manifest file, which
/// is data that may fail to arrive, not a request to any server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
    Read,
    /// Any other verb (`impersonate`, `bind`, `escalate`, `*`...).
    Other(String),
}

impl Verb {
    pub fn as_str(&self) -> &str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
            Verb::Read => "read",
            Verb::Other(verb) => verb,
        }
    }
}

impl From<&str> for Verb {
    fn from(verb: &str) -> Self {
        match verb {
            "get" => Verb::Get,
            "list" => Verb::List,
            "watch" => Verb::Watch,
            "create" => Verb::Create,
            "update" => Verb::Update,
            "patch" => Verb::Patch,
            "delete" => Verb::Delete,
            "deletecollection" => Verb::DeleteCollection,
            "read" => Verb::Read,
            other => Verb::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource in its API group: "triggers.eventing.knative.dev", or "services" in the core
/// group, as kubectl and kube-apiserver print it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupResource {
    /// "" is the core group.
    pub group: String,
    /// The plural, as RBAC rules spell it.
    pub plural: String,
}

impl GroupResource {
    pub fn new(group: &str, plural: &str) -> Self {
        Self {
            group: group.into(),
            plural: plural.into(),
        }
    }
}

impl fmt::Display for GroupResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.plural)
        } else {
            write!(f, "{}.{}", self.plural, self.group)
        }
    }
}

/// Where a request applies: one namespace, or the cluster scope (a cluster-scoped kind, or a
/// namespaced kind across every namespace: one request either way, as kube-apiserver sees it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Scope {
    #[default]
    Cluster,
    Namespace(String),
}

impl Scope {
    pub fn of(namespace: Option<&str>) -> Self {
        namespace.map_or(Scope::Cluster, |n| Scope::Namespace(n.to_string()))
    }

    pub fn namespace(&self) -> Option<&str> {
        match self {
            Scope::Cluster => None,
            Scope::Namespace(namespace) => Some(namespace),
        }
    }

    /// kube-apiserver's words in a 403: `in the namespace "payments"`, `at the cluster scope`.
    pub fn apiserver_words(&self) -> String {
        match self {
            Scope::Cluster => "at the cluster scope".into(),
            Scope::Namespace(namespace) => format!("in the namespace {namespace:?}"),
        }
    }
}

/// "in payments", or "at the cluster scope".
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => f.write_str("at the cluster scope"),
            Scope::Namespace(namespace) => write!(f, "in {namespace}"),
        }
    }
}

/// One request on a resource: what the fetcher asked, what a review asks about, what the
/// simulated API server authorizes. Serialized flat, as `verb`, `group`, `resource`,
/// `namespace` and `name`, the shape of `-o json`'s markers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "WireRequest", into = "WireRequest")]
pub struct ResourceRequest {
    pub verb: Verb,
    pub resource: GroupResource,
    pub scope: Scope,
    pub name: Option<String>,
}

impl ResourceRequest {
    pub fn new(verb: impl Into<Verb>, group: &str, plural: &str, namespace: Option<&str>) -> Self {
        Self {
            verb: verb.into(),
            resource: GroupResource::new(group, plural),
            scope: Scope::of(namespace),
            name: None,
        }
    }

    pub fn list(group: &str, plural: &str, namespace: Option<&str>) -> Self {
        Self::new(Verb::List, group, plural, namespace)
    }

    pub fn get(group: &str, plural: &str, namespace: &str, name: &str) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::new(Verb::Get, group, plural, Some(namespace))
        }
    }

    /// A get of a cluster-scoped object: a Namespace, a CRD.
    pub fn get_cluster_scoped(group: &str, plural: &str, name: &str) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::new(Verb::Get, group, plural, None)
        }
    }

    pub fn namespace(&self) -> Option<&str> {
        self.scope.namespace()
    }

    /// Reading a manifest file (or stdin): not an API request, but data that may fail to arrive.
    pub fn file(path: &str) -> Self {
        Self::new(Verb::Read, "", path, None)
    }

    pub fn is_file(&self) -> bool {
        self.verb == Verb::Read
    }

    /// "payments/order-created", or the name alone for a cluster-scoped object.
    pub fn object_name(&self) -> String {
        match (self.namespace(), &self.name) {
            (Some(namespace), Some(name)) => format!("{namespace}/{name}"),
            (None, Some(name)) => name.clone(),
            (Some(namespace), None) => format!("{namespace}/?"),
            (None, None) => "?".into(),
        }
    }

    /// The request a `Display` text names ("list brokers.eventing.knative.dev at the cluster
    /// scope"), as a partial eventmesh answer carries them. Text of another shape becomes a
    /// request for the text itself, so that nothing is dropped.
    pub fn from_description(text: &str) -> Self {
        // A file's path may hold dots, spaces and " in ": it is all the path.
        if let Some(path) = text.strip_prefix("read ") {
            return Self::file(path);
        }
        let (rest, namespace) = match text.strip_suffix(" at the cluster scope") {
            Some(rest) => (rest, None),
            None => match text.rsplit_once(" in ") {
                Some((rest, namespace)) => (rest, Some(namespace)),
                None => (text, None),
            },
        };
        let words: Vec<&str> = rest.split(' ').collect();
        let (verb, qualified, name) = match words.as_slice() {
            [verb, qualified] => (*verb, *qualified, None),
            [verb, qualified, name] => (*verb, *qualified, Some(name.to_string())),
            _ => return Self::file(text),
        };
        let (plural, group) = qualified.split_once('.').unwrap_or((qualified, ""));
        Self {
            name,
            ..Self::new(Verb::from(verb), group, plural, namespace)
        }
    }

    /// kube-apiserver's 403 text for this request (on `subresource`, if any), word for word.
    /// Quoted as Go's %q quotes: escapes and all, so no name can break the sentence.
    pub fn forbidden_message(&self, user: &str, subresource: &str) -> String {
        let subject = match &self.name {
            Some(name) => format!("{} {name:?}", self.resource),
            None => self.resource.to_string(),
        };
        let plural = if subresource.is_empty() {
            self.resource.plural.clone()
        } else {
            format!("{}/{subresource}", self.resource.plural)
        };
        format!(
            "{subject} is forbidden: User {user:?} cannot {} resource {plural:?} in API group {:?} {}",
            self.verb,
            self.resource.group,
            self.scope.apiserver_words(),
        )
    }
}

/// "list triggers.eventing.knative.dev in payments", "get services x in payments", "read FILE".
impl fmt::Display for ResourceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_file() {
            return write!(f, "read {}", self.resource.plural);
        }
        write!(f, "{} {}", self.verb, self.resource)?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        write!(f, " {}", self.scope)
    }
}

/// The serialized shape.
#[derive(Serialize, Deserialize)]
struct WireRequest {
    verb: String,
    group: String,
    resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl From<WireRequest> for ResourceRequest {
    fn from(wire: WireRequest) -> Self {
        Self {
            verb: Verb::from(wire.verb.as_str()),
            resource: GroupResource {
                group: wire.group,
                plural: wire.resource,
            },
            scope: Scope::of(wire.namespace.as_deref()),
            name: wire.name,
        }
    }
}

impl From<ResourceRequest> for WireRequest {
    fn from(request: ResourceRequest) -> Self {
        Self {
            verb: request.verb.to_string(),
            namespace: request.scope.namespace().map(str::to_string),
            group: request.resource.group,
            resource: request.resource.plural,
            name: request.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_wording_and_a_round_trip_through_it() {
        let list = ResourceRequest::list("eventing.knative.dev", "brokers", None);
        assert_eq!(
            list.to_string(),
            "list brokers.eventing.knative.dev at the cluster scope"
        );
        let get = ResourceRequest::get("", "services", "payments", "ledger");
        assert_eq!(get.to_string(), "get services ledger in payments");
        for request in [list, get, ResourceRequest::file("demo/a.yaml")] {
            assert_eq!(
                ResourceRequest::from_description(&request.to_string()),
                request
            );
        }
    }

    #[test]
    fn the_forbidden_text_is_kube_apiservers() {
        let request = ResourceRequest::list("eventing.knative.dev", "triggers", Some("ops"));
        assert_eq!(
            request.forbidden_message("system:serviceaccount:backstage:x", ""),
            "triggers.eventing.knative.dev is forbidden: User \"system:serviceaccount:backstage:x\" \
             cannot list resource \"triggers\" in API group \"eventing.knative.dev\" in the namespace \"ops\""
        );
    }

    #[test]
    fn the_json_shape_is_flat() {
        let request = ResourceRequest::get("", "services", "payments", "ledger");
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"verb": "get", "group": "", "resource": "services", "namespace": "payments", "name": "ledger"})
        );
        assert_eq!(
            serde_json::from_value::<ResourceRequest>(json).unwrap(),
            request
        );
    }
}
