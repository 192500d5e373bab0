//! The kinds beyond brokers, triggers, event types, channels, subscriptions and sources: flows
//! (Sequence, Parallel), sinks and transforms (JobSink, IntegrationSink, KafkaSink,
//! EventTransform), RequestReply, EventPolicy, and any other object of a Knative API group.
//!
//! Each kind is described by data, not by code of its own: which of its fields point somewhere
//! (its relations, read as Knative Destinations) and which facts the detail pane shows. An
//! unknown Knative kind goes through the same mechanism with the references every Knative kind
//! may have (`sink`, `subscriber`, `reply`), so it is shown rather than dropped.

use super::objects::{DeliverySpec, Destination, KReference, Map, Object, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A flow, sink, transform, policy or other Knative object: spec read field by field.
pub type Component = Object<Map, Status>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ComponentKind {
    Sequence,
    Parallel,
    EventTransform,
    JobSink,
    IntegrationSink,
    KafkaSink,
    RequestReply,
    EventPolicy,
    /// A kind of a Knative API group that kn-mesh has no description of.
    OtherKnative,
}

/// (group, kind, plural, served version) of every kind kn-mesh describes.
pub const KNOWN_COMPONENTS: &[(&str, &str, &str, &str, ComponentKind)] = &[
    (
        "flows.knative.dev",
        "Sequence",
        "sequences",
        "v1",
        ComponentKind::Sequence,
    ),
    (
        "flows.knative.dev",
        "Parallel",
        "parallels",
        "v1",
        ComponentKind::Parallel,
    ),
    (
        "eventing.knative.dev",
        "EventTransform",
        "eventtransforms",
        "v1alpha1",
        ComponentKind::EventTransform,
    ),
    (
        "sinks.knative.dev",
        "JobSink",
        "jobsinks",
        "v1alpha1",
        ComponentKind::JobSink,
    ),
    (
        "sinks.knative.dev",
        "IntegrationSink",
        "integrationsinks",
        "v1alpha1",
        ComponentKind::IntegrationSink,
    ),
    (
        "eventing.knative.dev",
        "KafkaSink",
        "kafkasinks",
        "v1alpha1",
        ComponentKind::KafkaSink,
    ),
    (
        "eventing.knative.dev",
        "RequestReply",
        "requestreplies",
        "v1alpha1",
        ComponentKind::RequestReply,
    ),
    (
        "eventing.knative.dev",
        "EventPolicy",
        "eventpolicies",
        "v1alpha1",
        ComponentKind::EventPolicy,
    ),
];

/// Knative groups whose kinds are workloads (a Knative Service is a subscriber like a
/// Deployment), not parts of the eventing mesh.
const WORKLOAD_GROUPS: &[&str] = &["serving.knative.dev", "autoscaling.internal.knative.dev"];

impl ComponentKind {
    /// The kind of an object of this group and kind, if kn-mesh shows it as a component: a
    /// described kind, or any other kind of a `*.knative.dev` group that is not a workload.
    pub fn of(group: &str, kind: &str) -> Option<Self> {
        let known = KNOWN_COMPONENTS
            .iter()
            .find(|(g, k, ..)| *g == group && *k == kind);
        match known {
            Some(&(.., component)) => Some(component),
            None if is_component_group(group) => Some(ComponentKind::OtherKnative),
            None => None,
        }
    }

    /// The kind a resource (group and plural) names, among those kn-mesh describes.
    pub fn of_resource(group: &str, plural: &str) -> Option<Self> {
        KNOWN_COMPONENTS
            .iter()
            .find(|(g, _, p, ..)| *g == group && *p == plural)
            .map(|&(.., component)| component)
    }

    /// Flows and sinks receive events; a policy and a RequestReply only refer to others.
    pub fn family(self) -> &'static str {
        match self {
            ComponentKind::Sequence | ComponentKind::Parallel => "flow",
            ComponentKind::EventTransform => "transform",
            ComponentKind::JobSink | ComponentKind::IntegrationSink | ComponentKind::KafkaSink => {
                "sink"
            }
            ComponentKind::RequestReply => "request-reply",
            ComponentKind::EventPolicy => "policy",
            ComponentKind::OtherKnative => "knative object",
        }
    }
}

pub fn is_knative_group(group: &str) -> bool {
    group == "knative.dev" || group.ends_with(".knative.dev")
}

/// A Knative group whose objects of kinds kn-mesh does not describe are shown as components
/// (Knative Serving's are workloads, met as subscribers).
pub fn is_component_group(group: &str) -> bool {
    is_knative_group(group) && !WORKLOAD_GROUPS.contains(&group)
}

