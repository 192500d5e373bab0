//! Delivery authorization, one test per rule of DESIGN.md §6, with the worked examples of
//! research/eventpolicy.md §7, and `kn-mesh can-send` through files and the sim.

use crate::common::{self, demo_dir, mesh_of};
use kn_mesh::cesql::EventAttributes;
use kn_mesh::mesh::Mesh;
use kn_mesh::mesh::authorization::{self, DecidedBy, Rule, Verdict, identity, policies};

fn features(oidc: &str, mode: Option<&str>) -> String {
    let mode = mode
        .map(|m| format!("\n  default-authorization-mode: \"{m}\""))
        .unwrap_or_default();
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata: {{name: config-features, namespace: knative-eventing}}
data:
  authentication-oidc: {oidc}{mode}
"
    )
}

fn verdict(mesh: &Mesh, from: &str, to: &str, event: Option<&EventAttributes>) -> Verdict {
    let subject = identity::parse_sender(mesh, from).unwrap().subject;
    let [kind, namespace, name] = identity::split_object(to).unwrap();
    let (receiver, rule) = policies::find_receiver(mesh, kind, namespace, name).unwrap();
    let event = event.map(|e| e as &dyn kn_mesh::cesql::Attributes);
    authorization::can_send(mesh, &subject, &receiver, rule, event)
}

fn policy_decided(v: &Verdict) -> &str {
    match &v.decided_by {
        DecidedBy::Policy(p) => p,
        other => panic!("not decided by a policy: {other:?}"),
    }
}

/// Example 1: a broker protected by a `from.ref` to a PingSource in another namespace.
const EXAMPLE_1: &str = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: broker, namespace: ns-1}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: ping-1, namespace: ns-1}
spec: {sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: broker, namespace: ns-1}}}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: {name: ping-2, namespace: ns-2}
spec: {sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: broker, namespace: ns-1}}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {name: event-policy, namespace: ns-1}
spec:
  to: [{ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: broker}}]
  from: [{ref: {apiVersion: sources.knative.dev/v1, kind: PingSource, name: ping-2, namespace: ns-2}}]
---
"#;

#[test]
fn a_source_ref_from_another_namespace_and_a_policy_that_does_not_list_the_sender() {
    let mesh = mesh_of(&format!("{EXAMPLE_1}{}", features("enabled", None)));
    // 1a: the policy's ref resolves, from manifests, to ping-2's identity in ns-2.
    let allowed = verdict(&mesh, "pingsource/ns-2/ping-2", "broker/ns-1/broker", None);
    assert_eq!(allowed.allowed, Some(true));
    assert_eq!(policy_decided(&allowed), "ns-1/event-policy");
    assert_eq!(allowed.rule, Some(Rule::Core));
    // 1b: same namespace as the broker, but a policy applies: the default mode
    // (allow-same-namespace) is not consulted.
    let denied = verdict(&mesh, "pingsource/ns-1/ping-1", "broker/ns-1/broker", None);
    assert_eq!(denied.allowed, Some(false));
    assert_eq!(policy_decided(&denied), "ns-1/event-policy");
    assert!(
        denied.consulted[0]
            .outcome
            .contains("not among its senders")
    );
    // 1g/1h: without the policy, the default mode decides by the subject's namespace.
    let without = EXAMPLE_1
        .split("apiVersion: eventing.knative.dev/v1alpha1")
        .next()
        .unwrap();
    let mesh = mesh_of(&format!("{without}---\n{}", features("enabled", None)));
    let same = verdict(&mesh, "pingsource/ns-1/ping-1", "broker/ns-1/broker", None);
    assert_eq!(same.allowed, Some(true));
    assert_eq!(
        same.decided_by,
        DecidedBy::DefaultMode("allow-same-namespace".into())
    );
    let other = verdict(&mesh, "pingsource/ns-2/ping-2", "broker/ns-1/broker", None);
    assert_eq!(other.allowed, Some(false));
}

