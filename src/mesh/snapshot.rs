//! The raw material of a mesh: the objects a source found, and what it was or was not allowed
//! to read. A forbidden list is data here, not an error (DESIGN.md §1).

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
    pub crds: Vec<Crd>,
    /// Objects that may be subscribers or sinks (Services, Knative Services, Deployments, ...).
    pub subscribers: Vec<GenericObject>,
    /// Namespaces known from Namespace objects or from the source's configuration.
    pub namespaces: Vec<String>,
    pub access: Vec<AccessMarker>,
    /// Things the source wants the user to know (fallbacks, skipped objects).
    pub notes: Vec<String>,
}

/// One API request the source made, or would have made, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMarker {
    pub request: ApiRequest,
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    pub verb: String,
    /// "" is the core group.
    pub group: String,
    /// Plural resource name, as RBAC rules spell it.
    pub resource: String,
    /// None is the cluster scope (all namespaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ApiRequest {
    pub fn list(group: &str, resource: &str, namespace: Option<&str>) -> Self {
        Self {
            verb: "list".into(),
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.map(str::to_string),
            name: None,
        }
    }

    pub fn get(group: &str, resource: &str, namespace: &str, name: &str) -> Self {
        Self {
            verb: "get".into(),
            group: group.into(),
            resource: resource.into(),
            namespace: Some(namespace.into()),
            name: Some(name.into()),
        }
    }

    /// "triggers.eventing.knative.dev", or "services" for the core group, as kubectl prints it.
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// "in payments" or "at the cluster scope".
    pub fn scope(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("in {namespace}"),
            None => "at the cluster scope".into(),
        }
    }

    /// "list triggers.eventing.knative.dev in payments".
    pub fn describe(&self) -> String {
        let name = self
            .name
            .as_ref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        format!(
            "{} {}{} {}",
            self.verb,
            self.qualified_resource(),
            name,
            self.scope()
        )
    }
}

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
}

impl Access {
    pub fn is_denied(&self) -> bool {
        matches!(self, Access::Forbidden { .. })
    }
}
