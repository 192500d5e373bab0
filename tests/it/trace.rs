//! `kn-mesh trace`: where an event goes, with Knative's filter semantics, through flows and
//! replies, with dead-letter branches, and its exit codes.

use crate::common::{self, mesh_of};
use kn_mesh::cesql::EventAttributes;
use kn_mesh::mesh::objects::ObjectKey;
use kn_mesh::mesh::trace::{self, Entry, Subscriber, Verdict};

const MESH: &str = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
spec:
  delivery:
    deadLetterSink: {ref: {apiVersion: v1, kind: Service, name: dlq}}
    retry: 2
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: legacy, namespace: a}
spec:
  broker: default
  filter: {attributes: {type: order.created}}
  subscriber: {ref: {apiVersion: v1, kind: Service, name: orders}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: big, namespace: a}
spec:
  broker: default
  filters: [{cesql: "type = 'order.created' AND INT(amount) > 100"}]
  subscriber: {ref: {apiVersion: v1, kind: Service, name: vip}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: both, namespace: a}
spec:
  broker: default
  filter: {attributes: {type: order.created}}
  filters: [{prefix: {type: payment.}}]
  subscriber: {ref: {apiVersion: v1, kind: Service, name: payments}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: review, namespace: a}
spec:
  broker: default
  filters: [{suffix: {type: .declined}}]
  subscriber: {ref: {apiVersion: flows.knative.dev/v1, kind: Sequence, name: pipeline}}
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {name: pipeline, namespace: a}
spec:
  steps:
    - ref: {apiVersion: v1, kind: Service, name: first}
    - ref: {apiVersion: v1, kind: Service, name: second}
  reply: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: vip, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: first, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: second, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: dlq, namespace: a}
"#;

fn delivered(t: &trace::Trace) -> Vec<(String, Verdict)> {
    t.deliveries
        .iter()
        .map(|d| match &d.subscriber {
            Subscriber::Object(hop) => (hop.name.clone(), d.verdict),
            Subscriber::Uri { uri } => (uri.clone(), d.verdict),
        })
        .collect()
}

fn at_default() -> Entry {
    Entry::Broker(ObjectKey::new("a", "default"))
}

