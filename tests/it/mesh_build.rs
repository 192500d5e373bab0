//! Relations `build` derives: ownership grouping, producers and consumers, subscriber
//! resolution, and access markers placed where the data would be.

#![allow(unsafe_code)] // the counting allocator that measures peak heap

use crate::common;
use common::{demo_dir, mesh_of};
use kn_mesh::mesh::model::{ConsumerKind, Resolution, Via};
use kn_mesh::mesh::objects::ObjectKey;
use kn_mesh::mesh::snapshot::{Access, AccessMarker, ApiRequest};
use kn_mesh::mesh::views::{self, NodeStatus, TreeNode, View};
use kn_mesh::mesh::{self};
use kn_mesh::source::manifests::read_snapshot;

fn demo() -> kn_mesh::mesh::Mesh {
    mesh::build(read_snapshot(&[demo_dir()], None).unwrap().snapshot)
}

fn texts(nodes: &[TreeNode]) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(nodes: &[TreeNode], out: &mut Vec<String>) {
        for node in nodes {
            out.push(node.text.clone());
            walk(&node.children, out);
        }
    }
    walk(nodes, &mut out);
    out
}

#[test]
fn the_demo_has_the_promised_shape() {
    let mesh = demo();
    assert!(mesh.namespaces.len() >= 2);
    assert!(mesh.brokers.len() >= 2);
    assert!(mesh.triggers.len() >= 8);
    assert!(mesh.event_types.len() >= 6);
    assert!(
        mesh.event_types
            .iter()
            .any(|et| et.object.api_version.ends_with("v1beta3"))
    );
    assert!(mesh.sources.len() >= 3);
    assert!(
        mesh.triggers
            .iter()
            .any(|t| t.subscriber.resolution == Resolution::UriOnly)
    );
    assert!(
        mesh.channels
            .iter()
            .any(|c| c.owner.is_none() && !c.subscriptions.is_empty())
    );
    // Every filter dialect appears somewhere in the demo's triggers.
    let specs: Vec<String> = mesh
        .triggers
        .iter()
        .map(|t| serde_json::to_string(&t.object.spec).unwrap())
        .collect();
    let dialects = [
        "\"attributes\"",
        "\"exact\"",
        "\"prefix\"",
        "\"suffix\"",
        "\"all\"",
        "\"any\"",
        "\"not\"",
        "\"cesql\"",
    ];
    for dialect in dialects {
        assert!(
            specs.iter().any(|s| s.contains(dialect)),
            "no trigger uses {dialect}"
        );
    }
}

#[test]
fn a_brokers_internal_channel_and_subscriptions_are_grouped_under_their_owners() {
    let mesh = demo();
    let broker = mesh.broker(&ObjectKey::new("payments", "default")).unwrap();
    assert_eq!(
        broker.internal_channels,
        [ObjectKey::new("payments", "default-kne-trigger")]
    );
    let trigger = mesh
        .trigger(&ObjectKey::new("payments", "order-created"))
        .unwrap();
    assert_eq!(trigger.internal_subscriptions.len(), 1);
    // Not shown as a top-level channel, and the trigger's subscription is not listed under it.
    let channels = texts(&views::tree(&mesh, View::Channels));
    assert!(!channels.iter().any(|t| t.contains("default-kne-trigger")));
    assert!(channels.iter().any(|t| t.contains("Channel dispatch")));
    let brokers = texts(&views::tree(&mesh, View::Brokers));
    assert!(
        brokers
            .iter()
            .any(|t| t == "internal InMemoryChannel default-kne-trigger")
    );
    assert!(
        brokers
            .iter()
            .any(|t| t.starts_with("internal subscription default-order-created"))
    );
}

#[test]
fn a_source_sinking_into_a_broker_feeds_its_types_to_the_brokers_triggers() {
    let mesh = mesh_of(
        "
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: b, namespace: a}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: ping, namespace: a}
spec: {sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: b}}}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: ping-type, namespace: a}
spec: {type: dev.knative.sources.ping}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: a}
spec: {broker: b, filter: {attributes: {type: dev.knative.sources.ping}}, subscriber: {uri: 'http://x'}}
",
    );
    let et = mesh.event_type(&ObjectKey::new("a", "ping-type")).unwrap();
    assert_eq!(et.producers[0].kind, "PingSource");
    assert_eq!(et.producers[0].via, Via::SourceRegistry);
    assert_eq!(et.consumers.len(), 1);
    assert_eq!(et.consumers[0].kind, ConsumerKind::Trigger);
}

