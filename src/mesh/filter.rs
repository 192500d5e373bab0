//! Trigger filters evaluated against what an event type says about its events.
//!
//! An event type pins some CloudEvents attributes (its type, often its source) and leaves the
//! rest open. A filter on an open attribute can neither be confirmed nor ruled out, so the
//! answer has three values: matches, does not match, unknown. CESQL is evaluated the same way
//! (`crate::cesql`), with Knative's rule that an evaluation error fails the filter.

use super::objects::{EventType, SubscriptionsApiFilter, TriggerSpec};
use crate::cesql::{Abstract, Attributes, Evaluation, Lookup, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Match,
    NoMatch,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOutcome {
    pub outcome: Outcome,
    /// Why the answer is unknown or no match; empty for a plain match.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// A CESQL evaluation error decided the no-match: core fails such a filter, while the
    /// Kafka broker's engine substitutes defaults and may pass it (DESIGN.md §2c).
    #[serde(skip)]
    pub errored: bool,
}

impl FilterOutcome {
    pub fn matched() -> Self {
        Self {
            outcome: Outcome::Match,
            reason: String::new(),
            errored: false,
        }
    }

    fn no_match(reason: String) -> Self {
        Self {
            outcome: Outcome::NoMatch,
            reason,
            errored: false,
        }
    }

    pub fn unknown(reason: String) -> Self {
        Self {
            outcome: Outcome::Unknown,
            reason,
            errored: false,
        }
    }

    /// A no-match an evaluation error decided.
    fn failed_by_error(reason: String) -> Self {
        Self {
            errored: true,
            ..Self::no_match(reason)
        }
    }

    /// Kleene AND: any no-match decides; otherwise any unknown makes it unknown.
    fn and(results: impl IntoIterator<Item = FilterOutcome>) -> Self {
        let mut unknown = None;
        for result in results {
            match result.outcome {
                Outcome::NoMatch => return result,
                Outcome::Unknown => {
                    unknown.get_or_insert(result);
                }
                Outcome::Match => {}
            }
        }
        unknown.unwrap_or_else(Self::matched)
    }

    /// Kleene OR: any match decides; otherwise any unknown makes it unknown.
    fn or(results: impl IntoIterator<Item = FilterOutcome>) -> Self {
        let mut unknown = None;
        let mut last_no_match = None;
        for result in results {
            match result.outcome {
                Outcome::Match => return result,
                Outcome::Unknown => {
                    unknown.get_or_insert(result);
                }
                Outcome::NoMatch => last_no_match = Some(result),
            }
        }
        unknown
            .or(last_no_match)
            // `any: []` matches nothing.
            .unwrap_or_else(|| Self::no_match("empty any".into()))
    }

    fn not(self) -> Self {
        match self.outcome {
            Outcome::Match => Self::no_match(format!("not ({})", describe_match(&self))),
            Outcome::NoMatch => Self::matched(),
            Outcome::Unknown => self,
        }
    }
}

fn describe_match(outcome: &FilterOutcome) -> &str {
    if outcome.reason.is_empty() {
        "matched"
    } else {
        &outcome.reason
    }
}

/// Evaluates a trigger's filter against an event type. `filters` replaces `filter` when it is
/// non-empty, as in Knative.
pub fn evaluate(spec: &TriggerSpec, event_type: &EventType) -> FilterOutcome {
    evaluate_over(spec, &PinnedBy(event_type))
}

/// Whether a trigger on a broker of this class passes an event: its filter's outcome, except
/// that a class which may not read `filters` may deliver what they reject, so their "no" is
/// only a "maybe" there.
pub fn evaluate_on_broker(
    spec: &TriggerSpec,
    event: &dyn Attributes,
    broker_class: Option<&str>,
) -> FilterOutcome {
    let outcome = evaluate_over(spec, event);
    match broker_class {
        Some(class)
            if outcome.outcome == Outcome::NoMatch
                && !spec.filters.is_empty()
                && !honours_filters(class) =>
        {
            FilterOutcome::unknown(format!(
                "{}; but broker class {class} may ignore spec.filters",
                outcome.reason
            ))
        }
        Some(class @ ("Kafka" | "KafkaNamespaced")) if outcome.errored => {
            FilterOutcome::unknown(format!(
                "{}; but the {class} broker's CESQL engine substitutes defaults where core \
                 fails, so it may pass",
                outcome.reason
            ))
        }
        _ => outcome,
    }
}

/// [`evaluate_on_broker`] over an event type.
pub fn evaluate_type_on_broker(
    spec: &TriggerSpec,
    event_type: &EventType,
    broker_class: Option<&str>,
) -> FilterOutcome {
    evaluate_on_broker(spec, &PinnedBy(event_type), broker_class)
}

/// Evaluates a trigger's filter against an event, or anything that knows attributes.
pub fn evaluate_over(spec: &TriggerSpec, event_type: &dyn Attributes) -> FilterOutcome {
    if !spec.filters.is_empty() {
        return FilterOutcome::and(
            spec.filters
                .iter()
                .map(|filter| evaluate_dialect(filter, event_type)),
        );
    }
    let Some(attributes) = spec.filter.as_ref().and_then(|f| f.attributes.as_ref()) else {
        return FilterOutcome::matched();
    };
    FilterOutcome::and(attributes.iter().map(|(name, wanted)| {
        if wanted.is_empty() {
            FilterOutcome::matched()
        } else {
            compare(event_type, name, wanted, "=", |value, wanted| {
                value == wanted
            })
        }
    }))
}

fn evaluate_dialect(filter: &SubscriptionsApiFilter, event_type: &dyn Attributes) -> FilterOutcome {
    let mut parts = Vec::new();
    let map_dialects: [(&Option<_>, &str, Comparison); 3] = [
        (&filter.exact, "=", |value, wanted| value == wanted),
        (&filter.prefix, "starts with", |value, wanted| {
            value.starts_with(wanted)
        }),
        (&filter.suffix, "ends with", |value, wanted| {
            value.ends_with(wanted)
        }),
    ];
    for (dialect, verb, test) in map_dialects {
        if let Some(attributes) = dialect {
            parts.push(FilterOutcome::and(attributes.iter().map(
                |(name, wanted)| compare(event_type, name, wanted, verb, test),
            )));
        }
    }
    if let Some(all) = &filter.all {
        parts.push(FilterOutcome::and(
            all.iter().map(|f| evaluate_dialect(f, event_type)),
        ));
    }
    if let Some(any) = &filter.any {
        parts.push(FilterOutcome::or(
            any.iter().map(|f| evaluate_dialect(f, event_type)),
        ));
    }
    if let Some(not) = &filter.not {
        parts.push(evaluate_dialect(not, event_type).not());
    }
    if let Some(expression) = &filter.cesql {
        parts.push(evaluate_cesql(expression, event_type));
    }
    FilterOutcome::and(parts)
}

/// What an event type says about an attribute, for CESQL.
struct PinnedBy<'a>(&'a EventType);

