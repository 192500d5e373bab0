//! One test per rule of the eventmesh backend's projection (DESIGN.md §3).

use crate::common;
use common::{BROKER, eventmesh_of};
use serde_json::json;

fn event_type(name: &str, namespace: &str, event_type: &str, reference: &str) -> String {
    format!(
        "
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {{name: {name}, namespace: {namespace}, uid: et-{name}}}
spec:
  type: {event_type}
  {reference}
"
    )
}

const TO_BROKER: &str =
    "reference: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}";

fn trigger(name: &str, filter: &str, subscriber: &str) -> String {
    format!(
        "
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {{name: {name}, namespace: a}}
spec:
  broker: default
  {filter}
  subscriber: {subscriber}
"
    )
}

fn service(name: &str, backstage_id: Option<&str>) -> String {
    let labels = backstage_id
        .map(|id| format!("labels: {{backstage.io/kubernetes-id: {id}}}"))
        .unwrap_or_default();
    format!(
        "
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: a
  {labels}
"
    )
}

const SVC_REF: &str = "{ref: {apiVersion: v1, kind: Service, name: svc}}";

#[test]
fn annotations_drop_last_applied_configuration_and_empty_becomes_null() {
    let yaml = "
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: only-last-applied
  namespace: a
  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: with-class
  namespace: a
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{}'
    eventing.knative.dev/broker.class: Kafka
";
    let mesh = eventmesh_of(yaml);
    assert_eq!(mesh["brokers"][0]["annotations"], json!(null));
    assert_eq!(
        mesh["brokers"][1]["annotations"],
        json!({"eventing.knative.dev/broker.class": "Kafka"})
    );
}

#[test]
fn labels_pass_through_as_they_are_and_absent_labels_are_null() {
    let yaml = format!("{BROKER}{}", service("svc", None));
    let mesh = eventmesh_of(&yaml);
    assert_eq!(mesh["brokers"][0]["labels"], json!(null));
    let labelled = eventmesh_of(
        "
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: b, namespace: a, labels: {team: pay}}
",
    );
    assert_eq!(labelled["brokers"][0]["labels"], json!({"team": "pay"}));
}

#[test]
fn reference_group_is_the_api_version_group_and_namespace_is_the_event_types_own() {
    let yaml = event_type(
        "et",
        "a",
        "t",
        "reference: {apiVersion: messaging.knative.dev/v1, kind: Channel, name: ch, namespace: elsewhere}",
    );
    let mesh = eventmesh_of(&yaml);
    assert_eq!(
        mesh["eventTypes"][0]["reference"],
        json!({"group": "messaging.knative.dev", "kind": "Channel", "namespace": "a", "name": "ch"})
    );
}

