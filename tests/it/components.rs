//! Issue 14: flows, sinks, transforms, policies and other Knative objects, and delivery. On
//! manifests through `mesh::build`, and through the simulated cluster with kube-rs.

use crate::common::{self, mesh_of};
use kn_mesh::mesh::components::ComponentKind;
use kn_mesh::mesh::model::Resolution;
use kn_mesh::mesh::views::{self, NodeKind, TreeNode, View};
use kn_mesh::mesh::{self, Mesh};
use kn_mesh::source::fetch::Scope;

/// Every row of a view, indented by depth, as `-o tree` reads.
fn view_rows(mesh: &Mesh, view: View) -> Vec<String> {
    fn walk(node: &TreeNode, depth: usize, out: &mut Vec<String>) {
        out.push(format!("{}{}", "  ".repeat(depth), node.text));
        for child in &node.children {
            walk(child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for root in views::tree(mesh, view) {
        walk(&root, 0, &mut out);
    }
    out
}

fn position(rows: &[String], text: &str) -> usize {
    rows.iter()
        .position(|r| r.trim_start() == text)
        .unwrap_or_else(|| panic!("no row {text:?} in {rows:#?}"))
}

fn depth(row: &str) -> usize {
    (row.len() - row.trim_start().len()) / 2
}

const CHAIN: &str = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
spec:
  delivery:
    deadLetterSink: {ref: {apiVersion: v1, kind: Service, name: dlq}}
    retry: 3
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: to-sequence, namespace: a}
spec:
  broker: default
  subscriber: {ref: {apiVersion: flows.knative.dev/v1, kind: Sequence, name: pipeline}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: to-parallel, namespace: a}
spec:
  broker: default
  subscriber: {ref: {apiVersion: flows.knative.dev/v1, kind: Parallel, name: fanout}}
  delivery:
    deadLetterSink: {ref: {apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, name: replayer}}
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {name: pipeline, namespace: a}
spec:
  channelTemplate: {apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel}
  steps:
    - ref: {apiVersion: v1, kind: Service, name: first}
    - ref: {apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: shape}
  reply: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: {name: fanout, namespace: a}
spec:
  branches:
    - filter: {uri: "http://even.a.svc"}
      subscriber: {ref: {apiVersion: v1, kind: Service, name: first}}
    - subscriber: {ref: {apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, name: replayer}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: {name: shape, namespace: a}
spec:
  jsonata: {expression: "$"}
---
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: {name: replayer, namespace: a}
spec:
  job: {spec: {template: {spec: {containers: [{name: r, image: example/replayer:2}]}}}}
---
apiVersion: v1
kind: Service
metadata: {name: first, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: dlq, namespace: a}
"#;

#[test]
fn a_trigger_continues_into_a_sequence_and_a_parallel() {
    let mesh = mesh_of(CHAIN);
    let rows = view_rows(&mesh, View::Brokers);
    let subscriber = position(&rows, "subscriber: Sequence a/pipeline");
    let step1 = position(&rows, "step 1: Service a/first");
    let step2 = position(&rows, "step 2: EventTransform a/shape");
    let reply = position(&rows, "reply: Broker a/default");
    assert!(subscriber < step1 && step1 < step2 && step2 < reply);
    assert_eq!(depth(&rows[step1]), depth(&rows[subscriber]) + 1);
    // The transform has no sink: its output is the reply, and the tree says so.
    let back = position(
        &rows,
        "reply: the transformed event goes back to the caller",
    );
    assert_eq!(depth(&rows[back]), depth(&rows[step2]) + 1);
    // The Parallel's branches, filter then subscriber.
    let filter = position(&rows, "branch 1 filter: http://even.a.svc");
    let branch = position(&rows, "branch 1 subscriber: Service a/first");
    assert!(filter < branch);
    position(&rows, "branch 2 subscriber: JobSink a/replayer");
}

#[test]
fn a_trigger_without_its_own_dead_letter_sink_inherits_the_brokers() {
    let mesh = mesh_of(CHAIN);
    let key = |name: &str| kn_mesh::mesh::objects::ObjectKey::new("a", name);
    let inherited = mesh.trigger(&key("to-sequence")).unwrap();
    let delivery = inherited.delivery.as_ref().unwrap();
    let from = delivery.dead_letter_sink_from.as_ref().unwrap();
    assert_eq!(
        (from.kind.as_str(), from.key.name.as_str()),
        ("Broker", "default")
    );
    assert_eq!(
        delivery.retry,
        Some(3),
        "no delivery of its own: the broker's whole"
    );
    let rows = view_rows(&mesh, View::Brokers);
    position(
        &rows,
        "dead letter (from broker default): Service a/dlq  [retry 3]",
    );
    // Its own dead-letter sink wins, and is a JobSink: a node of its own, found.
    let own = mesh.trigger(&key("to-parallel")).unwrap();
    let delivery = own.delivery.as_ref().unwrap();
    assert!(delivery.dead_letter_sink_from.is_none());
    let sink = delivery.dead_letter_sink.as_ref().unwrap();
    assert!(matches!(sink.resolution, Resolution::Found { .. }));
    position(&rows, "dead letter: JobSink a/replayer");
    // The JobSink says who points at it, and its image.
    let index = mesh
        .components
        .iter()
        .position(|c| c.component == ComponentKind::JobSink)
        .unwrap();
    let referrers: Vec<String> =
        kn_mesh::mesh::referrers::pointed_at_by(&mesh, &views::Target::Component(index))
            .into_iter()
            .map(|(what, _)| what)
            .collect();
    assert_eq!(
        referrers,
        [
            "trigger a/to-parallel (dead letter)",
            "Parallel a/fanout (branch 2 subscriber)"
        ]
    );
    let image = &mesh.components[index].facts[0];
    assert_eq!(
        (image.name.as_str(), image.value.as_str()),
        ("image", "example/replayer:2")
    );
}

#[test]
fn dead_letter_sinks_are_dashed_edges_once_at_their_owner() {
    let mesh = mesh_of(CHAIN);
    let mermaid = kn_mesh::output::graph::mermaid(&mesh);
    assert!(
        mermaid.contains("broker_a_default -.->|dead letter| Service_a_dlq"),
        "{mermaid}"
    );
    assert!(mermaid.contains("trigger_a_to_parallel -.->|dead letter| JobSink_a_replayer"));
    // An inherited dead-letter sink is the broker's edge, not one per trigger.
    assert!(!mermaid.contains("trigger_a_to_sequence -.->|dead letter|"));
    let dot = kn_mesh::output::graph::dot(&mesh);
    assert!(
        dot.contains(
            "trigger_a_to_parallel -> JobSink_a_replayer [label=\"dead letter\", style=dashed]"
        ),
        "{dot}"
    );
}

#[test]
fn an_event_transform_between_a_source_and_a_broker() {
    let mesh = mesh_of(
        r#"
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: tick, namespace: a}
spec:
  schedule: "* * * * *"
  sink: {ref: {apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: shape}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: {name: shape, namespace: a}
spec:
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
  jsonata: {expression: "$merge([$, {\"shaped\": true}])"}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
"#,
    );
    let rows = view_rows(&mesh, View::Sources);
    let sink = position(&rows, "sink: EventTransform a/shape");
    let broker = position(&rows, "sink: Broker a/default");
    assert_eq!(depth(&rows[broker]), depth(&rows[sink]) + 1);
    let flows = view_rows(&mesh, View::Flows);
    assert!(
        flows
            .iter()
            .any(|r| r.trim_start() == "EventTransform shape"),
        "{flows:#?}"
    );
}

#[test]
fn every_knative_kind_is_kept_even_without_its_crd() {
    let mesh = mesh_of(
        r#"
apiVersion: sources.knative.dev/v1alpha1
kind: RedisStreamSource
metadata: {name: redis, namespace: a}
spec:
  address: "rediss://redis:6379"
  sink: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: display}}
---
apiVersion: bindings.knative.dev/v1beta1
kind: KafkaBinding
metadata: {name: kb, namespace: a}
spec:
  subject: {apiVersion: batch/v1, kind: Job, name: producer}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: {name: cfg, namespace: a}
spec:
  queueType: quorum
---
apiVersion: example.knative.dev/v1
kind: Gadget
metadata: {name: g, namespace: a}
spec:
  sink: {uri: "http://gadget.example"}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: display, namespace: a}
"#,
    );
    // A sources.knative.dev kind with a sink is a source; the rest are Knative objects.
    assert_eq!(mesh.sources.len(), 1);
    assert_eq!(mesh.sources[0].object.kind, "RedisStreamSource");
    assert!(matches!(
        mesh.sources[0].sink.resolution,
        Resolution::Found { .. }
    ));
    let kinds: Vec<&str> = mesh
        .components
        .iter()
        .map(|c| c.object.kind.as_str())
        .collect();
    assert_eq!(kinds, ["RabbitmqBrokerConfig", "Gadget", "KafkaBinding"]);
    assert!(
        mesh.components
            .iter()
            .all(|c| c.component == ComponentKind::OtherKnative)
    );
    let rows = view_rows(&mesh, View::Flows);
    position(&rows, "sink: http://gadget.example");
    // A Knative Service is a workload, like a Deployment: a subscriber, not a component.
    assert!(!kinds.contains(&"Service"));
}