#[test]
fn subscribers_resolve_to_found_not_found_or_forbidden() {
    let yaml = "
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t1, namespace: a}
spec: {broker: b, subscriber: {ref: {apiVersion: v1, kind: Service, name: here}}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t2, namespace: a}
spec: {broker: b, subscriber: {ref: {apiVersion: v1, kind: Service, name: gone}}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t3, namespace: a}
spec: {broker: b, subscriber: {ref: {apiVersion: v1, kind: Service, name: secret}}}
---
apiVersion: v1
kind: Service
metadata: {name: here, namespace: a, labels: {backstage.io/kubernetes-id: here-id}}
";
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(yaml).unwrap();
    let mut snapshot = mesh::catalog::snapshot_from_objects(objects);
    snapshot.access.push(AccessMarker::new(
        ApiRequest::get("", "services", "a", "secret"),
        Access::Forbidden {
            message: "no".into(),
        },
    ));
    let mesh = mesh::build(snapshot);
    let resolution = |name: &str| {
        mesh.trigger(&ObjectKey::new("a", name))
            .unwrap()
            .subscriber
            .resolution
            .clone()
    };
    assert_eq!(
        resolution("t1"),
        Resolution::Found {
            backstage_id: Some("here-id".into())
        }
    );
    assert_eq!(resolution("t2"), Resolution::NotFound);
    assert_eq!(
        resolution("t3"),
        Resolution::Forbidden {
            message: "no".into()
        }
    );
    // The namespace of a ref defaults to the trigger's, as the Knative webhook sets it.
    let t1 = mesh.trigger(&ObjectKey::new("a", "t1")).unwrap();
    assert_eq!(t1.subscriber.reference.as_ref().unwrap().namespace, "a");
}

#[test]
fn a_forbidden_list_appears_in_place_as_a_denied_node() {
    let mut snapshot = read_snapshot(&[demo_dir()], None).unwrap().snapshot;
    snapshot.triggers.retain(|t| t.namespace() != "ops");
    snapshot.access.push(AccessMarker::new(
        ApiRequest::list("eventing.knative.dev", "triggers", Some("ops")),
        Access::Forbidden {
            message: "triggers.eventing.knative.dev is forbidden".into(),
        },
    ));
    let mesh = mesh::build(snapshot);
    assert_eq!(mesh.denied_count(), 1);
    let roots = views::tree(&mesh, View::Brokers);
    let ops = roots.iter().find(|n| n.text == "ops").unwrap();
    let broker = &ops.children[0];
    assert!(broker.text.starts_with("broker alerts"));
    let denied = &broker.children[0];
    assert_eq!(
        denied.text,
        "triggers in ops: forbidden (list triggers.eventing.knative.dev)"
    );
    assert_eq!(denied.status, NodeStatus::Forbidden);
    // The payments namespace is untouched.
    let payments = roots.iter().find(|n| n.text == "payments").unwrap();
    assert!(
        texts(std::slice::from_ref(payments))
            .iter()
            .all(|t| !t.contains("forbidden"))
    );
}

#[test]
fn a_cluster_scope_denial_sits_at_the_top_and_a_denied_namespace_still_shows() {
    let mut snapshot = kn_mesh::mesh::Snapshot::default();
    snapshot.access.push(AccessMarker::new(
        ApiRequest::list("eventing.knative.dev", "brokers", None),
        Access::Forbidden {
            message: "m".into(),
        },
    ));
    snapshot.access.push(AccessMarker::new(
        ApiRequest::list("eventing.knative.dev", "brokers", Some("ops")),
        Access::Forbidden {
            message: "m".into(),
        },
    ));
    let mesh = mesh::build(snapshot);
    let roots = views::tree(&mesh, View::Brokers);
    assert_eq!(
        roots[0].text,
        "brokers at the cluster scope: forbidden (list brokers.eventing.knative.dev)"
    );
    assert_eq!(roots[1].text, "ops");
    assert_eq!(roots[1].children[0].status, NodeStatus::Forbidden);
}