/// What a relation is, which decides how trees draw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RelationRole {
    Step,
    Filter,
    Subscriber,
    Reply,
    Sink,
    Broker,
    /// An EventPolicy applies to this object.
    To,
    /// An EventPolicy admits events from this object.
    From,
}

/// One field of a component that points somewhere, before it is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationSpec {
    pub role: RelationRole,
    /// "step 2", "branch 1 filter", "reply": what the user reads.
    pub label: String,
    /// The field, as kubectl explain names it: `spec.steps[1]`.
    pub field: String,
    pub destination: Result<Destination, String>,
    pub delivery: Option<DeliverySpec>,
}

impl RelationSpec {
    fn at(role: RelationRole, label: String, field: String, value: &Value) -> Self {
        let destination = Destination::deserialize(value).map_err(|e| e.to_string());
        let mut relation = Self {
            role,
            label,
            field,
            destination,
            delivery: None,
        };
        let at = format!("{}.delivery", relation.field);
        relation.deliver_with(value.get("delivery"), at);
        relation
    }

    /// The delivery the relation's deliveries use. One that cannot be read makes the relation
    /// unreadable, so the object is marked rather than shown without its dead-letter sink.
    fn deliver_with(&mut self, delivery: Option<&Value>, field: String) {
        let Some(value) = delivery else {
            return;
        };
        match DeliverySpec::deserialize(value) {
            Ok(delivery) => self.delivery = Some(delivery),
            Err(error) if self.destination.is_ok() => {
                self.field = field;
                self.destination = Err(error.to_string());
            }
            Err(_) => {}
        }
    }

    fn reference(role: RelationRole, label: &str, field: &str, value: &Value) -> Self {
        let destination = KReference::deserialize(value)
            .map(|reference| Destination {
                reference: Some(reference),
                ..Destination::default()
            })
            .map_err(|e| e.to_string());
        Self {
            role,
            label: label.into(),
            field: field.into(),
            destination,
            delivery: None,
        }
    }
}

/// The fields of a component that point somewhere, in the order events flow through them.
pub fn relations(kind: ComponentKind, component: &Component) -> Vec<RelationSpec> {
    let spec = &component.spec;
    let field = |role, name: &str| {
        spec.get(name)
            .map(|value| RelationSpec::at(role, name.into(), format!("spec.{name}"), value))
    };
    let mut out = Vec::new();
    match kind {
        ComponentKind::Sequence => {
            for (i, step) in array(spec, "steps").iter().enumerate() {
                out.push(RelationSpec::at(
                    RelationRole::Step,
                    format!("step {}", i + 1),
                    format!("spec.steps[{i}]"),
                    step,
                ));
            }
            out.extend(field(RelationRole::Reply, "reply"));
        }
        ComponentKind::Parallel => {
            branches(spec, &mut out);
            out.extend(field(RelationRole::Reply, "reply"));
        }
        ComponentKind::EventTransform => out.extend(field(RelationRole::Sink, "sink")),
        ComponentKind::RequestReply => {
            if let Some(broker) = spec.get("brokerRef") {
                out.push(RelationSpec::reference(
                    RelationRole::Broker,
                    "broker",
                    "spec.brokerRef",
                    broker,
                ));
            }
        }
        ComponentKind::EventPolicy => {
            policy_refs(spec, "to", RelationRole::To, &mut out);
            policy_refs(spec, "from", RelationRole::From, &mut out);
        }
        ComponentKind::JobSink | ComponentKind::IntegrationSink | ComponentKind::KafkaSink => {}
        ComponentKind::OtherKnative => {
            out.extend(field(RelationRole::Sink, "sink"));
            out.extend(field(RelationRole::Subscriber, "subscriber"));
            out.extend(field(RelationRole::Reply, "reply"));
        }
    }
    out
}

fn array<'a>(spec: &'a Map, name: &str) -> &'a [Value] {
    spec.get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Each branch's filter, subscriber and reply; the branch's delivery goes to its subscriber.
fn branches(spec: &Map, out: &mut Vec<RelationSpec>) {
    for (i, branch) in array(spec, "branches").iter().enumerate() {
        let parts = [
            ("filter", RelationRole::Filter),
            ("subscriber", RelationRole::Subscriber),
            ("reply", RelationRole::Reply),
        ];
        for (part, role) in parts {
            if let Some(value) = branch.get(part) {
                let mut relation = RelationSpec::at(
                    role,
                    format!("branch {} {part}", i + 1),
                    format!("spec.branches[{i}].{part}"),
                    value,
                );
                if role == RelationRole::Subscriber {
                    relation.deliver_with(
                        branch.get("delivery"),
                        format!("spec.branches[{i}].delivery"),
                    );
                }
                out.push(relation);
            }
        }
    }
}