impl Attributes for PinnedBy<'_> {
    fn lookup(&self, name: &str) -> Lookup {
        let declared = self.0.spec.attributes.iter().find(|a| a.name == name);
        // A v1beta3 attribute that is not required may be absent, whatever its value.
        let optional = declared.is_some_and(|a| !a.required);
        match self.0.pinned_attribute(name) {
            Some(_) if optional => Lookup::Unknown,
            // A v1beta3 value such as "https://github.com/{org}" is a template, not a value.
            Some(value) if value.contains('{') => Lookup::Present,
            Some(value) => Lookup::Value(Value::Str(value.to_string())),
            // Every CloudEvent has these.
            None if matches!(name, "id" | "specversion" | "source" | "type") => Lookup::Present,
            None if declared.is_some_and(|a| a.required) => Lookup::Present,
            None => Lookup::Unknown,
        }
    }
}

/// A CESQL filter over an event type: a clean `true` passes; false, an error or a value that
/// is not a Boolean fails, as in Knative 1.15 and later.
fn evaluate_cesql(text: &str, event_type: &dyn Attributes) -> FilterOutcome {
    let expression = match crate::cesql::parse(text) {
        Ok(expression) => expression,
        Err(error) if error.too_large => {
            return FilterOutcome::unknown(format!("not evaluated: {}", error.message));
        }
        Err(_) => {
            return FilterOutcome::unknown(format!(
                "the CESQL {text:?} does not parse: Knative's webhook refuses it, and a broker \
                 that meets one skips it"
            ));
        }
    };
    let decided = crate::cesql::evaluate(&expression, event_type);
    let clause = decided.clause;
    match decided.outcome {
        Abstract::Known(Evaluation {
            value: Value::Bool(true),
            error: None,
        }) => FilterOutcome::matched(),
        Abstract::Known(Evaluation {
            error: Some(error), ..
        }) => FilterOutcome::failed_by_error(format!(
            "`{clause}`: {error}, and an error fails the filter"
        )),
        Abstract::Known(Evaluation {
            value: Value::Bool(false),
            ..
        }) => FilterOutcome::no_match(format!("`{clause}` is false")),
        Abstract::Known(Evaluation { value, .. }) => FilterOutcome::no_match(format!(
            "the expression is {value:?}, not a Boolean, which no filter passes"
        )),
        Abstract::NotTrue => {
            FilterOutcome::failed_by_error(format!("`{clause}` is false or an error"))
        }
        Abstract::Unknown(what) => FilterOutcome::unknown(format!(
            "{what} for these events, and `{clause}` depends on it"
        )),
    }
}