#[test]
fn a_denied_kind_is_placed_by_its_role_not_by_its_name() {
    let mut snapshot = kn_mesh::mesh::Snapshot::default();
    // SinkBinding's plural does not end in "sources"; its CRD's label says it is a source.
    let sinkbindings = ApiRequest::list("sources.knative.dev", "sinkbindings", None);
    let forbidden = Access::Forbidden {
        message: "m".into(),
    };
    snapshot
        .access
        .push(AccessMarker::new(sinkbindings, forbidden.clone()));
    let octopi = ApiRequest::list("example.dev", "octopi", None);
    snapshot.access.push(AccessMarker::new(octopi, forbidden));
    let mesh = mesh::build(snapshot);
    let in_view = |view| texts(&views::tree(&mesh, view)).join("\n");
    assert!(
        in_view(View::Sources).contains("sinkbindings at the cluster scope: forbidden"),
        "{}",
        in_view(View::Sources)
    );
    for view in [View::Brokers, View::EventTypes, View::Channels] {
        assert!(!in_view(view).contains("sinkbindings"), "{view:?}");
    }
    // A kind of no role in the mesh stays out of the mesh views (the Permissions view lists it).
    assert!(
        View::ALL
            .iter()
            .all(|&view| !in_view(view).contains("octopi"))
    );
}

/// A trigger the controller has not reconciled yet shows "unknown", not a healthy-looking
/// nothing.
#[test]
fn a_trigger_with_no_status_yet_is_unknown() {
    let mesh = mesh_of(
        "apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: fresh, namespace: a}\nspec:\n  broker: default\n  subscriber: {uri: http://x}\n",
    );
    let tree = kn_mesh::output::render(
        &mesh,
        kn_mesh::output::Format::Tree,
        &[kn_mesh::mesh::views::View::Brokers],
    )
    .unwrap();
    assert!(
        tree.contains("trigger fresh  Ready=Unknown (no status yet)"),
        "{tree}"
    );
}

/// `spec.brokerRef` names a broker, in another namespace too: the trigger hangs under it and
/// receives its event types; one that is missing is named with its namespace. The eventmesh
/// projection stays the Go backend's, which reads `spec.broker` only.
#[test]
fn a_broker_ref_links_across_namespaces() {
    let mesh = mesh_of(
        r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: hub}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: created, namespace: hub}
spec: {type: order.created, reference: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: remote, namespace: team, annotations: {backstage.io/kubernetes-id: svc}}
spec:
  brokerRef: {kind: Broker, apiVersion: eventing.knative.dev/v1, namespace: hub, name: default}
  subscriber: {uri: "http://sink"}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: lost, namespace: team}
spec:
  brokerRef: {namespace: elsewhere, name: nosuch}
  subscriber: {uri: "http://sink"}
"#,
    );
    let hub = mesh
        .brokers
        .iter()
        .find(|b| b.object.name() == "default")
        .unwrap();
    assert_eq!(
        hub.triggers
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
        ["team/remote"]
    );
    let remote = mesh
        .triggers
        .iter()
        .find(|t| t.object.name() == "remote")
        .unwrap();
    assert!(remote.broker_found);
    assert_eq!(
        remote.event_types.len(),
        1,
        "it receives the hub broker's types"
    );
    let tree = kn_mesh::output::render(
        &mesh,
        kn_mesh::output::Format::Tree,
        &[kn_mesh::mesh::views::View::Brokers],
    )
    .unwrap();
    assert!(
        tree.contains("broker elsewhere/nosuch (not found)"),
        "{tree}"
    );
    let answer = kn_mesh::mesh::eventmesh::project(&mesh);
    assert!(
        answer
            .event_types
            .iter()
            .all(|et| et.consumed_by.is_empty()),
        "the Go backend does not follow brokerRef"
    );
}

