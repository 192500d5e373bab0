//! Trigger filter evaluation: every dialect, and the three outcomes.

use kn_mesh::mesh::filter::{Outcome, evaluate};
use kn_mesh::mesh::objects::{EventType, TriggerSpec};

fn event_type(yaml: &str) -> EventType {
    serde_saphyr::from_str(yaml).unwrap()
}

fn settled_v1beta2() -> EventType {
    event_type(
        "
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: settled, namespace: a}
spec: {type: com.example.payment.settled, source: 'https://pay.example.com/eu'}
",
    )
}

fn outcome(filter_yaml: &str, et: &EventType) -> Outcome {
    let spec: TriggerSpec = serde_saphyr::from_str(filter_yaml).unwrap();
    evaluate(&spec, et).outcome
}

#[test]
fn no_filter_matches_everything() {
    assert_eq!(
        outcome("broker: default", &settled_v1beta2()),
        Outcome::Match
    );
}

#[test]
fn legacy_attributes_are_exact_and_empty_means_any() {
    let et = settled_v1beta2();
    assert_eq!(
        outcome(
            "filter: {attributes: {type: com.example.payment.settled}}",
            &et
        ),
        Outcome::Match
    );
    assert_eq!(
        outcome("filter: {attributes: {type: com.example.other}}", &et),
        Outcome::NoMatch
    );
    assert_eq!(
        outcome(
            "filter: {attributes: {type: com.example.payment.settled, source: ''}}",
            &et
        ),
        Outcome::Match
    );
    // Every attribute must match.
    assert_eq!(
        outcome(
            "filter: {attributes: {type: com.example.payment.settled, source: 'https://x'}}",
            &et
        ),
        Outcome::NoMatch
    );
}

#[test]
fn an_attribute_the_event_type_leaves_open_is_unknown() {
    let et = settled_v1beta2();
    assert_eq!(
        outcome("filter: {attributes: {subject: order-1}}", &et),
        Outcome::Unknown
    );
    assert_eq!(
        outcome("filters: [{exact: {subject: order-1}}]", &et),
        Outcome::Unknown
    );
    // ...unless another condition already rules the event type out.
    assert_eq!(
        outcome(
            "filters: [{exact: {subject: order-1, type: com.example.other}}]",
            &et
        ),
        Outcome::NoMatch
    );
}

#[test]
fn exact_prefix_and_suffix() {
    let et = settled_v1beta2();
    assert_eq!(
        outcome(
            "filters: [{exact: {type: com.example.payment.settled}}]",
            &et
        ),
        Outcome::Match
    );
    assert_eq!(
        outcome("filters: [{exact: {type: com.example.payment}}]", &et),
        Outcome::NoMatch
    );
    assert_eq!(
        outcome("filters: [{prefix: {type: com.example.payment}}]", &et),
        Outcome::Match
    );
    assert_eq!(
        outcome("filters: [{prefix: {type: org.example}}]", &et),
        Outcome::NoMatch
    );
    assert_eq!(
        outcome("filters: [{suffix: {source: /eu}}]", &et),
        Outcome::Match
    );
    assert_eq!(
        outcome("filters: [{suffix: {source: /us}}]", &et),
        Outcome::NoMatch
    );
}

#[test]
fn elements_of_filters_are_anded() {
    let et = settled_v1beta2();
    assert_eq!(
        outcome(
            "filters: [{exact: {type: com.example.payment.settled}}, {suffix: {source: /eu}}]",
            &et
        ),
        Outcome::Match
    );
    assert_eq!(
        outcome(
            "filters: [{exact: {type: com.example.payment.settled}}, {suffix: {source: /us}}]",
            &et
        ),
        Outcome::NoMatch
    );
}