#[test]
fn subjects_exact_and_with_a_trailing_wildcard() {
    let yaml = format!(
        r#"
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: {{name: js, namespace: shop}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: p, namespace: shop}}
spec:
  from:
    - sub: "system:serviceaccount:partners:Acme"
    - sub: "system:serviceaccount:my-ns*"
---
{}"#,
        features("enabled", None)
    );
    let mesh = mesh_of(&yaml);
    let to = "jobsink/shop/js";
    let case = |from: &str| verdict(&mesh, from, to, None).allowed;
    // Exact ignores case at core receivers; a wildcard is a case-sensitive prefix that may
    // end in the middle of a segment.
    assert_eq!(case("sub:system:serviceaccount:partners:acme"), Some(true));
    assert_eq!(
        case("sub:system:serviceaccount:partners:acme2"),
        Some(false)
    );
    assert_eq!(case("sub:system:serviceaccount:my-ns-2:sa"), Some(true));
    assert_eq!(case("sub:system:serviceaccount:MY-NS:sa"), Some(false));
}

#[test]
fn an_empty_to_a_selector_by_label_and_a_ref() {
    let yaml = format!(
        r#"
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: {{name: ch-a, namespace: flow, labels: {{team: a}}}}
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: {{name: ch-b, namespace: flow}}
---
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: {{name: js, namespace: flow}}
---
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: {{name: other, namespace: flow}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: team-imcs, namespace: flow}}
spec:
  to: [{{selector: {{apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, matchLabels: {{team: a}}}}}}]
  from: [{{sub: "system:serviceaccount:flow:trusted"}}]
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: js-only, namespace: flow}}
spec:
  to: [{{ref: {{apiVersion: sinks.knative.dev/v1, kind: JobSink, name: JS}}}}]
  from: [{{sub: "system:serviceaccount:flow:trusted"}}]
---
{}"#,
        features("enabled", None)
    );
    let mesh = mesh_of(&yaml);
    let pinger = "sub:system:serviceaccount:flow:p";
    // 4e/4f: the selector applies to the labelled channel only; 4g: the other falls back to
    // the default mode.
    assert_eq!(
        verdict(&mesh, pinger, "imc/flow/ch-a", None).allowed,
        Some(false)
    );
    let b = verdict(&mesh, pinger, "imc/flow/ch-b", None);
    assert_eq!(b.allowed, Some(true));
    assert!(matches!(b.decided_by, DecidedBy::DefaultMode(_)));
    // A ref matches ignoring the version and case; it applies to that JobSink only.
    let js = verdict(&mesh, pinger, "jobsink/flow/js", None);
    assert_eq!(
        (js.allowed, policy_decided(&js)),
        (Some(false), "flow/js-only")
    );
    assert_eq!(
        verdict(&mesh, pinger, "jobsink/flow/other", None).allowed,
        Some(true)
    );

    // An empty `to` applies to every receiver in its namespace.
    let everything = yaml.replace(
        "to: [{ref: {apiVersion: sinks.knative.dev/v1, kind: JobSink, name: JS}}]\n",
        "",
    );
    assert_ne!(everything, yaml);
    let mesh = mesh_of(&everything);
    assert_eq!(
        verdict(&mesh, pinger, "jobsink/flow/other", None).allowed,
        Some(false)
    );
    assert_eq!(
        verdict(&mesh, pinger, "imc/flow/ch-b", None).allowed,
        Some(false)
    );
}

/// Example 2: a namespace-wide wildcard policy with a filter, and a specific one. Core lets the
/// first by name decide even when its filters fail; the docs and Kafka allow if any passes.
#[test]
fn several_matching_policies_core_first_by_name_kafka_any() {
    let yaml = format!(
        r#"
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: {{name: js, namespace: shop}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: {{name: ks, namespace: shop}}
spec: {{topic: t, bootstrapServers: [kafka:9092]}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: a-orders, namespace: shop}}
spec:
  from: [{{sub: "system:serviceaccount:shop:*"}}]
  filters: [{{cesql: "type = 'order.created'"}}]
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: b-payments, namespace: shop}}
spec:
  to:
  - ref: {{apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, name: js}}
  - ref: {{apiVersion: eventing.knative.dev/v1alpha1, kind: KafkaSink, name: ks}}
  from: [{{sub: "system:serviceaccount:shop:payments"}}]