/// `spec.to[].ref` and `spec.from[].ref` of an EventPolicy. Selectors and OIDC subjects are
/// facts, not references.
fn policy_refs(spec: &Map, name: &str, role: RelationRole, out: &mut Vec<RelationSpec>) {
    for (i, entry) in array(spec, name).iter().enumerate() {
        if let Some(reference) = entry.get("ref") {
            out.push(RelationSpec::reference(
                role,
                name,
                &format!("spec.{name}[{i}].ref"),
                reference,
            ));
        }
    }
}

/// Every `ref` an object of any kind holds where events may go: its subscriber, reply and sink,
/// and with `deep`, its dead-letter sinks, a Sequence's steps and a Parallel's branches. The
/// fetcher looks these up, so that what they point at is found, denied or missing, never
/// guessed. The eventmesh backend follows only the first three: serving its answer, kn-mesh
/// asks no more than it does.
pub fn destination_refs(object: &Value, deep: bool) -> Vec<&Value> {
    let Some(spec) = object.get("spec") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in ["subscriber", "reply", "sink"] {
        if let Some(value) = spec.get(name) {
            out.extend(value.get("ref"));
        }
    }
    if !deep {
        return out;
    }
    out.extend(spec.pointer("/delivery/deadLetterSink/ref"));
    for step in spec
        .get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(step.get("ref"));
        out.extend(step.pointer("/delivery/deadLetterSink/ref"));
    }
    let branches = spec.get("branches").and_then(Value::as_array);
    for branch in branches.into_iter().flatten() {
        for part in ["filter", "subscriber", "reply"] {
            out.extend(branch.get(part).and_then(|p| p.get("ref")));
        }
        out.extend(branch.pointer("/delivery/deadLetterSink/ref"));
    }
    // An EventPolicy's targets and senders, a RequestReply's broker.
    for name in ["to", "from"] {
        let entries = spec.get(name).and_then(Value::as_array);
        out.extend(entries.into_iter().flatten().filter_map(|e| e.get("ref")));
    }
    out.extend(spec.get("brokerRef"));
    out
}

/// What the detail pane says of a component besides its relations: the channel kind of a
/// flow, a JobSink's image, a KafkaSink's topic, an EventPolicy's subjects.
pub fn facts(kind: ComponentKind, component: &Component) -> Vec<(String, String)> {
    let spec = &component.spec;
    // "/jsonata/expression": the first segment names a spec field, the rest points into it.
    let text = |pointer: &str| {
        let (field, rest) = pointer[1..].split_once('/').unwrap_or((&pointer[1..], ""));
        let value = spec.get(field)?;
        let value = if rest.is_empty() {
            value
        } else {
            value.pointer(&format!("/{rest}"))?
        };
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    let mut out = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push((name.to_string(), value));
        }
    };
    match kind {
        ComponentKind::Sequence | ComponentKind::Parallel => {
            add("channel", text("/channelTemplate/kind"));
        }
        ComponentKind::EventTransform => {
            add("jsonata", text("/jsonata/expression"));
            add("reply jsonata", text("/reply/jsonata/expression"));
            add("reply discard", text("/reply/discard"));
            if !spec.contains_key("sink") {
                add(
                    "output",
                    Some("the transformed event is the reply to the caller".into()),
                );
            }
        }
        ComponentKind::JobSink => add("image", job_images(spec)),
        ComponentKind::IntegrationSink => add("target", integration_target(spec)),
        ComponentKind::KafkaSink => {
            add("topic", text("/topic"));
            add(
                "bootstrap servers",
                string_list(spec.get("bootstrapServers")),
            );
            add("content mode", text("/contentMode"));
            add("auth secret", text("/auth/secret/ref/name"));
        }
        ComponentKind::RequestReply => {
            add("timeout", text("/timeout"));
            add("correlation attribute", text("/correlationAttribute"));
            add("reply attribute", text("/replyAttribute"));
        }
        ComponentKind::EventPolicy => policy_facts(spec, &mut add),
        ComponentKind::OtherKnative => {}
    }
    out
}

fn job_images(spec: &Map) -> Option<String> {
    let containers = spec
        .get("job")?
        .pointer("/spec/template/spec/containers")?
        .as_array()?;
    let images: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .collect();
    (!images.is_empty()).then(|| images.join(", "))
}

fn integration_target(spec: &Map) -> Option<String> {
    if spec.contains_key("log") {
        return Some("log".into());
    }
    let aws = spec.get("aws")?.as_object()?;
    ["s3", "sqs", "sns"]
        .iter()
        .find(|service| aws.contains_key(**service))
        .map(|service| {
            let arn = aws[*service]
                .get("arn")
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("aws {service} {arn}").trim_end().to_string()
        })
}

fn string_list(value: Option<&Value>) -> Option<String> {
    let items: Vec<&str> = value?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Some(items.join(", "))
}