#[test]
fn event_types_are_sorted_by_namespace_then_name() {
    let yaml = [
        event_type("zeta", "a", "t", ""),
        event_type("alpha", "b", "t", ""),
        event_type("alpha", "a", "t", ""),
    ]
    .concat();
    let mesh = eventmesh_of(&yaml);
    let order: Vec<String> = mesh["eventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|et| {
            format!(
                "{}/{}",
                et["namespace"].as_str().unwrap(),
                et["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(order, ["a/alpha", "a/zeta", "b/alpha"]);
}

#[test]
fn empty_description_schema_data_and_schema_url_are_omitted() {
    let yaml = "
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: et, namespace: a}
spec: {type: t, description: '', schema: '', schemaData: ''}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: full, namespace: a}
spec: {type: t, description: d, schema: 'https://s', schemaData: '{}'}
";
    let mesh = eventmesh_of(yaml);
    let bare = mesh["eventTypes"][0].as_object().unwrap();
    for field in ["description", "schemaData", "schemaURL", "reference"] {
        assert!(!bare.contains_key(field), "{field} should be omitted");
    }
    assert_eq!(mesh["eventTypes"][1]["description"], "d");
    assert_eq!(mesh["eventTypes"][1]["schemaURL"], "https://s");
    assert_eq!(mesh["eventTypes"][1]["schemaData"], "{}");
}

#[test]
fn an_event_type_referencing_a_broker_is_in_its_provided_event_types() {
    let yaml = [
        BROKER.to_string(),
        event_type("mine", "a", "t1", TO_BROKER),
        event_type("unrelated", "a", "t2", ""),
        event_type(
            "other-broker",
            "a",
            "t3",
            "reference: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: other}",
        ),
    ]
    .concat();
    let mesh = eventmesh_of(&yaml);
    assert_eq!(mesh["brokers"][0]["providedEventTypes"], json!(["a/mine"]));
}

#[test]
fn an_event_type_referencing_a_subscribable_is_in_its_provided_event_types() {
    let yaml = "
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: {name: ch, namespace: a, uid: c-1}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: via-channel, namespace: a}
spec:
  type: t
  reference: {apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: wrong-kind, namespace: a}
spec:
  type: t
  reference: {apiVersion: messaging.knative.dev/v1, kind: Channel, name: ch}
";
    let mesh = eventmesh_of(yaml);
    let subscribable = &mesh["subscribables"][0];
    assert_eq!(subscribable["group"], "messaging.knative.dev");
    assert_eq!(subscribable["kind"], "InMemoryChannel");
    assert_eq!(subscribable["providedEventTypes"], json!(["a/via-channel"]));
}

const PING: &str = "
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: ping, namespace: a, uid: s-1}
spec:
  schedule: '* * * * *'
";

#[test]
fn source_provided_event_type_types_come_from_the_crd_annotation() {
    let mesh = eventmesh_of(PING);
    assert_eq!(mesh["sources"][0]["group"], "sources.knative.dev");
    assert_eq!(mesh["sources"][0]["kind"], "PingSource");
    assert_eq!(
        mesh["sources"][0]["providedEventTypeTypes"],
        json!(["dev.knative.sources.ping"])
    );
    // A source kind whose CRD declares nothing gives an empty list, not null.
    let container = eventmesh_of(
        "
apiVersion: sources.knative.dev/v1
kind: ContainerSource
metadata: {name: c, namespace: a}
",
    );
    assert_eq!(container["sources"][0]["providedEventTypeTypes"], json!([]));
}

#[test]
fn source_provided_event_types_match_by_type_in_any_namespace() {
    let yaml = [
        PING.to_string(),
        event_type("here", "a", "dev.knative.sources.ping", ""),
        event_type("there", "z", "dev.knative.sources.ping", ""),
        event_type("other-type", "a", "dev.knative.other", ""),
    ]
    .concat();
    let mesh = eventmesh_of(&yaml);
    assert_eq!(
        mesh["sources"][0]["providedEventTypes"],
        json!(["a/here", "z/there"])
    );
}

#[test]
fn source_sink_is_the_ref_in_the_sources_namespace_and_omitted_for_uris_or_incomplete_refs() {
    let yaml = "
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: a-ref, namespace: a}
spec:
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default, namespace: other}}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: b-uri, namespace: a}
spec:
  sink: {uri: 'http://example.com'}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: c-no-api-version, namespace: a}
spec:
  sink: {ref: {kind: Broker, name: default}}
";
    let mesh = eventmesh_of(yaml);
    assert_eq!(
        mesh["sources"][0]["sink"],
        json!({"group": "eventing.knative.dev", "kind": "Broker", "namespace": "a", "name": "default"})
    );
    assert!(mesh["sources"][1].get("sink").is_none());
    assert!(mesh["sources"][2].get("sink").is_none());
}

#[test]
fn consumed_by_needs_a_subscriber_ref() {
    let yaml = [
        BROKER.to_string(),
        event_type("et", "a", "t", TO_BROKER),
        trigger("uri-only", "", "{uri: 'http://svc.a.svc'}"),
        service("svc", Some("svc-id")),
    ]
    .concat();
    assert_eq!(
        eventmesh_of(&yaml)["eventTypes"][0]["consumedBy"],
        json!([])
    );
}