---
{}"#,
        features("enabled", None)
    );
    let mesh = mesh_of(&yaml);
    let payments = "sub:system:serviceaccount:shop:payments";
    let done = EventAttributes::from_pairs([("type", "payment.done")]);
    // 2a at the JobSink: a-orders matches first and its filter fails; b-payments is never
    // reached. The Kafka rule would allow: flagged.
    let core = verdict(&mesh, payments, "jobsink/shop/js", Some(&done));
    assert_eq!(core.allowed, Some(false));
    assert_eq!(policy_decided(&core), "shop/a-orders");
    assert_eq!(core.disagreements.len(), 1, "{:?}", core.disagreements);
    assert!(core.disagreements[0].contains("any that passes allows"));
    // 2a at the KafkaSink: any matching policy that passes allows.
    let kafka = verdict(&mesh, payments, "kafkasink/shop/ks", Some(&done));
    assert_eq!((kafka.allowed, kafka.rule), (Some(true), Some(Rule::Kafka)));
    assert_eq!(policy_decided(&kafka), "shop/b-payments");
    // 2b: an order passes both ways.
    let order = EventAttributes::from_pairs([("type", "order.created")]);
    let both = verdict(&mesh, payments, "jobsink/shop/js", Some(&order));
    assert_eq!(both.allowed, Some(true));
    assert!(both.disagreements.is_empty());
    // 2e: a subject no policy lists is denied; the default mode is not consulted.
    let stranger = verdict(
        &mesh,
        "sub:system:serviceaccount:other:x",
        "jobsink/shop/js",
        None,
    );
    assert_eq!(stranger.allowed, Some(false));
    // Without an event, the filter decides later: it depends, and on what.
    let unsure = verdict(&mesh, payments, "jobsink/shop/js", None);
    assert_eq!(unsure.allowed, None);
    assert!(
        unsure
            .depends_on
            .as_deref()
            .unwrap()
            .contains("type = 'order.created'")
    );
}

/// Example 3: no policy, under each default mode, and with OIDC off.
#[test]
fn no_policy_each_default_mode_and_oidc_off() {
    let objects = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: br, namespace: team-a}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: {name: ks, namespace: team-a}
---
"#;
    let a = "sub:system:serviceaccount:team-a:p";
    let b = "sub:system:serviceaccount:team-b:p";
    // config-features, then: team-a's source to br, team-b's to br, team-b's to the KafkaSink.
    type Row<'a> = (&'a str, Option<&'a str>, [Option<bool>; 3]);
    let rows: [Row; 5] = [
        ("disabled", None, [Some(true), Some(true), Some(true)]),
        ("enabled", None, [Some(true), Some(false), Some(false)]),
        (
            "enabled",
            Some("deny-all"),
            [Some(false), Some(false), Some(false)],
        ),
        (
            "enabled",
            Some("ALLOW-ALL"),
            [Some(true), Some(true), Some(true)],
        ),
        // A mode Knative does not know: core allows all, Kafka denies all.
        (
            "enabled",
            Some("allow_all"),
            [Some(true), Some(true), Some(false)],
        ),
    ];
    for (oidc, mode, expected) in rows {
        let mesh = mesh_of(&format!("{objects}{}", features(oidc, mode)));
        let got = [
            verdict(&mesh, a, "broker/team-a/br", None).allowed,
            verdict(&mesh, b, "broker/team-a/br", None).allowed,
            verdict(&mesh, b, "kafkasink/team-a/ks", None).allowed,
        ];
        assert_eq!(got, expected, "{oidc} {mode:?}");
        let decided = verdict(&mesh, a, "broker/team-a/br", None).decided_by;
        if oidc == "disabled" {
            assert_eq!(decided, DecidedBy::OidcDisabled(true));
        } else {
            assert!(matches!(decided, DecidedBy::DefaultMode(_)), "{decided:?}");
        }
    }
    let mesh = mesh_of(&format!(
        "{objects}{}",
        features("enabled", Some("allow_all"))
    ));
    let flagged = verdict(&mesh, a, "broker/team-a/br", None);
    assert!(flagged.disagreements[0].contains("not a mode Knative knows"));
}

