//! Delivery authorization (DESIGN.md §6): may a sender deliver events to a receiver, and what
//! decides it. The inputs are objects kn-mesh reads: EventPolicies, the receiver, the sender's
//! identity, and ConfigMap `knative-eventing/config-features`. What could not be read makes the
//! verdict unknown, never assumed.

mod admits;
pub mod identity;
pub mod policies;

pub use admits::{Admits, admits};

use crate::cesql::Attributes;
use crate::mesh::Mesh;
use crate::mesh::filter::{self, Outcome};
use crate::mesh::objects::TriggerSpec;
use crate::mesh::snapshot::{Access, Role};
use policies::{Policy, Receiver};
use serde::Serialize;

pub use crate::mesh::snapshot::{FEATURES_NAME, FEATURES_NAMESPACE};

/// `default-authorization-mode`, as the receivers read it (any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultMode {
    AllowAll,
    DenyAll,
    AllowSameNamespace,
    /// A value Knative does not know: core allows all, Kafka denies all.
    Unrecognised(String),
}

impl DefaultMode {
    pub fn name(&self) -> &str {
        match self {
            DefaultMode::AllowAll => "allow-all",
            DefaultMode::DenyAll => "deny-all",
            DefaultMode::AllowSameNamespace => "allow-same-namespace",
            DefaultMode::Unrecognised(value) => value,
        }
    }
}

/// The flags that decide delivery authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    pub oidc: bool,
    pub mode: DefaultMode,
}

impl Features {
    /// From the ConfigMap's data; a missing key takes Knative's default.
    pub fn from_data(data: &crate::mesh::objects::StringMap) -> Self {
        let value = |key: &str| data.get(key).map(|v| v.trim().to_ascii_lowercase());
        let mode = match value("default-authorization-mode").as_deref() {
            None | Some("allow-same-namespace") => DefaultMode::AllowSameNamespace,
            Some("allow-all") => DefaultMode::AllowAll,
            Some("deny-all") => DefaultMode::DenyAll,
            Some(_) => DefaultMode::Unrecognised(
                data.get("default-authorization-mode")
                    .cloned()
                    .unwrap_or_default(),
            ),
        };
        Self {
            oidc: value("authentication-oidc").as_deref() == Some("enabled"),
            mode,
        }
    }
}

/// The flags, or why they are not known.
pub fn features(mesh: &Mesh) -> Result<Features, String> {
    if let Some(data) = &mesh.features {
        return Ok(Features::from_data(data));
    }
    let asked = features_marker(mesh);
    let what = format!("ConfigMap {FEATURES_NAMESPACE}/{FEATURES_NAME}");
    match asked.map(|m| &m.access) {
        // Knative installs it; without it every flag has its default, and OIDC is off.
        Some(Access::NotFound) => Ok(Features::from_data(&Default::default())),
        Some(Access::Forbidden { .. }) => Err(format!(
            "may not read {what}, which says whether OIDC is on and the default mode"
        )),
        Some(Access::Failed { message }) => Err(format!("{what} could not be read: {message}")),
        Some(Access::Undecodable { message, .. }) => {
            Err(format!("{what} cannot be decoded: {message}"))
        }
        Some(_) => Err(format!("{what} could not be read")),
        None if mesh.reduced => Err("an eventmesh backend sends no EventPolicies".into()),
        None => Err(format!(
            "{what} is not among what was read: give it with the manifests (-f)"
        )),
    }
}

/// Whether the flags were read, or asked for and refused: manifests without the ConfigMap say
/// nothing either way.
pub fn features_asked(mesh: &Mesh) -> bool {
    mesh.features.is_some() || features_marker(mesh).is_some()
}

/// The request for the flags, and what came of it, when it was made.
fn features_marker(mesh: &Mesh) -> Option<&crate::mesh::snapshot::AccessMarker> {
    mesh.access.iter().find(|m| {
        m.request.resource.plural == "configmaps"
            && m.request.name.as_deref() == Some(FEATURES_NAME)
    })
}

/// How a receiver checks a request (research eventpolicy.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// MTChannelBasedBroker, InMemoryChannel, JobSink: the first policy by name whose subjects
    /// match decides; exact subjects ignore case; an unrecognised default mode allows.
    Core,
    /// The Kafka broker, KafkaChannel and KafkaSink: any matching policy whose filters pass
    /// allows; exact subjects mind case; an unrecognised default mode denies.
    Kafka,
    /// IntegrationSink and EventTransform through the auth-proxy: core's rule, but selectors
    /// never match (no labels) and policies count whether Ready or not.
    AuthProxy,
    /// A receiver kn-mesh does not know the checks of (a broker of another class).
    Unverified,
}