#[test]
fn all_any_and_not() {
    let et = settled_v1beta2();
    let all = "filters: [{all: [{prefix: {type: com.example.}}, {suffix: {type: .settled}}]}]";
    assert_eq!(outcome(all, &et), Outcome::Match);
    let all_fails =
        "filters: [{all: [{prefix: {type: com.example.}}, {suffix: {type: .declined}}]}]";
    assert_eq!(outcome(all_fails, &et), Outcome::NoMatch);
    let any =
        "filters: [{any: [{exact: {type: a}}, {exact: {type: com.example.payment.settled}}]}]";
    assert_eq!(outcome(any, &et), Outcome::Match);
    let any_fails = "filters: [{any: [{exact: {type: a}}, {exact: {type: b}}]}]";
    assert_eq!(outcome(any_fails, &et), Outcome::NoMatch);
    // An unknown branch keeps `any` unknown when nothing else matches.
    let any_unknown = "filters: [{any: [{exact: {type: a}}, {exact: {subject: s}}]}]";
    assert_eq!(outcome(any_unknown, &et), Outcome::Unknown);
    assert_eq!(
        outcome("filters: [{not: {exact: {type: a}}}]", &et),
        Outcome::Match
    );
    assert_eq!(
        outcome(
            "filters: [{not: {exact: {type: com.example.payment.settled}}}]",
            &et
        ),
        Outcome::NoMatch
    );
    assert_eq!(
        outcome("filters: [{not: {exact: {subject: s}}}]", &et),
        Outcome::Unknown
    );
}

fn cesql(expression: &str, et: &EventType) -> kn_mesh::mesh::filter::FilterOutcome {
    let spec: TriggerSpec =
        serde_saphyr::from_str(&format!("filters: [{{cesql: {expression:?}}}]")).unwrap();
    evaluate(&spec, et)
}

/// CESQL over an event type, three-valued: what the type pins is known, what it leaves open is
/// not, and Knative's order decides (an AND with a known false fails; an error fails).
#[test]
fn cesql_is_evaluated_over_what_the_event_type_pins() {
    let et = settled_v1beta2();
    let other = "type = 'com.example.order.created' AND amount > 10";
    let no = cesql(other, &et);
    assert_eq!(no.outcome, Outcome::NoMatch);
    assert_eq!(no.reason, "`type = 'com.example.order.created'` is false");
    let this = "type = 'com.example.payment.settled' AND amount > 10";
    let maybe = cesql(this, &et);
    assert_eq!(maybe.outcome, Outcome::Unknown);
    assert_eq!(
        maybe.reason,
        "amount is not known for these events, and `amount > 10` depends on it"
    );
    // Unknown AND false is false, whatever the unknown is.
    let later = cesql("amount > 10 AND source LIKE '%/us'", &et);
    assert_eq!(later.outcome, Outcome::NoMatch, "{}", later.reason);
    // TRUE OR unknown is true; unknown OR TRUE is not, as the unknown may be a missing
    // attribute, whose error fails the filter in Knative.
    let left = "source LIKE '%/eu' OR region = 'x'";
    assert_eq!(cesql(left, &et).outcome, Outcome::Match);
    let right = "region = 'x' OR source LIKE '%/eu'";
    assert_eq!(cesql(right, &et).outcome, Outcome::Unknown);
    // A guard makes it safe, and EXISTS of a required attribute is known.
    assert_eq!(
        cesql("EXISTS type AND type LIKE '%.settled'", &et).outcome,
        Outcome::Match
    );
    assert_eq!(cesql("EXISTS region", &et).outcome, Outcome::Unknown);
    // A value that is not a Boolean never passes.
    assert_eq!(cesql("type", &et).outcome, Outcome::NoMatch);
    // An error on a known path fails: a cast of the type to an integer.
    let cast = cesql("type = 1", &et);
    assert_eq!(cast.outcome, Outcome::NoMatch);
    assert!(cast.reason.contains("cast"), "{}", cast.reason);
    // An expression that does not parse is unknown, and says why.
    let broken = cesql("type = ", &et);
    assert_eq!(broken.outcome, Outcome::Unknown);
    assert!(
        broken.reason.contains("does not parse"),
        "{}",
        broken.reason
    );
    // A definite no elsewhere still decides.
    assert_eq!(
        outcome(
            "filters: [{cesql: \"region = 'x'\"}, {exact: {type: other}}]",
            &et
        ),
        Outcome::NoMatch
    );
}

/// The subscriptions API's `not` around an erroring CESQL passes, where CESQL's own NOT fails
/// (research/cesql_knative.md §2): Knative's `not` swaps Fail for Pass.
#[test]
fn a_not_around_an_erroring_cesql_passes_as_in_knative() {
    let et = settled_v1beta2();
    // The event type pins no subject; over a real event without it both are decided.
    assert_eq!(
        outcome("filters: [{not: {cesql: \"type = 1\"}}]", &et),
        Outcome::Match
    );
    assert_eq!(cesql("NOT (type = 1)", &et).outcome, Outcome::NoMatch);
}