/// A policy whose `from.ref` does not resolve is not Ready: core drops it, and the default mode
/// decides again.
#[test]
fn an_unresolvable_policy_is_left_out_and_says_why() {
    let yaml = format!(
        r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {{name: br, namespace: a}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: p, namespace: a}}
spec:
  from: [{{ref: {{apiVersion: sources.knative.dev/v1, kind: PingSource, name: gone}}}}]
---
{}"#,
        features("enabled", None)
    );
    let mesh = mesh_of(&yaml);
    let v = verdict(&mesh, "sub:system:serviceaccount:a:x", "broker/a/br", None);
    assert_eq!(v.allowed, Some(true));
    assert!(matches!(v.decided_by, DecidedBy::DefaultMode(_)));
    assert!(
        v.consulted[0].outcome.contains("left out"),
        "{:?}",
        v.consulted
    );
    assert!(
        v.consulted[0]
            .outcome
            .contains("PingSource a/gone is not in the mesh")
    );
}

fn can_send(args: &[&str]) -> (Option<i32>, String, String) {
    let demo = demo_dir().display().to_string();
    let mut all = vec!["-f", demo.as_str(), "can-send"];
    all.extend(args);
    let out = common::kn_mesh(&all);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_on_the_demo_allows_denies_and_depends() {
    let (code, out, err) = can_send(&[
        "--from",
        "pingsource/ops/heartbeat",
        "--to",
        "broker/payments/default",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with(
            "allowed: system:serviceaccount:ops:heartbeat-oidc-sources.knative.dev-pingsource"
        ),
        "{out}"
    );
    assert!(
        out.contains("decided by EventPolicy payments/payments-broker-senders"),
        "{out}"
    );
    let (code, out, _) = can_send(&[
        "--from",
        "EventTransform/ops/report-shaper",
        "--to",
        "broker/ops/alerts",
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(1), "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["allowed"], false);
    assert_eq!(json["decidedBy"]["policy"], "ops/alerts-senders");
    assert_eq!(json["rule"], "kafka");
    let (code, _, err) = can_send(&["--from", "nonsense", "--to", "broker/ops/alerts"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("want KIND/NAMESPACE/NAME"), "{err}");
    let (code, _, err) = can_send(&["--from", "sub:x", "--to", "broker/ops/nowhere"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no receiver broker ops/nowhere"), "{err}");
}

/// A token that may not read `config-features` gets "unknown" (exit 6), never an assumed mode.
#[tokio::test(flavor = "multi_thread")]
async fn unreadable_config_features_make_the_verdict_unknown() {
    let objects: Vec<serde_json::Value> = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0
        .into_iter()
        .filter(|o| o["metadata"]["name"] != "kn-mesh-features-reader")
        .collect();
    let sim = common::start_sim(objects).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, sim.kubeconfig()).unwrap();
    let kubeconfig = path.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        common::kn_mesh(&[
            "--kubeconfig",
            &kubeconfig,
            "--context",
            "mesh-viewer",
            "can-send",
            "--from",
            "pingsource/ops/heartbeat",
            "--to",
            "broker/payments/default",
            "-o",
            "json",
        ])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["allowed"], serde_json::Value::Null);
    let why = json["decidedBy"]["unknown"].as_str().unwrap();
    assert!(
        why.contains("may not read ConfigMap knative-eventing/config-features"),
        "{why}"
    );
}

/// Review findings, each a rule the first cut got wrong.
#[test]
fn a_sequence_is_judged_where_it_is_enforced_and_each_step_sends_as_its_own_subscription() {
    let yaml = format!(
        r#"
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: {{name: seq, namespace: flow}}
spec:
  steps:
    - ref: {{apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, name: js0}}
    - uri: http://step-b
---
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: {{name: js0, namespace: flow}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {{name: br, namespace: flow}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {{name: t1, namespace: flow}}
spec: {{broker: br, subscriber: {{ref: {{apiVersion: flows.knative.dev/v1, kind: Sequence, name: seq}}}}}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: all-channels, namespace: flow}}
spec:
  to: [{{selector: {{apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, matchLabels: {{}}}}}}]
  from: [{{sub: "system:serviceaccount:flow:t1-oidc-eventing.knative.dev-trigger"}}]
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: js0-from-step-0, namespace: flow}}
spec:
  to: [{{ref: {{apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, name: js0}}}}]
  from: [{{sub: "system:serviceaccount:flow:seq-kn-sequence-0-oidc-messaging.knative.dev-subscription"}}]
---
{}"#,
        features("enabled", None)
    );
    let mesh = mesh_of(&yaml);
    // The Sequence is enforced at its first channel, an InMemoryChannel the selector selects.
    let stranger = verdict(
        &mesh,
        "sub:system:serviceaccount:flow:p",
        "sequence/flow/seq",
        None,
    );
    assert_eq!(stranger.allowed, Some(false));
    assert_eq!(policy_decided(&stranger), "flow/all-channels");
    // The trigger may deliver to it, and step 0 reaches the JobSink as its own subscription.
    let event = EventAttributes::from_pairs([("type", "x")]);
    let entry =
        kn_mesh::mesh::trace::Entry::Broker(kn_mesh::mesh::objects::ObjectKey::new("flow", "br"));
    let traced = kn_mesh::mesh::trace::trace(&mesh, &event, &entry).unwrap();
    assert!(traced.forbidden.is_empty(), "{:?}", traced.forbidden);
    let js0 = traced
        .deliveries
        .iter()
        .find(|d| matches!(&d.subscriber, kn_mesh::mesh::trace::Subscriber::Object(h) if h.name == "js0"))
        .unwrap();
    assert_eq!(js0.authorization.as_ref().unwrap().allowed, Some(true));
}

#[test]
fn what_cannot_be_read_leaves_the_verdict_unknown_never_allowed() {
    let base = format!(
        "apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {{name: br, namespace: shop}}
---
{}---
",
        features("enabled", None)
    );
    let sender = "sub:system:serviceaccount:shop:x";
    // A policy that cannot be decoded may be the one that decides.
    let undecodable = format!(
        "{base}apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: p, namespace: shop, labels: {{a: 5}}}}
spec: {{from: [{{sub: system:serviceaccount:other:x}}]}}
"
    );
    let v = verdict(&mesh_of(&undecodable), sender, "broker/shop/br", None);
    assert_eq!(v.allowed, None, "{v:?}");
    // Filters that cannot be read: what the policy allows is not known.
    let filters = format!(
        "{base}apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: p, namespace: shop}}
spec: {{from: [{{sub: \"system:serviceaccount:shop:*\"}}], filters: [{{cesql: 123}}]}}
"
    );
    let v = verdict(&mesh_of(&filters), sender, "broker/shop/br", None);
    assert_eq!(v.allowed, None, "{v:?}");
    assert!(
        v.depends_on
            .unwrap()
            .contains("spec.filters cannot be read")
    );
    // A policy that applies but is not Ready is left out, and the tree says so beside the mode.
    let unready = format!(
        "{base}apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: lockdown, namespace: shop}}
spec: {{to: [{{ref: {{apiVersion: eventing.knative.dev/v1, kind: Broker, name: br}}}}], from: [{{ref: {{apiVersion: sources.knative.dev/v1, kind: PingSource, name: gone}}}}]}}
"
    );
    let tree =
        kn_mesh::output::tree::render(&mesh_of(&unready), &[kn_mesh::mesh::views::View::Brokers]);
    assert!(
        tree.contains("no Ready EventPolicy applies")
            && tree.contains("EventPolicy shop/lockdown left out: from PingSource shop/gone"),
        "{tree}"
    );
}

/// As payments-only, the ops namespace cannot be read: a transform's identity depends on its
/// spec, so who it sends as is not known (exit 6), never guessed.
#[test]
fn a_sender_that_cannot_be_read_and_names_itself_by_its_spec_is_unknown() {
    let out = common::kn_mesh(&[
        "--demo",
        "can-send",
        "--from",
        "eventtransform/ops/report-shaper",
        "--to",
        "broker/payments/default",
        "-o",
        "json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let why = json["decidedBy"]["unknown"].as_str().unwrap();
    assert!(why.contains("depends on its spec"), "{why}");
    // A source's identity follows from its name: computed, and said so in the answer.
    let out = common::kn_mesh(&[
        "--demo",
        "can-send",
        "--from",
        "pingsource/ops/heartbeat",
        "--to",
        "broker/payments/default",
        "-o",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["allowed"], true);
    assert_eq!(
        json["subject"],
        "system:serviceaccount:ops:heartbeat-oidc-sources.knative.dev-pingsource"
    );
    assert!(json["note"].as_str().unwrap().contains("could not be read"));
}

/// The auth-proxy (IntegrationSink, EventTransform) matches policies without the receiver's
/// labels and whether Ready or not: a ref counts beside a selector, and a selector that selects
/// unlabelled objects counts whatever the sink's labels.
#[test]
fn the_auth_proxy_sees_no_labels() {
    let yaml = format!(
        r#"
apiVersion: sinks.knative.dev/v1alpha1
kind: IntegrationSink
metadata: {{name: refsink, namespace: flow}}
---
apiVersion: sinks.knative.dev/v1alpha1
kind: IntegrationSink
metadata: {{name: exprsink, namespace: flow, labels: {{tier: front}}}}
---
apiVersion: sinks.knative.dev/v1alpha1
kind: IntegrationSink
metadata: {{name: labelled, namespace: flow, labels: {{tier: backend}}}}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: a-ref-and-selector, namespace: flow}}
spec:
  to:
    - ref: {{apiVersion: sinks.knative.dev/v1alpha1, kind: IntegrationSink, name: refsink}}
    - selector: {{apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, matchLabels: {{x: y}}}}
  from: [{{sub: "system:serviceaccount:flow:trusted"}}]
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: b-no-tier, namespace: flow}}
spec:
  to: [{{selector: {{apiVersion: sinks.knative.dev/v1alpha1, kind: IntegrationSink, matchExpressions: [{{key: tier, operator: DoesNotExist}}]}}}}]
  from: [{{sub: "system:serviceaccount:flow:trusted"}}]
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: {{name: c-backend, namespace: flow}}
spec:
  to: [{{selector: {{apiVersion: sinks.knative.dev/v1alpha1, kind: IntegrationSink, matchLabels: {{tier: backend}}}}}}]
  from: [{{sub: "system:serviceaccount:flow:trusted"}}]
---
{}"#,
        features("enabled", None)
    );
    let mesh = mesh_of(&yaml);
    let p = "sub:system:serviceaccount:flow:p";
    let refsink = verdict(&mesh, p, "integrationsink/flow/refsink", None);
    assert_eq!(
        (refsink.allowed, refsink.rule),
        (Some(false), Some(Rule::AuthProxy))
    );
    // The proxy sees no labels: `tier` does not exist for it, so b-no-tier applies there.
    let expr = verdict(&mesh, p, "integrationsink/flow/exprsink", None);
    assert_eq!(expr.allowed, Some(false), "{expr:?}");
    // A selector on labels the proxy never sees is left out: the default mode decides.
    let labelled = verdict(&mesh, p, "integrationsink/flow/labelled", None);
    assert_eq!(
        labelled.allowed,
        Some(false),
        "b-no-tier applies at the proxy: {labelled:?}"
    );
    assert!(
        labelled
            .consulted
            .iter()
            .any(|c| c.policy == "flow/c-backend" && c.outcome.contains("auth-proxy cannot match"))
    );
}

/// A broker of a class kn-mesh does not know the checks of: cannot tell, never "allowed".
#[test]
fn a_broker_of_another_class_is_unknown() {
    let yaml = format!(
        "apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {{name: br, namespace: a, annotations: {{eventing.knative.dev/broker.class: RabbitMQBroker}}}}
---
{}",
        features("enabled", None)
    );
    let v = verdict(
        &mesh_of(&yaml),
        "sub:system:serviceaccount:a:x",
        "broker/a/br",
        None,
    );
    assert_eq!(v.allowed, None);
    assert!(matches!(&v.decided_by, DecidedBy::Unknown(why) if why.contains("RabbitMQBroker")));
}