/// The receiver's rule, from its kind (and a broker's class), or why it checks nothing.
pub fn rule_of(group: &str, kind: &str, class: Option<&str>) -> Result<Rule, String> {
    Ok(match (group, kind) {
        ("eventing.knative.dev", "Broker") => match class {
            Some("Kafka" | "KafkaNamespaced") => Rule::Kafka,
            None | Some("MTChannelBasedBroker") => Rule::Core,
            // RabbitMQ and other classes: whether and how they check senders is not known.
            Some(_) => Rule::Unverified,
        },
        ("messaging.knative.dev", "KafkaChannel") | ("eventing.knative.dev", "KafkaSink") => {
            Rule::Kafka
        }
        ("sinks.knative.dev", "IntegrationSink") | ("eventing.knative.dev", "EventTransform") => {
            Rule::AuthProxy
        }
        ("eventing.knative.dev", "RequestReply") => {
            return Err("RequestReply checks no token and no EventPolicy".into());
        }
        ("messaging.knative.dev", _) | ("sinks.knative.dev", _) | ("flows.knative.dev", _) => {
            Rule::Core
        }
        (_, kind) => {
            return Err(format!(
                "{kind} is not a Knative receiver: it checks no EventPolicy"
            ));
        }
    })
}

/// What decided a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DecidedBy {
    Policy(String),
    DefaultMode(String),
    OidcDisabled(bool),
    NotEnforced(String),
    Unknown(String),
}

/// A policy the decision looked at, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consulted {
    pub policy: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// None: it depends on the event, or the inputs could not be read.
    pub allowed: Option<bool>,
    pub decided_by: DecidedBy,
    pub consulted: Vec<Consulted>,
    pub rule: Option<Rule>,
    /// When the answer depends on the event: on what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
    /// Where Knative's receivers, or its docs, would answer otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disagreements: Vec<String>,
}

impl Verdict {
    pub fn unknown(why: String) -> Self {
        Self {
            allowed: None,
            decided_by: DecidedBy::Unknown(why),
            consulted: Vec::new(),
            rule: None,
            depends_on: None,
            disagreements: Vec::new(),
        }
    }

    fn by(allowed: Option<bool>, decided_by: DecidedBy, rule: Option<Rule>) -> Self {
        Self {
            allowed,
            decided_by,
            rule,
            ..Self::unknown(String::new())
        }
    }
}

/// May `subject` deliver `event` (None: any event) to the receiver?
pub fn can_send(
    mesh: &Mesh,
    subject: &str,
    receiver: &Receiver,
    rule: Result<Rule, String>,
    event: Option<&dyn Attributes>,
) -> Verdict {
    let applying = policies::applying(mesh, receiver);
    let (mode, rule, counted, left_out) = match decide(mesh, receiver, rule, &applying) {
        Decision::Unknown(why) => return Verdict::unknown(why),
        Decision::Anyone(decided_by) => return Verdict::by(Some(true), decided_by, None),
        Decision::Policies {
            mode,
            rule,
            counted,
            left_out,
        } => (mode, rule, counted, left_out),
    };
    let mut consulted: Vec<Consulted> = left_out
        .iter()
        .map(|(p, why)| Consulted {
            policy: p.key.to_string(),
            outcome: format!("applies, but is left out: {why}"),
        })
        .collect();
    let mut verdict = if counted.is_empty() {
        by_default_mode(&mode, subject, receiver.namespace, rule)
    } else {
        by_policies(&counted, subject, rule, event, &mut consulted)
    };
    verdict.consulted = consulted;
    verdict
}

/// A list of these roles that could not be read in a namespace (or at the cluster scope, when
/// the namespace's own was not read), preferring one of `plural`, as its request says it.
pub fn unread_list(
    mesh: &Mesh,
    roles: &[Role],
    namespace: &str,
    plural: Option<&str>,
) -> Option<String> {
    let listed = crate::mesh::snapshot::lists_for(&mesh.access, roles, namespace);
    // An object of the roles that could not be decoded, or a manifest file that could not be
    // read, hides what it held just as a denied list does.
    let hidden = mesh.access.iter().filter(|m| {
        let object = roles.contains(&m.role)
            && m.request.namespace() == Some(namespace)
            && matches!(m.access, Access::Undecodable { .. });
        object || (m.role == Role::File && !matches!(m.access, Access::Allowed))
    });
    let found: Vec<_> = listed
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| matches!(m.access, Access::Forbidden { .. } | Access::Failed { .. }))
        .chain(hidden)
        .collect();
    let own = found
        .iter()
        .find(|m| plural.is_some_and(|p| m.request.resource.plural == p));
    own.or(found.first()).map(|m| m.request.to_string())
}