/// A label selector's `matchLabels` as kubectl's `-l` writes them: `app=web,tier=front`.
pub fn match_labels_text(selector: &Value) -> String {
    selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The selectors and subjects of an EventPolicy, which name no single object.
fn policy_facts(spec: &Map, add: &mut impl FnMut(&str, Option<String>)) {
    for entry in array(spec, "to") {
        if let Some(selector) = entry.get("selector") {
            let kind = selector.get("kind").and_then(Value::as_str).unwrap_or("");
            let labels = match_labels_text(selector);
            add("to", Some(format!("{kind} objects labelled {labels}")));
        }
    }
    if array(spec, "to").is_empty() {
        add(
            "to",
            Some("every addressable in the policy's namespace".into()),
        );
    }
    for entry in array(spec, "from") {
        if let Some(subject) = entry.get("sub").and_then(Value::as_str) {
            add("from", Some(format!("OIDC subject {subject}")));
        }
    }
    let filters = array(spec, "filters");
    if !filters.is_empty() {
        add("filters", Some(format!("{} filter(s)", filters.len())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn component(spec: Value) -> Component {
        serde_json::from_value(json!({"metadata": {"name": "x", "namespace": "a"}, "spec": spec}))
            .unwrap()
    }

    #[test]
    fn knative_groups_are_components_and_workloads_are_not() {
        assert_eq!(
            ComponentKind::of("flows.knative.dev", "Sequence"),
            Some(ComponentKind::Sequence)
        );
        assert_eq!(
            ComponentKind::of("bindings.knative.dev", "KafkaBinding"),
            Some(ComponentKind::OtherKnative)
        );
        assert_eq!(ComponentKind::of("serving.knative.dev", "Service"), None);
        assert_eq!(ComponentKind::of("apps", "Deployment"), None);
        assert_eq!(ComponentKind::of("evil.knative.dev.example.com", "X"), None);
    }

    #[test]
    fn a_sequence_is_its_steps_in_order_then_its_reply() {
        let sequence = component(json!({
            "steps": [{"ref": {"kind": "Service", "name": "one"}, "delivery": {"retry": 2}},
                      {"uri": "http://two"}],
            "reply": {"ref": {"kind": "Broker", "name": "default"}},
            "channelTemplate": {"apiVersion": "messaging.knative.dev/v1", "kind": "InMemoryChannel"}
        }));
        let relations = relations(ComponentKind::Sequence, &sequence);
        let labels: Vec<&str> = relations.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["step 1", "step 2", "reply"]);
        assert_eq!(relations[0].delivery.as_ref().unwrap().retry, Some(2));
        assert_eq!(
            facts(ComponentKind::Sequence, &sequence),
            [("channel".to_string(), "InMemoryChannel".to_string())]
        );
    }

    #[test]
    fn a_parallel_branch_is_filter_subscriber_reply() {
        let parallel = component(json!({"branches": [
            {"filter": {"uri": "http://f"}, "subscriber": {"uri": "http://s"}, "delivery": {"retry": 1}},
            {"subscriber": {"uri": "http://t"}, "reply": {"uri": "http://r"}}
        ]}));
        let relations = relations(ComponentKind::Parallel, &parallel);
        let labels: Vec<&str> = relations.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "branch 1 filter",
                "branch 1 subscriber",
                "branch 2 subscriber",
                "branch 2 reply"
            ]
        );
        assert!(relations[0].delivery.is_none());
        assert_eq!(relations[1].delivery.as_ref().unwrap().retry, Some(1));
    }

    #[test]
    fn a_destination_of_the_wrong_shape_is_an_error_in_place() {
        let sequence = component(json!({"steps": [{"ref": "not an object"}]}));
        let relations = relations(ComponentKind::Sequence, &sequence);
        assert_eq!(relations[0].field, "spec.steps[0]");
        assert!(relations[0].destination.is_err());
    }

    #[test]
    fn sink_facts_name_what_a_user_looks_for() {
        let job = component(
            json!({"job": {"spec": {"template": {"spec": {"containers": [{"image": "busybox"}]}}}}}),
        );
        assert_eq!(
            facts(ComponentKind::JobSink, &job),
            [("image".to_string(), "busybox".to_string())]
        );
        let kafka =
            component(json!({"topic": "orders", "bootstrapServers": ["k1:9092", "k2:9092"]}));
        let facts = facts(ComponentKind::KafkaSink, &kafka);
        assert!(facts.contains(&("bootstrap servers".into(), "k1:9092, k2:9092".into())));
        let transform = component(json!({"jsonata": {"expression": "$"}}));
        assert!(
            super::facts(ComponentKind::EventTransform, &transform)
                .iter()
                .any(|(name, _)| name == "output")
        );
    }
}
