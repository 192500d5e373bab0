//! Typed, tolerant views of the Kubernetes and Knative objects the mesh is made of.
//!
//! Every field is optional and every struct keeps the fields it does not know in `extra`, so
//! that a newer Knative release, a vendor extension or a half-written manifest never breaks
//! parsing, and so that re-serialising an object (the TUI's YAML view) gives back what was read.
//! Types are still checked: `spec.broker: 5` is an error, because silently dropping it would
//! hide a real mistake in the user's manifest.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub type Map = BTreeMap<String, Value>;
pub type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    #[serde(flatten)]
    pub extra: Map,
}

impl ObjectMeta {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(String::as_str)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(flatten)]
    pub extra: Map,
}

/// A Kubernetes object: type meta, object meta, spec and status, plus whatever else it carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(
        serialize = "Spec: Serialize + Default + PartialEq, Status: Serialize + Default + PartialEq",
        deserialize = "Spec: Deserialize<'de> + Default, Status: Deserialize<'de> + Default"
    )
)]
pub struct Object<Spec, Status> {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "is_default")]
    pub spec: Spec,
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: Status,
    #[serde(flatten)]
    pub extra: Map,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl<Spec, Status> Object<Spec, Status> {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn namespace(&self) -> &str {
        &self.metadata.namespace
    }

    /// The API group: the part of apiVersion before "/", or "" for the core group.
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(self.namespace(), self.name())
    }
}

/// The group of an apiVersion, as the eventmesh backend derives it: the text before "/".
pub fn group_of(api_version: &str) -> &str {
    api_version
        .split_once('/')
        .map(|(group, _)| group)
        .unwrap_or("")
}

/// "namespace/name", the key the eventmesh backend and kubectl users both recognise.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl From<ObjectKey> for String {
    fn from(key: ObjectKey) -> String {
        key.to_string()
    }
}

impl TryFrom<String> for ObjectKey {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.split_once('/') {
            Some((namespace, name)) => Ok(ObjectKey::new(namespace, name)),
            None => Err(format!("expected namespace/name, got {text:?}")),
        }
    }
}

/// A reference to another object (Knative's KReference; also used for a channel reference).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KReference {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// KReference allows `group` instead of apiVersion when the version does not matter.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(flatten)]
    pub extra: Map,
}

impl KReference {
    pub fn group(&self) -> &str {
        if self.api_version.is_empty() {
            &self.group
        } else {
            group_of(&self.api_version)
        }
    }

    /// The namespace the reference points into: its own, or the referrer's by default (as the
    /// Knative webhooks default it).
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        if self.namespace.is_empty() {
            default
        } else {
            &self.namespace
        }
    }
}

/// Where events go: a ref, a uri, or both (the uri is then relative to the ref's address).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<KReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default, rename = "type")]
    pub condition_type: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Addressable {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudEventAttributes {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

/// The Knative duck-typed status every mesh kind shares; kind-specific fields are all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Addressable>,
    /// Trigger and Subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber_uri: Option<String>,
    /// Sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ce_attributes: Vec<CloudEventAttributes>,
    #[serde(flatten)]
    pub extra: Map,
}

impl Status {
    pub fn condition(&self, condition_type: &str) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|c| c.condition_type == condition_type)
    }

    /// Ready as Kubernetes users read it: "True", "False", "Unknown", or absent.
    pub fn ready(&self) -> Readiness {
        match self.condition("Ready").map(|c| c.status.as_str()) {
            Some("True") => Readiness::Ready,
            Some("False") => Readiness::NotReady,
            Some(_) => Readiness::Unknown,
            None => Readiness::NoStatus,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    NotReady,
    Unknown,
    NoStatus,
}

// ---- Broker ---------------------------------------------------------------------------------

pub const BROKER_CLASS_ANNOTATION: &str = "eventing.knative.dev/broker.class";
pub const DEFAULT_BROKER_CLASS: &str = "MTChannelBasedBroker";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<KReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliverySpec>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_sink: Option<Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

pub type Broker = Object<BrokerSpec, Status>;

impl Broker {
    pub fn class(&self) -> &str {
        self.metadata
            .annotation(BROKER_CLASS_ANNOTATION)
            .unwrap_or(DEFAULT_BROKER_CLASS)
    }
}

// ---- Trigger --------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerSpec {
    #[serde(default)]
    pub broker: String,
    /// A broker by reference, which may be in another namespace (`spec.broker` is always the
    /// trigger's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_ref: Option<KReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<AttributesFilter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<SubscriptionsApiFilter>,
    #[serde(default)]
    pub subscriber: Destination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliverySpec>,
    #[serde(flatten)]
    pub extra: Map,
}

/// The legacy filter: exact match on each attribute; "" matches any value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributesFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<StringMap>,
    #[serde(flatten)]
    pub extra: Map,
}

/// One element of `spec.filters`, the Subscriptions API filter dialects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionsApiFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<StringMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<SubscriptionsApiFilter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<SubscriptionsApiFilter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<SubscriptionsApiFilter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cesql: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

pub type Trigger = Object<TriggerSpec, Status>;