/// What decides at a receiver: nothing (OIDC off, or a receiver that checks no one), nothing
/// that can be told, or its policies under its rule (none counted: the default mode).
enum Decision<'p> {
    Unknown(String),
    Anyone(DecidedBy),
    Policies {
        mode: DefaultMode,
        rule: Rule,
        counted: Vec<&'p Policy>,
        left_out: Vec<(&'p Policy, String)>,
    },
}

fn decide<'p>(
    mesh: &Mesh,
    receiver: &Receiver,
    rule: Result<Rule, String>,
    applying: &'p [Policy],
) -> Decision<'p> {
    let features = match features(mesh) {
        Ok(features) => features,
        Err(why) => return Decision::Unknown(why),
    };
    if !features.oidc {
        return Decision::Anyone(DecidedBy::OidcDisabled(true));
    }
    let rule = match rule {
        Ok(rule) => rule,
        Err(why) => return Decision::Anyone(DecidedBy::NotEnforced(why)),
    };
    if rule == Rule::Unverified {
        let class = receiver
            .meta
            .annotation(crate::mesh::objects::BROKER_CLASS_ANNOTATION);
        return Decision::Unknown(format!(
            "broker class {}: whether and how it checks senders is not known",
            class.unwrap_or("?")
        ));
    }
    if let Some(why) = unreadable_policies(mesh, receiver.namespace) {
        return Decision::Unknown(why);
    }
    // Core and Kafka drop policies that are not Ready; the auth-proxy counts them, and cannot
    // match a selector.
    let (mut counted, mut left_out) = (Vec::new(), Vec::new());
    for policy in applying {
        match (&policy.ready, rule) {
            (_, Rule::AuthProxy) if !policy.at_proxy => left_out.push((
                policy,
                "it applies by label selector, which the auth-proxy cannot match".to_string(),
            )),
            (_, Rule::AuthProxy) => counted.push(policy),
            // Selected only as the proxy sees it: not this receiver's.
            _ if !policy.with_labels => {}
            (Ok(()), _) => counted.push(policy),
            (Err(why), _) => left_out.push((policy, why.clone())),
        }
    }
    Decision::Policies {
        mode: features.mode,
        rule,
        counted,
        left_out,
    }
}

/// Whether the receiver's EventPolicies could be read: a denied list means "cannot evaluate",
/// never "no policies".
fn unreadable_policies(mesh: &Mesh, namespace: &str) -> Option<String> {
    let request = unread_list(mesh, &[Role::Policy], namespace, None)?;
    Some(format!(
        "cannot evaluate: the EventPolicies that may apply could not be read ({request})"
    ))
}

fn by_default_mode(mode: &DefaultMode, subject: &str, namespace: &str, rule: Rule) -> Verdict {
    let allowed = match mode {
        DefaultMode::AllowAll => true,
        DefaultMode::DenyAll => false,
        DefaultMode::AllowSameNamespace => {
            subject.starts_with(&format!("system:serviceaccount:{namespace}:"))
        }
        DefaultMode::Unrecognised(_) => rule != Rule::Kafka,
    };
    let mut verdict = Verdict::by(
        Some(allowed),
        DecidedBy::DefaultMode(mode.name().to_string()),
        Some(rule),
    );
    if let DefaultMode::Unrecognised(value) = mode {
        verdict.disagreements.push(format!(
            "default-authorization-mode {value:?} is not a mode Knative knows: core receivers \
             allow all, Kafka ones deny all"
        ));
    }
    verdict
}