#[test]
fn consumed_by_needs_the_subscriber_to_exist_and_carry_a_backstage_id() {
    let base = [
        BROKER.to_string(),
        event_type("et", "a", "t", TO_BROKER),
        trigger("tr", "", SVC_REF),
    ]
    .concat();
    let missing = eventmesh_of(&base);
    assert_eq!(missing["eventTypes"][0]["consumedBy"], json!([]));
    let unlabelled = eventmesh_of(&format!("{base}{}", service("svc", None)));
    assert_eq!(unlabelled["eventTypes"][0]["consumedBy"], json!([]));
    let labelled = eventmesh_of(&format!("{base}{}", service("svc", Some("svc-id"))));
    assert_eq!(labelled["eventTypes"][0]["consumedBy"], json!(["svc-id"]));
}

#[test]
fn consumed_by_needs_the_triggers_broker_to_exist() {
    let yaml = [
        event_type("et", "a", "t", TO_BROKER),
        trigger("tr", "", SVC_REF),
        service("svc", Some("svc-id")),
    ]
    .concat();
    assert_eq!(
        eventmesh_of(&yaml)["eventTypes"][0]["consumedBy"],
        json!([])
    );
}

#[test]
fn a_type_filter_consumes_only_that_type_and_no_type_consumes_all() {
    let base = [
        BROKER.to_string(),
        event_type("et1", "a", "t1", TO_BROKER),
        event_type("et2", "a", "t2", TO_BROKER),
        service("svc", Some("id")),
    ]
    .concat();
    let consumers = |filter: &str| {
        let mesh = eventmesh_of(&format!("{base}{}", trigger("tr", filter, SVC_REF)));
        (
            mesh["eventTypes"][0]["consumedBy"].clone(),
            mesh["eventTypes"][1]["consumedBy"].clone(),
        )
    };
    assert_eq!(
        consumers("filter: {attributes: {type: t1}}"),
        (json!(["id"]), json!([]))
    );
    // No filter, a filter without `type`, and an empty `type` all mean every provided type.
    for filter in [
        "",
        "filter: {attributes: {source: s}}",
        "filter: {attributes: {type: ''}}",
    ] {
        assert_eq!(
            consumers(filter),
            (json!(["id"]), json!(["id"])),
            "{filter}"
        );
    }
}

#[test]
fn the_newer_filters_are_ignored_by_the_backend() {
    let yaml = [
        BROKER.to_string(),
        event_type("et1", "a", "t1", TO_BROKER),
        event_type("et2", "a", "t2", TO_BROKER),
        service("svc", Some("id")),
        trigger("tr", "filters: [{exact: {type: t1}}]", SVC_REF),
    ]
    .concat();
    let mesh = eventmesh_of(&yaml);
    assert_eq!(mesh["eventTypes"][1]["consumedBy"], json!(["id"]));
}

#[test]
fn consumed_by_follows_trigger_order_and_keeps_duplicates() {
    let yaml = [
        BROKER.to_string(),
        event_type("et", "a", "t", TO_BROKER),
        service("svc", Some("id")),
        trigger("b-second", "", SVC_REF),
        trigger(
            "a-first",
            "",
            "{ref: {apiVersion: v1, kind: Service, name: other}}",
        ),
        service("other", Some("other-id")),
    ]
    .concat();
    assert_eq!(
        eventmesh_of(&yaml)["eventTypes"][0]["consumedBy"],
        json!(["other-id", "id"])
    );
}

#[test]
fn the_body_has_the_four_lists_even_when_empty() {
    let mesh = eventmesh_of("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\n");
    for key in ["eventTypes", "brokers", "subscribables", "sources"] {
        assert_eq!(mesh[key], json!([]), "{key}");
    }
}
