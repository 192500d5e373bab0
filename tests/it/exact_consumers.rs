//! `--consumers exact`: `consumedBy` with Knative's filter semantics, for `-o eventmesh` and
//! `serve`, beside the Go backend's rule, which stays the default byte for byte.

use crate::backend::{serve_in, via_backend};
use crate::common::{self, BROKER, demo_dir, demo_sim, kn_mesh, mesh_of};
use kn_mesh::mesh::eventmesh::{self, Consumers};
use serde_json::Value;
use std::collections::BTreeSet;

/// Every (event type, consumer) relation of an eventmesh answer.
fn relations(body: &Value) -> BTreeSet<(String, String)> {
    body["eventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|et| {
            let name = et["name"].as_str().unwrap().to_string();
            et["consumedBy"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |c| (name.clone(), c.as_str().unwrap().to_string()))
        })
        .collect()
}

fn eventmesh_of_demo(extra: &[&str]) -> (Value, Vec<u8>) {
    let demo = demo_dir().display().to_string();
    let mut args = vec!["-f", demo.as_str(), "-o", "eventmesh"];
    args.extend(extra);
    let output = kn_mesh(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        serde_json::from_slice(&output.stdout).unwrap(),
        output.stdout,
    )
}

#[test]
fn in_the_demo_eleven_of_the_backends_27_consumer_relations_are_false() {
    let (backend, default_bytes) = eventmesh_of_demo(&[]);
    let (_, backend_bytes) = eventmesh_of_demo(&["--consumers", "backend"]);
    assert_eq!(
        default_bytes, backend_bytes,
        "the default is the backend's rule"
    );
    let (exact, _) = eventmesh_of_demo(&["--consumers", "exact"]);
    let (by_backend, by_filters) = (relations(&backend), relations(&exact));
    assert_eq!(by_backend.len(), 27);
    assert_eq!(by_filters.len(), 16);
    assert!(by_filters.is_subset(&by_backend), "no relation is added");
    let false_ones: Vec<(&str, &str)> = by_backend
        .difference(&by_filters)
        .map(|(et, c)| (et.as_str(), c.as_str()))
        .collect();
    // Each is a filter the backend does not read: `filters` (prefix, suffix, any), which it
    // ignores, so the trigger consumes every type on the broker.
    assert_eq!(
        false_ones,
        [
            ("order-created", "fraud-detector"),
            ("order-created", "refund-service"),
            ("order-created", "settlement-eu"),
            ("payment-authorized", "refund-service"),
            ("payment-authorized", "settlement-eu"),
            ("payment-declined", "refund-service"),
            ("payment-declined", "settlement-eu"),
            ("payment-settled", "fraud-detector"),
            ("payment-settled", "refund-service"),
            ("refund-requested", "fraud-detector"),
            ("refund-requested", "settlement-eu"),
        ]
    );
    // Everything but consumedBy is the backend's.
    let strip = |mut body: Value| {
        for et in body["eventTypes"].as_array_mut().unwrap() {
            et["consumedBy"] = Value::Null;
        }
        body
    };
    assert_eq!(strip(backend), strip(exact));
}

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
  subscriber: {{ref: {{apiVersion: v1, kind: Service, name: {subscriber}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {subscriber}, namespace: a, labels: {{backstage.io/kubernetes-id: {subscriber}}}}}
"
    )
}