#[test]
fn a_flow_whose_steps_cannot_be_read_is_undecodable_in_place() {
    let mesh = mesh_of(
        r#"
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {name: broken, namespace: a}
spec:
  steps: [{ref: "not a reference"}]
"#,
    );
    assert!(mesh.components.is_empty());
    assert!(!mesh.completeness().is_whole());
    let rows = view_rows(&mesh, View::Flows);
    assert!(
        rows.iter()
            .any(|r| r.contains("Sequence broken: cannot decode field spec.steps[0]")),
        "{rows:#?}"
    );
}

#[test]
fn policies_list_what_they_apply_to_and_whom_they_admit() {
    let mesh = mesh_of(
        r#"
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {name: p, namespace: a}
spec:
  to: [{ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}},
       {selector: {apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, matchLabels: {team: a}}}]
  from: [{sub: "system:serviceaccount:b:*"}]
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
"#,
    );
    let rows = view_rows(&mesh, View::Policies);
    position(&rows, "to: Broker a/default");
    position(&rows, "to: JobSink objects labelled team=a");
    position(&rows, "from: OIDC subject system:serviceaccount:b:*");
    assert!(
        view_rows(&mesh, View::Flows).is_empty(),
        "a policy is not a flow"
    );
    let node = views::tree(&mesh, View::Policies);
    assert_eq!(node[0].children[0].kind, NodeKind::Component);
}