impl Trigger {
    /// The broker the trigger is on: `spec.broker` in its own namespace, else `spec.brokerRef`
    /// (its namespace defaulting to the trigger's).
    pub fn broker_key(&self) -> ObjectKey {
        match &self.spec.broker_ref {
            Some(reference) if self.spec.broker.is_empty() && !reference.name.is_empty() => {
                let namespace = match reference.namespace.as_str() {
                    "" => self.namespace(),
                    namespace => namespace,
                };
                ObjectKey::new(namespace, &reference.name)
            }
            _ => ObjectKey::new(self.namespace(), &self.spec.broker),
        }
    }
}

// ---- EventType (v1beta1, v1beta2 and v1beta3 read into one view) -----------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeSpec {
    /// v1beta1/v1beta2.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_data: Option<String>,
    /// Deprecated in v1beta2 in favour of `reference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<KReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// v1beta3: the CloudEvents attributes, each pinned to a value or left open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<EventAttributeDefinition>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventAttributeDefinition {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(flatten)]
    pub extra: Map,
}

pub type EventType = Object<EventTypeSpec, Status>;

impl EventType {
    /// The CloudEvents type: v1beta2's `spec.type`, or v1beta3's `type` attribute.
    pub fn cloud_event_type(&self) -> &str {
        self.spec
            .event_type
            .as_deref()
            .or_else(|| self.pinned_attribute("type"))
            .unwrap_or("")
    }

    /// The value the event type pins an attribute to, if it pins it.
    pub fn pinned_attribute(&self, name: &str) -> Option<&str> {
        if let Some(attribute) = self.spec.attributes.iter().find(|a| a.name == name) {
            return attribute.value.as_deref().filter(|v| !v.is_empty());
        }
        let value = match name {
            "type" => self.spec.event_type.as_deref(),
            "source" => self.spec.source.as_deref(),
            "dataschema" => self.spec.schema.as_deref(),
            _ => None,
        };
        value.filter(|v| !v.is_empty())
    }
}

// ---- Channels and subscriptions -------------------------------------------------------------

pub type Channel = Object<Map, Status>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSpec {
    #[serde(default)]
    pub channel: KReference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber: Option<Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliverySpec>,
    #[serde(flatten)]
    pub extra: Map,
}

pub type Subscription = Object<SubscriptionSpec, Status>;

impl Subscription {
    /// The channel the subscription names: in its own namespace unless the ref says another.
    pub fn channel_key(&self) -> ObjectKey {
        let channel = &self.spec.channel;
        let namespace = match channel.namespace.as_str() {
            "" => self.namespace(),
            other => other,
        };
        ObjectKey::new(namespace, &channel.name)
    }
}

// ---- Sources ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<Destination>,
    #[serde(flatten)]
    pub extra: Map,
}

pub type Source = Object<SourceSpec, Status>;

// ---- CustomResourceDefinition -----------------------------------------------------------------

pub const SUBSCRIBABLE_LABEL: &str = "messaging.knative.dev/subscribable";
pub const SOURCE_LABEL: &str = "duck.knative.dev/source";
pub const EVENT_TYPES_ANNOTATION: &str = "registry.knative.dev/eventTypes";
pub const BACKSTAGE_ID_LABEL: &str = "backstage.io/kubernetes-id";
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdSpec {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub names: CrdNames,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub versions: Vec<CrdVersion>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdNames {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub plural: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub singular: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(flatten)]
    pub extra: Map,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrdVersion {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub served: bool,
    #[serde(default)]
    pub storage: bool,
    #[serde(flatten)]
    pub extra: Map,
}

pub type Crd = Object<CrdSpec, Map>;

/// One entry of a source CRD's `registry.knative.dev/eventTypes` annotation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistryEventType {
    #[serde(default, rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Crd {
    pub fn is_subscribable(&self) -> bool {
        self.metadata.label(SUBSCRIBABLE_LABEL) == Some("true")
    }

    pub fn is_source(&self) -> bool {
        self.metadata.label(SOURCE_LABEL) == Some("true")
    }

    /// The first served version, as the eventmesh backend picks it.
    pub fn served_version(&self) -> Option<&str> {
        self.spec
            .versions
            .iter()
            .find(|v| v.served)
            .map(|v| v.name.as_str())
    }

    /// The event types a source kind declares. A malformed annotation yields an error text
    /// rather than a failure: the Go backend fails the whole request on it, we report it.
    pub fn registry_event_types(&self) -> Result<Vec<RegistryEventType>, String> {
        match self.metadata.annotation(EVENT_TYPES_ANNOTATION) {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                format!(
                    "annotation {EVENT_TYPES_ANNOTATION} of CRD {} is not a JSON list: {e}",
                    self.name()
                )
            }),
        }
    }
}

/// Any other object: a subscriber candidate (Service, Knative Service, Deployment, ...).
pub type GenericObject = Object<Map, Map>;

impl GenericObject {
    pub fn backstage_id(&self) -> Option<&str> {
        self.metadata.label(BACKSTAGE_ID_LABEL)
    }
}