/// A subscription's channel in another namespace links; one whose channel is absent is shown
/// with a ∅ channel, not dropped.
#[test]
fn subscriptions_link_across_namespaces_and_are_never_dropped() {
    let mesh = mesh_of(
        r#"apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: {name: orphan, namespace: a}
spec:
  channel: {apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: gone}
  subscriber: {uri: "http://sink"}
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: {name: across, namespace: a}
spec:
  channel: {apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch, namespace: b}
  subscriber: {uri: "http://sink"}
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: {name: ch, namespace: b}
"#,
    );
    let across = mesh
        .subscriptions
        .iter()
        .find(|s| s.object.name() == "across")
        .unwrap();
    assert!(across.channel_found);
    let tree = kn_mesh::output::render(
        &mesh,
        kn_mesh::output::Format::Tree,
        &[kn_mesh::mesh::views::View::Channels],
    )
    .unwrap();
    assert!(
        tree.contains("InMemoryChannel ch\n    └── subscription across"),
        "{tree}"
    );
    assert!(
        tree.contains("subscription orphan\n    ├── ∅ channel: InMemoryChannel gone (not found)"),
        "{tree}"
    );
}

/// A SinkBinding shows its subject: the object it injects its sink into, by name or by labels.
#[test]
fn a_sink_binding_shows_its_subject() {
    let mesh = mesh_of(
        r#"apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: {name: bind-web, namespace: a}
spec:
  subject: {apiVersion: apps/v1, kind: Deployment, name: web}
  sink: {uri: "http://sink"}
---
apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: {name: bind-jobs, namespace: a}
spec:
  subject: {apiVersion: batch/v1, kind: Job, selector: {matchLabels: {app: batch}}}
  sink: {uri: "http://sink"}
"#,
    );
    let tree = kn_mesh::output::render(
        &mesh,
        kn_mesh::output::Format::Tree,
        &[kn_mesh::mesh::views::View::Sources],
    )
    .unwrap();
    assert!(
        tree.contains("SinkBinding bind-web\n    ├── subject: Deployment web"),
        "{tree}"
    );
    assert!(
        tree.contains("subject: Job objects labelled app=batch"),
        "{tree}"
    );
}

/// An event type whose reference names a broker in another namespace: the trees follow the
/// reference to that broker, and `-o eventmesh` keeps the Go backend's quirk of linking it to
/// the broker of that name in the event type's own namespace (DESIGN.md §3).
#[test]
fn an_event_type_reference_across_namespaces_is_followed_in_trees_and_pinned_in_eventmesh() {
    let yaml = r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: hub}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: team}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: created, namespace: team}
spec:
  type: order.created
  reference: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default, namespace: hub}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: at-hub, namespace: hub}
spec: {broker: default, subscriber: {ref: {apiVersion: v1, kind: Service, name: svc}}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: at-team, namespace: team}
spec: {broker: default, subscriber: {ref: {apiVersion: v1, kind: Service, name: svc}}}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: hub, labels: {backstage.io/kubernetes-id: hub-svc}}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: team, labels: {backstage.io/kubernetes-id: team-svc}}
"#;
    let mesh = mesh_of(yaml);
    let broker = |ns: &str| {
        mesh.brokers
            .iter()
            .find(|b| b.object.namespace() == ns)
            .unwrap()
    };
    let linked = |ns: &str| {
        broker(ns)
            .event_types
            .iter()
            .map(|l| l.key.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        linked("hub"),
        ["team/created"],
        "the tree follows the reference"
    );
    assert!(linked("team").is_empty());
    let et = &mesh.event_types[0];
    assert_eq!(et.producers[0].key.to_string(), "hub/default");
    assert!(et.producers[0].found);
    let consumers: Vec<_> = et.consumers.iter().map(|c| c.key.to_string()).collect();
    assert_eq!(
        consumers,
        ["hub/at-hub"],
        "the hub broker's trigger receives it"
    );
    let tree = kn_mesh::output::render(
        &mesh,
        kn_mesh::output::Format::Tree,
        &[kn_mesh::mesh::views::View::Brokers],
    )
    .unwrap();
    assert!(
        tree.contains("event type order.created  (created) from namespace team"),
        "{tree}"
    );

    let answer = kn_mesh::mesh::eventmesh::project(&mesh);
    let provided = |ns: &str| {
        answer
            .brokers
            .iter()
            .find(|b| b.meta.namespace == ns)
            .unwrap()
            .provided_event_types
            .clone()
    };
    assert_eq!(provided("team"), ["team/created"], "the Go backend's quirk");
    assert!(provided("hub").is_empty());
    let em_type = &answer.event_types[0];
    assert_eq!(em_type.reference.as_ref().unwrap().namespace, "team");
    assert_eq!(em_type.consumed_by, ["team-svc"]);
}