#[tokio::test]
async fn through_the_sim_the_demo_flows_sinks_and_dead_letters_are_read() {
    let sim = common::demo_sim().await;
    let fetcher = common::fetcher(&sim, "mesh-viewer").await;
    let before = sim.requests_served();
    let mesh = mesh::build(fetcher.fetch(&Scope::default()).await.unwrap());
    assert!(mesh.completeness().is_whole(), "{:?}", mesh.completeness());
    let kinds: Vec<&str> = mesh
        .components
        .iter()
        .map(|c| c.object.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "EventPolicy",
            "EventTransform",
            "JobSink",
            "Sequence",
            "EventPolicy"
        ],
        "by namespace, then name"
    );
    let rows = view_rows(&mesh, View::Brokers);
    position(&rows, "subscriber: Sequence payments/decline-review");
    position(
        &rows,
        "dead letter: JobSink payments/decline-replayer  [retry 2]",
    );
    // The Sequence's step channels and subscriptions are under it, not top-level channels.
    let sequence = mesh
        .components
        .iter()
        .find(|c| c.object.kind == "Sequence")
        .unwrap();
    assert_eq!(sequence.owned_channels.len(), 2);
    assert_eq!(sequence.owned_subscriptions.len(), 2);
    let channels = view_rows(&mesh, View::Channels);
    assert!(
        !channels
            .iter()
            .any(|r| r.contains("decline-review-kn-sequence"))
    );
    // The eight component kinds cost one list each, and what they list is not looked up one
    // by one; Knative's feature flags cost one get. The eventmesh backend's reading asks for
    // none of them.
    let served = sim.requests_served() - before;
    let backend = {
        let before = sim.requests_served();
        let scope = Scope {
            eventmesh_only: true,
            ..Scope::default()
        };
        fetcher.fetch(&scope).await.unwrap();
        sim.requests_served() - before
    };
    assert_eq!((served, backend), (29, 24));
}