/// Policies decide: core lets the first whose subjects match decide, Kafka any whose filters
/// pass. Both answers are worked out, so a difference can be shown.
fn by_policies(
    counted: &[&Policy],
    subject: &str,
    rule: Rule,
    event: Option<&dyn Attributes>,
    consulted: &mut Vec<Consulted>,
) -> Verdict {
    let mind_case = rule == Rule::Kafka;
    let mut matching: Vec<(&Policy, Option<bool>, String)> = Vec::new();
    for policy in counted {
        let listed = policy
            .subjects
            .iter()
            .any(|entry| policies::subject_matches(entry, subject, mind_case));
        if !listed {
            consulted.push(Consulted {
                policy: policy.key.to_string(),
                outcome: "applies; the subject is not among its senders".into(),
            });
            continue;
        }
        let (passes, what) = filters_pass(&policy.filters, event);
        consulted.push(Consulted {
            policy: policy.key.to_string(),
            outcome: format!("applies and lists the subject; {what}"),
        });
        matching.push((policy, passes, what));
    }
    let Some((first, first_passes, first_what)) = matching.first() else {
        // A policy applies, so the default mode is not consulted.
        let decided_by = DecidedBy::Policy(counted[0].key.to_string());
        return Verdict::by(Some(false), decided_by, Some(rule));
    };
    let core = *first_passes;
    let any = any_passes(matching.iter().map(|(_, passes, _)| *passes));
    let (allowed, decided_by) = match rule {
        Rule::Kafka => {
            let decider = matching
                .iter()
                .find(|(_, passes, _)| *passes == Some(true))
                .or(matching.first())
                .map(|(p, _, _)| p.key.to_string())
                .unwrap_or_default();
            (any, decider)
        }
        // (An unverified receiver never gets here: `decide` says it cannot tell.)
        Rule::Core | Rule::AuthProxy | Rule::Unverified => (core, first.key.to_string()),
    };
    let mut verdict = Verdict::by(allowed, DecidedBy::Policy(decided_by), Some(rule));
    if allowed.is_none() {
        verdict.depends_on = Some(first_what.clone());
    }
    if matching.len() > 1 && core != any {
        let other = if rule == Rule::Kafka { core } else { any };
        verdict.disagreements.push(format!(
            "{} policies list the subject: this receiver's rule says {}, while {} says {}",
            matching.len(),
            words(allowed),
            if rule == Rule::Kafka {
                "core (the first by name decides)"
            } else {
                "the docs and the Kafka data plane (any that passes allows)"
            },
            words(other)
        ));
    }
    verdict
}

fn words(allowed: Option<bool>) -> &'static str {
    match allowed {
        Some(true) => "allowed",
        Some(false) => "denied",
        None => "it depends on the event",
    }
}

/// Kleene OR over the filters' answers.
fn any_passes(answers: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for answer in answers {
        match answer {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    (!unknown).then_some(false)
}

/// A policy's filters over the event: pass, fail, or depend on an event not given.
fn filters_pass(
    filters: &Result<Vec<crate::mesh::objects::SubscriptionsApiFilter>, String>,
    event: Option<&dyn Attributes>,
) -> (Option<bool>, String) {
    let filters = match filters {
        Ok(filters) => filters,
        Err(why) => return (None, why.clone()),
    };
    if filters.is_empty() {
        return (Some(true), "it has no filters".into());
    }
    let spec = TriggerSpec {
        filters: filters.to_vec(),
        ..TriggerSpec::default()
    };
    let described = filter::describe(&spec).join(", ");
    let Some(event) = event else {
        return (None, format!("its filters must pass: {described}"));
    };
    let outcome = filter::evaluate_over(&spec, event);
    match outcome.outcome {
        Outcome::Match => (Some(true), format!("its filters pass ({described})")),
        Outcome::NoMatch => (
            Some(false),
            format!("its filters reject the event: {}", outcome.reason),
        ),
        Outcome::Unknown => (None, format!("its filters may pass: {}", outcome.reason)),
    }
}

/// Whether `kind` as typed (any case; the singular, plural or a short name its CRD declares)
/// names the kind.
pub fn same_kind(typed: &str, kind: &str) -> bool {
    let typed = typed.to_ascii_lowercase();
    if typed.eq_ignore_ascii_case(kind) {
        return true;
    }
    match crate::mesh::catalog::builtin_crds()
        .iter()
        .find(|crd| crd.spec.names.kind == kind)
    {
        Some(crd) => {
            let names = &crd.spec.names;
            names.plural == typed || names.singular == typed || names.short_names.contains(&typed)
        }
        None => typed == format!("{}s", kind.to_ascii_lowercase()),
    }
}

/// A kind as typed, as its CRD spells it, with its group: from Knative's CRDs.
pub fn canonical_kind(typed: &str) -> Option<(&'static str, &'static str)> {
    crate::mesh::catalog::builtin_crds()
        .iter()
        .find(|crd| same_kind(typed, &crd.spec.names.kind))
        .map(|crd| (crd.spec.group.as_str(), crd.spec.names.kind.as_str()))
}