fn event_type(name: &str, event_type: &str) -> String {
    format!(
        "
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {{name: {name}, namespace: a}}
spec:
  type: {event_type}
  source: https://shop.example.com
  reference: {{apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
"
    )
}

fn consumed_by(body: &Value, event_type: &str) -> Vec<String> {
    let et = body["eventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|et| et["name"] == event_type)
        .unwrap();
    serde_json::from_value(et["consumedBy"].clone()).unwrap()
}

#[test]
fn exact_consumers_follow_filters_over_filter_cesql_and_the_broker_class() {
    let yaml = [
        BROKER.to_string(),
        event_type("a", "order.created"),
        event_type("b", "order.paid"),
        // `filters` wins over `filter`: the backend reads only `filter`, and is wrong both ways.
        trigger(
            "both",
            "filter: {attributes: {type: order.created}}\n  filters: [{exact: {type: order.paid}}]",
            "paid-svc",
        ),
        // CESQL decided over the type; an attribute the type does not pin keeps the trigger.
        trigger(
            "cesql",
            "filters: [{cesql: \"type = 'order.paid' AND INT(amount) > 10\"}]",
            "big-svc",
        ),
        trigger(
            "by-source",
            "filters: [{suffix: {source: \".example.com\"}}, {prefix: {type: order.c}}]",
            "src-svc",
        ),
    ]
    .concat();
    // A trigger in another namespace, on the broker by brokerRef: the Go backend never counts
    // it; Knative delivers to it.
    let cross = trigger("cross", "filters: [{prefix: {type: order.}}]", "cross-svc")
        .replace("namespace: a}", "namespace: other}")
        .replace("namespace: a,", "namespace: other,")
        .replace(
            "broker: default",
            "brokerRef: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default, namespace: a}",
        );
    let yaml = format!("{yaml}{cross}");
    let mesh = mesh_of(&yaml);
    let backend = serde_json::to_value(eventmesh::project(&mesh)).unwrap();
    let exact = serde_json::to_value(eventmesh::project_with(&mesh, Consumers::Exact)).unwrap();
    // Triggers in name order: both, by-source, cesql.
    assert_eq!(
        consumed_by(&backend, "a"),
        ["paid-svc", "src-svc", "big-svc"]
    );
    assert_eq!(consumed_by(&backend, "b"), ["src-svc", "big-svc"]);
    assert_eq!(consumed_by(&exact, "a"), ["src-svc", "cross-svc"]);
    assert_eq!(
        consumed_by(&exact, "b"),
        ["paid-svc", "big-svc", "cross-svc"]
    );

    // On a broker class that may not read `filters`, their "no" is only a maybe: kept.
    let other_class = yaml.replace(
        "metadata: {name: default, namespace: a, uid: b-1}",
        "metadata: {name: default, namespace: a, uid: b-1, annotations: \
         {eventing.knative.dev/broker.class: RabbitMQBroker}}",
    );
    assert_ne!(other_class, yaml);
    let mesh = mesh_of(&other_class);
    let exact = serde_json::to_value(eventmesh::project_with(&mesh, Consumers::Exact)).unwrap();
    assert_eq!(
        consumed_by(&exact, "a"),
        ["paid-svc", "src-svc", "big-svc", "cross-svc"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_exact_consumers_answers_as_the_files_do() {
    let sim = demo_sim().await;
    let (files, _) = eventmesh_of_demo(&["--consumers", "exact"]);
    let url = serve_in(&sim, false, None, Consumers::Exact).await;
    let body = crate::backend::reqwest_like_get(
        &format!("{url}/v1/getEventMesh"),
        sim.token("mesh-viewer"),
    )
    .await;
    let served: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(relations(&served), relations(&files));
    assert_eq!(relations(&served).len(), 16);
}

#[tokio::test(flavor = "multi_thread")]
async fn exact_consumers_need_triggers_and_apply_to_eventmesh_only() {
    let sim = demo_sim().await;
    let url = serve_in(&sim, false, None, Consumers::Backend).await;
    let output = via_backend(&url, sim.token("mesh-viewer"), &["--consumers", "exact"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--consumers exact needs the triggers' filters"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let demo = demo_dir().display().to_string();
    let output = common::kn_mesh(&["-f", &demo, "-o", "tree", "--consumers", "exact"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--consumers is for -o eventmesh"),
        "{stderr}"
    );
    let output = common::kn_mesh(&["-f", &demo, "-o", "eventmesh", "--consumers", "most"]);
    assert_eq!(output.status.code(), Some(2));
}