#[test]
fn filters_replace_filter_when_non_empty() {
    let et = settled_v1beta2();
    let both = "
filter: {attributes: {type: com.example.other}}
filters: [{exact: {type: com.example.payment.settled}}]
";
    assert_eq!(outcome(both, &et), Outcome::Match);
    let empty_filters = "
filter: {attributes: {type: com.example.other}}
filters: []
";
    assert_eq!(outcome(empty_filters, &et), Outcome::NoMatch);
}

#[test]
fn v1beta3_attributes_pin_values_and_templates_stay_open() {
    let et = event_type(
        "
apiVersion: eventing.knative.dev/v1beta3
kind: EventType
metadata: {name: push, namespace: a}
spec:
  attributes:
    - {name: type, required: true, value: dev.knative.source.github.push}
    - {name: source, required: true, value: 'https://github.com/{org}/{repo}'}
    - {name: subject, required: false}
",
    );
    assert_eq!(et.cloud_event_type(), "dev.knative.source.github.push");
    assert_eq!(
        outcome(
            "filters: [{exact: {type: dev.knative.source.github.push}}]",
            &et
        ),
        Outcome::Match
    );
    assert_eq!(
        outcome("filters: [{exact: {type: other}}]", &et),
        Outcome::NoMatch
    );
    assert_eq!(
        outcome("filters: [{prefix: {source: 'https://github.com/'}}]", &et),
        Outcome::Unknown
    );
    assert_eq!(
        outcome("filters: [{exact: {subject: x}}]", &et),
        Outcome::Unknown
    );
}

/// Both `filter` and `filters` set: `filters` wins, and the tree says so (knative/eventing#8018).
/// A broker class that may not read `filters` is flagged.
#[test]
fn filters_win_over_filter_and_a_class_that_may_ignore_them_is_flagged() {
    let mesh = crate::common::mesh_of(
        r#"apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: rabbit, namespace: a, annotations: {eventing.knative.dev/broker.class: RabbitMQBroker}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: a}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: both, namespace: a}
spec:
  broker: default
  filter: {attributes: {type: a}}
  filters: [{exact: {type: b}}]
  subscriber: {uri: "http://x"}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: on-rabbit, namespace: a}
spec:
  broker: rabbit
  filters: [{cesql: "type = 'b'"}]
  subscriber: {uri: "http://x"}
"#,
    );
    let tree = kn_mesh::output::render(
        &mesh,
        kn_mesh::output::Format::Tree,
        &[kn_mesh::mesh::views::View::Brokers],
    )
    .unwrap();
    assert!(
        tree.contains("filter: type = \"b\"\n")
            && tree.contains("⚑ spec.filter is ignored: spec.filters is set, and it wins"),
        "{tree}"
    );
    assert!(
        tree.contains("⚑ broker class RabbitMQBroker may ignore spec.filters"),
        "{tree}"
    );
    assert_eq!(tree.matches("may ignore spec.filters").count(), 1, "{tree}");
}

/// Over an event type, "false or an error" is not a value: IN and functions over it are
/// unknown, never decided; and a v1beta3 attribute that is not required may be absent.
#[test]
fn the_three_valued_evaluation_is_never_too_sure() {
    let et = settled_v1beta2();
    for expression in [
        "(region = 'a' AND FALSE) IN (FALSE)",
        "FALSE IN (region = 'a' AND FALSE)",
        "IS_BOOL(region = 'a' AND FALSE)",
    ] {
        assert_eq!(
            cesql(expression, &et).outcome,
            Outcome::Unknown,
            "{expression}"
        );
    }
    assert_eq!(cesql("'true' OR region = 'x'", &et).outcome, Outcome::Match);
    let v1beta3 = event_type(
        "
apiVersion: eventing.knative.dev/v1beta3
kind: EventType
metadata: {name: t, namespace: a}
spec:
  attributes:
    - {name: type, required: true, value: com.example.t}
    - {name: region, required: false, value: eu}
",
    );
    assert_eq!(cesql("region = 'eu'", &v1beta3).outcome, Outcome::Unknown);
    assert_eq!(
        cesql("NOT EXISTS region", &v1beta3).outcome,
        Outcome::Unknown
    );
    assert_eq!(
        cesql("type = 'com.example.t'", &v1beta3).outcome,
        Outcome::Match
    );
}