/// Tests an attribute's value against the value a filter wants.
type Comparison = fn(&str, &str) -> bool;

fn compare(
    event_type: &dyn Attributes,
    attribute: &str,
    wanted: &str,
    verb: &str,
    test: Comparison,
) -> FilterOutcome {
    match event_type.lookup(attribute) {
        Lookup::Value(value) if test(&value.to_string(), wanted) => FilterOutcome::matched(),
        Lookup::Value(value) => FilterOutcome::no_match(format!(
            "{attribute} is {:?}, filter wants {verb} {wanted:?}",
            value.to_string()
        )),
        Lookup::Missing => FilterOutcome::no_match(format!(
            "the event has no {attribute} (filter wants {verb} {wanted:?})"
        )),
        Lookup::Present => FilterOutcome::unknown(format!(
            "the value of {attribute} is not known (filter wants {verb} {wanted:?})"
        )),
        Lookup::Unknown => FilterOutcome::unknown(format!(
            "whether the event has {attribute} is not known (filter wants {verb} {wanted:?})"
        )),
    }
}

/// Broker classes whose data plane honours `spec.filters` (DESIGN.md §2c): the channel-based
/// broker and the Kafka brokers.
const FILTERS_HONOURED_BY: &[&str] = &["MTChannelBasedBroker", "Kafka", "KafkaNamespaced"];

pub fn honours_filters(broker_class: &str) -> bool {
    FILTERS_HONOURED_BY.contains(&broker_class)
}

/// What a reader of the trigger should know about how its filter is applied, beyond the filter
/// itself: `filters` replacing `filter`, and a broker class that may not read `filters`.
pub fn caveats(spec: &TriggerSpec, broker_class: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let legacy = spec
        .filter
        .as_ref()
        .and_then(|f| f.attributes.as_ref())
        .is_some_and(|a| !a.is_empty());
    if !spec.filters.is_empty() && legacy {
        out.push("spec.filter is ignored: spec.filters is set, and it wins".to_string());
    }
    if let Some(class) = broker_class
        && !spec.filters.is_empty()
        && !honours_filters(class)
    {
        out.push(format!(
            "broker class {class} may ignore spec.filters (honoured by {})",
            FILTERS_HONOURED_BY.join(", ")
        ));
    }
    out
}

/// The filter in readable form, one line per condition, for trees and the detail pane.
pub fn describe(spec: &TriggerSpec) -> Vec<String> {
    if !spec.filters.is_empty() {
        return spec.filters.iter().map(describe_dialect).collect();
    }
    match spec.filter.as_ref().and_then(|f| f.attributes.as_ref()) {
        Some(attributes) if !attributes.is_empty() => attributes
            .iter()
            .map(|(name, wanted)| {
                if wanted.is_empty() {
                    format!("{name} = (any)")
                } else {
                    format!("{name} = {wanted:?}")
                }
            })
            .collect(),
        _ => vec!["(none: every event)".to_string()],
    }
}

fn describe_dialect(filter: &SubscriptionsApiFilter) -> String {
    let mut parts = Vec::new();
    for (dialect, verb) in [
        (&filter.exact, "="),
        (&filter.prefix, "starts with"),
        (&filter.suffix, "ends with"),
    ] {
        for (name, wanted) in dialect.iter().flatten() {
            parts.push(format!("{name} {verb} {wanted:?}"));
        }
    }
    if let Some(all) = &filter.all {
        parts.push(format!(
            "all({})",
            all.iter()
                .map(describe_dialect)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(any) = &filter.any {
        parts.push(format!(
            "any({})",
            any.iter()
                .map(describe_dialect)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(not) = &filter.not {
        parts.push(format!("not({})", describe_dialect(not)));
    }
    if let Some(expression) = &filter.cesql {
        parts.push(format!("cesql: {expression}"));
    }
    if parts.is_empty() {
        "(empty filter)".into()
    } else {
        parts.join(" and ")
    }
}
