//! The raw material of a mesh: the objects a source found, and what it was or was not allowed
//! to read. A forbidden list is data here, not an error (DESIGN.md §1).

use super::components::Component;
use super::objects::{
    Broker, Channel, Crd, EventType, GenericObject, Source, Subscription, Trigger,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub brokers: Vec<Broker>,
    pub triggers: Vec<Trigger>,
    pub event_types: Vec<EventType>,
    /// Every subscribable kind: Channel, InMemoryChannel, KafkaChannel, ...
    pub channels: Vec<Channel>,
    pub subscriptions: Vec<Subscription>,
    /// Every source kind: PingSource, ApiServerSource, custom ones found through their CRD.
    pub sources: Vec<Source>,
    /// Flows, sinks, transforms, EventPolicies and other Knative objects
    /// (`mesh::components`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    pub crds: Vec<Crd>,
    /// Objects that may be subscribers or sinks (Services, Knative Services, Deployments, ...).
    pub subscribers: Vec<GenericObject>,
    /// Namespaces known from Namespace objects or from the source's configuration.
    pub namespaces: Vec<String>,
    pub access: Vec<AccessMarker>,
    /// Things the source wants the user to know (fallbacks, skipped objects).
    pub notes: Vec<String>,
    /// The data of ConfigMap `knative-eventing/config-features`, when it was read: the flags
    /// that decide delivery authorization (DESIGN.md §6). Why it was not read is in `access`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<super::objects::StringMap>,
}

/// The list requests for these roles that say what a namespace holds, with their places in
/// `access`: the namespace's own when it was listed (a list denied at the cluster scope and
/// retried in the namespace hides nothing there), else those at the cluster scope.
pub fn lists_for<'a>(
    access: &'a [AccessMarker],
    roles: &[Role],
    namespace: &str,
) -> Vec<(usize, &'a AccessMarker)> {
    let lists = |scope: Option<&str>| {
        access
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                roles.contains(&m.role)
                    && m.request.name.is_none()
                    && m.request.namespace() == scope
            })
            .collect::<Vec<_>>()
    };
    let listed = lists(Some(namespace));
    if listed.is_empty() {
        lists(None)
    } else {
        listed
    }
}

/// ConfigMap `knative-eventing/config-features`, whose flags decide delivery authorization.
pub const FEATURES_NAMESPACE: &str = "knative-eventing";
pub const FEATURES_NAME: &str = "config-features";

/// One API request the source made, or would have made, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMarker {
    pub request: ApiRequest,
    pub access: Access,
    /// What the requested kind is in the mesh, so views place the marker by role and not by
    /// name; `build` assigns it from the kinds and CRD labels.
    #[serde(default, skip_serializing_if = "Role::is_other")]
    pub role: Role,
}

impl AccessMarker {
    pub fn new(request: ApiRequest, access: Access) -> Self {
        Self {
            request,
            access,
            role: Role::Other,
        }
    }
}

/// The part a kind plays in the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Broker,
    Trigger,
    EventType,
    Subscription,
    /// A subscribable kind: a CRD labelled `messaging.knative.dev/subscribable=true`.
    Channel,
    /// An event source: a CRD labelled `duck.knative.dev/source=true` (SinkBinding too).
    Source,
    /// A flow, sink, transform, EventPolicy or other Knative kind (`mesh::components`).
    Component,
    /// EventPolicy, which says who may deliver events where.
    Policy,
    /// The CRDs themselves, which say which channel and source kinds exist.
    Crd,
    Namespace,
    /// A manifest file.
    File,
    /// Anything else: a subscriber's kind, an RBAC kind.
    #[default]
    Other,
}

impl Role {
    pub fn is_other(&self) -> bool {
        *self == Role::Other
    }
}