#[test]
fn the_legacy_filter_cesql_and_filters_over_filter() {
    let mesh = mesh_of(MESH);
    let event = EventAttributes::from_pairs([("type", "order.created"), ("amount", "500")]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let mut got = delivered(&t);
    got.sort();
    assert_eq!(
        got,
        [
            ("orders".to_string(), Verdict::Delivered),
            ("vip".to_string(), Verdict::Delivered)
        ]
    );
    // `both` has filter type=order.created, but filters wins and wants payment.*.
    let both = t
        .rejected
        .iter()
        .find(|r| r.trigger.name == "both")
        .unwrap();
    assert!(
        both.clause.contains("starts with \"payment.\""),
        "{}",
        both.clause
    );
    // Without the amount, the CESQL errors: Knative fails the filter, so vip gets nothing.
    let event = EventAttributes::from_pairs([("type", "order.created")]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let big = t.rejected.iter().find(|r| r.trigger.name == "big").unwrap();
    assert!(big.clause.contains("missingAttribute"), "{}", big.clause);
}

#[test]
fn a_sequence_its_reply_loop_and_the_dead_letter_branch() {
    let mesh = mesh_of(MESH);
    let event = EventAttributes::from_pairs([("type", "payment.declined")]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let got = delivered(&t);
    assert!(got.contains(&("payments".to_string(), Verdict::Delivered)));
    // The first step gets the event; the second gets the first's reply, if any.
    assert!(
        got.contains(&("first".to_string(), Verdict::Delivered)),
        "{got:?}"
    );
    assert!(
        got.contains(&("second".to_string(), Verdict::Maybe)),
        "{got:?}"
    );
    let first = t
        .deliveries
        .iter()
        .find(|d| matches!(&d.subscriber, Subscriber::Object(h) if h.name == "first"))
        .unwrap();
    let via: Vec<&str> = first.via.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(via, ["Broker", "Trigger", "Sequence"]);
    let text = kn_mesh::output::tree::render_roots(&t.tree);
    // The Sequence replies into the broker it came from: a cycle, named, not followed.
    assert!(
        text.contains("↺ back to Broker a/default: a cycle"),
        "{text}"
    );
    assert!(
        text.contains("if delivery fails (retry 2): dead letter Service a/dlq"),
        "{text}"
    );
}

#[test]
fn an_event_that_reaches_nobody_and_one_that_only_may() {
    let mesh = mesh_of(MESH);
    let nobody = EventAttributes::from_pairs([("type", "unheard.of")]);
    let t = trace::trace(&mesh, &nobody, &at_default()).unwrap();
    assert!(t.deliveries.is_empty());
    assert_eq!(t.rejected.len(), 4);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mesh.yaml");
    std::fs::write(&file, MESH).unwrap();
    let file = file.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["-f", file, "trace", "--to", "broker/default", "-n", "a"];
        args.extend(extra);
        common::kn_mesh(&args).status.code()
    };
    assert_eq!(run(&["--type", "unheard.of"]), Some(1));
    assert_eq!(run(&["--type", "order.created"]), Some(0));
    // Only the CESQL trigger could take it, and the event's source, which every event has, is
    // not given: maybe, exit 6.
    let only_maybe = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: big, namespace: a}
spec:
  broker: default
  filters: [{cesql: "type = 'order.created' AND source LIKE '%/eu'"}]
  subscriber: {uri: "http://vip"}
"#;
    let file = dir.path().join("maybe.yaml");
    std::fs::write(&file, only_maybe).unwrap();
    let out = common::kn_mesh(&[
        "-f",
        file.to_str().unwrap(),
        "trace",
        "--type",
        "order.created",
        "--to",
        "broker/default",
        "-n",
        "a",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(6));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["deliveries"][0]["verdict"], "maybe");
    assert_eq!(json["deliveries"][0]["subscriber"]["uri"], "http://vip");
    // An entry that is not there is bad input.
    assert_eq!(run(&["--type", "x", "--to", "broker/nosuch"]), Some(2));
}

/// Through the sim as from a cluster: the demo's declined payments reach the Sequence.
#[tokio::test]
async fn through_the_sim_the_demo_traces() {
    let sim = common::demo_sim().await;
    let fetcher = common::fetcher(&sim, "mesh-viewer").await;
    let scope = kn_mesh::source::fetch::Scope::default();
    let mesh = kn_mesh::mesh::build(fetcher.fetch(&scope).await.unwrap());
    let event = EventAttributes::from_pairs([("type", "com.example.payment.declined")]);
    let entry = Entry::Broker(ObjectKey::new("payments", "default"));
    let t = trace::trace(&mesh, &event, &entry).unwrap();
    let got = delivered(&t);
    assert!(
        got.contains(&("fraud-detector".to_string(), Verdict::Delivered)),
        "{got:?}"
    );
    let text = kn_mesh::output::tree::render_roots(&t.tree);
    assert!(
        text.contains("subscriber: Sequence payments/decline-review"),
        "{text}"
    );
    assert!(
        text.contains("dead letter JobSink payments/decline-replayer"),
        "{text}"
    );
}

/// The backend sends no triggers: trace says it cannot trace there.
#[test]
fn a_reduced_mesh_cannot_be_traced() {
    let mut mesh = mesh_of(MESH);
    mesh.reduced = true;
    let event = EventAttributes::from_pairs([("type", "x")]);
    let error = trace::trace(&mesh, &event, &Entry::Brokers).unwrap_err();
    assert!(error.0.contains("no triggers"), "{}", error.0);
}

/// What could not be read is never traced as "nowhere": triggers denied in the broker's
/// namespace are shown in their place, and a subscriber that may not be read is "maybe".
#[test]
fn denied_triggers_and_subscribers_are_never_nowhere() {
    use kn_mesh::mesh::model::Resolution;
    use kn_mesh::mesh::snapshot::{Access, AccessMarker, ApiRequest};
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(MESH).unwrap();
    let mut snapshot = kn_mesh::mesh::catalog::snapshot_from_objects(objects);
    snapshot.triggers.retain(|t| t.name() != "legacy");
    snapshot.access.push(AccessMarker::new(
        ApiRequest::list("eventing.knative.dev", "triggers", Some("a")),
        Access::Forbidden {
            message: "triggers.eventing.knative.dev is forbidden".into(),
        },
    ));
    let mut mesh = kn_mesh::mesh::build(snapshot);
    let event = EventAttributes::from_pairs([("type", "order.created"), ("amount", "500")]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let text = kn_mesh::output::tree::render_roots(&t.tree);
    assert!(text.contains("triggers in a: forbidden"), "{text}");
    // The subscriber of `big` may not be read: it may or may not get the event.
    let big = mesh
        .triggers
        .iter_mut()
        .find(|t| t.object.name() == "big")
        .unwrap();
    big.subscriber.resolution = Resolution::Forbidden {
        message: "forbidden".into(),
    };
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    assert_eq!(delivered(&t), [("vip".to_string(), Verdict::Maybe)]);
}

/// On the demo as `payments-only`: brokers it may not read are named where the trace starts,
/// a broker it may not read is not "missing" (exit 6, not bad input), and the JSON says what
/// could not be read. `-n` given before `trace` names the entry's namespace.
#[test]
fn what_the_token_may_not_read_is_named_in_the_trace() {
    let all = common::kn_mesh(&["--demo", "trace", "--type", "x", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let unread = json["unread"].as_array().unwrap();
    assert!(
        unread
            .iter()
            .any(|u| u.as_str().unwrap().starts_with("brokers in ops: forbidden")),
        "{unread:?}"
    );
    let denied = common::kn_mesh(&[
        "--demo",
        "-n",
        "ops",
        "trace",
        "--type",
        "x",
        "--to",
        "broker/alerts",
    ]);
    assert_eq!(
        denied.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let text = String::from_utf8_lossy(&denied.stdout);
    assert!(
        text.contains("broker ops/alerts could not be read"),
        "{text}"
    );
    let readable = common::kn_mesh(&[
        "--demo",
        "-n",
        "payments",
        "trace",
        "--type",
        "x",
        "--to",
        "broker/default",
    ]);
    assert_eq!(readable.status.code(), Some(0));
}

/// A Parallel's branch without a filter does not make a "maybe" path certain; a broker class
/// that may ignore `filters` makes their no into a maybe.
#[test]
fn maybe_stays_maybe_and_the_broker_class_counts() {
    let mesh = mesh_of(
        r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a, annotations: {eventing.knative.dev/broker.class: RabbitMQBroker}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: maybe, namespace: a}
spec:
  broker: default
  filters: [{cesql: "source LIKE '%/eu'"}]
  subscriber: {ref: {apiVersion: flows.knative.dev/v1, kind: Parallel, name: fan}}
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: {name: fan, namespace: a}
spec:
  branches:
    - subscriber: {uri: "http://open"}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: other, namespace: a}
spec:
  broker: default
  filters: [{exact: {type: other}}]
  subscriber: {uri: "http://other"}
"#,
    );
    let event = EventAttributes::from_pairs([("type", "t")]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let mut got = delivered(&t);
    got.sort();
    assert_eq!(
        got,
        [
            ("http://open".to_string(), Verdict::Maybe),
            ("http://other".to_string(), Verdict::Maybe)
        ]
    );
    assert!(t.rejected.is_empty());
}

/// JSON output never carries a character a terminal acts on.
#[test]
fn json_output_is_escaped_for_a_terminal() {
    let out = common::kn_mesh(&["cesql", "'a\u{202e}b\u{85}'", "-o", "json"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(r"a\u202eb\u0085"), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["result"], "a\u{202e}b\u{85}");
}

/// Each `filters` dialect decides a trigger as Knative's broker does, and the trace records the
/// part each trigger played, as the TUI marks it.
#[test]
fn every_filters_dialect_decides_its_trigger() {
    let trigger = |name: &str, filters: &str| {
        format!(
            "---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {{name: {name}, namespace: a}}
spec:
  broker: default
  filters: [{filters}]
  subscriber: {{uri: \"http://{name}\"}}
"
        )
    };
    let yaml = [
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: default, namespace: a}\n"
            .to_string(),
        trigger("exact-yes", "{exact: {type: order.created, region: eu}}"),
        trigger("exact-no", "{exact: {region: us}}"),
        trigger("prefix-yes", "{prefix: {type: order.}}"),
        trigger("suffix-no", "{suffix: {source: /us}}"),
        trigger(
            "all-no",
            "{all: [{exact: {type: order.created}}, {exact: {region: us}}]}",
        ),
        trigger(
            "any-yes",
            "{any: [{exact: {region: us}}, {suffix: {source: /eu}}]}",
        ),
        trigger("not-yes", "{not: {prefix: {type: payment.}}}"),
        trigger("not-no", "{not: {exact: {region: eu}}}"),
        // An optional attribute left out of the event is absent: no match.
        trigger("subject-no", "{exact: {subject: x}}"),
        // A required one left out is there with an unknown value: maybe.
        trigger("id-maybe", "{exact: {id: x}}"),
    ]
    .concat();
    let mesh = mesh_of(&yaml);
    let event = EventAttributes::from_pairs([
        ("type", "order.created"),
        ("source", "/shop/eu"),
        ("region", "eu"),
    ]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let marks: Vec<(&str, trace::Mark)> = t
        .triggers
        .iter()
        .map(|(key, (mark, _))| (key.name.as_str(), *mark))
        .collect();
    use trace::Mark::{Fails, Maybe, Passes};
    assert_eq!(
        marks,
        [
            ("all-no", Fails),
            ("any-yes", Passes),
            ("exact-no", Fails),
            ("exact-yes", Passes),
            ("id-maybe", Maybe),
            ("not-no", Fails),
            ("not-yes", Passes),
            ("prefix-yes", Passes),
            ("subject-no", Fails),
            ("suffix-no", Fails),
        ]
    );
    let mut rejected: Vec<&str> = t.rejected.iter().map(|r| r.trigger.name.as_str()).collect();
    rejected.sort();
    assert_eq!(
        rejected,
        ["all-no", "exact-no", "not-no", "subject-no", "suffix-no"]
    );
}

/// A reply that goes into another broker is followed there, as a maybe; a path that comes back
/// to a broker it passed is a cycle, named once.
#[test]
fn a_reply_into_another_broker_is_followed_and_a_loop_between_brokers_is_a_cycle() {
    let mesh = mesh_of(
        r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: audit, namespace: a}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: enrich, namespace: a}
spec:
  broker: default
  subscriber: {ref: {apiVersion: flows.knative.dev/v1, kind: Sequence, name: enrich}}
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {name: enrich, namespace: a}
spec:
  steps:
    - uri: http://enricher
  reply: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: audit}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: store, namespace: a}
spec:
  broker: audit
  subscriber: {uri: "http://store"}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: back, namespace: a}
spec:
  broker: audit
  subscriber: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
"#,
    );
    let event = EventAttributes::from_pairs([("type", "t")]);
    let t = trace::trace(&mesh, &event, &at_default()).unwrap();
    let mut got = delivered(&t);
    got.sort();
    assert_eq!(
        got,
        [
            ("http://enricher".to_string(), Verdict::Delivered),
            ("http://store".to_string(), Verdict::Maybe),
        ]
    );
    let store = t
        .deliveries
        .iter()
        .find(|d| d.verdict == Verdict::Maybe)
        .unwrap();
    let via: Vec<String> = store
        .via
        .iter()
        .map(|h| format!("{} {}", h.kind, h.name))
        .collect();
    assert_eq!(
        via,
        [
            "Broker default",
            "Trigger enrich",
            "Sequence enrich",
            "Broker audit",
            "Trigger store"
        ]
    );
    let text = kn_mesh::output::tree::render_roots(&t.tree);
    assert_eq!(
        text.matches("↺ back to Broker a/default: a cycle").count(),
        1,
        "{text}"
    );
    // The triggers on audit pass only a reply, which may not be sent.
    let (mark, reason) = &t.triggers[&ObjectKey::new("a", "store")];
    assert_eq!(*mark, trace::Mark::Maybe);
    assert!(reason.contains("the way here is not certain"), "{reason}");
    assert_eq!(
        t.triggers[&ObjectKey::new("a", "enrich")].0,
        trace::Mark::Passes
    );
}

/// A CESQL error fails the filter in core; the Kafka broker's engine substitutes defaults, so
/// there it is a maybe, said why. A match reached only on an uncertain way is a maybe too.
#[test]
fn a_cesql_error_on_a_kafka_broker_is_a_maybe() {
    let yaml = r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a, annotations: {eventing.knative.dev/broker.class: Kafka}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: a}
spec:
  broker: default
  filters: [{cesql: "NOT (region = 'eu')"}]
  subscriber: {uri: "http://t"}
"#;
    let event = EventAttributes::from_pairs([("type", "x")]);
    let kafka = trace::trace(&mesh_of(yaml), &event, &at_default()).unwrap();
    let (mark, reason) = &kafka.triggers[&ObjectKey::new("a", "t")];
    assert_eq!(*mark, trace::Mark::Maybe);
    assert!(reason.contains("substitutes defaults"), "{reason}");
    let core = yaml.replace("broker.class: Kafka", "broker.class: MTChannelBasedBroker");
    let core = trace::trace(&mesh_of(&core), &event, &at_default()).unwrap();
    assert_eq!(
        core.triggers[&ObjectKey::new("a", "t")].0,
        trace::Mark::Fails
    );
}

/// A trigger that is not Ready may not deliver, whatever its filter says: a maybe, with why.
#[test]
fn a_trigger_that_is_not_ready_is_a_maybe() {
    let demo = common::demo_dir().display().to_string();
    let out = common::kn_mesh(&[
        "-f",
        &demo,
        "trace",
        "-n",
        "ops",
        "--to",
        "broker/alerts",
        "--type",
        "dev.knative.apiserver.resource.add",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{stdout}");
    assert!(
        stdout.contains("? trigger cluster-changes may pass it: its filter passes, but the trigger is not Ready (services \"event-display\" not ready)"),
        "{stdout}"
    );
}

/// With OIDC on, each hop into a receiver that checks senders carries its answer: a refused hop
/// ends the path with 403 and the policy that decided.
#[test]
fn trace_stops_at_a_refused_hop_with_the_deciding_policy() {
    let demo = common::demo_dir().display().to_string();
    let args = [
        "-f",
        &demo,
        "trace",
        "-n",
        "ops",
        "--to",
        "source/PingSource/nightly-report",
        "--type",
        "dev.knative.sources.ping",
    ];
    let out = common::kn_mesh(&args);
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("403 at the ingress of Broker ops/alerts: EventPolicy ops/alerts-senders"),
        "{tree}"
    );
    assert!(
        !tree.contains("trigger pager"),
        "nothing past the refused hop: {tree}"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["-o", "json"]);
    let out = common::kn_mesh(&json_args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let forbidden = &json["forbidden"][0];
    assert_eq!(forbidden["sender"]["name"], "report-shaper");
    assert_eq!(forbidden["receiver"]["name"], "alerts");
    assert_eq!(forbidden["decidedBy"]["policy"], "ops/alerts-senders");
    // The hop that was allowed says by what.
    let delivered = &json["deliveries"][0];
    assert_eq!(delivered["subscriber"]["name"], "report-shaper");
    assert_eq!(delivered["authorization"]["allowed"], true);
    assert_eq!(
        delivered["authorization"]["decidedBy"]["defaultMode"],
        "allow-same-namespace"
    );
    // A trigger's reply is a new event the trigger sends into its broker: alerts-senders does
    // not list the trigger, so replies are refused (research eventpolicy.md, example 1c).
    let out = common::kn_mesh(&[
        "-f",
        &demo,
        "trace",
        "-n",
        "ops",
        "--to",
        "broker/alerts",
        "--type",
        "dev.knative.sources.ping",
    ]);
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains(
            "its reply goes back into broker ops/alerts as a new event\n        └── 🔒 403 at the ingress of Broker ops/alerts: EventPolicy ops/alerts-senders"
        ),
        "{tree}"
    );
    // heartbeat is listed by the policy: its events reach the pager.
    let out = common::kn_mesh(&[
        "-f",
        &demo,
        "trace",
        "-n",
        "ops",
        "--to",
        "source/PingSource/heartbeat",
        "--type",
        "dev.knative.sources.ping",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let via = &json["deliveries"][0]["via"];
    assert_eq!(via[1]["name"], "alerts");
    assert_eq!(
        via[1]["authorization"]["decidedBy"]["policy"],
        "ops/alerts-senders"
    );
}

/// Flags that could not be read make every checking receiver's answer unknown: the trace is a
/// maybe and says why; manifests without the flags say that nothing was checked.
#[test]
fn unreadable_flags_make_checked_hops_maybe_and_silent_manifests_say_so() {
    let yaml = r#"apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: p, namespace: a}
spec: {sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: all, namespace: a}
spec: {broker: default, subscriber: {uri: "http://all"}}
"#;
    let entry = Entry::Source {
        kind: "PingSource".into(),
        key: ObjectKey::new("a", "p"),
    };
    let event = EventAttributes::from_pairs([("type", "t")]);
    let silent = trace::trace(&mesh_of(yaml), &event, &entry).unwrap();
    let text = kn_mesh::output::tree::render_roots(&silent.tree);
    assert!(
        text.starts_with("delivery authorization is not checked"),
        "{text}"
    );
    assert_eq!(
        delivered(&silent),
        [("http://all".to_string(), Verdict::Delivered)]
    );

    let mut mesh = mesh_of(yaml);
    mesh.access.push(kn_mesh::mesh::snapshot::AccessMarker::new(
        kn_mesh::k8s::ResourceRequest::get("", "configmaps", "knative-eventing", "config-features"),
        kn_mesh::mesh::snapshot::Access::Forbidden {
            message: "configmaps \"config-features\" is forbidden".into(),
        },
    ));
    let unknown = trace::trace(&mesh, &event, &entry).unwrap();
    assert_eq!(
        delivered(&unknown),
        [("http://all".to_string(), Verdict::Maybe)]
    );
    assert!(
        unknown.unread[0].contains("whether Broker a/default takes it: may not read ConfigMap"),
        "{:?}",
        unknown.unread
    );
}