#[tokio::test]
async fn serve_and_eventmesh_read_only_what_the_backend_reads() {
    // payments-only may not list sequences outside payments: kn-mesh says so in place, and the
    // eventmesh answer, which never reads sequences, is not failed by it.
    let sim = common::demo_sim().await;
    let fetcher = common::fetcher(&sim, "payments-only").await;
    let full = mesh::build(fetcher.fetch(&Scope::default()).await.unwrap());
    assert!(
        full.access
            .iter()
            .any(|m| m.access.is_denied() && m.request.resource.plural == "sequences")
    );
    let scope = Scope {
        eventmesh_only: true,
        ..Scope::default()
    };
    let backend = mesh::build(fetcher.fetch(&scope).await.unwrap());
    assert!(
        !backend
            .access
            .iter()
            .any(|m| m.request.resource.group == "flows.knative.dev")
    );
    assert_eq!(
        mesh::eventmesh::project(&full),
        mesh::eventmesh::project(&backend),
        "the projection does not depend on the component kinds"
    );
}

#[test]
fn a_delivery_that_cannot_be_read_marks_its_object_never_drops_its_dead_letter_sink() {
    let mesh = mesh_of(
        r#"
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {name: s, namespace: a}
spec:
  steps:
    - uri: "http://one"
      delivery: {retry: "five", deadLetterSink: {uri: "http://dls"}}
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: {name: c, namespace: a}
spec:
  delivery: {retry: "five", deadLetterSink: {uri: "http://dls"}}
"#,
    );
    assert!(mesh.components.is_empty() && mesh.channels.is_empty());
    let fields: Vec<String> = mesh
        .access
        .iter()
        .filter_map(|m| match &m.access {
            kn_mesh::mesh::snapshot::Access::Undecodable { field, .. } => Some(field.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fields, ["spec.steps[0].delivery", "spec.delivery"]);
    assert!(!mesh.completeness().is_whole());
}

#[test]
fn relation_labels_from_a_saved_mesh_are_escaped_in_pictures() {
    let mut mesh = mesh_of(CHAIN);
    let sequence = mesh
        .components
        .iter_mut()
        .find(|c| c.object.kind == "Sequence")
        .unwrap();
    sequence.relations[0].label = "x\"]; evil -> y [\u{1b}]0;pwned\u{7}".into();
    let dot = kn_mesh::output::graph::dot(&mesh);
    assert!(!dot.contains('\u{1b}'), "{dot}");
    assert!(
        dot.contains(r#"[label="x\"]; evil -> y [\\x1b]0;pwned\\x07"]"#),
        "{dot}"
    );
    let mermaid = kn_mesh::output::graph::mermaid(&mesh);
    assert!(!mermaid.contains('\u{1b}'), "{mermaid}");
    assert!(
        mermaid.contains("-->|x#quot;]; evil -#gt; y ["),
        "{mermaid}"
    );
}

const ACROSS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: a}
spec:
  broker: default
  subscriber: {ref: {apiVersion: flows.knative.dev/v1, kind: Sequence, name: s, namespace: b}}
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {name: s, namespace: b}
spec:
  steps: [{uri: "http://one"}]
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {name: p, namespace: a}
spec:
  from: [{ref: {apiVersion: eventing.knative.dev/v1, kind: Trigger, name: t}}]
"#;

#[tokio::test]
async fn under_dash_n_a_flow_in_another_namespace_is_looked_up_whole_and_once() {
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(ACROSS).unwrap();
    let sim = common::start_sim(objects).await;
    let fetcher = common::fetcher(&sim, "admin").await;
    let scope = Scope {
        namespaces: Some(vec!["a".into()]),
        ..Scope::default()
    };
    let mesh = mesh::build(fetcher.fetch(&scope).await.unwrap());
    let trigger = &mesh.triggers[0];
    assert!(
        matches!(trigger.subscriber.resolution, Resolution::Found { .. }),
        "{:?}",
        trigger.subscriber
    );
    let sequences: Vec<_> = mesh
        .components
        .iter()
        .filter(|c| c.object.kind == "Sequence")
        .collect();
    assert_eq!(sequences.len(), 1, "once, not again as metadata");
    assert_eq!(sequences[0].relations.len(), 1, "read whole, with its step");
    // The policy's sender, a trigger in hand, is found.
    let policy = mesh
        .components
        .iter()
        .find(|c| c.component == ComponentKind::EventPolicy)
        .unwrap();
    assert!(matches!(
        policy.relations[0].link.resolution,
        Resolution::Found { .. }
    ));
}

/// The same chain through the sim, read as from a cluster with kube-rs: the Parallel's branches
/// and the Sequence's steps continue the triggers' chains, and the JobSink is a dead-letter sink.
#[tokio::test]
async fn through_the_sim_a_trigger_continues_into_a_sequence_and_a_parallel() {
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(CHAIN).unwrap();
    let sim = common::start_sim(objects).await;
    let fetcher = common::fetcher(&sim, "admin").await;
    let mesh = mesh::build(fetcher.fetch(&Scope::default()).await.unwrap());
    assert!(mesh.completeness().is_whole(), "{:?}", mesh.completeness());
    let rows = view_rows(&mesh, View::Brokers);
    let subscriber = position(&rows, "subscriber: Parallel a/fanout");
    let filter = position(&rows, "branch 1 filter: http://even.a.svc");
    let branch = position(&rows, "branch 2 subscriber: JobSink a/replayer");
    assert!(subscriber < filter && filter < branch);
    assert_eq!(depth(&rows[filter]), depth(&rows[subscriber]) + 1);
    position(&rows, "step 2: EventTransform a/shape");
    position(&rows, "dead letter: JobSink a/replayer");
    let parallel = mesh
        .components
        .iter()
        .find(|c| c.object.kind == "Parallel")
        .expect("the Parallel is listed from the sim");
    assert_eq!(
        parallel
            .relations
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>(),
        [
            "branch 1 filter",
            "branch 1 subscriber",
            "branch 2 subscriber"
        ]
    );
}

/// A flow's channel and subscription whose owner is not in the mesh (denied, outside -n or -l,
/// being deleted) stand on their own instead of vanishing with it.
#[test]
fn owned_channels_without_their_owner_are_still_shown() {
    let mesh = common::mesh_of(
        r#"apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata:
  name: pipeline-kn-sequence-0
  namespace: a
  ownerReferences: [{apiVersion: flows.knative.dev/v1, kind: Sequence, name: pipeline, uid: u}]
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata:
  name: pipeline-kn-sequence-0
  namespace: a
  ownerReferences: [{apiVersion: flows.knative.dev/v1, kind: Sequence, name: pipeline, uid: u}]
spec:
  channel: {apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: pipeline-kn-sequence-0}
  subscriber: {uri: "http://step"}
"#,
    );
    let rows = view_rows(&mesh, View::Channels);
    position(&rows, "InMemoryChannel pipeline-kn-sequence-0");
    position(&rows, "subscription pipeline-kn-sequence-0");
}

/// Through the sim, read with kube-rs as from a cluster: a trigger's brokerRef to another
/// namespace hangs the trigger under that broker, and a SinkBinding shows its subject.
#[tokio::test]
async fn through_the_sim_a_broker_ref_across_namespaces_and_a_sink_binding_subject() {
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(
        r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: hub}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: remote, namespace: team}
spec:
  brokerRef: {apiVersion: eventing.knative.dev/v1, kind: Broker, namespace: hub, name: default}
  subscriber: {uri: "http://sink"}
---
apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: {name: bind, namespace: team}
spec:
  subject: {apiVersion: apps/v1, kind: Deployment, name: web}
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default, namespace: hub}}
"#,
    )
    .unwrap();
    let sim = common::start_sim(objects).await;
    let fetcher = common::fetcher(&sim, "admin").await;
    let mesh = mesh::build(fetcher.fetch(&Scope::default()).await.unwrap());
    assert!(mesh.completeness().is_whole(), "{:?}", mesh.completeness());
    let hub = mesh
        .broker(&kn_mesh::mesh::objects::ObjectKey::new("hub", "default"))
        .unwrap();
    let triggers: Vec<String> = hub.triggers.iter().map(ToString::to_string).collect();
    assert_eq!(triggers, ["team/remote"]);
    let rows = view_rows(&mesh, View::Sources);
    position(&rows, "subject: Deployment web");
    position(&rows, "sink: Broker hub/default");
}