/// A request the source made, in the Kubernetes vocabulary (`k8s::ResourceRequest`).
pub type ApiRequest = crate::k8s::ResourceRequest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Access {
    Allowed,
    Forbidden {
        message: String,
    },
    NotFound,
    Failed {
        message: String,
    },
    /// Not asked directly: data was filled in from a fallback (for example built-in source
    /// kinds when CRDs may not be listed).
    Fallback {
        message: String,
    },
    /// The object was read but could not be decoded as its kind: it is left out, and costs only
    /// itself (never its list, never the mesh). The request names the object.
    Undecodable {
        kind: String,
        /// The field path of the problem, such as `spec.delivery.retry`.
        field: String,
        message: String,
    },
}

impl Access {
    pub fn is_denied(&self) -> bool {
        matches!(self, Access::Forbidden { .. })
    }

    /// Data that should be there and is not, for a reason other than RBAC.
    pub fn is_failure(&self) -> bool {
        matches!(self, Access::Failed { .. } | Access::Undecodable { .. })
    }
}

/// What a source could not read, in words: whether a Snapshot or Mesh may be presented as whole
/// (DESIGN.md §1, the trust contract). Denied data is data; failed data is not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completeness {
    /// Lists and lookups the token may not read ("list brokers.eventing.knative.dev at the
    /// cluster scope: forbidden").
    pub denied: Vec<String>,
    /// Requests that failed after retries, and objects that could not be decoded.
    pub failed: Vec<String>,
}

impl Completeness {
    pub fn of(markers: &[AccessMarker]) -> Self {
        let mut completeness = Self::default();
        for marker in markers {
            match &marker.access {
                Access::Forbidden { .. } => completeness.denied.push(marker.request.to_string()),
                Access::Failed { message } => completeness
                    .failed
                    .push(format!("{}: {message}", marker.request)),
                Access::Undecodable {
                    kind,
                    field,
                    message,
                } => completeness.failed.push(format!(
                    "{kind} {}: cannot decode{}: {message}",
                    marker.request.object_name(),
                    if field.is_empty() {
                        String::new()
                    } else {
                        format!(" field {field}")
                    }
                )),
                Access::Allowed | Access::NotFound | Access::Fallback { .. } => {}
            }
        }
        completeness
    }

    /// Every list allowed and every object decoded.
    pub fn is_whole(&self) -> bool {
        self.denied.is_empty() && self.failed.is_empty()
    }

    /// One line for a status text or a reason phrase: the first cause and how many more.
    pub fn first_cause(&self) -> Option<String> {
        let (first, kind) = match (self.failed.first(), self.denied.first()) {
            (Some(failed), _) => (failed, "failed"),
            (None, Some(denied)) => (denied, "forbidden"),
            (None, None) => return None,
        };
        let more = self.failed.len() + self.denied.len() - 1;
        Some(if more == 0 {
            format!("{kind}: {first}")
        } else {
            format!("{kind}: {first} (and {more} more)")
        })
    }
}

/// A mesh that may not be presented as whole, where a face must fail closed (`-o eventmesh`,
/// `serve`). Its text names every cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the mesh is not whole{}{}", list("forbidden", &.0.denied), list("failed", &.0.failed))]
pub struct Incomplete(pub Completeness);

/// At most this many causes of each kind are listed in the message; `--partial` (or serve's
/// body) gives them all.
const LISTED: usize = 8;

fn list(title: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "\n  {title} ({}):\n    {}",
        items.len(),
        items
            .iter()
            .take(LISTED)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n    ")
    );
    if items.len() > LISTED {
        text.push_str(&format!(
            "\n    … and {} more (--partial prints the mesh with every one)",
            items.len() - LISTED
        ));
    }
    text
}

impl Snapshot {
    pub fn completeness(&self) -> Completeness {
        Completeness::of(&self.access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_reads_back_as_its_request() {
        for request in [
            ApiRequest::list("eventing.knative.dev", "brokers", None),
            ApiRequest::list("", "services", Some("payments")),
            ApiRequest::get("serving.knative.dev", "services", "a", "svc"),
        ] {
            assert_eq!(ApiRequest::from_description(&request.to_string()), request);
        }
        let odd = ApiRequest::from_description("Broker a/b: cannot decode");
        assert_eq!(odd.to_string(), "read Broker a/b: cannot decode");
    }
}
